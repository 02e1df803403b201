"""Authored questions: ``quizzes/*.toml``, the parts of the syllabus no catalogue can generate.

One file per topic holds ``[[question]]`` tables::

    [[question]]
    id = "architecture-scenario-4"        # lower-case letters, digits and "-"; unique in all files
    topic = "architecture"                # one of quiz_bank.TOPICS
    protocol = "pop3"                     # optional: smtp, pop3 or imap
    kind = "single"                       # optional: "single" (default) or "order"
    answer = 2                            # single: the right choice, counted from 1 (order: no answer)
    codes = []                            # optional: reply codes it is about (250, "+OK", "NO")
    commands = []                         # optional: commands it is about ("RETR")
    prompt.en = "..."
    prompt.ru = "..."
    explanation.en = "..."
    explanation.ru = "..."
    choices = [                           # single: the options; order: the items in the right order
      {en = "...", ru = "..."},
      {en = "...", ru = "..."},
    ]

:func:`validate_authored` reports every problem as ``path:line: message``
(like ``mailsim lessons check``); ``python -m simulator.quiz_authored [DIR]``
prints them and exits 1. :func:`questions` gives the valid questions (a file
with errors contributes only its valid questions).
"""
from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from simulator import i18n, paths
from simulator.protocols import registry
from simulator.quiz.model import LANGUAGES, PROTOCOLS, TOPICS, Question
from simulator.validate import Checker, join_path

__all__ = ["QuizError", "validate_authored", "load_authored", "questions", "QUIZ_DIR", "main"]

QUIZ_DIR = paths.quizzes_dir()
_FIELDS = ("id", "topic", "protocol", "kind", "answer", "codes", "commands", "prompt", "explanation", "choices")
_REQUIRED = ("id", "topic", "prompt", "choices", "explanation")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
MAX_TEXT = 1500
MAX_CHOICE = 400
MIN_CHOICES, MAX_CHOICES = 2, 8


@dataclass(frozen=True)
class QuizError:
    """One problem in an authored file: where and what."""

    file: str
    line: Optional[int]
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class _Lines:
    """Where each question, each of its keys and each of its choices starts in the file's text.

    tomllib gives values without positions, so this small scanner finds the
    lines of ``[[question]]`` headers, of ``key = `` / ``key.sub = `` lines
    and of the ``{`` opening each choice of a multi-line ``choices`` array.
    """

    def __init__(self, text: str):
        self.questions: list[int] = []
        self.keys: list[dict[str, int]] = []
        self.choices: list[list[int]] = []
        in_choices = False
        in_string: Optional[str] = None
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if in_string:
                if in_string in stripped:
                    in_string = None
                continue
            if re.match(r"^\[\[\s*question\s*\]\]", stripped):
                self.questions.append(number)
                self.keys.append({})
                self.choices.append([])
                in_choices = False
                continue
            if not self.questions:
                continue
            if in_choices:
                if stripped[:1] in ("{", '"', "'"):
                    self.choices[-1].append(number)
                elif stripped.startswith("]"):
                    in_choices = False
                continue
            match = re.match(r"^([A-Za-z_][\w-]*)(\.[A-Za-z_][\w-]*)?\s*=", stripped)
            if match:
                key = match.group(1)
                self.keys[-1].setdefault(key, number)
                if match.group(2):
                    self.keys[-1].setdefault(key + match.group(2), number)
                value = stripped.split("=", 1)[1].strip()
                if key == "choices" and value.startswith("["):
                    if value.count("[") > value.count("]"):
                        in_choices = True  # one choice per following line that starts with "{"
                    else:
                        self.choices[-1].extend([number] * value.count("{"))
                for quote in ('"""', "'''"):
                    if value.count(quote) % 2 == 1:
                        in_string = quote

    def of(self, index: int, key: Optional[str] = None, choice: Optional[int] = None) -> Optional[int]:
        if index >= len(self.questions):
            return None
        if choice is not None and choice < len(self.choices[index]):
            return self.choices[index][choice]
        if key is not None:
            keys = self.keys[index]
            if key in keys:
                return keys[key]
            if key.split(".")[0] in keys:
                return keys[key.split(".")[0]]
        return self.questions[index]


def _files(directory: Optional[Union[str, Path]]) -> list[Path]:
    base = Path(directory) if directory is not None else QUIZ_DIR
    if base.is_file():
        return [base]
    try:
        return sorted(p for p in base.iterdir() if p.suffix == ".toml" and p.is_file())
    except FileNotFoundError:
        return []


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _known_codes() -> dict[str, set]:
    return {name: set(s.codes) for name, s in registry.SPECS.items()}


