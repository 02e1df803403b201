"""The one translation layer for pages, scripts and server messages.

Strings live in flat JSON catalogues beside this file, one per area and
language (``ui.en.json``, ``ui.ru.json``, ``diagram.en.json``, ...). Templates
call ``t(key)``, the browser fetches the merged catalogue of its language as
one cacheable file (``/i18n/<lang>.<hash>.json``, see :func:`catalogue_json`),
and server-side messages (Socket.IO errors) use the same keys. Why not
gettext: the browser needs the same strings, and one JSON format for both
sides needs no compile step and no second extraction tool; tests/test_i18n.py
checks that every key has a real Russian value.

A value is a string, or, when its words depend on a number, a plural object
keyed by the CLDR categories of its language (English ``one``/``other``,
Russian ``one``/``few``/``many``/``other``)::

    "ui.rule.times": {"one": "at most {n} time", "other": "at most {n} times"}

The count is the parameter ``n`` unless the object names another in
``"_count"``; ``"_type": "ordinal"`` picks by the ordinal rules (1st, 2nd, 3rd,
4th). :func:`t` picks the form with Babel's CLDR rules and writes numeric
parameters the language's way ("1,5" in Russian, "1.5" in English) except
identifiers such as ``uid`` or ``port``; static/js/lib/i18n.js does the same
in the browser with ``Intl``.

A foundation: imports nothing of MailSim, and every package may import it.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

from babel import Locale
from babel.numbers import format_decimal

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
_DIR = Path(__file__).resolve().parent

Value = Union[str, dict]
# Plural objects' own fields (not forms).
META = ("_count", "_type")
# Numeric parameters that name something rather than count it: written as they are,
# never grouped ("UID 12345", "port 2525"). Same list in static/js/lib/i18n.js.
IDENTIFIERS = frozenset({"id", "uid", "port", "seed", "code", "digit", "fig", "version", "tag", "year"})


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, Value]:
    """Every key of every ``*.<lang>.json`` file here, merged."""
    merged: dict[str, Value] = {}
    for path in sorted(_DIR.glob(f"*.{lang}.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        merged.update(data)
    return merged


@lru_cache(maxsize=None)
def catalogue_json(lang: str) -> tuple[bytes, str]:
    """The merged catalogue of ``lang`` as UTF-8 JSON bytes, and a short hash of them (its URL's version)."""
    body = json.dumps(catalogue(lang), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:16]


def reload() -> None:
    catalogue.cache_clear()
    catalogue_json.cache_clear()


def normalise(lang: Optional[str]) -> Optional[str]:
    if not lang:
        return None
    lang = lang.strip().lower()[:2]
    return lang if lang in LANGUAGES else None


@lru_cache(maxsize=None)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def categories(lang: str, ordinal: bool = False) -> frozenset[str]:
    """The CLDR plural categories ``lang`` needs (English: one, other; Russian: one, few, many, other)."""
    rule = _locale(lang).ordinal_form if ordinal else _locale(lang).plural_form
    return frozenset(rule.tags) | {"other"}


def plural_category(lang: str, n: Any, ordinal: bool = False) -> str:
    """The CLDR category of the number ``n`` in ``lang`` ("one", "few", "many", "other"...)."""
    if isinstance(n, str):
        try:
            n = float(n) if "." in n else int(n)
        except ValueError:
            return "other"
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        return "other"
    rule = _locale(lang).ordinal_form if ordinal else _locale(lang).plural_form
    return rule(abs(n))


def number(lang: str, x: Any) -> str:
    """``x`` written the way ``lang`` writes numbers: "1,5" and "1 500" in Russian, "1.5" and "1,500" in English."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, int) and -1000 < x < 1000:
        return str(x)
    return format_decimal(x, locale=_locale(lang))


def form(lang: str, value: Value, params: dict) -> str:
    """The string of a catalogue value: itself, or the plural form its count asks for."""
    if not isinstance(value, dict):
        return value
    category = plural_category(lang, params.get(value.get("_count", "n")), value.get("_type") == "ordinal")
    text = value.get(category) or value.get("other")
    if text is None:
        text = next((v for k, v in value.items() if k not in META), "")
    return text


def t(lang: str, key: str, **params) -> str:
    """The string for ``key`` in ``lang`` (English, then the key, as fallbacks).

    A plural value gives the form for its count; numeric parameters are written
    the language's way (:func:`number`), except identifiers (``uid``, ``port``...)."""
    value = catalogue(lang).get(key)
    if value is None or value == "":
        lang, value = DEFAULT_LANGUAGE, catalogue(DEFAULT_LANGUAGE).get(key)
    if value is None or value == "":
        text = key
    else:
        text = form(lang, value, params)
    if params:
        shown = {k: (v if k in IDENTIFIERS else number(lang, v)) for k, v in params.items()}
        try:
            text = text.format(**shown)
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


def terminal_language(environ: Optional[dict] = None) -> str:
    """The language of the command line (``mailsim ... check``): MAILSIM_LANG, else the locale's
    (LC_ALL, LC_MESSAGES, LANG, as gettext reads them), else English."""
    import os
    env = os.environ if environ is None else environ
    for name in ("MAILSIM_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return normalise(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
