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


# --------------------------------------------------------------------- IMAP
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402


def _imap(server, user="bob") -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=10)
    client.login(user, user)
    return client


def _uid_of(client: imaplib.IMAP4, subject: str) -> bytes:
    typ, data = client.uid("SEARCH", "SUBJECT", f'"{subject}"')
    assert typ == "OK", data
    uids = data[0].split()
    assert uids, f"no message with subject {subject!r}"
    return uids[-1]


def test_imaplib_reads_back_exactly_what_smtplib_sent(server):
    _send(server)
    client = _imap(server)
    try:
        typ, _ = client.select("INBOX")
        assert typ == "OK"
        uid = _uid_of(client, "Round trip")
        typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
        assert typ == "OK" and data[0][1] == BODY  # byte-identical, dot lines included
        typ, data = client.uid("FETCH", uid, "(FLAGS)")
        assert b"\\Seen" not in data[0]  # PEEK does not mark it read
        typ, data = client.uid("FETCH", uid, "(BODY[HEADER.FIELDS (SUBJECT)])")
        assert data[0][1] == b"Subject: Round trip\r\n\r\n"
        typ, data = client.uid("FETCH", uid, "(FLAGS)")
        assert typ == "OK"
        typ, data = client.uid("FETCH", uid, "(BODY.PEEK[TEXT]<0.10>)")
        assert data[0][1] == BODY.split(b"\r\n\r\n", 1)[1][:10]
    finally:
        client.logout()


def test_imap_folders_and_a_second_session_sees_the_first_ones_changes(server):
    first, second = _imap(server), _imap(server)
    try:
        assert first.create("Projects/MailSim")[0] == "OK"
        typ, folders = second.list('""', "*")
        assert typ == "OK" and any(b'"Projects/MailSim"' in f or b"Projects/MailSim" in f for f in folders)
        first.select("INBOX")
        second.select("INBOX")
        uid = _uid_of(first, "Round trip")
        assert first.uid("STORE", uid, "+FLAGS", "(\\Flagged)")[0] == "OK"
        typ, data = second.noop()
        assert typ == "OK"
        typ, data = second.uid("FETCH", uid, "(FLAGS)")
        assert b"\\Flagged" in data[0]
        assert first.uid("COPY", uid, "Projects/MailSim")[0] == "OK"
        typ, data = first.status("Projects/MailSim", "(MESSAGES)")
        assert typ == "OK" and b"MESSAGES 1" in data[0]
        assert first.rename("Projects/MailSim", "Projects/Done")[0] == "OK"
        typ, data = first.select("Projects/Done")
        assert typ == "OK" and data[0] == b"1"
        first.close()
        assert first.delete("Projects/Done")[0] == "OK"
    finally:
        first.logout()
        second.logout()


def test_a_thunderbird_like_imap_conversation(server):
    sock = _raw(server.imap_port)
    greeting = _read_line(sock)
    assert greeting.startswith(b"* OK") and b"IMAP4rev1" in greeting

    def command(line: bytes) -> list[bytes]:
        tag = line.split(b" ", 1)[0]
        sock.sendall(line + b"\r\n")
        lines = []
        while True:
            got = _read_line(sock)
            assert got, lines
            literal = re.search(rb"\{(\d+)\}\r\n$", got)
            if literal:
                need = int(literal.group(1))
                data = b""
                while len(data) < need:
                    data += sock.recv(need - len(data))
                got += data + _read_line(sock)
            lines.append(got)
            if got.startswith(tag + b" "):
                return lines

    assert command(b"1 capability")[-1].startswith(b"1 OK")
    assert b'"name" "MailSim"' in b"".join(command(b'2 ID ("name" "Thunderbird" "version" "128.0")'))
    assert command(b"3 authenticate PLAIN AGJvYgBib2I=")[-1].startswith(b"3 OK")  # \0bob\0bob
    assert command(b"4 namespace")[0].startswith(b"* NAMESPACE")
    extended = command(b'5 list (subscribed) "" "*" return (special-use)')[-1]
    assert extended.startswith(b"5 BAD") or extended.startswith(b"5 OK")  # refused cleanly, or answered
    assert command(b'6 lsub "" "*"')[-1].startswith(b"6 OK")
    select = command(b'7 select "INBOX"')
    assert select[-1].startswith(b"7 OK") and any(b"UIDVALIDITY" in line for line in select)
    assert command(b"8 UID fetch 1:* (FLAGS)")[-1].startswith(b"8 OK")
    headers = command(b"9 UID fetch 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc "
                      b"Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To "
                      b"Content-Type Reply-To)])")
    assert headers[-1].startswith(b"9 OK") and any(b"Subject:" in line for line in headers)
    sock.sendall(b"10 IDLE\r\n")
    assert _read_line(sock).startswith(b"+")
    _send(server, b"Subject: arrives during IDLE\r\n\r\nhello\r\n")
    pushed = _read_line(sock)  # the server tells the idling client without being asked
    assert re.match(rb"\* \d+ (EXISTS|RECENT)", pushed), pushed
    sock.sendall(b"DONE\r\n")
    while not _read_line(sock).startswith(b"10 OK"):
        pass
    assert command(b"11 logout")[-1].startswith(b"11 OK")
    sock.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is installed by .ci/run")
def test_curl_lists_and_fetches_over_imap(server):
    base = f"imap://127.0.0.1:{server.imap_port}"
    listing = subprocess.run(["curl", "-sS", "--max-time", "10", "-u", "bob:bob", base + "/"],
                             capture_output=True, text=True, timeout=20)
    assert listing.returncode == 0, listing.stderr
    assert "INBOX" in listing.stdout
    fetched = subprocess.run(["curl", "-sS", "--max-time", "10", "-u", "bob:bob", base + "/INBOX;UID=1"],
                             capture_output=True, timeout=20)
    assert fetched.returncode == 0, fetched.stderr
    assert b"Subject:" in fetched.stdout


def test_imap_port_refuses_a_huge_literal_and_survives_hostile_input(server):
    sock = _raw(server.imap_port)
    assert _read_line(sock).startswith(b"* OK")
    sock.sendall(b"a1 LOGIN bob {99999999999}\r\n")  # refused before anything is allocated
    answer = _read_line(sock)
    assert answer.startswith(b"a1 BAD") or answer.startswith(b"a1 NO"), answer
    sock.sendall(b"a2 " + b"x" * 100_000 + b"\r\n")
    assert b"BAD" in _read_line(sock)
    sock.sendall(b"a3 NOOP \x00\r\n")
    assert b"BAD" in _read_line(sock)
    sock.sendall(b"a4 SELECT INBOX\r\n")  # wrong state
    assert _read_line(sock).split(b" ")[1] in (b"NO", b"BAD")
    sock.sendall(b"a5 LOGIN bob bob\r\na6 SELECT INBOX\r\na7 FETCH 1 (BODY[")  # disconnect mid-command
    sock.close()
    http = _raw(server.imap_port)
    assert _read_line(http).startswith(b"* OK")
    http.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert http.recv(100) == b""
    http.close()
    client = _imap(server)  # still serving
    assert client.select("INBOX")[0] == "OK"
    client.logout()
