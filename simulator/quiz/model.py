"""The quiz's model: a question, its choices' keys, grading, and the vocabularies.

Pure data and logic (no Flask, no SQLite). This module says what a question
is, what may be shown before the answer (:meth:`Question.public`) and whether
an answer is right (:meth:`Question.grade`). The contract is docs/quizzes.md.
The question bank (:mod:`simulator.quiz.bank`) gathers the questions; every
source of questions builds them from here.

Choice keys. ``public()`` gives each choice an opaque key: an HMAC of
(question id, seed, canonical index) under a secret, and the choices are
shown sorted by key. Without the secret neither the keys nor the order say
which choice is canonically first, so the page cannot leak the answer. The
secret is random per process unless the application sets a persistent one
(:class:`ChoiceKeys`, one per quiz store, so keys stay valid across
restarts), or the environment variable ``MAILSIM_QUIZ_SECRET`` gives one.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any, Optional, Union

from simulator.protocols import registry

__all__ = [
    "TYPES", "TOPICS", "KINDS", "LANGUAGES", "PROTOCOLS", "Question", "Graded", "ChoiceKeys", "PROCESS_KEYS",
    "stable_hash", "text_in", "code_sort_key",
]

TYPES = ("code_meaning", "meaning_code", "first_digit", "second_digit", "retry",
         "command_purpose", "purpose_command", "command_syntax", "predict", "order", "fill", "authored")
TOPICS = ("replies", "commands", "phases", "architecture", "pop3", "imap", "mime", "webmail_security")
KINDS = ("single", "order")
LANGUAGES = ("en", "ru")
PROTOCOLS = registry.PROTOCOLS

_KEY_HEX = 16  # 64 bits of HMAC per key


class ChoiceKeys:
    """The choices' keys of every question under one secret (never sent out).

    Each quiz store has its own, kept in its database so that keys survive a
    restart (:class:`simulator.quiz.attempts.Quizzes`); questions shown
    without a store (exports, tests) use :data:`PROCESS_KEYS`, random per
    process unless ``MAILSIM_QUIZ_SECRET`` gives one. Nothing overwrites a
    secret once made: two stores in one process keep their own keys.
    """

    def __init__(self, secret: Union[str, bytes, None] = None):
        if secret is None:
            env = os.environ.get("MAILSIM_QUIZ_SECRET")
            secret = env.encode("utf-8") if env else os.urandom(32)
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if not secret:
            raise ValueError("the quiz secret must not be empty")
        self._secret = hashlib.sha256(b"mailsim-quiz-keys\x00" + secret).digest()

    def keys(self, question_id: str, seed: int, count: int) -> list[str]:
        """The keys of a question's ``count`` choices (in canonical order) for one seed."""
        out = []
        for index in range(count):
            msg = f"{question_id}\x00{seed}\x00{index}".encode("utf-8")
            out.append(hmac.new(self._secret, msg, hashlib.sha256).hexdigest()[:_KEY_HEX])
        return out


PROCESS_KEYS = ChoiceKeys()


def stable_hash(*parts: Any) -> int:
    """A hash of ``parts`` that is the same on every machine and run (not Python's hash())."""
    data = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def text_in(value: Any, lang: str) -> str:
    """A choice or text in ``lang``: a ``{"en", "ru"}`` dict gives that language (English if missing), a str itself."""
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or ""
    return str(value)


def _lang(lang: Optional[str]) -> str:
    lang = (lang or "").lower()[:2]
    return lang if lang in LANGUAGES else "en"


def as_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"a seed is a whole number, not {seed!r}")
    return seed


@dataclass(frozen=True)
class Graded:
    """The result of grading one answer; ``right`` is sent only after answering."""

    correct: bool
    right: Any
    explanation: dict


@dataclass(frozen=True)
class Question:
    """One question. See docs/quizzes.md for each field."""

    id: str
    type: str
    protocol: Optional[str]
    topic: str
    kind: str
    prompt: dict
    choices: tuple
    answer: Optional[int]
    explanation: dict
    codes: tuple = ()
    commands: tuple = ()
    replay: Optional[tuple] = None
    source: Optional[dict] = None

    # ------------------------------------------------------------ keys
    def _keys(self, seed: int, keys: Optional[ChoiceKeys]) -> list[str]:
        return (keys or PROCESS_KEYS).keys(self.id, seed, len(self.choices))

    # ---------------------------------------------------------- public
    def public(self, lang: str, seed: int, keys: Optional[ChoiceKeys] = None) -> dict:
        """What may go to the browser before the answer: never the answer, never the canonical order.

        The choices are shown sorted by key, so their order is as secret as the keys."""
        lang, seed = _lang(lang), as_seed(seed)
        made = self._keys(seed, keys)
        shown = sorted(range(len(made)), key=lambda i: made[i])
        choices = [{"key": made[i], "text": text_in(self.choices[i], lang)} for i in shown]
        return {
            "id": self.id,
            "type": self.type,
            "kind": self.kind,
            "protocol": self.protocol,
            "topic": self.topic,
            "prompt": text_in(self.prompt, lang),
            "choices": choices,
            "replay": [dict(ex) for ex in self.replay] if self.replay is not None else None,
        }

    # ----------------------------------------------------------- grade
    def grade(self, response: Any, seed: int, keys_of: Optional[ChoiceKeys] = None) -> Graded:
        """Grade ``response`` (a key, or for "order" the list of keys); ValueError if it is malformed."""
        seed = as_seed(seed)
        keys = self._keys(seed, keys_of)
        known = set(keys)
        if self.kind == "single":
            if not isinstance(response, str) or response not in known:
                raise ValueError("the response must be one of the question's choice keys")
            assert self.answer is not None  # a "single" question has its answer's index
            right = keys[self.answer]
            return Graded(response == right, right, self.explanation)
        if not isinstance(response, (list, tuple)) or not all(isinstance(k, str) for k in response):
            raise ValueError("the response must be the list of the items' keys in the learner's order")
        if len(response) != len(keys):
            raise ValueError(f"the response must name all {len(keys)} items, not {len(response)}")
        if len(set(response)) != len(response):
            raise ValueError("the response names an item twice")
        if not set(response) <= known:
            raise ValueError("the response names an unknown item")
        return Graded(list(response) == keys, list(keys), self.explanation)


# Status codes (POP3's, IMAP's) in the order the lecture meets them; numbers sort as numbers.
_CODE_ORDER = ("+OK", "-ERR", "OK", "NO", "BAD", "BYE", "PREAUTH", "+")


def code_sort_key(key: tuple) -> tuple:
    """``(protocol, code)`` in the protocols' order, SMTP's codes by number, then the statuses."""
    protocol, code = key
    p = PROTOCOLS.index(protocol) if protocol in PROTOCOLS else len(PROTOCOLS)
    if isinstance(code, int):
        return (p, 0, code, "")
    return (p, 1, _CODE_ORDER.index(code) if code in _CODE_ORDER else len(_CODE_ORDER), str(code))
