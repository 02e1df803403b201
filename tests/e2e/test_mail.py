"""The mailbox viewer (/mail) in a real Chromium, as a learner and a teacher use it.

The server is conftest's `mailsim_server` (loopback, so the real ports' mail
needs no teacher key). Mail reaches it as it would in class: over the real
SMTP port with smtplib, or through a lab session on the Socket.IO API that
carries the page's own learner cookie.
"""
from __future__ import annotations

import base64
import email
import email.policy
import re
import smtplib
import threading
import time
import uuid
from pathlib import Path

import pytest
import socketio
from axe_check import check_axe
from conftest import start_server
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
expect.set_options(timeout=15000)

SAMPLES = Path(__file__).resolve().parents[2] / "simulator" / "data" / "messages"


def open_mail(page: Page, server, lang: str = "en", path: str = "/mail") -> list[str]:
    """Open the viewer in ``lang``; returns the page errors and dialogs seen (both should stay empty)."""
    problems: list[str] = []
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page.emulate_media(reduced_motion="reduce")
    page.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(server.url + path)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#folder-tree .folder-link").first).to_be_visible()
    return problems


def folder(page: Page, user: str, name: str):
    return page.locator(f'#folder-tree a[data-user="{user}"][data-folder="{name}"]')


def message(page: Page, subject: str):
    return page.locator("#message-list a.message-link", has_text=subject)


