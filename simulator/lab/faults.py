"""Fault plans: which server replies to replace, delay, drop or withhold.

A fault plan is data (JSON) that a teacher or learner writes to make the
simulated server misbehave in a controlled, replayable way::

    {"seed": 42, "rules": [
        {"stage": "RCPT", "match": "*@example.net", "reply": 450, "times": 1},
        {"stage": "DATA_END", "reply": 552, "after": 1}
    ]}

Theory of operation
-------------------
* :meth:`FaultPlan.from_json` validates a plan completely, or raises
  :class:`FaultPlanError` naming the first bad field by its JSON path
  (``rules[2].reply``). A plan that loads is safe to apply: every reply code is
  in the reply catalogue, every text is one line of printable ASCII.
* :class:`FaultRuntime` holds what changes while a plan is applied: one match
  counter per rule and one ``random.Random(seed)`` stream. The session asks it
  :meth:`FaultRuntime.decide` once per input (``connect``, ``greeting``, each
  command, ``DATA_END``) and gets back the :class:`Decision` of the first rule
  that *fires*, or ``None``.
* A rule *matches* when its stage (and glob ``match``, if any) fits the input.
  A matching rule then passes three gates in order: ``after`` (skip the first
  N matches), ``times`` (then fire on at most N matches), ``probability`` (one
  draw from the plan's stream). A rule that matches but does not pass its
  gates is skipped and the next rule is tried; rules after the one that fired
  are not considered and count nothing.
* The runtime never touches the engine, the socket or the clock: it only says
  what to do. The session applies it around the engine (docs/faults.md tells
  how each kind of decision meets the engine's state), the transport sleeps
  for ``delay_ms``.

For the real TCP port one runtime is shared by every connection (so a
greylisted client that retries on a new connection gets through); a lab
session owns its own. Replacing a plan means building a new runtime, which
restarts the counters and the random stream.
"""
from __future__ import annotations

import fnmatch
import json
import random
import re
import threading
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Optional, Union

from simulator.protocols.registry import SPECS, spec
from simulator.validate import Checker

__all__ = [
    "FaultPlanError",
    "Rule",
    "FaultPlan",
    "Decision",
    "FaultRuntime",
    "EMPTY_PLAN",
    "PSEUDO_STAGES",
    "GREETING_CODES",
    "MAX_RULES",
    "MAX_DELAY_MS",
    "MAX_TEXT",
    "known_stages",
]

# Limits. Each is documented in docs/faults.md; change both together.
MAX_RULES = 100
MAX_DELAY_MS = 60_000
MAX_TEXT = 200  # reply text: one line of printable ASCII
MAX_MATCH = 256  # long enough for any address (RFC 5321 4.5.3.1.3: 256 octets)
MAX_NOTE = 500
# Seeds travel through the browser, whose numbers are exact only up to 2**53.
MAX_SEED = 2**53 - 1

# Pseudo-stages: points in a session that are not a client command.
CONNECT = "connect"  # TCP connection accepted, nothing sent yet
GREETING = "greeting"  # the server's opening reply
DATA_END = "DATA_END"  # the final "." of the message content
UNKNOWN = "UNKNOWN"  # a command line the engine did not recognise
ANY = "*"  # any command stage (every verb and UNKNOWN; no pseudo-stage)
PSEUDO_STAGES = (CONNECT, GREETING, DATA_END, UNKNOWN, ANY)
_NOT_COMMANDS = frozenset({CONNECT, GREETING, DATA_END})
_NO_ARGUMENT = frozenset({CONNECT, GREETING, DATA_END})

# SMTP's: each protocol's are in its reply catalogue (GREETING_CODES).
GREETING_CODES = spec("smtp").replies.GREETING_CODES


# Spellings people bring from the lecture or from the wire, and what they mean.
_ALIASES = {
    "MAIL FROM": "MAIL",
    "MAIL FROM:": "MAIL",
    "RCPT TO": "RCPT",
    "RCPT TO:": "RCPT",
    "SEND FROM": "SEND",
    "SMOL": "SOML",
    "SMOL FROM": "SOML",
    "SMAL": "SAML",
    "SMAL FROM": "SAML",
    "HELLO": "HELO",
    ".": "DATA_END",
    "END": "DATA_END",
    "DATA END": "DATA_END",
    "DATA-END": "DATA_END",
    "CONNECTION": "connect",
    "BANNER": "greeting",
    "ANY": "*",
}

