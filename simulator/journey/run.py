"""A message's journey: the lecture's fourth architecture, hop by hop, with real engines.

Carol (carol@example.net) writes to Bob (bob@example.org)::

    Carol's UA --submit (SMTP, 587)--> mail.example.net --DNS: MX of example.org?--> resolver
                    mail.example.net --relay (SMTP, 25)--> mx.example.org --deliver--> bob's INBOX
                                               Bob's UA <--read (POP3 110 / IMAP 143)-- mx.example.org
    on a permanent failure: mail.example.net --bounce (DSN, MAIL FROM:<>)--> Carol's mailbox

Every hop that speaks a protocol is a real :class:`~simulator.session.Session`
around a real engine (``SmtpEngine``, ``Pop3Engine``, ``ImapEngine``) with its
own fault runtime, driven by a sans-I/O client from ``journey_clients.py``
that reacts to replies as a real MTA or user agent does. The message really
lands in bob's INBOX of the learner's copy of the world (so the POP3/IMAP
lab and the mail viewer show it afterwards), and a bounce really lands in
Carol's INBOX of the learner's ``:net`` realm.

Time is simulated: a :class:`SimClock` stands in for the sessions' clock
and sleep (a fault's delay, a client's timeout, a wait in the queue only
move it on), so a journey of five simulated days runs in milliseconds.

Retries (RFC 5321 §4.5.4.1): a temporary failure (4yz, a dropped connection,
a server that stops answering, a DNS server failure) leaves the message in
mail.example.net's queue; the next attempt comes after :data:`RETRY_DELAYS`
(5 min, then three times longer each time). After :data:`MAX_ATTEMPTS`
attempts, or once the next one would come after :data:`QUEUE_LIFETIME`
(5 days, Postfix's default), the message expires and is bounced. A user
agent does not queue: a refusal at submission is shown to Carol at once.

The result is plain JSON (see :func:`run_journey`); docs/journey.md has the
whole story and the data format.
"""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any, Callable, Optional

from simulator import i18n
from simulator.journey.clients import ImapClient, Pop3Client, SmtpClient, Verdict
from simulator.journey.data import (
    LANGS,
    MAX_BODY,
    MAX_SUBJECT,
    READ_PROTOCOLS,
    Faults,
    JourneyData,
    JourneyError,
    Preset,
    check_text,
    load_data,
    parse_faults,
)
from simulator.journey.dns import Resolver
from simulator.journey.dsn import build_dsn, compose, headers_of, readable_parts, received_line, status_for
from simulator.lab.faults import FaultPlan, FaultRuntime
from simulator.lab.session import Session
from simulator.mail.world import World
from simulator.protocols import registry
from simulator.protocols.base import Delivery
from simulator.protocols.smtp.engine import SmtpEngine
from simulator.store import realms

__all__ = ["run_journey", "JourneyParts", "parts_for", "JourneyError", "SimClock",
           "RETRY_DELAYS", "MAX_ATTEMPTS", "QUEUE_LIFETIME", "READ_DELAY"]

# The queue's retry schedule: the wait after each failed attempt (seconds).
RETRY_DELAYS = (300, 900, 2700, 8100, 24300, 72900, 218700)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
QUEUE_LIFETIME = 5 * 24 * 3600
# Bob's user agent checks for new mail every few minutes: the read comes this long after delivery.
READ_DELAY = 120
# Simulated network latency per exchange, by the kind of link.
LATENCY = {"lan": 0.004, "internet": 0.03, "local": 0.001}
PORTS = {"submit": 587, "relay": 25, "bounce": 25, "pop3": 110, "imap": 143}
_LEARNER = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class SimClock:
    """Simulated seconds since the journey began.

    A session reads it (``clock()``) once at start and once per exchange;
    each read moves time on by ``tick`` (the link's latency). ``advance``
    is the sessions' sleep and the queue's wait.
    """

    def __init__(self) -> None:
        self.t = 0.0
        self.tick = LATENCY["lan"]

    def __call__(self) -> float:
        now = self.t
        self.t += self.tick
        return now

    def advance(self, seconds: float) -> None:
        self.t += max(0.0, float(seconds))


