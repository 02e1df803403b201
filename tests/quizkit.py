"""Shared by the quiz tests (quiz/ and web/): a small bank of real questions, a clock,
and how a test finds the right response the way the server would grade it."""
from __future__ import annotations

from simulator.quiz import bank as quiz_bank
from simulator.quiz.bank import Question

ALICE, BOB = "learner-alice-0123456789", "learner-bob-0123456789ab"


def _single(qid, protocol, code, right, wrong, qtype="code_meaning", topic="replies", replay=None):
    return Question(
        id=qid, type=qtype, protocol=protocol, topic=topic, kind="single",
        prompt={"en": f"What does `{code}` mean?", "ru": f"Что значит `{code}`?"},
        choices=({"en": right, "ru": "верно: " + right}, *({"en": w, "ru": "неверно: " + w} for w in wrong)),
        answer=0,
        explanation={"en": f"SECRET-EXPLANATION {qid}", "ru": f"ОБЪЯСНЕНИЕ {qid}"},
        codes=(code,), replay=replay)


def make_questions() -> list:
    qs = [
        _single("code_meaning:smtp:250", "smtp", 250, "Requested action completed", ["Try later", "Syntax error"]),
        _single("code_meaning:smtp:421", "smtp", 421, "Service not available", ["OK", "Start mail input"]),
        _single("code_meaning:smtp:452", "smtp", 452, "Insufficient storage", ["OK", "Mailbox unavailable"]),
        _single("code_meaning:smtp:550", "smtp", 550, "Mailbox unavailable", ["OK", "Try later"]),
        _single("code_meaning:smtp:354", "smtp", 354, "Start mail input", ["OK", "Bad sequence"]),
        _single("retry:smtp:452", "smtp", 452, "Yes, later", ["No, never"], qtype="retry"),
        _single("code_meaning:pop3:+OK", "pop3", "+OK", "Success", ["Failure"]),
        _single("code_meaning:pop3:-ERR", "pop3", "-ERR", "Failure", ["Success"]),
        _single("code_meaning:imap:NO", "imap", "NO", "Operation failed", ["Protocol error", "Success"]),
        _single("code_meaning:imap:BAD", "imap", "BAD", "Protocol error", ["Operation failed", "Success"]),
        _single("predict:smtp:story:3", "smtp", 452, "452", ["250", "550"], qtype="predict", topic="phases",
                replay=({"from": "server", "kind": "reply", "text": "220 ready", "code": 220},
                        {"from": "client", "kind": "command", "text": "RCPT TO:<bob@example.org>", "verb": "RCPT"})),
        Question(id="order:smtp:transaction", type="order", protocol="smtp", topic="phases", kind="order",
                 prompt={"en": "Put the commands in order", "ru": "Расставьте команды по порядку"},
                 choices=("MAIL FROM", "RCPT TO", "DATA", "QUIT"), answer=None,
                 explanation={"en": "SECRET-EXPLANATION order", "ru": "ОБЪЯСНЕНИЕ порядок"},
                 codes=(), commands=("MAIL", "RCPT", "DATA", "QUIT")),
    ]
    return qs


class FakeBank:
    """Like simulator.quiz_bank for Quizzes: bank() and select(), over a fixed list of questions."""
    TYPES, TOPICS = quiz_bank.TYPES, quiz_bank.TOPICS

    def __init__(self, questions=None):
        self.questions = {q.id: q for q in (questions or make_questions())}

    def bank(self):
        return self.questions

    def select(self, **filters):
        return quiz_bank.select(questions=list(self.questions.values()), **filters)


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def right_response(q: Question, seed: int, secret=None):
    """The right response, found the way the server would grade it (tests only; ``secret``: the store's keys)."""
    pub = q.public("en", seed, secret)
    keys = [c["key"] for c in pub["choices"]]
    return q.grade(keys[0] if q.kind == "single" else keys, seed, secret).right


def wrong_response(q: Question, seed: int, secret=None):
    right = right_response(q, seed, secret)
    keys = [c["key"] for c in q.public("en", seed, secret)["choices"]]
    if q.kind == "single":
        return next(k for k in keys if k != right)
    return list(reversed(right))


def attempt_seed(quizzes, attempt_id):
    return quizzes.store.read(lambda db: db.execute(
        "SELECT seed FROM quiz_attempts WHERE id = ?", (attempt_id,)).fetchone()[0])
