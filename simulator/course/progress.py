"""Learners' progress through the lessons, kept in the mail store's SQLite file.

A learner is the anonymous id of the ``mailsim_learner`` cookie (no sign-up);
they may give a display name. Progress is the steps seen and, per task, the
attempts and when it was done. Every write goes through the store's writer
(:meth:`MailStore.write`), so it is committed, fsync'd, before the method
returns and the browser is told it is saved. The tables are this module's
part of the store's schema (:data:`SCHEMA`), created or upgraded in place
when :class:`Progress` starts.
"""
from __future__ import annotations

import hashlib
import sqlite3
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Optional

from simulator.store.db import MailStore
from simulator.store.schema import Schema

__all__ = ["Progress", "LessonProgress", "personal_name", "clean_name", "MAX_NAME"]

# The learners, an optional display name each, steps seen, tasks done and attempts.
# Keyed by the anonymous learner id of the cookie, like the learners' realms.
# Quizzes refer to ``learners`` too.
SCHEMA = Schema("progress", (
    (
        """CREATE TABLE learners (
               id      TEXT PRIMARY KEY,
               name    TEXT NOT NULL DEFAULT '',
               created REAL NOT NULL,
               seen    REAL NOT NULL
           )""",
        """CREATE TABLE lesson_steps (
               learner TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
               lesson  TEXT NOT NULL,
               step    INTEGER NOT NULL,
               seen_at REAL NOT NULL,
               PRIMARY KEY (learner, lesson, step)
           )""",
        """CREATE TABLE lesson_tasks (
               learner  TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
               lesson   TEXT NOT NULL,
               task     TEXT NOT NULL,
               attempts INTEGER NOT NULL DEFAULT 0,
               done_at  REAL,
               last_at  REAL NOT NULL,
               PRIMARY KEY (learner, lesson, task)
           )""",
    ),
    # 2: when "show me" revealed a task's answer (a question answered after that does not count)
    (
        "ALTER TABLE lesson_tasks ADD COLUMN revealed_at REAL",
    ),
))

MAX_NAME = 60  # characters of a display name
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1/o/0: read aloud or typed from a projector


def personal_name(learner: str) -> str:
    """The learner's name for the real ports (``EHLO ms-k3v9qa``): stable, short, not the cookie itself."""
    digest = hashlib.sha256(("mailsim-personal-name:" + learner).encode("utf-8")).digest()
    return "ms-" + "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:6])


def clean_name(name: str) -> str:
    """A display name as kept: printable, single-spaced, at most MAX_NAME characters ('' clears it)."""
    if not isinstance(name, str):
        raise ValueError("not text")
    kept = "".join(ch if unicodedata.category(ch)[0] not in "CZ" or ch == " " else " " for ch in name)
    kept = " ".join(kept.split())
    if len(kept) > MAX_NAME:
        raise ValueError("too long")
    return kept


@dataclass
class LessonProgress:
    """One learner's progress in one lesson."""

    seen: set[int] = field(default_factory=set)  # step numbers (1-based)
    done: set[str] = field(default_factory=set)  # task ids
    attempts: dict[str, int] = field(default_factory=dict)  # task id -> checks so far
    revealed: set[str] = field(default_factory=set)  # task ids whose answer "show me" revealed


