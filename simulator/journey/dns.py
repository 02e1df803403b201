"""The journey's simulated DNS: where does mail for a domain go? (RFC 5321 §5.1)

No packet leaves the machine. A :class:`Resolver` knows a few zones (the
receiver's domain and the sender's, each with one MX host and its address)
and answers the two questions an MTA asks before relaying: ``<domain> IN
MX`` (which host takes mail for the domain) and ``<host> IN A`` (its
address). The questions and answers are recorded as exchanges in the same
shape as a session's transcript (``from``, ``kind``, ``text``, ``phase``,
``t_ms``...), so the lab's sequence diagram draws them too.

Answers, and what an MTA makes of them:

``noerror``   the MX and the address: relay there.
``nxdomain``  the domain does not exist: permanent, the message bounces.
``servfail``  the DNS server could not answer: temporary, try again later.
``timeout``   no answer at all (the resolver asked twice, 5 s each, as
              resolv.conf's defaults do): temporary, like SERVFAIL.

A :class:`~simulator.journey_data.DnsFault` makes the resolver give one of
the last three answers for its first ``times`` lookups (or all of them);
such exchanges carry a ``fault`` like a session's, so the diagram marks them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

TTL = 3600
RESOLVER_TIMEOUT = 5.0   # seconds per try
RESOLVER_TRIES = 2
MX_PREFERENCE = 10


@dataclass
class Answer:
    status: str                      # noerror, nxdomain, servfail, timeout
    host: Optional[str] = None       # the MX host
    address: Optional[str] = None    # its IPv4 address
    exchanges: list[dict] = field(default_factory=list)


class Resolver:
    """A stub resolver over a fixed table of zones, with an optional fault."""

    def __init__(self, zones: dict[str, tuple[str, str]], fault: Any = None):
        self.zones = {d.lower(): v for d, v in zones.items()}
        self.fault = fault
        self.lookups = 0

    def _faulty(self) -> Optional[str]:
        if self.fault is None:
            return None
        if self.fault.times is not None and self.lookups > self.fault.times:
            return None
        return self.fault.answer

    def lookup_mx(self, domain: str, clock: Any, session: str) -> Answer:
        """Ask for ``domain``'s MX (and its A record); ``clock`` is the journey's SimClock."""
        self.lookups += 1
        domain = domain.lower().rstrip(".")
        rec = _Recorder(clock, session)
        question = f"QUERY {domain}. IN MX"
        zone = self.zones.get(domain)
        natural = (f"NOERROR {domain}. {TTL} IN MX {MX_PREFERENCE} {zone[0]}." if zone
                   else f"NXDOMAIN {domain}. IN MX: no such domain")
        injected = self._faulty()
        fault = {"rule": 0, "natural": {"code": None, "key": "dns.natural", "text": natural},
                 "action": "reply"} if injected else None

        if injected == "timeout":
            assert fault is not None
            for _ in range(RESOLVER_TRIES):
                rec.add("client", "command", question, verb="QUERY")
                clock.advance(RESOLVER_TIMEOUT)
                rec.add("server", "silence", "", fault={**fault, "action": "silent"})
            return Answer("timeout", exchanges=rec.exchanges)
        rec.add("client", "command", question, verb="QUERY")
        if injected == "servfail":
            rec.add("server", "reply", f"SERVFAIL {domain}. IN MX: server failure", key="dns.servfail", fault=fault)
            return Answer("servfail", exchanges=rec.exchanges)
        if injected == "nxdomain" or zone is None:
            rec.add("server", "reply", f"NXDOMAIN {domain}. IN MX: no such domain", key="dns.nxdomain", fault=fault)
            return Answer("nxdomain", exchanges=rec.exchanges)
        host, address = zone
        rec.add("server", "reply", natural, key="dns.mx")
        rec.add("client", "command", f"QUERY {host}. IN A", verb="QUERY")
        rec.add("server", "reply", f"NOERROR {host}. {TTL} IN A {address}", key="dns.a")
        return Answer("noerror", host, address, rec.exchanges)


class _Recorder:
    """Exchanges in the transcript's shape, timed by the simulated clock."""

    def __init__(self, clock: Any, session: str):
        self.clock = clock
        self.session = session
        self.start = clock()
        self.exchanges: list[dict] = []

    def add(self, side: str, kind: str, text: str, *, verb: Optional[str] = None, key: Optional[str] = None,
            fault: Optional[dict] = None) -> None:
        self.exchanges.append({
            "session": self.session, "seq": len(self.exchanges) + 1, "from": side, "kind": kind, "text": text,
            "code": None, "key": key, "verb": verb, "phase": "dns", "state": "dns", "fault": fault,
            "t_ms": int(round((self.clock() - self.start) * 1000)),
        })
