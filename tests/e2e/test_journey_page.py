"""The journey page in a real Chromium: the message plays across, hops open their diagrams, in both languages.

Each test opens /journey on the real server (conftest's `mailsim_server`),
picks what a learner picks and checks what is on the screen: the hops as
they arrive, the simulated clock, the timeline, the bounce in Carol's
mailbox, one hop's sequence diagram. axe-core checks the page too.

Not named test_journey.py: tests/test_journey.py has that basename, and the
two would collide when the whole suite is collected.
"""
from __future__ import annotations

import re

import pytest
from axe_check import check_axe
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
expect.set_options(timeout=15000)



def open_journey(page: Page, server, lang: str = "en", motion: str = "reduce") -> list[str]:
    errors: list[str] = []
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page.emulate_media(reduced_motion=motion)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/journey")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#jr-preset option[value=greylisting]")).to_have_count(1)
    return errors


def send(page: Page, preset: str, read: str = "pop3") -> None:
    page.select_option("#jr-preset", preset)
    page.check(f"input[name=read][value={read}]")
    page.click("#jr-send")
    expect(page.locator("#jr-hops li")).not_to_have_count(0)


def to_the_end(page: Page) -> None:
    page.locator("#jr-player button").nth(4).click()


def test_the_four_architectures_are_drawn_with_the_lectures_labels(page: Page, mailsim_server):
    errors = open_journey(page, mailsim_server)
    figures = page.locator(".jr-fig")
    expect(figures).to_have_count(4)
    expect(figures.nth(0)).to_contain_text("UA")
    expect(figures.nth(1)).to_contain_text("MTA client")
    expect(figures.nth(3)).to_contain_text("MAA server")
    expect(figures.nth(3)).to_contain_text("MAA client")
    expect(figures.nth(3).locator("figcaption")).to_contain_text("POP3 or IMAP4")
    expect(page.locator(".site-nav a[aria-current=page]")).to_have_text("Journey")
    assert errors == []


def test_the_happy_path_plays_hop_by_hop_and_a_hop_opens_its_diagram(page: Page, mailsim_server):
    errors = open_journey(page, mailsim_server, motion="no-preference")
    page.select_option("#jr-speed", "2")
    send(page, "happy_path")
    hops = page.locator("#jr-hops li")
    expect(hops).to_have_count(5)
    # It plays: the first hop has arrived, the last not yet, and the envelope moves.
    expect(hops.nth(0)).to_be_visible()
    expect(hops.nth(4)).to_be_hidden()
    envelope = page.locator("#jr-envelope")
    first = envelope.get_attribute("transform")
    expect(envelope).not_to_have_attribute("transform", first)  # it moves (waits for the move, no fixed sleep)
    expect(page.locator("#jr-status")).to_have_text("The message is in Bob's mailbox and Bob has read it.",
                                                  timeout=30000)
    expect(hops.nth(4)).to_be_visible()
    expect(page.locator("#jr-clock")).to_have_text(re.compile(r"^\+0:02:0\d$"))
    expect(page.locator("#jr-bob-state")).to_contain_text("INBOX")

    relay = page.locator(".jr-hop-btn", has_text="Relay")
    expect(relay).to_contain_text("250")
    relay.click()
    panel = page.locator("#jr-hop")
    expect(panel).to_be_visible()
    expect(panel.locator("#jr-hop-title")).to_contain_text("Relay")
    expect(panel.locator("#jr-hop-explain")).to_contain_text("port 25")
    arrows = panel.locator(".dg-ex")
    expect(arrows.first).to_be_visible()
    assert arrows.count() >= 10
    expect(panel.locator(".dg-head")).to_contain_text("mx.example.org:25")
    panel.locator(".dg-ex.dg-k-reply", has_text="queued as").click()
    expect(panel.locator("#jr-explain .explain-code")).to_have_text("250")
    assert errors == []


def test_a_hop_opens_from_the_keyboard(page: Page, mailsim_server):
    open_journey(page, mailsim_server)
    send(page, "happy_path", read="imap")
    to_the_end(page)
    button = page.locator(".jr-hop-btn").last
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#jr-hop-title")).to_contain_text("Reading")
    expect(page.locator("#jr-hop-title")).to_be_focused()
    expect(page.locator("#jr-hop .dg-ex", has_text="SEARCH").first).to_be_visible()


