"""Real clients against `mailsim serve`: smtplib sends, poplib and imaplib read the very same bytes back."""
from __future__ import annotations

import imaplib
import poplib
import smtplib

import pytest
from conftest import start_server

# Lines that start with "." are dot-stuffed by SMTP and POP3 on the wire and must come back unchanged.
BODY = (b"Subject: Round trip\r\nFrom: alice@example.org\r\nTo: bob@example.org\r\n"
        b"Message-ID: <round-trip@example.org>\r\n\r\n"
        b"First line\r\n.starts with a dot\r\n..two dots\r\n.\r\nlast line\r\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("clients"))
    yield running
    running.stop()


def _send(server, body=BODY, to=("bob@example.org",)):
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        assert client.sendmail("alice@example.org", list(to), body) == {}


def _pop_messages(server, user="bob"):
    client = poplib.POP3("127.0.0.1", server.pop3_port, timeout=10)
    try:
        client.user(user)
        client.pass_(user)
        count, _octets = client.stat()
        out = []
        for n in range(1, count + 1):
            _resp, lines, _size = client.retr(n)
            out.append(b"\r\n".join(lines) + b"\r\n")
        return client, out
    except BaseException:
        client.close()
        raise


def test_poplib_reads_back_exactly_what_smtplib_sent(server):
    _send(server)
    client, messages = _pop_messages(server)
    client.quit()
    assert BODY in messages  # byte-identical, dot-stuffed lines included


def test_pop3_delete_mode_removes_only_at_quit_and_a_dropped_connection_deletes_nothing(server):
    _send(server, b"Subject: delete me\r\n\r\nbye\r\n", to=("alice@example.org",))
    client, messages = _pop_messages(server, "alice")
    n = [i for i, m in enumerate(messages, 1) if b"delete me" in m][0]
    client.dele(n)
    client.close()  # no QUIT: the connection drops, nothing is deleted (RFC 1939 §6)
    client, again = _pop_messages(server, "alice")
    assert any(b"delete me" in m for m in again)
    n = [i for i, m in enumerate(again, 1) if b"delete me" in m][0]
    client.dele(n)
    client.quit()  # UPDATE
    client, after = _pop_messages(server, "alice")
    client.quit()
    assert not any(b"delete me" in m for m in after) and len(after) == len(again) - 1


def test_a_second_pop3_session_on_a_locked_maildrop_is_refused(server):
    first, _ = _pop_messages(server)
    try:
        second = poplib.POP3("127.0.0.1", server.pop3_port, timeout=10)
        second.user("bob")
        with pytest.raises(poplib.error_proto, match=r"IN-USE"):
            second.pass_("bob")
        second.quit()
    finally:
        first.quit()
    again, _ = _pop_messages(server)  # the lock went with the first session
    again.quit()


# ------------------------------------------------------------ hostile input
import socket  # noqa: E402


def _raw(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.settimeout(10)
    return sock


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def test_pop3_port_survives_hostile_input_and_keeps_serving(server):
    sock = _raw(server.pop3_port)
    assert _read_line(sock).startswith(b"+OK")
    sock.sendall(b"USER " + b"x" * 100_000 + b"\r\n")  # an overlong line is refused, not buffered
    assert _read_line(sock).startswith(b"-ERR")
    sock.sendall(b"USER b\x00b\r\n")
    assert _read_line(sock).startswith(b"-ERR")
    sock.sendall(b"RETR 1\r\n")  # wrong state
    assert _read_line(sock).startswith(b"-ERR")
    sock.sendall(b"USER bob\r\nPA")  # disconnect in the middle of a command
    assert _read_line(sock).startswith(b"+OK")
    sock.close()
    http = _raw(server.pop3_port)
    assert _read_line(http).startswith(b"+OK")
    http.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert http.recv(100) == b""  # closed without a reply
    http.close()
    client, messages = _pop_messages(server)  # the maildrop is not left locked
    client.quit()
    assert messages
