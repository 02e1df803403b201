"""The quizzes' web side (simulator/web/quizview.py) through Flask's test client.

The flow runs on a Simulator's real store (a file in a temporary folder) with
the small question bank of tests/quizkit.py and a clock the tests move.
"""
from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import TEACHER_KEY as KEY
from quizkit import ALICE, BOB, Clock, FakeBank, right_response, wrong_response  # noqa: F401

from simulator.app import Simulator
from simulator.quiz.attempts import GRACE, Quizzes
from simulator.web import LEARNER_COOKIE, create_app
from simulator.web.quiz import TEACHER_COOKIE


@pytest.fixture
def sim(sim, clock, bank):
    """The common MailSim, with quizzes over a small bank and a clock the test moves."""
    sim.quizzes = Quizzes(sim.store, clock=clock, bank=bank)
    return sim


def client(app, learner=ALICE, lang="en"):
    c = app.test_client()
    c.set_cookie(LEARNER_COOKIE, learner)
    c.set_cookie("lang", lang)
    return c


@pytest.fixture
def web(app):
    return client(app)


@pytest.fixture
def teacher(app):
    c = client(app, "learner-teacher-0123456789")
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {KEY}"
    return c


def start(web, **body):
    answer = web.post("/api/quizzes/attempts", json=body)
    assert answer.status_code == 200, answer.json
    return answer.json["attempt"]


def seed_of(sim, attempt_id):
    return sim.store.read(lambda db: db.execute("SELECT seed FROM quiz_attempts WHERE id = ?",
                                                (attempt_id,)).fetchone()[0])


def answer_current(web, sim, bank, attempt_id, right=True):
    state = web.get(f"/api/quizzes/attempts/{attempt_id}").json
    q = bank.questions[state["question"]["id"]]
    seed = seed_of(sim, attempt_id)
    response = right_response(q, seed, sim.quizzes.keys) if right else wrong_response(q, seed, sim.quizzes.keys)
    return web.post(f"/api/quizzes/attempts/{attempt_id}/answer",
                    json={"position": state["position"], "response": response}), q


# ------------------------------------------------------------------ taking
def test_a_practice_quiz_from_start_to_finish(web, sim, bank):
    attempt = start(web, mode="practice", protocols=["smtp"], count=3)
    assert attempt["url"] == f"/quizzes/attempt/{attempt['id']}" and attempt["total"] == 3
    assert web.get(attempt["url"]).status_code == 200
    verdicts = []
    for right in (True, False, True):
        answer, q = answer_current(web, sim, bank, attempt["id"], right)
        assert answer.status_code == 200 and answer.json["ok"] is True
        assert answer.json["correct"] is right and answer.json["explanation"].startswith("SECRET-EXPLANATION")
        assert answer.headers["Cache-Control"] == "no-store"
        verdicts.append(answer.json["next"])
    assert verdicts == [True, True, False]
    done = web.post(f"/api/quizzes/attempts/{attempt['id']}/finish", json={}).json
    assert (done["ok"], done["score"], done["total"]) == (True, 2, 3)


def test_a_test_mode_quiz_reveals_nothing_until_finish(web, sim, bank):
    attempt = start(web, mode="test", count=3, time_limit_s=600)
    assert attempt["deadline"] is not None
    for _ in range(3):
        answer, q = answer_current(web, sim, bank, attempt["id"])
        body = answer.get_data(as_text=True)
        assert answer.json["recorded"] is True
        assert "SECRET-EXPLANATION" not in body and '"right"' not in body and '"correct"' not in body
    done = web.post(f"/api/quizzes/attempts/{attempt['id']}/finish", json={}).json
    assert done["score"] == 3 and all("SECRET-EXPLANATION" in r["explanation"] for r in done["results"])


