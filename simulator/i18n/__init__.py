"""The one translation layer for pages, scripts and server messages.

Strings live in flat JSON catalogues beside this file, one per area and
language (``ui.en.json``, ``ui.ru.json``, ``diagram.en.json``, ...). Templates
call ``t(key)``, the browser gets the merged catalogue of its language
embedded in the page, and server-side messages (Socket.IO errors) use the same
keys. Why not gettext: the browser needs the same strings, and one JSON
format for both sides needs no compile step and no second extraction tool;
tests/test_i18n.py checks that every key has a real Russian value.

A foundation: imports nothing of MailSim, and every package may import it.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Optional

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Every key of every ``*.<lang>.json`` file here, merged."""
    merged: dict[str, str] = {}
    for path in sorted(_DIR.glob(f"*.{lang}.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        merged.update(data)
    return merged


def reload() -> None:
    catalogue.cache_clear()


def normalise(lang: Optional[str]) -> Optional[str]:
    if not lang:
        return None
    lang = lang.strip().lower()[:2]
    return lang if lang in LANGUAGES else None


def t(lang: str, key: str, **params) -> str:
    """The string for ``key`` in ``lang`` (English, then the key, as fallbacks)."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    if params:
        try:
            text = text.format(**params)
        except (KeyError, IndexError, ValueError):
            pass
    return text


def pick_language(cookie: Optional[str], accept) -> str:
    """The cookie's language if valid, else the best Accept-Language match."""
    lang = normalise(cookie)
    if lang:
        return lang
    if accept is not None:
        best = accept.best_match(LANGUAGES)
        if best:
            return best
    return DEFAULT_LANGUAGE
