"""Lessons as data: Markdown files with TOML front matter, widgets and tasks (docs/lessons.md).

``lessons/<lang>/NN-slug.md`` holds one lesson in one language. The file
starts with TOML front matter between ``+++`` lines (title, summary,
minutes); its body is a sequence of steps, each opened by a ``## `` heading.
Inside a step, ordinary CommonMark is the explanation (raw HTML is shown as
text), and fenced blocks whose info string is ``widget`` or ``task`` hold
TOML: a live lab widget to watch or try, or a task checked against the
learner's own session transcript (:mod:`simulator.lesson_check`). This module
reads the files, their steps and the glossary, and loads the course; the
blocks' model and parsing are in :mod:`simulator.lesson_blocks`.

Why Markdown + TOML: a teacher can write a lesson in any editor and read the
diff, TOML is in the standard library (tomllib) and reports the line of a
mistake, and the Markdown renderer (markdown-it-py, CommonMark) is told not
to pass HTML through, so a lesson cannot put markup or scripts in a page.

Everything is checked (:func:`validate`), and every problem is a
:class:`LessonError` with ``file:line``: unknown widget kinds, scenarios or
presets, unknown keys, a lesson missing in one language, languages whose
steps, widgets or tasks differ, and a task whose reference solution does not
pass its own check.
"""
from __future__ import annotations

import logging
import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

from markdown_it import MarkdownIt

from simulator import paths
from simulator.course.blocks import (
    _ID,
    PERSONAL_NAME,
    WIDGET_KINDS,
    Match,
    Question,
    Solution,
    Task,
    Widget,
    _line_of_key,
    _parse_task,
    _parse_widget,
    _text,
    _unknown,
)
from simulator.lab import scenarios as scenario_data

__all__ = [
    "LessonError", "Lesson", "LessonStep", "Widget", "Task", "Match", "Question", "Solution", "Term",
    "Course", "CourseFiles", "load_course", "validate", "render_markdown", "render_inline", "LANGUAGES",
    "WIDGET_KINDS", "DEFAULT_DIR", "PERSONAL_NAME",
]

