"""Session: how faults meet the engine, delivery before 250, the transcript."""
from __future__ import annotations

from simulator.lab.faults import FaultPlan, FaultRuntime
from simulator.lab.session import Session
from simulator.mail.world import World
from simulator.protocols.smtp.engine import SmtpEngine


class Harness:
    def __init__(self, rules=(), seed=0):
        self.events: list[tuple[str, dict]] = []
        self.written: list[bytes] = []
        self.log: list[str] = []  # order of deliveries and writes
        self.delivered = []
        self.slept: list[float] = []
        self.closed: list[str] = []
        now = [0.0]

        def clock():
            now[0] += 0.005
            return now[0]

        def deliver(d):
            self.delivered.append(d)
            self.log.append("deliver")

        def write(b):
            self.written.append(b)
            self.log.append(b.decode()[:3])

        plan = FaultPlan.from_json({"seed": seed, "rules": list(rules)})
        self.session = Session("t-1", SmtpEngine(World.load()), faults=FaultRuntime(plan),
                               deliver=deliver, listener=lambda n, p: self.events.append((n, p)),
                               write=write, close=self.closed.append, clock=clock,
                               sleep=self.slept.append)
        self.session.open()

    def send(self, *lines: str):
        for line in lines:
            self.session.feed(line.encode() + b"\r\n")

    @property
    def replies(self):
        return [e for e in self.session.transcript if e["kind"] == "reply"]

    def last(self):
        return self.replies[-1]


def test_greeting_and_connect_are_recorded_in_establishment():
    h = Harness()
    t = h.session.transcript
    assert t[0]["kind"] == "tcp" and t[0]["text"] == "connect"
    assert t[1]["code"] == 220 and t[1]["phase"] == "establishment"
    assert h.written[0].startswith(b"220 ")


def test_exchanges_carry_the_api_fields():
    h = Harness()
    h.send("HELO c.example")
    for e in h.session.transcript:
        assert set(e) >= {"session", "seq", "from", "kind", "text", "code", "phase", "fault", "t_ms", "state"}
    seqs = [e["seq"] for e in h.session.transcript]
    assert seqs == sorted(seqs) and seqs[0] == 1
    assert [e["t_ms"] for e in h.session.transcript] == sorted(e["t_ms"] for e in h.session.transcript)


def test_refused_rcpt_by_fault_leaves_transaction_as_it_was():
    h = Harness([{"stage": "RCPT", "reply": 550}])
    h.send("HELO c", "MAIL FROM:<a@c>", "RCPT TO:<alice@example.org>")
    assert h.last()["code"] == 550 and h.last()["fault"]["natural"]["code"] == 250
    assert h.session.engine.state == "mail"
    h.send("DATA")
    assert h.last()["code"] in (503, 554)


def test_refused_mail_by_fault_keeps_no_transaction():
    h = Harness([{"stage": "MAIL", "reply": 451}])
    h.send("HELO c", "MAIL FROM:<a@c>")
    assert h.last()["code"] == 451 and h.session.engine.state == "ready"
    h.send("RCPT TO:<alice@example.org>")
    assert h.last()["code"] == 503


def test_refused_data_end_delivers_nothing_and_ends_the_transaction():
    h = Harness([{"stage": "DATA_END", "reply": 451}])
    h.send("HELO c", "MAIL FROM:<a@c>", "RCPT TO:<alice@example.org>", "DATA", "Subject: x", "", "body", ".")
    assert h.last()["code"] == 451 and h.delivered == []
    assert h.session.engine.state == "ready"
    h.send("MAIL FROM:<a@c>")
    assert h.last()["code"] == 250


def test_accepted_message_is_delivered_before_its_250_is_written():
    h = Harness()
    h.send("HELO c", "MAIL FROM:<a@c>", "RCPT TO:<bob@example.org>", "DATA", "Subject: x", "", "hi", ".")
    assert h.last()["code"] == 250 and len(h.delivered) == 1
    assert h.log[-2:] == ["deliver", "250"]


