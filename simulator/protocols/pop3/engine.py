"""The sans-I/O POP3 server engine (RFC 1939, with RFC 2449's CAPA and response codes).

Theory of operation
-------------------
Driven like the SMTP engine (and h11): ``receive_data(bytes)`` only buffers,
``next_input()`` returns the next complete :class:`Command` (a line ending
in CRLF, or a bare LF for nc users) or ``None``, and ``handle(command)``
returns an :class:`Outcome` whose replies all come from the catalogue in
``pop3_replies.py``. Parsing lives in ``pop3_parse.py``.

States (``engine.state``, RFC 1939 §3)::

    greeting --> authorization --PASS/APOP ok--> transaction --QUIT--> update --> closed
                      |  ^                           |
                      |  '-- bad password, [IN-USE] -'  (stays in authorization)
                      '--QUIT--> closed    a dropped connection never reaches update

The maildrop is the user's INBOX in the realm given as ``mailboxes``. A
successful PASS or APOP takes the maildrop's exclusive lock
(``mailboxes.lock_maildrop(user, owner)``) and a listing: message numbers
1..n fixed for the session, each with its UID and size. DELE only marks a
number; RSET unmarks them all. QUIT in TRANSACTION enters UPDATE and returns
one ``Effect("delete", (user, "INBOX", uids))``: the session removes the
messages before sending the +OK, and only if that reply stands. The engine
itself never writes to the store.

Invariants: a -ERR leaves ``snapshot()`` as it was (except when the
connection closes); the engine holds the maildrop lock exactly while its
state is ``transaction`` or ``update``, and :meth:`restore` and
:meth:`connection_closed` re-establish that (a fault that refuses a PASS the
engine accepted gives the lock back). The error count is outside the
snapshot: it records what happened on the wire.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional, Union

from simulator.mail.world import World
from simulator.protocols.base import Command, Effect, Outcome, ReplyLike, StoreRefused
from simulator.protocols.pop3 import replies as replies
from simulator.protocols.pop3.parse import VERBS, LineReader, parse_command
from simulator.protocols.pop3.replies import ERR, OK, Pop3Reply

# Every command verb the engine knows, for validating fault rules.
STAGES: tuple[str, ...] = VERBS
STATES = ("authorization", "transaction", "update", "closed")
# The diagram's bands; the greeting belongs to "authorization".
PHASES = ("authorization", "transaction", "update")
INBOX = "INBOX"

# Wrong-state errors as data: verb -> {state: -ERR reply key}. States not listed allow the verb.
SEQUENCE: dict[str, dict[str, str]] = {
    **{verb: {"transaction": "err.already_authenticated"} for verb in ("USER", "PASS", "APOP")},
    **{verb: {"authorization": "err.not_authenticated"}
       for verb in ("STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL")},
}

# What an UNKNOWN command's problem earns.
_UNKNOWN_REPLY = {
    "line_too_long": "err.line_too_long",
    "nul": "err.nul_byte",
    "empty": "err.empty_line",
    "not_implemented": "err.not_implemented",
}
_ANY_STATE: dict[str, str] = {}
_MULTILINE = frozenset({"RETR", "TOP", "CAPA"})  # and LIST, UIDL without an argument
_MAX_VERB_ECHO = 40


@dataclass(frozen=True)
class Pop3Limits:
    """The server's limits: RFC 2449 §4's command line; an error limit like SMTP's."""

    command_line: int = 255  # octets, CRLF included
    max_errors: int = 20     # -ERR replies before the next command gets -ERR and a close


@dataclass(frozen=True)
class Pop3Snapshot:
    """The protocol state: what a refused command must leave unchanged.

    ``pending_user`` is the login USER named (None until then, and after a
    login). ``listing`` holds ``(uid, size)`` for messages 1..n as taken at
    login; ``deleted`` the message numbers DELE marked.
    """

    state: str = "authorization"
    pending_user: Optional[str] = None
    user: Optional[str] = None
    uidvalidity: int = 0
    listing: tuple[tuple[int, int], ...] = ()
    deleted: frozenset[int] = frozenset()