log = logging.getLogger(__name__)
LANGUAGES = ("en", "ru")
DEFAULT_DIR = paths.lessons_dir()
_FILE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})\s*([^`\s]*)")


class LessonError(ValueError):
    """One problem in a lesson file, at ``path:line``."""

    def __init__(self, path: Union[str, Path], line: Optional[int], message: str):
        try:  # as the author typed it: relative to where the check runs
            path = Path(path).resolve().relative_to(Path.cwd())
        except ValueError:
            pass
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}")


# ------------------------------------------------------------------ model
@dataclass
class LessonStep:
    number: int  # 1-based
    title: str
    line: int
    blocks: list = field(default_factory=list)  # ("md", text, line) | Widget | Task

    @property
    def tasks(self) -> list[Task]:
        return [b for b in self.blocks if isinstance(b, Task)]


@dataclass
class Lesson:
    slug: str
    number: int
    lang: str
    path: Path
    title: str
    summary: str
    minutes: int
    steps: list

    def task(self, task_id: str) -> Optional[Task]:
        for step in self.steps:
            for task in step.tasks:
                if task.id == task_id:
                    return task
        return None

    def tasks(self) -> list[tuple[int, Task]]:
        return [(step.number, task) for step in self.steps for task in step.tasks]


@dataclass
class Term:
    id: str
    en: str
    ru: str
    definition: dict
    lecture: Optional[str] = None
    note: Optional[dict] = None
    rfc: Optional[str] = None


@dataclass
class Course:
    """Every lesson in every language, in lesson order, and the glossary."""

    lessons: dict  # slug -> {lang: Lesson}
    glossary: list
    errors: list

    def ordered(self, lang: str) -> list[Lesson]:
        out = [by_lang.get(lang) or by_lang.get("en") or next(iter(by_lang.values()))
               for by_lang in self.lessons.values()]
        return sorted(out, key=lambda lesson: (lesson.number, lesson.slug))

    def get(self, slug: str, lang: str) -> Optional[Lesson]:
        by_lang = self.lessons.get(slug)
        if not by_lang:
            return None
        return by_lang.get(lang) or by_lang.get("en") or next(iter(by_lang.values()))


# --------------------------------------------------------------- markdown
# No autolinks: in mail lessons "<bob@example.org>" is an address in angle
# brackets (RCPT TO:<...>), to be shown as written, not turned into a mailto link.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table") \
    .disable("autolink")


def render_markdown(text: str) -> str:
    """Lesson prose as HTML; HTML in the source is escaped, never passed through."""
    return _md.render(text)


def render_inline(text: str) -> str:
    """One line of lesson text (a goal, a hint, a caption) as inline HTML."""
    return _md.renderInline(text)


# ---------------------------------------------------------------- parsing
class _Errors(list):
    def add(self, path: Path, line: Optional[int], message: str) -> None:
        self.append(LessonError(path, line, message))


def _toml(text: str, path: Path, first_line: int, errors: _Errors) -> Optional[dict]:
    try:
        # A final LF: tomllib reports an error on an unterminated last line "at end of document", without a line.
        return tomllib.loads(text + "\n")
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        # Still "at end of document" (an unclosed array or table): the block's last line.
        line = first_line + int(found.group(1)) - 1 if found else first_line + text.rstrip("\n").count("\n")
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        errors.add(path, line, f"not valid TOML: {message}")
        return None


def parse_lesson(path: Path, lang: str, errors: _Errors, presets: dict, scenarios_by_name: dict,
                 journeys: set) -> Optional[Lesson]:
    """One lesson file, or None (its problems added to ``errors``)."""
    name = _FILE.match(path.name)
    if not name:
        errors.add(path, None, "a lesson file is named NN-slug.md (two digits, then lower-case words and '-')")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        errors.add(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "+++":
        errors.add(path, 1, "a lesson starts with TOML front matter between two '+++' lines")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        errors.add(path, 1, "the front matter has no closing '+++' line")
        return None
    before = len(errors)
    front = _toml("\n".join(lines[1:end]), path, 2, errors)
    if front is None:
        return None
    for key in front:
        if key not in ("title", "summary", "minutes"):
            errors.add(path, _line_of_key(lines, 1, key), f"unknown front matter key {key!r} "
                                                           "(allowed: title, summary, minutes)")
    try:
        title = _text(front.get("title"), "title", limit=120)
        summary = _text(front.get("summary"), "summary", limit=400)
    except ValueError as exc:
        errors.add(path, 2, f"front matter: {exc}")
        return None
    minutes = front.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 240:
        errors.add(path, _line_of_key(lines, 1, "minutes"), "front matter: minutes is a whole number from 1 to 240")
        return None
    lesson = Lesson(slug=name.group(2), number=int(name.group(1)), lang=lang, path=path, title=title,
                    summary=summary, minutes=minutes, steps=[])
    step: Optional[LessonStep] = None
    prose: list[str] = []
    prose_line = 0
    ids: set[str] = set()

    def flush() -> None:
        nonlocal prose
        if step is not None and "".join(prose).strip():
            blank = next(k for k, text in enumerate(prose) if text.strip())  # the line where the text starts
            step.blocks.append(("md", "\n".join(prose[blank:]), prose_line + blank))
        prose = []

    i = end + 1
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            marker, info = fence.group(2), fence.group(3)
            close = next((j for j in range(i + 1, len(lines))
                          if lines[j].strip().startswith(marker[0] * len(marker))
                          and not lines[j].strip().strip(marker[0])), None)
            if close is None:
                errors.add(path, i + 1, "a fenced block is never closed")
                break
            if info in ("widget", "task"):
                if step is None:
                    errors.add(path, i + 1, f"a {info} before the first step ('## ' heading)")
                else:
                    flush()
                    block = lines[i + 1:close]
                    data = _toml("\n".join(block), path, i + 2, errors)
                    if data is not None:
                        item: Union[Widget, Task, None]
                        if info == "widget":
                            item = _parse_widget(data, block, i + 2, path, errors, presets, scenarios_by_name,
                                                 journeys)
                        else:
                            item = _parse_task(data, block, i + 2, path, errors, presets, scenarios_by_name)
                            if item is not None:
                                if item.id in ids:
                                    errors.add(path, i + 2, f"task id {item.id!r} is used twice in this lesson")
                                ids.add(item.id)
                        if item is not None:
                            step.blocks.append(item)
                    prose_line = close + 2
                i = close + 1
                continue
            if step is None and "".join(lines[i:close + 1]).strip():
                errors.add(path, i + 1, "text before the first step: every step starts with a '## ' heading")
            if not prose:
                prose_line = i + 1
            prose.extend(lines[i:close + 1])
            i = close + 1
            continue
        if line.startswith("## "):
            flush()
            title_text = line[3:].strip()
            if not title_text:
                errors.add(path, i + 1, "a step heading needs a title")
            step = LessonStep(number=len(lesson.steps) + 1, title=title_text, line=i + 1)
            lesson.steps.append(step)
            prose_line = i + 2
        elif re.match(r"^#\s", line):
            errors.add(path, i + 1, "no level-1 heading in a lesson (its title is in the front matter)")
        elif step is None:
            if line.strip():
                errors.add(path, i + 1, "text before the first step: every step starts with a '## ' heading")
        else:
            if not prose:
                prose_line = i + 1
            prose.append(line)
        i += 1
    flush()
    if not lesson.steps:
        errors.add(path, end + 2, "a lesson has at least one step ('## Step title')")
    return lesson if len(errors) == before else None


def parse_glossary(path: Path, errors: _Errors) -> list[Term]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.add(path, None, "the glossary is missing")
        return []
    data = _toml(text, path, 1, errors)
    if data is None:
        return []
    lines = text.split("\n")
    terms: list[Term] = []
    seen: set[str] = set()
    raw_terms = data.get("term")
    if set(data) - {"term"} or not isinstance(raw_terms, list):
        errors.add(path, 1, "the glossary is a list of [[term]] tables")
        return []
    start = 0
    for raw in raw_terms:
        line = _line_of_key(lines, 1, "term", start)
        start = line
        try:
            _unknown(raw, ("id", "en", "ru", "lecture", "definition", "note", "rfc"), "a term")
            tid = raw.get("id")
            if not isinstance(tid, str) or not _ID.match(tid):
                raise ValueError(f"id must be lower-case letters, digits and '-', not {tid!r}")
            if tid in seen:
                raise ValueError(f"term {tid!r} appears twice")
            seen.add(tid)
            for key in ("definition", "note"):
                value = raw.get(key)
                if value is None and key == "note":
                    continue
                if not isinstance(value, dict) or set(value) != set(LANGUAGES) or \
                        not all(isinstance(v, str) and v.strip() for v in value.values()):
                    raise ValueError(f"{key} must be {{ en = \"...\", ru = \"...\" }}")
            terms.append(Term(id=tid, en=_text(raw.get("en"), "en", limit=200),
                              ru=_text(raw.get("ru"), "ru", limit=200),
                              definition=raw["definition"], lecture=raw.get("lecture"), note=raw.get("note"),
                              rfc=raw.get("rfc")))
        except ValueError as exc:
            errors.add(path, line, f"[[term]]: {exc}")
    return terms


# ---------------------------------------------------------------- course
def _journey_presets() -> set:
    import json
    data = json.loads((scenario_data.DATA_DIR / "journeys.json").read_text(encoding="utf-8"))
    presets = data.get("presets", {})
    return set(presets) if isinstance(presets, dict) else {p.get("name") for p in presets}


def load_course(directory: Optional[Union[str, Path]] = None) -> Course:
    """Every lesson file under ``directory`` (default: the shipped lessons/), parsed and cross-checked.

    Lessons with problems are left out; the problems are in ``Course.errors``
    (solutions are not played here: :func:`validate` does that)."""
    directory = Path(directory) if directory else DEFAULT_DIR
    errors = _Errors()
    presets = scenario_data.load_presets()
    by_name = scenario_data.load_scenarios()
    journeys = _journey_presets()
    lessons: dict[str, dict[str, Lesson]] = {}
    files: dict[str, dict[str, Path]] = {}
    if not directory.is_dir():
        errors.add(directory, None, "no such folder")
        return Course({}, [], list(errors))
    for lang in LANGUAGES:
        folder = directory / lang
        if not folder.is_dir():
            errors.add(folder, None, f"the {lang} lessons' folder is missing")
            continue
        for path in sorted(folder.glob("*.md")):
            files.setdefault(path.name, {})[lang] = path
            lesson = parse_lesson(path, lang, errors, presets, by_name, journeys)
            if lesson is not None:
                lessons.setdefault(lesson.slug, {})[lang] = lesson
    for name, by_lang in sorted(files.items()):
        for lang in LANGUAGES:
            if lang not in by_lang:
                other = next(iter(by_lang.values()))
                errors.add(other, None, f"this lesson is missing in {lang}: expected {directory / lang / name}")
    numbers: dict[int, str] = {}
    for slug, versions in sorted(lessons.items()):
        any_lesson = next(iter(versions.values()))
        if any_lesson.number in numbers and numbers[any_lesson.number] != slug:
            errors.add(any_lesson.path, None, f"lesson number {any_lesson.number:02d} is also used by "
                                              f"{numbers[any_lesson.number]!r}")
        numbers[any_lesson.number] = slug
        _compare_languages(versions, errors)
    glossary = parse_glossary(directory / "glossary.toml", errors)
    complete = {slug: by_lang for slug, by_lang in lessons.items() if set(by_lang) == set(LANGUAGES)}
    return Course(complete, glossary, list(errors))


class CourseFiles:
    """The course of one lessons folder, loaded once and again whenever a file there changes
    (a teacher drops a lesson in while MailSim runs). Safe to share between threads."""

    def __init__(self, directory: Optional[Union[str, Path]] = None,
                 on_error: Optional[Callable[[str], None]] = None):
        self.directory = Path(directory) if directory is not None else DEFAULT_DIR
        self._on_error = on_error or (lambda error: log.warning("lesson skipped: %s", error))
        self._lock = threading.Lock()
        self._key: Optional[tuple] = None
        self._course: Optional[Course] = None

    def _signature(self) -> tuple:
        try:
            return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                                for p in self.directory.rglob("*") if p.is_file()))
        except OSError:
            return ()

    def current(self) -> Course:
        """The course as the files say now."""
        key = self._signature()
        with self._lock:
            if self._course is None or self._key != key:
                loaded = load_course(self.directory)
                for error in loaded.errors:
                    self._on_error(error)
                self._key, self._course = key, loaded
            return self._course


def _compare_languages(by_lang: dict, errors: _Errors) -> None:
    if len(by_lang) < 2:
        return
    base = by_lang[LANGUAGES[0]]
    for lang in LANGUAGES[1:]:
        other = by_lang.get(lang)
        if other is None:
            continue
        if len(other.steps) != len(base.steps):
            errors.add(other.path, None, f"{len(other.steps)} steps, but the {base.lang} version "
                                         f"({base.path.name}) has {len(base.steps)}: the languages must match "
                                         "step for step")
            continue
        for a, b in zip(base.steps, other.steps):
            sa = [x.signature() for x in a.blocks if not isinstance(x, tuple)]
            sb = [x.signature() for x in b.blocks if not isinstance(x, tuple)]
            if sa != sb:
                ka = ", ".join(f"{s[0]} {s[1]}" for s in sa) or "none"
                kb = ", ".join(f"{s[0]} {s[1]}" for s in sb) or "none"
                detail = f"widgets/tasks: {kb}; {base.lang}: {ka}" if ka != kb else \
                    "a widget's or task's settings (not its text) differ between the languages"
                errors.add(other.path, b.line, f"step {b.number} differs from the {base.lang} version "
                                               f"(line {a.line}): {detail}")


def validate(directory: Optional[Union[str, Path]] = None, *, play: bool = True) -> tuple[Course, list[LessonError]]:
    """Load and check every lesson; with ``play``, run each task's reference solution through its check."""
    course = load_course(directory)
    errors = list(course.errors)
    if play:
        from simulator.course.check import check_solution
        for _slug, by_lang in sorted(course.lessons.items()):
            for _lang, lesson in sorted(by_lang.items()):
                for _, task in lesson.tasks():
                    if task.solution is None:
                        continue
                    problem = check_solution(task)
                    if problem:
                        errors.append(LessonError(lesson.path, task.solution.line,
                                                  f"task {task.id!r}: the reference solution does not pass its "
                                                  f"own check: {problem}"))
    return course, errors
