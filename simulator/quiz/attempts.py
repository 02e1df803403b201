"""Quizzes: teachers' shared quizzes, learners' attempts, grading and spaced review.

The questions come from the question bank (:mod:`simulator.quiz_bank`); this
module keeps what happens to them, in the mail store's SQLite file (schema 6
of ``simulator/mailstore.py``), and knows nothing of Flask.

* A teacher's quiz fixes its question ids when it is created, so everyone who
  opens its link gets the same questions. Shuffled (the default), each attempt
  has a seed of its own that orders the questions and their choices; not
  shuffled, everyone gets the quiz's order and seed. Results are kept and
  counted per question id, so they stay comparable either way. A quiz can
  require a name at the start (kept with the attempt, shown in the results),
  be closed to new attempts, and be deleted.
* An attempt (practice, test or review; or a teacher's quiz) fixes its
  questions and seed when it starts. Only the current question's public form
  (:meth:`Question.public`) ever leaves this module before it is answered;
  the right answer and the explanation come with the grade, and in test mode
  only from :meth:`Quizzes.finish`.
* An answer is written once (the primary key (attempt, position) refuses a
  second), committed through ``store.write`` before the method returns, so
  the browser is told only what is on disk.
* A time limit is enforced here, with the injectable ``clock``: an answer
  after the deadline (plus a small grace for the network) finishes the
  attempt instead of counting.
* Spaced review: every graded answer moves the question's Leitner box (right:
  one box up, wrong: back to box 1) and sets when it is due again; a review
  attempt takes the due questions, lowest box first.

Errors are :class:`QuizError` with a stable ``code`` (the web layer turns it
into a message in the learner's language, ``quizapi.error.<code>``) and an
HTTP status.
"""
from __future__ import annotations

import json
import random
import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from simulator.course.progress import SCHEMA as PROGRESS
from simulator.course.progress import clean_name
from simulator.quiz import bank as quiz_bank
from simulator.quiz import predict as quiz_predict
from simulator.quiz import reports
from simulator.quiz.model import ChoiceKeys, code_sort_key, text_in
from simulator.quiz.spec import (
    DEFAULT_COUNT,
    MAX_COUNT,
    MAX_SEED,
    MAX_TIME_LIMIT,
    MIN_TIME_LIMIT,
    PROTOCOLS,
    QUIZ_MODES,
    QuizError,
    clean_spec,
    valid_response,
)
from simulator.store.db import MailStore
from simulator.store.schema import Schema

# Teachers' shared quizzes (their questions fixed at creation), learners' attempts
# and answers (each written once), the Leitner boxes of spaced review, and the
# secret behind the choices' keys. Attempts and boxes belong to a learner of the
# progress part.
SCHEMA = Schema("quizzes", (
    (
        """CREATE TABLE quizzes (
               id           TEXT PRIMARY KEY,
               title        TEXT NOT NULL DEFAULT '',
               spec         TEXT NOT NULL,
               question_ids TEXT NOT NULL,
               created      REAL NOT NULL
           )""",
        """CREATE TABLE quiz_attempts (
               id           TEXT PRIMARY KEY,
               learner      TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
               quiz         TEXT REFERENCES quizzes(id) ON DELETE CASCADE,
               mode         TEXT NOT NULL,
               seed         INTEGER NOT NULL,
               question_ids TEXT NOT NULL,
               started      REAL NOT NULL,
               deadline     REAL,
               finished     REAL
           )""",
        "CREATE INDEX quiz_attempts_by_learner ON quiz_attempts (learner, started)",
        "CREATE INDEX quiz_attempts_by_quiz ON quiz_attempts (quiz, started)",
        """CREATE TABLE quiz_answers (
               attempt     TEXT NOT NULL REFERENCES quiz_attempts(id) ON DELETE CASCADE,
               position    INTEGER NOT NULL,
               question_id TEXT NOT NULL,
               response    TEXT NOT NULL,
               correct     INTEGER NOT NULL,
               answered    REAL NOT NULL,
               PRIMARY KEY (attempt, position)
           )""",
        """CREATE TABLE quiz_boxes (
               learner     TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
               question_id TEXT NOT NULL,
               box         INTEGER NOT NULL DEFAULT 1,
               due         REAL NOT NULL,
               seen        INTEGER NOT NULL DEFAULT 0,
               correct     INTEGER NOT NULL DEFAULT 0,
               PRIMARY KEY (learner, question_id)
           )""",
        "CREATE INDEX quiz_boxes_by_due ON quiz_boxes (learner, due)",
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('quiz_secret', lower(hex(randomblob(32))))",
    ),
    # 2: a quiz's settings (questions and choices shuffled per attempt; a name required), whether it is
    # closed to new attempts, and the name a learner gave when starting it. Quizzes made before keep
    # their one order for everyone (shuffle 0), as they were shared.
    (
        "ALTER TABLE quizzes ADD COLUMN shuffle INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE quizzes ADD COLUMN require_name INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE quizzes ADD COLUMN closed REAL",
        "ALTER TABLE quiz_attempts ADD COLUMN name TEXT NOT NULL DEFAULT ''",
    ),
), requires=(PROGRESS,))

