"""The real SMTP port: real clients (smtplib, swaks, curl), every lecture code,
independent connections, faults across connections, idle timeout."""
from __future__ import annotations

import json
import smtplib
import subprocess
import threading
import time
import urllib.request

import pytest
from conftest import clear_faults, have, start_server
from smtpclient import RawSMTP

LECTURE_CODES = [211, 214, 220, 221, 250, 251, 354, 421, 450, 451, 452,
                 500, 501, 502, 503, 504, 550, 551, 552, 553, 554]


def put_faults(server, plan: dict) -> None:
    req = urllib.request.Request(server.url + "/api/faults", data=json.dumps(plan).encode(),
                                 method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200


@pytest.fixture
def port(mailsim_server):
    clear_faults(mailsim_server)
    yield mailsim_server.smtp_port
    clear_faults(mailsim_server)


def greet(c: RawSMTP, verb: str = "EHLO") -> None:
    assert c.reply()[0] == 220
    assert c.cmd(f"{verb} client.test")[0] == 250


# How each of the lecture's 21 codes is produced on the real port: a fault plan
# (or none) and the lines to send; the last reply must carry the code.
def produce(code: int, server) -> tuple[int, str]:
    plans = {
        211: {"rules": [{"stage": "NOOP", "reply": 211}]},
        421: {"rules": [{"stage": "greeting", "reply": 421}]},
        450: {"rules": [{"stage": "RCPT", "reply": 450, "times": 1}]},
        451: {"rules": [{"stage": "DATA_END", "reply": 451}]},
    }
    if code in plans:
        put_faults(server, plans[code])
    with RawSMTP(server.smtp_port) as c:
        first = c.reply()
        if code in (220, 421):
            return first
        if code == 500:
            return c.cmd("FROBNICATE now")
        if code == 501:
            return c.cmd("HELO")
        if code == 503:
            return c.cmd("RCPT TO:<alice@example.org>")
        assert c.cmd("EHLO client.test")[0] == 250
        simple = {
            211: "NOOP", 214: "HELP", 221: "QUIT", 250: "NOOP", 502: "TURN",
        }
        if code in simple:
            return c.cmd(simple[code])
        if code == 504:
            return c.cmd("MAIL FROM:<a@client.test> BODY=BINARYMIME")
        if code == 552:
            return c.cmd("MAIL FROM:<a@client.test> SIZE=999999999999")
        assert c.cmd("MAIL FROM:<a@client.test>")[0] == 250
        if code == 251:
            return c.cmd("RCPT TO:<carol@example.org>")
        if code == 450:
            return c.cmd("RCPT TO:<alice@example.org>")
        if code == 550:
            return c.cmd("RCPT TO:<nobody@example.org>")
        if code == 551:
            return c.cmd("RCPT TO:<dave@example.org>")
        if code == 553:
            return c.cmd("RCPT TO:<alice@@example..org>")
        if code == 554:
            assert c.cmd("RCPT TO:<nobody@example.org>")[0] == 550
            return c.cmd("DATA")
        if code == 452:
            last = None
            for _i in range(101):
                last = c.cmd("RCPT TO:<alice@example.org>")
            return last
        assert c.cmd("RCPT TO:<alice@example.org>")[0] == 250
        if code == 354:
            return c.cmd("DATA")
        if code == 451:
            assert c.cmd("DATA")[0] == 354
            return c.cmd("Subject: t\r\n\r\nbody\r\n.")
    raise AssertionError(f"no recipe for {code}")


@pytest.mark.parametrize("code", LECTURE_CODES)
def test_each_lecture_code_is_produced_on_the_real_port(port, mailsim_server, code):
    got, text = produce(code, mailsim_server)
    assert got == code, text
    assert text.isascii() and len(text.splitlines()[-1]) <= 510


def test_smtplib_delivers_to_two_recipients(port):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        code, caps = s.ehlo("client.test")
        assert code == 250 and b"PIPELINING" in caps and b"8BITMIME" in caps and b"SIZE" in caps
        refused = s.sendmail("sender@client.test", ["alice@example.org", "bob@example.org"],
                             "Subject: hello\r\n\r\nHi both\r\n.leading dot\r\n")
        assert refused == {}


def test_smtplib_sees_refused_recipient(port):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        refused = s.sendmail("sender@client.test", ["alice@example.org", "nobody@example.org"],
                             "Subject: partly\r\n\r\nbody\r\n")
        assert list(refused) == ["nobody@example.org"] and refused["nobody@example.org"][0] == 550


@pytest.mark.skipif(not have("swaks"), reason="swaks is installed by .ci/run")
def test_swaks_sends_through_the_port(port):
    out = subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--to", "alice@example.org",
                          "--from", "teacher@client.test", "--helo", "client.test",
                          "--timeout", "10"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "<-  250" in out.stdout and "<-  221" in out.stdout


@pytest.mark.skipif(not have("curl"), reason="curl is installed by .ci/run")
def test_curl_sends_through_the_port(port, tmp_path):
    msg = tmp_path / "m.eml"
    msg.write_text("From: t@client.test\r\nSubject: curl\r\n\r\nvia curl\r\n")
    out = subprocess.run(["curl", "-sS", f"smtp://127.0.0.1:{port}/client.test",
                          "--mail-from", "t@client.test", "--mail-rcpt", "bob@example.org",
                          "--upload-file", str(msg), "--max-time", "20"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_greylisting_lets_a_retry_on_a_new_connection_through(port, mailsim_server):
    put_faults(mailsim_server, {"rules": [{"stage": "RCPT", "reply": 450, "times": 1}]})
    with RawSMTP(port) as c:
        greet(c)
        c.cmd("MAIL FROM:<a@client.test>")
        assert c.cmd("RCPT TO:<alice@example.org>")[0] == 450
    with RawSMTP(port) as c:
        greet(c)
        c.cmd("MAIL FROM:<a@client.test>")
        assert c.cmd("RCPT TO:<alice@example.org>")[0] == 250


def test_a_silent_client_does_not_stall_others(port):
    stalled = RawSMTP(port)
    assert stalled.reply()[0] == 220
    stalled.send("MAIL FROM:<half")  # no end of line, then silence
    try:
        start = time.monotonic()
        with RawSMTP(port) as c:
            greet(c)
            assert c.cmd("QUIT")[0] == 221
        assert time.monotonic() - start < 5
    finally:
        stalled.close()


def test_many_parallel_connections_each_get_served(port):
    results = []

    def one():
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
            results.append(s.sendmail("p@client.test", ["bob@example.org"], "Subject: p\r\n\r\nx\r\n"))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [{}] * 20


def test_http_request_on_the_smtp_port_is_closed_without_reply(port):
    with RawSMTP(port) as c:
        assert c.reply()[0] == 220
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.closed_by_server()
        assert c.buf == b""


def test_dropped_connection_fault_closes_mid_data(port, mailsim_server):
    put_faults(mailsim_server, {"rules": [{"stage": "DATA_END", "disconnect": True}]})
    with RawSMTP(port) as c:
        greet(c)
        c.cmd("MAIL FROM:<a@client.test>")
        c.cmd("RCPT TO:<alice@example.org>")
        assert c.cmd("DATA")[0] == 354
        c.send("Subject: lost\r\n\r\nbody\r\n.\r\n")
        assert c.closed_by_server()


def test_idle_timeout_closes_with_421(tmp_path):
    server = start_server(tmp_path, "--idle-timeout", "1")
    try:
        with RawSMTP(server.smtp_port) as c:
            assert c.reply()[0] == 220
            code, _ = c.reply()
            assert code == 421
            assert c.closed_by_server()
    finally:
        server.stop()


def test_live_registry_forgets_finished_sessions_while_one_stays_open(tmp_path):
    from simulator.app import LIVE_KEEP, Simulator

    class Conn:
        def write(self, data):
            pass

        def close(self, reason=""):
            pass

    sim = Simulator(data_dir=tmp_path)
    idle = sim.new_port_session("127.0.0.1:1", Conn())
    idle.open()
    for i in range(LIVE_KEEP * 3):
        s = sim.new_port_session(f"127.0.0.1:{i + 2}", Conn())
        s.open()
        s.feed(b"QUIT\r\n")
    sessions = sim.live_sessions()
    assert len(sessions) <= LIVE_KEEP + 1
    assert sessions[0]["session"] == idle.sid and not sessions[0]["closed"]


# ---------------------------------------------------------------------------
# The event-loop listener itself, in this process: one loop thread for every
# connection, a worker thread only for sessions whose plan can delay.

import contextlib  # noqa: E402
import socket  # noqa: E402

from simulator.app import Simulator  # noqa: E402
from simulator.lab import wire  # noqa: E402
from simulator.lab.faults import FaultPlan  # noqa: E402


@contextlib.contextmanager
def in_process(tmp_path, rules=(), *, small_buffers=False, **options):
    sim = Simulator(data_dir=tmp_path, port_faults=FaultPlan.from_json({"rules": list(rules)}))
    sock = wire.bind("127.0.0.1", 0)
    if small_buffers:  # accepted sockets inherit these (Linux)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sessions = []

    def make_session(peer, conn):
        s = sim.new_port_session(peer, conn)
        sessions.append(s)
        return s

    listener = wire.Listener(sock, make_session, on_busy=lambda conn: conn.write(sim.busy_reply().wire()),
                             timeout_reply=sim.timeout_reply, **options)
    listener.start()
    try:
        yield listener, sessions
    finally:
        listener.stop()


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_a_delay_fault_on_one_connection_does_not_delay_another(tmp_path):
    rules = [{"stage": "NOOP", "delay_ms": 2000}]
    with in_process(tmp_path, rules) as (listener, _):
        slow = RawSMTP(listener.port)
        try:
            greet(slow)
            slow.send("NOOP\r\n")  # answered 2 s late, by its connection's worker
            time.sleep(0.1)
            start = time.monotonic()
            for _ in range(3):
                with RawSMTP(listener.port) as c:
                    greet(c)
                    assert c.cmd("MAIL FROM:<a@client.test>")[0] == 250
                    assert c.cmd("QUIT")[0] == 221
            assert time.monotonic() - start < 1.0
            assert slow.reply()[0] == 250
            assert time.monotonic() - start > 1.5
        finally:
            slow.close()


def test_a_delayed_connection_keeps_its_input_in_order_and_answers_after_eof(tmp_path):
    rules = [{"stage": "NOOP", "delay_ms": 300}]
    with in_process(tmp_path, rules) as (listener, sessions):
        with RawSMTP(listener.port) as c:
            assert c.reply()[0] == 220
            for line in ["EHLO client.test", "NOOP", "MAIL FROM:<a@client.test>", "NOOP",
                         "RCPT TO:<alice@example.org>", "QUIT"]:
                c.send(line + "\r\n")  # pipelined, in separate segments
            c.sock.shutdown(socket.SHUT_WR)
            codes = [c.reply()[0] for _ in range(6)]
            assert codes == [250, 250, 250, 250, 250, 221]
            assert c.closed_by_server()
        assert sessions[0].close_reason == "quit"
        assert wait_for(lambda: listener.active == 0)


def test_a_client_that_sends_everything_and_half_closes_still_gets_the_250_and_221(tmp_path):
    """printf '...DATA...\\r\\n.\\r\\nQUIT' | nc: the commit before the 250 must not lose the replies."""
    with in_process(tmp_path) as (listener, sessions):
        with RawSMTP(listener.port) as c:
            assert c.reply()[0] == 220
            c.send("EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"
                   "Subject: half-close\r\n\r\nSent at once.\r\n.\r\nQUIT\r\n")
            c.sock.shutdown(socket.SHUT_WR)
            codes = [c.reply()[0] for _ in range(6)]
            assert codes == [250, 250, 250, 354, 250, 221]
            assert c.closed_by_server()
        assert sessions[0].close_reason == "quit"
        mail = sessions[0].store.messages("alice")
        assert [m["subject"] for m in mail].count("half-close") == 1


def test_a_slow_greeting_does_not_hold_up_other_connections(tmp_path):
    # The plan delays the greeting of the first connection only.
    rules = [{"stage": "greeting", "delay_ms": 2000, "times": 1}]
    with in_process(tmp_path, rules) as (listener, _):
        slow = RawSMTP(listener.port)
        try:
            time.sleep(0.1)
            start = time.monotonic()
            with RawSMTP(listener.port) as c:
                greet(c)
                assert c.cmd("QUIT")[0] == 221
            assert time.monotonic() - start < 1.0
            assert slow.reply()[0] == 220
        finally:
            slow.close()


def test_a_client_that_never_reads_is_paused_then_dropped_and_others_are_served(tmp_path):
    with in_process(tmp_path, small_buffers=True, idle_timeout=2) as (listener, sessions):
        hog = socket.socket()
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        hog.connect(("127.0.0.1", listener.port))
        hog.settimeout(1.0)
        chunk = b"NOOP\r\n" * 1000
        sent = 0
        try:
            while sent < 64 * 1024 * 1024:
                sent += hog.send(chunk)  # never reads a reply
        except socket.timeout:
            pass  # the server stopped reading: the sends block
        # Bounded: the transport's high-water mark, the queued input and the
        # kernel buffers, nowhere near the 64 MB the client was ready to send.
        assert sent < 4 * 1024 * 1024, sent
        start = time.monotonic()
        with RawSMTP(listener.port) as c:
            greet(c)
            assert c.cmd("QUIT")[0] == 221
        assert time.monotonic() - start < 1.0
        # Stalled for the whole idle timeout: dropped as gone.
        assert wait_for(lambda: sessions[0].closed, timeout=6)
        assert sessions[0].close_reason == "gone"
        assert wait_for(lambda: listener.active == 0)
        hog.close()


def test_idle_timeout_in_process_sends_421_and_closes(tmp_path):
    with in_process(tmp_path, idle_timeout=0.5) as (listener, sessions):
        with RawSMTP(listener.port) as c:
            greet(c)
            time.sleep(0.2)
            assert c.cmd("NOOP")[0] == 250  # input resets the timer
            start = time.monotonic()
            assert c.reply()[0] == 421
            assert 0.3 < time.monotonic() - start < 2
            assert c.closed_by_server()
        assert sessions[0].close_reason == "timeout"
        assert wait_for(lambda: listener.active == 0)


def test_idle_timeout_does_not_count_a_delayed_reply(tmp_path):
    rules = [{"stage": "NOOP", "delay_ms": 1500}]
    with in_process(tmp_path, rules, idle_timeout=1.0) as (listener, sessions):
        with RawSMTP(listener.port) as c:
            greet(c)
            assert c.cmd("NOOP")[0] == 250  # 1.5 s late, longer than the idle timeout
            start = time.monotonic()
            assert c.reply()[0] == 421
            assert 0.7 < time.monotonic() - start < 2.5
            assert c.closed_by_server()
        assert sessions[0].close_reason == "timeout"


def test_connections_over_the_cap_get_421_and_closed(tmp_path):
    with in_process(tmp_path, max_connections=1) as (listener, _):
        with RawSMTP(listener.port) as first:
            assert first.reply()[0] == 220
            with RawSMTP(listener.port) as second:
                assert second.reply()[0] == 421
                assert second.closed_by_server()
            assert first.cmd("QUIT")[0] == 221
        assert wait_for(lambda: listener.active == 0)
        with RawSMTP(listener.port) as third:
            assert third.reply()[0] == 220


def test_a_desktop_client_conversation_like_thunderbirds_goes_through(port):
    """Thunderbird with no security and no authentication: EHLO with an address
    literal, MAIL with SIZE and BODY, PIPELINING-style batches; STARTTLS and AUTH
    are refused with 502 so a client configured to try them falls back."""
    with RawSMTP(port) as c:
        assert c.reply()[0] == 220
        code, text = c.cmd("EHLO [127.0.0.1]")
        assert code == 250 and "PIPELINING" in text and "8BITMIME" in text and "SIZE" in text
        assert "STARTTLS" not in text and "AUTH" not in text
        assert c.cmd("STARTTLS")[0] == 502
        assert c.cmd("AUTH PLAIN AGFsaWNlAGFsaWNl")[0] == 502
        body = "From: T <t@client.test>\r\nTo: alice@example.org\r\nSubject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\r\n" \
               "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" \
               "Привет\r\n"
        size = len(body.encode())
        c.send(f"MAIL FROM:<t@client.test> BODY=8BITMIME SIZE={size}\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
        assert [c.reply()[0] for _ in range(3)] == [250, 250, 354]
        c.send(body.encode() + b".\r\n")
        assert c.reply()[0] == 250
        assert c.cmd("QUIT")[0] == 221
