"""The sans-I/O SMTP server engine (RFC 5321, as the lecture's figures 14.6-14.8 show it).

Theory of operation
-------------------
The engine is a state machine fed bytes and asked for answers, like h11:

* ``receive_data(bytes)`` only appends to the input buffer.
* ``next_input()`` takes one complete input off the buffer: a :class:`Command`
  in command mode (a line ending in CRLF, or a bare LF for nc users), or the
  whole :class:`MessageData` in the ``data`` state (once CRLF . CRLF came).
  ``None`` means "need more bytes". Parsing lives in ``smtp_parse.py``.
* ``handle(input)`` returns an :class:`Outcome`: the reply (always built from
  the catalogue in ``replies.py``), deliveries to perform once the final 250
  stands, and whether to close.

States (``engine.state``)::

    greeted --HELO/EHLO--> ready --MAIL--> mail --RCPT ok--> rcpt --DATA--> data
       ^                    ^  ^                               |             |
       |                    |  '------ RSET, HELO/EHLO --------'             |
       |                    '----------- end of message (250 or refusal) ----'
    refused: the greeting was replaced by 554; only QUIT works (RFC 5321 §3.1)
    closed:  after 221, 421, or an HTTP request; input is ignored

Which command may come in which state is data (:data:`SEQUENCE`): a command
listed there for the current state gets that 503 and changes nothing. Every
4yz/5yz reply to a command leaves the protocol state (``snapshot()``) as it
was; only the end of a message ends a transaction whatever its reply. Error
replies are counted, and once there have been ``max_errors`` of them the next
command gets 421 and the connection closes, as Postfix does.

The session takes ``snapshot()`` before each input and may ``restore()`` it
when a fault rule refuses a command the engine had accepted. Two counters are
deliberately outside the snapshot: the error count and whether this
transaction has seen any RCPT (which picks 554 over 503 for a DATA without
recipients); they record what happened on the wire, not protocol state.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional, Union

from simulator.mail.world import World
from simulator.protocols.base import Command, Delivery, MessageData, Outcome, Reply, ReplyLike
from simulator.protocols.smtp import replies
from simulator.protocols.smtp.parse import VERBS, DataReader, LineReader, parse_command

# Every command verb the engine knows, for validating fault rules.
STAGES: tuple[str, ...] = VERBS

STATES = ("greeted", "ready", "mail", "rcpt", "data", "refused", "closed")

# Sequence errors as data: verb -> {state: 503 reply key}. States not listed allow the verb.
SEQUENCE: dict[str, dict[str, str]] = {
    "MAIL": {"greeted": "503.need_helo", "mail": "503.nested_mail", "rcpt": "503.nested_mail"},
    "RCPT": {"greeted": "503.need_mail", "ready": "503.need_mail"},
    "DATA": {"greeted": "503.need_mail", "ready": "503.need_mail", "mail": "503.need_rcpt"},
}

# What an UNKNOWN command's problem earns.
_UNKNOWN_REPLY = {
    "line_too_long": "500.line_too_long",
    "nul": "500.nul_byte",
    "empty": "500.empty_line",
    "not_implemented": "502.not_implemented",
}

_ESMTP_BODY = ("7BIT", "8BITMIME")


@dataclass(frozen=True)
class SmtpLimits:
    """The server's limits (RFC 5321 §4.5.3.1 minimums, Postfix's error limit)."""

    command_line: int = 512          # octets, CRLF included (§4.5.3.1.4)
    text_line: int = 1000            # octets per message line, CRLF included (§4.5.3.1.6)
    max_recipients: int = 100        # per transaction (§4.5.3.1.8)
    max_message_size: int = 10 * 1024 * 1024  # octets, announced as SIZE (RFC 1870)
    max_errors: int = 20             # error replies before 421 and close


@dataclass(frozen=True)
class SmtpSnapshot:
    """The protocol state: what a refused command must leave unchanged.

    ``recipients`` holds every accepted RCPT, repeats included (they count
    towards the limit); the delivery names each address once.
    """

    state: str
    helo: Optional[str]
    esmtp: bool
    mail_from: Optional[str]
    mail_params: tuple[tuple[str, Optional[str]], ...]
    recipients: tuple[str, ...]


class SmtpEngine:
    """One SMTP server conversation, without I/O. See the module docstring.

    ``relay_for_clients`` makes it a submission server (the sender's own
    provider, RFC 6409): a recipient in another domain gets ``250.relay_ok``
    and stays in the delivery, for the caller to relay. By default the engine
    is an MX that accepts mail only for its own domain (``550.relay_denied``).
    """

    def __init__(self, world: World, *, hostname: Optional[str] = None, limits: Optional[SmtpLimits] = None,
                 relay_for_clients: bool = False):
        self.world = world
        self.hostname = hostname or world.hostname
        self.limits = limits or SmtpLimits()
        # A submission server (the sender's own provider) relays for its clients:
        # a recipient in another domain is accepted and queued for relay. An MX
        # (the default) accepts mail only for its own domain (550 relay denied).
        self.relay_for_clients = relay_for_clients
        self._buf = bytearray()
        self._lines = LineReader(self.limits.command_line)
        self._reader: Optional[DataReader] = None
        self._snap = SmtpSnapshot("greeted", None, False, None, (), ())
        self._rcpt_seen = False
        self.errors = 0
        self.messages_accepted = 0
        self._handlers: dict[str, Callable[[Command], Outcome]] = {
            "HELO": self._helo, "EHLO": self._helo, "MAIL": self._mail, "RCPT": self._rcpt,
            "DATA": self._data, "RSET": self._rset, "NOOP": self._noop, "QUIT": self._quit,
            "VRFY": self._vrfy, "EXPN": self._expn, "HELP": self._help,
            "TURN": self._obsolete, "SEND": self._obsolete, "SOML": self._obsolete, "SAML": self._obsolete,
        }

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> str:
        """One of :data:`STATES`."""
        return self._snap.state

    @property
    def in_data(self) -> bool:
        """True while the engine reads message content (after 354)."""
        return self._snap.state == "data"

    def snapshot(self) -> SmtpSnapshot:
        """The protocol state (immutable, comparable); the input buffer is not part of it."""
        return self._snap

    def restore(self, snap: SmtpSnapshot) -> None:
        """Go back to a state taken with :meth:`snapshot`."""
        self._snap = snap
        self._reader = self._new_reader() if snap.state == "data" else None
        if snap.state not in ("mail", "rcpt", "data"):
            self._rcpt_seen = False

    def _set(self, **changes) -> None:
        self._snap = replace(self._snap, **changes)

    def _end_transaction(self, state: str = "ready") -> None:
        self._set(state=state, mail_from=None, mail_params=(), recipients=())
        self._rcpt_seen = False
        self._reader = None

    def _new_reader(self) -> DataReader:
        return DataReader(self.limits.text_line, self.limits.max_message_size)

    def phase_of(self, item: Union[Command, MessageData]) -> str:
        """The lecture's phase an input belongs to: establishment, transfer or termination."""
        if isinstance(item, MessageData):
            return "transfer"
        if item.verb == "QUIT" or self.state == "closed":
            return "termination"
        if item.verb in ("HELO", "EHLO") or self.state in ("greeted", "refused"):
            return "establishment"
        return "transfer"

    @property
    def phase(self) -> str:
        """The diagram band of the current state."""
        if self.state == "closed":
            return "termination"
        return "establishment" if self.state in ("greeted", "refused") else "transfer"

    # ----------------------------------------------------------- connection
    def fault_reply(self, code: int, text: Optional[str], stage: str) -> Reply:
        """The reply a fault rule sends: the catalogue's for the code, with the rule's text if any."""
        if text is None and stage == "greeting" and code in replies.GREETING_KEYS:
            return self._reply(replies.GREETING_KEYS[code])  # RFC 5321 3.1's wording for a refused greeting
        return replies.default_reply(code, text)

    def effect_failed(self, item: Union[Command, MessageData], error: Exception) -> Outcome:
        """The store could not take the message: 451, the client keeps it and retries (RFC 5321 §4.2.2)."""
        self._end_transaction()
        return self._say("451.local_error")

    def timeout_reply(self) -> Reply:
        return self._reply("421.timeout")

    def connection_closed(self) -> None:
        """Nothing to release: an unfinished transaction is simply forgotten."""

    def greeting(self) -> Reply:
        """The 220 the server opens with (fig. 14.6, step 1)."""
        return self._reply("220.ready")

    def refuse(self, reply: ReplyLike) -> None:
        """A fault replaced the greeting: after 554 only QUIT works; after 421 the connection is over."""
        if reply.code >= 500:
            self._set(state="refused")
        elif reply.code >= 400:
            self._set(state="closed")

    # ---------------------------------------------------------------- input
    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the client; nothing is parsed until :meth:`next_input`."""
        self._buf += data

    def next_input(self) -> Optional[Union[Command, MessageData]]:
        """The next complete command or message, or None until more bytes arrive."""
        if self.state == "closed":
            self._buf.clear()
            return None
        if self.state == "data":
            if self._reader is None:
                self._reader = self._new_reader()
            return self._reader.feed(self._buf)
        line = self._lines.next_line(self._buf)
        if line is None:
            return None
        return parse_command(*line)

    def handle(self, item: Union[Command, MessageData]) -> Outcome:
        """Answer one input from :meth:`next_input`."""
        if self.state == "closed":
            return Outcome(close=True)
        if isinstance(item, MessageData):
            outcome = self._message(item)
        else:
            outcome = self._command(item)
        self.errors += sum(1 for r in outcome.replies if r.code >= 400)
        return outcome

    # -------------------------------------------------------------- helpers
    def _reply(self, key: str, **params) -> Reply:
        return replies.reply(key, host=self.hostname, **params)

    def _say(self, key: str, **params) -> Outcome:
        return Outcome([self._reply(key, **params)])

    def _close(self, key: str) -> Outcome:
        self._end_transaction("closed")
        return Outcome([self._reply(key)], close=True)

    @staticmethod
    def _usage(verb: str) -> str:
        return replies.COMMANDS[verb].syntax

    def _syntax(self, cmd: Command) -> Outcome:
        """The reply to a known verb whose arguments the parser refused."""
        if cmd.problem == "missing_arg":
            return self._say("501.missing_argument", usage=self._usage(cmd.verb))
        if cmd.problem == "mailbox":
            return self._say("553.mailbox_name")
        if cmd.problem == "param_syntax":
            return self._say("501.param_syntax", param=cmd.params[0][0] if cmd.params else "")
        return self._say("501.syntax", usage=self._usage(cmd.verb))

    # ------------------------------------------------------------- commands
    def _command(self, cmd: Command) -> Outcome:
        if self.errors >= self.limits.max_errors:
            return self._close("421.too_many_errors")
        if cmd.problem == "http":
            # Postfix drops such clients without a word (smtpd_forbidden_commands).
            self._end_transaction("closed")
            return Outcome(close=True)
        if self.state == "refused":
            return self._quit(cmd) if cmd.verb == "QUIT" else self._say("503.refused")
        if self.state == "data":  # next_input never yields a command here; a caller's mistake
            return self._say("503.bad_sequence")
        if cmd.verb == "UNKNOWN":
            return self._say(_UNKNOWN_REPLY.get(cmd.problem or "", "500.unrecognized"))
        if cmd.problem == "eight_bit":
            return self._say("501.eight_bit")
        refusal = SEQUENCE.get(cmd.verb, {}).get(self.state)
        if refusal is not None:
            if cmd.verb == "DATA" and self.state == "mail" and self._rcpt_seen:
                refusal = "554.no_valid_recipients"  # RCPT came, but all were refused (RFC 5321 §3.3)
            return self._say(refusal)
        return self._handlers[cmd.verb](cmd)

    def _helo(self, cmd: Command) -> Outcome:
        if cmd.problem:
            return self._syntax(cmd)
        self._end_transaction()
        esmtp = cmd.verb == "EHLO"
        self._set(helo=cmd.arg, esmtp=esmtp)
        if esmtp:
            return self._say("250.ehlo", client=cmd.arg, size=self.limits.max_message_size)
        return self._say("250.helo", client=cmd.arg)

    def _check_params(self, cmd: Command, allowed: tuple[str, ...]) -> Optional[Outcome]:
        """None when every ESMTP parameter is acceptable, else the refusal."""
        if cmd.params and not self._snap.esmtp:
            return self._say("555.no_extensions", param=cmd.params[0][0])
        for keyword, value in cmd.params:
            if keyword not in allowed:
                return self._say("555.unknown_param", param=keyword)
            if keyword == "SIZE":
                if value is None or not value.isdigit() or len(value) > 20:
                    return self._say("501.param_syntax", param=f"SIZE={value or ''}")
                if int(value) > self.limits.max_message_size:
                    return self._say("552.too_big", limit=self.limits.max_message_size)
            elif keyword == "BODY":
                body = (value or "").upper()
                if body == "BINARYMIME":
                    return self._say("504.body_not_implemented")
                if body not in _ESMTP_BODY:
                    return self._say("501.param_syntax", param=f"BODY={value or ''}")
        return None

    def _mail(self, cmd: Command) -> Outcome:
        if cmd.problem:
            return self._syntax(cmd)
        refused = self._check_params(cmd, ("SIZE", "BODY"))
        if refused:
            return refused
        self._set(state="mail", mail_from=cmd.arg, mail_params=cmd.params, recipients=())
        self._rcpt_seen = False
        return self._say("250.sender_ok", addr=cmd.arg)

    def _rcpt(self, cmd: Command) -> Outcome:
        self._rcpt_seen = True
        if cmd.problem:
            return self._syntax(cmd)
        refused = self._check_params(cmd, ())
        if refused:
            return refused
        found = self.world.lookup(cmd.arg)
        if found.kind == "left":
            return self._say("551.user_not_local", forward=found.forward)
        if found.kind == "unknown":
            return self._say("550.no_such_user", addr=cmd.arg)
        if found.kind == "remote" and not self.relay_for_clients:
            return self._say("550.relay_denied", addr=cmd.arg)
        # Like Postfix, the limit counts accepted RCPT commands, repeats included.
        recipients = self._snap.recipients
        if len(recipients) >= self.limits.max_recipients:
            return self._say("452.too_many_recipients")
        self._set(state="rcpt", recipients=recipients + (found.address,))
        if found.kind == "moved":
            return self._say("251.will_forward", forward=found.forward)
        if found.kind == "list":
            return self._say("250.list_ok", addr=found.address, count=len(found.members))
        if found.kind == "remote":
            return self._say("250.relay_ok", addr=found.address, domain=found.domain)
        return self._say("250.recipient_ok", addr=cmd.arg)

    def _data(self, cmd: Command) -> Outcome:
        if cmd.problem:
            return self._syntax(cmd)
        self._set(state="data")
        self._reader = self._new_reader()
        return self._say("354.start_input")

    def _message(self, msg: MessageData) -> Outcome:
        if self.state != "data":
            return Outcome()
        snap = self._snap
        self._end_transaction()  # after the final ".", the transaction is over whatever happens
        if msg.problem == "line_too_long":
            return self._say("500.text_line_too_long")
        if msg.problem is not None:
            return self._say("552.too_big", limit=self.limits.max_message_size)
        self.messages_accepted += 1
        queue_id = f"MS{self.messages_accepted:06d}"
        recipients = tuple(dict.fromkeys(snap.recipients))  # each once, in order
        delivery = Delivery(snap.mail_from or "", recipients, msg.content,
                            helo=snap.helo or "", queue_id=queue_id)
        return Outcome([self._reply("250.queued", queue_id=queue_id)], deliveries=[delivery])

    def _rset(self, cmd: Command) -> Outcome:
        if cmd.problem:
            return self._syntax(cmd)
        if self.state in ("mail", "rcpt"):
            self._end_transaction()
        return self._say("250.reset")

    def _noop(self, cmd: Command) -> Outcome:
        return self._say("250.ok")

    def _quit(self, cmd: Command) -> Outcome:
        if cmd.problem:
            return self._syntax(cmd)
        return self._close("221.closing")

    def _target(self, arg: str):
        """What VRFY/EXPN ask about: an address, a bare name, or a user's full name."""
        text = arg.strip()
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        if " " in text:
            for user in self.world.users.values():
                if user.name.lower() == text.lower():
                    return self.world.lookup(user.login)
        return self.world.lookup(text)

    def _vrfy(self, cmd: Command) -> Outcome:
        if cmd.problem:
            return self._syntax(cmd)
        found = self._target(cmd.arg)
        if found.kind in ("local", "list"):
            return self._say("250.vrfy", name=found.name or found.local, addr=found.address)
        if found.kind == "moved":
            return self._say("251.will_forward", forward=found.forward)
        if found.kind == "left":
            return self._say("551.user_not_local", forward=found.forward)
        if found.kind == "remote":
            return self._say("252.cannot_vrfy", addr=found.address)
        return self._say("550.no_such_user", addr=cmd.arg)

    def _expn(self, cmd: Command) -> Outcome:
        if cmd.problem:
            return self._syntax(cmd)
        found = self._target(cmd.arg)
        if found.kind != "list":
            return self._say("550.not_a_list", addr=cmd.arg)
        rows = []
        for member in found.members:
            who = self.world.lookup(member)
            rows.append({"name": who.name or who.local, "addr": member})
        return Outcome([replies.reply_rows("250.expn", rows)])

    def _help(self, cmd: Command) -> Outcome:
        if not cmd.arg:
            return self._say("214.help")
        topic = cmd.arg.split()[0].upper()
        info = replies.COMMANDS.get(topic) or next(
            (c for c in replies.COMMANDS.values() if topic in c.aliases), None)
        if info is None:
            return self._say("504.help_topic", topic=cmd.arg)
        return self._say("214.help_command", syntax=info.syntax, summary=info.meaning["en"])

    def _obsolete(self, cmd: Command) -> Outcome:
        return self._say("502.obsolete", verb=cmd.verb)
