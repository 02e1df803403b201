"""A quiz's selection (a "spec") and a learner's response, checked before anything uses them.

:func:`clean_spec` turns what a teacher's form or a learner's start request
sent into the selection a quiz keeps (protocols, codes, question types and
topics, count, seed, mode, time limit); :func:`valid_response` says whether
an answer is shaped like one before it is graded. Both refuse with
:class:`QuizError`, whose ``code`` the web layer turns into a message in the
learner's language.
"""
from __future__ import annotations

import secrets
from typing import Any, Iterable, Optional

from simulator.protocols import registry

__all__ = ["QuizError", "clean_spec", "valid_response", "QUIZ_MODES", "PROTOCOLS", "MAX_COUNT", "DEFAULT_COUNT",
           "MIN_TIME_LIMIT", "MAX_TIME_LIMIT", "MAX_SEED", "MAX_KEY", "MAX_ITEMS", "MAX_FILTER"]

QUIZ_MODES = ("practice", "test")  # what a teacher's quiz can be
PROTOCOLS = registry.PROTOCOLS
MAX_COUNT = 50
DEFAULT_COUNT = 10
MIN_TIME_LIMIT, MAX_TIME_LIMIT = 30, 7200
MAX_SEED = 2 ** 31 - 1
MAX_KEY = 100  # characters of one choice key in a response
MAX_ITEMS = 100  # keys in an "order" response
MAX_FILTER = 100  # entries in a spec's list (codes, types, ...)


class QuizError(Exception):
    """Something the learner or teacher asked cannot be done; ``code`` names it, ``status`` is the HTTP one."""

    def __init__(self, code: str, status: int = 400, **params: Any):
        super().__init__(code)
        self.code, self.status, self.params = code, status, params


# --------------------------------------------------------------------- specs
def _norm_code(code: Any) -> Any:
    if isinstance(code, bool):
        raise ValueError(code)
    if isinstance(code, int):
        return code
    if isinstance(code, str):
        code = code.strip()
        return int(code) if code.isdigit() else code.upper()
    raise ValueError(code)


def _list_of(value: Any, field: str, allowed: Optional[Iterable] = None, norm=None) -> Optional[list]:
    """A spec's list filter: None or [] mean "any"; anything else must be a list of allowed values."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_FILTER:
        raise QuizError(f"bad_{field}")
    out = []
    for item in value:
        try:
            item = norm(item) if norm else item
            if allowed is not None and item not in allowed:
                raise ValueError(item)
        except (ValueError, TypeError):  # TypeError: a list or object where a name was expected
            raise QuizError(f"bad_{field}") from None
        if item not in out:
            out.append(item)
    return out


def _int_in(value: Any, low: int, high: int, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QuizError(code)
    return value


def clean_spec(spec: Any, *, types: Iterable[str], topics: Iterable[str], codes: Iterable,
               teacher: bool = False) -> dict:
    """A selection as kept: ``{protocols, codes, types, topics, count, seed, time_limit_s, mode}``.

    Lists are None for "any". ``seed`` is given only by a teacher (a learner's
    attempts get a random one); ``mode`` is practice or test; a time limit is
    for test mode only (practice gives feedback at once: a clock would only
    hurry). Raises :class:`QuizError` naming the first bad field.
    """
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise QuizError("bad_spec")
    mode = spec.get("mode") or "practice"
    if mode not in QUIZ_MODES:
        raise QuizError("bad_mode")
    out = {
        "protocols": _list_of(spec.get("protocols"), "protocols", PROTOCOLS,
                              lambda p: p.lower() if isinstance(p, str) else p),
        "codes": _list_of(spec.get("codes"), "codes", set(codes), _norm_code),
        "types": _list_of(spec.get("types"), "types", set(types)),
        "topics": _list_of(spec.get("topics"), "topics", set(topics)),
        "count": _int_in(spec.get("count", DEFAULT_COUNT), 1, MAX_COUNT, "bad_count"),
        "mode": mode,
        "time_limit_s": None,
    }
    limit = spec.get("time_limit_s")
    if limit not in (None, 0, ""):
        limit = _int_in(limit, MIN_TIME_LIMIT, MAX_TIME_LIMIT, "bad_time_limit")
        if mode != "test":
            raise QuizError("bad_time_limit")
        out["time_limit_s"] = limit
    if teacher:
        seed = spec.get("seed")
        out["seed"] = secrets.randbelow(MAX_SEED) if seed in (None, "") else _int_in(seed, 0, MAX_SEED, "bad_seed")
    return out


def valid_response(response: Any) -> bool:
    """Is ``response`` shaped like an answer (one key, or a list of keys), and small? Checked before grading."""
    if isinstance(response, str):
        return 0 < len(response) <= MAX_KEY
    return (isinstance(response, list) and 0 < len(response) <= MAX_ITEMS
            and all(isinstance(k, str) and 0 < len(k) <= MAX_KEY for k in response))
