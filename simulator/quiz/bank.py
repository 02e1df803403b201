"""The quiz question bank: questions drawn from the simulator itself, plus authored ones.

Pure data and logic (no Flask, no SQLite). The web layer stores results and
shows pages; this module says what the questions are, what may be shown
before the answer (:meth:`Question.public`) and whether an answer is right
(:meth:`Question.grade`). The contract is docs/quizzes.md (and
/work/briefs/quiz_api.md for the team).

Where the questions come from:

* :mod:`simulator.quiz_generate`: the reply and command catalogues
  (``replies.py``, ``pop3_replies.py``, ``imap_replies.py``): code <-> meaning,
  first and second digit, "retry?", command <-> purpose, syntax.
* :mod:`simulator.quiz_predict`: the scenarios played against the real
  engines: "predict the reply", "put the exchanges in order", "fill in the
  missing line". The engine computes the answer, so these cannot be wrong.
* :mod:`simulator.quiz_authored`: ``quizzes/*.toml``, the rest of the syllabus.

Choice keys. ``public()`` gives each choice an opaque key: an HMAC of
(question id, seed, canonical index) under a secret, and the choices are
shown sorted by key. Without the secret neither the keys nor the order say
which choice is canonically first, so the page cannot leak the answer. The
secret is random per process unless the application sets a persistent one
with :func:`set_secret` (so keys stay valid across restarts), or the
environment variable ``MAILSIM_QUIZ_SECRET`` gives one.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

from simulator.protocols import registry

__all__ = [
    "TYPES", "TOPICS", "KINDS", "LANGUAGES", "Question", "Graded", "bank", "select",
    "validate_authored", "set_secret", "stable_hash", "text_in",
]

TYPES = ("code_meaning", "meaning_code", "first_digit", "second_digit", "retry",
         "command_purpose", "purpose_command", "command_syntax", "predict", "order", "fill", "authored")
TOPICS = ("replies", "commands", "phases", "architecture", "pop3", "imap", "mime", "webmail_security")
KINDS = ("single", "order")
LANGUAGES = ("en", "ru")
PROTOCOLS = registry.PROTOCOLS

_KEY_HEX = 16  # 64 bits of HMAC per key


def _initial_secret() -> bytes:
    env = os.environ.get("MAILSIM_QUIZ_SECRET")
    return env.encode("utf-8") if env else os.urandom(32)


_secret = _initial_secret()


def set_secret(secret: Union[str, bytes]) -> None:
    """Use ``secret`` for choice keys (keep it persistent so keys survive a restart; never send it out)."""
    global _secret
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise ValueError("the quiz secret must not be empty")
    _secret = hashlib.sha256(b"mailsim-quiz-keys\x00" + secret).digest()


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


def _seed(seed: Any) -> int:
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
    def _keys(self, seed: int) -> list[str]:
        out = []
        for index in range(len(self.choices)):
            msg = f"{self.id}\x00{seed}\x00{index}".encode("utf-8")
            out.append(hmac.new(_secret, msg, hashlib.sha256).hexdigest()[:_KEY_HEX])
        return out

    def _shuffled(self, seed: int) -> list[int]:
        keys = self._keys(seed)
        return sorted(range(len(keys)), key=lambda i: keys[i])

    # ---------------------------------------------------------- public
    def public(self, lang: str, seed: int) -> dict:
        """What may go to the browser before the answer: never the answer, never the canonical order."""
        lang, seed = _lang(lang), _seed(seed)
        keys = self._keys(seed)
        choices = [{"key": keys[i], "text": text_in(self.choices[i], lang)} for i in self._shuffled(seed)]
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
    def grade(self, response: Any, seed: int) -> Graded:
        """Grade ``response`` (a key, or for "order" the list of keys); ValueError if it is malformed."""
        seed = _seed(seed)
        keys = self._keys(seed)
        known = set(keys)
        if self.kind == "single":
            if not isinstance(response, str) or response not in known:
                raise ValueError("the response must be one of the question's choice keys")
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


# --------------------------------------------------------------------------
# The bank


_bank: Optional[dict[str, Question]] = None
_bank_lock = threading.Lock()


def _build() -> dict[str, Question]:
    from simulator.quiz import authored as quiz_authored, generate as quiz_generate, predict as quiz_predict
    out: dict[str, Question] = {}
    for q in list(quiz_generate.questions()) + list(quiz_predict.questions()) + list(quiz_authored.questions()):
        if q.id in out:
            raise ValueError(f"two questions have the id {q.id!r}")
        out[q.id] = q
    return out


def bank(refresh: bool = False) -> dict[str, Question]:
    """Every question (generated and authored) by id; built once and cached (``refresh`` rebuilds)."""
    global _bank
    with _bank_lock:
        if _bank is None or refresh:
            _bank = _build()
        return _bank


def _norm_code(code: Any) -> Any:
    if isinstance(code, str) and code.strip().isdigit():
        return int(code.strip())
    if isinstance(code, str):
        return code.strip().upper()
    return code


def _as_set(values: Optional[Iterable], norm=lambda v: v) -> Optional[set]:
    if values is None:
        return None
    if isinstance(values, (str, int)):
        values = [values]
    return {norm(v) for v in values}


def select(*, protocols=None, codes=None, types=None, topics=None, count: int = 10, seed: int = 0,
           questions: Optional[Iterable[Question]] = None) -> list[Question]:
    """A deterministic selection of at most ``count`` questions matching every given filter.

    The same arguments give the same questions in the same order on every
    machine. The questions are spread over the types (taken in turn) and,
    within a type, over the codes or commands they are about.
    """
    seed = _seed(seed)
    protocols = _as_set(protocols, lambda p: None if p in (None, "-", "") else str(p).lower())
    codes = _as_set(codes, _norm_code)
    types = _as_set(types)
    topics = _as_set(topics)
    pool = bank().values() if questions is None else questions
    chosen = [q for q in pool
              if (protocols is None or q.protocol in protocols)
              and (types is None or q.type in types)
              and (topics is None or q.topic in topics)
              and (codes is None or any(_norm_code(c) in codes for c in q.codes))]
    if count <= 0 or not chosen:
        return []
    by_type: dict[str, list[Question]] = {}
    for q in chosen:
        by_type.setdefault(q.type, []).append(q)
    streams = []
    for qtype in sorted(by_type, key=lambda t: stable_hash("type", seed, t)):
        streams.append(_spread(by_type[qtype], seed))
    out: list[Question] = []
    used: set = set()
    while len(out) < count and any(streams):
        for stream in streams:
            if stream and len(out) < count:
                # Take the type's next question about a code (or command) not asked yet, if there is one.
                pick = next((i for i, q in enumerate(stream) if _about(q) not in used), 0)
                q = stream.pop(pick)
                used.add(_about(q))
                out.append(q)
    return out


def _about(q: Question) -> str:
    return f"{q.protocol}:{q.codes[0] if q.codes else (q.commands[0] if q.commands else q.id)}"


def _spread(questions: list[Question], seed: int) -> list[Question]:
    """One type's questions, shuffled by seed, taking one per code/command in turn."""
    buckets: dict[str, list[Question]] = {}
    for q in sorted(questions, key=lambda q: stable_hash("q", seed, q.id)):
        buckets.setdefault(_about(q), []).append(q)
    order = sorted(buckets, key=lambda b: stable_hash("b", seed, questions[0].type, b))
    out: list[Question] = []
    depth = 0
    while len(out) < len(questions):
        for b in order:
            if depth < len(buckets[b]):
                out.append(buckets[b][depth])
        depth += 1
    return out


def validate_authored(directory=None) -> list:
    """``path:line: message`` errors of the authored question files (``quizzes/*.toml``)."""
    from simulator.quiz.authored import validate_authored as _validate
    return _validate(directory)
