"""The sans-I/O IMAP4rev1 server engine (RFC 3501), for imaplib, curl and Thunderbird.

Theory of operation
-------------------
Driven like the SMTP engine (and h11):

* ``receive_data(bytes)`` only appends to the input buffer.
* ``next_input()`` takes one complete input off it. In command mode that is
  an :class:`~.imap_parse.ImapCommand`: a line, or several joined by
  literals. When a line ends with a synchronising literal ``{n}``, the input
  is a pseudo-command with verb ``"+"``; handling it answers "+ Ready for
  literal data" (a literal over ``limits.max_literal`` is refused at once,
  and the client then does not send it). ``{n+}`` (LITERAL+) needs no "+".
  After AUTHENTICATE PLAIN without an initial response the next line is an
  ``AUTH_DATA`` input; during IDLE it is ``DONE``.
* ``handle(input)`` returns an :class:`~.base.Outcome`: one
  :class:`~.imap_replies.ImapReply` (untagged data lines, then the tagged
  status), and the store changes as :class:`~.base.Effect`\\ s, which the
  session commits before writing the reply, or drops (restoring the
  snapshot) when a fault refuses the command.

States (``engine.state``, also the diagram's bands)::

    not_authenticated --LOGIN/AUTHENTICATE--> authenticated --SELECT/EXAMINE--> selected
            |                                   ^        |                        |
            |                                   '--------+---- CLOSE, failed SELECT
            '------------- LOGOUT (any state), BYE ------------> logout

Which commands a state allows is data (``imap_replies.COMMANDS[verb].states``);
anything else gets BAD and changes nothing. A command answered NO or BAD
leaves ``snapshot()`` unchanged, with two exceptions the RFC makes: a failed
SELECT/EXAMINE leaves no folder selected (§6.3.1), and a refused
AUTHENTICATE response or a wrong DONE ends that exchange.

The selected folder
-------------------
The engine keeps its own view of the selected folder (sequence number ->
UID, flags, size, internal date) and updates it as if its effects had
happened. Before each command, and in :meth:`poll` during IDLE, it compares
``mailboxes.version()``; if another session changed the folder it re-reads
the listing and reports ``* n EXPUNGE``, ``* n EXISTS``, ``* n RECENT`` and
``* n FETCH (FLAGS ...)``. EXPUNGE is never sent during FETCH, STORE or
SEARCH (§7.4.1): such messages stay in the view as ``gone`` until a command
that may report them.

\\Recent is approximated per session: a message is recent for this session
if it arrived after the session selected the folder, or if it was there at
SELECT, is not \\Seen, and the session had not reported it before.
"""
from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from dataclasses import replace
from typing import Any, Callable, Optional

from simulator import __version__
from simulator.mail.world import World
from simulator.protocols.base import Outcome, ReplyLike, StoreRefused
from simulator.protocols.imap import replies as replies
from simulator.protocols.imap.fetch import SYSTEM_FLAGS, MessageCommands, flag_bytes, has_flag, keywords_of, same_flags
from simulator.protocols.imap.folders import FolderCommands
from simulator.protocols.imap.parse import (
    UID_VERBS,
    VERBS,
    CommandReader,
    ImapCommand,
    parse_command,
    partial_command,
    quote,
    simple_line,
)
from simulator.protocols.imap.replies import ImapReply, untagged
from simulator.protocols.imap.search import SearchCommand
from simulator.protocols.imap.state import Entry, ImapLimits, ImapSnapshot
from simulator.protocols.smtp.parse import LineReader

# Every command verb the engine answers, UID forms as two words (fault rules may name them).
STAGES: tuple[str, ...] = VERBS + tuple("UID " + v for v in UID_VERBS)
STATES = ("not_authenticated", "authenticated", "selected", "logout")
PHASES = STATES

# Commands before which the selected folder is not re-synchronised (they leave it).
_NO_SYNC = frozenset({"SELECT", "EXAMINE", "CLOSE", "LOGOUT"})
# ... and during which EXPUNGE may not be sent (RFC 3501 §7.4.1).
_NO_EXPUNGE = frozenset({"FETCH", "STORE", "SEARCH"})

# Problems found before the verb is known to be usable here.
_PROBLEM_REPLY = {
    "empty": "bad.empty", "no_tag": "bad.no_tag", "missing_command": "bad.missing_command",
    "nul": "bad.nul", "not_implemented": "bad.starttls",
}