def test_in_russian_greylisting_shows_the_retry(page: Page, mailsim_server):
    errors = open_journey(page, mailsim_server, lang="ru")
    send(page, "greylisting")
    to_the_end(page)
    hops = page.locator("#jr-hops li")
    expect(hops).to_have_count(7)
    expect(page.locator(".jr-hop-btn", has_text="Пересылка, попытка 1")).to_contain_text("450")
    expect(page.locator(".jr-hop-btn", has_text="Пересылка, попытка 2")).to_contain_text("250")
    timeline = page.locator("#jr-timeline")
    expect(timeline).to_contain_text("попытка 2 через 5 мин")
    expect(timeline).to_contain_text("Попытка 2: письмо снова выходит из очереди.")
    expect(timeline.locator("li.jr-ev-retry", has_text="Попытка 2")).to_contain_text("+0:05:0")
    expect(page.locator("#jr-status")).to_have_text("Письмо в ящике Боба, и Боб его прочитал.")
    # Stepping back to the wait shows the clock running through the five minutes.
    page.locator("#jr-player button").nth(0).click()
    for _ in range(4):
        page.locator("#jr-player button").nth(3).click()
    expect(page.locator("#jr-clock-note")).to_have_text("Ожидание в очереди: 5 мин до попытки 2")
    assert errors == []


def test_in_russian_an_unknown_recipient_bounces_into_carols_mailbox(page: Page, mailsim_server):
    errors = open_journey(page, mailsim_server, lang="ru")
    send(page, "unknown_recipient")
    to_the_end(page)
    expect(page.locator(".jr-hop-btn", has_text="Пересылка")).to_contain_text("550")
    bounce = page.locator("#jr-bounce")
    expect(bounce).to_be_visible()
    expect(bounce).to_contain_text("Пришло уведомление о недоставке")
    expect(bounce).to_contain_text("Final-Recipient: rfc822; bobb@example.org")
    expect(bounce).to_contain_text("Status: 5.1.1")
    expect(bounce).to_contain_text("Diagnostic-Code: smtp; 550 <bobb@example.org>: User unknown")
    expect(bounce).to_contain_text("Ваше письмо не удалось доставить получателю <bobb@example.org>.")
    expect(page.locator("#jr-bob-state")).to_have_text("Письмо сюда так и не пришло.")
    expect(page.locator("#jr-status")).to_contain_text("уведомление о недоставке")
    assert errors == []


def test_relay_denied_stops_at_submission(page: Page, mailsim_server):
    open_journey(page, mailsim_server)
    send(page, "relay_denied")
    to_the_end(page)
    expect(page.locator("#jr-hops li")).to_have_count(1)
    expect(page.locator(".jr-hop-btn")).to_contain_text("550 5.7.1")
    expect(page.locator("#jr-carol-empty")).to_contain_text("showed her the error")
    expect(page.locator(".jr-relay-note")).to_contain_text("open relay")


def test_free_form_faults_and_a_bad_one(page: Page, mailsim_server):
    open_journey(page, mailsim_server)
    page.locator("#jr-custom summary").click()
    page.select_option("#jr-f-relay-stage", "DATA_END")
    page.select_option("#jr-f-relay-action", "reply:554")
    expect(page.locator("#jr-preset")).to_have_value("__custom__")
    page.click("#jr-send")
    to_the_end(page)
    expect(page.locator(".jr-hop-btn", has_text="Relay")).to_contain_text("554")
    expect(page.locator("#jr-bounce")).to_contain_text("Status: 5.6.0")
    # A greeting may only be 220, 421 or 554: the server says so, and nothing runs.
    page.select_option("#jr-f-submit-stage", "greeting")
    page.select_option("#jr-f-submit-action", "reply:450")
    page.click("#jr-send")
    expect(page.locator("#jr-error")).to_contain_text("faults.submit.rules[0].reply")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_journey_page_has_no_serious_violations(page: Page, mailsim_server, lang):
    open_journey(page, mailsim_server, lang=lang)
    check_axe(page, f"journey {lang}, fresh")
    send(page, "unknown_recipient", read="imap")
    to_the_end(page)
    page.locator(".jr-hop-btn").nth(2).click()
    expect(page.locator("#jr-hop .dg-ex").first).to_be_visible()
    page.locator("#jr-custom summary").click()
    check_axe(page, f"journey {lang}, bounced, a hop open")


def test_presenter_mode_on_the_journey_page(page: Page, mailsim_server):
    """Issue 11: the Journey page has presenter mode too (P or the button): large type, and a hop's
    diagram drawn in presenter metrics with its labels clear of each other."""
    page.set_viewport_size({"width": 1366, "height": 768})
    errors = open_journey(page, mailsim_server)
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(re.compile(r"\bpresenter\b"))
    expect(page.locator("#btn-presenter")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".site-header")).to_be_hidden()
    assert page.evaluate("parseFloat(document.documentElement.style.fontSize)") >= 20
    send(page, "happy_path")
    to_the_end(page)
    page.locator(".jr-hop-btn", has_text="Relay").click()
    panel = page.locator("#jr-hop")
    expect(panel.locator(".dg-presenting")).to_have_count(1)
    expect(panel.locator(".dg-ex").first).to_be_visible()
    sizes = page.evaluate("""() => [...document.querySelectorAll('#jr-hop .dg-body .dg-label')].filter((e) => e.checkVisibility())
        .map((e) => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a)""")
    assert sizes and min(sizes) >= 20
    page.keyboard.press("Escape")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bpresenter\b"))
    expect(panel.locator(".dg-presenting")).to_have_count(0)
    assert errors == []
