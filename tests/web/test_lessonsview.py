"""The lessons' web side (simulator/web/lessonsview.py, events.py's lab.solution), through Flask's test clients.

A small course is written to a temporary folder so the tests do not depend on
the shipped lessons' wording.
"""
from __future__ import annotations

import time

import pytest

from simulator.course.progress import personal_name
from simulator.web import LEARNER_COOKIE, create_app, socketio

LEARNER = "learner-test-0123456789"

LESSON = '''+++
title = "{title}"
summary = "How a session opens."
minutes = 5
+++

## The greeting

The server speaks first: **220**. <script>alert(1)</script>

```widget
kind = "scenario"
scenario = "fig_14_6_establishment"
caption = "Watch it."
```

## Your turn

```task
id = "refuse-greeting"
protocol = "smtp"
goal = "Make the server refuse the greeting."
hints = ["Use the fault panel."]
done = "Right: 421 means not now."

[solution]
preset = "server_not_ready"
steps = [ {{ send = "EHLO client.example" }} ]

[[expect]]
greeting = true
reply = [421, 554]
missing = "No refused greeting yet: send `EHLO client.example` after a 421. <b>x</b>"
```

```task
id = "retry-452"
protocol = "smtp"
goal = "Get a 452 and say whether to retry."
hints = ["A hint."]

[solution]
preset = "insufficient_storage"
steps = [ {{ send = "EHLO c.example" }}, {{ send = "MAIL FROM:<alice@example.org>" }}, {{ send = "RCPT TO:<bob@example.org>" }} ]

[[expect]]
reply = 452
missing = "No 452 yet."

[question]
prompt = "Retry?"
choices = ["Yes, later", "Never"]
answer = 1
explain = "`4yz` is transient."
why_wrong = ["", "Never is for a `5yz` reply."]
wrong = "Look at the first digit."
```

## With a real client

```task
id = "real-ehlo"
protocol = "smtp"
source = "real"
goal = "Say EHLO {{personal_name}} on the real port."
hints = ["A hint."]

[solution]
steps = [ {{ send = "EHLO {{personal_name}}" }} ]

[[expect]]
command = "EHLO"
arg = "{{personal_name}}"
reply = 250
missing = "No EHLO {{personal_name}} yet."
```
'''


@pytest.fixture
def lessons_dir(tmp_path):
    root = tmp_path / "lessons"
    for lang, title in (("en", "Connection establishment"), ("ru", "Установление соединения")):
        (root / lang).mkdir(parents=True)
        (root / lang / "03-connection-establishment.md").write_text(LESSON.format(title=title), encoding="utf-8")
    (root / "glossary.toml").write_text(
        '[[term]]\nid = "reply"\nen = "reply"\nru = "ответ"\nlecture = "отклик"\n'
        'definition = { en = "What the server answers.", ru = "То, что отвечает сервер." }\n', encoding="utf-8")
    return root


@pytest.fixture
def app(sim, lessons_dir):
    """The common app, serving the lessons of ``lessons_dir``."""
    return create_app({"TESTING": True, "LESSONS_DIR": str(lessons_dir)}, simulator=sim)


@pytest.fixture
def web(app):
    client = app.test_client()
    client.set_cookie(LEARNER_COOKIE, LEARNER)
    return client


def lab(app, web):
    """A Socket.IO client of the same browser (same cookie) as ``web``."""
    return socketio.test_client(app, flask_test_client=web)


def wait_closed_or(sim_seconds: float = 0.3) -> None:
    time.sleep(sim_seconds)  # lab sessions run on their own threads


MISSING = "No refused greeting yet: send `EHLO client.example` after a 421. <b>x</b>"


def check(web, task, **body):
    return web.post(f"/api/lessons/connection-establishment/tasks/{task}/check", json=body)


# ------------------------------------------------------------------ progress
def test_seeing_a_step_is_saved_and_moves_the_lesson_on(web, sim):
    answer = web.post("/api/lessons/connection-establishment/steps/1/seen", json={})
    assert answer.status_code == 200
    assert answer.json["lesson"] == {"percent": 17, "seen": 1, "done": 0, "steps": 3, "tasks": 3}
    from simulator.web.lessons import Progress
    assert Progress(sim.store).lesson(LEARNER, "connection-establishment").seen == {1}


def test_a_lesson_without_a_step_goes_to_the_next_step_to_take(web):
    assert web.get("/lessons/connection-establishment").headers["Location"].endswith("/connection-establishment/1")
    web.post("/api/lessons/connection-establishment/steps/1/seen", json={})
    assert web.get("/lessons/connection-establishment").headers["Location"].endswith("/connection-establishment/2")