def test_review_through_the_api(web, sim, bank):
    refused = web.post("/api/quizzes/attempts", json={"mode": "review"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "nothing_to_review"
    attempt = start(web, mode="practice", protocols=["pop3"], count=2)
    answer_current(web, sim, bank, attempt["id"], right=False)
    me = web.get("/api/quizzes/me").json
    assert me["due"] == 1 and me["history"][0]["url"] == attempt["url"]
    assert any(m["level"] == "unknown" for m in me["mastery"]["codes"])
    review = start(web, mode="review")
    assert review["mode"] == "review" and review["total"] == 1


def test_the_server_enforces_the_time_limit(web, sim, bank, clock):
    attempt = start(web, mode="test", count=2, time_limit_s=30)
    state = web.get(f"/api/quizzes/attempts/{attempt['id']}").json
    clock.now += 30 + GRACE + 1
    q = bank.questions[state["question"]["id"]]
    late = web.post(f"/api/quizzes/attempts/{attempt['id']}/answer",
                    json={"position": 0, "response": right_response(q, seed_of(sim, attempt["id"]), sim.quizzes.keys)})
    assert late.status_code == 409 and late.json["error"]["code"] == "time_up"
    assert "time limit" in late.json["error"]["message"]
    state = web.get(f"/api/quizzes/attempts/{attempt['id']}").json
    assert state["attempt"]["finished"] is True and state["question"] is None


def test_an_answer_cannot_be_changed_once_graded(web, sim, bank):
    attempt = start(web, mode="practice", count=2)
    first, q = answer_current(web, sim, bank, attempt["id"], right=False)
    again = web.post(f"/api/quizzes/attempts/{attempt['id']}/answer",
                     json={"position": 0, "response": right_response(q, seed_of(sim, attempt["id"]), sim.quizzes.keys)})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_answered"
    done = web.post(f"/api/quizzes/attempts/{attempt['id']}/finish", json={}).json
    assert done["results"][0]["correct"] is False


def test_errors_are_in_the_learners_language(app, sim):
    ru = client(app, lang="ru")
    answer = ru.get("/api/quizzes/attempts/nope")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "unknown_attempt"
    assert answer.json["error"]["message"] == "Такой попытки прохождения теста нет."


# ------------------------------------------------------------ the leak rule
def _no_answer_in(text: str, q, seed: int, later_ids, secret) -> None:
    right = right_response(q, seed, secret)
    assert "SECRET-EXPLANATION" not in text and "ОБЪЯСНЕНИЕ" not in text
    for key in right if isinstance(right, list) else [right]:
        assert text.count(key) <= 1  # once, as a choice among the others
    for later in later_ids:
        assert json.dumps(later) not in text


@pytest.mark.parametrize("mode", ["practice", "test"])
def test_pages_and_api_never_hold_the_answer_before_it_is_given(app, sim, bank, mode):
    for pick in range(3):  # grade every choice: whichever is picked, nothing leaked before
        web = client(app, f"learner-leak-{mode}-{pick}-0123456789")
        attempt = start(web, mode=mode, protocols=["smtp"], count=5)
        ids = json.loads(sim.store.read(lambda db, aid=attempt["id"]: db.execute(
            "SELECT question_ids FROM quiz_attempts WHERE id = ?", (aid,)).fetchone()[0]))
        seed = seed_of(sim, attempt["id"])
        while True:
            page = web.get(attempt["url"]).get_data(as_text=True)
            api = web.get(f"/api/quizzes/attempts/{attempt['id']}")
            state = api.json
            if state["question"] is None:
                break
            q = bank.questions[state["question"]["id"]]
            position = state["position"]
            _no_answer_in(page, q, seed, ids, sim.quizzes.keys)
            assert q.id not in page  # the page holds no question at all
            _no_answer_in(api.get_data(as_text=True), q, seed, ids[position + 1:], sim.quizzes.keys)
            keys = [c["key"] for c in state["question"]["choices"]]
            response = keys[pick % len(keys)] if q.kind == "single" else keys[pick:] + keys[:pick]
            answer = web.post(f"/api/quizzes/attempts/{attempt['id']}/answer",
                              json={"position": position, "response": response})
            assert answer.status_code == 200
            if mode == "test":
                _no_answer_in(answer.get_data(as_text=True), q, seed, ids[position + 1:], sim.quizzes.keys)
            else:
                assert answer.json["correct"] == (response == right_response(q, seed, sim.quizzes.keys))
                for later in ids[position + 1:]:
                    assert json.dumps(later) not in answer.get_data(as_text=True)


# ----------------------------------------------------------- hostile input
@pytest.mark.parametrize("kwargs", [
    {"data": "not json", "content_type": "application/json"},
    {"data": "[1, 2]", "content_type": "application/json"},
    {"data": "{\"mode\": \"practice\"}", "content_type": "text/plain"},
    {"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"},
    {"data": b"\xff\xfe{}", "content_type": "application/json"},
])
def test_bad_json_is_a_clear_400(web, kwargs):
    answer = web.post("/api/quizzes/attempts", **kwargs)
    assert answer.status_code == 400 and answer.json["error"]["code"] == "not_json"
    assert answer.json["error"]["message"]


def test_huge_bodies_are_refused(web):
    answer = web.post("/api/quizzes/attempts", data=json.dumps({"mode": "practice", "x": "y" * 100_000}),
                      content_type="application/json")
    assert answer.status_code == 413 and answer.json["error"]["code"] == "too_large"


def test_cross_site_posts_are_refused(web):
    answer = web.post("/api/quizzes/attempts", json={"mode": "practice"}, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "cross_site"


@pytest.mark.parametrize("body, code", [
    ({"mode": "exam"}, "bad_mode"),
    ({}, "bad_mode"),
    ({"mode": "practice", "count": 10 ** 9}, "bad_count"),
    ({"mode": "practice", "count": "ten"}, "bad_count"),
    ({"mode": "practice", "protocols": "ftp"}, "bad_protocols"),
    ({"mode": "practice", "types": [{"a": 1}]}, "bad_types"),
    ({"mode": "practice", "codes": [[250]]}, "bad_codes"),
    ({"mode": "test", "time_limit_s": -5}, "bad_time_limit"),
    ({"mode": "practice", "quiz": ["x"]}, "unknown_quiz"),
    ({"mode": "practice", "quiz": "../../etc"}, "unknown_quiz"),
    ({"mode": "practice", "quiz": "nosuchquiz"}, "unknown_quiz"),
])
def test_bad_starts_get_clear_errors(web, body, code):
    answer = web.post("/api/quizzes/attempts", json=body)
    assert 400 <= answer.status_code < 500 and answer.json["error"]["code"] == code, answer.json
    assert answer.json["error"]["message"] and not answer.json["error"]["message"].startswith("quizapi.")


@pytest.mark.parametrize("body", [
    {}, {"position": "0", "response": "x"}, {"position": 0}, {"position": 0, "response": None},
    {"position": 0, "response": "k" * 5000}, {"position": 0, "response": ["a"] * 5000},
    {"position": 0, "response": {"$gt": ""}}, {"position": 10 ** 30, "response": "x"},
    {"position": -1, "response": "x"}, {"position": 0.5, "response": "x"}, {"position": 0, "response": [[[]]]},
])
def test_malformed_answers_get_clear_errors_and_change_nothing(web, body):
    attempt = start(web, mode="practice", count=2)
    answer = web.post(f"/api/quizzes/attempts/{attempt['id']}/answer", json=body)
    assert answer.status_code in (400, 409, 413) and answer.json["ok"] is False
    assert answer.json["error"]["code"] in ("bad_position", "bad_response", "not_current", "too_large")
    assert web.get(f"/api/quizzes/attempts/{attempt['id']}").json["attempt"]["answered"] == 0


def test_other_learners_attempts_are_off_limits(app, web, sim, bank):
    attempt = start(web, mode="practice", count=2)
    bob = client(app, BOB)
    for call in (lambda: bob.get(f"/api/quizzes/attempts/{attempt['id']}"),
                 lambda: bob.post(f"/api/quizzes/attempts/{attempt['id']}/answer", json={"position": 0, "response": "x"}),
                 lambda: bob.post(f"/api/quizzes/attempts/{attempt['id']}/finish", json={})):
        answer = call()
        assert answer.status_code == 403 and answer.json["error"]["code"] == "not_yours"
    assert bob.get(attempt["url"]).status_code == 404
    stranger = app.test_client()  # no cookie at all: a new learner
    assert stranger.get(f"/api/quizzes/attempts/{attempt['id']}").status_code == 403


@pytest.mark.parametrize("url", ["/api/quizzes/attempts/nope", "/api/quizzes/attempts/" + "x" * 300,
                                 "/api/quizzes/attempts/a%20b"])
def test_unknown_attempts_are_json_404(web, url):
    answer = web.get(url)
    assert answer.status_code == 404 and answer.json["ok"] is False


@pytest.mark.parametrize("url", ["/quizzes/attempt/nope", "/quizzes/q/nope", "/quizzes/q/" + "y" * 300])
def test_unknown_pages_are_404(web, url):
    assert web.get(url).status_code == 404


# ---------------------------------------------------------- learner pages
def test_the_learner_pages_render(web, sim, bank):
    home = web.get("/quizzes")
    assert home.status_code == 200
    quiz = sim.quizzes.create_quiz("Shared <b>one</b>", {"count": 3, "mode": "test", "time_limit_s": 300})
    shared = web.get(f"/quizzes/q/{quiz['id']}")
    assert shared.status_code == 200 and "Shared &lt;b&gt;one&lt;/b&gt;" in shared.get_data(as_text=True)
    assert web.get("/quizzes/me").status_code == 200
    ru = web.get("/quizzes", headers={"Cookie": "lang=ru"})
    assert ru.status_code == 200


# ------------------------------------------------------------ the teacher
TEACHER_URLS = ["/teacher/quizzes", "/teacher/quizzes/{id}", "/teacher/quizzes/{id}/results.csv",
                "/teacher/quizzes/{id}/questions.csv", "/teacher/quizzes/{id}/preview",
                "/teacher/quizzes/{id}/export.gift", "/teacher/quizzes/{id}/export.xml"]


@pytest.fixture
def quiz(teacher):
    answer = teacher.post("/api/teacher/quizzes", json={"title": "Week 2", "protocols": ["smtp"], "count": 3,
                                                        "seed": 4, "mode": "practice", "shuffle": False})
    assert answer.status_code == 200, answer.json
    return answer.json["quiz"]


@pytest.mark.parametrize("url", TEACHER_URLS)
def test_teacher_pages_redirect_to_the_login_without_the_key(web, quiz, url):
    url = url.format(id=quiz["id"])
    answer = web.get(url)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/teacher?next=" + url.replace("?", "%3F"))


@pytest.mark.parametrize("url", TEACHER_URLS)
def test_teacher_pages_refuse_a_wrong_key(app, quiz, url):
    c = client(app)
    answer = c.get(url.format(id=quiz["id"]), headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401
    c.set_cookie(TEACHER_COOKIE, "forged")
    assert c.get(url.format(id=quiz["id"])).status_code == 302


def test_teacher_api_refuses_without_or_with_a_wrong_key(app, web, quiz):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + KEY},
                    {"Authorization": "Bearer " + KEY + "x"}):
        created = web.post("/api/teacher/quizzes", json={"title": "x"}, headers=headers)
        assert created.status_code == 401 and created.json["error"]["code"] == "unauthorized"
        results = web.get(f"/api/teacher/quizzes/{quiz['id']}/results", headers=headers)
        assert results.status_code == 401
        assert web.get("/api/teacher/quizzes", headers=headers).status_code == 401
        closed = web.post(f"/api/teacher/quizzes/{quiz['id']}/close", json={"closed": True}, headers=headers)
        assert closed.status_code == 401
        assert web.delete(f"/api/teacher/quizzes/{quiz['id']}", headers=headers).status_code == 401
    assert web.get(f"/quizzes/q/{quiz['id']}").status_code == 200  # neither closed nor deleted


def test_a_teacher_key_is_needed_even_on_loopback(app, sim):
    assert sim.loopback_only
    assert client(app).get("/teacher/quizzes").status_code == 302


def test_no_teacher_key_means_no_teacher(tmp_path):
    sim = Simulator(data_dir=tmp_path / "nokey")
    try:
        app = create_app({"TESTING": True}, simulator=sim)
        c = app.test_client()
        assert c.get("/teacher/quizzes", headers={"Authorization": "Bearer "}).status_code == 401
        login = c.post("/teacher", data={"key": ""})
        assert login.status_code == 401 and TEACHER_COOKIE not in login.headers.get("Set-Cookie", "")
    finally:
        sim.store.close()


def test_the_login_form_sets_an_httponly_strict_cookie(app):
    c = client(app)
    assert c.get("/teacher").status_code == 200
    wrong = c.post("/teacher", data={"key": "nope", "next": "/teacher/quizzes"})
    assert wrong.status_code == 401 and "teacher.key" in wrong.get_data(as_text=True)
    right = c.post("/teacher", data={"key": KEY, "next": "/teacher/quizzes"})
    assert right.status_code == 303 and right.headers["Location"] == "/teacher/quizzes"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith(TEACHER_COOKIE + "=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert KEY not in cookie  # derived from the key, not the key
    page = c.get("/teacher/quizzes")
    assert page.status_code == 200
    assert 'action="/teacher/logout"' in page.get_data(as_text=True)  # the page offers to sign out
    assert c.get("/teacher").status_code == 302  # already in: on to the quizzes
    c.post("/teacher/logout")
    assert c.get("/teacher/quizzes").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"])
def test_the_login_never_redirects_off_site(app, target):
    answer = client(app).post("/teacher", data={"key": KEY, "next": target})
    assert answer.headers["Location"] == "/teacher/quizzes"


def test_a_shared_quiz_without_shuffle_gives_everyone_the_same_questions(app, sim, bank, quiz):
    assert quiz["link"].endswith(f"/quizzes/q/{quiz['id']}") and quiz["count"] == 3
    shown = {}
    for learner in (ALICE, BOB):
        c = client(app, learner)
        attempt = start(c, quiz=quiz["id"])
        questions = []
        while (state := c.get(f"/api/quizzes/attempts/{attempt['id']}").json)["question"]:
            questions.append(state["question"])
            answer_current(c, sim, bank, attempt["id"])
        shown[learner] = questions
    assert shown[ALICE] == shown[BOB] and len(shown[ALICE]) == 3


def _two_learners_take(app, sim, bank, quiz):
    alice, bob = client(app, ALICE), client(app, BOB)
    bob.post("/api/learner/name", json={"name": "Боб"})
    for c, rights in ((alice, (True, True, True)), (bob, (True, False, False))):
        attempt = start(c, quiz=quiz["id"])
        for right in rights:
            answer_current(c, sim, bank, attempt["id"], right)


def test_results_show_both_learners_and_the_csv_parses(app, sim, bank, teacher, quiz):
    _two_learners_take(app, sim, bank, quiz)
    results = teacher.get(f"/api/teacher/quizzes/{quiz['id']}/results").json["results"]
    people = {p["name"]: p for p in results["learners"]}
    assert set(people) == {"Learner 1", "Боб"}
    assert (people["Learner 1"]["best"], people["Боб"]["best"]) == (3, 1)
    assert [q["answered"] for q in results["questions"]] == [2, 2, 2]
    rates = [h["rate"] for h in results["hardest"]]
    assert rates and rates == sorted(rates) and rates[0] < 1
    body = json.dumps(results)
    assert ALICE not in body and BOB not in body  # learners' cookies never shown
    download = teacher.get(f"/teacher/quizzes/{quiz['id']}/results.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    by_name = {r["learner"]: r for r in rows if r["learner"] in ("Learner 1", "Боб")}
    assert by_name["Learner 1"]["best_score"] == "3" and by_name["Боб"]["last_score"] == "1"
    assert [by_name["Боб"][f"q{n}"] for n in (1, 2, 3)] == ["1", "0", "0"]


def _csv_tables(text):
    """The rows of a CSV download, after checking it is one table: a header row, every row as wide, no blank row."""
    rows = list(csv.reader(io.StringIO(text)))
    assert rows and all(rows) and len({len(r) for r in rows}) == 1, rows
    return rows


def test_a_shuffled_quiz_gives_two_students_their_own_orders_and_shows_their_names(app, sim, bank, teacher):
    made = teacher.post("/api/teacher/quizzes", json={"title": "Shuffled", "protocols": ["smtp"],
                                                      "types": ["code_meaning"], "count": 5, "seed": 9}).json["quiz"]
    assert made["shuffle"] is True and made["require_name"] is False
    shown, names = {}, {ALICE: "Алиса", BOB: "Bob B."}
    for learner in (ALICE, BOB):
        c = client(app, learner)
        page = c.get(f"/quizzes/q/{made['id']}").get_data(as_text=True)
        assert 'id="shared-name"' in page and "shown to your teacher in this quiz" in page.lower()
        attempt = start(c, quiz=made["id"], name=names[learner])
        questions = []
        while (state := c.get(f"/api/quizzes/attempts/{attempt['id']}").json)["question"]:
            questions.append(state["question"])
            answer_current(c, sim, bank, attempt["id"])
        shown[learner] = questions
    assert sorted(q["id"] for q in shown[ALICE]) == sorted(q["id"] for q in shown[BOB])
    assert shown[ALICE] != shown[BOB]  # another order of questions or of choices (their keys differ per attempt)
    results = teacher.get(f"/api/teacher/quizzes/{made['id']}/results").json["results"]
    assert [p["name"] for p in results["learners"]] == ["Алиса", "Bob B."]
    assert all(q["rate"] == 1.0 and q["answered"] == 2 for q in results["questions"])
    for q in results["questions"]:  # the count of each choice: both chose the right one
        assert [o["count"] for o in q["options"] if o["right"]] == [2] and sum(o["count"] for o in q["options"]) == 2
    page = teacher.get(f"/teacher/quizzes/{made['id']}").get_data(as_text=True)
    assert "/questions.csv" in page and "/results.csv" in page and "/preview" in page


def test_the_shared_page_prefills_the_saved_name_and_a_quiz_may_require_one(app, sim, teacher):
    made = teacher.post("/api/teacher/quizzes", json={"title": "Named", "count": 2, "seed": 1,
                                                      "require_name": True}).json["quiz"]
    c = client(app, BOB)
    assert c.post("/api/learner/name", json={"name": "Боб"}).status_code == 200
    page = c.get(f"/quizzes/q/{made['id']}").get_data(as_text=True)
    assert 'value="Боб"' in page and 'data-require-name="true"' in page and " required" in page
    refused = c.post("/api/quizzes/attempts", json={"quiz": made["id"], "name": " "})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "name_required"
    assert "name" in refused.json["error"]["message"].lower()
    assert start(c, quiz=made["id"], name="Боб")["quiz"] == made["id"]
    lessons = c.get("/lessons").get_data(as_text=True)  # the name's hint there says where else it shows
    assert "shown to your teacher in the results of the quizzes" in lessons
    assert "Only for greeting you" not in lessons


def test_each_csv_is_one_table_with_a_header_row(app, sim, bank, teacher, quiz):
    _two_learners_take(app, sim, bank, quiz)
    learners = teacher.get(f"/teacher/quizzes/{quiz['id']}/results.csv")
    questions = teacher.get(f"/teacher/quizzes/{quiz['id']}/questions.csv")
    for download in (learners, questions):
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert "attachment" in download.headers["Content-Disposition"]
    assert "questions.csv" in questions.headers["Content-Disposition"]
    rows = _csv_tables(learners.get_data().decode("utf-8-sig"))
    assert rows[0][0] == "learner" and len(rows) == 3
    rows = _csv_tables(questions.get_data().decode("utf-8-sig"))
    assert rows[0][:3] == ["question", "id", "type"] and [r[0] for r in rows[1:]] == ["q1", "q2", "q3"]
    by_q = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_q["q1"]["answered"] == "2" and by_q["q1"]["choices"].count(": ") >= 2


def test_the_teacher_closes_reopens_and_deletes_a_quiz(app, sim, bank, teacher, quiz):
    _two_learners_take(app, sim, bank, quiz)
    closed = teacher.post(f"/api/teacher/quizzes/{quiz['id']}/close", json={"closed": True})
    assert closed.status_code == 200 and closed.json["quiz"]["closed"] is True
    learner = client(app, "learner-carol-0123456789")
    page = learner.get(f"/quizzes/q/{quiz['id']}").get_data(as_text=True)
    assert 'id="shared-closed"' in page and 'id="shared-form"' not in page
    refused = learner.post("/api/quizzes/attempts", json={"quiz": quiz["id"]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "quiz_closed"
    results = teacher.get(f"/api/teacher/quizzes/{quiz['id']}/results").json["results"]
    assert len(results["learners"]) == 2  # the attempts made are kept
    assert 'data-closed="true"' in teacher.get(f"/teacher/quizzes/{quiz['id']}").get_data(as_text=True)
    assert teacher.post(f"/api/teacher/quizzes/{quiz['id']}/close", json={"closed": False}).json["quiz"]["closed"] \
        is False
    assert start(learner, quiz=quiz["id"])["quiz"] == quiz["id"]
    bad = teacher.post(f"/api/teacher/quizzes/{quiz['id']}/close", json={"closed": "yes"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_closed"
    cross = teacher.delete(f"/api/teacher/quizzes/{quiz['id']}", headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    deleted = teacher.delete(f"/api/teacher/quizzes/{quiz['id']}")
    assert deleted.status_code == 200 and deleted.json["deleted"] == quiz["id"]
    assert teacher.get(f"/teacher/quizzes/{quiz['id']}").status_code == 404
    assert learner.get(f"/quizzes/q/{quiz['id']}").status_code == 404
    assert teacher.get("/api/teacher/quizzes").json["quizzes"] == []


def test_the_preview_shows_the_questions_and_answers_to_the_teacher_only(app, sim, bank, teacher, quiz):
    page = teacher.get(f"/teacher/quizzes/{quiz['id']}/preview")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for q in sim.quizzes.quiz_questions(quiz["id"]):
        assert q.explanation["en"] in text
        if q.kind == "single":
            assert q.choices[q.answer]["en"] in text
    assert text.count("is-right") == sum(q.kind == "single" for q in sim.quizzes.quiz_questions(quiz["id"]))
    assert client(app).get(f"/teacher/quizzes/{quiz['id']}/preview").status_code == 302


# ------------------------------------------------------- the public address
def _link(teacher, **kwargs):
    return teacher.get("/api/teacher/quizzes", **kwargs).json["quizzes"][0]["link"]


def test_a_loopback_only_server_links_to_itself_and_says_how_to_serve_a_class(teacher, quiz):
    assert _link(teacher) == f"http://localhost/quizzes/q/{quiz['id']}"
    for page in (teacher.get("/teacher/quizzes"), teacher.get(f"/teacher/quizzes/{quiz['id']}")):
        assert "--host 0.0.0.0" in page.get_data(as_text=True)
    teacher.set_cookie("lang", "ru")
    assert "только на этом компьютере" in teacher.get("/teacher/quizzes").get_data(as_text=True)


def test_an_explicit_public_url_comes_first(sim, teacher, quiz):
    sim.public_url = "https://mail.school.example/sim"
    headers = {"X-Forwarded-Host": "proxy.example"}
    assert _link(teacher, headers=headers) == f"https://mail.school.example/sim/quizzes/q/{quiz['id']}"
    assert "--host 0.0.0.0" not in teacher.get("/teacher/quizzes").get_data(as_text=True)


def test_a_proxy_on_this_machine_is_trusted_and_one_elsewhere_is_not(teacher, quiz):
    headers = {"X-Forwarded-Host": "mailsim.lan", "X-Forwarded-Proto": "https"}
    assert _link(teacher, headers=headers) == f"https://mailsim.lan/quizzes/q/{quiz['id']}"
    far = _link(teacher, headers=headers, environ_overrides={"REMOTE_ADDR": "192.168.1.50"})
    assert far == f"http://localhost/quizzes/q/{quiz['id']}"


def test_a_server_on_the_network_links_to_the_address_students_reach(sim, teacher, quiz, monkeypatch):
    from simulator.web import common
    sim.host = "192.168.1.20"  # bound to one address: that one, with the request's port
    assert _link(teacher, base_url="http://localhost:5000") == f"http://192.168.1.20:5000/quizzes/q/{quiz['id']}"
    sim.host = "0.0.0.0"  # every interface: the address the request came to, unless it was loopback
    assert _link(teacher, base_url="http://10.0.0.7:8080") == f"http://10.0.0.7:8080/quizzes/q/{quiz['id']}"
    monkeypatch.setattr(common, "_network_address", lambda: "10.0.0.7")
    assert _link(teacher, base_url="http://127.0.0.1:8080") == f"http://10.0.0.7:8080/quizzes/q/{quiz['id']}"
    assert "--host 0.0.0.0" not in teacher.get("/teacher/quizzes").get_data(as_text=True)
    monkeypatch.setattr(common, "_network_address", lambda: None)  # no network: what the browser used
    assert _link(teacher, base_url="http://127.0.0.1:8080") == f"http://127.0.0.1:8080/quizzes/q/{quiz['id']}"


@pytest.mark.parametrize("value, ok", [("http://192.168.1.20:5000/", "http://192.168.1.20:5000"),
                                       ("https://mail.school.example/sim", "https://mail.school.example/sim"),
                                       ("ftp://x", None), ("192.168.1.20:5000", None), ("http://:5000", None),
                                       ("http://x:99999", None)])
def test_mailsim_serve_takes_a_public_url(value, ok):
    from simulator.cli import build_parser
    if ok is None:
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", "--public-url", value])
    else:
        assert build_parser().parse_args(["serve", "--public-url", value]).public_url == ok


def test_the_results_page_renders_for_the_teacher(app, sim, bank, teacher, quiz):
    _two_learners_take(app, sim, bank, quiz)
    page = teacher.get(f"/teacher/quizzes/{quiz['id']}")
    assert page.status_code == 200 and "Week 2" in page.get_data(as_text=True)
    assert ALICE not in page.get_data(as_text=True)


def test_the_teacher_list_shows_quizzes_with_their_learners(app, sim, bank, teacher, quiz):
    _two_learners_take(app, sim, bank, quiz)
    listed = teacher.get("/api/teacher/quizzes").json["quizzes"]
    assert listed[0]["id"] == quiz["id"] and listed[0]["learners"] == 2
    page = teacher.get("/teacher/quizzes")
    assert page.status_code == 200 and "Week 2" in page.get_data(as_text=True)


@pytest.mark.parametrize("body, code", [
    ({"title": "x", "protocols": ["gopher"]}, "bad_protocols"),
    ({"title": "x", "count": 0}, "bad_count"),
    ({"title": "x", "seed": "one"}, "bad_seed"),
    ({"title": "x" * 1000}, "bad_title"),
    ({"title": "x", "mode": "test", "time_limit_s": 99999}, "bad_time_limit"),
    ({"title": "x", "codes": [999]}, "bad_codes"),
])
def test_teacher_quiz_specs_are_validated(teacher, body, code):
    answer = teacher.post("/api/teacher/quizzes", json=body)
    assert answer.status_code == 400 and answer.json["error"]["code"] == code


def test_unknown_quizzes_are_404_for_the_teacher(teacher):
    assert teacher.get("/api/teacher/quizzes/nope/results").status_code == 404
    assert teacher.get("/teacher/quizzes/nope").status_code == 404
    assert teacher.get("/teacher/quizzes/nope/results.csv").status_code == 404
    assert teacher.get("/teacher/quizzes/nope/questions.csv").status_code == 404
    assert teacher.get("/teacher/quizzes/nope/preview").status_code == 404
    assert teacher.post("/api/teacher/quizzes/nope/close", json={}).status_code == 404
    assert teacher.delete("/api/teacher/quizzes/nope").status_code == 404


@pytest.mark.parametrize("kind, mimetype", [("gift", "text/plain"), ("xml", "application/xml")])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_exports_download(teacher, quiz, kind, mimetype, lang):
    pytest.importorskip("simulator.quiz.export")
    answer = teacher.get(f"/teacher/quizzes/{quiz['id']}/export.{kind}?lang={lang}")
    assert answer.status_code == 200 and answer.mimetype == mimetype
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.get_data(as_text=True).strip()


def test_an_export_in_an_unknown_language_is_refused(teacher, quiz):
    answer = teacher.get(f"/teacher/quizzes/{quiz['id']}/export.gift?lang=fr")
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_lang"


# -------------------------------------------------------------- durability
def test_results_survive_a_restart(tmp_path, bank, clock):
    data = tmp_path / "data"
    sim = Simulator(data_dir=data, teacher_key=KEY)
    sim.quizzes = Quizzes(sim.store, clock=clock, bank=bank)
    app = create_app({"TESTING": True}, simulator=sim)
    web = client(app)
    attempt = start(web, mode="practice", count=3)
    answer_current(web, sim, bank, attempt["id"], right=True)
    answer_current(web, sim, bank, attempt["id"], right=False)
    before = web.get(f"/api/quizzes/attempts/{attempt['id']}").json
    sim.store.close()

    sim = Simulator(data_dir=data, teacher_key=KEY)
    sim.quizzes = Quizzes(sim.store, clock=clock, bank=bank)
    app = create_app({"TESTING": True}, simulator=sim)
    web = client(app)
    try:
        after = web.get(f"/api/quizzes/attempts/{attempt['id']}").json
        assert after == before  # same question, same choice keys
        assert web.get("/api/quizzes/me").json["history"][0]["score"] == 1
        answer, _ = answer_current(web, sim, bank, attempt["id"], right=True)
        assert answer.status_code == 200 and answer.json["attempt"]["score"] == 2
    finally:
        sim.store.close()


def test_with_the_real_bank_no_explanation_or_later_question_leaks(tmp_path, clock):
    from simulator.quiz import bank as quiz_bank
    try:
        real = quiz_bank.bank()
    except Exception as exc:  # noqa: BLE001 - the bank is someone else's work in progress
        pytest.skip(f"the question bank is not ready: {exc}")
    sim = Simulator(data_dir=tmp_path / "real", teacher_key=KEY)
    sim.quizzes = Quizzes(sim.store, clock=clock)
    app = create_app({"TESTING": True}, simulator=sim)
    try:
        for lang in ("en", "ru"):
            web = client(app, f"learner-real-{lang}-0123456789", lang=lang)
            attempt = start(web, mode="test", count=20)
            ids = json.loads(sim.store.read(lambda db, aid=attempt["id"]: db.execute(
                "SELECT question_ids FROM quiz_attempts WHERE id = ?", (aid,)).fetchone()[0]))
            while (state := web.get(f"/api/quizzes/attempts/{attempt['id']}").json)["question"]:
                q = real[state["question"]["id"]]
                text = json.dumps(state, ensure_ascii=False)
                assert q.explanation[lang] not in text
                # (quoted: one id may be the start of another, "...:1" and "...:12")
                assert all(json.dumps(later) not in text for later in ids[state["position"] + 1:])
                if q.type == "predict":
                    assert state["question"]["replay"][-1]["from"] == "client"
                keys = [c["key"] for c in state["question"]["choices"]]
                response = keys[0] if q.kind == "single" else keys
                answer = web.post(f"/api/quizzes/attempts/{attempt['id']}/answer",
                                  json={"position": state["position"], "response": response})
                assert answer.status_code == 200 and q.explanation[lang] not in answer.get_data(as_text=True)
            done = web.post(f"/api/quizzes/attempts/{attempt['id']}/finish", json={}).json
            assert done["total"] == 20 and len(done["results"]) == 20
    finally:
        sim.store.close()
