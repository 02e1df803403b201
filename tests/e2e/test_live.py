"""The Live page in a real Chromium, while real mail clients talk to the real SMTP, POP3 and IMAP ports."""
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
    # The player's fastest pace, 8× (the teacher's own control): arrows land in ~0.1 s instead of 0.7 s each.
    page.locator("#session-view .dg-player select").select_option("8")
    return errors


def send_mail(server, subject: str, to: str = "bob@example.org") -> str:
    """Send one message over the real SMTP port; returns the client's address as the Live page shows it."""
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
        peer = "127.0.0.1:%d" % smtp.sock.getsockname()[1]
        smtp.sendmail("alice@example.org", [to], f"Subject: {subject}\r\n\r\nHello from the test.\r\n")
    return peer


def test_a_mail_sent_with_smtplib_appears_and_animates(page: Page, mailsim_server):
    errors = open_live(page, mailsim_server)
    expect(page.locator(".howto")).to_contain_text(f"telnet 127.0.0.1 {mailsim_server.smtp_port}")

    peer = send_mail(mailsim_server, "Live one")

    # Other tests' sessions may be listed too (the server is shared): find this one by its address.
    row = page.locator(".session-item", has_text=re.compile(re.escape(peer) + r"(?![0-9])"))
    expect(row).to_have_count(1)
    expect(page.locator(".session-item").first).to_contain_text(peer)  # the newest is on top
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

    peer = send_mail(mailsim_server, "While watching")
    rows = page.locator(".session-item")
    # The new session's own row (its row comes a moment after the mail; until then the first row is an older one).
    row = page.locator(".session-item", has_text=re.compile(re.escape(peer) + r"(?![0-9])"))
    expect(rows.first).to_contain_text(re.compile(re.escape(peer) + r"(?![0-9])"))  # the newest is on top
    expect(row.locator(".state-chip")).to_have_attribute("data-state", "closed")
    expect(row).to_have_attribute("aria-pressed", "false")  # not followed
    count = int(re.search(r"(\d+) exchanges", row.inner_text()).group(1))

    row.click()
    expect(row).to_have_attribute("aria-pressed", "true")
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


def test_poplib_and_imaplib_sessions_show_with_their_protocol(page: Page, mailsim_server):
    import poplib

    errors = open_live(page, mailsim_server)
    ports = page.locator("#ports-line")
    expect(ports).to_contain_text(f"SMTP 127.0.0.1:{mailsim_server.smtp_port}")
    expect(ports).to_contain_text(f"POP3 127.0.0.1:{mailsim_server.pop3_port}")
    expect(ports).to_contain_text(f"IMAP 127.0.0.1:{mailsim_server.imap_port}")
    expect(page.locator(".howto")).to_contain_text(f"telnet 127.0.0.1 {mailsim_server.pop3_port}")

    send_mail(mailsim_server, "For poplib")
    pop = poplib.POP3("127.0.0.1", mailsim_server.pop3_port, timeout=10)
    pop_peer = "127.0.0.1:%d" % pop.sock.getsockname()[1]
    pop.user("bob")
    pop.pass_("bob")
    count, _size = pop.stat()
    pop.retr(count)
    pop.quit()

    # This session's row, by its address (an older POP3 session's row may be listed before it comes).
    row = page.locator(".session-item[data-protocol=pop3]", has_text=re.compile(re.escape(pop_peer) + r"(?![0-9])"))
    expect(row.locator(".proto-badge")).to_have_text("POP3")
    expect(row).to_have_attribute("aria-pressed", "true")  # followed
    expect(row.locator(".state-chip")).to_have_attribute("data-state", "closed")
    view = page.locator("#session-view")
    expect(view.locator(".dg-head")).to_contain_text("POP3 server")
    expect(view.locator(".dg-band.dg-phase-authorization")).to_be_visible()
    expect(view.locator(".dg-band.dg-phase-update")).to_be_visible()
    retr = view.locator(".dg-ex.dg-k-reply", has_text="octets").last
    expect(retr).to_have_class(re.compile(r"\bdg-c2\b"))
    retr.click()
    expect(page.locator("#explain-panel .explain-code")).to_have_text("+OK")
    expect(page.locator("#explain-panel")).to_contain_text("RETR")

    pytest.importorskip("simulator.protocols.imap.engine")
    import imaplib

    imap = imaplib.IMAP4("127.0.0.1", mailsim_server.imap_port, timeout=10)
    imap_peer = "127.0.0.1:%d" % imap.sock.getsockname()[1]
    imap.login("bob", "bob")
    imap.select("INBOX")
    imap.search(None, "ALL")
    imap.logout()
    row = page.locator(".session-item[data-protocol=imap]", has_text=re.compile(re.escape(imap_peer) + r"(?![0-9])"))
    expect(row.locator(".proto-badge")).to_have_text("IMAP")
    expect(row.locator(".state-chip")).to_have_attribute("data-state", "closed")
    expect(view.locator(".dg-head")).to_contain_text("IMAP server")
    select = view.locator(".dg-ex.dg-k-reply", has_text="SELECT completed")
    expect(select).to_contain_text("untagged")
    tag = select.get_attribute("data-tag")
    expect(view.locator(f".dg-ex.dg-k-command[data-tag='{tag}']")).to_contain_text("SELECT")
    assert errors == []


def test_the_pop3_ports_rules_are_edited_apart_from_the_smtp_ports(page: Page, mailsim_server):
    import poplib

    open_live(page, mailsim_server)
    panel = page.locator("#faults-panel")
    try:
        panel.locator("input[name=fault-protocol][value=pop3]").check(force=True)
        panel.locator("[data-part=add]").click()
        expect(panel.locator("select[data-field=stage]")).to_have_value("PASS")
        panel.locator("[data-part=apply]").click()
        expect(panel.locator("[data-part=status]")).to_contain_text("1 rule")
        smtp_rules = json.loads(page.evaluate("() => fetch('/api/faults?protocol=smtp').then((r) => r.text())"))
        assert smtp_rules["rules"] == []

        pop = poplib.POP3("127.0.0.1", mailsim_server.pop3_port, timeout=10)
        pop.user("bob")
        with pytest.raises(poplib.error_proto):
            pop.pass_("bob")
        pop.quit()
        flagged = page.locator("#session-view .dg-ex.dg-faulted", has_text="-ERR")
        expect(flagged).to_be_visible()
        expect(flagged).to_contain_text("rule 1")
        flagged.click()
        expect(page.locator("#explain-panel .explain-fault")).to_contain_text("at PASS")
    finally:
        panel.locator("[data-part=clear]").click()
        expect(panel.locator("[data-part=status]")).to_contain_text("no faults")
