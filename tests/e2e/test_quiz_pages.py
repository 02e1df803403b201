"""The quiz pages in a real Chromium: practice, a test, a teacher's shared quiz, and axe-core.

The server is conftest's `mailsim_server` (one real `mailsim serve`); every
Playwright context is a new anonymous learner. The answer-leak rule is
checked as a learner would meet it: before an answer is sent, neither the
page nor any response the page received holds the explanation that comes
back with the verdict.
"""
from __future__ import annotations

import json
import re

import pytest
from axe_check import check_axe as axe
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
expect.set_options(timeout=15000)

# The page is waiting for the learner: a question to answer, a "next" to press, or the end.
READY = "#q-submit:visible:not([disabled]), #q-next:visible:not([disabled]), #quiz-end:visible"


def open_as(page: Page, server, lang: str) -> list[str]:
    """Set the language, reduce motion, and collect page errors (they should stay empty)."""
    errors: list[str] = []
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page.emulate_media(reduced_motion="reduce")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def start_from_home(page: Page, server, *, mode: str, count: int, minutes: int | None = None) -> None:
    page.goto(server.url + "/quizzes")
    if mode == "practice":
        page.fill("#practice-count", str(count))
        page.locator("#practice-form button[type=submit]").click()
    else:
        page.fill("#test-count", str(count))
        if minutes:
            page.check("#test-limit-on")
            page.fill("#test-minutes", str(minutes))
        page.locator("#test-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempt/[\w-]+$"))
    expect(page.locator("#quiz-question")).to_be_visible()


def choose(page: Page, n: int) -> None:
    """Answer the current question: the n-th choice, or for an order one item moved down by keyboard."""
    radios = page.locator("#q-form input[type=radio]")
    if radios.count():
        page.locator("#q-form .qz-choice label").nth(n % radios.count()).click()
        expect(radios.nth(n % radios.count())).to_be_checked()
    else:
        items = page.locator("#q-form .qz-order-item")
        first = items.first.get_attribute("data-key")
        items.first.focus()
        page.keyboard.press("Alt+ArrowDown")
        expect(items.nth(1)).to_have_attribute("data-key", first)
        expect(page.locator("#quiz-live")).not_to_be_empty()


def decoded(response) -> str:
    """A JSON response's content as text with its strings unescaped ("" when the body is gone)."""
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except Exception:  # noqa: BLE001 - a body the browser no longer holds, or not JSON
        return ""


def test_a_five_question_practice_in_russian_gives_feedback_each_time_and_a_score(page: Page, mailsim_server):
    errors = open_as(page, mailsim_server, "ru")
    responses: list = []
    page.on("response", lambda r: responses.append(r) if "/api/quizzes/" in r.url else None)
    start_from_home(page, mailsim_server, mode="practice", count=5)
    expect(page.locator("#quiz-mode")).to_have_text("Тренировка")
    feedback = page.locator("#q-feedback")
    seen = 0  # responses up to the last answer
    for n in range(5):
        expect(page.locator("#quiz-count")).to_have_text(f"Вопрос {n + 1} из 5")
        expect(page.locator("#q-submit")).to_be_enabled()
        expect(feedback).to_be_hidden()
        # Before answering: what the page shows and everything it was sent since the last answer.
        before_text = page.locator("body").inner_text()
        before = [decoded(r) for r in responses[seen:]]
        assert before and all('"explanation"' not in b and '"right' not in b for b in before), before
        choose(page, n)
        with page.expect_response(re.compile(r"/answer$")) as answered:
            page.locator("#q-submit").click()
        result = answered.value.json()
        seen = len(responses)

        expect(feedback).to_be_visible()
        expect(feedback.locator(".qz-fb-verdict")).to_have_text(re.compile(r"^[✔✖] (Верно!|Не совсем\.)$"))
        why = result["explanation"]
        assert len(why) > 20 and re.search("[А-Яа-яЁё]", why)
        longest = max(why.split("`"), key=len).strip()
        expect(feedback.locator(".qz-fb-why")).to_contain_text(longest)
        # The explanation reached the page only with the verdict: not in the page, not in any earlier answer.
        assert longest not in before_text
        assert all(why not in b for b in before)
        # Graded: the inputs are locked, and the server refuses a second answer.
        for control in page.locator("#q-form input, #q-form button").all():
            expect(control).to_be_disabled()
        again = page.evaluate("""async (n) => {
            const id = location.pathname.split('/').pop();
            const r = await fetch(`/api/quizzes/attempts/${id}/answer`, {method: 'POST',
                headers: {'Content-Type': 'application/json'}, body: JSON.stringify({position: n, response: 'x'})});
            return [r.status, (await r.json()).error.code];
        }""", n)
        assert again == [409, "already_answered" if n < 4 else "finished"]  # the last answer ends the attempt
        expect(page.locator("#quiz-score")).to_contain_text("Пока верно:")
        page.locator("#q-next").click()

    end = page.locator("#quiz-end")
    expect(end).to_be_visible()
    expect(page.locator("#quiz-end-score")).to_have_text(re.compile(r"^Верно [0-5] из 5 \(\d+\s?%\)$"))
    expect(page.locator("#quiz-review > li")).to_have_count(5)
    assert errors == []


