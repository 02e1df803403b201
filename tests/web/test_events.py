"""Socket.IO API v1 against a real running server (python-socketio client)."""
from __future__ import annotations

import smtplib
import threading
import time

import pytest
import socketio
from conftest import clear_faults


class Client:
    """A Socket.IO client that records every event it receives."""

    def __init__(self, url: str, headers: dict | None = None, transports=("websocket",)):
        self.sio = socketio.Client(reconnection=False)
        self.events: list[tuple[str, dict]] = []
        self.cond = threading.Condition()

        @self.sio.on("*")
        def _any(name, data=None):
            with self.cond:
                self.events.append((name, data))
                self.cond.notify_all()

        self.sio.connect(url, headers=headers or {}, transports=list(transports), wait_timeout=10)

    def call(self, event: str, data=None):
        return self.sio.call(event, data, timeout=10)

    def wait_for(self, pred, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for name, data in self.events:
                    if pred(name, data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"event not seen; got {self.events[-10:]}")
                self.cond.wait(left)

    def exchanges(self, session: str) -> list[dict]:
        with self.cond:
            return [d for n, d in self.events if n == "exchange" and d["session"] == session]

    def reply(self, session: str, code: int, timeout: float = 10.0) -> dict:
        return self.wait_for(lambda n, d: n == "exchange" and d["session"] == session
                             and d["kind"] == "reply" and d["code"] == code, timeout)

    def close(self):
        self.sio.disconnect()


@pytest.fixture
def client(mailsim_server):
    c = Client(mailsim_server.url)
    yield c
    c.close()


def open_lab(c: Client, **extra) -> str:
    ack = c.call("lab.open", {"protocol": "smtp", **extra})
    assert ack["ok"], ack
    c.reply(ack["session"], 220)
    return ack["session"]


def test_lab_open_sends_connect_and_greeting(client):
    sid = open_lab(client)
    ex = client.exchanges(sid)
    assert [e["kind"] for e in ex[:2]] == ["tcp", "reply"]
    assert ex[0]["text"] == "connect" and ex[0]["from"] == "client"
    assert ex[1]["phase"] == "establishment" and ex[1]["fault"] is None
    assert [e["seq"] for e in ex] == list(range(1, len(ex) + 1))


def test_lab_send_helo_gets_250_and_state(client):
    sid = open_lab(client)
    assert client.call("lab.send", {"session": sid, "line": "HELO client.example"}) == {"ok": True}
    r = client.reply(sid, 250)
    assert r["from"] == "server" and r["phase"] == "establishment" and r["key"]
    client.wait_for(lambda n, d: n == "session.state" and d["session"] == sid and d["state"] == "ready")


def test_whole_message_in_the_lab_is_one_data_exchange(client):
    sid = open_lab(client)
    for line in ["HELO c.example", "MAIL FROM:<me@c.example>", "RCPT TO:<bob@example.org>", "DATA"]:
        client.call("lab.send", {"session": sid, "line": line})
    client.reply(sid, 354)
    for line in ["Subject: hi", "", ".hidden dot", "bye", "."]:
        assert client.call("lab.send", {"session": sid, "line": line})["ok"]
    client.wait_for(lambda n, d: n == "exchange" and d["session"] == sid and d["kind"] == "reply"
                    and d["code"] == 250 and d["phase"] == "transfer" and d["seq"] > 10)
    data = [e for e in client.exchanges(sid) if e["kind"] == "data"]
    assert len(data) == 1 and ".hidden dot" in data[0]["text"]


def test_fault_made_reply_is_marked_with_rule_and_natural(client):
    plan = {"rules": [{"stage": "HELO", "reply": 421}, {"stage": "RCPT", "reply": 550}]}
    sid = open_lab(client, faults={"rules": [{"stage": "RCPT", "match": "*@example.org", "reply": 550}]})
    for line in ["HELO c.example", "MAIL FROM:<me@c.example>", "RCPT TO:<bob@example.org>"]:
        client.call("lab.send", {"session": sid, "line": line})
    r = client.reply(sid, 550)
    assert r["fault"]["rule"] == 0 and r["fault"]["natural"]["code"] == 250
    assert plan  # the plan above is the shape docs/api.md shows


def test_malformed_events_get_errors_and_the_connection_survives(client):
    sid = open_lab(client)
    cases = [
        ("lab.open", "not an object", "bad_request"),
        ("lab.open", {}, "bad_request"),
        ("lab.open", {"protocol": 7}, "bad_request"),
        ("lab.open", {"protocol": "gopher"}, "unknown_protocol"),
        ("lab.send", {"session": sid}, "bad_request"),
        ("lab.send", {"session": sid, "line": ["x"]}, "bad_request"),
        ("lab.send", {"session": "lab-nope", "line": "NOOP"}, "unknown_session"),
        ("lab.send", {"session": sid, "line": "NOOP\r\nQUIT"}, "bad_line"),
        ("lab.send", {"session": sid, "line": "X" * 600}, "line_too_long"),
        ("lab.faults", {"session": sid, "faults": {"rules": [{"stage": "RCPT", "reply": 999}]}}, "bad_faults"),
        ("lab.faults", {"session": sid, "faults": "nonsense"}, "bad_faults"),
        ("lab.scenario", {"name": "no_such_scenario"}, "unknown_scenario"),
        ("lab.close", {"session": 12}, "bad_request"),
        ("live.history", {"session": "live-999999"}, "unknown_session"),
    ]
    for event, payload, code in cases:
        ack = client.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, payload, ack)
        assert ack["error"]["message"]
    assert client.call("lab.send", {"session": sid, "line": "NOOP"}) == {"ok": True}
    client.reply(sid, 250)


