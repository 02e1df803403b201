"""The quiz question bank: questions drawn from the simulator itself, plus authored ones.

Where the questions come from:

* :mod:`simulator.quiz.generate`: the reply and command catalogues of every
  protocol: code <-> meaning, first and second digit, "retry?", command <->
  purpose, syntax.
* :mod:`simulator.quiz.predict`: the scenarios played against the real
  engines: "predict the reply", "put the exchanges in order", "fill in the
  missing line". The engine computes the answer, so these cannot be wrong.
* :mod:`simulator.quiz.authored`: ``quizzes/*.toml``, the rest of the syllabus.

The question itself, its keys and grading are :mod:`simulator.quiz.model`'s
(re-exported here for the bank's users).
"""
from __future__ import annotations

import threading
from typing import Any, Iterable, Optional

from simulator.quiz import authored as quiz_authored
from simulator.quiz import generate as quiz_generate
from simulator.quiz import predict as quiz_predict
from simulator.quiz.model import (
    KINDS,
    LANGUAGES,
    PROCESS_KEYS,
    PROTOCOLS,
    TOPICS,
    TYPES,
    ChoiceKeys,
    Graded,
    Question,
    as_seed,
    stable_hash,
    text_in,
)

__all__ = [
    "TYPES", "TOPICS", "KINDS", "LANGUAGES", "PROTOCOLS", "Question", "Graded", "bank", "select",
    "validate_authored", "ChoiceKeys", "PROCESS_KEYS", "stable_hash", "text_in",
]


# --------------------------------------------------------------------------
# The bank


_bank: Optional[dict[str, Question]] = None
_bank_lock = threading.Lock()


def _build() -> dict[str, Question]:
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
    seed = as_seed(seed)
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
    return quiz_authored.validate_authored(directory)
