"""Learners' lesson progress in the SQLite store (simulator/progress.py, schema 5)."""
from __future__ import annotations

import sqlite3

import pytest

from simulator.course.progress import MAX_NAME, Progress, clean_name, personal_name
from simulator.store import schema
from simulator.store.db import MailStore


@pytest.fixture
def store(tmp_path):
    s = MailStore(path=tmp_path / "mail.sqlite3", seed_file=None)
    yield s
    s.close()


def test_a_new_learner_has_no_progress(store):
    p = Progress(store)
    assert p.course("nobody-0123456789abcdef") == {}
    lesson = p.lesson("nobody-0123456789abcdef", "pop3")
    assert lesson.seen == set() and lesson.done == set() and lesson.attempts == {}
    assert p.name("nobody-0123456789abcdef") is None


def test_steps_seen_are_kept_once_each(store):
    p = Progress(store)
    for step in (1, 2, 2, 3):
        p.see_step("ann", "pop3", step)
    p.see_step("ann", "imap", 1)
    course = p.course("ann")
    assert course["pop3"].seen == {1, 2, 3}
    assert course["imap"].seen == {1}


def test_attempts_count_and_a_done_task_stays_done(store):
    p = Progress(store)
    assert p.record_attempt("ann", "smtp", "refuse-greeting", False) == 1
    assert p.lesson("ann", "smtp").done == set()
    assert p.record_attempt("ann", "smtp", "refuse-greeting", True) == 2
    assert p.record_attempt("ann", "smtp", "refuse-greeting", False) == 3  # a later failure takes nothing away
    lesson = p.lesson("ann", "smtp")
    assert lesson.done == {"refuse-greeting"} and lesson.attempts == {"refuse-greeting": 3}


def test_learners_do_not_see_each_others_progress(store):
    p = Progress(store)
    p.see_step("ann", "pop3", 1)
    p.record_attempt("ann", "pop3", "retr-2-keep", True)
    assert p.course("bob") == {}
    p.forget("ann")
    assert p.course("ann") == {}


def test_progress_is_committed_and_survives_reopening_the_file(tmp_path):
    path = tmp_path / "mail.sqlite3"
    store = MailStore(path=path, seed_file=None)
    p = Progress(store)
    p.see_step("ann", "mime", 4)
    p.record_attempt("ann", "mime", "bodystructure", True)
    p.set_name("ann", "Ann")
    # Another connection sees it at once: the write was committed before the call returned.
    db = sqlite3.connect(path)
    assert db.execute("SELECT step FROM lesson_steps WHERE learner = 'ann'").fetchall() == [(4,)]
    db.close()
    store.close()
    again = Progress(MailStore(path=path, seed_file=None))
    assert again.lesson("ann", "mime").seen == {4}
    assert again.lesson("ann", "mime").done == {"bodystructure"}
    assert again.name("ann") == "Ann"
    again.store.close()


def test_a_schema_4_data_folder_upgrades_in_place_and_keeps_its_mail(tmp_path):
    path = tmp_path / "mail.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for migration in schema.MAIL.migrations[:4]:
        for statement in migration:
            db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    db.execute("INSERT INTO realms (name, created, seeded, used) VALUES ('server', 1, 1, 1)")
    db.execute("INSERT INTO users (realm, login, name) VALUES ('server', 'alice', 'Alice')")
    db.commit()
    db.close()
    store = MailStore(path=path, seed_file=None)
    try:
        version = store.read(lambda d: d.execute("SELECT value FROM meta WHERE key = 'schema_version:mail'").fetchone())
        assert version == ("4",) and schema.MAIL.version == 4
        assert "server" in store.realms()
        p = Progress(store)  # the progress part is added in place
        assert store.read(lambda d: d.execute(
            "SELECT value FROM meta WHERE key = 'schema_version:progress'").fetchone()) == ("2",)
        p.see_step("ann", "pop3", 2)
        assert p.lesson("ann", "pop3").seen == {2}
    finally:
        store.close()


def test_display_names_are_cleaned_and_limited(store):
    p = Progress(store)
    assert p.set_name("ann", "  Ann \t\n Lee\x00\u202e ") == "Ann Lee"
    assert p.name("ann") == "Ann Lee"
    assert p.set_name("ann", "<b>Ann</b>") == "<b>Ann</b>"  # kept as text; pages escape it
    assert p.set_name("ann", "   ") is None and p.name("ann") is None
    with pytest.raises(ValueError):
        p.set_name("ann", "x" * (MAX_NAME + 1))
    with pytest.raises(ValueError):
        clean_name(42)  # type: ignore[arg-type]


def test_personal_names_are_stable_short_and_distinct():
    a, b = personal_name("learner-aaaaaaaaaaaaaaaa"), personal_name("learner-bbbbbbbbbbbbbbbb")
    assert a == personal_name("learner-aaaaaaaaaaaaaaaa")
    assert a != b
    for name in (a, b):
        assert name.startswith("ms-") and len(name) == 9 and name[3:].isalnum() and name == name.lower()
        assert "learner" not in name  # the cookie itself is not revealed


def test_a_revealed_answer_is_kept_and_an_old_progress_part_is_upgraded(tmp_path):
    """Part version 1 (before "show me" was saved) gains revealed_at in place; a reveal is kept."""
    from simulator.course.progress import SCHEMA
    path = tmp_path / "mail.sqlite3"
    store = MailStore(path=path, seed_file=None)
    store.close()
    db = sqlite3.connect(path)
    for statement in SCHEMA.migrations[0]:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version:progress', '1')")
    db.execute("INSERT INTO learners (id, created, seen) VALUES ('ann', 1, 1)")
    db.execute("INSERT INTO lesson_tasks (learner, lesson, task, attempts, done_at, last_at) "
               "VALUES ('ann', 'pop3', 'old', 2, 5, 5)")
    db.commit()
    db.close()
    store = MailStore(path=path, seed_file=None)
    try:
        p = Progress(store)
        before = p.lesson("ann", "pop3")
        assert before.done == {"old"} and before.attempts == {"old": 2} and before.revealed == set()
        p.reveal("ann", "pop3", "quiz")
        p.reveal("ann", "pop3", "old")
        after = p.lesson("ann", "pop3")
        assert after.revealed == {"quiz", "old"} and after.done == {"old"}
        assert after.attempts == {"old": 2}  # a reveal is not a check
    finally:
        store.close()