def test_disconnect_fault_closes_without_reply_and_delivers_nothing():
    h = Harness([{"stage": "DATA_END", "disconnect": True}])
    h.send("HELO c", "MAIL FROM:<a@c>", "RCPT TO:<bob@example.org>", "DATA", "x", ".")
    assert h.session.closed and h.closed == ["fault"] and h.delivered == []
    last = h.session.transcript[-1]
    assert last["kind"] == "tcp" and last["fault"]["action"] == "disconnect"
    assert ("session.closed", {"session": "t-1", "reason": "fault"}) in h.events


def test_silent_fault_sends_nothing_and_leaves_state():
    h = Harness([{"stage": "MAIL", "silent": True}])
    h.send("HELO c")
    before = len(h.written)
    h.send("MAIL FROM:<a@c>")
    assert len(h.written) == before and h.session.engine.state == "ready"
    assert h.session.transcript[-1]["kind"] == "silence"
    assert not h.session.closed


def test_delay_only_rule_delays_the_natural_reply():
    h = Harness([{"stage": "*", "delay_ms": 1500}])
    h.send("NOOP")
    assert h.slept == [1.5]
    r = h.last()
    assert r["code"] == 250 and r["fault"]["action"] == "delay"


def test_greeting_554_refuses_the_session_until_quit():
    h = Harness([{"stage": "greeting", "reply": 554}])
    assert h.replies[0]["code"] == 554 and h.replies[0]["fault"]["natural"]["code"] == 220
    h.send("HELO c")
    assert h.last()["code"] == 503
    h.send("QUIT")
    assert h.last()["code"] == 221 and h.session.closed


def test_greeting_421_closes_the_connection():
    h = Harness([{"stage": "greeting", "reply": 421}])
    assert h.replies[0]["code"] == 421 and h.session.closed
    assert h.closed == ["server"]


def test_fault_421_on_a_command_closes():
    h = Harness([{"stage": "RCPT", "reply": 421}])
    h.send("HELO c", "MAIL FROM:<a@c>", "RCPT TO:<bob@example.org>")
    assert h.last()["code"] == 421 and h.session.closed


def test_connect_disconnect_rule_drops_before_the_greeting():
    h = Harness([{"stage": "connect", "disconnect": True}])
    assert h.session.closed and not h.replies


def test_quit_closes_with_reason_quit_in_termination():
    h = Harness()
    h.send("QUIT")
    assert h.last()["code"] == 221 and h.last()["phase"] == "termination"
    assert h.closed == ["quit"]
    assert h.session.transcript[-1]["kind"] == "tcp" and h.session.transcript[-1]["phase"] == "termination"


def test_http_request_closes_with_reason_protocol():
    h = Harness()
    h.send("GET / HTTP/1.1")
    assert h.session.closed and h.closed == ["protocol"]


def test_greylisting_counts_within_one_session():
    h = Harness([{"stage": "RCPT", "reply": 450, "times": 1}])
    h.send("HELO c", "MAIL FROM:<a@c>", "RCPT TO:<bob@example.org>", "RCPT TO:<bob@example.org>")
    assert [r["code"] for r in h.replies[-2:]] == [450, 250]


def test_client_closed_records_the_tcp_close_from_the_client():
    h = Harness()
    h.session.client_closed("client")
    last = h.session.transcript[-1]
    assert last["from"] == "client" and last["kind"] == "tcp" and h.session.closed
    h.send("NOOP")  # ignored after close
    assert h.session.transcript[-1] is last


# ------------------------------------------------------- commits to the store
from simulator.protocols.base import Effect, Outcome  # noqa: E402
from simulator.store.db import MailStore  # noqa: E402

MESSAGE_LINES = ("EHLO c.example", "MAIL FROM:<a@b.example>", "RCPT TO:<bob@example.org>", "DATA",
                 "Subject: one", "", "hi", ".")


def _store_session(mailboxes, **kw):
    written: list[bytes] = []
    session = Session("s-1", SmtpEngine(World.load()), store=mailboxes, write=written.append, **kw)
    session.open()
    return session, written


