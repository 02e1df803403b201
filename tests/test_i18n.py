"""Every user-visible string exists in English and in real Russian."""
from __future__ import annotations

import re

from simulator import i18n
from simulator.protocols.smtp import replies
from simulator.lab import scenarios

CYRILLIC = re.compile("[А-Яа-яЁё]")
# Keys whose value is a code, a name or a symbol, the same in both languages.
SAME_OK = re.compile(r"^[\sA-Za-z0-9_.:/<>@()\[\]{}+\-–—·✔✖⟳➜⚡×=,;'\"|%#]*$")


def _needs_russian(en: str) -> bool:
    return bool(re.search("[A-Za-z]{3,}", en)) and not SAME_OK.fullmatch(en) or \
        bool(re.search(r"\b[a-z]{3,}\s[a-z]{3,}\b", en))


def _check(pairs):
    problems = []
    for where, en, ru in pairs:
        if not ru or not ru.strip():
            problems.append(f"{where}: no Russian")
        elif en.strip() == ru.strip() and re.search(r"[a-z]{3,}\s+[a-z]{3,}", en):
            problems.append(f"{where}: Russian is the English copied in")
        elif re.search(r"[a-z]{4,}\s+[a-z]{4,}", en) and not CYRILLIC.search(ru):
            problems.append(f"{where}: Russian has no Cyrillic")
    return problems


def test_every_ui_key_has_a_russian_value():
    en, ru = i18n.catalogue("en"), i18n.catalogue("ru")
    assert en, "no strings found"
    missing = sorted(set(en) - set(ru))
    # Russian has more plural forms than English (one / few / many): those keys
    # may exist in Russian only.
    extra = sorted(k for k in set(ru) - set(en) if not k.endswith((".few", ".many")))
    assert not missing, f"keys without Russian: {missing}"
    assert not extra, f"Russian keys without English: {extra}"
    assert not _check((k, en[k], ru[k]) for k in en)


def test_reply_catalogue_is_bilingual():
    ui = replies.catalogue_for_ui()
    pairs = []
    for section in ("codes", "replies", "commands", "classes", "categories"):
        for name, entry in ui[section].items():
            for field, value in entry.items():
                if isinstance(value, dict) and set(value) >= {"en", "ru"}:
                    pairs.append((f"{section}.{name}.{field}", value["en"], value["ru"]))
    assert pairs
    assert not _check(pairs)


def test_presets_and_scenarios_are_bilingual():
    pairs = []
    for lang_en, lang_ru in [(scenarios.presets_for_ui("en"), scenarios.presets_for_ui("ru")),
                             (scenarios.scenarios_for_ui("en"), scenarios.scenarios_for_ui("ru"))]:
        for a, b in zip(lang_en, lang_ru):
            for field in ("title", "story", "description"):
                if field in a:
                    pairs.append((f"{a['name']}.{field}", a[field], b[field]))
    assert pairs
    assert not _check(pairs)


def test_placeholders_match_between_languages():
    en, ru = i18n.catalogue("en"), i18n.catalogue("ru")
    for key, text in en.items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", ru.get(key, ""))), key
