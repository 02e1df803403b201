"""Types shared by every sans-I/O protocol engine and the layers around it.

An engine is driven like h11: ``receive_data(bytes)`` only buffers;
``next_input()`` returns the next complete :class:`Command` or
:class:`MessageData` (or ``None`` when it needs more bytes); ``handle(input)``
returns an :class:`Outcome` saying what the server answers and what that
changes. Nothing here touches sockets, threads, Flask or a clock.

The session (``simulator/session.py``) sits between the transport and the
engine: it records each input and reply in the transcript and lets the fault
plan replace, delay or drop replies. To let a fault refuse a command "as the
engine itself would", engines expose ``snapshot()``/``restore()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Reply:
    """One server reply: a code and one or more text lines.

    ``key`` names the catalogue entry the reply came from (e.g. ``"250.ok"``);
    every reply an engine sends has one, so the UI can explain it.
    """

    code: int
    lines: tuple[str, ...]
    key: str

    def wire(self) -> bytes:
        """The reply as sent on the wire: multi-line form ``250-...`` then ``250 ...``."""
        out = []
        for i, line in enumerate(self.lines):
            sep = " " if i == len(self.lines) - 1 else "-"
            out.append(f"{self.code}{sep}{line}\r\n" if line else f"{self.code}{sep.strip()}\r\n")
        return "".join(out).encode("ascii")

    @property
    def text(self) -> str:
        """The wire form without the final CRLF (lines joined by CRLF), as shown in transcripts."""
        return self.wire().decode("ascii").rstrip("\r\n").replace("\r\n", "\n")


@dataclass(frozen=True)
class Command:
    """A command line as the engine parsed it.

    ``verb`` is the canonical verb (``HELO``, ``EHLO``, ``MAIL``, ``RCPT``,
    ``DATA``, ``QUIT``, ``RSET``, ``VRFY``, ``NOOP``, ``TURN``, ``EXPN``,
    ``HELP``, ``SEND``, ``SOML``, ``SAML``) or ``UNKNOWN`` for anything the
    engine does not recognise (including over-long, NUL-bearing or HTTP lines;
    ``problem`` then says why). ``arg`` is the argument as parsed: for MAIL and
    RCPT the address without angle brackets, for HELO/EHLO the domain, for
    VRFY/EXPN/HELP the text after the verb. ``line`` is the whole line decoded
    with latin-1 (no CR LF). Fault rules match on ``verb`` and ``arg``.
    """

    verb: str
    arg: str
    line: str
    problem: Optional[str] = None
    params: tuple[tuple[str, Optional[str]], ...] = ()


@dataclass(frozen=True)
class MessageData:
    """The content of a message after DATA, complete once CRLF . CRLF arrived.

    ``content`` is already un-dot-stuffed; ``problem`` is set when the content
    must be refused after its end (line over 1000 octets, bare CR/LF, too big).
    ``raw`` is the content as it came over the wire (dot-stuffed, final "."
    line included; cut short past the size limit) and ``size`` the number of
    octets received, for transcripts.
    """

    content: bytes
    problem: Optional[str] = None
    raw: bytes = b""
    size: int = 0


@dataclass(frozen=True)
class Delivery:
    """A message the engine wants delivered, once its 250 is committed.

    ``helo`` is the domain the client gave in HELO/EHLO and ``queue_id`` the
    id the engine named in its "250 ... queued as" reply.
    """

    mail_from: str
    recipients: tuple[str, ...]
    content: bytes
    helo: str = ""
    queue_id: str = ""


@dataclass
class Outcome:
    """What handling one input produced.

    ``replies`` is usually one reply (a multi-line reply is one Reply).
    ``deliveries`` are to be performed only if the final reply stays positive.
    ``close`` asks the transport to close the connection after sending.
    """

    replies: list[Reply] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    close: bool = False