def test_bad_fault_plan_message_names_the_field(client):
    sid = open_lab(client)
    ack = client.call("lab.faults", {"session": sid, "faults": {"rules": [{"stage": "RCPT", "reply": 999}]}})
    assert "rules[0]" in ack["error"]["message"]


def test_someone_elses_session_is_unknown(mailsim_server, client):
    sid = open_lab(client)
    other = Client(mailsim_server.url)
    try:
        ack = other.call("lab.send", {"session": sid, "line": "QUIT"})
        assert ack["ok"] is False and ack["error"]["code"] == "unknown_session"
        time.sleep(0.3)
        assert not [e for n, e in other.events if n == "exchange"]
    finally:
        other.close()


def test_errors_come_in_the_learners_language(mailsim_server):
    c = Client(mailsim_server.url, headers={"Cookie": "lang=ru"})
    try:
        ack = c.call("lab.send", {"session": "lab-x", "line": "NOOP"})
        assert "сеанс" in ack["error"]["message"]
    finally:
        c.close()


def test_scenario_opens_a_session_and_plays_it(client):
    ack = client.call("lab.scenario", {"name": "fig_14_7_transfer"})
    assert ack["ok"], ack
    sid = ack["session"]
    client.reply(sid, 354)
    client.wait_for(lambda n, d: n == "exchange" and d["session"] == sid and d["kind"] == "data")


def test_lab_close_closes_the_session(client):
    sid = open_lab(client)
    assert client.call("lab.close", {"session": sid})["ok"]
    closed = client.wait_for(lambda n, d: n == "session.closed" and d["session"] == sid)
    assert closed["reason"] == "client"
    assert client.call("lab.send", {"session": sid, "line": "NOOP"})["error"]["code"] == "unknown_session"


def test_live_watch_mirrors_real_port_sessions(mailsim_server, client):
    clear_faults(mailsim_server)
    ack = client.call("live.watch", {})
    assert ack["ok"] and isinstance(ack["sessions"], list)
    with smtplib.SMTP("127.0.0.1", mailsim_server.smtp_port, timeout=10) as s:
        s.helo("watched.example")
    new = client.wait_for(lambda n, d: n == "live.session")
    sid = new["session"]
    client.wait_for(lambda n, d: n == "exchange" and d["session"] == sid and d["kind"] == "reply"
                    and d["code"] == 221)
    hist = client.call("live.history", {"session": sid})
    assert hist["ok"] and any(e["text"] == "helo watched.example" or e["text"].lower().startswith("helo")
                              for e in hist["exchanges"])


