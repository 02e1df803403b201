"""The lab in POP3 in a real Chromium: the learner logs in, lists, retrieves and quits.

Each test opens /?protocol=pop3 on the real server (conftest's
`mailsim_server`); every Playwright page is a new browser context, so a new
learner with a fresh private copy of the world (bob has mail waiting).
"""
from __future__ import annotations

import re

import pytest
from axe_check import check_axe as axe_check
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
expect.set_options(timeout=15000)


def fast(page: Page) -> None:
    """The player's fastest pace, 8× (the learner's own control): arrows land in ~0.1 s instead of 0.7 s each."""
    page.locator("#session-view .dg-player select").select_option("8")


def open_pop3(page: Page, server, lang: str = "en") -> list[str]:
    """Open the POP3 lab (reduced motion: arrows land at once) and wait for the greeting."""
    errors: list[str] = []
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page.emulate_media(reduced_motion="reduce")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/?protocol=pop3")
    fast(page)
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "authorization")
    expect(page.locator(".dg-ex.dg-k-reply").first).to_contain_text("+OK")
    return errors


def type_line(page: Page, line: str) -> None:
    box = page.locator("#console-input")
    expect(box).to_be_enabled()
    box.fill(line)
    box.press("Enter")
    expect(box).to_have_value("")


def reply(page: Page, text: str):
    return page.locator(".dg-ex.dg-k-reply", has_text=text)


def test_a_russian_pop3_session_has_its_bands_colours_and_explanations(page: Page, mailsim_server):
    errors = open_pop3(page, mailsim_server, "ru")
    expect(page.locator("h1")).to_have_text("Лаборатория POP3")
    expect(page.locator(".proto-switch a[aria-current=page]")).to_contain_text("POP3")
    for line in ["USER bob", "PASS bob", "LIST", "RETR 1", "RETR 99", "QUIT"]:
        type_line(page, line)
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "closed")

    # Colours come from the catalogue's classes: +OK positive (2), -ERR negative (5).
    expect(reply(page, "+OK").first).to_have_class(re.compile(r"\bdg-c2\b"))
    expect(reply(page, "-ERR")).to_have_class(re.compile(r"\bdg-c5\b"))
    expect(page.locator("#console .log-reply.reply-5xx", has_text="-ERR")).to_be_visible()
    # A multi-line answer is one arrow labelled by its status line, its lines counted.
    expect(reply(page, "+OK 8 messages")).to_contain_text(re.compile(r"\(ещё 8 строк\)"))

    # POP3's own bands, in its order, named in Russian; the TCP close ends the session.
    for n, phase, name in [(1, "authorization", "AUTHORIZATION: вход в систему"),
                           (2, "transaction", "TRANSACTION: работа с почтовым ящиком"),
                           (3, "update", "UPDATE: удаление и прощание"),
                           (4, "termination", "Завершение соединения")]:
        expect(page.locator(f".dg-band.dg-phase-{phase} .dg-band-title")).to_have_text(f"{n} · {name}")
    expect(page.locator(".dg-band.dg-phase-establishment")).to_have_count(0)
    expect(page.locator(".dg-legend")).to_contain_text("+OK")
    expect(page.locator(".dg-legend")).to_contain_text("положительный")

    # RETR's answer: the status line, the body, the catalogue's reason, all in Russian.
    reply(page, re.compile(r"\+OK \d+ octets")).click()
    panel = page.locator("#explain-panel")
    expect(panel.locator(".explain-code")).to_have_text("+OK")
    expect(panel).to_contain_text("Положительный ответ")
    expect(panel).to_contain_text("RETR: далее всё сообщение целиком")
    expect(panel).to_contain_text("Тело ответа")
    expect(panel.locator(".explain-message")).to_contain_text("Subject:")
    expect(panel).to_contain_text("RETR 1")  # what it answers
    expect(panel).to_contain_text("TRANSACTION")
    expect(panel).to_contain_text("Режим удаления или хранения?")
    expect(panel).to_contain_text("режиме хранения")  # no DELE yet: keep mode

    reply(page, "-ERR").click()
    expect(panel.locator(".explain-code")).to_have_text("-ERR")
    expect(panel).to_contain_text("Отрицательный ответ")
    expect(panel).to_contain_text("Что делать клиенту дальше")

    # The password went as typed; the explanation says why that matters.
    page.locator(".dg-ex.dg-k-command", has_text="PASS bob").click()
    expect(panel.locator(".explain-code")).to_have_text("PASS")
    expect(panel.locator(".explain-warn")).to_contain_text("открытым текстом")
    assert errors == []


def test_the_pop3_fault_panel_makes_pass_answer_err(page: Page, mailsim_server):
    errors = open_pop3(page, mailsim_server)
    panel = page.locator("#faults-panel")
    stages = panel.locator("select[data-field=stage]")
    panel.locator("[data-part=add]").click()
    # The POP3 panel offers POP3's verbs and codes, not SMTP's.
    expect(stages).to_have_value("PASS")
    assert "RCPT" not in stages.locator("option").all_inner_texts()
    assert "DATA_END" not in stages.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    codes = panel.locator("select[data-field=reply]")
    expect(codes).to_have_value("-ERR")
    assert [o.split(" ")[0] for o in codes.locator("option").all_inner_texts()] == ["+OK", "-ERR"]
    panel.locator("input[data-field=text]").fill("[AUTH] the teacher says no")
    panel.locator("[data-part=apply]").click()
    expect(panel.locator("[data-part=status]")).to_contain_text("1 rule")
    expect(page.locator("#fault-json")).to_have_value(re.compile(r'"reply": "-ERR"'))

    type_line(page, "USER bob")
    type_line(page, "PASS bob")
    flagged = page.locator(".dg-ex.dg-faulted", has_text="-ERR")
    expect(flagged).to_contain_text("the teacher says no")
    expect(flagged).to_have_class(re.compile(r"\bdg-c5\b"))
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "authorization")
    flagged.click()
    why = page.locator("#explain-panel .explain-fault")
    expect(why).to_contain_text("Made by fault rule 1")
    expect(why).to_contain_text("at PASS")
    expect(why).to_contain_text("would have answered: +OK")
    assert errors == []


