"""The one table of protocols: a :class:`ProtocolSpec` for SMTP, POP3 and IMAP.

Everything that differs by protocol and is not the engine's own business is
here, once: the engine and its catalogue, the limits, the fault stages, the
ports, the lecture's figures a scenario may reproduce, and the hooks quizzes
use. Every other module asks :func:`spec` or iterates :data:`PROTOCOLS`; before
this table the protocol list was written in six modules and protocol-to-module
maps in five more. Adding a protocol means adding a subpackage and one entry
in :data:`SPECS`.

Sans-I/O like the engines: no clock or process id is read here; who makes an
engine passes them in (``simulator.lab.session.make_engine`` does for a live
session).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Optional

from simulator.mail.world import World
from simulator.protocols.base import Engine, ReplyLike
from simulator.protocols.imap import engine as imap_engine
from simulator.protocols.imap import replies as imap_replies
from simulator.protocols.pop3 import engine as pop3_engine
from simulator.protocols.pop3 import replies as pop3_replies
from simulator.protocols.smtp import engine as smtp_engine
from simulator.protocols.smtp import replies as smtp_replies

# The engine factory: (world, mailboxes, owner, now, stamp) -> engine. ``now``
# is a clock (IMAP's INTERNALDATE); ``stamp`` makes POP3's APOP timestamp unique.
EngineFactory = Callable[[World, Any, str, Callable[[], float], str], Engine]


@dataclass(frozen=True)
class ProtocolSpec:
    """What MailSim knows of one protocol outside its engine."""

    name: str                      # "smtp": the id in URLs, fault plans, scenarios, quizzes
    title: str                     # "SMTP": how pages name it
    rfc: str                       # the RFC the engine follows
    greeting_rfc: str              # where that RFC says what a greeting may be
    engine: ModuleType             # STAGES, STATES, the engine class
    replies: ModuleType            # the reply catalogue: CODES, REPLIES, GREETING_CODES, catalogue_for_ui()
    limits: type                   # the engine's limits (command_line, text_line...)
    default_port: int              # MailSim's real port (unprivileged)
    standard_port: int             # the port the RFC assigns (what a real server listens on)
    idle_timeout: float            # seconds a real-port connection may stay silent
    reads_mailboxes: bool          # POP3 and IMAP read the store; SMTP's engine only delivers
    figures: tuple[str, ...] = ()  # scenario hook: the lecture's figures this protocol's scenarios may reproduce
    status_choices: tuple[str, ...] = ()   # quiz hook: the statuses a "predict the status" question offers
    predict_stages: frozenset[str] = frozenset()  # quiz hook: the stages whose reply is worth predicting
    example: str = ""              # the console's first command, shown as its placeholder
    factory: Optional[EngineFactory] = None
    busy: Optional[Callable[["ProtocolSpec", World], ReplyLike]] = None  # a port with too many connections

    @property
    def stages(self) -> tuple[str, ...]:
        """The engine's command verbs (fault rules may name them)."""
        return tuple(self.engine.STAGES)

    @property
    def codes(self) -> dict:
        """The reply catalogue's codes (SMTP: numbers; POP3: "+OK"/"-ERR"; IMAP: "OK", "NO"...)."""
        return self.replies.CODES

    def new_engine(self, world: World, mailboxes: Any = None, *, owner: str = "lab",
                   now: Callable[[], float] = lambda: 0.0, stamp: str = "0") -> Engine:
        """A fresh engine for one connection; POP3 and IMAP read and change ``mailboxes``."""
        assert self.factory is not None
        return self.factory(world, mailboxes, owner, now, stamp)

    def busy_reply(self, world: World) -> ReplyLike:
        """What a real port says to a connection over its limit, before it closes."""
        assert self.busy is not None
        return self.busy(self, world)


def _smtp(world: World, mailboxes: Any, owner: str, now: Callable[[], float], stamp: str) -> Engine:
    return smtp_engine.SmtpEngine(world)


def _pop3(world: World, mailboxes: Any, owner: str, now: Callable[[], float], stamp: str) -> Engine:
    return pop3_engine.Pop3Engine(world, mailboxes, owner=owner, apop_stamp=f"<{stamp}@{world.hostname}>")


def _imap(world: World, mailboxes: Any, owner: str, now: Callable[[], float], stamp: str) -> Engine:
    return imap_engine.ImapEngine(world, mailboxes, now=now)


def _refuse_greeting(status: str) -> Callable[[ProtocolSpec, World], ReplyLike]:
    def busy(spec: ProtocolSpec, world: World) -> ReplyLike:
        return spec.new_engine(world, owner="busy").fault_reply(status, None, "greeting")
    return busy


SPECS: dict[str, ProtocolSpec] = {s.name: s for s in (
    ProtocolSpec("smtp", "SMTP", "RFC 5321", "RFC 5321 3.1", smtp_engine, smtp_replies, smtp_engine.SmtpLimits,
                 default_port=2525, standard_port=25, idle_timeout=300.0, reads_mailboxes=False,
                 figures=("14.6", "14.7", "14.8"),
                 predict_stages=frozenset({"MAIL", "RCPT", "DATA", "DATA_END", "QUIT", "VRFY", "EXPN", "HELP",
                                           "TURN", "SEND", "SOML", "SAML", "RSET", "NOOP", "greeting"}),
                 example="HELO client.example.net", factory=_smtp,
                 busy=lambda spec, world: smtp_replies.reply("421.too_busy")),
    ProtocolSpec("pop3", "POP3", "RFC 1939", "RFC 1939 4", pop3_engine, pop3_replies, pop3_engine.Pop3Limits,
                 default_port=1100, standard_port=110, idle_timeout=600.0, reads_mailboxes=True,
                 status_choices=("+OK", "-ERR"),
                 predict_stages=frozenset({"greeting", "PASS", "DELE", "RSET", "QUIT"}),
                 example="USER bob", factory=_pop3, busy=_refuse_greeting("-ERR")),
    ProtocolSpec("imap", "IMAP", "RFC 3501", "RFC 3501 7.1", imap_engine, imap_replies, imap_engine.ImapLimits,
                 default_port=1430, standard_port=143, idle_timeout=1800.0, reads_mailboxes=True,
                 status_choices=("OK", "NO", "BAD", "BYE"),
                 predict_stages=frozenset({"greeting", "LOGIN", "SELECT", "CREATE", "DELETE", "RENAME", "UID FETCH",
                                           "EXPUNGE", "LOGOUT"}),
                 example="a1 LOGIN bob bob", factory=_imap, busy=_refuse_greeting("BYE")),
)}

PROTOCOLS: tuple[str, ...] = tuple(SPECS)


def spec(protocol: str) -> ProtocolSpec:
    """The spec of ``protocol`` (lower case); KeyError for a protocol MailSim does not speak."""
    return SPECS[protocol]
