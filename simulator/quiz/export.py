"""Export quiz questions to Moodle: GIFT text and Moodle XML.

* :func:`to_gift`: every "single" question as a GIFT multiple-choice
  question in HTML format (``::name::[html]text {=right ~wrong ####feedback}``).
  GIFT has no ordering question, so "order" questions are left out (the
  ordering plugin's own ``{>...}`` extension is not GIFT that Moodle's core
  importer or other GIFT tools read). GIFT's special characters
  ``~ = # { } :`` and the backslash are escaped with a backslash; no blank
  line may fall inside a question, so replays are joined with ``<br>``.
* :func:`to_moodle_xml`: "single" questions as ``multichoice`` (one answer
  at fraction 100, the others 0, ``single`` true) and "order" questions as
  ``ordering`` (the qtype_ordering plugin: the answers in the right order,
  graded all or nothing like MailSim), each with the explanation as general
  feedback. Texts are HTML, escaped by the XML writer.

A replay (predict, fill) becomes a ``<pre>`` block under the question's text:
``C:``/``S:`` lines, a hidden line shown as ``?``. Backquoted `code spans` of
prompts become ``<code>``. docs/quizzes.md tells what each format cannot express.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Iterable, Optional

from simulator import i18n
from simulator.quiz.model import Question, text_in

__all__ = ["to_gift", "to_moodle_xml", "question_html", "escape_gift"]

_GIFT_SPECIAL = re.compile(r"([\\~=#{}:])")
_CODE_SPAN = re.compile(r"`([^`]+)`")
MAX_REPLAY_LINES = 12  # lines of one exchange shown in an export
MAX_REPLAY_LINE = 200

_LABELS = {
    "en": {"replay": "The session so far:", "right": "Right.", "wrong": "Not this one.",
           "hidden": "(hidden line)", "correct": "Correct.", "incorrect": "Not correct.",
           "partial": "Partly correct.", "connect": "(connects)", "close": "(closes the connection)",
           "silence": "(no answer)"},
    "ru": {"replay": "Сеанс до этого момента:", "right": "Верно.", "wrong": "Не этот вариант.",
           "hidden": "(скрытая строка)", "correct": "Правильно.", "incorrect": "Неправильно.",
           "partial": "Частично правильно.", "connect": "(подключается)", "close": "(закрывает соединение)",
           "silence": "(ответа нет)"},
}


def _lang(lang: str) -> str:
    return lang if lang in _LABELS else "en"


def escape_gift(text: str) -> str:
    """``text`` with GIFT's special characters backslash-escaped and line breaks made spaces."""
    text = _GIFT_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"\s*[\r\n]+\s*", " ", text)


def _inline(text: str) -> str:
    """Plain text with `code spans` as HTML."""
    parts = _CODE_SPAN.split(text)
    return "".join(f"<code>{html.escape(p, quote=False)}</code>" if i % 2 else html.escape(p, quote=False)
                   for i, p in enumerate(parts))


def _replay_lines(question: Question, lang: str) -> list[str]:
    labels = _LABELS[lang]
    out: list[str] = []
    for ex in question.replay or ():
        side = "C" if ex.get("from") == "client" else "S"
        text = ex.get("text") or ""
        if text == "?":
            out.append(f"{side}: ? {labels['hidden']}")
            continue
        if ex.get("kind") == "tcp":
            out.append(f"{side}: {labels['connect'] if text == 'connect' else labels['close']}")
            continue
        if ex.get("kind") == "silence":
            out.append(f"{side}: {labels['silence']}")
            continue
        lines = text.replace("\r\n", "\n").split("\n")
        if len(lines) > MAX_REPLAY_LINES:
            more = i18n.t(lang, "diagram.more_lines", n=len(lines) - MAX_REPLAY_LINES + 1)
            lines = lines[:MAX_REPLAY_LINES - 1] + [f"... {more}"]
        for line in lines:
            line = line if len(line) <= MAX_REPLAY_LINE else line[:MAX_REPLAY_LINE - 3] + "..."
            out.append(f"{side}: {line}")
    return out


