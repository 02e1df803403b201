"""Types shared by every sans-I/O protocol engine and the layers around it.

An engine is driven like h11: ``receive_data(bytes)`` only buffers;
``next_input()`` returns the next complete :class:`Command` or
:class:`MessageData` (or ``None`` when it needs more bytes); ``handle(input)``
returns an :class:`Outcome` saying what the server answers and what that
changes. Nothing here touches sockets, threads, Flask or a clock.

The session (``simulator.lab.session``) sits between the transport and the
engine: it records each input and reply in the transcript and lets the fault
plan replace, delay or drop replies. To let a fault refuse a command "as the
engine itself would", engines expose ``snapshot()``/``restore()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, Union, runtime_checkable


@dataclass(frozen=True)
class Reply:
    """One SMTP server reply: a code and one or more text lines.

    ``key`` names the catalogue entry the reply came from (e.g. ``"250.ok"``);
    every reply an engine sends has one, so the UI can explain it.

    Every protocol's reply type offers the same interface to the session:
    ``code``, ``key``, ``text``, ``wire()``, ``ok`` and ``closes`` (see
    "The engine contract" below).
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

    @property
    def ok(self) -> bool:
        """A positive reply (1yz-3yz): a fault that answers so lets the command stand."""
        return self.code < 400

    @property
    def closes(self) -> bool:
        """The server closes the connection after this reply (421, RFC 5321 §3.8)."""
        return self.code == 421


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
    tag: Optional[str] = None  # IMAP: the client's tag ("A1"); None for SMTP/POP3 and untagged input


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


@dataclass(frozen=True)
class Effect:
    """A change to the mail store that an engine asks for (POP3 and IMAP).

    Engines never write to the store themselves: ``handle()`` answers from
    the engine's own view (updated as if the change had happened) and lists
    the changes as effects. The session applies them in one transaction,
    committed before the reply is written, and only if the reply stands (a
    fault that refuses the command drops them and restores the snapshot).
    ``op`` and ``args`` (all about one user of the engine's realm):

    ======================  ==================================================
    ``append``              ``(user, folder, content: bytes, flags: tuple, internal_date: float)``
    ``set_flags``           ``(user, folder, uid, flags: tuple)`` (replace)
    ``delete``              ``(user, folder, uids: tuple)`` (POP3 UPDATE, IMAP EXPUNGE)
    ``create``              ``(user, folder)`` (missing parents too)
    ``delete_folder``       ``(user, folder)``
    ``rename``              ``(user, old, new)`` (children move too; INBOX: RFC 3501 §6.3.5)
    ``subscribe``           ``(user, folder, on: bool)``
    ``copy``                ``(user, src_folder, uids: tuple, dst_folder)`` (flags kept, new UIDs)
    ======================  ==================================================

    If applying fails with a :class:`StoreRefused` (another session deleted the
    folder meanwhile, say) the session restores the snapshot and sends
    ``engine.effect_failed(input, error)`` instead.
    """

    op: str
    args: tuple


@dataclass
class Outcome:
    """What handling one input produced.

    ``replies`` is usually one reply (a multi-line reply is one Reply).
    ``deliveries`` (SMTP) and ``effects`` (POP3/IMAP) are to be committed only
    if the final reply stays positive, and before it is written.
    ``close`` asks the transport to close the connection after sending.
    """

    replies: list[Any] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    close: bool = False


class StoreRefused(Exception):
    """The mail store refused a change or a read (no such folder, a name in use...).

    Engines catch this and answer NO or -ERR; the store's own errors
    (``simulator.store.db.MailStoreError`` and its kinds) derive from it, so an
    engine needs no import of the store.
    """


class ReplyLike(Protocol):
    """What the session needs of a reply, whatever the protocol's reply type."""

    @property
    def code(self) -> Any: ...   # int for SMTP; "+OK"/"-ERR" for POP3; "OK"/"NO"/"BAD"/"BYE" for IMAP
    @property
    def key(self) -> str: ...    # the catalogue entry it came from
    @property
    def text(self) -> str: ...   # as shown in transcripts
    @property
    def ok(self) -> bool: ...    # positive: the command stands
    @property
    def closes(self) -> bool: ...  # the server closes after sending it

    def wire(self) -> bytes: ...


Input = Union[Command, MessageData]


@runtime_checkable
class Engine(Protocol):
    """The engine contract: what the session (``simulator.lab.session``) relies on.

    The engine module also defines ``STAGES`` (verbs a fault rule may name)
    and ``STATES``; its reply catalogue module has ``CODES`` (the codes a fault
    may send), ``GREETING_CODES`` and ``catalogue_for_ui()``. Both are reached
    through the protocol's :class:`~simulator.protocols.registry.ProtocolSpec`.
    """

    @property
    def state(self) -> str:
        """The current state (one of the module's STATES)."""
    @property
    def phase(self) -> str:
        """The diagram band of the current state."""

    def greeting(self) -> ReplyLike:
        """The opening reply."""
    def refuse(self, reply: ReplyLike) -> None:
        """A fault replaced the greeting with a negative reply."""
    def receive_data(self, data: bytes) -> None:
        """Buffer only."""
    def next_input(self) -> Optional[Input]:
        """The next complete command or message, None when more bytes are needed."""
    def handle(self, event: Input) -> Outcome:
        """Answer one input; never raises, never writes to the store (effects say what to change)."""
    def snapshot(self) -> Any:
        """The protocol state a refused command must leave unchanged."""
    def restore(self, snap: Any) -> None:
        """Go back to a snapshot."""
    def phase_of(self, event: Input) -> str:
        """The diagram band of an input."""
    def fault_reply(self, code: Any, text: Optional[str], stage: str) -> ReplyLike:
        """What a fault rule's code looks like here (IMAP: tagged with the current command's tag)."""
    def effect_failed(self, event: Input, error: Exception) -> Outcome:
        """The store refused an effect: the engine's answer instead."""
    def timeout_reply(self) -> Optional[ReplyLike]:
        """Sent when the idle timeout expires (None: close without a word)."""
    def connection_closed(self) -> None:
        """The connection ended, however (release locks)."""
