"""The Live page in a real Chromium, while real mail clients talk to the real SMTP port."""
from __future__ import annotations

import json
import re
import smtplib

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
expect.set_options(timeout=15000)


def open_live(page: Page, server) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.emulate_media(reduced_motion="reduce")
    page.goto(server.url + "/live")
    expect(page.locator("#conn-status")).to_have_attribute("data-status", "connected")
    return errors


def send_mail(server, subject: str, to: str = "bob@example.org") -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
        smtp.sendmail("alice@example.org", [to], f"Subject: {subject}\r\n\r\nHello from the test.\r\n")


def test_a_mail_sent_with_smtplib_appears_and_animates(page: Page, mailsim_server):
    errors = open_live(page, mailsim_server)
    expect(page.locator(".howto")).to_contain_text(f"telnet 127.0.0.1 {mailsim_server.smtp_port}")

    before = page.locator(".session-item").count()
    send_mail(mailsim_server, "Live one")

    expect(page.locator(".session-item")).to_have_count(before + 1)
    row = page.locator(".session-item").first
    expect(row).to_contain_text("127.0.0.1:")
    expect(row).to_have_attribute("aria-pressed", "true")  # followed: new sessions are selected
    expect(row.locator(".state-chip")).to_have_attribute("data-state", "closed")
    expect(row).to_contain_text(re.compile(r"· (1[0-9]|[2-9][0-9]) exchanges"))

    view = page.locator("#session-view")
    expect(view.locator(".dg-ex.dg-k-reply", has_text="250 OK: queued")).to_be_visible()
    expect(view.locator(".dg-ex.dg-k-reply", has_text="221")).to_be_visible()
    view.locator(".dg-ex.dg-k-reply", has_text="221").click()
    expect(page.locator("#explain-panel .explain-code")).to_have_text("221")
    assert errors == []


def test_an_earlier_session_loads_from_its_history(page: Page, mailsim_server):
    send_mail(mailsim_server, "Before the page")
    open_live(page, mailsim_server)
    page.locator("#follow").uncheck()
    expect(page.locator(".session-item").first).to_be_visible()

    send_mail(mailsim_server, "While watching")
    rows = page.locator(".session-item")
    expect(rows.first.locator(".state-chip")).to_have_attribute("data-state", "closed")
    expect(rows.first).to_have_attribute("aria-pressed", "false")  # not followed
    count = int(re.search(r"(\d+) exchanges", rows.first.inner_text()).group(1))

    rows.first.click()
    expect(rows.first).to_have_attribute("aria-pressed", "true")
    view = page.locator("#session-view")
    expect(view.locator(".dg-ex")).to_have_count(count)
    expect(view.locator(".dg-ex.dg-k-data", has_text="While watching")).to_be_visible()


def test_the_real_ports_fault_plan_is_edited_and_used(page: Page, mailsim_server):
    open_live(page, mailsim_server)
    try:
        page.locator("#faults-panel details summary").click()
        plan = {"seed": 0, "rules": [{"stage": "RCPT", "match": "nobody@*", "reply": 550}]}
        page.fill("#fault-json", json.dumps(plan))
        page.locator("#faults-panel [data-part=apply]").click()
        expect(page.locator("#faults-panel [data-part=status]")).to_contain_text("1 rule")

        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send_mail(mailsim_server, "Refused", to="nobody@example.org")
        flagged = page.locator("#session-view .dg-ex.dg-faulted", has_text="550")
        expect(flagged).to_be_visible()
        flagged.click()
        expect(page.locator("#explain-panel .explain-fault")).to_contain_text("Made by fault rule 1")
    finally:
        page.locator("#faults-panel [data-part=clear]").click()
        expect(page.locator("#faults-panel [data-part=status]")).to_contain_text("no faults")


def test_a_401_asks_for_the_teacher_key_and_sends_it(page: Page, mailsim_server):
    """A server open to other machines wants the key: the page asks for it and retries."""
    seen: list[str | None] = []

    def guard(route):
        if route.request.method == "GET":
            route.continue_()
            return
        auth = route.request.headers.get("authorization")
        seen.append(auth)
        if auth != "Bearer sesame":
            route.fulfill(status=401, content_type="application/json",
                          body=json.dumps({"error": {"code": "unauthorized", "message": "key needed"}}))
        else:
            route.fulfill(status=200, content_type="application/json", body=route.request.post_data or "{}")

    page.route("**/api/faults*", guard)
    open_live(page, mailsim_server)
    page.select_option("#fault-preset", "unknown_recipient")
    page.locator("#faults-panel [data-part=apply]").click()

    expect(page.locator("#faults-error")).to_contain_text("teacher key")
    key = page.locator("#teacher-key-input")
    expect(key).to_be_visible()
    expect(key).to_be_focused()
    key.fill("sesame")
    page.locator("#teacher-key button[type=submit]").click()
    expect(page.locator("#faults-panel [data-part=status]")).to_contain_text("1 rule")
    expect(page.locator("#teacher-key")).to_be_hidden()
    assert seen == [None, "Bearer sesame"]
