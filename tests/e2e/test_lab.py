"""The lab page in a real Chromium, as a learner and a teacher use it.

Each test opens the lab on the real server (conftest's `mailsim_server`),
types into the console or clicks what a person would click, and checks what
is on the screen: arrows in the diagram, the explanation, the transcript.
"""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
# The player animates arrow by arrow (0.7 s each at 1×): the tests play at 8× (see `fast`).
expect.set_options(timeout=15000)


def fast(page: Page) -> None:
    """The player's fastest pace, 8× (the learner's own control): arrows land in ~0.1 s instead of 0.7 s each.

    What the tests check is where the arrows end up, not their pace (test_diagram.py covers the player).
    """
    page.locator("#session-view .dg-player select").select_option("8")


def open_lab(page: Page, server, path: str = "/", motion: str = "reduce") -> list[str]:
    """Open the lab and wait until its session greets; returns the page errors seen.

    Reduced motion by default: arrows land at once, which keeps the tests quick
    (the diagram's own tests cover the animation).
    """
    errors: list[str] = []
    page.emulate_media(reduced_motion=motion)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + path)
    fast(page)
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted", timeout=15000)
    return errors


def type_line(page: Page, line: str) -> None:
    box = page.locator("#console-input")
    expect(box).to_be_enabled()
    box.fill(line)
    box.press("Enter")
    expect(box).to_have_value("")


def reply_arrow(page: Page, text: str):
    return page.locator(".dg-ex.dg-k-reply", has_text=text)


def test_helo_draws_a_250_arrow_that_explains_itself(page: Page, mailsim_server):
    errors = open_lab(page, mailsim_server, motion="no-preference")
    type_line(page, "HELO client.example.net")

    arrow = reply_arrow(page, "250").last
    expect(arrow).to_be_visible()
    expect(arrow).to_have_class(re.compile(r"\bdg-c2\b"))
    expect(page.locator("#console .log-reply.reply-2xx", has_text="250")).to_be_visible()

    arrow.click()
    panel = page.locator("#explain-panel")
    expect(panel.locator(".explain-code")).to_have_text("250")
    expect(panel).to_contain_text("Positive completion")
    expect(panel).to_contain_text("HELO client.example.net")  # what it answers
    expect(panel).to_contain_text("RFC 5321")
    expect(panel).to_contain_text("Connection establishment")
    assert errors == []