def _known_commands() -> dict[str, set]:
    # a command's aliases (SMTP's SMOL for SOML, say) are known too
    return {name: set(s.replies.COMMANDS) | {a for c in s.replies.COMMANDS.values() for a in getattr(c, "aliases", ())}
            for name, s in registry.SPECS.items()}


def _check_text(value: Any, where: str, limit: int, errors: list, at, label: str,
                russian: bool = True) -> Optional[dict]:
    """A ``{en, ru}`` table; with ``russian``, the Russian must be Russian (not the English copied).

    ``at(lang)`` is the line of the text in ``lang`` (``at(None)``: of the table)."""
    # a path is ``where`` (the table's line) or ``where.<lang>`` (that text's)
    check = Checker(lambda path, message: errors.append(QuizError(label, at(path[len(where) + 1:] or None), message)))
    if check.obj(value, where, message='{path} must be a table with one text per language: '
                                       '{path}.en = "..." and {path}.ru = "..."') is None:
        return None
    check.only(value, where, LANGUAGES, at_key=False, message="{path}.{key}: unknown language; use {allowed}")
    for lang in LANGUAGES:
        check.text(value.get(lang), join_path(where, lang), limit=limit, message="{path} is missing or empty",
                   long_message="{path}: at most {limit} characters, got {length}")
    if not check.failures and russian:
        if not _CYRILLIC.search(value["ru"]):
            check.report(f"{where}.ru", f"{where}.ru has no Russian letters: write it in Russian")
        elif value["ru"].strip() == value["en"].strip():
            check.report(f"{where}.ru", f"{where}.ru is the same as {where}.en: translate it")
    return {lang: value[lang].strip() for lang in LANGUAGES} if not check.failures else None


def _parse_question(raw: Any, index: int, lines: _Lines, label: str, errors: list,
                    seen: dict[str, str]) -> Optional[Question]:
    start = len(errors)
    at = lambda key=None, choice=None: lines.of(index, key, choice)  # noqa: E731
    # a path is a key of the question (its line) or "" (the question's)
    check = Checker(lambda path, message: errors.append(QuizError(label, at(path or None), message)))
    if check.obj(raw, "", message="a question must be a [[question]] table") is None:
        return None
    check.only(raw, "", _FIELDS, message="unknown field {key!r}; allowed: {allowed}")
    check.required(raw, "", _REQUIRED, message="the question needs the field {key!r}")
    if len(errors) > start:
        return None
    qid = check.pattern(raw["id"], "id", _ID, limit=80,
                        message="id: lower-case letters, digits and single '-', at most 80 characters, not {value!r}")
    if qid is not None and qid in seen:
        check.report("id", f"id {qid!r} is already used ({seen[qid]})")
    elif qid is not None:
        seen[qid] = f"{label}:{at('id')}"
    topic = raw["topic"]
    check.one_of(topic, "topic", TOPICS, message="topic must be one of {choices}, not {value!r}")
    protocol = raw.get("protocol")
    if protocol is not None:
        protocol = check.one_of(protocol, "protocol", PROTOCOLS,
                                message="protocol must be one of {choices}, not {value!r}")
    kind = raw.get("kind", "single")
    check.one_of(kind, "kind", ("single", "order"), message='kind must be "single" or "order", not {value!r}')
    prompt = _check_text(raw["prompt"], "prompt", MAX_TEXT, errors,
                         lambda lang: at("prompt" + (f".{lang}" if lang else "")), label)
    explanation = _check_text(raw["explanation"], "explanation", MAX_TEXT, errors,
                              lambda lang: at("explanation" + (f".{lang}" if lang else "")), label)
    choices = raw["choices"]
    parsed: list[Union[str, dict]] = []
    if check.list_of(choices, "choices", lo=MIN_CHOICES, hi=MAX_CHOICES,
                     message='choices must be a list of {lo} to {hi} {{en = "...", ru = "..."}} tables') is not None:
        for i, choice in enumerate(choices):
            if isinstance(choice, str) and choice.strip() and len(choice) <= MAX_CHOICE:
                parsed.append(choice.strip())  # the same in every language: a number, a command, a type
                continue
            # A choice may be a technical name the same in both languages (base64, multipart/mixed).
            text = _check_text(choice, f"choices[{i + 1}]", MAX_CHOICE, errors,
                               lambda _lang, i=i: at("choices", i), label, russian=False)
            if text is not None:
                parsed.append(text)
        for lang in LANGUAGES:
            texts = [(c[lang] if isinstance(c, dict) else c).casefold() for c in parsed]
            dup = next((i for i, t in enumerate(texts) if t in texts[:i]), None)
            if dup is not None:
                errors.append(QuizError(label, at("choices", dup), f"two choices have the same {lang} text"))
                break
    answer = raw.get("answer")
    if kind == "single":
        n = len(choices) if isinstance(choices, list) else 0
        if answer is None:
            check.report("", "a single-choice question needs answer = N (1 for the first choice)")
        else:
            check.integer(answer, "answer", 1, max(n, 1),
                          message=f"answer must be a choice number from 1 to {n}, not {{value!r}}")
    elif answer is not None:
        check.report("answer", "an order question has no answer: its choices are the items in the right order")
    codes = _check_list(raw.get("codes", []), "codes", protocol, _known_codes(), errors, at("codes"), label)
    commands = _check_list(raw.get("commands", []), "commands", protocol, _known_commands(), errors,
                           at("commands"), label)
    if len(errors) > start:
        return None
    assert prompt is not None and explanation is not None  # _check_text reported why otherwise
    return Question(
        id=f"authored:{protocol or '-'}:{qid}", type="authored", protocol=protocol, topic=topic, kind=kind,
        prompt=prompt, choices=tuple(parsed), answer=answer - 1 if kind == "single" else None,
        explanation=explanation, codes=tuple(codes), commands=tuple(commands), replay=None,
        source={"file": label, "line": at()})