class Pop3Engine:
    """One POP3 server conversation, without I/O. See the module docstring."""

    def __init__(self, world: World, mailboxes: Any, *, owner: str, hostname: Optional[str] = None,
                 apop_stamp: Optional[str] = None, limits: Optional[Pop3Limits] = None):
        self.world = world
        self.mailboxes = mailboxes
        self.owner = owner
        self.hostname = hostname or world.hostname
        self.apop_stamp = apop_stamp or f"<1896.697170952@{self.hostname}>"
        self.limits = limits or Pop3Limits()
        self._buf = bytearray()
        self._lines = LineReader(self.limits.command_line)
        self._snap = Pop3Snapshot()
        self._held: Optional[str] = None  # whose maildrop lock this engine holds
        self._band = "authorization"
        self._last: Optional[Command] = None
        self.errors = 0
        # The store's cache of messages shared by every session (None for a store without one).
        self._shared_cache = getattr(getattr(mailboxes, "store", None), "parsed", None)
        if not hasattr(mailboxes, "has_message"):
            self._shared_cache = None
        self._listed_at: Any = None  # mailboxes.write_mark() when the listing was taken
        self._realm = getattr(mailboxes, "realm", "")
        self._handlers: dict[str, Callable[[Command], Outcome]] = {
            "USER": self._user, "PASS": self._pass, "APOP": self._apop, "STAT": self._stat,
            "LIST": self._list, "RETR": self._retr, "DELE": self._dele, "NOOP": self._noop,
            "RSET": self._rset, "QUIT": self._quit, "TOP": self._top, "UIDL": self._uidl,
            "CAPA": self._capa,
        }

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> str:
        """One of :data:`STATES`."""
        return self._snap.state

    @property
    def phase(self) -> str:
        """The diagram band of the current state; once closed, the band it closed in."""
        return self._band

    @property
    def user(self) -> Optional[str]:
        """The logged-in user, if any."""
        return self._snap.user

    def snapshot(self) -> Pop3Snapshot:
        """The protocol state (immutable, comparable); the input buffer is not part of it."""
        return self._snap

    def restore(self, snap: Pop3Snapshot) -> None:
        """Go back to a state taken with :meth:`snapshot`, and hold the maildrop lock only if it says so."""
        self._snap = snap
        if snap.state != "closed":
            self._band = snap.state
        self._sync_lock()

    def _set(self, **changes: Any) -> None:
        self._snap = replace(self._snap, **changes)
        if self._snap.state != "closed":
            self._band = self._snap.state

    def _sync_lock(self) -> None:
        """Hold the maildrop lock exactly while in TRANSACTION or UPDATE."""
        snap = self._snap
        wanted = snap.user if snap.state in ("transaction", "update") else None
        if self._held == wanted:
            return
        if self._held is not None:
            self.mailboxes.unlock_maildrop(self._held, self.owner)
            self._held = None
        if wanted is not None and self.mailboxes.lock_maildrop(wanted, self.owner):
            self._held = wanted

    def phase_of(self, item: Any) -> str:
        """The band an input belongs to: QUIT after login starts UPDATE; else the current state's."""
        if isinstance(item, Command) and item.verb == "QUIT" and self.state == "transaction":
            return "update"
        return self._band

    # ----------------------------------------------------------- connection
    def greeting(self) -> Pop3Reply:
        """The +OK the server opens with, carrying the APOP timestamp (RFC 1939 §4)."""
        return self._reply("ok.greeting", stamp=self.apop_stamp)

    def refuse(self, reply: ReplyLike) -> None:
        """A fault replaced the greeting: after a -ERR the connection is over."""
        if not reply.ok:
            self._set(state="closed")
            self._sync_lock()

    def fault_reply(self, code: str, text: Optional[str] = None, stage: Optional[str] = None) -> Pop3Reply:
        """What a fault rule's status looks like here.

        A -ERR instead of the greeting closes the connection (with the
        greeting's wording when the rule gives no text). A +OK to a command
        that answers with several lines gets an empty body and its final
        ".", so that the client is not left waiting for it.
        """
        if stage == "greeting":
            if code == ERR and text is None:
                return self._reply(replies.GREETING_KEYS[ERR])
            return replies.default_reply(code, text, closes=code == ERR)
        body = b"" if code == OK and self._answers_multiline(self._last) else None
        return replies.default_reply(code, text, body=body)

    def effect_failed(self, item: Any, error: Exception) -> Outcome:
        """The store could not remove the marked messages (RFC 1939 §6): -ERR, and close anyway."""
        self._set(state="update")
        self._sync_lock()
        return Outcome([self._reply("err.not_removed")], close=True)

    def timeout_reply(self) -> None:
        """None: on the idle timer a POP3 server closes without a word and without UPDATE (RFC 1939 §3)."""
        return None

    def connection_closed(self) -> None:
        """The connection ended, however: nothing more is read and the maildrop lock is released."""
        self._buf.clear()
        self._set(state="closed")
        self._sync_lock()

    # ---------------------------------------------------------------- input
    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the client; nothing is parsed until :meth:`next_input`."""
        if self.state in ("update", "closed"):
            return
        self._buf += data

    def next_input(self) -> Optional[Command]:
        """The next complete command, or None until more bytes arrive (or once the session is over)."""
        if self._snap.state in ("update", "closed"):
            self._buf.clear()
            return None
        line = self._lines.next_line(self._buf)
        if line is None:
            return None
        return parse_command(*line)

    def handle(self, item: Any) -> Outcome:
        """Answer one command from :meth:`next_input`; never raises, never writes to the store."""
        if self._snap.state in ("update", "closed"):
            return Outcome(close=True)
        if not isinstance(item, Command):
            return Outcome()
        self._last = item
        outcome = self._command(item)
        for reply in outcome.replies:
            if reply.code != OK:
                self.errors += 1
        self._sync_lock()
        return outcome

    # -------------------------------------------------------------- helpers
    def _reply(self, key: str, **params: Any) -> Pop3Reply:
        return replies.reply(key, host=self.hostname, **params)

    def _say(self, key: str, **params: Any) -> Outcome:
        return Outcome([self._reply(key, **params)])

    def _close(self, key: str) -> Outcome:
        self._set(state="closed")
        return Outcome([self._reply(key)], close=True)

    @staticmethod
    def _answers_multiline(cmd: Optional[Command]) -> bool:
        if cmd is None or cmd.problem:
            return False
        return cmd.verb in _MULTILINE or (cmd.verb in ("LIST", "UIDL") and not cmd.params)

    @staticmethod
    def _usage(verb: str) -> str:
        return replies.COMMANDS[verb].syntax

    def _syntax(self, cmd: Command) -> Outcome:
        """The reply to a known verb whose arguments the parser refused."""
        if cmd.problem == "missing_arg":
            return self._say("err.missing_argument", usage=self._usage(cmd.verb))
        if cmd.problem == "not_a_number":
            return self._say("err.not_a_number", arg=cmd.params[0][1] if cmd.params else "",
                             usage=self._usage(cmd.verb))
        return self._say("err.syntax", usage=self._usage(cmd.verb))

    def _visible(self) -> list[tuple[int, int, int]]:
        """``(number, uid, size)`` of every message not marked deleted."""
        snap = self._snap
        return [(n, uid, size) for n, (uid, size) in enumerate(snap.listing, 1) if n not in snap.deleted]

    def _totals(self) -> dict[str, int]:
        visible = self._visible()
        return {"count": len(visible), "octets": sum(size for _, _, size in visible)}

    def _message(self, token: Optional[str]) -> Union[tuple[int, int, int], Outcome]:
        """The message a number names as (n, uid, size), or the -ERR for a bad one (RFC 1939 §5)."""
        listing, n = self._snap.listing, int(token or "0")
        if not 1 <= n <= len(listing):
            return self._say("err.no_such_message", count=len(listing))
        if n in self._snap.deleted:
            return self._say("err.deleted", n=n)
        uid, size = listing[n - 1]
        return n, uid, size

    def _content(self, n: int, uid: int) -> Union[bytes, Outcome]:
        """The message's content (lines normalised), or the -ERR if it is gone from the store."""
        try:
            content = self.mailboxes.content(self._snap.user, INBOX, uid)
        except StoreRefused:
            return self._say("err.message_gone", n=n)
        return replies.normalize_lines(content)

    # ------------------------------------------------------------- commands
    def _command(self, cmd: Command) -> Outcome:
        if cmd.problem == "http":
            # Like the SMTP engine (and Postfix): an HTTP request gets no answer, only a close.
            self._set(state="closed")
            return Outcome(close=True)
        if self.errors >= self.limits.max_errors:
            return self._close("err.too_many_errors")
        if cmd.verb == "UNKNOWN":
            verb = (cmd.line.split() or [""])[0][:_MAX_VERB_ECHO].upper()
            key = _UNKNOWN_REPLY.get(cmd.problem or "", "err.unknown_command")
            return self._say(key, verb=verb, limit=self.limits.command_line)
        if cmd.problem == "eight_bit":
            return self._say("err.eight_bit")
        refusal = SEQUENCE.get(cmd.verb, _ANY_STATE).get(self._snap.state)
        if refusal is not None:
            return self._say(refusal)
        if cmd.verb == "PASS" and self._snap.pending_user is None:
            return self._say("err.need_user")
        if cmd.problem:
            return self._syntax(cmd)
        return self._handlers[cmd.verb](cmd)

    def _arg(self, cmd: Command, name: str) -> Optional[str]:
        for key, value in cmd.params:
            if key == name:
                return value
        return None

    def _login_name(self, name: str) -> Optional[str]:
        """The local user a login name means: any case, bare or as a full address."""
        found = self.world.lookup(name)
        return found.user if found.kind == "local" else None

    def _user(self, cmd: Command) -> Outcome:
        name = self._arg(cmd, "name") or ""
        self._set(pending_user=name)
        return self._say("ok.user", user=name)

    def _pass(self, cmd: Command) -> Outcome:
        user = self._login_name(self._snap.pending_user or "")
        if user is None or not self.world.authenticate(user, self._arg(cmd, "string") or ""):
            # PASS may only follow a successful USER (RFC 1939 §7): the next try starts with USER.
            self._set(pending_user=None)
            return self._say("err.auth_failed")
        return self._login(user)

    def _apop(self, cmd: Command) -> Outcome:
        user = self._login_name(self._arg(cmd, "name") or "")
        account = self.world.users.get(user) if user else None
        digest = (self._arg(cmd, "digest") or "").lower()
        if user is None or account is None:
            return self._say("err.apop_failed")
        expected = hashlib.md5((self.apop_stamp + account.password).encode("utf-8")).hexdigest()
        if not hmac.compare_digest(digest.encode("ascii", "replace"), expected.encode("ascii")):
            return self._say("err.apop_failed")
        return self._login(user)

    def _login(self, user: str) -> Outcome:
        """Lock the maildrop and take its listing; TRANSACTION begins (RFC 1939 §4)."""
        if not self.mailboxes.lock_maildrop(user, self.owner):
            return self._say("err.in_use", user=user)
        self._held = user
        # Taken before the listing: while it stays the same, every message listed is still there.
        self._listed_at = self.mailboxes.write_mark() if self._shared_cache is not None else None
        try:
            uidvalidity = self.mailboxes.folder(user, INBOX).uidvalidity
            listing = tuple((m.uid, m.size) for m in self.mailboxes.listing(user, INBOX))
        except StoreRefused:
            self._sync_lock()  # still in AUTHORIZATION: give the lock back
            return self._say("err.maildrop_unavailable", user=user)
        self._set(state="transaction", pending_user=None, user=user, uidvalidity=uidvalidity,
                  listing=listing, deleted=frozenset())
        return self._say("ok.login", user=user, **self._totals())

    def _stat(self, cmd: Command) -> Outcome:
        return self._say("ok.stat", **self._totals())

    def _list(self, cmd: Command) -> Outcome:
        token = self._arg(cmd, "msg")
        if token is None:
            rows = [{"n": n, "size": size} for n, _, size in self._visible()]
            return Outcome([self._reply_rows("ok.list", rows, **self._totals())])
        found = self._message(token)
        if isinstance(found, Outcome):
            return found
        return self._say("ok.list_one", n=found[0], size=found[2])

    def _reply_rows(self, key: str, rows: list[dict], **params: Any) -> Pop3Reply:
        return replies.reply(key, rows=rows, host=self.hostname, **params)

    def _retr(self, cmd: Command) -> Outcome:
        found = self._message(self._arg(cmd, "msg"))
        if isinstance(found, Outcome):
            return found
        n, uid, _ = found
        # A message's content never changes, so its +OK reply (wire form and
        # transcript text built once) is kept in the store's cache shared by
        # every session, as IMAP keeps parsed messages; the store is still
        # asked whether the message is there (another session may have removed it).
        cache = self._shared_cache
        key = ("pop3.retr", self._realm, self._snap.user, self._snap.uidvalidity, uid)
        cached = cache.get(key) if cache is not None else None
        if cached is not None:
            if self._listed_at is not None and self.mailboxes.write_mark() == self._listed_at:
                return Outcome([cached])  # nothing written since the listing: the message is there
            try:
                there = self.mailboxes.has_message(self._snap.user, INBOX, uid)
            except StoreRefused:
                there = False
            return Outcome([cached]) if there else self._say("err.message_gone", n=n)
        content = self._content(n, uid)
        if isinstance(content, Outcome):
            return content
        reply = replies.reply("ok.retr", body=content, octets=len(content))
        if cache is not None:
            reply.wire()
            cache.put(key, reply, 2 * len(reply.wire()) + len(reply.text))
        return Outcome([reply])

    def _top(self, cmd: Command) -> Outcome:
        found = self._message(self._arg(cmd, "msg"))
        if isinstance(found, Outcome):
            return found
        content = self._content(found[0], found[1])
        if isinstance(content, Outcome):
            return content
        lines = int(self._arg(cmd, "n") or "0")
        if content.startswith(b"\r\n"):
            end = 2  # no headers at all: just the blank line
        else:
            blank = content.find(b"\r\n\r\n")
            end = len(content) if blank < 0 else blank + 4
        head, body = content[:end], content[end:]
        shown = b"".join(body.splitlines(keepends=True)[:lines]) if lines else b""
        return Outcome([replies.reply("ok.top", body=head + shown, n=found[0])])

    def _dele(self, cmd: Command) -> Outcome:
        found = self._message(self._arg(cmd, "msg"))
        if isinstance(found, Outcome):
            return found
        self._set(deleted=self._snap.deleted | {found[0]})
        return self._say("ok.dele", n=found[0])

    def _noop(self, cmd: Command) -> Outcome:
        return self._say("ok.noop")

    def _rset(self, cmd: Command) -> Outcome:
        self._set(deleted=frozenset())
        return self._say("ok.rset", **self._totals())

    def _uid(self, uid: int) -> str:
        """The UIDL unique-id: stable across sessions while the INBOX keeps its UIDVALIDITY."""
        return f"{self._snap.uidvalidity}.{uid}"

    def _uidl(self, cmd: Command) -> Outcome:
        token = self._arg(cmd, "msg")
        if token is None:
            rows = [{"n": n, "uid": self._uid(uid)} for n, uid, _ in self._visible()]
            return Outcome([self._reply_rows("ok.uidl", rows)])
        found = self._message(token)
        if isinstance(found, Outcome):
            return found
        return self._say("ok.uidl_one", n=found[0], uid=self._uid(found[1]))

    def _capa(self, cmd: Command) -> Outcome:
        return Outcome([self._reply_rows("ok.capa", replies.capability_rows())])

    def _quit(self, cmd: Command) -> Outcome:
        snap = self._snap
        if snap.state == "authorization":
            return self._close("ok.quit")
        # UPDATE (RFC 1939 §6): the session removes the marked messages before the +OK goes out.
        uids = tuple(sorted(snap.listing[n - 1][0] for n in snap.deleted))
        left = len(snap.listing) - len(snap.deleted)
        self._set(state="update")
        key = "ok.quit_empty" if left == 0 else "ok.quit_one" if left == 1 else "ok.quit_update"
        effects = [Effect("delete", (snap.user, INBOX, uids))] if uids else []
        return Outcome([self._reply(key, left=left)], effects=effects, close=True)
