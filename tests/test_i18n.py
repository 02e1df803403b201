"""Every user-visible string exists in English and in real Russian."""
from __future__ import annotations

import re

from simulator import i18n
from simulator.lab import scenarios
from simulator.protocols.smtp import replies

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


def _forms(value) -> dict:
    """A catalogue value's forms by category ({"": text} for a plain string)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in i18n.META}
    return {"": value}


def _pairs(en: dict, ru: dict):
    """(where, English, Russian) for every form: a Russian form beside English's of its category, else "other"."""
    for key, value in en.items():
        en_forms, ru_forms = _forms(value), _forms(ru.get(key, ""))
        for category, text in ru_forms.items():
            yield f"{key}[{category}]" if category else key, en_forms.get(category, en_forms.get("other", "")), text


def test_every_ui_key_has_a_russian_value():
    en, ru = i18n.catalogue("en"), i18n.catalogue("ru")
    assert en, "no strings found"
    missing = sorted(set(en) - set(ru))
    extra = sorted(set(ru) - set(en))
    assert not missing, f"keys without Russian: {missing}"
    assert not extra, f"Russian keys without English: {extra}"
    assert not _check(_pairs(en, ru))


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


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_placeholders_match_between_languages():
    en, ru = i18n.catalogue("en"), i18n.catalogue("ru")
    for key, value in en.items():
        en_names = set().union(*(_placeholders(f) for f in _forms(value).values()))
        ru_names = set().union(*(_placeholders(f) for f in _forms(ru.get(key, "")).values()))
        assert en_names == ru_names, key


# ---------------------------------------------------------------- plural forms and numbers

# Parameters that carry a count (a number the words after it must agree with).
COUNTS = ("n", "count", "limit", "max", "total", "done", "seen", "correct", "lines", "bytes", "octets",
          "size", "seconds", "minutes", "times", "after", "attempts")
_COUNT = r"\{(?:" + "|".join(COUNTS) + r")\}"
# Russian: the count, then at most two adjectives ("{n} самых новых писем"), then a noun whose
# ending depends on the number ("3 октетов", "1 раз(а)", "1 непрочитанных писем").
RU_NOUNS = (r"октет", r"байт", r"бит", r"раза?\b", r"сообщени", r"пис(?:ьм|ем)", r"вопрос", r"ответ", r"минут",
            r"секунд", r"час(?:а|ов)?\b", r"(?:день|дня|дней)\b", r"сут", r"шаг", r"правил", r"задани", r"урок",
            r"строк", r"символ", r"попыт", r"обмен", r"совпадени", r"вложени", r"пол(?:е|я|ей)\b", r"термин",
            r"сеанс", r"ошиб", r"провер(?:к|ок)", r"подсказ", r"ученик", r"результат")
_ADJECTIVE = r"[а-яё-]+(?:ых|их|ое|ее|ый|ий|ой|ая|яя|ые|ие|ого|его)"
RU_COUNTED = re.compile(_COUNT + r"\s+(?:" + _ADJECTIVE + r"\s+){0,2}(?:" + "|".join(RU_NOUNS) + r")", re.I)
# English: "(s)" anywhere, or the count followed (within one word) by a plural noun ("{n} more lines").
EN_COUNTED = re.compile(r"\(s\)|" + _COUNT + r"\s+(?:(?:more|new|unread|other)\s+)?[a-z]{2,}s\b")
EN_NOT_PLURAL = re.compile(r"\s(?:is|was|has|as|this|its|us|yes|plus|across|thus|always)$")


def _counted_without_plural(lang: str) -> list[str]:
    found = []
    for key, value in i18n.catalogue(lang).items():
        if not isinstance(value, str):
            continue
        if lang == "ru" and RU_COUNTED.search(value) or "(а)" in value or "(ов)" in value:
            found.append(f"{key}: {value}")
        if lang == "en":
            match = EN_COUNTED.search(value)
            if match and not EN_NOT_PLURAL.search(match.group(0)):
                found.append(f"{key}: {value}")
    return found


