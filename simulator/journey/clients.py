"""Small sans-I/O mail clients for the journey: an SMTP sender, a POP3 and an IMAP reader.

The journey (``journey.py``) lets real engines answer real clients. These
are the clients: state machines fed the server's bytes, asked what to send
next, like h11 and like the engines themselves. They never touch a socket
or a clock.

Driving one (``journey.converse`` does it)::

    client.receive_data(bytes)      # what the server wrote
    reply = client.next_reply()     # one complete reply, or None until more bytes come
    out = client.handle(reply)      # bytes to send next (b"" when nothing)
    client.connection_lost()        # the server closed the connection
    client.timed_out()              # the server said nothing for client.timeout seconds

Each client ends with a :class:`Verdict`: ``ok``, ``deferred`` (a temporary
failure: an MTA queues the message and tries again later) or ``failed`` (a
permanent one). They react as real programs do (RFC 5321 §4.2.1, §4.5.4):

* SMTP: a 4yz reply, a dropped connection or a server that stops answering
  is temporary; a 5yz reply is permanent. After a refusal the client says
  QUIT, except after 421, when the server has already closed.
* POP3: ``-ERR`` anywhere is a failure of this read (a reader does not
  queue; the mail stays on the server); the client then says QUIT.
* IMAP: ``NO``/``BAD`` to a command, or ``* BYE`` instead of a greeting,
  fail the read; the client then says LOGOUT.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Union

# What a client sends and reads is bounded; a server that sends more is an error.
MAX_REPLY_LINES = 10_000
MAX_BUFFER = 4 * 1024 * 1024

# RFC 5321 §4.5.3.2: how long an SMTP client waits for each reply (seconds).
SMTP_TIMEOUTS = {"greeting": 300, "EHLO": 300, "HELO": 300, "MAIL": 300, "RCPT": 300,
                 "DATA": 120, "DATA_END": 600, "QUIT": 300}
# A user agent gives up sooner (Thunderbird's default is 100 s).
READER_TIMEOUT = 100


@dataclass(frozen=True)
class Verdict:
    """How a conversation ended for the client.

    ``outcome`` is ``ok``, ``deferred`` or ``failed``; ``stage`` the step it
    ended at (``greeting``, ``RCPT``, ``DATA_END``, ``PASS``, ``LOGIN``...);
    ``reason`` is ``reply``, ``timeout`` or ``disconnect``; ``code`` and
    ``text`` the deciding reply (``text`` its first line), when there was one.
    """

    outcome: str
    stage: str
    reason: str = "reply"
    code: Union[int, str, None] = None
    text: str = ""


def dot_stuff(content: bytes) -> bytes:
    """Message content as sent after DATA/RETR: CRLF lines, leading dots doubled, then "." CRLF."""
    lines = content.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = [b"." + line if line.startswith(b".") else line for line in lines]
    return b"\r\n".join(out) + b"\r\n.\r\n"


class _LineBuffer:
    """Bytes from the server, cut into CRLF (or LF) lines."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.overflow = False

    def feed(self, data: bytes) -> None:
        if len(self.buf) + len(data) > MAX_BUFFER:
            self.overflow = True
            return
        self.buf += data

    def line(self) -> Optional[bytes]:
        nl = self.buf.find(b"\n")
        if nl < 0:
            return None
        line = bytes(self.buf[:nl])
        del self.buf[:nl + 1]
        return line[:-1] if line.endswith(b"\r") else line

    def take(self, n: int) -> Optional[bytes]:
        if len(self.buf) < n:
            return None
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class _Client:
    """What the three clients share: a verdict, a done flag, the stage waited for."""

    protocol = ""

    def __init__(self) -> None:
        self.lines = _LineBuffer()
        self.stage = "greeting"
        self.verdict: Optional[Verdict] = None
        self.done = False

    def receive_data(self, data: bytes) -> None:
        """Buffer what the server wrote; nothing is parsed until :meth:`next_reply`."""
        self.lines.feed(data)

    def _decide(self, outcome: str, reason: str = "reply", code=None, text: str = "") -> None:
        if self.verdict is None:
            self.verdict = Verdict(outcome, self.stage, reason, code, text)

    def connection_lost(self) -> None:
        """The server closed the connection; an unfinished conversation failed there."""
        self._decide(self._lost_outcome, "disconnect")
        self.done = True

    def timed_out(self) -> None:
        """The server said nothing for :attr:`timeout` seconds: the client hangs up."""
        self._decide(self._lost_outcome, "timeout")
        self.done = True

    _lost_outcome = "deferred"

    @property
    def timeout(self) -> float:
        return READER_TIMEOUT


# ---------------------------------------------------------------- SMTP
@dataclass(frozen=True)
class SmtpReply:
    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.lines[0] if self.lines else ""