class Progress:
    """Read and save learners' progress; every save is committed before it returns."""

    def __init__(self, store: MailStore, clock: Callable[[], float] = time.time):
        store.ensure(SCHEMA)
        self.store = store
        self._clock = clock

    # -------------------------------------------------------------- learners
    def _ensure(self, db: sqlite3.Connection, learner: str, now: float) -> None:
        db.execute("INSERT INTO learners (id, created, seen) VALUES (?, ?, ?) "
                   "ON CONFLICT(id) DO UPDATE SET seen = excluded.seen", (learner, now, now))

    def name(self, learner: str) -> Optional[str]:
        row = self.store.read(lambda db: db.execute(
            "SELECT name FROM learners WHERE id = ?", (learner,)).fetchone())
        return row[0] or None if row else None

    def set_name(self, learner: str, name: str) -> Optional[str]:
        """Save a display name (cleaned; '' removes it); raises ValueError for an unusable one."""
        name = clean_name(name)
        now = self._clock()

        def save(db: sqlite3.Connection) -> None:
            self._ensure(db, learner, now)
            db.execute("UPDATE learners SET name = ? WHERE id = ?", (name, learner))

        self.store.write(save)
        return name or None

    # -------------------------------------------------------------- reading
    def course(self, learner: str) -> dict[str, LessonProgress]:
        """Every lesson this learner has touched: lesson id -> progress."""

        def read(db: sqlite3.Connection):
            steps = db.execute("SELECT lesson, step FROM lesson_steps WHERE learner = ?", (learner,)).fetchall()
            tasks = db.execute("SELECT lesson, task, attempts, done_at, revealed_at FROM lesson_tasks "
                               "WHERE learner = ?", (learner,)).fetchall()
            return steps, tasks

        steps, tasks = self.store.read(read)
        out: dict[str, LessonProgress] = {}
        for lesson, step in steps:
            out.setdefault(lesson, LessonProgress()).seen.add(step)
        for lesson, task, attempts, done_at, revealed_at in tasks:
            p = out.setdefault(lesson, LessonProgress())
            if attempts:
                p.attempts[task] = attempts
            if done_at is not None:
                p.done.add(task)
            if revealed_at is not None:
                p.revealed.add(task)
        return out

    def lesson(self, learner: str, lesson: str) -> LessonProgress:
        return self.course(learner).get(lesson, LessonProgress())

    # -------------------------------------------------------------- writing
    def see_step(self, learner: str, lesson: str, step: int) -> None:
        now = self._clock()

        def save(db: sqlite3.Connection) -> None:
            self._ensure(db, learner, now)
            db.execute("INSERT OR IGNORE INTO lesson_steps (learner, lesson, step, seen_at) VALUES (?, ?, ?, ?)",
                       (learner, lesson, step, now))

        self.store.write(save)

    def record_attempt(self, learner: str, lesson: str, task: str, done: bool) -> int:
        """Count one check of a task (and mark it done if it passed); the attempts so far.

        A task once done stays done: a later failing check (say, in a new
        session) counts as an attempt but takes nothing away."""
        now = self._clock()

        def save(db: sqlite3.Connection) -> int:
            self._ensure(db, learner, now)
            db.execute(
                "INSERT INTO lesson_tasks (learner, lesson, task, attempts, done_at, last_at) "
                "VALUES (?, ?, ?, 1, ?, ?) "
                "ON CONFLICT(learner, lesson, task) DO UPDATE SET attempts = attempts + 1, "
                "done_at = COALESCE(done_at, excluded.done_at), last_at = excluded.last_at",
                (learner, lesson, task, now if done else None, now))
            return db.execute("SELECT attempts FROM lesson_tasks WHERE learner = ? AND lesson = ? AND task = ?",
                              (learner, lesson, task)).fetchone()[0]

        return self.store.write(save)

    def reveal(self, learner: str, lesson: str, task: str) -> None:
        """Note that "show me" revealed the answer of a task's question: a later right answer does not count."""
        now = self._clock()

        def save(db: sqlite3.Connection) -> None:
            self._ensure(db, learner, now)
            db.execute(
                "INSERT INTO lesson_tasks (learner, lesson, task, attempts, done_at, last_at, revealed_at) "
                "VALUES (?, ?, ?, 0, NULL, ?, ?) "
                "ON CONFLICT(learner, lesson, task) DO UPDATE SET "
                "revealed_at = COALESCE(revealed_at, excluded.revealed_at), last_at = excluded.last_at",
                (learner, lesson, task, now, now))

        self.store.write(save)

    def forget(self, learner: str) -> None:
        """Drop a learner and their progress."""
        self.store.write(lambda db: db.execute("DELETE FROM learners WHERE id = ?", (learner,)))