@dataclass
class JourneyParts:
    """Where the journey's mail lives: the receiver's world and realm, the sender's world and realm."""

    world: World        # the receiver's domain (example.org)
    receiver: Any       # Mailboxes: the learner's copy of example.org
    sender_world: World  # example.net
    sender: Any         # Mailboxes: the learner's copy of example.net (Carol's INBOX)


def parts_for(sim: Any, learner: Optional[str]) -> JourneyParts:
    """The learner's two realms in a :class:`~simulator.server.Simulator`."""
    if not isinstance(learner, str) or not _LEARNER.match(learner):
        raise JourneyError("bad_request", "the learner id must be 1-80 letters, digits, - or _")
    sender_world = load_data().sender.world()
    return JourneyParts(sim.world, sim.learner_mailboxes(learner), sender_world,
                        sim.store.realm(realms.learner_net(learner), world=sender_world))


def both(key: str, **params: Any) -> dict:
    """A catalogue string in English and Russian; ``params`` values may be callables of the language."""
    return {lang: i18n.t(lang, key, **{k: (v(lang) if callable(v) else v) for k, v in params.items()})
            for lang in LANGS}


def duration(seconds: float, lang: str) -> str:
    """A span of simulated time for people: "5 min", "2 h 15 min", "5 d" (Russian units in Russian)."""
    s = int(round(seconds))
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    parts = [(d, "d"), (h, "h"), (m, "min")] if s >= 60 else [(sec, "s")]
    shown = [f"{n} {i18n.t(lang, 'journey.unit.' + u)}" for n, u in parts if n][:2]
    return " ".join(shown) or f"0 {i18n.t(lang, 'journey.unit.s')}"


def stage_phrase(stage: str, where: str = "journey.stage") -> Callable[[str], str]:
    """Where in the SMTP conversation a reply came ("at the greeting", "to RCPT TO"), per language."""
    known = ("greeting", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "DATA_END")
    return lambda lang: i18n.t(lang, f"{where}.{stage if stage in known else 'other'}")


def run_journey(sim_or_parts: Any, learner: Optional[str] = None, *, read: str = "pop3",
                preset: Optional[str] = None, faults: Any = None, subject: Any = None, body: Any = None,
                lang: str = "en", now: Optional[float] = None) -> dict:
    """Send one message from Carol to Bob across the four parties; returns the journey as JSON.

    ``sim_or_parts`` is a Simulator (with ``learner``, whose realms are
    used) or a :class:`JourneyParts`. ``read`` is ``"pop3"`` or ``"imap"``;
    ``preset`` a name from ``data/journeys.json``; ``faults`` per hop
    (``{"submit": plan, "dns": {...}, "relay": plan, "read": plan}``)
    replaces the preset's for the hops it names. ``subject``/``body``
    replace the default message (in ``lang``). Raises :class:`JourneyError`
    on any bad input, before anything is sent.

    The result: ``{"outcome": "delivered" | "bounced" | "refused" |
    "queued", "read_ok", "hops": [{id, kind, from, to, protocol, attempt,
    sim_time, duration, outcome, reply, exchanges, explain: {en, ru},
    meta, ...}], "timeline": [{sim_time, kind, hop, text: {en, ru}}],
    "parties": [...], "stopped", "message", "bounce", "mailbox", ...}``.
    """
    data = load_data()
    if not isinstance(read, str) or read.lower() not in READ_PROTOCOLS:
        raise JourneyError("bad_request", "'read' must be pop3 or imap")
    read = read.lower()
    lang = lang if lang in LANGS else "en"
    if preset is not None and not isinstance(preset, str):
        raise JourneyError("bad_request", "'preset' must be a string")
    spec = data.presets.get(preset) if preset else Preset("free", {}, {}, "delivered")
    if spec is None:
        assert preset is not None  # only a named preset can be unknown
        raise JourneyError("unknown_preset", f"no preset named {preset[:60]!r}", name=preset[:60])
    chosen = parse_faults(faults, read)
    base = spec.faults
    if spec.read_faults is not None:
        base = Faults(base.submit, base.dns, base.relay, parse_faults({"read": spec.read_faults}, read).read)
    plans = chosen.over(base)
    subject = check_text(subject, "subject", MAX_SUBJECT, one_line=True)
    body = check_text(body, "body", MAX_BODY, one_line=False)
    parts = sim_or_parts if isinstance(sim_or_parts, JourneyParts) else parts_for(sim_or_parts, learner)
    journey = _Journey(data, parts, spec, plans, read, lang, time.time() if now is None else now,
                       subject if subject is not None else data.subject[lang],
                       body if body is not None else data.body[lang])
    return journey.run()