def test_cross_site_origin_is_refused(mailsim_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(mailsim_server.url, headers={"Origin": "http://evil.example"}, transports=("polling",))


def test_oversized_frame_closes_only_that_connection(mailsim_server):
    big = Client(mailsim_server.url)
    try:
        big.sio.emit("lab.send", {"session": "x", "line": "A" * 200_000})
        time.sleep(1.0)
    finally:
        try:
            big.close()
        except Exception:
            pass
    ok = Client(mailsim_server.url)
    try:
        open_lab(ok)
    finally:
        ok.close()


def test_closing_the_browser_closes_its_sessions(mailsim_server):
    c = Client(mailsim_server.url)
    sid = open_lab(c)
    c.close()
    watcher = Client(mailsim_server.url)
    try:
        ack = watcher.call("lab.send", {"session": sid, "line": "NOOP"})
        assert ack["error"]["code"] == "unknown_session"
    finally:
        watcher.close()


def _lab_line(c: Client, sid: str, line: str, code) -> dict:
    before = len(c.exchanges(sid))
    assert c.call("lab.send", {"session": sid, "line": line})["ok"]
    return c.wait_for(lambda n, d: n == "exchange" and d["session"] == sid and d["kind"] == "reply"
                      and d["seq"] > before and d["code"] == code)


def test_mail_sent_in_an_smtp_lab_is_read_in_a_pop3_lab_of_the_same_learner(mailsim_server):
    cookie = {"Cookie": "mailsim_learner=learner-test-0123456789"}
    c = Client(mailsim_server.url, headers=cookie)
    try:
        smtp = open_lab(c)
        for line, code in (("HELO c.example", 250), ("MAIL FROM:<alice@example.org>", 250),
                           ("RCPT TO:<bob@example.org>", 250), ("DATA", 354),
                           ("Subject: from the SMTP lab", None), ("", None), (".", 250)):
            if code is None:
                assert c.call("lab.send", {"session": smtp, "line": line})["ok"]
            else:
                _lab_line(c, smtp, line, code)
        ack = c.call("lab.open", {"protocol": "pop3"})
        assert ack["ok"], ack
        pop = ack["session"]
        c.reply(pop, "+OK")
        _lab_line(c, pop, "USER bob", "+OK")
        _lab_line(c, pop, "PASS bob", "+OK")
        listing = _lab_line(c, pop, "LIST", "+OK")
        count = len(listing["text"].splitlines()) - 2  # status line and final "."
        retr = _lab_line(c, pop, f"RETR {count}", "+OK")
        assert "Subject: from the SMTP lab" in retr["text"]
    finally:
        c.close()
    other = Client(mailsim_server.url, headers={"Cookie": "mailsim_learner=someone-else-0123456789"})
    try:
        ack = other.call("lab.open", {"protocol": "pop3"})
        pop = ack["session"]
        other.reply(pop, "+OK")
        _lab_line(other, pop, "USER bob", "+OK")
        _lab_line(other, pop, "PASS bob", "+OK")
        for n in range(1, 30):
            got = other.call("lab.send", {"session": pop, "line": f"TOP {n} 0"})
            assert got["ok"]
        time.sleep(0.5)
        assert not any("from the SMTP lab" in (e["text"] or "") for e in other.exchanges(pop))
    finally:
        other.close()


def test_a_pop3_lab_refuses_a_fault_plan_with_smtp_codes(client):
    ack = client.call("lab.open", {"protocol": "pop3", "faults": {"rules": [{"stage": "PASS", "reply": 550}]}})
    assert not ack["ok"] and ack["error"]["code"] == "bad_faults" and "-ERR" in ack["error"]["message"]
    ack = client.call("lab.open", {"protocol": "pop3", "faults": {"rules": [{"stage": "PASS", "reply": "-ERR"}]}})
    assert ack["ok"]


def test_a_pop3_scenario_plays_against_the_pop3_engine(client):
    ack = client.call("lab.scenario", {"name": "pop3_keep_mode"})
    assert ack["ok"], ack
    sid = ack["session"]
    client.wait_for(lambda n, d: n == "exchange" and d["session"] == sid and d["kind"] == "reply"
                    and d["code"] == "+OK" and d["text"].startswith("+OK") and "signing off" in d["text"])
    assert all(e["code"] in ("+OK", "-ERR", None) for e in client.exchanges(sid))
