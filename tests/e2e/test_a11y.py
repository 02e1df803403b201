"""axe-core on the lab and live pages, in both languages and in their busy states.

Fails on serious or critical violations; lesser ones are printed so they are
seen but do not block.
"""
from __future__ import annotations

import smtplib

import pytest
from axe_check import check_axe as check
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
expect.set_options(timeout=15000)



def use_language(page: Page, server, lang: str) -> None:
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_lab_has_no_serious_violations(page: Page, mailsim_server, lang):
    use_language(page, mailsim_server, lang)
    page.emulate_media(reduced_motion="reduce")
    page.goto(mailsim_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    state = page.locator("#console [data-part=state]")
    expect(state).to_have_attribute("data-state", "greeted")
    check(page, f"lab {lang}, fresh")
    # The player's fastest pace, 8× (the learner's own control): arrows land in ~0.1 s instead of 0.7 s each.
    page.locator("#session-view .dg-player select").select_option("8")

    # Busy: a fault-made reply selected, a rule in the editor, the share box open.
    page.select_option("#fault-preset", "unknown_recipient")
    page.locator("#faults-panel [data-part=apply]").click()
    for line in ["HELO client.example.net", "MAIL FROM:<alice@example.org>", "RCPT TO:<nobody@example.org>",
                 "RCPT TO:<bob@example.org>", "DATA"]:
        page.fill("#console-input", line)
        page.press("#console-input", "Enter")
        expect(page.locator("#console-input")).to_have_value("")
    expect(page.locator("#data-input")).to_be_visible()
    page.locator("#session-view .dg-ex.dg-faulted").click()
    page.locator("#faults-panel details summary").click()
    page.locator("#btn-share").click()
    check(page, f"lab {lang}, busy")

    page.locator("h1").click()
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class("page-lab presenter")
    page.wait_for_timeout(500)  # let the full-screen switch and re-layout settle before measuring
    check(page, f"lab {lang}, presenter mode")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_live_page_has_no_serious_violations(page: Page, mailsim_server, lang):
    use_language(page, mailsim_server, lang)
    page.emulate_media(reduced_motion="reduce")
    page.goto(mailsim_server.url + "/live")
    expect(page.locator("#conn-status")).to_have_attribute("data-status", "connected")
    check(page, f"live {lang}, waiting")
    page.locator("#session-view .dg-player select").select_option("8")  # the fastest pace: arrows land at once

    with smtplib.SMTP("127.0.0.1", mailsim_server.smtp_port, timeout=10) as smtp:
        smtp.sendmail("alice@example.org", ["bob@example.org"], "Subject: a11y\r\n\r\nHi\r\n")
    expect(page.locator("#session-view .dg-ex.dg-k-reply", has_text="221")).to_be_visible()
    page.locator("#session-view .dg-ex.dg-k-reply", has_text="221").click()
    check(page, f"live {lang}, with a session")

    # The teacher-key form, as a server open to other machines asks for it.
    page.route("**/api/faults*", lambda route: route.continue_() if route.request.method == "GET" else
               route.fulfill(status=401, content_type="application/json",
                             body='{"error": {"code": "unauthorized", "message": "key"}}'))
    page.select_option("#fault-preset", "unknown_recipient")
    page.locator("#faults-panel [data-part=apply]").click()
    expect(page.locator("#teacher-key")).to_be_visible()
    check(page, f"live {lang}, asking for the teacher key")