_RULE_FIELDS = (
    "stage", "match", "reply", "text", "delay_ms", "disconnect", "silent",
    "probability", "times", "after", "note", "protocol",
)
_PLAN_FIELDS = ("seed", "rules", "protocol")


class FaultPlanError(ValueError):
    """A fault plan that cannot be applied, and where it goes wrong.

    ``path`` is the JSON path of the offending value (``rules[2].reply``,
    ``seed``; ``plan`` for the plan as a whole, ``json`` for text that is not
    JSON). ``message`` says what is wrong and what is allowed.
    """

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


# --------------------------------------------------------------------------
# The protocol catalogue, looked up lazily: the engine and the reply catalogue
# are other modules, and a plan is validated against whatever they define now.


def known_stages(protocol: str = "smtp") -> tuple[str, ...]:
    """Every stage a rule for ``protocol`` may name: the engine's verbs, then the pseudo-stages."""
    verbs = tuple(v.upper() for v in spec(protocol).stages)
    return verbs + tuple(s for s in PSEUDO_STAGES if s not in verbs)


def _codes(protocol: str):
    return spec(protocol).codes


# --------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Rule:
    """One line of a fault plan: where it applies, what it does, when it fires.

    Construct rules through :meth:`FaultPlan.from_json`, which validates them;
    the constructor itself trusts its arguments.
    """

    stage: str
    match: Optional[str] = None
    reply: Optional[Union[int, str]] = None
    text: Optional[str] = None
    delay_ms: int = 0
    disconnect: bool = False
    silent: bool = False
    probability: Optional[float] = None
    times: Optional[int] = None
    after: int = 0
    note: Optional[str] = None
    protocol: str = "smtp"

    @property
    def kind(self) -> str:
        """What the rule does: ``reply``, ``disconnect``, ``silent`` or ``delay``."""
        if self.reply is not None:
            return "reply"
        if self.disconnect:
            return "disconnect"
        if self.silent:
            return "silent"
        return "delay"

    def to_json(self) -> dict:
        """The rule as JSON, leaving out fields at their defaults."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "stage" or value != f.default:
                out[f.name] = value
        return out


@dataclass(frozen=True)
class FaultPlan:
    """A validated fault plan: a seed and an ordered tuple of rules.

    ``protocol`` is the protocol the plan is written for; each rule's own
    ``protocol`` defaults to it.
    """

    seed: int = 0
    rules: tuple[Rule, ...] = field(default=())
    protocol: str = "smtp"

    EMPTY: ClassVar[Optional[FaultPlan]] = None  # set below to the plan with no rules

    def __post_init__(self):
        if not isinstance(self.rules, tuple):
            object.__setattr__(self, "rules", tuple(self.rules))

    @classmethod
    def from_json(cls, obj: Any) -> "FaultPlan":
        """Validate a plan given as parsed JSON (a dict) or as JSON text.

        Raises :class:`FaultPlanError` on the first problem found, checking the
        plan's fields first and then each rule in order.
        """
        if isinstance(obj, (bytes, bytearray)):
            try:
                obj = obj.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FaultPlanError("json", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except json.JSONDecodeError as exc:
                raise FaultPlanError(
                    "json", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                ) from None
        return _parse_plan(obj)

    def to_json(self) -> dict:
        """The plan as JSON; ``FaultPlan.from_json(plan.to_json()) == plan``."""
        out: dict[str, Any] = {"seed": self.seed}
        if self.protocol != "smtp":
            out["protocol"] = self.protocol
        rules = []
        for rule in self.rules:
            data = rule.to_json()
            if rule.protocol != self.protocol:
                data["protocol"] = rule.protocol
            else:
                data.pop("protocol", None)
            rules.append(data)
        out["rules"] = rules
        return out


EMPTY_PLAN = FaultPlan()
FaultPlan.EMPTY = EMPTY_PLAN


@dataclass(frozen=True)
class Decision:
    """The rule that fired for one input, and what the session must do about it."""

    index: int  # 0-based position of the rule in the plan
    rule: Rule

    @property
    def reply(self) -> Optional[Union[int, str]]:
        """The reply code to send instead of the engine's (450, "-ERR", "NO"), or None."""
        return self.rule.reply

    @property
    def text(self) -> Optional[str]:
        """The reply text, or None for the catalogue's text."""
        return self.rule.text

    @property
    def delay_ms(self) -> int:
        """Milliseconds to wait before the reply (the fault's or the engine's) or the disconnect."""
        return self.rule.delay_ms

    @property
    def disconnect(self) -> bool:
        """Close the connection without replying."""
        return self.rule.disconnect

    @property
    def silent(self) -> bool:
        """Send nothing: the client's timer runs out."""
        return self.rule.silent

    @property
    def kind(self) -> str:
        """``reply``, ``disconnect``, ``silent`` or ``delay`` (only delays the engine's reply)."""
        return self.rule.kind

    @property
    def refuses(self) -> bool:
        """True for a negative fault reply (4yz/5yz, -ERR, NO, BAD, BYE): the command is refused."""
        reply = self.rule.reply
        if reply is None:
            return False
        return reply >= 400 if isinstance(reply, int) else reply in ("-ERR", "NO", "BAD", "BYE")

    @property
    def closes(self) -> bool:
        """True when the connection ends after this decision: a disconnect, or a 421
        reply (RFC 5321 3.8: a server sending 421 closes the channel)."""
        return self.rule.disconnect or self.rule.reply in (421, "BYE")

    def describe(self) -> dict:
        """A small JSON summary for the transcript's ``fault`` field."""
        out: dict[str, Any] = {"rule": self.index, "stage": self.rule.stage, "kind": self.kind}
        if self.rule.reply is not None:
            out["reply"] = self.rule.reply
        if self.rule.delay_ms:
            out["delay_ms"] = self.rule.delay_ms
        if self.rule.note:
            out["note"] = self.rule.note
        return out