def test_heuristics_catch_count_bearing_strings():
    """The checks below would have caught the strings this test was written for."""
    assert RU_COUNTED.search("не больше {n} раз(а)") and RU_COUNTED.search("ровно {n} октетов")
    assert RU_COUNTED.search("после первых {n} сообщений") and RU_COUNTED.search("около {n} минут")
    assert EN_COUNTED.search("at most {n} time(s)") and EN_COUNTED.search("Imported {n} exchanges")
    assert EN_COUNTED.search("(+{n} more lines)")
    assert RU_COUNTED.search("показаны {n} самых новых писем") and RU_COUNTED.search("{n} непрочитанных писем")
    assert not RU_COUNTED.search("обменов: {n}") and not RU_COUNTED.search("Правило {n} — не объект")
    assert not RU_COUNTED.search("Правило сбоя {n} разорвало соединение") and not RU_COUNTED.search("{n} подменило ответ")
    assert not EN_COUNTED.search("Question {n} of {total}") and not EN_COUNTED.search("Rule {n}")


def test_every_count_bearing_string_has_plural_forms():
    for lang in i18n.LANGUAGES:
        found = _counted_without_plural(lang)
        assert not found, f"{lang}: count-bearing strings need a plural object: {found}"
        # The old way, one key per form ("x.one", "x.few"), is gone: a plural object holds them.
        flat = [k for k in i18n.catalogue(lang) if re.search(r"\.(one|two|few|many)$", k)]
        assert not flat, f"{lang}: plural forms as separate keys: {flat}"


def test_plural_objects_have_the_cldr_categories_and_the_same_placeholders():
    plural_keys = 0
    for lang in i18n.LANGUAGES:
        for key, value in i18n.catalogue(lang).items():
            if not isinstance(value, dict):
                continue
            plural_keys += 1
            assert set(value) - set(i18n.META) - {"zero", "one", "two", "few", "many", "other"} == set(), key
            ordinal = value.get("_type") == "ordinal"
            assert value.get("_type") in (None, "ordinal"), key
            forms = _forms(value)
            assert set(forms) == i18n.categories(lang, ordinal), f"{lang} {key}: {sorted(forms)}"
            assert all(isinstance(f, str) and f.strip() for f in forms.values()), key
            names = {frozenset(_placeholders(f)) for f in forms.values()}
            assert len(names) == 1, f"{lang} {key}: the forms differ in placeholders"
            count = value.get("_count", "n")
            assert "_count" not in value or count in next(iter(names)), f"{lang} {key}: _count {count} is not used"
    assert plural_keys >= 40


def test_categories_are_cldr():
    assert i18n.categories("en") == {"one", "other"}
    assert i18n.categories("ru") == {"one", "few", "many", "other"}
    assert i18n.categories("en", ordinal=True) == {"one", "two", "few", "other"}
    assert i18n.categories("ru", ordinal=True) == {"other"}


def test_t_picks_the_russian_form_for_1_2_5_21_and_fractions():
    assert [i18n.t("ru", "ui.rule.times", n=n) for n in (1, 2, 5, 11, 21, 1.5)] == [
        "не больше 1 раза", "не больше 2 раз", "не больше 5 раз", "не больше 11 раз", "не больше 21 раза",
        "не больше 1,5 раза"]
    assert [i18n.t("en", "ui.rule.times", n=n) for n in (1, 2, 0)] == [
        "at most 1 time", "at most 2 times", "at most 0 times"]
    assert i18n.t("ru", "journey.explain.expired", n=3, life="5 сут.").startswith("Письмо получило временный отказ 3 раза,")
    assert i18n.t("ru", "web.error.line_too_long", limit=1000).endswith("(1\xa0000 октетов вместе с CR LF).")
    assert i18n.t("en", "web.error.line_too_long", limit=512).endswith("(512 octets with CR LF).")
    assert i18n.t("en", "quizapi.predict.only_nth_time", n=3) == "only the 3rd time"
    assert i18n.t("en", "quizapi.predict.from_nth_time", n=12) == "from the 12th time on"
    assert i18n.t("ru", "quizapi.predict.first_times", n=2) == "первые 2 раза"
    assert i18n.t("ru", "quizapi.predict.first_times", n=21) == "первый 21 раз"


