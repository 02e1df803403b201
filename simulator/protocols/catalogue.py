"""Shared pieces of the reply catalogues (replies.py, pop3_replies.py, imap_replies.py).

Every catalogue writes its bilingual texts as ``{"en": ..., "ru": ...}``
dicts and cleans the values a client typed before they go into a reply on
the wire. The tables themselves stay in each protocol's module.
"""
from __future__ import annotations

from typing import Any

Text = dict[str, str]


def bilingual(en: str, ru: str) -> Text:
    """A text in English and Russian; the browser picks the learner's."""
    return {"en": en, "ru": ru}


def clean_param(value: Any, limit: int) -> str:
    """A parameter as printable ASCII, at most ``limit`` characters: a client's bytes must never break the wire form."""
    text = str(value)
    if not (text.isascii() and text.isprintable()):
        text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return text if len(text) <= limit else text[:limit - 3] + "..."