def test_a_session_with_a_store_commits_the_message_before_its_250():
    mb = MailStore(seed_file=None).realm("t")
    session, written = _store_session(mb)
    for line in MESSAGE_LINES:
        session.feed(line.encode() + b"\r\n")
    assert written[-1].startswith(b"250 ") and mb.count("bob") == 1


def test_a_paused_session_answers_and_reads_on_only_when_the_commit_is_done():
    mb = MailStore(seed_file=None).realm("t")
    pending: list = []

    class SlowStore:  # commits when the test says so
        def commit(self, deliveries, effects):
            mb.commit(deliveries, effects)

        def commit_async(self, deliveries, effects, done):
            pending.append(lambda: (mb.commit(deliveries, effects), done(None)))

    scheduled: list = []
    session, written = _store_session(SlowStore())
    session.commit_on(scheduled.append)
    session.feed(b"".join(line.encode() + b"\r\n" for line in MESSAGE_LINES) + b"NOOP\r\nQUIT\r\n")
    assert written[-1].startswith(b"354 ") and mb.count("bob") == 0  # waiting: no 250, NOOP not read
    pending.pop()()  # the store commits (on its thread) ...
    assert not written[-1].startswith(b"250 ")
    scheduled.pop()()  # ... and the transport runs the rest on its own thread
    assert [w[:3] for w in written[-3:]] == [b"250", b"250", b"221"] and mb.count("bob") == 1
    assert session.closed


def test_a_store_that_refuses_the_message_makes_a_451_and_nothing_is_kept():
    class BrokenStore:
        def commit(self, deliveries, effects):
            raise OSError("disk full")

    session, written = _store_session(BrokenStore())
    for line in MESSAGE_LINES:
        session.feed(line.encode() + b"\r\n")
    assert written[-1].startswith(b"451 ") and session.engine.state == "ready"
    session.feed(b"MAIL FROM:<a@b.example>\r\n")
    assert written[-1].startswith(b"250 ")  # the session goes on


class _EffectEngine(SmtpEngine):
    """An SMTP engine whose NOOP asks for a store change, to test effects like POP3/IMAP ones."""

    def handle(self, item):
        outcome = super().handle(item)
        if getattr(item, "verb", "") == "NOOP":
            outcome.effects.append(Effect("create", ("bob", "Made")))
        return outcome


def test_effects_are_applied_only_when_the_reply_stands():
    mb = MailStore(seed_file=None).realm("t")
    plan = FaultPlan.from_json({"rules": [{"stage": "NOOP", "reply": 421, "times": 1}]})
    session = Session("s", _EffectEngine(World.load()), store=mb, faults=FaultRuntime(plan))
    session.open()
    session.feed(b"NOOP\r\n")  # refused by the fault: no folder
    assert "Made" not in [f.name for f in mb.folders("bob")] and session.closed
    session = Session("s2", _EffectEngine(World.load()), store=mb)
    session.open()
    session.feed(b"NOOP\r\n")
    assert "Made" in [f.name for f in mb.folders("bob")]


def test_the_engine_is_told_when_the_connection_ends():
    ended = []

    class Engine(SmtpEngine):
        def connection_closed(self):
            ended.append(self.state)

    session = Session("s", Engine(World.load()))
    session.open()
    session.client_closed()
    session.client_closed()
    assert ended == ["greeted"]
    assert isinstance(Outcome().effects, list)


def test_a_positive_imap_fault_keeps_the_untagged_data():
    import time as _time

    from simulator.protocols.imap.engine import ImapEngine
    mb = MailStore().realm("t")
    plan = FaultPlan.from_json({"protocol": "imap", "rules": [{"stage": "FETCH", "reply": "OK", "text": "done slowly"}]})
    written: list[bytes] = []
    session = Session("i", ImapEngine(World.load(), mb, now=_time.time), store=mb, faults=FaultRuntime(plan),
                      write=written.append, protocol="imap")
    session.open()
    session.feed(b"a1 LOGIN bob bob\r\na2 SELECT INBOX\r\na3 FETCH 1 (FLAGS)\r\n")
    assert written[-1].startswith(b"* 1 FETCH (FLAGS") and written[-1].endswith(b"a3 OK done slowly\r\n")
