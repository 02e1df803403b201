"""The accessibility rule of the browser tests: axe-core finds no serious or critical violations.

Lesser findings are printed, so they are seen without failing the test.
"""
from __future__ import annotations

import json

from playwright.sync_api import Page

BLOCKING = {"serious", "critical"}


def check_axe(page: Page, where: str) -> None:
    """Run axe-core on the page as it is now; fail on serious or critical violations, naming ``where``."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = [(v["id"], v["impact"], [(n["target"], (n.get("any") or [{}])[0].get("message")) for n in v["nodes"]][:3])
             for v in results.response["violations"]]
    minor = [v for v in found if v[1] not in BLOCKING]
    if minor:
        print(f"{where}: minor accessibility findings:", json.dumps(minor, ensure_ascii=False))
    blocking = [v for v in found if v[1] in BLOCKING]
    assert blocking == [], f"{where}: " + json.dumps(blocking, ensure_ascii=False, indent=1)