@pytest.mark.parametrize("url", ["/api/lessons/connection-establishment/steps/9/seen",
                                 "/api/lessons/connection-establishment/steps/0/seen",
                                 "/api/lessons/nope/steps/1/seen"])
def test_an_unknown_step_is_a_clear_json_404(web, url):
    answer = web.post(url, json={})
    assert answer.status_code == 404 and answer.json["error"]["code"] == "unknown_step"


def test_progress_writes_need_json_from_this_site(web):
    url = "/api/lessons/connection-establishment/steps/1/seen"
    assert web.post(url, data="x", content_type="text/plain").status_code == 400
    answer = web.post(url, json={}, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "cross_site"


def test_unknown_lessons_and_steps_are_404_pages(web):
    assert web.get("/lessons/nope").status_code == 404
    assert web.get("/lessons/nope/1").status_code == 404
    assert web.get("/lessons/connection-establishment/4").status_code == 404


# -------------------------------------------------------------------- checks
def test_a_check_before_any_session_says_where_to_work(web):
    answer = check(web, "refuse-greeting").json
    assert answer["done"] is False and answer["attempts"] == 1
    assert "no SMTP session" in answer["feedback"][0]


def test_the_learners_own_session_with_a_refused_greeting_passes(app, web):
    sio = lab(app, web)
    ack = sio.emit("lab.open", {"protocol": "smtp", "faults": {"rules": [{"stage": "greeting", "reply": 421}]}},
                   callback=True)
    assert ack["ok"], ack
    wait_closed_or()
    answer = check(web, "refuse-greeting").json
    assert answer["done"] is True and answer["feedback"] == []
    assert answer["praise"] == "Right: 421 means not now."
    assert answer["lesson"]["done"] == 1
    sio.disconnect()
    # Done stays done after the page (and its Socket.IO connection) is gone.
    assert check(web, "refuse-greeting").json["done"] is True


def test_a_session_that_misses_names_what_is_missing(app, web):
    sio = lab(app, web)
    assert sio.emit("lab.open", {"protocol": "smtp"}, callback=True)["ok"]
    wait_closed_or()
    answer = check(web, "refuse-greeting").json
    assert answer["done"] is False and answer["feedback"] == [MISSING]
    # Rendered like hints: the code span is code, raw HTML stays text.
    assert answer["feedback_html"] == ["No refused greeting yet: send <code>EHLO client.example</code> after a 421. "
                                       "&lt;b&gt;x&lt;/b&gt;"]
    assert answer["heading"] == "missing"
    sio.disconnect()


def test_show_me_plays_the_solution_but_does_not_count(app, web):
    sio = lab(app, web)
    ack = sio.emit("lab.solution", {"lesson": "connection-establishment", "task": "refuse-greeting"}, callback=True)
    assert ack["ok"], ack
    assert ack["faults"]["rules"] and ack["faults"]["rules"][0]["stage"] == "greeting"
    wait_closed_or(0.5)
    replies = [args[0] for ev in sio.get_received() if ev["name"] == "exchange"
               for args in [ev["args"]] if args[0]["kind"] == "reply"]
    assert replies and replies[0]["code"] in (421, 554)  # it really played
    answer = check(web, "refuse-greeting").json
    assert answer["done"] is False
    sio.disconnect()


def test_a_scenario_played_into_a_session_does_not_count(app, web):
    sio = lab(app, web)
    assert sio.emit("lab.scenario", {"name": "story_server_not_ready"}, callback=True)["ok"]
    wait_closed_or(0.5)
    assert check(web, "refuse-greeting").json["done"] is False
    sio.disconnect()


def test_another_learners_sessions_do_not_count(app, web):
    other = app.test_client()
    other.set_cookie(LEARNER_COOKIE, "someone-else-0123456789")
    sio = lab(app, other)
    assert sio.emit("lab.open", {"protocol": "smtp", "faults": {"rules": [{"stage": "greeting", "reply": 421}]}},
                    callback=True)["ok"]
    wait_closed_or()
    assert check(other, "refuse-greeting").json["done"] is True
    assert check(web, "refuse-greeting").json["done"] is False
    sio.disconnect()


def test_unknown_solution_tasks_are_refused_in_the_learners_language(app, web):
    sio = lab(app, web)
    ack = sio.emit("lab.solution", {"lesson": "connection-establishment", "task": "nope"}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_task"
    ack = sio.emit("lab.solution", {"lesson": 3}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_request"
    sio.disconnect()


def test_a_question_needs_a_valid_answer(web):
    assert check(web, "retry-452").status_code == 400
    for bad in (True, "1", 1.5):
        answer = check(web, "retry-452", answer=bad)
        assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_answer"


def test_a_task_with_a_question_needs_the_session_and_the_right_answer(app, web):
    sio = lab(app, web)
    ack = sio.emit("lab.open", {"protocol": "smtp", "faults": {"rules": [{"stage": "RCPT", "reply": 452}]}},
                   callback=True)
    assert ack["ok"], ack
    wait_closed_or()
    for line in ("EHLO c.example", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>"):
        assert sio.emit("lab.send", {"session": ack["session"], "line": line}, callback=True)["ok"]
    wait_closed_or()
    wrong = check(web, "retry-452", answer=2).json
    # Why this choice is not right, then the question's hint, under "Not quite" (not "What is missing").
    assert wrong["done"] is False and wrong["explain"] is None and wrong["heading"] == "answer"
    assert wrong["feedback"] == ["Never is for a `5yz` reply.", "Look at the first digit."]
    assert wrong["feedback_html"][0] == "Never is for a <code>5yz</code> reply."
    right = check(web, "retry-452", answer=1).json
    assert right["done"] is True and right["explain"] == "`4yz` is transient." and right["attempts"] == 2
    assert right["explain_html"] == "<code>4yz</code> is transient."
    sio.disconnect()


class FakeConn:
    def __init__(self):
        self.out = b""

    def write(self, data: bytes) -> None:
        self.out += data

    def close(self, _reason: str = "") -> None:
        pass


def test_a_real_port_task_finds_the_session_by_the_personal_name(sim, web):
    name = personal_name(LEARNER)
    someone = sim.new_port_session("127.0.0.1:40000", FakeConn(), "smtp")
    someone.open()
    someone.feed(b"EHLO ms-someone\r\n")
    assert check(web, "real-ehlo").json["done"] is False
    mine = sim.new_port_session("127.0.0.1:40001", FakeConn(), "smtp")
    mine.open()
    mine.feed(f"EHLO {name}\r\n".encode())
    answer = check(web, "real-ehlo").json
    assert answer["done"] is True, answer


def test_a_real_port_check_without_a_session_names_the_personal_name(web):
    answer = check(web, "real-ehlo").json
    assert answer["done"] is False and personal_name(LEARNER) in answer["feedback"][0]


def test_an_unknown_task_is_a_clear_json_404(web):
    answer = check(web, "nope")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "unknown_task"


# ---------------------------------------------------------------------- name
def test_a_display_name_is_saved_as_text(web, sim):
    answer = web.post("/api/learner/name", json={"name": "  <b>Ann</b>  "})
    assert answer.json == {"ok": True, "name": "<b>Ann</b>"}
    assert web.post("/api/learner/name", json={"name": "x" * 61}).status_code == 400
    assert web.post("/api/learner/name", json={"name": 5}).status_code == 400
    assert web.post("/api/learner/name", json={"name": ""}).json == {"ok": True, "name": None}


def test_a_lesson_file_dropped_in_appears_without_a_restart(web, lessons_dir):
    text = (lessons_dir / "en" / "03-connection-establishment.md").read_text(encoding="utf-8")
    for lang in ("en", "ru"):
        (lessons_dir / lang / "04-more.md").write_text(text.replace("refuse-greeting", "again"), encoding="utf-8")
    assert web.post("/api/lessons/more/steps/1/seen", json={}).status_code == 200


# ------------------------------------------------------------------- restart
@pytest.mark.slow
def test_progress_survives_a_server_restart(tmp_path):
    """Steps seen, a task done and the display name are still there after `mailsim serve` restarts."""
    import json
    import urllib.request

    from conftest import start_server

    cookie = {"Cookie": f"{LEARNER_COOKIE}={LEARNER}", "Content-Type": "application/json"}

    def post(server, path, body):
        req = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), headers=cookie,
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    server = start_server(tmp_path)
    try:
        assert post(server, "/api/lessons/connection-establishment/steps/1/seen", {})["ok"]
        assert post(server, "/api/lessons/connection-establishment/steps/2/seen", {})["ok"]
        assert post(server, "/api/learner/name", {"name": "Ann"})["name"] == "Ann"
        answer = post(server, "/api/lessons/reply-codes/tasks/first-digit/check", {"answer": 2})
        assert answer["done"] is True and answer["lesson"]["done"] == 1
    finally:
        server.stop()
    server = start_server(tmp_path)  # the same data folder
    try:
        again = post(server, "/api/lessons/connection-establishment/steps/1/seen", {})["lesson"]
        assert again["seen"] == 2  # step 1 and step 2, from before the restart
        codes = post(server, "/api/lessons/reply-codes/steps/1/seen", {})["lesson"]
        assert codes["done"] == 1  # the task done before the restart
        wrong = post(server, "/api/lessons/reply-codes/tasks/first-digit/check", {"answer": 1})
        assert wrong["done"] is False and wrong["attempts"] == 2 and wrong["lesson"]["done"] == 1
    finally:
        server.stop()


# ----------------------------------------------------------- show me (questions)
def test_show_me_for_a_question_gives_the_answer_and_why_only_when_asked(web):
    page = web.get("/lessons/connection-establishment/2").get_data(as_text=True)
    assert "is transient." not in page  # neither the explanation nor which choice is right
    answer = web.post("/api/lessons/connection-establishment/tasks/retry-452/reveal", json={})
    assert answer.json == {"ok": True, "answer": 1, "choice": "Yes, later", "explain": "`4yz` is transient.",
                           "explain_html": "<code>4yz</code> is transient."}


def test_show_me_needs_a_question_and_json_from_this_site(web):
    url = "/api/lessons/connection-establishment/tasks/{}/reveal"
    assert web.post(url.format("refuse-greeting"), json={}).status_code == 404  # no question: its lab shows it
    assert web.post(url.format("nope"), json={}).status_code == 404
    assert web.post(url.format("retry-452"), json={}, headers={"Origin": "http://evil.example"}).status_code == 403


def test_a_question_only_task_offers_show_me_without_the_answer_in_the_page(sim):
    """The shipped lesson 2, step 2: a question with no lab gets a Show me that asks the server."""
    from simulator.course.lessons import load_course
    web = create_app({"TESTING": True}, simulator=sim).test_client()
    task = load_course().get("reply-codes", "en").task("first-digit")
    page = web.get("/lessons/reply-codes/2").get_data(as_text=True)
    assert "/tasks/first-digit/reveal" in page
    assert task.question.explain not in page
    answer = web.post("/api/lessons/reply-codes/tasks/first-digit/reveal", json={}).json
    assert answer["answer"] == task.question.answer and answer["explain"] == task.question.explain


def test_a_body_too_large_is_refused_in_the_learners_language(app):
    ru = app.test_client()
    ru.set_cookie(LEARNER_COOKIE, LEARNER)
    big = {"name": "x" * (20 * 1024)}
    answer = ru.post("/api/learner/name", json=big, headers={"Accept-Language": "ru"})
    assert answer.status_code == 413
    assert answer.get_json() == {"ok": False, "error": {"code": "too_large", "message": "Запрос слишком велик."}}


def shipped(sim):
    """A client of the app serving the shipped lessons."""
    client = create_app({"TESTING": True}, simulator=sim).test_client()
    client.set_cookie(LEARNER_COOKIE, LEARNER)
    return client


def test_show_me_on_a_question_means_a_right_answer_after_it_does_not_count(sim):
    """The shipped lesson 2: a question revealed by "show me" is confirmed but not done, even after a reload."""
    from simulator.course.lessons import load_course
    web = shipped(sim)
    task = load_course().get("reply-codes", "en").task("first-digit")
    url = "/api/lessons/reply-codes/tasks/first-digit/"
    assert web.post(url + "reveal", json={}).json["answer"] == task.question.answer
    answer = web.post(url + "check", json={"answer": task.question.answer}).json
    assert answer["done"] is False and answer["revealed"] is True and answer["heading"] == "revealed"
    assert answer["explain"] == task.question.explain  # still told it is right, and why
    assert "does not count" in answer["feedback"][-1]
    assert answer["lesson"]["done"] == 0
    page = web.get("/lessons/reply-codes/2").get_data(as_text=True)
    assert 'data-task="first-digit"' in page and "ls-task is-done" not in page


def test_a_question_done_before_show_me_stays_done(sim):
    from simulator.course.lessons import load_course
    web = shipped(sim)
    url = "/api/lessons/reply-codes/tasks/first-digit/"
    right = load_course().get("reply-codes", "en").task("first-digit").question.answer
    assert web.post(url + "check", json={"answer": right}).json["done"] is True
    web.post(url + "reveal", json={})
    again = web.post(url + "check", json={"answer": right}).json
    assert again["done"] is True and again["revealed"] is False and again["lesson"]["done"] == 1


def test_a_journey_widget_opens_the_journey_page_at_the_part_its_caption_names(sim):
    """Lesson 6's quota bounce: the embedded journey page opens at the run, not at the four figures on top."""
    page = shipped(sim).get("/lessons/when-things-go-wrong/1").get_data(as_text=True)
    page += "".join(shipped(sim).get(f"/lessons/when-things-go-wrong/{n}").get_data(as_text=True) for n in range(2, 6))
    assert 'src="/journey?embed=1&amp;preset=mailbox_full&amp;at=run"' in page


def test_lesson_1_step_5_has_one_lab_the_task_s(sim):
    page = shipped(sim).get("/lessons/how-email-travels/5").get_data(as_text=True)
    assert page.count("<iframe") == 1 and 'id="task-envelope-not-header-lab"' in page
