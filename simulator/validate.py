"""Checks for the files people write by hand, each problem reported as ``path: message``.

MailSim reads several kinds of hand-written data: fault plans, presets and
scenarios, lesson widgets and tasks, authored questions, the world file. Each
has its own validator that knows the domain (which reply codes exist, which
stage takes an argument); what they share is here: "is an object", "only
these keys", "a text, not empty, at most N characters", "a whole number in a
range, and not true or false", "one of these", "a list of...".

A :class:`Checker` method takes ``(value, path)``; ``path`` names the value
the way the user finds it (``rules[2].reply``, built with :func:`join_path`).
A good value comes back; a bad one is reported as ``fail(path, message)``, the
callable the validator gave the checker. A validator that stops at the first
problem gives a ``fail`` that raises its own error type
(:meth:`Checker.raising`); one that collects every problem gives a ``fail``
that appends, and then the check returns what ``fail`` returned (``None``).

Every message is the validator's own wording: a check's ``message`` is a
:meth:`str.format` template (``"must be a whole number from {lo} to {hi}, not
{value!r}"``) with the fields each method lists, so what users read does not
change when a validator moves onto these checks. A ``message`` given covers
every way the check can fail unless a more specific one (``empty_message``,
``short_message``, ``long_message``) is given too. Templates are written in
the code, never built from the data being checked (a brace in a user's value
would break the formatting).

This is a foundation module like :mod:`simulator.paths`: it imports nothing of
MailSim, and every package may import it.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable, Generic, Iterable, NoReturn, Optional, TypeVar, Union, overload

__all__ = ["Checker", "Invalid", "join_path", "type_name", "is_int"]

R = TypeVar("R")  # what ``fail`` returns: NoReturn when it raises, None when it collects
T = TypeVar("T")


class Invalid(ValueError):
    """The error a :class:`Checker` raises when it was given no ``fail``: ``path`` and ``message``."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def join_path(base: str, key: Union[str, int]) -> str:
    """The path of ``key`` inside ``base``: ``join_path("rules", 2)`` is ``rules[2]``,
    ``join_path("rules[2]", "reply")`` is ``rules[2].reply``, ``join_path("", "seed")`` is ``seed``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else str(key)


def is_int(value: Any) -> bool:
    """True for a whole number; ``True`` and ``False`` are not numbers here."""
    return isinstance(value, int) and not isinstance(value, bool)


def type_name(value: Any) -> str:
    """What a JSON/TOML value is, for a message: ``null``, ``a boolean``, ``a number``, ``a string``,
    ``a list``, ``an object`` (or the Python type's name)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _raise_invalid(path: str, message: str) -> NoReturn:
    raise Invalid(path, message)


def _spelled_like(key: Any, allowed: Iterable[str]) -> Optional[str]:
    """The allowed key ``key`` is a misspelling of, by case and underscores (``delayMs`` for ``delay_ms``)."""
    folded = str(key).lower().replace("_", "")
    return next((a for a in allowed if a.replace("_", "") == folded), None)


class Checker(Generic[R]):
    """The shared checks, reporting through ``fail(path, message)`` (default: raise :class:`Invalid`).

    Every check returns the value when it is good. When it is not, the check
    calls ``fail``; if ``fail`` returns instead of raising, so does the check,
    with what ``fail`` returned (for type checkers too: a raising checker's
    ``integer`` is an ``int``, a collecting one's ``int | None``).
    ``failures`` counts the problems reported so far.
    """

    @overload
    def __init__(self: "Checker[NoReturn]", fail: None = None) -> None: ...
    @overload
    def __init__(self, fail: Callable[[str, str], R]) -> None: ...

    def __init__(self, fail: Optional[Callable[[str, str], Any]] = None) -> None:
        self.fail: Callable[[str, str], R] = fail or _raise_invalid
        self.failures = 0

    @staticmethod
    def raising(error: Callable[[str, str], BaseException]) -> "Checker[NoReturn]":
        """A checker that stops at the first problem, raising ``error(path, message)``."""
        def fail(path: str, message: str) -> NoReturn:
            raise error(path, message)
        return Checker(fail)

    def report(self, path: str, message: str) -> R:
        """Report a finished message (a domain check's own wording) through ``fail``."""
        self.failures += 1
        return self.fail(path, message)

    def _bad(self, template: str, path: str, value: Any, **fields: Any) -> R:
        return self.report(path, template.format(path=path, value=value, type=type_name(value), **fields))

    # -- objects -----------------------------------------------------------
    def obj(self, value: Any, path: str, *, message: str = "must be an object, not {type}") -> Union[dict, R]:
        """A dict (a JSON object, a TOML table). Fields: ``path value type``."""
        if not isinstance(value, dict):
            return self._bad(message, path, value)
        return value

    def only(self, value: Any, path: str, allowed: Iterable[str], *,
             message: str = "unknown field{hint}; allowed fields: {allowed}", at_key: bool = True) -> Any:
        """No key but ``allowed`` in ``value`` (an object, or its keys in the order to report them).

        Each unknown key is reported at its own path (``at_key``) or at the
        object's. Fields: ``path key value`` (the key), ``allowed`` (joined
        with ", ") and ``hint`` (`` (did you mean 'delay_ms'?)`` when the key
        differs from an allowed one only by case or underscores, else "")."""
        allowed = tuple(allowed)
        result = value
        for key in value:
            if key in allowed:
                continue
            close = _spelled_like(key, allowed)
            hint = f" (did you mean {close!r}?)" if close else ""
            where = join_path(path, str(key)) if at_key else path
            result = self._bad(message, where, key, key=key, allowed=", ".join(allowed), hint=hint)
        return result

    def required(self, value: dict, path: str, keys: Iterable[str], *,
                 message: str = "missing field {key!r}", at_key: bool = False) -> Union[dict, R]:
        """Every one of ``keys`` in ``value``; each missing one is reported at the object's path
        (or at its own, ``at_key``). Fields: ``path key value`` (the key)."""
        result: Union[dict, R] = value
        for key in keys:
            if key not in value:
                result = self._bad(message, join_path(path, key) if at_key else path, key, key=key)
        return result

    # -- scalars -----------------------------------------------------------
    def text(self, value: Any, path: str, *, empty: bool = False, blank: bool = False, limit: Optional[int] = None,
             message: Optional[str] = None, empty_message: Optional[str] = None,
             long_message: Optional[str] = None) -> Union[str, R]:
        """A string; unless ``empty``, not ``""`` and (unless ``blank``) not only white space; at most
        ``limit`` characters. Fields: ``path value type``, ``limit length``."""
        if not isinstance(value, str):
            return self._bad(message or "must be a string, not {type}", path, value)
        if not empty and (not value if blank else not value.strip()):
            return self._bad(empty_message or message or "must not be empty", path, value)
        if limit is not None and len(value) > limit:
            return self._bad(long_message or message or "at most {limit} characters, got {length}",
                             path, value, limit=limit, length=len(value))
        return value

    def pattern(self, value: Any, path: str, regex: Union[str, re.Pattern], what: str = "", *,
                limit: Optional[int] = None, message: Optional[str] = None,
                long_message: Optional[str] = None) -> Union[str, R]:
        """A string the whole of which matches ``regex``, at most ``limit`` characters.
        Fields: ``path value type what``, ``limit length``."""
        if not isinstance(value, str) or not re.fullmatch(regex, value):
            return self._bad(message or "must be {what}, not {value!r}", path, value, what=what)
        if limit is not None and len(value) > limit:
            return self._bad(long_message or message or "at most {limit} characters, got {length}", path, value,
                             what=what, limit=limit, length=len(value))
        return value

    def integer(self, value: Any, path: str, lo: Optional[int] = None, hi: Optional[int] = None, *,
                message: Optional[str] = None) -> Union[int, R]:
        """A whole number (not a boolean) from ``lo`` to ``hi``, either end open when None.
        Fields: ``path value type lo hi``."""
        if not is_int(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            return self._bad(message or _range_message("a whole number", lo, hi), path, value, lo=lo, hi=hi)
        return value

    def number(self, value: Any, path: str, lo: Optional[float] = None, hi: Optional[float] = None, *,
               message: Optional[str] = None) -> Union[int, float, R]:
        """A finite number, whole or not (not a boolean), from ``lo`` to ``hi``.
        Fields: ``path value type lo hi``."""
        if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
                or (lo is not None and value < lo) or (hi is not None and value > hi)):
            return self._bad(message or _range_message("a number", lo, hi), path, value, lo=lo, hi=hi)
        return value

    def boolean(self, value: Any, path: str, *,
                message: str = "must be true or false, not {value!r}") -> Union[bool, R]:
        """``true`` or ``false``. Fields: ``path value type``."""
        if not isinstance(value, bool):
            return self._bad(message, path, value)
        return value

    def one_of(self, value: Any, path: str, choices: Iterable[T], *,
               message: str = "must be one of: {choices}, not {value!r}") -> Union[T, R]:
        """One of ``choices``; ``true``/``false`` count as 1/0 only when the choices hold a boolean.
        Fields: ``path value type``, ``choices`` (joined with ", ")."""
        choices = tuple(choices)
        if (isinstance(value, bool) and not any(isinstance(c, bool) for c in choices)) or value not in choices:
            return self._bad(message, path, value, choices=", ".join(map(str, choices)))
        return value

    # -- lists -------------------------------------------------------------
    def list_of(self, value: Any, path: str, each: Optional[Callable[[Any, str], Any]] = None, *,
                lo: int = 0, hi: Optional[int] = None, message: Optional[str] = None,
                short_message: Optional[str] = None, long_message: Optional[str] = None) -> Union[list, R]:
        """A list of ``lo`` to ``hi`` items; ``each(item, path)`` checks every item (at ``path[i]``) and
        the list of what it returns comes back. Fields: ``path value type lo hi length``."""
        if not isinstance(value, list):
            return self._bad(message or "must be a list, not {type}", path, value, lo=lo, hi=hi, length=None)
        if len(value) < lo:
            return self._bad(short_message or message or "at least {lo} items, got {length}", path, value,
                             lo=lo, hi=hi, length=len(value))
        if hi is not None and len(value) > hi:
            return self._bad(long_message or message or "at most {hi} items, got {length}", path, value,
                             lo=lo, hi=hi, length=len(value))
        if each is None:
            return list(value)
        return [each(item, join_path(path, i)) for i, item in enumerate(value)]


def _range_message(what: str, lo: Any, hi: Any) -> str:
    if lo is not None and hi is not None:
        return f"must be {what} from {{lo}} to {{hi}}, not {{value!r}}"
    if lo is not None:
        return f"must be {what} {{lo}} or more, not {{value!r}}"
    if hi is not None:
        return f"must be {what} {{hi}} or less, not {{value!r}}"
    return f"must be {what}, not {{value!r}}"