# --------------------------------------------------------------------------
# Validation: the first problem raises FaultPlanError(path, message).

_check = Checker.raising(FaultPlanError)


def _parse_plan(obj: Any) -> FaultPlan:
    _check.obj(obj, "plan", message='must be an object like {{"seed": 0, "rules": []}}, not {type}')
    _check.only(obj, "", _PLAN_FIELDS)
    protocol = _parse_protocol(obj.get("protocol", "smtp"), "protocol")
    seed = _check.integer(obj.get("seed", 0), "seed", 0, MAX_SEED)
    rules = _check.list_of(obj.get("rules", []), "rules", lambda raw, path: _parse_rule(raw, path, protocol),
                           hi=MAX_RULES, message="must be a list of rules, not {type}",
                           long_message="at most {hi} rules, got {length}")
    return FaultPlan(seed=seed, rules=tuple(rules), protocol=protocol)


def _parse_protocol(value: Any, path: str) -> str:
    if not isinstance(value, str) or value.lower() not in SPECS:
        raise FaultPlanError(path, f"must be one of: {', '.join(SPECS)} (got {value!r})")
    return value.lower()


def _canonical_stage(raw: str, protocol: str) -> Optional[str]:
    """The canonical spelling of a stage, or None if unknown to the protocol."""
    stages = known_stages(protocol)
    key = " ".join(raw.strip().split()).upper()
    for stage in stages:
        if stage.upper() == key:
            return stage
    return None