def test_a_test_in_english_says_nothing_until_the_end_then_the_score(page: Page, mailsim_server):
    errors = open_as(page, mailsim_server, "en")
    start_from_home(page, mailsim_server, mode="test", count=5, minutes=10)
    expect(page.locator("#quiz-mode")).to_have_text("Test")
    expect(page.locator("#quiz-timer")).to_be_visible()
    expect(page.locator("#quiz-timer-text")).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    expect(page.locator("#q-submit")).to_have_text("Save and continue")
    for n in range(5):
        expect(page.locator("#quiz-count")).to_have_text(f"Question {n + 1} of 5")
        expect(page.locator("#q-submit")).to_be_enabled()
        choose(page, n + 1)
        page.locator("#q-submit").click()
        # No verdict, no explanation, no running score in a test.
        expect(page.locator("#q-feedback")).to_be_hidden()
        expect(page.locator("#quiz-score")).to_be_hidden()
        expect(page.locator(".qz-choice.is-right, .qz-choice.is-wrong")).to_have_count(0)
    expect(page.locator("#quiz-end")).to_be_visible()
    expect(page.locator("#quiz-end-score")).to_have_text(re.compile(r"^[0-5] of 5 right \(\d+%\)$"))
    expect(page.locator("#quiz-timer")).to_be_hidden()
    items = page.locator("#quiz-review > li")
    expect(items).to_have_count(5)
    expect(items.first.locator(".qz-review-why")).not_to_be_empty()

    page.goto(mailsim_server.url + "/quizzes/me")
    expect(page.locator("#history-table tbody tr")).to_have_count(1)
    expect(page.locator("#history-table tbody tr").first).to_contain_text("Finished")
    expect(page.locator("#mastery-chart .qz-bar-row").first).to_be_visible()
    assert errors == []


def test_a_time_limit_counts_down_says_one_minute_left_and_ends_the_test(page: Page, mailsim_server):
    errors = open_as(page, mailsim_server, "en")
    page.clock.install()
    start_from_home(page, mailsim_server, mode="test", count=5, minutes=2)
    timer = page.locator("#quiz-timer")
    expect(timer).to_be_visible()
    expect(page.locator("#quiz-timer-text")).to_have_text(re.compile(r"^(2:00|1:5\d)$"))
    expect(page.locator("#quiz-timer-text")).to_have_attribute("role", "timer")
    live = page.locator("#quiz-timer-live")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_be_empty()  # two minutes left: nothing said yet
    choose(page, 0)
    page.locator("#q-submit").click()
    expect(page.locator("#quiz-count")).to_have_text("Question 2 of 5")
    page.clock.run_for(62_000)
    expect(live).to_have_text("One minute left.")
    expect(timer).to_have_attribute("data-urgency", "high")
    page.clock.run_for(60_000)
    expect(page.locator("#quiz-end")).to_be_visible()
    expect(page.locator("#quiz-end-note")).to_contain_text("The time ran out")
    expect(page.locator("#quiz-end-score")).to_have_text(re.compile(r"^[01] of 5 right"))
    expect(page.locator("#quiz-review .is-skipped")).to_have_count(4)
    assert errors == []


