"""The lab in IMAP in a real Chromium: tags, untagged responses, the "+" continuation.

The learner types commands after the tag the console fills in (a1, a2...);
the diagram pairs each command with its tagged answer and counts the
untagged lines on the answer's arrow; the explanation lists them.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytest.importorskip("simulator.protocols.imap.engine")

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
expect.set_options(timeout=15000)


def open_imap(page: Page, server, lang: str = "en") -> list[str]:
    errors: list[str] = []
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page.emulate_media(reduced_motion="reduce")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/?protocol=imap")
    # The player's fastest pace, 8× (the learner's own control): arrows land in ~0.1 s instead of 0.7 s each.
    page.locator("#session-view .dg-player select").select_option("8")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "not_authenticated")
    return errors


def send_after_tag(page: Page, command: str, tag: str) -> None:
    """Type a command after the tag the console filled in, and send it."""
    box = page.locator("#console-input")
    expect(box).to_be_enabled()
    expect(box).to_have_value(f"{tag} ")
    box.press("End")
    box.press_sequentially(command)
    box.press("Enter")


def answer(page: Page, tag: str):
    return page.locator(f".dg-ex.dg-k-reply[data-tag='{tag}']")


def test_an_imap_session_pairs_tags_and_shows_untagged_lines(page: Page, mailsim_server):
    errors = open_imap(page, mailsim_server)
    expect(page.locator("h1")).to_have_text("IMAP lab")
    greeting = page.locator(".dg-ex.dg-k-reply").first
    expect(greeting).to_contain_text("* OK")
    expect(greeting).to_have_class(re.compile(r"\bdg-c2\b"))

    for tag, command in [("a1", "LOGIN bob bob"), ("a2", "SELECT INBOX"), ("a3", "FETCH 1:* (FLAGS ENVELOPE)"),
                         ("a4", "SEARCH SUBJECT invoice")]:
        send_after_tag(page, command, tag)
        expect(answer(page, tag)).to_contain_text(f"{tag} OK")
    send_after_tag(page, "LOGOUT", "a5")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "closed")

    # The tag starts both arrows, drawn as its own span.
    for tag in ["a1", "a2", "a3", "a4", "a5"]:
        expect(page.locator(f".dg-ex.dg-k-command[data-tag='{tag}'] .dg-tag")).to_have_text(tag)
        expect(answer(page, tag).locator(".dg-tag")).to_have_text(tag)
    # Untagged lines are counted on the arrow of the answer they came with.
    expect(answer(page, "a2")).to_contain_text(re.compile(r"a2 OK \[READ-WRITE\].*\(\+\d+ untagged\)"))
    expect(answer(page, "a4")).to_contain_text("(+1 untagged)")
    expect(answer(page, "a5")).to_contain_text("(+1 untagged)")  # * BYE before a5 OK

    # IMAP's bands, in its order.
    for n, phase in [(1, "not_authenticated"), (2, "authenticated"), (3, "selected"), (4, "logout"), (5, "termination")]:
        expect(page.locator(f".dg-band.dg-phase-{phase} .dg-band-title")).to_contain_text(f"{n} · ")
    expect(page.locator(".dg-band.dg-phase-selected .dg-band-title")).to_contain_text("Selected")

    # Selecting the answer outlines its command; the explanation lists the untagged lines.
    answer(page, "a2").click()
    expect(page.locator(".dg-ex.dg-k-command[data-tag='a2']")).to_have_class(re.compile(r"\bdg-paired\b"))
    panel = page.locator("#explain-panel")
    expect(panel.locator(".explain-code")).to_have_text("OK")
    expect(panel).to_contain_text("a2 SELECT INBOX")
    expect(panel).to_contain_text("The tag a2 pairs this answer with that command")
    untagged = panel.locator(".explain-untagged")
    expect(untagged).to_contain_text(re.compile(r"Untagged responses \(\d+\)"))
    expect(untagged).to_contain_text("EXISTS")
    expect(untagged).to_contain_text("How many messages the folder has now")
    expect(untagged).to_contain_text("RFC 3501 §7.3.1")

    page.locator(".dg-ex.dg-k-command[data-tag='a1']").click()
    expect(panel.locator(".explain-code")).to_have_text("LOGIN")
    expect(panel.locator(".explain-warn")).to_contain_text("in the clear")
    expect(panel).to_contain_text("a1 LOGIN bob bob")  # the password, as typed
    assert errors == []


def test_a_literal_gets_its_own_continuation_arrow(page: Page, mailsim_server):
    open_imap(page, mailsim_server)
    send_after_tag(page, "LOGIN bob bob", "a1")
    expect(answer(page, "a1")).to_be_visible()
    send_after_tag(page, "CREATE {8}", "a2")
    plus = page.locator(".dg-ex.dg-k-reply", has_text="+ Ready for literal data")
    expect(plus).to_have_class(re.compile(r"\bdg-c3\b"))
    # The server waits for the rest: no tag is offered for it.
    box = page.locator("#console-input")
    expect(box).to_have_value("")
    expect(page.locator("#console-hint")).to_contain_text("without a tag")
    box.fill("Projects")
    box.press("Enter")
    expect(answer(page, "a2")).to_contain_text("a2 OK")
    expect(box).to_have_value("a3 ")
    answer(page, "a2").click()
    expect(plus).to_have_class(re.compile(r"\bdg-paired\b"))
    plus.click()
    expect(page.locator("#explain-panel")).to_contain_text("not the answer yet")


def test_the_imap_fault_panel_and_tab_completion(page: Page, mailsim_server):
    open_imap(page, mailsim_server)
    panel = page.locator("#faults-panel")
    panel.locator("[data-part=add]").click()
    expect(panel.locator("select[data-field=stage]")).to_have_value("LOGIN")
    expect(panel.locator("select[data-field=reply]")).to_have_value("NO")
    panel.locator("[data-part=apply]").click()
    expect(panel.locator("[data-part=status]")).to_contain_text("1 rule")

    box = page.locator("#console-input")
    expect(box).to_have_value("a1 ")
    box.press("End")
    box.press_sequentially("logi")
    box.press("Tab")
    expect(box).to_have_value("a1 LOGIN ")
    box.fill("a1 LOGIN bob bob")
    box.press("Enter")
    flagged = page.locator(".dg-ex.dg-faulted[data-tag='a1']")
    expect(flagged).to_contain_text("a1 NO")
    expect(flagged).to_have_class(re.compile(r"\bdg-c4\b"))
    flagged.click()
    expect(page.locator("#explain-panel .explain-fault")).to_contain_text("would have answered")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_imap_lab_is_accessible(page: Page, mailsim_server, lang):
    from test_lab_pop3 import axe_check

    open_imap(page, mailsim_server, lang)
    axe_check(page, f"IMAP lab {lang}, fresh")
    send_after_tag(page, "LOGIN bob bob", "a1")
    send_after_tag(page, "SELECT INBOX", "a2")
    answer(page, "a2").click()
    expect(page.locator("#explain-panel .explain-untagged")).to_be_visible()
    axe_check(page, f"IMAP lab {lang}, a tagged answer selected")


def test_an_imap_session_exports_as_text_json_svg_and_mermaid(page: Page, mailsim_server, tmp_path):
    import json

    open_imap(page, mailsim_server)
    send_after_tag(page, "LOGIN bob bob", "a1")
    send_after_tag(page, "SELECT INBOX", "a2")
    expect(answer(page, "a2")).to_be_visible()
    labels = "() => [...document.querySelectorAll('#session-view .dg-ex')].map((g) => g.getAttribute('aria-label'))"
    before = page.evaluate(labels)

    files = {}
    for kind in ["text", "json", "svg", "mermaid"]:
        with page.expect_download() as download:
            page.locator(f"#transcript [data-export={kind}]").click()
        assert download.value.suggested_filename.startswith("mailsim-imap-")
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        files[kind] = path
    text = files["text"].read_text(encoding="utf-8")
    assert "C: a2 SELECT INBOX" in text and "S: a2 OK [READ-WRITE] SELECT completed" in text
    assert re.search(r"^S: \* \d+ EXISTS$", text, re.M)
    data = json.loads(files["json"].read_text(encoding="utf-8"))
    assert data["meta"]["protocol"] == "imap"
    assert {ex["code"] for ex in data["exchanges"] if ex["kind"] == "reply"} == {"OK"}
    svg = files["svg"].read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "IMAP server" in svg and "SELECT completed" in svg
    mermaid = files["mermaid"].read_text(encoding="utf-8")
    assert "participant Server as IMAP server" in mermaid
    assert "Note over Client,Server: 1 · Not authenticated: logging in" in mermaid

    # The JSON file opens as the same diagram, explained as IMAP.
    page.locator("#btn-new").click()
    expect(page.locator("#session-view .dg-ex")).to_have_count(2)
    page.locator("#transcript input[type=file]").set_input_files(str(files["json"]))
    expect(page.locator("#session-view .dg-ex")).to_have_count(len(before))
    assert page.evaluate(labels) == before
    answer(page, "a2").click()
    expect(page.locator("#explain-panel .explain-untagged")).to_contain_text("EXISTS")