class SmtpClient(_Client):
    """An SMTP client sending one message to one recipient: a submitting UA or a relaying MTA.

    The conversation: greeting, EHLO (HELO if EHLO is refused with 5yz),
    MAIL FROM, RCPT TO, DATA, the content, QUIT (fig. 14.6-14.8).
    """

    protocol = "smtp"
    _NEXT = {"EHLO": "MAIL", "HELO": "MAIL", "MAIL": "RCPT", "RCPT": "DATA"}

    def __init__(self, *, helo: str, mail_from: str, recipient: str, content: bytes):
        super().__init__()
        self.helo = helo
        self.mail_from = mail_from
        self.recipient = recipient
        self.content = content
        self._pending: list[str] = []

    @property
    def timeout(self) -> float:
        return SMTP_TIMEOUTS.get(self.stage, 300)

    def next_reply(self) -> Optional[SmtpReply]:
        """The next complete (possibly multi-line) reply, or None until more bytes come."""
        while True:
            line = self.lines.line()
            if line is None:
                return None
            text = line.decode("latin-1")
            m = re.match(r"^(\d{3})([ -]?)(.*)$", text)
            if not m:
                self._pending = []
                return SmtpReply(0, (text,))  # not SMTP: treated as a failure below
            self._pending.append(m.group(3))
            if m.group(2) == "-" and len(self._pending) < MAX_REPLY_LINES:
                continue
            reply = SmtpReply(int(m.group(1)), tuple(self._pending))
            self._pending = []
            return reply

    def _command(self, stage: str) -> bytes:
        self.stage = stage
        line = {"EHLO": f"EHLO {self.helo}", "HELO": f"HELO {self.helo}",
                "MAIL": f"MAIL FROM:<{self.mail_from}>", "RCPT": f"RCPT TO:<{self.recipient}>",
                "DATA": "DATA", "QUIT": "QUIT"}[stage]
        return line.encode("ascii", "replace") + b"\r\n"

    def _quit(self) -> bytes:
        return self._command("QUIT")

    def handle(self, reply: SmtpReply) -> bytes:
        """React to one reply; returns what to send next (b"" when nothing)."""
        if self.done:
            return b""
        code, stage = reply.code, self.stage
        if stage == "QUIT":
            self.done = True
            return b""
        if not 200 <= code < 400:
            if stage == "EHLO" and code >= 500:  # an old server: greet again with HELO (RFC 5321 §4.1.4)
                return self._command("HELO")
            if code == 0:  # not an SMTP reply at all: give up on this connection, try later
                self._decide("deferred", "reply", None, reply.text)
            else:
                self._decide("deferred" if 400 <= code < 500 else "failed", "reply", code, reply.text)
            if code == 421:  # the server closes at once (RFC 5321 §3.8)
                self.done = True
                return b""
            return self._quit()
        if stage == "greeting":
            return self._command("EHLO")
        if stage in self._NEXT:
            return self._command(self._NEXT[stage])
        if stage == "DATA":
            if code != 354:
                self._decide("failed", "reply", code, reply.text)
                return self._quit()
            self.stage = "DATA_END"
            return dot_stuff(self.content)
        if stage == "DATA_END":
            self._decide("ok", "reply", code, reply.text)
            return self._quit()
        return self._quit()


# ---------------------------------------------------------------- POP3
@dataclass(frozen=True)
class Pop3Response:
    ok: bool
    first: str
    body: tuple[bytes, ...] = ()

    @property
    def code(self) -> str:
        return "+OK" if self.ok else "-ERR"


class Pop3Client(_Client):
    """A POP3 reader in keep mode: USER, PASS, STAT, LIST, RETR of the newest message, QUIT.

    ``found`` ends True when the retrieved message carries ``message_id``
    (the UA checks it got the message the journey sent).
    """

    protocol = "pop3"
    _lost_outcome = "failed"

    def __init__(self, *, user: str, password: str, message_id: str):
        super().__init__()
        self.user = user
        self.password = password
        self.message_id = message_id.encode("ascii", "replace")
        self.count = 0
        self.found = False
        self.retrieved: Optional[bytes] = None
        self._first: Optional[str] = None
        self._body: list[bytes] = []

    def _multiline(self) -> bool:
        return self.stage in ("LIST", "RETR")

    def next_reply(self) -> Optional[Pop3Response]:
        if self._first is None:
            line = self.lines.line()
            if line is None:
                return None
            first = line.decode("latin-1")
            if not (first.startswith("+OK") and self._multiline()):
                return Pop3Response(first.startswith("+OK"), first)
            self._first = first
        while True:
            line = self.lines.line()
            if line is None:
                return None
            if line == b".":
                resp = Pop3Response(True, self._first, tuple(self._body))
                self._first, self._body = None, []
                return resp
            if len(self._body) < MAX_REPLY_LINES:
                self._body.append(line[1:] if line.startswith(b".") else line)

    def _send(self, stage: str, line: str) -> bytes:
        self.stage = stage
        return line.encode("ascii", "replace") + b"\r\n"

    def handle(self, resp: Pop3Response) -> bytes:
        if self.done:
            return b""
        stage = self.stage
        if stage == "QUIT":
            self.done = True
            return b""
        if not resp.ok:
            self._decide("failed", "reply", resp.code, resp.first)
            if stage == "greeting":
                self.done = True
                return b""
            return self._send("QUIT", "QUIT")
        if stage == "greeting":
            return self._send("USER", f"USER {self.user}")
        if stage == "USER":
            return self._send("PASS", f"PASS {self.password}")
        if stage == "PASS":
            return self._send("STAT", "STAT")
        if stage == "STAT":
            parts = resp.first.split()
            self.count = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            if self.count == 0:
                self._decide("ok", "reply", resp.code, resp.first)
                return self._send("QUIT", "QUIT")
            return self._send("LIST", "LIST")
        if stage == "LIST":
            return self._send("RETR", f"RETR {self.count}")
        if stage == "RETR":
            self.retrieved = b"\r\n".join(resp.body) + b"\r\n"
            self.found = self.message_id.lower() in self.retrieved.lower()
            self._decide("ok", "reply", resp.code, resp.first)
            return self._send("QUIT", "QUIT")
        return self._send("QUIT", "QUIT")


