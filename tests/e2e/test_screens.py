"""Every page at phone and desktop sizes, in English and Russian: nothing scrolls sideways, the nav fits.

Issue 11, section 1: on a 390 px phone the header's nav did not wrap, the page
became 624 px wide in Russian and the last sections were off-screen. Here each
page is opened at 360x740, 390x844, 1366x768 and 1920x1080 in both languages
(one browser context per size and language, one tab reused across the pages)
(the teacher's quiz list too, after logging in) and must satisfy document.documentElement.scrollWidth <= innerWidth + 1; every
link of the site nav and the language switch must be on screen (on a phone as
a tile at least 40 px tall). The lab page (/) is checked for its header only:
its own layout is tested with the lab.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SIZES = [(360, 740), (390, 844), (1366, 768), (1920, 1080)]
LANGS = ["en", "ru"]
PAGES = ["/live", "/journey", "/mail", "/lessons", "LESSON_STEP", "/lessons/glossary",
         "/quizzes", "/quizzes/me", "/teacher", "ATTEMPT", "TEACHER_QUIZZES"]

# How wide the document is, and which elements stick out past the right edge
# (the outermost ones not clipped by a scrolling or hidden-overflow ancestor).
OVERFLOW = """() => {
  const W = window.innerWidth, out = [];
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return a.getBoundingClientRect().right <= W + 1;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > W + 1 && !clipped(el) && !(el.parentElement.getBoundingClientRect().right > W + 1)) {
      out.push(`${name(el)} (right ${Math.round(r.right)}, width ${Math.round(r.width)})`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: W, culprits: out.slice(0, 6)};
}"""

# The header: its own box and everything in it inside the viewport; each nav and
# language link shown, on screen, and its height (tap target) and row.
HEADER = """() => {
  const W = window.innerWidth, header = document.querySelector('.site-header');
  if (!header) return null;
  const wider = [...header.querySelectorAll('*')].filter(el => {
    const r = el.getBoundingClientRect(); return r.width > 0 && (r.right > W + 1 || r.left < -1);
  }).map(el => el.tagName.toLowerCase() + '.' + (el.className.baseVal ?? el.className));
  const links = [...header.querySelectorAll('.site-nav a, .lang-switch a')].map(a => {
    const r = a.getBoundingClientRect(), s = getComputedStyle(a);
    return {text: a.textContent.trim(), nav: !!a.closest('.site-nav'), left: r.left, right: r.right, top: Math.round(r.top),
            height: r.height, shown: r.width > 0 && r.height > 0 && s.visibility !== 'hidden'};
  });
  return {right: header.getBoundingClientRect().right, inner: W, wider, links,
          height: header.getBoundingClientRect().height};
}"""


def lesson_step(page: Page, base: str) -> str:
    """The first step of the first lesson, wherever the course starts (the lessons change)."""
    page.goto(base + "/lessons")
    return page.locator(".ls-cards a[href^='/lessons/']").first.get_attribute("href")


def attempt(page: Page, base: str) -> str:
    """A short practice attempt of this context's learner (the page's cookie)."""
    page.goto(base + "/quizzes")
    resp = page.request.post(base + "/api/quizzes/attempts", data={"mode": "practice", "count": 3})
    assert resp.ok, resp.text()
    return resp.json()["attempt"]["url"]


def teacher_quizzes(page: Page, server) -> str:
    """Log in with the teacher key (the login page was checked just before) and land on the teacher's quizzes."""
    page.goto(server.url + "/teacher")
    page.fill("#teacher-key-input", server.teacher_key)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/teacher/quizzes"), page.url
    return "/teacher/quizzes"


def settle(page: Page, path: str) -> None:
    """Wait for what a page draws after loading (the quiz's question comes from the API)."""
    if path.startswith("/quizzes/attempt/"):
        page.locator("#quiz-question").wait_for(state="visible")
    page.evaluate("document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => r())))")


def header_problems(page: Page, path: str, width: int) -> list[str]:
    h = page.evaluate(HEADER)
    if h is None:
        return [f"{path}: no .site-header"]
    problems = []
    if h["right"] > h["inner"] + 1 or h["wider"]:
        problems.append(f"{path}: the header is wider than the window: {h['wider'][:4]}")
    nav = [link for link in h["links"] if link["nav"]]
    if len(nav) != 6:
        problems.append(f"{path}: {len(nav)} nav links, expected 6")
    for link in h["links"]:
        if not link["shown"] or link["left"] < -1 or link["right"] > h["inner"] + 1:
            problems.append(f"{path}: the link {link['text']!r} is not on screen ({link})")
        if width < 700 and link["height"] < 39.5:
            problems.append(f"{path}: the link {link['text']!r} is {link['height']:.0f} px tall on a phone")
    if width >= 1366:
        rows = {link["top"] for link in nav}
        if len(rows) != 1 or h["height"] > 70:
            problems.append(f"{path}: on a desktop the header should be one row ({h['height']:.0f} px, nav rows {rows})")
    return problems


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_page_scrolls_sideways_and_the_nav_fits(browser: Browser, mailsim_server, size, lang):
    base = mailsim_server.url
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB",
                                  reduced_motion="reduce")
    context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: list[str] = []
    try:
        # The lab: the header only (the lab's own layout is its page's business).
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == lang
        settle(page, "/")
        problems += header_problems(page, "/", width)

        for path in PAGES:
            if path == "LESSON_STEP":
                path = lesson_step(page, base)
            elif path == "ATTEMPT":
                path = attempt(page, base)
            elif path == "TEACHER_QUIZZES":
                path = teacher_quizzes(page, mailsim_server)
            response = page.goto(base + path)
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            settle(page, path)
            problems += header_problems(page, path, width)
            o = page.evaluate(OVERFLOW)
            if o["scroll"] > o["inner"] + 1:
                problems.append(f"{path}: scrolls sideways, {o['scroll']} px wide in {o['inner']}: {o['culprits']}")
    finally:
        context.close()
    assert not problems, f"{width}x{height} {lang}:\n" + "\n".join(problems)
    assert not errors, errors


@pytest.mark.parametrize("lang", LANGS)
def test_the_phone_header_passes_axe(browser: Browser, mailsim_server, lang):
    """The header as a phone shows it (a grid of tiles) adds no serious axe-core violation."""
    from axe_check import check_axe

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", reduced_motion="reduce")
    context.add_cookies([{"name": "lang", "value": lang, "url": mailsim_server.url}])
    page = context.new_page()
    try:
        page.goto(mailsim_server.url + "/lessons/glossary")
        check_axe(page, f"glossary at 390 px, {lang}")
    finally:
        context.close()