__all__ = ["Quizzes", "QuizError", "MODES", "QUIZ_MODES", "PROTOCOLS", "INTERVALS", "MAX_COUNT",
           "DEFAULT_COUNT", "REVIEW_COUNT", "MIN_TIME_LIMIT", "MAX_TIME_LIMIT", "GRACE", "clean_spec",
           "valid_response"]

MODES = ("practice", "test", "review")  # what a learner can start
DAY = 24 * 3600.0
# Leitner boxes 1..5: how long until a question in that box is due again.
INTERVALS = {1: 0.0, 2: 1 * DAY, 3: 3 * DAY, 4: 7 * DAY, 5: 21 * DAY}
REVIEW_COUNT = 10
GRACE = 2.0  # seconds after the deadline an answer is still taken (it was sent in time)
MAX_TITLE = 120
HISTORY_LIMIT = 200


@dataclass
class _Attempt:
    id: str
    learner: str
    quiz: Optional[str]
    mode: str
    seed: int
    question_ids: list
    started: float
    deadline: Optional[float]
    finished: Optional[float]


# ---------------------------------------------------------------------- flow
class Quizzes:
    """Quizzes, attempts, answers and boxes in ``store``; every write committed before a method returns.

    ``bank`` is the question bank (anything with ``bank()`` and
    ``select(**filters)`` like :mod:`simulator.quiz_bank`, which is the
    default); ``clock`` gives the time (tests move it).
    """

    def __init__(self, store: MailStore, clock: Callable[[], float] = time.time, bank: Any = None):
        self.store = store
        self._clock = clock
        if bank is None:
            bank = quiz_bank
        self._bank = bank
        self._codes_cache: tuple = (None, None)
        store.ensure(SCHEMA)
        # The choices' keys must stay valid across restarts (an attempt half done, a
        # result shown again): this store's own secret, kept in its database.
        row = store.read(lambda db: db.execute("SELECT value FROM meta WHERE key = 'quiz_secret'").fetchone())
        self.keys = ChoiceKeys(row[0] if row and row[0] else None)

    # ------------------------------------------------------------- the bank
    def questions(self) -> dict:
        """Every question of the bank by id."""
        return self._bank.bank()

    def _vocabulary(self) -> tuple:
        return (getattr(self._bank, "TYPES", quiz_bank.TYPES), getattr(self._bank, "TOPICS", quiz_bank.TOPICS))

    def codes(self) -> list[tuple]:
        """Every (protocol, code) some question is about, in a stable order."""
        questions = self.questions()
        cached_for, cached = self._codes_cache
        if cached_for is questions:
            return cached
        found: dict[tuple, None] = {}
        for q in questions.values():
            for code in q.codes:
                found.setdefault((q.protocol, code), None)
        ordered = sorted(found, key=code_sort_key)
        self._codes_cache = (questions, ordered)
        return ordered

    def codes_by_protocol(self) -> dict:
        out: dict = {p: [] for p in PROTOCOLS}
        for protocol, code in self.codes():
            if protocol in out:
                out[protocol].append(code)
        return out

    def _clean(self, spec: Any, teacher: bool = False) -> dict:
        types, topics = self._vocabulary()
        return clean_spec(spec, types=types, topics=topics, codes=[c for _, c in self.codes()], teacher=teacher)

    def _select(self, spec: dict, seed: int, count: Optional[int] = None) -> list[str]:
        chosen = self._bank.select(protocols=spec.get("protocols"), codes=spec.get("codes"),
                                   types=spec.get("types"), topics=spec.get("topics"),
                                   count=count or spec["count"], seed=seed)
        return [q.id for q in chosen]

    # ---------------------------------------------------------- teachers
    def create_quiz(self, title: Any, spec: Any) -> dict:
        """A teacher's quiz: its questions are chosen now and kept (everyone gets the same questions).

        Besides the selection, ``spec`` may hold two settings kept with the quiz:
        ``shuffle`` (default true: each attempt gets the questions and their choices
        in an order of its own) and ``require_name`` (default false: a learner must
        give a name to start)."""
        if title is None:
            title = ""
        if not isinstance(title, str):
            raise QuizError("bad_title")
        title = " ".join("".join(ch if ch.isprintable() else " " for ch in title).split())
        if len(title) > MAX_TITLE:
            raise QuizError("bad_title")
        shuffle = _flag(spec.get("shuffle") if isinstance(spec, dict) else None, True, "bad_shuffle")
        require_name = _flag(spec.get("require_name") if isinstance(spec, dict) else None, False,
                             "bad_require_name")
        spec = self._clean(spec, teacher=True)
        ids = self._select(spec, spec["seed"])
        if not ids:
            raise QuizError("no_questions")
        now = self._clock()

        def save(db: sqlite3.Connection) -> str:
            for _ in range(10):
                quiz_id = secrets.token_urlsafe(6)
                try:
                    db.execute("INSERT INTO quizzes (id, title, spec, question_ids, created, shuffle, require_name) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (quiz_id, title, json.dumps(spec), json.dumps(ids), now, int(shuffle),
                                int(require_name)))
                    return quiz_id
                except sqlite3.IntegrityError:
                    continue
            raise QuizError("busy", 503)

        return self.quiz(self.store.write(save))

    def _quiz_row(self, quiz_id: Any) -> Optional[tuple]:
        if not isinstance(quiz_id, str) or not quiz_id or len(quiz_id) > 64:
            return None
        return self.store.read(lambda db: db.execute(
            "SELECT id, title, spec, question_ids, created, shuffle, require_name, closed FROM quizzes WHERE id = ?",
            (quiz_id,)).fetchone())

    def quiz(self, quiz_id: Any) -> dict:
        """A teacher's quiz as shown to anyone with its link (no answers in it); QuizError 404 if unknown."""
        row = self._quiz_row(quiz_id)
        if row is None:
            raise QuizError("unknown_quiz", 404)
        spec = json.loads(row[2])
        bank = self.questions()
        return {"id": row[0], "title": row[1], "count": sum(q in bank for q in json.loads(row[3])),
                "mode": spec["mode"], "time_limit_s": spec.get("time_limit_s"), "created": row[4],
                "spec": spec, "shuffle": bool(row[5]), "require_name": bool(row[6]), "closed": row[7] is not None}

    def close_quiz(self, quiz_id: Any, closed: Any = True) -> dict:
        """Close a teacher's quiz to new attempts (``closed=False`` opens it again); attempts made stay."""
        if not isinstance(closed, bool):
            raise QuizError("bad_closed")
        row = self._quiz_row(quiz_id)
        if row is None:
            raise QuizError("unknown_quiz", 404)
        now = self._clock()
        self.store.write(lambda db: db.execute(
            "UPDATE quizzes SET closed = CASE WHEN ? THEN COALESCE(closed, ?) ELSE NULL END WHERE id = ?",
            (int(closed), now, row[0])))
        return self.quiz(row[0])

    def delete_quiz(self, quiz_id: Any) -> None:
        """Delete a teacher's quiz with its attempts and answers (the learners' review boxes stay)."""
        row = self._quiz_row(quiz_id)
        if row is None:
            raise QuizError("unknown_quiz", 404)
        self.store.write(lambda db: db.execute("DELETE FROM quizzes WHERE id = ?", (row[0],)))

    def quiz_questions(self, quiz_id: Any) -> list:
        """The questions of a teacher's quiz (for the exports), in the quiz's order."""
        row = self._quiz_row(quiz_id)
        if row is None:
            raise QuizError("unknown_quiz", 404)
        bank = self.questions()
        return [bank[q] for q in json.loads(row[3]) if q in bank]

    def quizzes(self) -> list[dict]:
        """Every teacher's quiz, newest first, with how many learners took it."""
        rows = self.store.read(lambda db: db.execute(
            "SELECT q.id, COUNT(DISTINCT a.learner), COUNT(a.id) FROM quizzes q "
            "LEFT JOIN quiz_attempts a ON a.quiz = q.id GROUP BY q.id ORDER BY q.created DESC, q.id").fetchall())
        out = []
        for quiz_id, learners, attempts in rows:
            info = self.quiz(quiz_id)
            info.update(learners=learners, attempts=attempts)
            out.append(info)
        return out

    # ---------------------------------------------------------- attempts
    def _ensure_learner(self, db: sqlite3.Connection, learner: str, now: float) -> None:
        db.execute("INSERT INTO learners (id, created, seen) VALUES (?, ?, ?) "
                   "ON CONFLICT(id) DO UPDATE SET seen = excluded.seen", (learner, now, now))

    def start(self, learner: str, mode: Any, quiz_id: Any = None, spec: Any = None, name: Any = None) -> dict:
        """Start an attempt: a teacher's quiz (``quiz_id``), or the learner's own practice, test or review.

        For a teacher's quiz, ``name`` is the name the learner gives (shown in the quiz's
        results; required when the quiz says so); a shuffled quiz gives this attempt a seed
        of its own, which orders both its questions and their choices."""
        if not isinstance(learner, str) or not learner:
            raise QuizError("no_learner", 400)
        now = self._clock()
        deadline = None
        given = ""
        if quiz_id is not None:
            row = self._quiz_row(quiz_id)
            if row is None:
                raise QuizError("unknown_quiz", 404)
            if row[7] is not None:
                raise QuizError("quiz_closed", 409)
            if name is not None:
                try:
                    given = clean_name(name)
                except ValueError:
                    raise QuizError("bad_name") from None
            if row[6] and not given:
                raise QuizError("name_required")
            quiz_spec = json.loads(row[2])
            bank = self.questions()
            ids = [q for q in json.loads(row[3]) if q in bank]
            mode, seed, quiz_id = quiz_spec["mode"], quiz_spec["seed"], row[0]
            if row[5]:  # shuffled: this attempt's own order of the same questions
                seed = secrets.randbelow(MAX_SEED)
                random.Random(seed).shuffle(ids)
            if quiz_spec.get("time_limit_s"):
                deadline = now + quiz_spec["time_limit_s"]
        elif mode == "review":
            seed = secrets.randbelow(MAX_SEED)
            ids = self._review_ids(learner, now, seed)
        elif mode in QUIZ_MODES:
            spec = dict(spec or {}) if isinstance(spec, dict) or spec is None else spec
            if isinstance(spec, dict):
                spec["mode"] = mode
                spec.pop("seed", None)
            clean = self._clean(spec)
            seed = secrets.randbelow(MAX_SEED)
            ids = self._select(clean, seed)
            if clean["time_limit_s"]:
                deadline = now + clean["time_limit_s"]
        else:
            raise QuizError("bad_mode")
        if not ids:
            raise QuizError("nothing_to_review", 409) if mode == "review" else QuizError("no_questions")
        attempt_id = secrets.token_urlsafe(12)

        def save(db: sqlite3.Connection) -> None:
            self._ensure_learner(db, learner, now)
            db.execute("INSERT INTO quiz_attempts (id, learner, quiz, mode, seed, question_ids, started, deadline, "
                       "name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (attempt_id, learner, quiz_id, mode, seed, json.dumps(ids), now, deadline, given))

        self.store.write(save)
        return {"id": attempt_id, "mode": mode, "quiz": quiz_id, "total": len(ids), "deadline": deadline,
                "started": now}

    def _review_ids(self, learner: str, now: float, seed: int) -> list[str]:
        """Due questions, lowest box first; else questions on the codes this learner knows least."""
        bank = self.questions()
        rows = self.store.read(lambda db: db.execute(
            "SELECT question_id FROM quiz_boxes WHERE learner = ? AND due <= ? ORDER BY box, due, question_id",
            (learner, now)).fetchall())
        due = [r[0] for r in rows if r[0] in bank][:REVIEW_COUNT]
        if due:
            return due
        weak = [m for m in self.mastery(learner)["codes"] if m["seen"]]
        weak.sort(key=lambda m: (m["correct"] / m["seen"], m["box"] or 0, -m["seen"]))
        codes = [m["code"] for m in weak[:3]]
        if not codes:
            return []
        return [q.id for q in self._bank.select(codes=codes, count=REVIEW_COUNT, seed=seed)]

    def _load(self, attempt_id: Any, learner: Optional[str]) -> tuple[_Attempt, dict]:
        if not isinstance(attempt_id, str) or not attempt_id or len(attempt_id) > 64:
            raise QuizError("unknown_attempt", 404)

        def read(db: sqlite3.Connection):
            row = db.execute("SELECT id, learner, quiz, mode, seed, question_ids, started, deadline, finished "
                             "FROM quiz_attempts WHERE id = ?", (attempt_id,)).fetchone()
            answers = db.execute("SELECT position, question_id, response, correct, answered FROM quiz_answers "
                                 "WHERE attempt = ?", (attempt_id,)).fetchall() if row else []
            return row, answers

        row, answers = self.store.read(read)
        if row is None:
            raise QuizError("unknown_attempt", 404)
        attempt = _Attempt(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7], row[8])
        if learner is not None and attempt.learner != learner:
            raise QuizError("not_yours", 403)
        return attempt, {a[0]: {"question_id": a[1], "response": json.loads(a[2]), "correct": bool(a[3]),
                                "answered": a[4]} for a in answers}

    def _live(self, attempt: _Attempt) -> list[int]:
        """The positions whose question still exists (an authored question removed since is skipped)."""
        bank = self.questions()
        return [i for i, q in enumerate(attempt.question_ids) if q in bank]

    def _next_position(self, attempt: _Attempt, answers: dict) -> Optional[int]:
        if attempt.finished is not None:
            return None
        return next((i for i in self._live(attempt) if i not in answers), None)

    def _time_is_up(self, attempt: _Attempt, now: float) -> bool:
        return attempt.finished is None and attempt.deadline is not None and now > attempt.deadline + GRACE

    def _close(self, attempt: _Attempt, when: float) -> None:
        """Mark an attempt finished (once: a concurrent close keeps the first time)."""
        self.store.write(lambda db: db.execute(
            "UPDATE quiz_attempts SET finished = ? WHERE id = ? AND finished IS NULL", (when, attempt.id)))
        attempt.finished = self.store.read(lambda db: db.execute(
            "SELECT finished FROM quiz_attempts WHERE id = ?", (attempt.id,)).fetchone())[0]

    def _summary(self, attempt: _Attempt, answers: dict, now: float) -> dict:
        live = self._live(attempt)
        done = attempt.finished is not None
        answered = sum(p in answers for p in live)
        out = {"id": attempt.id, "mode": attempt.mode, "quiz": attempt.quiz, "total": len(live),
               "answered": answered, "deadline": attempt.deadline, "started": attempt.started,
               "finished": done, "time_left": None, "score": None}
        if attempt.deadline is not None and not done:
            out["time_left"] = max(0.0, round(attempt.deadline - now, 1))
        if attempt.mode != "test" or done:  # a test's score comes only at the end
            out["score"] = sum(answers[p]["correct"] for p in live if p in answers)
        return out

    def current(self, attempt_id: Any, learner: Optional[str], lang: str) -> dict:
        """The attempt's state and ONLY its next unanswered question (public form), or null when done."""
        attempt, answers = self._load(attempt_id, learner)
        now = self._clock()
        if self._time_is_up(attempt, now):
            assert attempt.deadline is not None  # time is up only with a deadline
            self._close(attempt, attempt.deadline)
        position = self._next_position(attempt, answers)
        question = None
        if position is not None:
            question = self.questions()[attempt.question_ids[position]].public(lang, attempt.seed, self.keys)
        return {"attempt": self._summary(attempt, answers, now), "question": question, "position": position}

    def answer(self, attempt_id: Any, learner: Optional[str], position: Any, response: Any, lang: str) -> dict:
        """Grade and keep one answer (committed before this returns); practice and review tell at once if right."""
        attempt, answers = self._load(attempt_id, learner)
        now = self._clock()
        if isinstance(position, bool) or not isinstance(position, int):
            raise QuizError("bad_position")
        if attempt.finished is not None:
            raise QuizError("finished", 409)
        if self._time_is_up(attempt, now):
            assert attempt.deadline is not None  # time is up only with a deadline
            self._close(attempt, attempt.deadline)
            raise QuizError("time_up", 409)
        if position in answers:
            raise QuizError("already_answered", 409)
        live = self._live(attempt)
        if position not in live:
            raise QuizError("bad_position")
        if position != self._next_position(attempt, answers):
            raise QuizError("not_current", 409)
        if not valid_response(response):
            raise QuizError("bad_response")
        question = self.questions()[attempt.question_ids[position]]
        try:
            graded = question.grade(response, attempt.seed, self.keys)
        except ValueError:
            raise QuizError("bad_response") from None
        last = all(p in answers or p == position for p in live)

        def save(db: sqlite3.Connection) -> None:
            finished = db.execute("SELECT finished FROM quiz_attempts WHERE id = ?", (attempt.id,)).fetchone()[0]
            if finished is not None:
                raise QuizError("finished", 409)
            try:
                db.execute("INSERT INTO quiz_answers (attempt, position, question_id, response, correct, answered) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (attempt.id, position, question.id, json.dumps(response), int(graded.correct), now))
            except sqlite3.IntegrityError:  # the same answer sent twice at once: the first one stands
                raise QuizError("already_answered", 409) from None
            self._move_box(db, attempt.learner, question.id, graded.correct, now)
            if last:
                db.execute("UPDATE quiz_attempts SET finished = ? WHERE id = ? AND finished IS NULL",
                           (now, attempt.id))

        self.store.write(save)
        answers[position] = {"question_id": question.id, "response": response, "correct": graded.correct,
                             "answered": now}
        if last:
            attempt.finished = now
        out = {"position": position, "next": not last, "attempt": self._summary(attempt, answers, now)}
        if attempt.mode == "test":
            out["recorded"] = True
            return out
        texts = _texts(question, lang, attempt.seed, self.keys)
        out.update(correct=graded.correct, right=graded.right, right_text=_text_of(graded.right, texts),
                   explanation=i18n_text(graded.explanation, lang), replay_reply=_revealed_reply(question))
        return out

    def _move_box(self, db: sqlite3.Connection, learner: str, question_id: str, correct: bool, now: float) -> None:
        row = db.execute("SELECT box FROM quiz_boxes WHERE learner = ? AND question_id = ?",
                         (learner, question_id)).fetchone()
        box = min(5, (row[0] if row else 1) + 1) if correct else 1
        db.execute("INSERT INTO quiz_boxes (learner, question_id, box, due, seen, correct) VALUES (?, ?, ?, ?, 1, ?) "
                   "ON CONFLICT(learner, question_id) DO UPDATE SET box = excluded.box, due = excluded.due, "
                   "seen = seen + 1, correct = correct + excluded.correct",
                   (learner, question_id, box, now + INTERVALS[box], int(correct)))

    def finish(self, attempt_id: Any, learner: Optional[str], lang: str) -> dict:
        """End an attempt (again is harmless): the score and every question with the right answer and why."""
        attempt, answers = self._load(attempt_id, learner)
        now = self._clock()
        if attempt.finished is None:
            self._close(attempt, min(now, attempt.deadline) if attempt.deadline is not None else now)
        bank = self.questions()
        results = []
        for position in self._live(attempt):
            question = bank[attempt.question_ids[position]]
            results.append(self._result(question, attempt.seed, answers.get(position), position, lang))
        summary = self._summary(attempt, answers, now)
        return {"attempt": summary, "score": summary["score"], "total": summary["total"], "results": results}

    def _result(self, question: Any, seed: int, answer: Optional[dict], position: int, lang: str) -> dict:
        public = question.public(lang, seed, self.keys)
        texts = {c["key"]: c["text"] for c in public["choices"]}
        right = _right_of(question, seed, public, self.keys)
        response = answer["response"] if answer else None
        return {"position": position, "id": question.id, "type": question.type, "kind": question.kind,
                "prompt": public["prompt"], "choices": public["choices"], "replay": public["replay"],
                "response": response, "response_text": _text_of(response, texts) if answer else None,
                "right": right, "right_text": _text_of(right, texts),
                "correct": answer["correct"] if answer else False, "answered": answer is not None,
                "explanation": i18n_text(question.explanation, lang), "replay_reply": _revealed_reply(question)}

    # ------------------------------------------------------ learner page
    def due_count(self, learner: Optional[str]) -> int:
        """How many questions are due for review now."""
        if not learner:
            return 0
        bank = self.questions()
        rows = self.store.read(lambda db: db.execute(
            "SELECT question_id FROM quiz_boxes WHERE learner = ? AND due <= ?", (learner, self._clock())).fetchall())
        return sum(r[0] in bank for r in rows)

    def history(self, learner: Optional[str]) -> list[dict]:
        """This learner's attempts, newest first: mode, quiz, when, answered, score (a test's once finished)."""
        if not learner:
            return []
        rows = self.store.read(lambda db: db.execute(
            "SELECT a.id, a.quiz, q.title, a.mode, a.question_ids, a.started, a.deadline, a.finished, "
            "(SELECT COUNT(*) FROM quiz_answers x WHERE x.attempt = a.id), "
            "(SELECT COALESCE(SUM(x.correct), 0) FROM quiz_answers x WHERE x.attempt = a.id) "
            "FROM quiz_attempts a LEFT JOIN quizzes q ON q.id = a.quiz WHERE a.learner = ? "
            "ORDER BY a.started DESC, a.rowid DESC LIMIT ?", (learner, HISTORY_LIMIT)).fetchall())
        bank = self.questions()
        out = []
        for aid, quiz, title, mode, ids, started, deadline, finished, answered, correct in rows:
            done = finished is not None or (deadline is not None and self._clock() > deadline + GRACE)
            ended = finished if finished is not None else (deadline if done else None)
            out.append({"id": aid, "mode": mode, "quiz": {"id": quiz, "title": title} if quiz else None,
                        "started": started, "finished": ended,
                        "total": sum(q in bank for q in json.loads(ids)), "answered": answered,
                        "score": correct if (mode != "test" or done) else None})
        return out

    def mastery(self, learner: Optional[str]) -> dict:
        """Per reply code (every code of the bank): answers seen and right, the lowest box, and a level.

        level: "unseen" (never asked), "known" (at least 80 % right and every question
        on it out of box 1), "shaky" (at least half right), "unknown" (less than half)."""
        rows = self.store.read(lambda db: db.execute(
            "SELECT question_id, box, seen, correct FROM quiz_boxes WHERE learner = ?", (learner or "",)).fetchall())
        bank = self.questions()
        stats = {key: {"protocol": key[0], "code": key[1], "seen": 0, "correct": 0, "box": None}
                 for key in self.codes()}
        for question_id, box, seen, correct in rows:
            q = bank.get(question_id)
            if q is None:
                continue
            for code in q.codes:
                entry = stats.get((q.protocol, code))
                if entry is None:
                    continue
                entry["seen"] += seen
                entry["correct"] += correct
                entry["box"] = box if entry["box"] is None else min(entry["box"], box)
        out = []
        for entry in stats.values():
            rate = entry["correct"] / entry["seen"] if entry["seen"] else 0.0
            if not entry["seen"]:
                level = "unseen"
            elif rate >= 0.8 and (entry["box"] or 1) >= 2:
                level = "known"
            else:
                level = "shaky" if rate >= 0.5 else "unknown"
            entry["rate"] = round(entry["correct"] / entry["seen"], 3) if entry["seen"] else None
            entry["level"] = level
            out.append(entry)
        return {"codes": out, **{level: sum(e["level"] == level for e in out)
                                 for level in ("known", "shaky", "unknown", "unseen")}}

    # ---------------------------------------------------------- results
    def results(self, quiz_id: Any, lang: str = "en") -> dict:
        """A teacher's quiz: each learner's scores, each question's success rate and the count of
        each of its choices, the hardest codes.

        Everything is per question id, not per position: in a shuffled quiz each attempt
        has its own order of the same questions. An ordering question counts towards no
        code (failing to order MAIL, RCPT, DATA says nothing about knowing 250 or 354)."""
        info = self.quiz(quiz_id)
        row = self._quiz_row(quiz_id)
        assert row is not None  # quiz() raised if it were unknown
        bank = self.questions()
        question_ids = [q for q in json.loads(row[3]) if q in bank]

        def read(db: sqlite3.Connection):
            attempts = db.execute(
                "SELECT a.id, a.learner, COALESCE(NULLIF(a.name, ''), l.name, ''), a.started, a.deadline, "
                "a.finished, a.seed FROM quiz_attempts a LEFT JOIN learners l ON l.id = a.learner WHERE a.quiz = ? "
                "ORDER BY a.started, a.rowid", (info["id"],)).fetchall()
            answers = db.execute(
                "SELECT x.attempt, x.question_id, x.correct, x.response FROM quiz_answers x "
                "JOIN quiz_attempts a ON a.id = x.attempt WHERE a.quiz = ?", (info["id"],)).fetchall()
            return attempts, answers

        attempts, answers = self.store.read(read)
        return reports.summarize(info, question_ids, bank, attempts, answers, self.keys, self._clock(), lang,
                                 grace=GRACE)

    def preview(self, quiz_id: Any, lang: str = "en") -> list[dict]:
        """A teacher's quiz as the teacher checks it before sharing: each question with its choices in
        their canonical order and which is right (for an ordering question, that order is the answer)."""
        out = []
        for number, q in enumerate(self.quiz_questions(quiz_id), 1):
            out.append({"number": number, "id": q.id, "type": q.type, "kind": q.kind, "protocol": q.protocol,
                        "prompt": i18n_text(q.prompt, lang), "codes": list(q.codes),
                        "replay": [dict(ex) for ex in q.replay] if q.replay is not None else None,
                        "choices": [{"text": text_in(c, lang), "right": q.kind == "single" and i == q.answer}
                                    for i, c in enumerate(q.choices)],
                        "explanation": i18n_text(q.explanation, lang)})
        return out

    def results_csv(self, quiz_id: Any, lang: str = "en") -> str:
        """The learners as CSV (:func:`simulator.quiz.reports.learners_csv`)."""
        return reports.learners_csv(self.results(quiz_id, lang))

    def questions_csv(self, quiz_id: Any, lang: str = "en") -> str:
        """The questions as CSV (:func:`simulator.quiz.reports.questions_csv`)."""
        return reports.questions_csv(self.results(quiz_id, lang))


# ------------------------------------------------------------------ helpers
def i18n_text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or ""
    return "" if value is None else str(value)


def _flag(value: Any, default: bool, code: str) -> bool:
    """A quiz setting that is true or false (absent: ``default``)."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise QuizError(code)
    return value


def _texts(question: Any, lang: str, seed: int, keys: ChoiceKeys) -> dict:
    return {c["key"]: c["text"] for c in question.public(lang, seed, keys)["choices"]}


def _text_of(keys: Any, texts: dict) -> Any:
    if isinstance(keys, list):
        return [texts.get(k, "") for k in keys]
    return texts.get(keys, "") if isinstance(keys, str) else None


def _right_of(question: Any, seed: int, public: dict, secret: ChoiceKeys) -> Any:
    """The right key (or key order) without an answer: grade any well-formed response and read ``right``."""
    keys = [c["key"] for c in public["choices"]]
    return question.grade(keys[0] if question.kind == "single" else keys, seed, secret).right


def _revealed_reply(question: Any) -> Optional[dict]:
    """A predict question's real reply exchange (for the diagram, sent only after the answer).

    The bank's scenarios are played once and cached (``quiz_predict.plays()``);
    ``source`` names the scenario and which of its replies was asked."""
    source = question.source if question.type == "predict" else None
    if not isinstance(source, dict):
        return None
    try:
        index = source.get("reply_index")
        for play in quiz_predict.plays():
            if play.scenario.name != source.get("scenario"):
                continue
            replies = [ex for ex in play.transcript if ex["from"] == "server" and ex["kind"] == "reply"]
            if not isinstance(index, int) or not 0 <= index < len(replies):
                return None
            ex = replies[index]
            return {"from": ex["from"], "kind": ex["kind"], "text": ex.get("text") or "", "code": ex.get("code"),
                    "verb": ex.get("verb"), "phase": ex.get("phase")}
    except Exception:  # noqa: BLE001 - an extra for the diagram; the grade stands without it
        return None
    return None
