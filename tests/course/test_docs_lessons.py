"""docs/lessons.md's coverage table: every item of the syllabus (docs/syllabus.md, sections 1-7)
is taught somewhere, and every lesson step, scenario and task the table names exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.course.lessons import load_course
from simulator.lab.scenarios import load_scenarios

ROOT = Path(__file__).resolve().parents[2]
SYLLABUS = (ROOT / "docs" / "syllabus.md").read_text(encoding="utf-8")
DOC = (ROOT / "docs" / "lessons.md").read_text(encoding="utf-8")


def section(number: int) -> str:
    match = re.search(rf"^## {number}\. .*?(?=^## |\Z)", SYLLABUS, re.M | re.S)
    assert match, f"section {number} not found in docs/syllabus.md"
    return match.group(0)


def table_first_cells(text: str) -> list[str]:
    rows = [line for line in text.splitlines() if line.startswith("|") and not line.startswith("|---")]
    return [row.split("|")[1].strip() for row in rows[1:]]


def syllabus_items() -> list[tuple[int, str]]:
    """(section, token) for every item of sections 1-7, read from the syllabus itself."""
    items: list[tuple[int, str]] = []
    s1 = section(1)
    for number in re.findall(r"^(\d)\. ", s1, re.M):
        items.append((1, f"scenario {number}"))
    for term in ("user agent", "message transfer agent", "message access agent", "envelope", "local part @ domain",
                 "mailing list"):
        assert term.split()[0].lower() in s1.lower()
        items.append((1, term))
    s2 = section(2)
    items += [(2, f"command {name}") for name in table_first_cells(s2) if name != "command"]
    assert "EHLO" in s2
    items.append((2, "command EHLO"))
    s3 = section(3)
    items += [(3, f"code {code}") for code in table_first_cells(s3) if code.isdigit()]
    digits = re.findall(r"(\d) (positive completion|positive intermediate|transient negative|permanent negative)", s3)
    assert len(digits) == 4
    items += [(3, f"first digit {d}: {name}") for d, name in digits]
    items.append((3, "second and third digits"))
    s4 = section(4)
    for phase in re.findall(r"^- (.+?) \(fig", s4, re.M):
        items.append((4, phase.lower()))
    s5 = section(5)
    items += [(5, "POP3 (port 110)"), (5, "POP3 delete mode"), (5, "POP3 keep mode"), (5, "IMAP4 (port 143)")]
    assert "Delete mode" in s5 and "keep mode" in s5
    features = re.search(r"IMAP4 \(TCP port 143\) adds: (.+?)\.\s*$", s5, re.M).group(1)
    for feature in features.split(";"):
        items.append((5, re.sub(r"\s*\(.*?\)", "", feature).strip()))
    s6 = section(6)
    headers = re.search(r"Headers: (.+?)\.", s6).group(1).split(", ")
    items += [(6, f"header {h}") for h in headers]
    types = re.search(r"Types: (.+?)\. Transfer", s6).group(1)
    for name in re.findall(r"(?:^|, )(\w+)", re.sub(r"\(.*?\)", "", types)):
        items.append((6, f"type {name}"))
    encodings = re.search(r"Transfer encodings: (.+?)\.", s6).group(1).split(", ")
    items += [(6, f"encoding {e}") for e in encodings]
    items.append((6, "why MIME"))
    s7 = section(7)
    for term in ("web-based mail", "PGP", "S/MIME"):
        assert term.lower() in s7.lower()
        items.append((7, term))
    return items


def coverage_rows() -> list[list[str]]:
    start = DOC.index("## Coverage of the syllabus")
    rows = [line for line in DOC[start:].splitlines() if line.startswith("| §")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_every_row_has_the_five_columns():
    for row in coverage_rows():
        assert len(row) == 5, row


def test_the_syllabus_yields_every_item_of_sections_1_to_7():
    items = syllabus_items()
    assert sum(1 for s, t in items if t.startswith("code ")) == 21
    assert sum(1 for s, t in items if t.startswith("command ")) == 15  # table 14.1 and EHLO
    assert {s for s, _ in items} == set(range(1, 8))


@pytest.mark.parametrize("section_number,token", syllabus_items(), ids=lambda x: str(x))
def test_every_syllabus_item_is_in_the_coverage_table(section_number, token):
    rows = coverage_rows()
    found = [row for row in rows if row[0].startswith(f"§{section_number} ")
             and re.search(rf"(?<![\w-]){re.escape(token.lower())}(?![\w-])", row[0].lower())]
    assert found, f"docs/lessons.md has no coverage row for §{section_number} {token!r}"


def test_every_row_points_at_lesson_steps_scenarios_and_tasks_that_exist():
    course = load_course()
    by_number = {lesson.number: lesson for lesson in course.ordered("en")}
    scenarios = load_scenarios()
    rows = coverage_rows()
    assert len(rows) >= 80
    for item, steps, scenario, task, _quiz in rows:
        assert steps != "—", f"{item}: no lesson step"
        for ref in steps.split(", "):
            lesson_no, step_no = (int(x) for x in ref.split("."))
            assert lesson_no in by_number, f"{item}: no lesson {lesson_no}"
            assert 1 <= step_no <= len(by_number[lesson_no].steps), f"{item}: lesson {lesson_no} has no step {step_no}"
        if scenario != "—":
            for name in scenario.split(", "):
                assert name in scenarios, f"{item}: no scenario {name!r}"
        if task != "—":
            for ref in task.split(", "):
                lesson_no, task_id = ref.split(":")
                lesson = by_number[int(lesson_no)]
                assert lesson.task(task_id) is not None, f"{item}: lesson {lesson_no} has no task {task_id!r}"


def test_every_lesson_has_a_task_and_every_shipped_lesson_is_in_the_table():
    course = load_course()
    rows = coverage_rows()
    named = {int(ref.split(".")[0]) for row in rows for ref in row[1].split(", ")}
    for lesson in course.ordered("en"):
        assert lesson.tasks(), f"lesson {lesson.number} has no task"
        assert lesson.number in named, f"lesson {lesson.number} is not in the coverage table"


def test_every_row_names_quiz_questions_that_exist_in_the_bank():
    from simulator.quiz.bank import bank
    questions = bank()
    rows = coverage_rows()
    for item, *_rest, quiz in rows:
        ids = re.findall(r"`([^`]+)`", quiz)
        assert ids, f"{item}: no quiz question"
        for qid in ids:
            assert qid in questions, f"{item}: no quiz question {qid!r}"


def test_the_quiz_column_covers_every_code_and_command_with_their_own_questions():
    rows = coverage_rows()
    for item, *_rest, quiz in rows:
        code = re.match(r"§3 code (\d+)", item)
        if code:
            assert f"code_meaning:smtp:{code.group(1)}" in quiz
        if item.startswith("§2 command "):
            assert "command_purpose:smtp:" in quiz