def take_shared(browser: Browser, server, link: str, lang: str, pick: int, name: str = "",
                shown: list | None = None) -> str:
    """One learner (a browser context of their own) takes a shared quiz, giving ``name``; returns the score line.

    The questions the server sent (their public forms, in the order shown) are added to ``shown``."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors = open_as(page, server, lang)
        questions: list = []

        def keep(response):
            if re.search(r"/api/quizzes/attempts/[\w-]+$", response.url):
                try:
                    question = response.json().get("question")
                except Exception:  # noqa: BLE001 - a body the browser no longer holds
                    return
                if question and question["id"] not in [q["id"] for q in questions]:
                    questions.append(question)

        page.on("response", keep)
        page.goto(link)
        if page.locator("#shared-name").get_attribute("required") is not None:
            page.locator("#shared-form button[type=submit]").click()  # a name is required: said, not started
            expect(page.locator("#shared-error")).to_be_visible()
            expect(page.locator("#shared-name")).to_have_attribute("aria-invalid", "true")
        page.fill("#shared-name", name)
        page.locator("#shared-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/quizzes/attempt/"))
        n = 0
        while True:
            page.wait_for_selector(READY)
            if page.locator("#quiz-end").is_visible():
                break
            if page.locator("#q-next").is_visible():
                page.locator("#q-next").click()
                continue
            choose(page, n + pick)
            n += 1
            page.locator("#q-submit").click()
        assert n == 3
        assert errors == []
        if shown is not None:
            shown.extend(questions)
        return page.locator("#quiz-end-score").inner_text()
    finally:
        context.close()


def test_a_teacher_composes_a_quiz_two_learners_take_it_and_the_results_show_both(page: Page, browser: Browser,
                                                                                   mailsim_server):
    errors = open_as(page, mailsim_server, "en")
    page.goto(mailsim_server.url + "/teacher/quizzes")
    expect(page).to_have_url(re.compile(r"/teacher\?next="))
    axe(page, "teacher key form")
    page.fill("#teacher-key-input", "not the key")
    page.locator(".qz-login-form button[type=submit]").click()
    expect(page.locator("#login-error")).to_be_visible()
    page.fill("#teacher-key-input", mailsim_server.teacher_key)
    page.locator(".qz-login-form button[type=submit]").click()
    expect(page.locator("#compose-form")).to_be_visible()

    title = "Week 3 <script>alert(1)</script>"
    page.fill("#quiz-title", title)
    page.check("#compose-form input[name=mode][value=test]")
    page.fill("#quiz-count-input", "3")
    page.fill("#quiz-seed", "42")
    expect(page.locator("#quiz-shuffle")).to_be_checked()  # shuffled per learner unless the teacher says not
    page.check("#quiz-require-name")
    page.locator("#compose-form button[type=submit]").click()
    share = page.locator("#quiz-share")
    expect(share).to_be_visible()
    share_url = page.locator("#quiz-share-url")
    expect(share_url).to_have_value(re.compile(r"/quizzes/q/[\w-]+$"))
    link = share_url.input_value()
    assert re.fullmatch(re.escape(mailsim_server.url) + r"/quizzes/q/[\w-]+", link)
    expect(page.locator("#quiz-list .qz-quiz-item").first.locator("h3")).to_have_text(title)
    expect(page.locator("#quiz-share-local")).to_contain_text("--host 0.0.0.0")  # a loopback-only server says so
    axe(page, "teacher compose, a quiz made")

    names = ["Ada Lovelace", "Борис"]
    shown: list[list] = [[], []]
    scores = [take_shared(browser, mailsim_server, link, "en", 0, names[0], shown[0]),
              take_shared(browser, mailsim_server, link, "ru", 1, names[1], shown[1])]
    assert len(shown[0]) == len(shown[1]) == 3
    assert sorted(q["id"] for q in shown[0]) == sorted(q["id"] for q in shown[1])  # the same questions...
    assert [[c["key"] for c in q["choices"]] for q in shown[0]] != [[c["key"] for c in q["choices"]] for q in shown[1]]
    assert re.fullmatch(r"[0-3] of 3 right \(\d+%\)", scores[0])
    assert re.fullmatch(r"Верно [0-3] из 3 \(\d+\s?%\)", scores[1])

    page.locator("#quiz-share-results").click()
    expect(page.locator("h1")).to_have_text(f"Results: {title}")
    rows = page.locator("#learners-table tbody tr")
    expect(rows).to_have_count(2)
    for row, score, name in zip(rows.all(), scores, names):
        n = re.search(r"(\d) (of|из) 3", score).group(1)
        expect(row.locator("th")).to_have_text(name)  # the names they gave, not "Learner 1, 2"
        expect(row.locator("td").nth(1)).to_contain_text(f"{n} of 3")
    expect(page.locator("#questions-table tbody tr")).to_have_count(3)
    expect(page.locator("#questions-table tbody tr").first).to_contain_text("of 2 right")
    for row in page.locator("#questions-table tbody tr").all():  # how many chose each choice: two answers each
        counts = [int(c) for c in row.locator(".qz-option-counts li").evaluate_all("(l) => l.map((e) => e.dataset.count)")]
        assert not counts or sum(counts) == 2
    expect(page.locator("#hardest-list li").first).to_be_visible()
    quiz_id = link.rsplit("/", 1)[1]
    expect(page.locator(f'a[href="/teacher/quizzes/{quiz_id}/results.csv"]')).to_be_visible()
    expect(page.locator(f'a[href="/teacher/quizzes/{quiz_id}/export.gift?lang=ru"]')).to_be_visible()
    csv = page.evaluate("async (u) => (await fetch(u)).text()", f"/teacher/quizzes/{quiz_id}/results.csv")
    assert csv.count("\r\n") == 3 and csv.startswith("learner,") and "\r\n\r\n" not in csv  # one table
    questions_csv = page.evaluate("async (u) => (await fetch(u)).text()", f"/teacher/quizzes/{quiz_id}/questions.csv")
    assert questions_csv.count("\r\n") == 4 and questions_csv.lstrip("\ufeff").startswith("question,")
    axe(page, "teacher results")

    # Results refresh by themselves: a third learner shows up without pressing Refresh.
    take_shared(browser, mailsim_server, link, "en", 2, "Third")
    expect(rows).to_have_count(3, timeout=20000)

    # The preview, then close (no new attempts), open again, and delete with a confirmation.
    page.goto(mailsim_server.url + f"/teacher/quizzes/{quiz_id}/preview")
    expect(page.locator(".qz-preview-item")).to_have_count(3)
    axe(page, "teacher preview")
    page.goto(mailsim_server.url + f"/teacher/quizzes/{quiz_id}")
    page.locator("#results-close").click()
    expect(page.locator("#results-closed")).to_be_visible()
    learner = browser.new_context()
    try:
        other = learner.new_page()
        other.goto(link)
        expect(other.locator("#shared-closed")).to_be_visible()
        expect(other.locator("#shared-form")).to_have_count(0)
    finally:
        learner.close()
    page.locator("#results-close").click()
    expect(page.locator("#results-closed")).to_be_hidden()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#results-delete").click()
    expect(page).to_have_url(re.compile(rf"/teacher/quizzes/{quiz_id}$"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#results-delete").click()
    expect(page).to_have_url(re.compile(r"/teacher/quizzes$"))
    expect(page.locator(f'#quiz-list [data-quiz="{quiz_id}"]')).to_have_count(0)
    assert errors == []


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_quiz_pages_have_no_serious_accessibility_violations(page: Page, mailsim_server, lang):
    errors = open_as(page, mailsim_server, lang)
    page.goto(mailsim_server.url + "/quizzes")
    expect(page.locator("#practice-form")).to_be_visible()
    axe(page, f"quiz home {lang}")

    # A predict question (the replay's diagram), then an order question, graded.
    page.evaluate("""async () => {
        const r = await fetch('/api/quizzes/attempts', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({mode: 'practice', types: ['predict', 'order'], count: 2})});
        location.assign((await r.json()).attempt.url);
    }""")
    expect(page.locator("#quiz-question")).to_be_visible()
    axe(page, f"taking a quiz {lang}, a question")
    for n in range(2):
        page.wait_for_selector(READY)
        if page.locator("#q-next").is_visible():
            page.locator("#q-next").click()
            page.wait_for_selector(READY)
        choose(page, n)
        page.locator("#q-submit").click()
        expect(page.locator("#q-feedback")).to_be_visible()
        axe(page, f"taking a quiz {lang}, question {n + 1} graded")
    page.locator("#q-next").click()
    expect(page.locator("#quiz-end")).to_be_visible()
    axe(page, f"taking a quiz {lang}, the end")

    page.goto(mailsim_server.url + "/quizzes/me")
    expect(page.locator("#mastery-chart .qz-bar-row").first).to_be_visible()
    page.locator("#mastery-table-box summary").click()
    axe(page, f"my progress {lang}")
    assert errors == []
