"""The journey's data: ``data/journeys.json`` (parties and presets) and the learner's fault choices.

Everything is validated on load, and every problem names where it is
(``presets[3].faults.relay.rules[0].reply``), like the fault plans and the
world file. A :class:`JourneyError` carries an API error code
(``unknown_preset``, ``bad_faults``, ``bad_request``, ``too_big``) and a
detail in English for scripts and logs; the web layer translates the code.

The fault model is the one of docs/faults.md, one plan per hop that speaks a
protocol: ``submit`` and ``relay`` take SMTP rules, ``read`` takes rules for
the reading protocol (POP3 or IMAP). The DNS hop has its own small model,
since DNS is no protocol of the simulator: ``{"answer": "nxdomain" |
"servfail" | "timeout", "times": n}`` (``times`` left out: every lookup).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from simulator import paths
from simulator.lab.faults import FaultPlan, FaultPlanError
from simulator.mail.world import World
from simulator.protocols import registry

DATA_FILE = paths.DATA / "journeys.json"
LANGS = ("en", "ru")
OUTCOMES = ("delivered", "bounced", "refused", "queued")
SMTP_HOPS = ("submit", "relay")
FAULT_HOPS = ("submit", "dns", "relay", "read")
READ_PROTOCOLS = tuple(p for p, s in registry.SPECS.items() if s.reads_mailboxes)
DNS_ANSWERS = ("nxdomain", "servfail", "timeout")
SUBMIT_TO = ("own_server", "receiver_mx")

MAX_SUBJECT = 200     # characters
MAX_BODY = 20_000     # characters
MAX_DNS_TIMES = 1000

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_LOCAL = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,63}$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class JourneyError(ValueError):
    """A journey that cannot run: ``code`` for the API, ``detail`` saying where and why."""

    def __init__(self, code: str, detail: str = "", **params: Any):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.params = params


@dataclass(frozen=True)
class DnsFault:
    """A fault of the simulated resolver: which answer, and on how many lookups (None: all)."""

    answer: str
    times: Optional[int] = None

    def to_json(self) -> dict:
        return {"answer": self.answer, **({"times": self.times} if self.times is not None else {})}


@dataclass(frozen=True)
class Faults:
    """One fault plan per hop (None: that hop behaves)."""

    submit: Optional[FaultPlan] = None
    dns: Optional[DnsFault] = None
    relay: Optional[FaultPlan] = None
    read: Optional[FaultPlan] = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for hop in FAULT_HOPS:
            value = getattr(self, hop)
            if value is not None:
                out[hop] = value.to_json()
        return out

    def over(self, base: "Faults") -> "Faults":
        """These faults, hop by hop, in place of ``base``'s (hops not given keep base's)."""
        return Faults(*(getattr(self, h) if getattr(self, h) is not None else getattr(base, h)
                        for h in FAULT_HOPS))


@dataclass(frozen=True)
class Preset:
    name: str
    title: dict
    story: dict
    expect: str
    to: Optional[str] = None
    submit_to: str = "own_server"
    password: Optional[str] = None
    faults: Faults = field(default_factory=Faults)
    read_faults: Optional[dict] = None  # raw rules, validated per reading protocol when run


@dataclass(frozen=True)
class Sender:
    domain: str
    hostname: str
    address: str
    user: str
    password: str
    name: str
    ua_host: str
    ua_address: str

    def world(self) -> World:
        return World.from_dict({"domain": self.domain, "hostname": self.hostname,
                                "users": {self.user: {"password": self.password, "name": self.name}}},
                               source="journeys.json sender")


@dataclass(frozen=True)
class JourneyData:
    sender: Sender
    receiver_user: str
    receiver_address: str
    receiver_ua_host: str
    subject: dict
    body: dict
    presets: dict  # name -> Preset, in file order


def _fail(where: str, problem: str) -> JourneyError:
    return JourneyError("bad_data", f"{where}: {problem}")


def _obj(value: Any, where: str, allowed: tuple, required: tuple = ()) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, "expected an object")
    extra = sorted(set(value) - set(allowed))
    if extra:
        raise _fail(f"{where}.{extra[0]}", f"unknown field (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in value:
            raise _fail(f"{where}.{key}", "missing")
    return value


def _text(value: Any, where: str, pattern: Optional[re.Pattern] = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "expected a non-empty string")
    if pattern is not None and not pattern.match(value):
        raise _fail(where, f"{value!r} is not allowed here")
    return value


def _bilingual(value: Any, where: str) -> dict:
    value = _obj(value, where, LANGS, LANGS)
    return {lang: _text(value[lang], f"{where}.{lang}") for lang in LANGS}


def parse_data(raw: Any, source: str = "journeys.json") -> JourneyData:
    """Validate the parsed journeys file; raises :class:`JourneyError` (code ``bad_data``)."""
    top = _obj(raw, source, ("version", "sender", "receiver", "message", "presets"),
               ("version", "sender", "receiver", "message", "presets"))
    if top["version"] != 1:
        raise _fail(f"{source}.version", "this MailSim reads version 1")
    s = _obj(top["sender"], "sender", tuple(Sender.__dataclass_fields__), tuple(Sender.__dataclass_fields__))
    sender = Sender(
        domain=_text(s["domain"], "sender.domain", _DOMAIN), hostname=_text(s["hostname"], "sender.hostname", _DOMAIN),
        address=_text(s["address"], "sender.address", _IP), user=_text(s["user"], "sender.user", _LOCAL),
        password=_text(s["password"], "sender.password"), name=_text(s["name"], "sender.name"),
        ua_host=_text(s["ua_host"], "sender.ua_host", _DOMAIN),
        ua_address=_text(s["ua_address"], "sender.ua_address", _IP))
    r = _obj(top["receiver"], "receiver", ("user", "address", "ua_host"), ("user", "address", "ua_host"))
    m = _obj(top["message"], "message", ("subject", "body"), ("subject", "body"))
    presets_raw = top["presets"]
    if not isinstance(presets_raw, list) or not presets_raw:
        raise _fail("presets", "expected a non-empty list")
    presets: dict[str, Preset] = {}
    for i, p in enumerate(presets_raw):
        preset = _preset(p, f"presets[{i}]")
        if preset.name in presets:
            raise _fail(f"presets[{i}].name", f"{preset.name!r} is defined twice")
        presets[preset.name] = preset
    return JourneyData(sender, _text(r["user"], "receiver.user", _LOCAL), _text(r["address"], "receiver.address", _IP),
                       _text(r["ua_host"], "receiver.ua_host", _DOMAIN),
                       _bilingual(m["subject"], "message.subject"), _bilingual(m["body"], "message.body"), presets)


def _preset(raw: Any, where: str) -> Preset:
    p = _obj(raw, where, ("name", "title", "story", "expect", "to", "submit_to", "password", "faults"),
             ("name", "title", "story", "expect"))
    name = _text(p["name"], f"{where}.name", _NAME)
    expect = p["expect"]
    if expect not in OUTCOMES:
        raise _fail(f"{where}.expect", f"must be one of {', '.join(OUTCOMES)}")
    to = p.get("to")
    if to is not None:
        to = _text(to, f"{where}.to")
        local, at, domain = to.partition("@")
        if not _LOCAL.match(local) or (at and not _DOMAIN.match(domain)):
            raise _fail(f"{where}.to", "expected a local part (bob) or an address (dave@example.com)")
    submit_to = p.get("submit_to", "own_server")
    if submit_to not in SUBMIT_TO:
        raise _fail(f"{where}.submit_to", f"must be one of {', '.join(SUBMIT_TO)}")
    password = p.get("password")
    if password is not None:
        password = _text(password, f"{where}.password")
    raw_faults = p.get("faults") or {}
    try:
        faults = parse_faults({k: v for k, v in raw_faults.items() if k != "read"}
                              if isinstance(raw_faults, dict) else raw_faults, None, f"{where}.faults")
    except JourneyError as exc:
        raise _fail(where, exc.detail) from None
    read_faults = raw_faults.get("read") if isinstance(raw_faults, dict) else None
    if read_faults is not None:
        for protocol in READ_PROTOCOLS:  # must suit both reading protocols
            try:
                parse_faults({"read": read_faults}, protocol, f"{where}.faults")
            except JourneyError as exc:
                raise _fail(where, exc.detail) from None
    return Preset(name, _bilingual(p["title"], f"{where}.title"), _bilingual(p["story"], f"{where}.story"),
                  expect, to, submit_to, password, faults, read_faults)


def parse_faults(raw: Any, read: Optional[str], where: str = "faults") -> Faults:
    """The learner's (or a preset's) faults per hop; raises JourneyError("bad_faults")."""
    if raw is None:
        return Faults()
    if not isinstance(raw, dict):
        raise JourneyError("bad_faults", f"{where}: must be an object with the hops {', '.join(FAULT_HOPS)}")
    extra = sorted(str(k) for k in raw if k not in FAULT_HOPS)
    if extra:
        raise JourneyError("bad_faults", f"{where}.{extra[0][:40]}: unknown hop; use {', '.join(FAULT_HOPS)}")
    out: dict[str, Any] = {}
    for hop in FAULT_HOPS:
        value = raw.get(hop)
        if value is None:
            continue
        if hop == "dns":
            out[hop] = _dns_fault(value, f"{where}.dns")
            continue
        protocol = "smtp" if hop in SMTP_HOPS else read
        if protocol is None:
            raise JourneyError("bad_faults", f"{where}.{hop}: the reading protocol is not known here")
        out[hop] = _plan(value, protocol, f"{where}.{hop}")
    return Faults(**out)


def _plan(value: Any, protocol: str, where: str) -> FaultPlan:
    if not isinstance(value, dict):
        raise JourneyError("bad_faults", f"{where}: must be a fault plan object like {{\"rules\": [...]}}")
    given = value.get("protocol")
    if given is not None and (not isinstance(given, str) or given.lower() != protocol):
        raise JourneyError("bad_faults", f"{where}.protocol: this hop speaks {protocol}")
    rules = value.get("rules")
    if isinstance(rules, list):
        for i, rule in enumerate(rules):
            if isinstance(rule, dict) and "protocol" in rule and str(rule["protocol"]).lower() != protocol:
                raise JourneyError("bad_faults", f"{where}.rules[{i}].protocol: this hop speaks {protocol}")
    try:
        return FaultPlan.from_json({**value, "protocol": protocol})
    except FaultPlanError as exc:
        raise JourneyError("bad_faults", f"{where}.{exc.path}: {exc.message}") from None


def _dns_fault(value: Any, where: str) -> DnsFault:
    if not isinstance(value, dict):
        raise JourneyError("bad_faults", f'{where}: must be an object like {{"answer": "servfail", "times": 1}}')
    extra = sorted(str(k) for k in value if k not in ("answer", "times"))
    if extra:
        raise JourneyError("bad_faults", f"{where}.{extra[0][:40]}: unknown field (allowed: answer, times)")
    answer = value.get("answer")
    if answer not in DNS_ANSWERS:
        raise JourneyError("bad_faults", f"{where}.answer: must be one of {', '.join(DNS_ANSWERS)}")
    times = value.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int)
                              or not 1 <= times <= MAX_DNS_TIMES):
        raise JourneyError("bad_faults", f"{where}.times: must be a whole number from 1 to {MAX_DNS_TIMES}")
    return DnsFault(answer, times)


def check_text(value: Any, name: str, limit: int, *, one_line: bool) -> Optional[str]:
    """A subject or body the learner typed: a string within ``limit``, without control characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise JourneyError("bad_request", f"'{name}' must be a string")
    if len(value) > limit:
        raise JourneyError("too_big", f"'{name}' is longer than {limit} characters", limit=limit)
    if _CONTROL.search(value) or (one_line and ("\r" in value or "\n" in value)):
        raise JourneyError("bad_request", f"'{name}' must not contain control characters")
    return value


@lru_cache(maxsize=1)
def load_data() -> JourneyData:
    """The packaged journeys file, validated once."""
    return parse_data(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def presets_for_ui(lang: str) -> list[dict]:
    """The presets in one language, for GET /api/journeys."""
    lang = lang if lang in LANGS else "en"
    return [{"name": p.name, "title": p.title[lang], "story": p.story[lang], "expect": p.expect,
             "faults": p.faults.to_json()} for p in load_data().presets.values()]
