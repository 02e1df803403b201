"""Authored questions (quizzes/*.toml): the packaged files are valid, and errors name file and line."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from simulator.quiz import authored as quiz_authored
from simulator.quiz.authored import QUIZ_DIR, load_authored, main, validate_authored
from simulator.quiz.bank import bank

GOOD = '''\
[[question]]
id = "sample-one"
topic = "mime"
answer = 2
prompt.en = "Which encoding suits a PDF file?"
prompt.ru = "Какая кодировка подходит для файла PDF?"
explanation.en = "base64 carries any bytes."
explanation.ru = "base64 переносит любые байты."
choices = [
  {en = "7bit", ru = "7bit"},
  "base64",
  {en = "none", ru = "никакая"},
]
'''


def write(tmp_path: Path, text: str, name: str = "sample.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_packaged_files_are_valid():
    assert validate_authored() == []


def test_at_least_thirty_authored_questions_on_the_rest_of_the_syllabus():
    questions = [q for q in bank().values() if q.type == "authored"]
    assert len(questions) >= 30
    topics = Counter(q.topic for q in questions)
    assert {"architecture", "pop3", "imap", "mime", "webmail_security"} <= set(topics)
    assert all(n >= 4 for t, n in topics.items())
    assert any(q.kind == "order" for q in questions)


def test_authored_question_fields(tmp_path):
    found, errors = load_authored(write(tmp_path, GOOD))
    assert errors == []
    (q,) = found
    assert q.id == "authored:-:sample-one" and q.type == "authored" and q.kind == "single"
    assert q.answer == 1 and q.choices[1] == "base64" and q.choices[0] == {"en": "7bit", "ru": "7bit"}
    assert q.source == {"file": str(tmp_path / "sample.toml"), "line": 1}


def test_authored_protocol_goes_into_the_id(tmp_path):
    found, _ = load_authored(write(tmp_path, GOOD.replace('topic = "mime"', 'topic = "pop3"\nprotocol = "pop3"')))
    assert found[0].id == "authored:pop3:sample-one" and found[0].protocol == "pop3"


@pytest.mark.parametrize("change, line, words", [
    (('answer = 2', 'answer = 7'), 4, "answer must be a choice number from 1 to 3"),
    (('topic = "mime"', 'topic = "dns"'), 3, "topic must be one of"),
    (('prompt.ru = "Какая кодировка подходит для файла PDF?"', 'prompt.ru = "Which encoding suits a PDF file?"'), 6,
     "has no Russian letters"),
    (('explanation.ru = "base64 переносит любые байты."\n', ''), 7, "explanation.ru is missing"),
    (('id = "sample-one"', 'id = "Sample One"'), 2, "id: lower-case letters"),
    (('  "base64",\n', '  "7bit",\n'), 11, "two choices have the same en text"),
    (('answer = 2', 'answer = 2\nhint = "x"'), 5, "unknown field 'hint'"),
    (('{en = "none", ru = "никакая"}', '{en = "none"}'), 12, "choices[3].ru is missing"),
    (('answer = 2', 'answer = 2\ncodes = [999]'), 5, "codes: 999 is not in any catalogue"),
    (('answer = 2', 'answer = 2\nprotocol = "pop3"\ncommands = ["RCPT"]'), 6, "not in the POP3 catalogue"),
    (('answer = 2', 'kind = "order"\nanswer = 2'), 5, "an order question has no answer"),
])
def test_errors_name_the_file_and_line(tmp_path, change, line, words):
    errors = validate_authored(write(tmp_path, GOOD.replace(*change)))
    assert errors, "expected an error"
    messages = [str(e) for e in errors]
    assert any(words in m for m in messages), messages
    hit = next(e for e in errors if words in e.message)
    assert hit.line == line and hit.file.endswith("sample.toml")
    assert str(hit).startswith(f"{hit.file}:{line}: ")


def test_toml_syntax_error_gives_the_line(tmp_path):
    errors = validate_authored(write(tmp_path, GOOD.replace('answer = 2', 'answer = = 2')))
    assert len(errors) == 1 and errors[0].line == 4 and "not valid TOML" in errors[0].message


def test_duplicate_ids_across_files(tmp_path):
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD, "b.toml")
    errors = validate_authored(tmp_path)
    assert len(errors) == 1 and "already used" in errors[0].message and errors[0].file.endswith("b.toml")


def test_a_bad_question_does_not_hide_the_good_ones(tmp_path):
    text = GOOD + "\n" + GOOD.replace("sample-one", "sample-two").replace("answer = 2", "answer = 0")
    found, errors = load_authored(write(tmp_path, text))
    assert [q.id for q in found] == ["authored:-:sample-one"]
    assert len(errors) == 1 and errors[0].line == 18


def test_empty_and_strange_files(tmp_path):
    assert "no [[question]] tables" in str(validate_authored(write(tmp_path, "# nothing\n"))[0])
    (tmp_path / "sample.toml").write_bytes(b"\xff\xfe")
    assert "not UTF-8" in str(validate_authored(tmp_path)[0])
    assert "unknown top-level key" in str(validate_authored(write(tmp_path, 'title = "x"\n' + GOOD))[0])


def test_command_line(tmp_path, capsys):
    assert main([]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    assert main([str(write(tmp_path, GOOD.replace("answer = 2", "answer = 9")))]) == 1
    err = capsys.readouterr().err
    assert "sample.toml:4: answer must be a choice number" in err


def test_quiz_dir_is_the_repository_quizzes_folder():
    assert QUIZ_DIR.name == "quizzes" and any(QUIZ_DIR.glob("*.toml"))
    assert quiz_authored.questions()
