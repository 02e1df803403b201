"""The lessons in a real Chromium: a newcomer takes the course, does tasks in the embedded lab, and finds them kept.

Each test opens the real server (conftest's `mailsim_server`); every
Playwright page is a new browser context, so a new anonymous learner with no
progress. The tasks' texts (what the feedback says is missing) are read from
the shipped lesson files, so the tests follow the lessons' wording.
"""
from __future__ import annotations

import re

import pytest
from axe_check import check_axe
from playwright.sync_api import Page, expect

from simulator.course import lessons as lesson_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
expect.set_options(timeout=15000)

COURSE = lesson_data.load_course(lesson_data.DEFAULT_DIR)


def task_of(slug: str, task_id: str, lang: str):
    """(step number, task) of a shipped lesson's task."""
    lesson = COURSE.get(slug, lang)
    assert lesson is not None, slug
    for step in lesson.steps:
        for task in step.tasks:
            if task.id == task_id:
                return step.number, task
    raise AssertionError(f"{slug} has no task {task_id}")


def shown(text: str) -> str:
    """A lesson text as the page shows it: its inline Markdown rendered (`code` loses its backticks)."""
    import html
    return html.unescape(re.sub(r"<[^>]+>", "", lesson_data.render_inline(text)))


def start(page: Page, server, lang: str) -> list[str]:
    """A new learner in `lang` (reduced motion: the diagram's arrows land at once); page errors are collected."""
    errors: list[str] = []
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page.emulate_media(reduced_motion="reduce")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def task_box(page: Page, task_id: str):
    return page.locator(f"section.ls-task[data-task='{task_id}']")


def lab_of(page: Page, task_id: str):
    """The task's own embedded lab, once its first session has its greeting."""
    box = task_box(page, task_id)
    box.locator("iframe[data-part=lab]").scroll_into_view_if_needed()
    frame = page.frame_locator(f"#task-{task_id}-lab")
    expect(frame.locator("#console [data-part=state]")).not_to_have_attribute("data-state", re.compile("^(none|connecting)$"))
    return frame


def type_line(frame, line: str) -> None:
    box = frame.locator("#console-input")
    expect(box).to_be_enabled()
    box.fill(line)
    box.press("Enter")
    expect(box).to_have_value("")


def apply_preset(frame, preset: str) -> None:
    frame.locator("#fault-preset").select_option(preset)
    frame.locator("#faults-panel [data-part=apply]").click()
    expect(frame.locator("#faults-panel [data-part=error]")).to_be_hidden()


def card(page: Page, slug: str):
    return page.locator(f".ls-card[data-lesson='{slug}']")