class ImapEngine(FolderCommands, MessageCommands, SearchCommand):
    """One IMAP server conversation, without I/O. See the module docstring."""

    StoreError = StoreRefused

    def __init__(self, world: World, mailboxes: Any, *, now: Callable[[], float],
                 hostname: Optional[str] = None, limits: Optional[ImapLimits] = None):
        self.world = world
        self.mb = mailboxes
        self.now = now
        self.hostname = hostname or world.hostname
        self.limits = limits or ImapLimits()
        self._buf = bytearray()
        self._reader = CommandReader(self.limits.command_line, self.limits.max_literal)
        self._lines = LineReader(self.limits.command_line)
        self._snap = ImapSnapshot()
        self._version: Optional[int] = None
        self._tag: Optional[str] = None
        self._last: Optional[str] = None
        self._cache: OrderedDict = OrderedDict()
        # The store's cache shared by every session (a message's content never changes), if it has one.
        self._shared = getattr(getattr(mailboxes, "store", None), "parsed", None)
        self._realm = getattr(mailboxes, "realm", "")
        self._no_gone: Optional[tuple] = None  # a view known to have no message marked gone
        self.errors = 0
        self.auth_failures = 0
        self._handlers: dict[str, Callable[[ImapCommand], Outcome]] = {
            "CAPABILITY": self._capability, "NOOP": self._noop, "LOGOUT": self._logout,
            "LOGIN": self._login, "AUTHENTICATE": self._authenticate, "SELECT": self._select,
            "EXAMINE": self._select, "CREATE": self._create, "DELETE": self._delete, "RENAME": self._rename,
            "SUBSCRIBE": self._subscribe, "UNSUBSCRIBE": self._subscribe, "LIST": self._list,
            "LSUB": self._list, "STATUS": self._status, "APPEND": self._append, "CHECK": self._check,
            "CLOSE": self._close, "EXPUNGE": self._expunge, "SEARCH": self._search, "FETCH": self._fetch,
            "STORE": self._store, "COPY": self._copy, "UID SEARCH": self._search, "UID FETCH": self._fetch,
            "UID STORE": self._store, "UID COPY": self._copy, "ID": self._id, "NAMESPACE": self._namespace,
            "IDLE": self._idle,
        }

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> str:
        """One of :data:`STATES`."""
        return self._snap.state

    @property
    def phase(self) -> str:
        """The diagram band: the state's name."""
        return self._snap.state

    @property
    def user(self) -> Optional[str]:
        return self._snap.user

    @property
    def buffered(self) -> int:
        """Octets of client input held: the buffer and a partial command (tests check it stays small)."""
        return len(self._buf) + self._reader.held

    @property
    def mid_command(self) -> bool:
        """Input of an unfinished command is buffered, or the rest of a refused one is being skipped."""
        return bool(self._buf) or self._reader.busy

    def snapshot(self) -> ImapSnapshot:
        """The protocol state (immutable, comparable); input buffers are not part of it."""
        return self._snap

    def restore(self, snap: ImapSnapshot) -> None:
        """Go back to a state taken with :meth:`snapshot` (a fault refused the last input)."""
        if snap.mode != "command" and self._last in ("AUTH_DATA", "DONE"):
            snap = replace(snap, mode="command", pending=None)  # the exchange ended anyway
        self._snap = snap
        self._version = None  # compare the folder again before the next answer
        if self._reader.parts:  # a literal asked for with "+" will not come now
            self._reader.cancel()

    def _set(self, **changes: Any) -> None:
        self._snap = replace(self._snap, **changes)

    def phase_of(self, item: Any) -> str:
        """The diagram band an input belongs to: the state it arrives in (LOGOUT: logout)."""
        if getattr(item, "verb", None) == "LOGOUT" or self.state == "logout":
            return "logout"
        return self.state

    # ----------------------------------------------------------- connection
    def greeting(self) -> ImapReply:
        """The untagged OK the server opens with, listing its capabilities."""
        return self._reply("ok.greeting", caps=replies.CAPABILITIES)

    def refuse(self, reply: ReplyLike) -> None:
        """A fault replaced the greeting: BYE ends the connection; PREAUTH logs in the world's first user."""
        if reply.code == "BYE":
            self._set(state="logout")
        elif reply.code == "PREAUTH":
            self._set(state="authenticated", user=next(iter(self.world.users)))

    def fault_reply(self, code: str, text: Optional[str] = None, stage: Optional[str] = None) -> ImapReply:
        """A fault rule's status: tagged with the current command's tag; BYE/PREAUTH and greetings untagged."""
        tag = None if stage == "greeting" or code in ("BYE", "PREAUTH") else self._tag
        return replies.default_reply(code, text, tag=tag, host=self.hostname,
                                     caps=replies.CAPABILITIES)

    def effect_failed(self, item: Any, error: Exception) -> Outcome:
        """The store refused this command's effects (the session has restored the snapshot)."""
        self._version = None
        kind = _error_kind(error)
        verb = getattr(item, "verb", "")
        args = getattr(item, "args", None)
        mailbox = getattr(item, "arg", "")
        if verb in ("COPY", "UID COPY", "RENAME") and isinstance(args, tuple):
            mailbox = args[1] if kind != "NoSuchMailbox" or verb != "RENAME" else args[0]
        if kind == "NoSuchMailbox":
            key = "no.trycreate" if verb in ("APPEND", "COPY", "UID COPY") else "no.nonexistent"
        elif kind == "MailboxExists":
            key = "no.alreadyexists"
        elif kind == "CannotDelete":
            key = "no.cannot_delete_inbox" if mailbox == "INBOX" else "no.has_children"
        elif kind == "BadMailboxName":
            key = "no.bad_name"
        elif kind == "NoSuchMessage":
            key = "no.expungeissued"
        else:
            key = "no.store_failed"
        return Outcome([self._reply(key, tag=getattr(item, "tag", None), mailbox=mailbox)])

    def timeout_reply(self) -> ImapReply:
        """RFC 3501 §5.4's autologout."""
        return self._reply("bye.autologout")

    def connection_closed(self) -> None:
        """The connection ended: nothing is locked; forget the cached messages."""
        self._cache.clear()

    # ---------------------------------------------------------------- input
    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the client; nothing is parsed until :meth:`next_input`."""
        self._buf += data

    def next_input(self) -> Optional[ImapCommand]:
        """The next complete input, or None until more bytes arrive."""
        if self.state == "logout":
            self._buf.clear()
            return None
        mode = self._snap.mode
        if mode != "command":
            got = self._lines.next_line(self._buf)
            if got is None:
                return None
            return simple_line(got[0], got[1], "AUTH_DATA" if mode == "auth" else "DONE", self._snap.pending)
        event = self._reader.next(self._buf)
        if event is None:
            return None
        kind, parts = event
        try:
            return self._parse(kind, parts)
        except Exception:  # noqa: BLE001 - a parser bug must cost one command, not the connection
            self._reader.cancel()
            return ImapCommand("UNKNOWN", "", "", "serverbug")

    def _parse(self, kind: str, parts: list[bytes]) -> ImapCommand:
        if kind == "command":
            return parse_command(parts)
        if kind == "continue":
            cmd = partial_command(parts)
            if cmd.verb != "+":
                self._reader.cancel()  # refused now: the client will not send the literal
            return cmd
        return partial_command(parts, "line_too_long" if kind == "too_long" else "literal_too_big")

    def handle(self, item: Any) -> Outcome:
        """Answer one input from :meth:`next_input`; never raises."""
        if self.state == "logout":
            return Outcome(close=True)
        snap = self._snap
        self._tag = getattr(item, "tag", None)
        self._last = getattr(item, "verb", None)
        try:
            outcome = self._dispatch(item)
        except Exception:  # noqa: BLE001 - a bug must cost one command, not the connection
            self._snap = snap
            self._version = None
            outcome = Outcome([self._reply("no.serverbug", tag=self._tag)])
        self.errors += sum(1 for r in outcome.replies if r.code == "BAD")
        return outcome

    def poll(self) -> Optional[Outcome]:
        """During IDLE: the untagged updates if the selected folder changed, else None."""
        if self._snap.mode != "idle" or self.state != "selected":
            return None
        lines, gone = self._sync(expunge=True)
        if gone is not None:
            return gone
        if not lines:
            return None
        return Outcome([self._reply("ok.update", untagged=tuple(lines))])

    # -------------------------------------------------------------- helpers
    def _reply(self, key: str, tag: Optional[str] = None, **params: Any) -> ImapReply:
        return replies.reply(key, tag=tag if tag is not None else self._tag, host=self.hostname, **params)

    def _say(self, key: str, **params: Any) -> Outcome:
        return Outcome([self._reply(key, **params)])

    def _bye(self, key: str, before: tuple[ImapReply, ...] = ()) -> Outcome:
        self._set(state="logout", mode="command", pending=None)
        return Outcome(list(before) + [self._reply(key)], close=True)

    def _deselect(self) -> None:
        self._set(state="authenticated", mailbox=None, read_only=False, uidvalidity=0, view=(),
                  recent=frozenset(), keywords=())
        self._version = None

    def _announce(self, top: int) -> None:
        """Remember that this session has reported the selected folder's messages up to UID ``top``."""
        snap = self._snap
        assert snap.mailbox is not None  # only with a folder selected
        rest = tuple(a for a in snap.announced if a[0] != snap.mailbox)
        old = self._announced(snap.mailbox, snap.uidvalidity)
        self._set(announced=rest + ((snap.mailbox, snap.uidvalidity, max(old, top)),))

    # ------------------------------------------------------------- commands
    def _dispatch(self, cmd: ImapCommand) -> Outcome:
        verb = cmd.verb
        if verb == "+":
            return self._continue(cmd)
        if verb == "AUTH_DATA":
            return self._auth_data(cmd)
        if verb == "DONE":
            return self._done(cmd)
        problem = cmd.problem
        if problem == "http":  # a browser or a cross-protocol attack: drop it without a word
            self._set(state="logout")
            return Outcome(close=True)
        if self.errors >= self.limits.max_errors:
            return self._bye("bye.too_many_errors")
        if problem in _PROBLEM_REPLY:
            return self._say(_PROBLEM_REPLY[problem])
        if problem == "serverbug":
            return self._say("no.serverbug")
        if problem == "line_too_long":
            return self._say("bad.line_too_long", limit=self.limits.command_line)
        if problem == "literal_too_big":
            if verb == "APPEND":
                return self._say("no.toobig", limit=self.limits.max_literal)
            return self._say("bad.literal_too_big", limit=self.limits.max_literal)
        if problem == "unrecognized":
            return self._say("bad.unknown", verb=cmd.arg)
        refusal = self._state_refusal(verb)
        if refusal is not None:
            return refusal
        if problem == "flag":
            return self._say("bad.flag", flag=cmd.detail)
        if problem == "section":
            return self._say("bad.section", section=cmd.detail)
        if problem == "extended_list":
            return self._say("bad.extended_list")
        if problem is not None:
            return self._say("bad.syntax", verb=verb, detail=cmd.detail or problem)
        lines: list[bytes] = []
        if verb not in _NO_SYNC:
            lines, gone = self._sync(expunge=verb not in _NO_EXPUNGE)
            if gone is not None:
                return gone
        outcome = self._handlers[verb](cmd)
        if lines and outcome.replies:
            outcome.replies[0] = outcome.replies[0].with_lines(tuple(lines))
        return outcome

    def _state_refusal(self, verb: str) -> Optional[Outcome]:
        if self.state in replies.COMMANDS[verb].states:
            return None
        if self.state == "not_authenticated":
            return self._say("bad.not_authenticated", verb=verb)
        if verb in ("LOGIN", "AUTHENTICATE"):
            return self._say("bad.already_authenticated", verb=verb)
        return self._say("bad.not_selected", verb=verb)

    def _continue(self, cmd: ImapCommand) -> Outcome:
        """A line ended with {n}: agree to receive the literal, unless the command cannot be served now."""
        verb = cmd.args
        if self.errors >= self.limits.max_errors:
            self._reader.cancel()
            return self._bye("bye.too_many_errors")
        refusal = self._state_refusal(verb) if verb in replies.COMMANDS else None
        if refusal is not None:
            self._reader.cancel()
            return refusal
        self._reader.grant()
        return Outcome([self._reply("cont.literal")])

    # -- any state
    def _capability(self, cmd: ImapCommand) -> Outcome:
        caps = replies.CAPABILITIES if self.state == "not_authenticated" else replies.CAPABILITIES_AUTHENTICATED
        return self._say("ok.capability", untagged=(b"* CAPABILITY " + caps.encode("ascii"),))

    def _noop(self, cmd: ImapCommand) -> Outcome:
        return self._say("ok.noop")

    def _logout(self, cmd: ImapCommand) -> Outcome:
        self._set(state="logout", mode="command", pending=None)
        bye = untagged("bye_logout", host=self.hostname)
        return Outcome([self._reply("ok.logout", untagged=(bye,))], close=True)

    def _id(self, cmd: ImapCommand) -> Outcome:
        fields = (("name", "MailSim"), ("version", __version__), ("vendor", "MailSim"),
                  ("support-url", f"http://{self.hostname}/"))
        body = b" ".join(quote(k) + b" " + quote(v) for k, v in fields)
        return self._say("ok.id", untagged=(b"* ID (" + body + b")",))

    # -- not authenticated
    def _login(self, cmd: ImapCommand) -> Outcome:
        user, password = cmd.args
        if not self.world.authenticate(user, password):
            return self._auth_failed()
        return self._logged_in(user, "ok.login")

    def _authenticate(self, cmd: ImapCommand) -> Outcome:
        mechanism, initial = cmd.args
        if mechanism != "PLAIN":
            return self._say("no.mechanism", mech=mechanism)
        if initial is None:
            self._set(mode="auth", pending=cmd.tag)
            return self._say("cont.auth")
        return self._plain(initial)

    def _auth_data(self, cmd: ImapCommand) -> Outcome:
        self._set(mode="command", pending=None)
        if cmd.problem == "line_too_long":
            return self._say("bad.line_too_long", limit=self.limits.command_line)
        if cmd.problem is not None:
            return self._say("bad.auth_base64")
        if cmd.args == "*":
            return self._say("bad.auth_cancelled")
        return self._plain(cmd.args)

    def _plain(self, data: str) -> Outcome:
        """SASL PLAIN (RFC 4616): base64 of authzid NUL authcid NUL password; "=" is an empty response."""
        try:
            raw = b"" if data == "=" else base64.b64decode(data.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return self._say("bad.auth_base64")
        fields = raw.split(b"\x00")
        if len(fields) != 3:
            return self._auth_failed()
        authz, user, password = (f.decode("utf-8", "replace") for f in fields)
        if authz and authz.lower() != user.lower():
            return self._say("no.authz_failed")
        if not self.world.authenticate(user, password):
            return self._auth_failed()
        return self._logged_in(user, "ok.authenticate")

    def _logged_in(self, user: str, key: str) -> Outcome:
        self.auth_failures = 0
        self._set(state="authenticated", user=user.lower())
        return self._say(key, caps=replies.CAPABILITIES_AUTHENTICATED)

    def _auth_failed(self) -> Outcome:
        self.auth_failures += 1
        refusal = self._reply("no.auth_failed")
        if self.auth_failures >= self.limits.max_auth_failures:
            return self._bye("bye.too_many_auth", before=(refusal,))
        return Outcome([refusal])

    # -- authenticated
    def _namespace(self, cmd: ImapCommand) -> Outcome:
        return self._say("ok.namespace", untagged=(b'* NAMESPACE (("" "/")) NIL NIL',))

    def _idle(self, cmd: ImapCommand) -> Outcome:
        self._set(mode="idle", pending=cmd.tag)
        return self._say("cont.idle")

    def _done(self, cmd: ImapCommand) -> Outcome:
        self._set(mode="command", pending=None)
        if cmd.problem is not None or (cmd.args or "").upper() != "DONE":
            return self._say("bad.expected_done")
        lines, gone = self._sync(expunge=True)
        if gone is not None:
            return gone
        return self._say("ok.idle", untagged=tuple(lines))

    def _select(self, cmd: ImapCommand) -> Outcome:
        name = cmd.args
        read_only = cmd.verb == "EXAMINE"
        self._deselect()  # even if this SELECT fails, no folder stays selected (RFC 3501 §6.3.1)
        user = self._snap.user
        try:
            folder = self.mb.folder(user, name)
            listing = self.mb.listing(user, folder.name)
        except StoreRefused:
            return self._say("no.nonexistent", mailbox=name)
        reported = self._announced(folder.name, folder.uidvalidity)
        recent = frozenset(m.uid for m in listing if m.uid > reported and not has_flag(m.flags, "\\Seen"))
        view = tuple(Entry(m.uid, tuple(m.flags), m.internal_date, m.size) for m in listing)
        keywords: list[str] = []
        for m in listing:
            for keyword in keywords_of(tuple(m.flags)):
                if not has_flag(tuple(keywords), keyword):
                    keywords.append(keyword)
        self._set(state="selected", mailbox=folder.name, read_only=read_only, uidvalidity=folder.uidvalidity,
                  view=view, recent=recent, keywords=tuple(keywords))
        if listing:
            self._announce(listing[-1].uid)
        self._version = folder.version
        lines = self._flags_lines()
        lines += [b"* %d EXISTS" % len(view), b"* %d RECENT" % len(recent)]
        unseen = next((i for i, e in enumerate(view, 1) if not has_flag(e.flags, "\\Seen")), None)
        if unseen is not None:
            lines.append(untagged("unseen", number=unseen))
        lines += [untagged("uidvalidity", number=folder.uidvalidity), untagged("uidnext", number=folder.uidnext)]
        return self._say("ok.examine" if read_only else "ok.select", untagged=tuple(lines))

    # ---------------------------------------------------------- other sessions
    def _has_gone(self, view: tuple) -> bool:
        """Whether a message of ``view`` is marked gone (remembered for the last view without any)."""
        if view is self._no_gone:
            return False
        if any(e.gone for e in view):
            return True
        self._no_gone = view
        return False

    def _sync(self, expunge: bool) -> tuple[list[bytes], Optional[Outcome]]:
        """Untagged updates about changes other sessions made to the selected folder, and the view updated.

        Returns (lines, None), or ([], BYE outcome) if the folder is gone.
        """
        snap = self._snap
        if snap.state != "selected":
            return [], None
        try:
            version = self.mb.version(snap.user, snap.mailbox)  # cheap: one indexed row
        except StoreRefused:
            return [], self._bye("bye.mailbox_gone")
        if version == self._version and snap.uidvalidity and not (expunge and self._has_gone(snap.view)):
            return [], None
        try:
            folder = self.mb.folder(snap.user, snap.mailbox)
            listing = {m.uid: m for m in self.mb.listing(snap.user, snap.mailbox)}
        except StoreRefused:
            return [], self._bye("bye.mailbox_gone")
        if snap.uidvalidity and folder.uidvalidity != snap.uidvalidity:
            return [], self._bye("bye.mailbox_gone")
        if not snap.uidvalidity:  # renamed by this session: same messages, new UIDVALIDITY
            self._set(uidvalidity=folder.uidvalidity)
        snap = self._snap
        lines: list[bytes] = []
        kept: list[Entry] = []
        recent = set(snap.recent)
        for entry in snap.view:
            if entry.gone or entry.uid not in listing:
                if expunge:
                    lines.append(b"* %d EXPUNGE" % (len(kept) + 1))
                    recent.discard(entry.uid)
                    continue
                entry = replace(entry, gone=True)
            kept.append(entry)
        changed: list[bytes] = []
        for i, entry in enumerate(kept):
            info = listing.get(entry.uid)
            if info is not None and not entry.gone and not same_flags(tuple(info.flags), entry.flags):
                kept[i] = entry = replace(entry, flags=tuple(info.flags))
                changed.append(b"* %d FETCH (UID %d FLAGS " % (i + 1, entry.uid)
                               + flag_bytes(entry.flags, entry.uid in recent) + b")")
        top = max((e.uid for e in kept), default=0)
        arrived = [m for uid, m in sorted(listing.items()) if uid > top]
        for m in arrived:
            kept.append(Entry(m.uid, tuple(m.flags), m.internal_date, m.size))
            recent.add(m.uid)
        self._set(view=tuple(kept), recent=frozenset(recent))
        flag_lines = self._keyword_lines([tuple(m.flags) for m in listing.values()])
        lines += flag_lines + changed
        if arrived:
            self._announce(arrived[-1].uid)
            lines += [b"* %d EXISTS" % len(kept), b"* %d RECENT" % len(recent)]
        self._version = version
        return lines, None


def _error_kind(error: BaseException) -> str:
    """The mail store's error class name (NoSuchMailbox, MailboxExists...), or "" for anything else."""
    known = {"NoSuchMailbox", "NoSuchMessage", "MailboxExists", "BadMailboxName", "CannotDelete"}
    for cls in type(error).__mro__:
        if cls.__name__ in known:
            return cls.__name__
    return ""


__all__ = ["ImapEngine", "ImapLimits", "ImapSnapshot", "STAGES", "STATES", "PHASES", "SYSTEM_FLAGS"]