def tab(page: Page, name: str):
    return page.locator(f"#tab-{name}")


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def lab_send(server, cookie: str, subject: str, body: str) -> None:
    """A learner's lab session over Socket.IO (the page's cookie): one message from alice to bob."""
    sio = socketio.Client(reconnection=False)
    replies: list[dict] = []
    cond = threading.Condition()

    @sio.on("exchange")
    def _exchange(data):
        with cond:
            replies.append(data)
            cond.notify_all()

    def wait_code(code: int) -> None:
        deadline = time.monotonic() + 10
        with cond:
            while not any(r.get("kind") == "reply" and r.get("code") == code for r in replies):
                left = deadline - time.monotonic()
                assert left > 0, f"no {code}: {replies[-5:]}"
                cond.wait(left)
            replies.clear()

    sio.connect(server.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    try:
        ack = sio.call("lab.open", {"protocol": "smtp"}, timeout=10)
        assert ack["ok"], ack
        session = ack["session"]
        wait_code(220)
        for line, code in [("HELO lab.example.net", 250), ("MAIL FROM:<alice@example.org>", 250),
                           ("RCPT TO:<bob@example.org>", 250), ("DATA", 354)]:
            assert sio.call("lab.send", {"session": session, "line": line}, timeout=10)["ok"]
            wait_code(code)
        for line in [f"Subject: {subject}", "From: Alice Liddell <alice@example.org>", "", body, "."]:
            assert sio.call("lab.send", {"session": session, "line": line}, timeout=10)["ok"]
        wait_code(250)
    finally:
        sio.disconnect()


# ---------------------------------------------------------------- reading the samples

def test_the_invoice_shows_its_mime_tree_with_the_pdf_attachment(page: Page, mailsim_server):
    problems = open_mail(page, mailsim_server)
    expect(page.locator(".site-nav a[aria-current=page]")).to_have_text("Mail")
    folder(page, "bob", "Work/Invoices").click()
    expect(page.locator("#list-where")).to_contain_text("Work/Invoices")
    message(page, "Invoice 2026-117").click()
    expect(page.locator("#view-title")).to_have_text("Invoice 2026-117")
    expect(page.locator("#panel-message")).to_contain_text("Please find attached invoice 2026-117")
    expect(page.locator("#panel-message .mail-attachments")).to_contain_text("invoice-2026-117.pdf")

    tab(page, "mime").click()
    tree = page.locator("#panel-mime .mime-tree")
    expect(tree.locator(".mime-item[data-path='']  > .mime-node .mime-type")).to_have_text("multipart/mixed")
    pdf = tree.locator(".mime-item[data-path='2']")
    expect(pdf.locator(".mime-type").first).to_have_text("application/pdf")
    expect(pdf).to_contain_text("invoice-2026-117.pdf")
    expect(pdf).to_contain_text("base64")
    expect(pdf).to_contain_text("984 bytes as sent, 720 bytes decoded")
    expect(pdf).to_contain_text("every 3 bytes become 4 ASCII characters")

    with page.expect_download() as download:
        pdf.get_by_role("link", name="Download part 2").click()
    raw = (SAMPLES / "06-invoice.eml").read_bytes()
    expected = email.message_from_bytes(raw, policy=email.policy.compat32).get_payload()[1].get_payload(decode=True)
    assert download.value.suggested_filename == "invoice-2026-117.pdf"
    assert Path(download.value.path()).read_bytes() == expected

    # The address names the message, so the link can be shared.
    expect(page).to_have_url(re.compile(r"user=bob&folder=Work%2FInvoices&uid=1&tab=mime"))
    page.reload()
    expect(page.locator("#view-title")).to_have_text("Invoice 2026-117")
    expect(tab(page, "mime")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-mime")).to_contain_text("application/pdf")
    assert problems == []


def test_the_russian_sample_decodes_its_subject_and_quoted_printable_text(page: Page, mailsim_server):
    problems = open_mail(page, mailsim_server, "ru", "/mail?user=bob&folder=INBOX")
    subject = "Счёт за хостинг и встреча в четверг"
    expect(page.locator(".site-nav a[aria-current=page]")).to_have_text("Почта")
    message(page, subject).click()
    expect(page.locator("#view-title")).to_have_text(subject)
    body = page.locator("#panel-message .mail-body-text")
    expect(body).to_contain_text("Здравствуйте, Боб!")
    expect(body).to_contain_text("Пришёл счёт за хостинг сайта за сентябрь")
    expect(page.locator("#panel-message .key-fields")).to_contain_text("Ирина Петрова <irina@example.net>")

    page.get_by_role("tab", name="Структура MIME").click()
    node = page.locator("#panel-mime .mime-item[data-path='']")
    expect(node.locator(".mail-chip-enc")).to_have_text("quoted-printable")
    expect(node).to_contain_text("=D0=9F")  # the explanation of quoted-printable, in Russian
    expect(node).to_contain_text("любой другой байт записывается")

    page.get_by_role("tab", name="Заголовки").click()
    row = page.locator("#panel-headers tr.encoded", has=page.locator("th", has_text="Subject"))
    expect(row.locator("td").first).to_contain_text("=?UTF-8?B?0KHRh9GR0YIg")
    expect(row.locator("td").last).to_contain_text(subject)
    expect(row).to_contain_text("закодированное слово")

    page.get_by_role("tab", name="Исходный текст").click()
    expect(page.locator("#panel-source pre")).to_contain_text("=D0=97=D0=B4=D1=80")
    assert problems == []


def test_tabs_and_lists_work_from_the_keyboard(page: Page, mailsim_server):
    open_mail(page, mailsim_server, path="/mail?user=bob&folder=INBOX")
    first = page.locator("#message-list a.message-link").first
    first.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#message-list a.message-link").nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#message-list a.message-link").nth(1)).to_have_attribute("aria-current", "true")
    expect(tab(page, "message")).to_be_visible()
    tab(page, "message").focus()
    page.keyboard.press("ArrowRight")
    expect(tab(page, "mime")).to_be_focused()
    expect(tab(page, "mime")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-mime")).to_be_visible()
    page.keyboard.press("End")
    expect(tab(page, "source")).to_have_attribute("aria-selected", "true")


def test_back_and_forward_follow_the_selection(page: Page, mailsim_server):
    open_mail(page, mailsim_server, path="/mail?user=bob&folder=INBOX")
    message(page, "Lunch on Friday?").click()
    expect(page.locator("#view-title")).to_have_text("Lunch on Friday?")
    message(page, "The icon you asked for").click()
    expect(page.locator("#view-title")).to_have_text("The icon you asked for")
    folder(page, "alice", "Sent").click()
    expect(page.locator("#view-empty")).to_be_visible()
    page.go_back()
    expect(page.locator("#view-title")).to_have_text("The icon you asked for")
    page.go_back()
    expect(page.locator("#view-title")).to_have_text("Lunch on Friday?")
    page.go_forward()
    expect(page.locator("#view-title")).to_have_text("The icon you asked for")
    expect(message(page, "The icon you asked for")).to_have_attribute("aria-current", "true")


# ---------------------------------------------------------------- mail arriving

def test_a_message_sent_to_the_real_smtp_port_appears_in_the_real_ports_mail(page: Page, mailsim_server):
    problems = open_mail(page, mailsim_server)
    page.get_by_role("button", name="The real ports' mail").click()
    expect(page.get_by_role("button", name="The real ports' mail")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#btn-reset")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"realm=server"))

    subject = unique("Over the real port")
    with smtplib.SMTP("127.0.0.1", mailsim_server.smtp_port, timeout=10) as smtp:
        smtp.sendmail("alice@example.org", ["bob@example.org"],
                      f"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: {subject}\r\n\r\nHello over TCP\r\n")
    folder(page, "bob", "INBOX").click()
    page.locator("#btn-refresh").click()
    message(page, subject).click()
    expect(page.locator("#panel-message .mail-body-text")).to_have_text("Hello over TCP\n")

    # Without a click: the page looks again every few seconds while it is shown.
    later = unique("Noticed by itself")
    with smtplib.SMTP("127.0.0.1", mailsim_server.smtp_port, timeout=10) as smtp:
        smtp.sendmail("alice@example.org", ["bob@example.org"], f"Subject: {later}\r\n\r\nHi\r\n")
    expect(message(page, later)).to_be_visible(timeout=25000)

    # Coming back to the page looks again at once, and a keyboard user keeps their place.
    focused = message(page, subject)
    focused.focus()
    third = unique("On return")
    with smtplib.SMTP("127.0.0.1", mailsim_server.smtp_port, timeout=10) as smtp:
        smtp.sendmail("alice@example.org", ["bob@example.org"], f"Subject: {third}\r\n\r\nHi\r\n")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(message(page, third)).to_be_visible(timeout=5000)
    expect(message(page, subject)).to_be_focused()

    # Not in the learner's own mail.
    page.get_by_role("button", name="My mail").click()
    folder(page, "bob", "INBOX").click()
    expect(page.locator("#message-list a.message-link").first).to_be_visible()
    expect(message(page, subject)).to_have_count(0)
    assert problems == []


def test_lab_mail_appears_in_my_mail_and_reset_takes_it_away(page: Page, mailsim_server):
    problems = open_mail(page, mailsim_server, path="/mail?user=bob&folder=INBOX")
    expect(page.locator("#list-where")).to_contain_text("8 messages")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies(mailsim_server.url))
    assert "mailsim_learner=" in cookie
    subject = unique("From my lab")
    lab_send(mailsim_server, cookie, subject, "Typed in the lab.")

    page.locator("#btn-refresh").click()
    message(page, subject).click()
    expect(page.locator("#panel-message .mail-body-text")).to_have_text("Typed in the lab.\n")
    expect(page.locator("#list-where")).to_contain_text("9 messages")
    expect(folder(page, "bob", "INBOX").locator(".mail-count-unseen")).to_contain_text("6")

    page.locator("#btn-reset").click()
    dialog = page.locator("#reset-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(message(page, subject)).to_be_visible()

    page.locator("#btn-reset").click()
    dialog.get_by_role("button", name="Reset").click()
    expect(message(page, subject)).to_have_count(0)
    expect(page.locator("#list-where")).to_contain_text("8 messages")
    expect(page.locator("#view-empty")).to_be_visible()
    expect(page.locator("#mail-status")).to_have_text("Your mail is back to the sample messages.")
    assert problems == []


def test_a_hostile_message_is_only_text_and_its_html_stays_in_a_sandbox(page: Page, mailsim_server):
    problems = open_mail(page, mailsim_server, path="/mail?realm=server&user=bob&folder=INBOX")
    marker = uuid.uuid4().hex[:8]
    subject = f"<img src=x onerror=alert(1)> {marker}"
    html = (f"<p id=p{marker}>hi</p><script>alert('script')</script><img src=x onerror=alert(2)>"
            "<img src='http://198.51.100.7/track.png'><form action='http://198.51.100.7/'><button>Go</button></form>")
    content = ("From: mallory@example.net\r\nTo: bob@example.org\r\n"
               f"Subject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(html.encode()).decode().replace("\n", "\r\n"))
    # Chromium reports a fetch the CSP stopped as a request that failed with "csp": it never left.
    outside: list[tuple[str, str]] = []
    page.on("requestfinished", lambda r: outside.append((r.url, "finished")) if "198.51.100.7" in r.url else None)
    page.on("requestfailed", lambda r: outside.append((r.url, r.failure)) if "198.51.100.7" in r.url else None)
    with smtplib.SMTP("127.0.0.1", mailsim_server.smtp_port, timeout=10) as smtp:
        smtp.sendmail("mallory@example.net", ["bob@example.org"], content)
    page.locator("#btn-refresh").click()
    message(page, marker).click()
    expect(page.locator("#view-title")).to_have_text(subject)
    expect(page.locator("#panel-message .html-body pre")).to_contain_text("<script>alert('script')</script>")
    page.get_by_role("button", name="Render in a sandbox").click()
    frame = page.locator("#panel-message iframe.html-frame")
    expect(frame).to_have_attribute("sandbox", "")
    expect(page.frame_locator("#panel-message iframe.html-frame").locator(f"#p{marker}")).to_have_text("hi")
    page.wait_for_timeout(500)
    assert page.locator("img[src=x]").count() == 0  # nothing of the message became markup of the page
    assert all(how == "csp" for _url, how in outside), outside
    assert problems == []


def test_off_loopback_the_real_ports_mail_asks_for_the_teacher_key(page: Page, tmp_path):
    server = start_server(tmp_path, host="0.0.0.0")
    try:
        url = f"http://127.0.0.1:{server.http_port}"
        subject = unique("For teachers only")
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
            smtp.sendmail("alice@example.org", ["bob@example.org"],
                          f"Subject: {subject}\r\nContent-Type: text/plain; name=note.txt\r\n\r\nsecret\r\n")
        page.on("dialog", lambda d: d.dismiss())
        page.goto(url + "/mail?realm=server&user=bob&folder=INBOX")
        form = page.locator("#teacher-key")
        expect(form).to_be_visible()
        expect(page.locator("#mail-alert")).to_contain_text("teacher key")
        page.fill("#teacher-key-input", "wrong")
        page.press("#teacher-key-input", "Enter")
        expect(page.locator("#teacher-key-help")).to_contain_text("not accepted")
        page.fill("#teacher-key-input", server.teacher_key)
        page.press("#teacher-key-input", "Enter")
        expect(form).to_be_hidden()
        message(page, subject).click()
        expect(page.locator("#panel-message .mail-body-text")).to_have_text("secret\n")
        tab(page, "mime").click()
        with page.expect_download() as download:  # fetched with the key, saved from a blob
            page.locator("#panel-mime .mime-item[data-path=''] a").click()
        assert Path(download.value.path()).read_bytes() == b"secret\r\n"
        assert download.value.suggested_filename == "note.txt"
        # The learner's own mail never needs the key.
        page.get_by_role("button", name="My mail").click()
        expect(folder(page, "bob", "Work/Invoices")).to_be_visible()
    finally:
        server.stop()


# ---------------------------------------------------------------- accessibility

@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_viewer_has_no_serious_accessibility_violations(page: Page, mailsim_server, lang):
    open_mail(page, mailsim_server, lang, "/mail?user=bob&folder=INBOX&uid=6")
    expect(page.locator("#panel-message .mail-body-text").first).to_be_visible()
    check_axe(page, f"mail {lang}, a message")
    for name in ["mime", "headers", "source"]:
        tab(page, name).click()
        expect(page.locator(f"#panel-{name}")).to_be_visible()
        check_axe(page, f"mail {lang}, {name} tab")
    page.locator("#btn-reset").click()
    expect(page.locator("#reset-dialog")).to_be_visible()
    check_axe(page, f"mail {lang}, reset dialog")
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 390, "height": 844})
    check_axe(page, f"mail {lang}, phone")