def test_a_newcomer_does_lesson_3_in_russian_and_lesson_6_in_english_and_finds_both_kept(page: Page, mailsim_server):
    server = mailsim_server
    errors = start(page, server, "en")

    # The course: every lesson with an empty bar; the first is the one to take.
    page.goto(server.url + "/lessons")
    expect(page.locator("h1")).to_have_text("Lessons")
    expect(page.locator(".ls-card")).to_have_count(len(COURSE.ordered("en")))
    expect(card(page, "how-email-travels")).to_have_class(re.compile(r"\bis-next\b"))
    for slug in ("connection-establishment", "when-things-go-wrong"):
        expect(card(page, slug).locator("progress")).to_have_attribute("value", "0")

    # Lesson 3 in Russian: the language switch keeps the page; the card leads to the first step.
    page.locator("[data-lang-link][lang=ru]").click()
    expect(page.locator("h1")).to_have_text("Уроки")
    card(page, "connection-establishment").locator("h3 a").click()
    expect(page).to_have_url(re.compile(r"/lessons/connection-establishment/1$"))
    expect(page.locator("#lesson-progress")).not_to_have_attribute("value", "0")  # step 1 seen

    n, task = task_of("connection-establishment", "refuse-greeting", "ru")
    page.locator(f".ls-steps a[href$='/connection-establishment/{n}']").click()
    expect(page).to_have_url(re.compile(rf"/lessons/connection-establishment/{n}$"))
    expect(page.locator(".ls-steps a[aria-current=step]")).to_contain_text(COURSE.get("connection-establishment", "ru").steps[n - 1].title)
    box = task_box(page, "refuse-greeting")
    expect(box.locator("[data-part=chip]")).to_have_text("Ещё не выполнено")

    # Hints come one at a time.
    hints = box.locator("[data-part=hints] li")
    expect(hints.first).to_be_hidden()
    box.locator("[data-part=hint]").click()
    expect(hints.nth(0)).to_be_visible()
    expect(hints.nth(1)).to_be_hidden()

    # A check before doing anything: the feedback names what is missing, not "try again".
    lab = lab_of(page, "refuse-greeting")
    box.locator("[data-part=check]").click()
    feedback = box.locator("[data-part=feedback]")
    expect(feedback).to_contain_text(task.expects[0].text)
    expect(box.locator("[data-part=chip]")).to_have_text("Ещё не выполнено")
    expect(box.locator("[data-part=attempts]")).to_have_text("Проверок: 1")

    # In the embedded lab: a preset that refuses the greeting, then a new session.
    apply_preset(lab, "server_not_ready")
    lab.locator("#btn-new").click()
    expect(lab.locator("#console .log-reply", has_text="421")).to_be_visible()
    box.locator("[data-part=check]").click()
    expect(box.locator("[data-part=chip]")).to_have_text("✓ Выполнено")
    expect(box).to_have_class(re.compile(r"\bis-done\b"))
    expect(feedback).to_contain_text("Задание выполнено!")
    expect(page.locator(f".ls-step-item[data-step='{n}']")).to_have_class(re.compile(r"\bis-finished\b"))

    # Lesson 6 in English.
    page.goto(server.url + "/lang/en?next=/lessons")
    expect(page.locator("h1")).to_have_text("Lessons")
    n6, task6 = task_of("when-things-go-wrong", "452-retry", "en")
    page.goto(server.url + f"/lessons/when-things-go-wrong/{n6}")
    box = task_box(page, "452-retry")
    lab = lab_of(page, "452-retry")
    # The visit is saved (and the bar moved for it) before the bar is read.
    expect(page.locator(f".ls-step-item[data-step='{n6}']")).to_have_class(re.compile(r"\bis-seen\b"))
    before = int(page.locator("#lesson-progress").get_attribute("value"))

    # A wrong attempt: a plain session and the wrong answer; both are named.
    type_line(lab, "EHLO me.example.net")
    box.locator("label", has_text="Bounce the message").click()
    box.locator("[data-part=check]").click()
    feedback = box.locator("[data-part=feedback]")
    expect(feedback).to_contain_text(shown(task6.expects[0].text))
    # The first choice's own explanation, its Markdown rendered like the hints (no raw backticks).
    expect(feedback).to_contain_text(shown(task6.question.why_wrong[0]))
    expect(feedback.locator("li")).not_to_contain_text(["`"])
    expect(box.locator("[data-part=chip]")).to_have_text("Not done yet")

    # Now a 452 for the second recipient, and the right answer.
    apply_preset(lab, "insufficient_storage")
    lab.locator("#btn-new").click()
    expect(lab.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted")
    for line in ["EHLO me.example.net", "MAIL FROM:<you@example.net>", "RCPT TO:<alice@example.org>",
                 "RCPT TO:<bob@example.org>"]:
        type_line(lab, line)
    expect(lab.locator("#console .log-reply", has_text="452")).to_be_visible()
    box.locator("label", has_text="Keep the message queued").click()
    box.locator("[data-part=check]").click()
    expect(box.locator("[data-part=chip]")).to_have_text("✓ Done")
    expect(feedback).to_contain_text(shown(task6.question.explain))
    after = int(page.locator("#lesson-progress").get_attribute("value"))
    assert after > before

    # Reload: both tasks are still done, and the course's bars have moved.
    page.reload()
    expect(task_box(page, "452-retry").locator("[data-part=chip]")).to_have_text("✓ Done")
    page.goto(server.url + f"/lessons/connection-establishment/{n}")
    expect(task_box(page, "refuse-greeting").locator("[data-part=chip]")).to_have_text("✓ Done")
    page.goto(server.url + "/lessons")
    for slug in ("connection-establishment", "when-things-go-wrong"):
        bar = card(page, slug).locator("progress")
        assert int(bar.get_attribute("value")) > 0, slug
        expect(card(page, slug).locator(".ls-card-counts")).to_contain_text("tasks done: 1 of")
    # The lesson begun first and not finished is the one to continue.
    expect(page.locator(".ls-card.is-next")).to_have_attribute("data-lesson", "connection-establishment")
    assert errors == []


def test_show_me_plays_the_solution_in_the_lab_and_does_not_count(page: Page, mailsim_server):
    errors = start(page, mailsim_server, "en")
    n, task = task_of("connection-establishment", "refuse-greeting", "en")
    page.goto(mailsim_server.url + f"/lessons/connection-establishment/{n}")
    box = task_box(page, "refuse-greeting")
    lab_of(page, "refuse-greeting")

    box.locator("[data-part=show]").click()
    expect(box.locator("[data-part=show]")).to_have_attribute("aria-expanded", "true")
    expect(box.locator("[data-part=solution-note]")).to_contain_text("does not count")
    frame = page.frame_locator("#task-refuse-greeting-lab")
    expect(frame.locator("#lab-notice")).to_contain_text("reference solution")
    expect(frame.locator("#console .log-reply", has_text="421")).to_be_visible()
    # The fault panel shows the plan the solution runs with.
    expect(frame.locator("#fault-preset")).to_have_value("server_not_ready")

    box.locator("[data-part=check]").click()
    expect(box.locator("[data-part=feedback]")).to_contain_text(shown(task.expects[0].text))
    expect(box.locator("[data-part=chip]")).to_have_text("Not done yet")

    # Back to the learner's own lab: a fresh session, no solution.
    box.locator("[data-part=show]").click()
    expect(frame.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted")
    expect(frame.locator("#lab-notice")).to_have_count(0)
    assert errors == []


def test_keyboard_moves_between_steps_and_the_url_keeps_the_place(page: Page, mailsim_server):
    start(page, mailsim_server, "en")
    base = mailsim_server.url + "/lessons/connection-establishment"
    page.goto(base + "/2")
    expect(page.locator(".ls-steps a[aria-current=step]")).to_have_attribute("href", re.compile(r"/2$"))
    def press(key: str, lands_on: int) -> None:
        page.locator("h1").click()  # focus on the page, not in a field
        page.keyboard.press(key)
        expect(page).to_have_url(re.compile(rf"/connection-establishment/{lands_on}$"))
        page.wait_for_load_state()  # the new page's keys are listened to once its script has run

    press("ArrowRight", 3)
    press("k", 2)
    press("j", 3)
    press("ArrowLeft", 2)

    # In a radio group the arrows choose an answer, not a step.
    n, _ = task_of("connection-establishment", "helo-argument", "en")
    page.goto(f"{base}/{n}")
    page.locator("#task-helo-argument-c1").check()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    expect(page).to_have_url(re.compile(rf"/connection-establishment/{n}$"))

    # A reload keeps the step; the first step has no previous one.
    page.reload()
    expect(page).to_have_url(re.compile(rf"/connection-establishment/{n}$"))
    page.goto(base + "/1")
    expect(page.locator(".ls-pager .ls-prev")).to_have_count(0)
    page.locator("h1").click()
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(300)
    expect(page).to_have_url(re.compile(r"/connection-establishment/1$"))


def test_the_display_name_is_text_and_is_kept(page: Page, mailsim_server):
    start(page, mailsim_server, "en")
    page.goto(mailsim_server.url + "/lessons")
    hello = page.locator("#learner-hello")
    expect(hello).to_be_hidden()
    page.fill("#learner-name", "<b>Ann</b>")
    page.locator("#name-form button[type=submit]").click()
    expect(hello).to_have_text("Hello, <b>Ann</b>!")
    expect(hello.locator("b")).to_have_count(0)
    expect(page.locator("#name-status")).to_have_text("Your name is saved.")
    page.reload()
    expect(page.locator("#learner-hello")).to_have_text("Hello, <b>Ann</b>!")
    expect(page.locator("#learner-name")).to_have_value("<b>Ann</b>")
    page.fill("#learner-name", "")
    page.locator("#name-form button[type=submit]").click()
    expect(page.locator("#learner-hello")).to_be_hidden()


def test_the_glossary_filters_and_links_to_a_term(page: Page, mailsim_server):
    start(page, mailsim_server, "ru")
    page.goto(mailsim_server.url + "/lessons/glossary#reply")
    reply = page.locator(".gl-term#reply")
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("отклик")
    total = page.locator(".gl-term").count()
    assert total == len(COURSE.glossary)
    page.fill("#glossary-filter", "Отклик")
    expect(page.locator(".gl-term:visible")).not_to_have_count(total)
    expect(reply).to_be_visible()
    expect(page.locator("#glossary-count")).to_contain_text(f"из {total}")
    page.fill("#glossary-filter", "zzzz-nothing")
    expect(page.locator(".gl-term:visible")).to_have_count(0)
    expect(page.locator("#glossary-none")).to_contain_text("zzzz-nothing")
    page.press("#glossary-filter", "Escape")
    expect(page.locator(".gl-term:visible")).to_have_count(total)


def test_embedded_pages_have_no_site_frame_and_links_leave_to_the_top(page: Page, mailsim_server):
    start(page, mailsim_server, "en")
    page.goto(mailsim_server.url + "/?embed=1&focus=faults")
    expect(page.locator("body")).to_have_class(re.compile(r"\bembedded\b"))
    expect(page.locator("main")).to_have_count(1)
    for gone in (".site-header", ".site-footer", ".skip-link", "#btn-share", "#btn-presenter", ".proto-switch"):
        expect(page.locator(gone)).to_have_count(0)
    expect(page.locator("base")).to_have_attribute("target", "_top")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted")
    expect(page.locator("#faults-panel")).to_be_in_viewport()
    # The plain lab keeps its frame.
    page.goto(mailsim_server.url + "/")
    expect(page.locator(".site-nav a", has_text="Lessons")).to_have_attribute("href", "/lessons")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_lesson_pages_have_no_serious_violations(page: Page, mailsim_server, lang):
    start(page, mailsim_server, lang)
    page.goto(mailsim_server.url + "/lessons")
    check_axe(page, f"course {lang}")

    n, _ = task_of("connection-establishment", "refuse-greeting", lang)
    page.goto(mailsim_server.url + f"/lessons/connection-establishment/{n}")
    box = task_box(page, "refuse-greeting")
    lab_of(page, "refuse-greeting")
    box.locator("[data-part=hint]").click()
    box.locator("[data-part=check]").click()
    expect(box.locator("[data-part=feedback]")).not_to_be_empty()
    check_axe(page, f"lesson step with a task {lang}")

    page.goto(mailsim_server.url + "/lessons/connection-establishment/2")  # a codes table
    expect(page.locator("table.ls-codes")).to_be_visible()
    check_axe(page, f"lesson step with a table {lang}")

    page.goto(mailsim_server.url + "/lessons/glossary")
    check_axe(page, f"glossary {lang}")


def test_a_question_answered_after_show_me_is_right_but_not_done(page: Page, mailsim_server):
    """Lesson 2's question: a wrong choice is told why under "Not quite"; after "Show me" the right one does not count."""
    errors = start(page, mailsim_server, "en")
    n, task = task_of("reply-codes", "first-digit", "en")
    page.goto(mailsim_server.url + f"/lessons/reply-codes/{n}")
    box = task_box(page, "first-digit")
    feedback = box.locator("[data-part=feedback]")
    wrong = 1 if task.question.answer != 1 else 2
    box.locator(f"label[for=task-first-digit-c{wrong}]").click()
    box.locator("[data-part=check]").click()
    expect(feedback.locator(".ls-fb-head")).to_have_text("Not quite:")
    expect(feedback).to_contain_text(shown(task.question.why_wrong[wrong - 1]))

    box.locator("[data-part=show]").click()
    expect(box.locator("[data-part=solution]")).to_contain_text(shown(task.question.explain))
    box.locator(f"label[for=task-first-digit-c{task.question.answer}]").click()
    box.locator("[data-part=check]").click()
    expect(feedback).to_contain_text("does not count")
    expect(box.locator("[data-part=chip]")).to_have_text("Not done yet")
    page.reload()
    expect(task_box(page, "first-digit").locator("[data-part=chip]")).to_have_text("Not done yet")
    assert errors == []


def test_an_embedded_journey_opens_at_the_run_its_caption_describes(page: Page, mailsim_server):
    """Lesson 6's quota bounce: the journey frame is scrolled to the run, not left at the four figures."""
    errors = start(page, mailsim_server, "en")
    lesson = COURSE.get("when-things-go-wrong", "en")
    n = next(s.number for s in lesson.steps for b in s.blocks
             if isinstance(b, lesson_data.Widget) and b.fields.get("preset") == "mailbox_full")
    page.goto(mailsim_server.url + f"/lessons/when-things-go-wrong/{n}")
    frame_el = page.locator("iframe.ls-frame-journey[src*='mailbox_full']")
    frame_el.scroll_into_view_if_needed()
    top = page.evaluate("() => window.scrollY")
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_selector(".jr-run")
    frame.wait_for_function("() => window.scrollY > 200")
    run_top = frame.evaluate("() => document.querySelector('.jr-run').getBoundingClientRect().top")
    assert -20 <= run_top <= 40, run_top
    assert abs(page.evaluate("() => window.scrollY") - top) < 2  # the lesson itself did not jump
    assert errors == []