def _parse_reply(reply: Any, path: str, protocol: str, stage: str) -> Union[int, str]:
    codes = _codes(protocol)
    listed = ", ".join(str(c) for c in (sorted(codes) if protocol == "smtp" else codes))
    if protocol == "smtp":
        _check.integer(reply, path, 100, 599, message="must be a 3-digit reply code such as 450, not {value!r}")
    else:
        if not isinstance(reply, str):
            raise FaultPlanError(path, f"must be one of {listed} for {protocol.upper()}, not {reply!r}")
        reply = reply.strip().upper()
    if reply not in codes:
        raise FaultPlanError(path, f"{reply} is not in the reply catalogue; use one of: {listed}")
    if stage == CONNECT:
        raise FaultPlanError(
            path,
            "nothing is sent before the greeting: a connect rule may only use delay_ms, disconnect or silent "
            "(use stage \"greeting\" to change the opening reply)",
        )
    greeting_codes = _greeting_codes(protocol)
    if stage == GREETING and reply not in greeting_codes:
        rfc = spec(protocol).greeting_rfc
        raise FaultPlanError(path, f"a greeting may only be {', '.join(map(str, greeting_codes))} ({rfc}), not {reply}")
    return reply


def _greeting_codes(protocol: str) -> tuple:
    return tuple(spec(protocol).replies.GREETING_CODES)


def _parse_rule(raw: Any, path: str, plan_protocol: str = "smtp") -> Rule:
    _check.obj(raw, path, message='must be an object like {{"stage": "RCPT", "reply": 450}}, not {type}')
    _check.only(raw, path, _RULE_FIELDS)

    protocol = _parse_protocol(raw.get("protocol", plan_protocol), f"{path}.protocol")

    if "stage" not in raw:
        raise FaultPlanError(f"{path}.stage", "missing: say where the rule applies, e.g. \"RCPT\" or \"greeting\"")
    stage_raw = _check.text(raw["stage"], f"{path}.stage", empty=True)
    stage = _canonical_stage(stage_raw, protocol)
    if stage is None:
        alias = _ALIASES.get(" ".join(stage_raw.strip().split()).upper())
        hint = f" (did you mean {alias!r}?)" if alias else ""
        raise FaultPlanError(
            f"{path}.stage",
            f"unknown stage {stage_raw!r}{hint}; use one of: {', '.join(known_stages(protocol))}",
        )

    match = raw.get("match")
    if match is not None:
        _check.text(match, f"{path}.match", empty=True,
                    message='must be a glob string such as "*@example.net", not {type}')
        if stage in _NO_ARGUMENT:
            raise FaultPlanError(f"{path}.match", f"the {stage} stage has no argument to match; remove \"match\"")
        _check.text(match, f"{path}.match", blank=True, limit=MAX_MATCH,
                    empty_message="must not be empty; leave it out to match every argument")
        if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in match):
            raise FaultPlanError(f"{path}.match", "must not contain control characters (CR, LF, TAB...)")

    reply = raw.get("reply")
    if reply is not None:
        reply = _parse_reply(reply, f"{path}.reply", protocol, stage)

    text = raw.get("text")
    if text is not None:
        if reply is None:
            raise FaultPlanError(f"{path}.text", "text needs a reply code: add \"reply\"")
        _check.text(text, f"{path}.text", blank=True,
                    empty_message="must not be empty; leave it out to use the catalogue's text")
        if "\r" in text or "\n" in text:
            raise FaultPlanError(f"{path}.text", "must be one line: CR and LF are not allowed")
        bad = next((c for c in text if not 0x20 <= ord(c) <= 0x7E), None)
        if bad is not None:
            raise FaultPlanError(
                f"{path}.text", f"must be printable ASCII (replies on the wire are 7-bit); {bad!r} is not allowed"
            )
        if len(text) > MAX_TEXT:
            raise FaultPlanError(f"{path}.text", f"at most {MAX_TEXT} characters, got {len(text)}")

    delay_ms = _check.integer(raw.get("delay_ms", 0), f"{path}.delay_ms", 0, MAX_DELAY_MS,
                              message="must be a whole number of milliseconds from {lo} to {hi}, not {value!r}")
    disconnect = _check.boolean(raw.get("disconnect", False), f"{path}.disconnect")
    silent = _check.boolean(raw.get("silent", False), f"{path}.silent")
    if disconnect and reply is not None:
        raise FaultPlanError(f"{path}.disconnect",
                             "a rule either replies or disconnects: remove \"reply\" or \"disconnect\"")
    if silent and reply is not None:
        raise FaultPlanError(f"{path}.silent", "a rule either replies or stays silent: remove \"reply\" or \"silent\"")
    if silent and disconnect:
        raise FaultPlanError(f"{path}.silent", "a rule either stays silent or disconnects, not both")
    if silent and delay_ms:
        raise FaultPlanError(f"{path}.delay_ms", "a silent rule sends nothing, so there is nothing to delay")
    if reply is None and not disconnect and not silent and not delay_ms:
        raise FaultPlanError(path, "the rule does nothing: give it "
                                   "\"reply\", \"delay_ms\", \"disconnect\" or \"silent\"")

    probability = raw.get("probability")
    if probability is not None:
        probability = float(_check.number(probability, f"{path}.probability", 0, 1))

    times = raw.get("times")
    if times is not None:
        _check.integer(times, f"{path}.times", 0)
    after = _check.integer(raw.get("after", 0), f"{path}.after", 0)

    note = raw.get("note")
    if note is not None:
        _check.text(note, f"{path}.note", empty=True, limit=MAX_NOTE)

    return Rule(
        stage=stage, match=match, reply=reply, text=text, delay_ms=delay_ms,
        disconnect=disconnect, silent=silent, probability=probability,
        times=times, after=after, note=note, protocol=protocol,
    )