def test_a_command_arrow_explains_the_verb(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    type_line(page, "TURN")
    page.locator(".dg-ex.dg-k-command", has_text="TURN").click()
    panel = page.locator("#explain-panel")
    expect(panel.locator(".explain-code")).to_have_text("TURN")
    expect(panel.locator(".tag-warn")).to_have_text("obsolete")
    expect(panel).to_contain_text("TURN")


def test_the_unknown_recipient_story_flags_the_550_and_names_its_rule(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    page.locator("[data-scenario=story_unknown_recipient]").click()

    flagged = page.locator(".dg-ex.dg-faulted", has_text="550")
    expect(flagged).to_be_visible(timeout=20000)
    expect(page.locator("#console .fault-badge").first).to_have_text("⚡ rule 1")
    # The fault panel shows the plan the story runs with.
    expect(page.locator("#fault-preset")).to_have_value("unknown_recipient")
    expect(page.locator("#faults-panel .rule")).to_have_count(1)

    flagged.click()
    why = page.locator("#explain-panel .explain-fault")
    expect(why).to_contain_text("Made by fault rule 1")
    expect(why).to_contain_text("at RCPT")
    expect(why).to_contain_text("nobody@*")
    expect(why).to_contain_text("would have answered")


def test_a_preset_applied_in_the_fault_panel_changes_the_next_reply(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    page.select_option("#fault-preset", "unknown_recipient")
    expect(page.locator("#faults-panel [data-part=story]")).to_be_visible()
    page.locator("#faults-panel [data-part=apply]").click()
    expect(page.locator("#faults-panel [data-part=status]")).to_contain_text("1 rule")

    for line in ["HELO client.example.net", "MAIL FROM:<alice@example.org>", "RCPT TO:<nobody@example.org>"]:
        type_line(page, line)
    expect(page.locator(".dg-ex.dg-faulted", has_text="550")).to_be_visible()


def test_a_bad_rule_is_refused_with_the_field_marked(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    page.locator("#faults-panel details summary").click()
    page.fill("#fault-json", json.dumps({"seed": 0, "rules": [{"stage": "greeting", "reply": 250}]}))
    page.locator("#faults-panel [data-part=apply]").click()
    error = page.locator("#faults-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("rules[0].reply")
    expect(page.locator("#faults-panel .rule [data-field=reply]")).to_have_attribute("aria-invalid", "true")


def test_russian_ui_and_russian_explanations(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    page.locator(".lang-switch a[lang=ru]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Лаборатория SMTP")
    expect(page.locator(".lang-switch a[aria-current=true]")).to_have_text("Русский")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted", timeout=15000)
    expect(page.locator("#console-title")).to_have_text("Консоль")

    type_line(page, "HELO client.example.net")
    reply_arrow(page, "250").last.click()
    panel = page.locator("#explain-panel")
    expect(panel).to_contain_text("Положительное завершение")
    expect(panel).to_contain_text("Что делать клиенту дальше")

    # The choice is remembered: the Live page comes in Russian too.
    page.goto(mailsim_server.url + "/live")
    expect(page.locator("h1")).to_have_text("Живые сеансы")


def test_presenter_mode_turns_on_and_off_from_the_keyboard(page: Page, mailsim_server):
    # Headless Chromium sometimes grants full screen and drops it a moment
    # later, which (like a teacher's Esc) ends presenter mode; full screen is
    # "where allowed", so this test checks the mode where it is not.
    page.add_init_script("Object.defineProperty(Document.prototype, 'fullscreenEnabled', {get: () => false})")
    open_lab(page, mailsim_server)
    type_line(page, "HELO client.example.net")
    reply_arrow(page, "250").last.click()

    page.locator("h1").click()  # focus out of the console: P is typed there otherwise
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(re.compile(r"\bpresenter\b"))
    expect(page.locator("#btn-presenter")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#console")).to_be_hidden()
    expect(page.locator("#faults-panel")).to_be_hidden()
    expect(page.locator("#explain-panel")).to_be_visible()
    expect(page.locator("#session-view")).to_be_visible()
    font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 20

    page.keyboard.press("Escape")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bpresenter\b"))
    expect(page.locator("#console")).to_be_visible()

    page.locator("#btn-presenter").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bpresenter\b"))
    page.locator("#btn-presenter").click()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bpresenter\b"))


ARROW_LABELS = "() => [...document.querySelectorAll('#session-view .dg-ex')].map(g => g.getAttribute('aria-label'))"


def test_exported_json_imports_as_the_identical_diagram(page: Page, mailsim_server, tmp_path):
    open_lab(page, mailsim_server)
    for line in ["HELO client.example.net", "MAIL FROM:<alice@example.org>", "RCPT TO:<nobody@example.org>", "NOOP"]:
        type_line(page, line)
    expect(reply_arrow(page, "250")).to_have_count(3)  # HELO, MAIL, NOOP
    expect(page.locator("#session-view .dg-ex")).to_have_count(10)
    before = page.evaluate(ARROW_LABELS)
    transcript_before = page.locator("#transcript [data-part=lines]").inner_text()

    with page.expect_download() as download:
        page.locator("[data-export=json]").click()
    saved = tmp_path / "session.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["format"] == "mailsim-transcript" and len(data["exchanges"]) == 10

    page.locator("#btn-new").click()
    expect(page.locator("#session-view .dg-ex")).to_have_count(2)  # connect and greeting of the new one

    page.locator("#transcript input[type=file]").set_input_files(str(saved))
    expect(page.locator("#transcript [data-part=status]")).to_contain_text("Imported 10 exchanges")
    expect(page.locator("#session-view .dg-ex")).to_have_count(10)
    assert page.evaluate(ARROW_LABELS) == before
    assert page.locator("#transcript [data-part=lines]").inner_text() == transcript_before

    # A file that is not a transcript is refused with a message, not a crash.
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    page.locator("#transcript input[type=file]").set_input_files(str(bad))
    expect(page.locator("#transcript [data-part=error]")).to_be_visible()
    expect(page.locator("#session-view .dg-ex")).to_have_count(10)


def test_a_share_link_restores_and_applies_the_fault_plan(page: Page, mailsim_server, context):
    open_lab(page, mailsim_server)
    page.select_option("#fault-preset", "unknown_recipient")
    page.locator("#faults-panel [data-part=apply]").click()
    expect(page.locator("#faults-panel [data-part=status]")).to_contain_text("1 rule")
    page.locator("#btn-share").click()
    share = page.locator("#share-url")
    expect(share).to_have_value(re.compile(r"#setup="))
    url = share.input_value()
    assert "#setup=" in url

    other = context.new_page()
    open_lab(other, mailsim_server, url.split(mailsim_server.url, 1)[1])
    expect(other.locator("#faults-panel .rule")).to_have_count(1)
    expect(other.locator("#faults-panel .rule [data-field=match]")).to_have_value("nobody@*")
    expect(other.locator("#fault-json")).to_have_value(re.compile(re.escape("nobody@*")))
    for line in ["HELO client.example.net", "MAIL FROM:<alice@example.org>", "RCPT TO:<nobody@example.org>"]:
        type_line(other, line)
    expect(other.locator(".dg-ex.dg-faulted", has_text="550")).to_be_visible()


def test_a_share_link_with_a_scenario_plays_it(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    page.locator("[data-scenario=fig_14_8_termination]").click()
    expect(reply_arrow(page, "221")).to_be_visible(timeout=20000)
    page.locator("#btn-share").click()
    share = page.locator("#share-url")
    expect(share).to_have_value(re.compile(r"#setup="))
    url = share.input_value()

    page.goto("about:blank")
    page.goto(url)
    fast(page)
    expect(reply_arrow(page, "221")).to_be_visible(timeout=20000)


def test_a_broken_share_link_says_so_and_the_lab_still_works(page: Page, mailsim_server):
    errors = open_lab(page, mailsim_server, "/#setup=not*base64")
    expect(page.locator("#lab-alert")).to_be_visible()
    expect(page.locator("#lab-alert")).to_contain_text("could not be used")
    type_line(page, "HELO client.example.net")
    expect(reply_arrow(page, "250")).to_be_visible()

    page.goto(mailsim_server.url + "/#setup=eyJmYXVsdHMiOiA0Mn0")  # {"faults": 42}
    expect(page.locator("#lab-alert")).to_contain_text("does not describe a lab set-up")
    assert errors == []


def test_a_message_is_typed_in_the_data_box_and_delivered(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    for line in ["HELO client.example.net", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>", "DATA"]:
        type_line(page, line)

    message = page.locator("#data-input")
    expect(message).to_be_visible()
    expect(message).to_be_focused()
    expect(page.locator("#console-input")).to_be_hidden()
    assert "To: bob@example.org" in message.input_value()  # drafted from the envelope
    message.fill("Subject: Lab test\n\nFirst line\n.starts with a dot\nLast line")
    page.locator("[data-part=data-send]").click()

    expect(reply_arrow(page, "250 OK: queued")).to_be_visible()
    expect(page.locator("#console-input")).to_be_visible()
    lines = page.locator("#transcript [data-part=lines]").inner_text()
    assert "C: Subject: Lab test" in lines
    assert "C: ..starts with a dot" in lines  # dot-stuffed on the wire
    assert re.search(r"^C: \.$", lines, re.M)  # the line that ends the message
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "ready")


def test_hostile_input_is_shown_as_text(page: Page, mailsim_server):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_lab(page, mailsim_server)
    hostile = "<img src=x onerror=alert(1)>"
    type_line(page, hostile)

    expect(reply_arrow(page, "500")).to_be_visible()
    expect(page.locator("#console .log-client .log-text")).to_have_text(hostile)
    assert hostile in page.locator("#transcript [data-part=lines]").inner_text()
    reply_arrow(page, "500").click()
    expect(page.locator("#explain-panel")).to_contain_text(hostile)
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def test_the_console_completes_and_remembers(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    box = page.locator("#console-input")
    box.fill("RC")
    box.press("Tab")
    expect(box).to_have_value("RCPT TO:<")
    box.type("b")
    box.press("Tab")
    expect(box).to_have_value("RCPT TO:<bob@example.org>")
    box.fill("HELO client.example.net")
    box.press("Enter")
    expect(box).to_have_value("")
    box.press("ArrowUp")
    expect(box).to_have_value("HELO client.example.net")


def test_closing_the_connection_and_opening_a_new_session(page: Page, mailsim_server):
    open_lab(page, mailsim_server)
    page.locator("#btn-close").click()
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "closed")
    expect(page.locator("#console-input")).to_be_disabled()
    page.locator("#btn-new").click()
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted", timeout=15000)
    type_line(page, "NOOP")
    expect(reply_arrow(page, "250")).to_be_visible()


def in_view(page: Page, selector: str) -> bool:
    """Whether most of the element (or the screen's height of it) is inside the viewport."""
    return page.evaluate("""(sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        const seen = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
        return seen >= Math.min(r.height, innerHeight) * 0.5;
    }""", selector)


def test_at_laptop_sizes_the_explanation_and_the_diagram_come_into_view(page: Page, mailsim_server):
    """Issue 11: at 1366 x 768 a click on an arrow shows its explanation where the learner looks,
    a click on a scenario shows its diagram; narrower, the explanation is scrolled into view."""
    page.set_viewport_size({"width": 1366, "height": 768})
    errors = open_lab(page, mailsim_server)
    scenario = page.locator("[data-scenario=fig_14_7_transfer]")
    scenario.scroll_into_view_if_needed()  # below the fold, under the console
    assert not in_view(page, "#session-view .dg-region")
    scenario.click()
    expect(page.locator("#session-view .dg-readout")).to_have_text("exchange 14 / 14")
    page.wait_for_function("() => { const r = document.querySelector('#session-view .dg-region').getBoundingClientRect();"
                           " return r.top >= 0 && r.top < innerHeight / 2; }")
    # The page scrolled far down still shows the explanation beside the clicked arrow.
    page.locator("#session-view .dg-ex[data-seq='6']").click()
    expect(page.locator("#explain-panel .explain-code")).to_be_visible()
    assert in_view(page, "#explain-panel")
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(100)
    assert in_view(page, "#explain-panel"), "sticky beside the diagram"

    page.set_viewport_size({"width": 1024, "height": 700})  # two columns: the explanation is under the console
    page.evaluate("window.scrollTo(0, 0)")
    arrow = page.locator("#session-view .dg-ex[data-seq='8']")
    arrow.scroll_into_view_if_needed()
    arrow.click()
    expect(page.locator("#explain-panel .explain-body")).to_contain_text("RCPT")
    page.wait_for_function("""() => { const r = document.querySelector('#explain-panel').getBoundingClientRect();
        return Math.min(r.bottom, innerHeight) - Math.max(r.top, 0) >= Math.min(r.height, innerHeight) * 0.5; }""")
    assert errors == []


@pytest.mark.parametrize("size", [(390, 844), (360, 740)])
def test_the_lab_does_not_scroll_sideways_on_a_phone(page: Page, mailsim_server, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_lab(page, mailsim_server)
    page.locator("[data-scenario=fig_14_7_transfer]").click()
    expect(page.locator("#session-view .dg-readout")).to_have_text("exchange 14 / 14")
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest('.dg-scroll, .transcript-lines')
                       && e.checkVisibility())
        .map((e) => e.localName + '.' + e.className).slice(0, 5)""")
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    # the diagram fits its own box too: both lifelines on screen, no sideways scroll inside
    box = page.evaluate("""() => { const s = document.querySelector('#session-view .dg-scroll');
        return [s.scrollWidth, s.clientWidth]; }""")
    assert box[0] <= box[1] + 1, box