def test_numbers_are_written_the_language_s_way():
    assert i18n.number("ru", 1.5) == "1,5" and i18n.number("en", 1.5) == "1.5"
    assert i18n.number("ru", 1500) == "1\xa0500" and i18n.number("en", 1500) == "1,500"
    assert i18n.number("ru", 2.0) == "2" and i18n.number("en", 7) == "7"
    assert i18n.t("ru", "quiz.shared.minutes", n=1.5) == "1,5 мин"
    assert i18n.t("en", "quiz.shared.minutes", n=1.5) == "1.5 min"
    assert "UID 12345 " in i18n.t("ru", "mail.error.unknown_message", uid=12345), "identifiers are not grouped"
    assert i18n.t("en", "no.such.key") == "no.such.key"


# ---------------------------------------------------------------- delivery to the browser

def test_pages_link_their_catalogue_instead_of_embedding_it(web):
    for lang in i18n.LANGUAGES:
        page = web.get("/", headers={"Accept-Language": lang}).get_data(as_text=True)
        assert 'id="i18n"' not in page and i18n.t(lang, "ui.rule.times", n=5) not in page
        url = re.search(r'<link rel="preload" as="fetch" crossorigin="anonymous" id="i18n-catalogue" href="([^"]+)"',
                        page).group(1)
        body, version = i18n.catalogue_json(lang)
        assert url == f"/i18n/{lang}.{version}.json"
        resp = web.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/json"
        assert resp.get_data() == body and resp.get_json() == i18n.catalogue(lang)
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert resp.headers["ETag"] == f'"{version}"'
        assert "Set-Cookie" not in resp.headers  # the same file for everyone: a shared cache may keep it
        again = web.get(url, headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status_code == 304
    stale = web.get("/i18n/ru.0000000000000000.json")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert web.get("/i18n/xx.0000.json").status_code == 404


# ---------------------------------------------------------------- Russian typography and terms

def _ru_values(tree, where=""):
    """(where, text) for each Russian text in a JSON-like tree: the values of "ru" keys.

    A ``lecture`` field is the lecture's own wording, quoted on purpose, and is left out."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "ru" and isinstance(value, str):
                yield where, value
            elif key != "lecture":
                yield from _ru_values(value, f"{where}.{key}")
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _ru_values(value, f"{where}[{i}]")


def _lesson_texts(lesson):
    """(where, text) for every human text of a lesson: its Markdown, captions and the tasks' texts."""
    from simulator.course.lessons import Task, Widget
    for step in lesson.steps:
        for block in step.blocks:
            if isinstance(block, tuple):
                yield f"{lesson.path.name} step {step.number}", block[1]
            elif isinstance(block, Widget):
                yield f"{lesson.path.name}:{block.line}", block.caption
            elif isinstance(block, Task):
                where = f"{lesson.path.name} task {block.id}"
                yield from ((where, text) for text in (block.goal, *block.hints, block.done))
                yield from ((where, m.text) for m in block.expects + block.forbids)
                if block.question is not None:
                    q = block.question
                    yield from ((where, text) for text in (q.prompt, *q.choices, q.explain, q.wrong, *q.why_wrong))


def russian_texts():
    """Every Russian text a learner reads: the catalogues, the reply catalogues, the data files, the lessons."""
    import json
    from pathlib import Path

    from simulator.course.lessons import load_course
    from simulator.protocols import registry
    texts = []
    for key, value in i18n.catalogue("ru").items():
        texts += [(f"i18n {key}", form) for form in _forms(value).values()]
    for protocol in registry.PROTOCOLS:
        texts += [(f"{protocol} replies{where}", text)
                  for where, text in _ru_values(registry.spec(protocol).replies.catalogue_for_ui())]
    data = Path(scenarios.__file__).resolve().parents[1] / "data"
    for path in sorted(data.glob("*.json")) + sorted((data / "scenarios").glob("*.json")):
        texts += [(f"{path.name}{where}", text) for where, text in _ru_values(json.loads(path.read_text("utf-8")))]
    course = load_course()
    for by_lang in course.lessons.values():
        texts += list(_lesson_texts(by_lang["ru"]))
    for term in course.glossary:
        texts += [(f"glossary {term.id}", term.definition["ru"])]
        if term.note:
            texts += [(f"glossary {term.id} note", term.note["ru"])]
    return texts


_CODE = re.compile(r"^[ \t]*```.*?^[ \t]*```|`[^`\n]*`", re.S | re.M)  # code blocks and code spans: quoted as typed
_NESTED = re.compile(r"„[^“”\n]*“")  # „…“: the quotes inside «…»
_DOUBLE = re.compile(r"\"([^\"\n]*)\"|“([^“”\n]*)”")
_SINGLE = re.compile(r"(?<![\w])'([^'\n]*\s[^'\n]*)'(?![\w])")


def bad_quotes(text: str) -> list[str]:
    """Quotations in straight or English quotes where Russian uses «»; a quoted token ("format", "*") is code."""
    prose = _NESTED.sub("", _CODE.sub("", text))
    found = [m.group(0) for m in _DOUBLE.finditer(prose)
             if m.group(0).startswith("“") or re.search(r"\s|[А-Яа-яЁё]", m.group(1) or "")]
    found += [m.group(0) for m in _SINGLE.finditer(prose)]
    found += re.findall(r"[“”]", _DOUBLE.sub("", prose))
    return found


# The glossary's preferred terms: (glossary id, the lecture's wording to avoid). The lecture's word
# may appear only where a text quotes the lecture: in «» in a paragraph that names it (лекция).
AVOID = (
    ("reply", r"откли\w*"),
    ("transient-negative", r"переходн\w*"),
    ("well-known-port", r"заранее\s+известн\w*\s+порт\w*"),
    ("transmission-channel", r"передающ\w*\s+канал\w*"),
    ("connection-termination", r"подключени\w*\s+оконечн\w*"),
)


def avoided_terms(text: str) -> list[str]:
    found = []
    for paragraph in re.split(r"\n\s*\n", _CODE.sub("", text)):
        quotes_lecture = re.search(r"лекци", paragraph, re.I)
        for _term, pattern in AVOID:
            for m in re.finditer(pattern, paragraph, re.I):
                opened = paragraph.rfind("«", 0, m.start())
                closed = paragraph.rfind("»", 0, m.start())
                if not (quotes_lecture and opened > closed):
                    found.append(m.group(0))
    return found


def test_the_russian_checks_catch_what_they_were_written_for():
    assert bad_quotes('сервер ответил "Greylisted, please try again later"')
    assert bad_quotes("ответ 450 “Greylisted, please try again later”") and bad_quotes("текст 'Попробуйте позже'")
    assert not bad_quotes('поле "format" должно быть "mailsim-transcript"; LIST "" "*"')
    assert not bad_quotes("«Два вида „нет“» и `C: \"quoted text\"`")
    assert avoided_terms("Таблица: код, отклик, значение") and avoided_terms("«отклик» сервера")
    assert not avoided_terms("В лекции ответы называются «откликами».")
    assert avoided_terms("В лекции сказано так. Сервер шлёт отклик.")  # not in quotes: not a quotation


def test_avoided_terms_are_the_glossary_s_lecture_wording():
    from simulator.course.lessons import load_course
    glossary = {term.id: term for term in load_course().glossary}
    for term_id, pattern in AVOID:
        assert term_id in glossary and re.search(pattern, glossary[term_id].lecture or "", re.I), term_id


def test_russian_texts_use_russian_quotes_and_the_glossary_s_terms():
    texts = russian_texts()
    assert len(texts) > 1000
    quotes = [f"{where}: {found}" for where, text in texts if (found := bad_quotes(text))]
    assert not quotes, "use «» in Russian text:\n" + "\n".join(quotes)
    terms = [f"{where}: {found}" for where, text in texts if (found := avoided_terms(text))]
    assert not terms, "use the glossary's term (the lecture's word only in a quotation of it):\n" + "\n".join(terms)