# ---------------------------------------------------------------- IMAP
@dataclass(frozen=True)
class ImapResponse:
    tag: str
    status: str
    text: str
    untagged: tuple[str, ...] = ()
    literals: tuple[bytes, ...] = ()

    @property
    def code(self) -> str:
        return self.status


_LITERAL_END = re.compile(rb"\{(\d{1,9})\}$")


def imap_quote(text: str) -> str:
    """An IMAP quoted string (RFC 3501 §4.3)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapClient(_Client):
    """An IMAP reader: LOGIN, SELECT INBOX, SEARCH for the message, FETCH it, LOGOUT."""

    protocol = "imap"
    _lost_outcome = "failed"

    def __init__(self, *, user: str, password: str, message_id: str):
        super().__init__()
        self.user = user
        self.password = password
        self.message_id = message_id
        self.found = False
        self.retrieved: Optional[bytes] = None
        self.number: Optional[int] = None
        self._n = 0
        self.tag = ""
        self._untagged: list[str] = []
        self._literals: list[bytes] = []
        self._line = b""          # a response line being assembled around literals
        self._want: Optional[int] = None  # octets of a literal still to read

    def next_reply(self) -> Optional[ImapResponse]:
        while True:
            if self._want is not None:
                data = self.lines.take(self._want)
                if data is None:
                    return None
                self._literals.append(data)
                self._line += b"{}"  # the literal's place in the line
                self._want = None
            line = self.lines.line()
            if line is None:
                return None
            self._line += line
            m = _LITERAL_END.search(line)
            if m:
                self._want = int(m.group(1))
                continue
            whole, self._line = self._line.decode("latin-1"), b""
            if self.stage == "greeting" and whole.startswith("* "):
                status = whole[2:].split(" ", 1)[0].upper()
                return ImapResponse("*", status, whole, (), ())
            if self.tag and whole.startswith(self.tag + " "):
                rest = whole[len(self.tag) + 1:]
                status, _, text = rest.partition(" ")
                resp = ImapResponse(self.tag, status.upper(), whole, tuple(self._untagged), tuple(self._literals))
                self._untagged, self._literals = [], []
                return resp
            if len(self._untagged) < MAX_REPLY_LINES:
                self._untagged.append(whole)

    def _send(self, stage: str, args: str) -> bytes:
        self._n += 1
        self.tag = f"a{self._n}"
        self.stage = stage
        return f"{self.tag} {args}".encode("ascii", "replace") + b"\r\n"

    def _logout(self) -> bytes:
        return self._send("LOGOUT", "LOGOUT")

    def handle(self, resp: ImapResponse) -> bytes:
        if self.done:
            return b""
        stage = self.stage
        if stage == "LOGOUT":
            self.done = True
            return b""
        if stage == "greeting":
            if resp.status == "OK":
                return self._send("LOGIN", f"LOGIN {imap_quote(self.user)} {imap_quote(self.password)}")
            if resp.status == "PREAUTH":
                return self._send("SELECT", "SELECT INBOX")
            self._decide("failed", "reply", resp.status, resp.text)
            self.done = True  # * BYE: the server closes
            return b""
        if resp.status != "OK":
            self._decide("failed", "reply", resp.status, resp.text)
            return self._logout()
        if stage == "LOGIN":
            return self._send("SELECT", "SELECT INBOX")
        if stage == "SELECT":
            return self._send("SEARCH", f"SEARCH HEADER Message-ID {imap_quote(self.message_id)}")
        if stage == "SEARCH":
            numbers = [int(n) for line in resp.untagged if line.upper().startswith("* SEARCH")
                       for n in line.split()[2:] if n.isdigit()]
            if not numbers:
                self._decide("ok", "reply", resp.status, resp.text)
                return self._logout()
            self.number = numbers[-1]
            return self._send("FETCH", f"FETCH {self.number} (FLAGS BODY[])")
        if stage == "FETCH":
            self.retrieved = resp.literals[0] if resp.literals else None
            self.found = self.retrieved is not None and self.message_id.lower().encode() in self.retrieved.lower()
            self._decide("ok", "reply", resp.status, resp.text)
            return self._logout()
        return self._logout()