# ------------------------------------------------------------------ the run
class _Journey:
    def __init__(self, data: JourneyData, parts: JourneyParts, spec: Preset, plans: Faults, read: str,
                 lang: str, start: float, subject: str, body: str):
        self.data, self.parts, self.spec, self.plans, self.read = data, parts, spec, plans, read
        self.start = start
        self.clock = SimClock()
        self.token = secrets.token_hex(6)
        self.hops: list[dict] = []
        self.timeline: list[dict] = []
        s = data.sender
        self.sender = f"{s.user}@{s.domain}"
        self.reader = data.receiver_user if data.receiver_user in parts.world.users else sorted(parts.world.users)[0]
        to = spec.to or self.reader
        self.recipient = to if "@" in to else f"{to}@{parts.world.domain}"
        self.rcpt_domain = self.recipient.rpartition("@")[2]
        who = parts.world.lookup(self.recipient)
        self.message_id = f"<journey.{self.token}@{s.domain}>"
        self.content = compose(sender=self.sender, sender_name=s.name, recipient=self.recipient,
                               recipient_name=who.name or "" if who.kind == "local" else "",
                               subject=subject, body=body, date=start, message_id=self.message_id)
        self.resolver = Resolver({parts.world.domain: (parts.world.hostname, data.receiver_address),
                                  s.domain: (s.hostname, s.address)}, plans.dns)
        self.submit_runtime = FaultRuntime(plans.submit or FaultPlan())
        self.relay_runtime = FaultRuntime(plans.relay or FaultPlan())
        self.read_runtime = FaultRuntime(plans.read or FaultPlan(protocol=self.read))
        self.parties = self._parties()

    # ------------------------------------------------------------ helpers
    def _parties(self) -> list[dict]:
        s, w = self.data.sender, self.parts.world
        misrouted = self.spec.submit_to == "receiver_mx"
        return [
            {"id": "sender_ua", "host": s.ua_host, "user": self.sender, "roles": ["UA", "MTA client"],
             "name": both("journey.party.sender_ua")},
            {"id": "sender_mta", "host": s.hostname, "address": s.address, "roles": ["MTA server", "MTA client"],
             "name": both("journey.party.sender_mta"), "unused": misrouted},
            {"id": "dns", "host": "resolver", "roles": ["DNS"], "name": both("journey.party.dns"),
             "unused": misrouted},
            {"id": "receiver_mta", "host": w.hostname, "address": self.data.receiver_address,
             "roles": ["MTA server", "MAA server"], "name": both("journey.party.receiver_mta")},
            {"id": "receiver_ua", "host": self.data.receiver_ua_host, "user": w.address(self.reader),
             "roles": ["UA", "MAA client"], "name": both("journey.party.receiver_ua")},
        ]

    def _event(self, kind: str, text: dict, hop: Optional[str] = None, **extra: Any) -> None:
        self.timeline.append({"sim_time": round(self.clock.t, 3), "kind": kind, "hop": hop, "text": text, **extra})

    def _hop(self, kind: str, frm: str, to: str, protocol: str, **fields: Any) -> dict:
        hop = {"id": f"h{len(self.hops) + 1}", "kind": kind, "from": frm, "to": to, "protocol": protocol,
               "attempt": fields.pop("attempt", 1), "sim_time": round(fields.pop("t0", self.clock.t), 3),
               "duration": 0.0, "outcome": "ok", "reply": None, "exchanges": [], "explain": {}, **fields}
        self.hops.append(hop)
        return hop

    def _converse(self, hop: dict, engine: Any, client: Any, runtime: FaultRuntime, link: str, *,
                  store: Any = None, deliver: Optional[Callable[[Delivery], Any]] = None) -> Verdict:
        """One real session: the engine answers, the client reacts, until one of them hangs up."""
        out = bytearray()
        self.clock.tick = LATENCY[link]
        t0 = self.clock.t
        session = Session(f"journey-{self.token}-{hop['id']}", engine, faults=runtime, store=store,
                          deliver=deliver, write=out.extend, clock=self.clock, sleep=self.clock.advance,
                          protocol=client.protocol, peer=hop["from"])
        session.open()
        while not client.done:
            if out:
                client.receive_data(bytes(out))
                out.clear()
            reply = client.next_reply()
            if reply is not None:
                data = client.handle(reply)
                if data and not session.closed:
                    session.feed(data)
                continue
            if session.closed:
                client.connection_lost()
            else:  # the server says nothing: the client's timer runs out
                self.clock.advance(client.timeout)
                client.timed_out()
                session.client_closed("timeout")
        if not session.closed:
            session.client_closed("client")
        hop["exchanges"] = list(session.transcript)
        hop["duration"] = round(self.clock.t - t0, 3)
        verdict = client.verdict or Verdict("failed", client.stage, "disconnect")
        hop["outcome"] = verdict.outcome
        hop["stage"] = verdict.stage
        hop["reason"] = verdict.reason
        if verdict.code is not None:
            hop["reply"] = {"code": verdict.code, "text": verdict.text}
        return verdict

    @staticmethod
    def _extend(hop: dict, more: dict) -> None:
        hop["explain"] = {lang: f"{hop['explain'].get(lang, '')} {more[lang]}".strip() for lang in LANGS}

    def _reply_line(self, verdict: Verdict) -> str:
        if verdict.code is None:
            return ""
        text = verdict.text
        return text if text.startswith(str(verdict.code)) else f"{verdict.code} {text}"

    # ------------------------------------------------------------ the journey
    def run(self) -> dict:
        outcome, stopped = self._submit()
        if outcome is None:
            outcome, stopped = self._queue()
        read_ok = None
        if outcome == "delivered":
            read_ok, stopped = self._read()
        elif outcome == "bounced":
            self._bounce(stopped)
        self._event("end", both(f"journey.end.{outcome}" if outcome != "delivered" or read_ok
                                else "journey.end.delivered_unread"))
        return {
            "version": 1,
            "preset": self.spec.name if self.spec.name != "free" else None,
            "read": self.read,
            "outcome": outcome,
            "read_ok": read_ok,
            "stopped": stopped,
            "total_time": round(self.clock.t, 3),
            "started": self.start,
            "message": {"message_id": self.message_id, "from": self.sender, "to": self.recipient,
                        "size": len(self.content), "subject": self._subject()},
            "faults": self.plans.to_json(),
            "parties": self.parties,
            "hops": self.hops,
            "timeline": self.timeline,
            "bounce": getattr(self, "bounce", None),
            "mailbox": getattr(self, "mailbox", None),
            "schedule": {"delays": list(RETRY_DELAYS), "max_attempts": MAX_ATTEMPTS, "lifetime": QUEUE_LIFETIME},
        }

    def _subject(self) -> str:
        head = BytesHeaderParser(policy=default_policy).parsebytes(headers_of(self.content))
        return str(head.get("Subject", "") or "")

    # -- hop 1: Carol's UA submits to a server
    def _submit(self) -> tuple[Optional[str], Optional[dict]]:
        s, w = self.data.sender, self.parts.world
        direct = self.spec.submit_to == "receiver_mx"
        queued: list[Delivery] = []
        if direct:  # misconfigured: straight to Bob's provider's MX, which relays for nobody
            engine, to, store, deliver, port = SmtpEngine(w), "receiver_mta", self.parts.receiver, None, 25
        else:
            engine = SmtpEngine(self.parts.sender_world, relay_for_clients=True)
            to, store, deliver, port = "sender_mta", None, queued.append, PORTS["submit"]
        hop = self._hop("submit", "sender_ua", to, "smtp",
                        meta={"protocol": "smtp", "client": s.ua_host, "server": f"{engine.hostname}:{port}"})
        client = SmtpClient(helo=s.ua_host, mail_from=self.sender, recipient=self.recipient, content=self.content)
        self._event("hop", both("journey.timeline.submit", server=engine.hostname), hop["id"])
        verdict = self._converse(hop, engine, client, self.submit_runtime, "lan", store=store, deliver=deliver)
        reply = self._reply_line(verdict)
        if verdict.outcome == "ok":
            self.queue_id = queued[0].queue_id if queued else f"MS{self.token}"
            if direct:
                hop["explain"] = both("journey.explain.submit.direct_ok", server=engine.hostname)
                return "delivered", None
            hop["explain"] = both("journey.explain.submit.ok", server=engine.hostname, domain=self.rcpt_domain)
            self.arrival = self.clock.t
            return None, None
        if verdict.outcome == "deferred":
            key = "journey.explain.submit.deferred" if verdict.reason == "reply" else "journey.explain.submit.lost"
            hop["explain"] = both(key, server=engine.hostname, reply=reply)
            return "queued", {"hop": hop["id"], "explain": hop["explain"]}
        relay_denied = verdict.code == 550 and "relay" in verdict.text.lower()
        key = "journey.explain.submit.relay_denied" if relay_denied else "journey.explain.submit.failed"
        hop["explain"] = both(key, server=engine.hostname, reply=reply, domain=self.rcpt_domain,
                              own=s.hostname)
        return "refused", {"hop": hop["id"], "explain": hop["explain"]}

    # -- the queue at mail.example.net: DNS, then relay, retried
    def _queue(self) -> tuple[str, Optional[dict]]:
        queued_at = self.clock.t
        relay_content = received_line(helo=self.data.sender.ua_host, client_ip=self.data.sender.ua_address,
                                      by=self.data.sender.hostname, queue_id=self.queue_id,
                                      recipient=self.recipient, date=self.start + queued_at,
                                      protocol="ESMTP") + self.content
        self.relay_content = relay_content
        self.last_failure: Optional[dict] = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcome, hop, verdict, dns_answer = self._attempt(attempt, relay_content)
            if outcome == "ok":
                return self._delivered(hop)
            self.last_failure = {"hop": hop, "verdict": verdict, "dns": dns_answer, "at": self.clock.t}
            if outcome == "failed":
                return "bounced", {"hop": hop["id"], "explain": hop["explain"]}
            wait = RETRY_DELAYS[attempt - 1] if attempt <= len(RETRY_DELAYS) else None
            if wait is None or self.clock.t + wait - queued_at > QUEUE_LIFETIME:
                self.clock.t = max(self.clock.t, queued_at + QUEUE_LIFETIME)
                self.expired = {"attempts": attempt}
                self._extend(hop, both("journey.explain.no_more_retries", n=attempt))
                self._event("expire", both("journey.timeline.expire", n=attempt,
                                           life=lambda lang: duration(QUEUE_LIFETIME, lang)), hop["id"])
                return "bounced", {"hop": hop["id"], "explain": both(
                    "journey.explain.expired", n=attempt, life=lambda lang: duration(QUEUE_LIFETIME, lang))}
            hop["retry_in"] = wait
            self._extend(hop, both("journey.explain.next_retry", wait=lambda lang, wait=wait: duration(wait, lang),
                                   n=attempt + 1))
            self._event("wait", both("journey.timeline.wait", wait=lambda lang, wait=wait: duration(wait, lang),
                                     n=attempt + 1), hop["id"], wait=wait)
            self.clock.advance(wait)
        raise AssertionError("unreachable: the last attempt always ends the queue")

    def _attempt(self, attempt: int, content: bytes):
        s, w = self.data.sender, self.parts.world
        # DNS: where does mail for the recipient's domain go?
        self.clock.tick = LATENCY["internet"]
        dns = self._hop("dns", "sender_mta", "dns", "dns", attempt=attempt,
                        meta={"protocol": "dns", "client": s.hostname, "server": "resolver:53"})
        if attempt > 1:
            self._event("retry", both("journey.timeline.retry", n=attempt), dns["id"])
        else:
            self._event("hop", both("journey.timeline.dns", domain=self.rcpt_domain), dns["id"])
        t0 = self.clock.t
        answer = self.resolver.lookup_mx(self.rcpt_domain, self.clock, dns["id"])
        dns["exchanges"] = answer.exchanges
        dns["duration"] = round(self.clock.t - t0, 3)
        dns["answer"] = answer.status
        if answer.status == "nxdomain":
            dns["outcome"] = "failed"
            dns["explain"] = both("journey.explain.dns.nxdomain", domain=self.rcpt_domain)
            return "failed", dns, None, "nxdomain"
        if answer.status != "noerror":
            dns["outcome"] = "deferred"
            dns["explain"] = both(f"journey.explain.dns.{answer.status}", domain=self.rcpt_domain)
            return "deferred", dns, None, answer.status
        dns["explain"] = both("journey.explain.dns.ok", domain=self.rcpt_domain, mx=answer.host,
                              address=answer.address)
        if answer.host != w.hostname:
            # Mail for another domain: no simulated server there (only presets that never get here).
            dns["outcome"] = "failed"
            return "failed", dns, None, "nxdomain"
        # Relay: mail.example.net, as an MTA client, pushes the message to mx.example.org.
        relay = self._hop("relay", "sender_mta", "receiver_mta", "smtp", attempt=attempt,
                          meta={"protocol": "smtp", "client": s.hostname, "server": f"{w.hostname}:25"})
        self._event("hop", both("journey.timeline.relay", server=w.hostname), relay["id"])
        client = SmtpClient(helo=s.hostname, mail_from=self.sender, recipient=self.recipient, content=content)
        verdict = self._converse(relay, SmtpEngine(w), client, self.relay_runtime, "internet",
                                 store=self.parts.receiver)
        reply = self._reply_line(verdict)
        if verdict.outcome == "ok":
            relay["explain"] = both("journey.explain.relay.ok", server=w.hostname, reply=reply)
        elif verdict.outcome == "failed":
            relay["explain"] = both("journey.explain.relay.failed", server=w.hostname, reply=reply,
                                    stage=stage_phrase(verdict.stage))
        else:
            key = {"timeout": "journey.explain.relay.timeout", "disconnect": "journey.explain.relay.lost"
                   }.get(verdict.reason, "journey.explain.relay.deferred")
            relay["explain"] = both(key, server=w.hostname, reply=reply, stage=stage_phrase(verdict.stage))
        return verdict.outcome, relay, verdict, None

    def _delivered(self, relay: dict) -> tuple[str, None]:
        w = self.parts.world
        hop = self._hop("deliver", "receiver_mta", "receiver_mta", "local",
                        meta={"protocol": "local", "server": w.hostname})
        found = None
        for login in [self.reader] + [u for u in sorted(w.users) if u != self.reader]:
            for msg in reversed(self.parts.receiver.messages(login)):
                if self.message_id.encode() in msg["content"]:
                    found = {"user": login, "folder": msg["mailbox"], "uid": msg["uid"], "queue_id": msg["queue_id"]}
                    break
            if found:
                break
        self.mailbox = found
        hop["mailbox"] = found
        if found is None:
            hop["outcome"] = "failed"
            hop["explain"] = both("journey.explain.deliver.missing", server=w.hostname)
        else:
            hop["explain"] = both("journey.explain.deliver.ok", server=w.hostname, user=found["user"],
                                  uid=found["uid"])
        self._event("hop", both("journey.timeline.deliver", user=(found or {}).get("user", "?")), hop["id"])
        return "delivered", None

    # -- Bob's UA pulls the message
    def _read(self) -> tuple[bool, Optional[dict]]:
        w = self.parts.world
        self._event("wait", both("journey.timeline.read_wait", wait=lambda lang: duration(READ_DELAY, lang)),
                    wait=READ_DELAY)
        self.clock.advance(READ_DELAY)
        password = self.spec.password or w.users[self.reader].password
        hop = self._hop("read", "receiver_ua", "receiver_mta", self.read,
                        meta={"protocol": self.read, "client": self.data.receiver_ua_host,
                              "server": f"{w.hostname}:{PORTS[self.read]}"})
        owner = f"journey-{self.token}"
        if self.read == "pop3":
            from simulator.protocols.pop3.engine import Pop3Engine
            engine: Any = Pop3Engine(w, self.parts.receiver, owner=owner)
            client: Any = Pop3Client(user=self.reader, password=password, message_id=self.message_id)
        else:
            from simulator.protocols.imap.engine import ImapEngine
            engine = ImapEngine(w, self.parts.receiver, now=lambda: self.start + self.clock.t)
            client = ImapClient(user=self.reader, password=password, message_id=self.message_id)
        self._event("hop", both(f"journey.timeline.read_{self.read}"), hop["id"])
        verdict = self._converse(hop, engine, client, self.read_runtime, "lan", store=self.parts.receiver)
        hop["found"] = bool(client.found)
        proto = self.read.upper()
        if verdict.outcome == "ok" and client.found:
            hop["explain"] = both(f"journey.explain.read.ok_{self.read}")
            return True, None
        if verdict.outcome == "ok":
            hop["outcome"] = "failed"
            hop["explain"] = both("journey.explain.read.not_found", protocol=proto)
        else:
            hop["outcome"] = "failed"
            reply = verdict.text if verdict.reason == "reply" else ""
            key = "journey.explain.read.failed" if reply else "journey.explain.read.lost"
            hop["explain"] = both(key, protocol=proto, reply=reply)
        return False, {"hop": hop["id"], "explain": hop["explain"]}

    # -- mail.example.net returns the message to Carol
    def _bounce(self, stopped: Optional[dict]) -> None:
        s = self.data.sender
        failure = self.last_failure or {}
        verdict: Optional[Verdict] = failure.get("verdict")
        dns_answer = failure.get("dns")
        expired = getattr(self, "expired", None) is not None
        stage = verdict.stage if verdict else ""
        status = status_for(stage, verdict.code if verdict else None,
                            self._reply_line(verdict) if verdict else "", expired=expired, dns=dns_answer)
        diagnostic = self._reply_line(verdict) if verdict and verdict.code is not None else None
        remote = self.parts.world.hostname if verdict is not None else None
        why = self._bounce_reason(verdict, dns_answer, expired)
        human = {lang: i18n.t(lang, "journey.dsn.human", host=s.hostname, recipient=self.recipient,
                              reason=why[lang]) for lang in LANGS}
        dsn = build_dsn(reporting_mta=s.hostname, sender=self.sender, recipient=self.recipient,
                        original=self.relay_content, status=status, remote_mta=remote, diagnostic=diagnostic,
                        diagnostic_type="smtp", arrival=self.start + getattr(self, "arrival", 0.0),
                        date=self.start + self.clock.t, last_attempt=self.start + failure.get("at", self.clock.t),
                        message_id=f"<dsn.{self.token}@{s.hostname}>",
                        boundary=f"=_mailsim_dsn_{self.token}", human=human)
        hop = self._hop("bounce", "sender_mta", "sender_mta", "smtp",
                        meta={"protocol": "smtp", "client": f"{s.hostname} (bounce)", "server": f"{s.hostname}:25"})
        self._event("hop", both("journey.timeline.bounce", user=self.sender), hop["id"])
        client = SmtpClient(helo=s.hostname, mail_from="", recipient=self.sender, content=dsn)
        verdict_b = self._converse(hop, SmtpEngine(self.parts.sender_world), client, FaultRuntime(FaultPlan()),
                                   "local", store=self.parts.sender)
        hop["status"] = status
        hop["explain"] = both("journey.explain.bounce.ok" if verdict_b.outcome == "ok"
                              else "journey.explain.bounce.failed", user=self.sender, status=status)
        self.bounce = {"status": status, "diagnostic": diagnostic, "text": dsn.decode("ascii", "replace"),
                       "parts": readable_parts(dsn), "delivered": verdict_b.outcome == "ok",
                       "mailbox": {"user": s.user, "realm": "net"}}

    def _bounce_reason(self, verdict: Optional[Verdict], dns_answer: Optional[str], expired: bool) -> dict:
        w = self.parts.world
        if expired:
            last = self._reply_line(verdict) if verdict and verdict.code is not None else ""
            return both("journey.dsn.reason_expired", life=lambda lang: duration(QUEUE_LIFETIME, lang),
                        reply=last or "-")
        if dns_answer == "nxdomain":
            return both("journey.dsn.reason_nxdomain", domain=self.rcpt_domain)
        return both("journey.dsn.reason_reply", host=w.hostname, reply=self._reply_line(verdict) if verdict else "",
                    stage=stage_phrase(verdict.stage if verdict else "", "journey.dsn.stage"))


def journey_fault_model() -> dict:
    """What each hop's faults may name, for the page's free-form editor."""
    from simulator.lab.faults import known_stages
    model = {}
    for hop, protocol in (("submit", "smtp"), ("relay", "smtp"), ("read_pop3", "pop3"), ("read_imap", "imap")):
        codes = registry.spec(protocol).codes
        model[hop] = {"protocol": protocol, "stages": list(known_stages(protocol)),
                      "codes": sorted(codes) if protocol == "smtp" else list(codes)}
    model["dns"] = {"protocol": "dns", "answers": ["nxdomain", "servfail", "timeout"]}
    return model

