"""Each of the lecture's 21 reply codes, produced in the lab as a learner would
(typing commands, with a fault plan typed into the fault panel where the RFC
gives no natural way), drawn as an arrow and explained on a click.

All the codes are played in one lab page (a module-scoped browser page): each
code gets a fresh session there with the "New session" button, so the page,
its scripts and its Socket.IO connection load once instead of 21 times.
"""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

HELLO = ["EHLO client.example"]
TXN = HELLO + ["MAIL FROM:<me@client.example>"]

# code -> (fault plan or None, lines the learner types)
RECIPES = {
    211: ({"rules": [{"stage": "NOOP", "reply": 211}]}, ["NOOP"]),
    214: (None, ["HELP"]),
    220: (None, []),
    221: (None, ["QUIT"]),
    250: (None, HELLO),
    251: (None, TXN + ["RCPT TO:<carol@example.org>"]),
    354: (None, TXN + ["RCPT TO:<alice@example.org>", "DATA"]),
    421: ({"rules": [{"stage": "greeting", "reply": 421}]}, []),
    450: ({"rules": [{"stage": "RCPT", "reply": 450, "times": 1}]}, TXN + ["RCPT TO:<bob@example.org>"]),
    451: ({"rules": [{"stage": "DATA", "reply": 451}]}, TXN + ["RCPT TO:<bob@example.org>", "DATA"]),
    452: ({"rules": [{"stage": "RCPT", "reply": 452}]}, TXN + ["RCPT TO:<bob@example.org>"]),
    500: (None, ["FROBNICATE"]),
    501: (None, ["HELO"]),
    502: (None, HELLO + ["TURN"]),
    503: (None, HELLO + ["RCPT TO:<alice@example.org>"]),
    504: (None, HELLO + ["MAIL FROM:<me@client.example> BODY=BINARYMIME"]),
    550: (None, TXN + ["RCPT TO:<nobody@example.org>"]),
    551: (None, TXN + ["RCPT TO:<dave@example.org>"]),
    552: (None, HELLO + ["MAIL FROM:<me@client.example> SIZE=99999999999"]),
    553: (None, TXN + ["RCPT TO:<alice@@example..org>"]),
    554: (None, TXN + ["RCPT TO:<nobody@example.org>", "DATA"]),
}


@pytest.fixture(scope="module")
def meanings(mailsim_server):
    with urllib.request.urlopen(mailsim_server.url + "/api/catalogue", timeout=5) as resp:
        cat = json.loads(resp.read())
    return {int(code): info["meaning"]["en"] for code, info in cat["codes"].items()}


@pytest.fixture(scope="module")
def lab(browser: Browser, browser_context_args, mailsim_server):
    """One learner's lab page, shared by every code's test (a browser context of its own)."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.emulate_media(reduced_motion="reduce")
    page.goto(mailsim_server.url + "/")
    expect(page.locator("#console [data-part=state]")).to_have_attribute("data-state", "greeted", timeout=30000)
    # The player's fastest pace (8×, the learner's own control): arrows land in ~0.1 s instead of 0.7 s each.
    page.locator("#session-view .dg-player select").select_option("8")
    page.locator("#faults-panel details summary").click()  # opens the plan's JSON, to type a plan into
    expect(page.locator("#fault-json")).to_be_visible()
    yield page
    context.close()


def use_plan(page: Page, plan) -> None:
    """Put `plan` (or no faults) in force: the next session opens with it."""
    panel = page.locator("#faults-panel")
    status = panel.locator("[data-part=status]")
    if plan:
        page.fill("#fault-json", json.dumps(plan))
        panel.locator("[data-part=apply]").click()
        expect(status).to_contain_text(f"{len(plan['rules'])} rule", timeout=30000)
    else:
        panel.locator("[data-part=clear]").click()
        expect(status).to_contain_text("no faults", timeout=30000)


@pytest.mark.parametrize("code", sorted(RECIPES))
def test_each_lecture_code_appears_as_an_explained_arrow(lab: Page, meanings, code):
    page = lab
    plan, lines = RECIPES[code]
    use_plan(page, plan)
    # A fresh session: the diagram, console and explanation start empty, the old session's events are dropped.
    page.locator("#btn-new").click()
    state = page.locator("#console [data-part=state]")
    if code == 421:
        expect(state).to_have_attribute("data-state", "closed", timeout=30000)
    else:
        expect(state).to_have_attribute("data-state", "greeted", timeout=30000)
    box = page.locator("#console-input")
    for line in lines:
        expect(box).to_be_enabled()
        box.fill(line)
        box.press("Enter")
        expect(box).to_have_value("")
    arrow = page.locator(".dg-ex.dg-k-reply", has_text=str(code)).last
    expect(arrow).to_be_visible(timeout=30000)
    expect(arrow).to_have_class(re.compile(rf"\bdg-c{code // 100}\b"))
    if plan:
        expect(arrow).to_have_class(re.compile(r"\bdg-faulted\b"))
    arrow.click()
    panel = page.locator("#explain-panel")
    expect(panel.locator(".explain-code")).to_have_text(str(code))
    expect(panel).to_contain_text(meanings[code])
    if plan:
        expect(panel).to_contain_text("rule 1")