def test_switching_protocol_changes_the_address_and_a_reload_keeps_it(page: Page, mailsim_server):
    page.emulate_media(reduced_motion="reduce")
    page.goto(mailsim_server.url + "/")
    expect(page.locator("h1")).to_have_text("SMTP lab")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted")

    page.locator(".proto-switch a", has_text="POP3").click()
    expect(page).to_have_url(re.compile(r"\?protocol=pop3$"))
    expect(page.locator("h1")).to_have_text("POP3 lab")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "authorization")
    expect(page.locator("#console-input")).to_have_attribute("placeholder", "USER bob")
    expect(page.locator("#console .chip", has_text="RETR 1")).to_be_visible()

    page.reload()
    expect(page.locator("h1")).to_have_text("POP3 lab")
    expect(page.locator(".dg-head")).to_contain_text("POP3 server")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "authorization")

    # An example chip fills the box; the language switch keeps the protocol.
    page.locator("#console .chip", has_text="USER bob").click()
    expect(page.locator("#console-input")).to_have_value("USER bob")
    expect(page.locator("#console-input")).to_be_focused()
    page.locator(".lang-switch a[lang=ru]").click()
    expect(page.locator("h1")).to_have_text("Лаборатория POP3")
    expect(page).to_have_url(re.compile(r"protocol=pop3"))
    # The new page's script has run (its session is open) before its share button is pressed.
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "authorization")

    # A share link carries the protocol; opened from the SMTP lab it comes back to POP3.
    page.locator("#btn-share").click()
    share = page.locator("#share-url")
    expect(share).to_have_value(re.compile(r"protocol=pop3.*#setup="))
    link = share.input_value()
    assert "protocol=pop3" in link and "#setup=" in link
    page.goto(mailsim_server.url + "/#" + link.split("#", 1)[1])
    expect(page).to_have_url(re.compile(r"\?protocol=pop3#setup="))
    expect(page.locator("h1")).to_have_text("Лаборатория POP3")


def test_mail_sent_in_the_smtp_lab_is_read_in_the_pop3_lab(page: Page, mailsim_server):
    page.emulate_media(reduced_motion="reduce")
    page.goto(mailsim_server.url + "/?protocol=smtp")
    fast(page)
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted")
    for line in ["HELO client.example.net", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>", "DATA"]:
        type_line(page, line)
    page.fill("#data-input", "From: alice@example.org\nTo: bob@example.org\nSubject: Sent from the SMTP lab\n\nHello Bob.")
    page.locator("#console [data-part=data-send]").click()
    expect(page.locator(".dg-ex.dg-k-reply", has_text="queued")).to_be_visible()

    page.locator(".proto-switch a", has_text="POP3").click()
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "authorization")
    fast(page)
    for line in ["USER bob", "PASS bob", "STAT"]:
        type_line(page, line)
    stat = reply(page, re.compile(r"^\D*\+OK \d+ \d+")).last
    expect(stat).to_be_visible()
    count = int(re.search(r"\+OK (\d+) ", stat.text_content()).group(1))
    type_line(page, f"TOP {count} 0")
    expect(reply(page, "top of message")).to_be_visible()
    assert "Subject: Sent from the SMTP lab" in reply(page, "top of message").locator("title").text_content()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_pop3_lab_is_accessible(page: Page, mailsim_server, lang):
    open_pop3(page, mailsim_server, lang)
    axe_check(page, f"POP3 lab {lang}, fresh")
    page.locator("#faults-panel [data-part=add]").click()
    for line in ["USER bob", "PASS bob", "LIST", "RETR 1", "DELE 1"]:
        type_line(page, line)
    reply(page, re.compile(r"\+OK \d+ octets")).click()
    expect(page.locator("#explain-panel .explain-modes")).to_be_visible()
    axe_check(page, f"POP3 lab {lang}, busy")
    page.locator("h1").click()
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(re.compile(r"\bpresenter\b"))
    expect(page.locator(".proto-switch")).to_be_hidden()
    page.wait_for_timeout(500)
    axe_check(page, f"POP3 lab {lang}, presenter mode")


def test_the_pop3_lab_lists_pop3_scenarios_and_plays_a_story_with_its_preset(page: Page, mailsim_server):
    errors = open_pop3(page, mailsim_server)
    items = page.locator("#scenario-list .scenario")
    expect(items.first).to_be_visible()
    names = items.evaluate_all("(bs) => bs.map((b) => b.dataset.scenario)")
    assert "fig_14_6_establishment" not in names  # SMTP's stay in the SMTP lab
    story = page.locator("#scenario-list .scenario-items").last.locator(".scenario").first
    story.click()
    expect(story).to_have_attribute("aria-current", "true")
    expect(page.locator(".dg-head")).to_contain_text("POP3 server")
    expect(page.locator(".dg-ex.dg-faulted").first).to_be_visible(timeout=30000)
    expect(page.locator("#fault-preset")).not_to_have_value("")
    expect(page.locator("#faults-panel .rule").first).to_be_visible()
    assert errors == []
