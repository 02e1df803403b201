"""Session: how faults meet the engine, delivery before 250, the transcript."""
from __future__ import annotations

from simulator.faults import FaultPlan, FaultRuntime
from simulator.protocols.smtp import SmtpEngine
from simulator.session import Session
from simulator.world import World


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