def _check_list(value: Any, name: str, protocol: Optional[str], known: dict[str, set], errors: list,
                line: Optional[int], label: str) -> list:
    check = Checker(lambda path, message: errors.append(QuizError(label, line, message)))
    if check.list_of(value, name, message="{path} must be a list") is None:
        return []
    pool = known[protocol] if protocol else set().union(*known.values())
    out = []
    for item in value:
        if isinstance(item, bool) or item not in pool:
            where = f"the {protocol.upper()} catalogue" if protocol else "any catalogue"
            check.report(name, f"{name}: {item!r} is not in {where}")
        else:
            out.append(item)
    return out


def load_authored(directory: Optional[Union[str, Path]] = None) -> tuple[list[Question], list[QuizError]]:
    """(the valid questions, every error) of the authored files in ``directory`` (default: quizzes/)."""
    out: list[Question] = []
    errors: list[QuizError] = []
    seen: dict[str, str] = {}
    for path in _files(directory):
        label = _label(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            errors.append(QuizError(label, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            errors.append(QuizError(label, int(found.group(1)) if found else None,
                                    f"not valid TOML: {message}" + (f" (column {found.group(2)})" if found else "")))
            continue
        lines = _Lines(text)
        for key in data:
            if key != "question":
                errors.append(QuizError(label, 1, f"unknown top-level key {key!r}: "
                                                  "a file holds only [[question]] tables"))
        raw_questions = data.get("question", [])
        if not isinstance(raw_questions, list) or not raw_questions:
            errors.append(QuizError(label, 1, "no [[question]] tables"))
            continue
        for index, raw in enumerate(raw_questions):
            q = _parse_question(raw, index, lines, label, errors, seen)
            if q is not None:
                out.append(q)
    return out, errors


def validate_authored(directory: Optional[Union[str, Path]] = None) -> list[QuizError]:
    """Every ``path:line: message`` error of the authored files (empty when all is well)."""
    return load_authored(directory)[1]


def questions() -> list[Question]:
    """The valid authored questions of quizzes/."""
    return load_authored()[0]


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m simulator.quiz_authored [DIR]``: check the authored question files."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print("usage: python -m simulator.quiz_authored [DIR]\n"
              "Checks the authored quiz questions (default: quizzes/*.toml).")
        return 0
    directory = argv[0] if argv else None
    found, errors = load_authored(directory)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(i18n.t(i18n.terminal_language(), "cli.problems", n=len(errors)), file=sys.stderr)
        return 1
    lang = i18n.terminal_language()
    print(i18n.t(lang, "cli.quizzes.ok", questions=i18n.t(lang, "cli.quizzes.questions", n=len(found)),
                 files=i18n.t(lang, "cli.files", n=len(_files(directory)))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