def question_html(question: Question, lang: str) -> str:
    """The question's text as HTML, with its replay (if any) as a ``<pre>`` block; no newline inside."""
    lang = _lang(lang)
    body = f"<p>{_inline(text_in(question.prompt, lang))}</p>"
    if question.replay:
        lines = "<br>".join(html.escape(line, quote=False) or "&nbsp;" for line in _replay_lines(question, lang))
        body += f"<p>{html.escape(_LABELS[lang]['replay'], quote=False)}</p><pre>{lines}</pre>"
    return body


def _choice_html(choice, lang: str) -> str:
    return _inline(text_in(choice, lang)).replace("\n", "<br>")


def _name(question: Question) -> str:
    return question.id


# --------------------------------------------------------------------------
# GIFT


def to_gift(questions: Iterable[Question], lang: str) -> str:
    """Moodle GIFT for the "single" questions (order questions are skipped: GIFT cannot express them)."""
    lang = _lang(lang)
    blocks = []
    for q in questions:
        if q.kind != "single":
            continue
        lines = [f"// {q.id} ({q.type}, {q.topic})",
                 f"::{escape_gift(_name(q))}::[html]{escape_gift(question_html(q, lang))} {{"]
        for i, choice in enumerate(q.choices):
            mark = "=" if i == q.answer else "~"
            lines.append(f"{mark}{escape_gift(_choice_html(choice, lang))}")
        lines.append(f"####{escape_gift(_inline(text_in(q.explanation, lang)))}")
        lines.append("}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


# --------------------------------------------------------------------------
# Moodle XML


def _text(parent: ET.Element, tag: str, value: str, fmt: Optional[str] = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = value
    return el


def _plain(parent: ET.Element, tag: str, value: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = value
    return el


def _header(root: ET.Element, q: Question, qtype: str, lang: str) -> ET.Element:
    el = ET.SubElement(root, "question", {"type": qtype})
    name = ET.SubElement(el, "name")
    ET.SubElement(name, "text").text = _name(q)
    _text(el, "questiontext", question_html(q, lang))
    _text(el, "generalfeedback", f"<p>{_inline(text_in(q.explanation, lang))}</p>")
    _plain(el, "defaultgrade", "1.0000000")
    _plain(el, "penalty", "0.3333333")
    _plain(el, "hidden", "0")
    _plain(el, "idnumber", q.id[:100])
    return el


def _combined_feedback(el: ET.Element, lang: str) -> None:
    labels = _LABELS[lang]
    _text(el, "correctfeedback", f"<p>{labels['correct']}</p>")
    _text(el, "partiallycorrectfeedback", f"<p>{labels['partial']}</p>")
    _text(el, "incorrectfeedback", f"<p>{labels['incorrect']}</p>")


def to_moodle_xml(questions: Iterable[Question], lang: str) -> str:
    """Moodle XML: multichoice for "single" questions, ordering (qtype_ordering) for "order" ones."""
    lang = _lang(lang)
    labels = _LABELS[lang]
    root = ET.Element("quiz")
    for q in questions:
        if q.kind == "single":
            el = _header(root, q, "multichoice", lang)
            _plain(el, "single", "true")
            _plain(el, "shuffleanswers", "true")
            _plain(el, "answernumbering", "abc")
            _plain(el, "showstandardinstruction", "0")
            _combined_feedback(el, lang)
            for i, choice in enumerate(q.choices):
                right = i == q.answer
                answer = ET.SubElement(el, "answer", {"fraction": "100" if right else "0", "format": "html"})
                ET.SubElement(answer, "text").text = _choice_html(choice, lang)
                _text(answer, "feedback", f"<p>{labels['right'] if right else labels['wrong']}</p>")
        elif q.kind == "order":
            el = _header(root, q, "ordering", lang)
            _plain(el, "layouttype", "VERTICAL")
            _plain(el, "selecttype", "ALL")
            _plain(el, "selectcount", "0")
            _plain(el, "gradingtype", "ALL_OR_NOTHING")
            _plain(el, "showgrading", "SHOW")
            _combined_feedback(el, lang)
            for i, item in enumerate(q.choices):
                answer = ET.SubElement(el, "answer", {"fraction": f"{i + 1}.0000000", "format": "html"})
                ET.SubElement(answer, "text").text = _choice_html(item, lang)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