# --------------------------------------------------------------------------
# Runtime


class FaultRuntime:
    """The changing part of an applied plan: match counters and the random stream.

    Thread-safe: the real port shares one runtime between all its connections.
    """

    def __init__(self, plan: FaultPlan = EMPTY_PLAN):
        self.plan = plan
        self._lock = threading.Lock()
        self._random = random.Random(plan.seed)
        self._matched = [0] * len(plan.rules)
        self._fired = [0] * len(plan.rules)
        # Globs compiled once; fnmatch semantics, compared in lower case.
        self._patterns = [
            re.compile(fnmatch.translate(r.match.lower()), re.DOTALL) if r.match is not None else None
            for r in plan.rules
        ]

    @staticmethod
    def _normal_stage(stage: str) -> str:
        if stage.lower() in (CONNECT, GREETING):
            return stage.lower()
        return stage.upper()

    def _fits(self, i: int, rule: Rule, stage: str, arg: str, protocol: str) -> bool:
        if rule.protocol != protocol:
            return False
        if rule.stage == ANY:
            if stage in _NOT_COMMANDS:
                return False
        elif rule.stage != stage:
            return False
        pattern = self._patterns[i]
        return pattern is None or pattern.fullmatch(arg.lower()) is not None

    def decide(self, stage: str, arg: str = "", protocol: Optional[str] = None) -> Optional[Decision]:
        """The first rule that fires for this input, or None (the engine answers as usual).

        ``stage`` is the engine's verb (``RCPT``), ``UNKNOWN``, ``connect``,
        ``greeting`` or ``DATA_END``, in any case; ``arg`` is the command's
        argument as the engine parsed it (the address for MAIL and RCPT).
        ``protocol`` defaults to the plan's. Every call counts a match for each
        rule it considers, so call it exactly once per input.
        """
        if not self.plan.rules:
            return None  # the usual case: no plan, nothing to count
        protocol = (protocol or self.plan.protocol).lower()
        stage = self._normal_stage(stage)
        arg = arg or ""
        with self._lock:
            for i, rule in enumerate(self.plan.rules):
                if not self._fits(i, rule, stage, arg, protocol):
                    continue
                n = self._matched[i]
                self._matched[i] = n + 1
                if n < rule.after:
                    continue
                if rule.times is not None and n - rule.after >= rule.times:
                    continue
                if rule.probability is not None and not self._random.random() < rule.probability:
                    continue
                self._fired[i] += 1
                return Decision(i, rule)
        return None

    def counters(self) -> list[dict]:
        """Per rule: how many inputs it matched and how many times it fired (for the UI)."""
        with self._lock:
            return [{"matched": m, "fired": f} for m, f in zip(self._matched, self._fired)]
