"""The IMAP engine's folder commands: the lecture's "folders on the server, in a hierarchy".

A mixin of :class:`~.imap.ImapEngine`: CREATE, DELETE, RENAME, SUBSCRIBE,
UNSUBSCRIBE, LIST, LSUB, STATUS and APPEND. They read the folders through
``mailboxes`` and return changes as effects; checks that the store would
make anyway (the folder exists, the name is free) are made first so that the
usual refusals come with the right response code (RFC 5530) without a
failed write. Should the store still refuse (another session was quicker),
the engine's ``effect_failed`` answers.

Folder names use "/" as the hierarchy delimiter; on the wire they are in
modified UTF-7 (``imap_parse`` decodes them, :func:`wire_name` encodes).
LIST patterns: "*" matches anything, "%" anything but "/" (RFC 3501 §6.3.8),
matched without regular expressions so that a hostile pattern costs at most
pattern length x name length steps.
"""
from __future__ import annotations

from simulator.protocols.base import Effect, Outcome
from simulator.protocols.imap.fetch import has_flag
from simulator.protocols.imap.parse import ImapCommand, astring, mutf7_encode
from simulator.protocols.imap.state import EngineParts, Entry

DELIMITER = "/"


def wire_name(name: str) -> bytes:
    """A folder name as LIST, LSUB and STATUS send it."""
    return astring(mutf7_encode(name))


def glob_match(pattern: str, name: str) -> bool:
    """Whether ``name`` matches a LIST pattern ("*" anything, "%" anything but the delimiter)."""
    m = len(pattern)

    def closure(states: set[int]) -> set[int]:
        out = set(states)
        todo = list(states)
        while todo:
            i = todo.pop()
            if i < m and pattern[i] in "*%" and i + 1 not in out:
                out.add(i + 1)
                todo.append(i + 1)
        return out

    states = closure({0})
    for ch in name:
        nxt: set[int] = set()
        for i in states:
            if i >= m:
                continue
            p = pattern[i]
            if p == "*" or (p == "%" and ch != DELIMITER):
                nxt.add(i)
            elif p == ch:
                nxt.add(i + 1)
        if not nxt:
            return False
        states = closure(nxt)
    return m in states


def list_match(pattern: str, name: str) -> bool:
    """:func:`glob_match`, with INBOX matched case-insensitively (RFC 3501 §5.1)."""
    if glob_match(pattern, name):
        return True
    return name.startswith("INBOX") and pattern[:5].upper() == "INBOX" and glob_match("INBOX" + pattern[5:], name)


def valid_name(name: str) -> bool:
    """A name a folder may have: not empty, no empty level, no wildcard, no control character."""
    return (bool(name) and all(name.split(DELIMITER)) and "*" not in name and "%" not in name
            and not any(ch < " " or ch == "\x7f" for ch in name))


def _ancestors(name: str) -> list[str]:
    parts = name.split(DELIMITER)
    return [DELIMITER.join(parts[:i]) for i in range(1, len(parts))]


class FolderCommands(EngineParts):
    """CREATE, DELETE, RENAME, (UN)SUBSCRIBE, LIST, LSUB, STATUS, APPEND; mixed into the engine."""

    def _names(self) -> dict[str, object]:
        return {f.name: f for f in self.mb.folders(self._snap.user)}

    # ------------------------------------------------------------- CREATE
    def _create(self, cmd: ImapCommand) -> Outcome:
        name = cmd.args
        if name.endswith(DELIMITER):  # "a/" declares a future parent: create "a" (RFC 3501 §6.3.3)
            name = name.rstrip(DELIMITER)
        if name == "INBOX" or name in self._names():
            return self._say("no.alreadyexists", mailbox=name)
        if not valid_name(name):
            return self._say("no.bad_name", mailbox=name)
        return Outcome([self._reply("ok.create")], effects=[Effect("create", (self._snap.user, name))])

    # ------------------------------------------------------------- DELETE
    def _delete(self, cmd: ImapCommand) -> Outcome:
        name = cmd.args
        if name == "INBOX":
            return self._say("no.cannot_delete_inbox")
        names = self._names()
        if name not in names:
            return self._say("no.nonexistent", mailbox=name)
        if any(other.startswith(name + DELIMITER) for other in names):
            return self._say("no.has_children", mailbox=name)
        if self.state == "selected" and self._snap.mailbox == name:
            self._deselect()  # deleting the selected folder closes it, as Dovecot does
        return Outcome([self._reply("ok.delete")], effects=[Effect("delete_folder", (self._snap.user, name))])

    # ------------------------------------------------------------- RENAME
    def _rename(self, cmd: ImapCommand) -> Outcome:
        old, new = cmd.args
        names = self._names()
        if old not in names:
            return self._say("no.nonexistent", mailbox=old)
        if new == "INBOX" or new in names:
            return self._say("no.alreadyexists", mailbox=new)
        if not valid_name(new) or new == old or new.startswith(old + DELIMITER):
            return self._say("no.bad_name", mailbox=new)
        selected = self._snap.mailbox if self.state == "selected" else None
        lines: tuple[bytes, ...] = ()
        if old == "INBOX" and selected == "INBOX":
            # INBOX's messages move to the new folder (RFC 3501 §6.3.5): here they are expunged.
            lines = (b"* 1 EXPUNGE",) * len(self._snap.view)
            self._set(view=(), recent=frozenset())
        elif selected is not None and (selected == old or selected.startswith(old + DELIMITER)):
            # The selected folder moves: same messages and UIDs, a new UIDVALIDITY adopted at the next sync.
            self._set(mailbox=new + selected[len(old):], uidvalidity=0)
        return Outcome([self._reply("ok.rename", untagged=lines)],
                       effects=[Effect("rename", (self._snap.user, old, new))])

    # -------------------------------------------------------- (UN)SUBSCRIBE
    def _subscribe(self, cmd: ImapCommand) -> Outcome:
        name = cmd.args
        if name not in self._names():
            return self._say("no.nonexistent", mailbox=name)
        on = cmd.verb == "SUBSCRIBE"
        return Outcome([self._reply("ok.subscribe" if on else "ok.unsubscribe")],
                       effects=[Effect("subscribe", (self._snap.user, name, on))])

    # ---------------------------------------------------------- LIST, LSUB
    def _list(self, cmd: ImapCommand) -> Outcome:
        reference, pattern = cmd.args
        lsub = cmd.verb == "LSUB"
        key = "ok.lsub" if lsub else "ok.list"
        head = b"* LSUB " if lsub else b"* LIST "
        if pattern == "":  # the hierarchy delimiter and the root (RFC 3501 §6.3.8)
            return self._say(key, untagged=(head + b'(\\Noselect) "/" ""',))
        if reference and not reference.endswith(DELIMITER) and not pattern.startswith(DELIMITER):
            reference += DELIMITER
        full = reference + pattern
        folders = self.mb.folders(self._snap.user)
        existing = {f.name for f in folders}
        listed: dict[str, list[str]]
        if lsub:
            listed = {f.name: [] for f in folders if f.subscribed}
            if "%" in full:  # a parent of a subscribed folder that % stops at (RFC 3501 §6.3.9)
                for name in list(listed):
                    for parent in _ancestors(name):
                        if parent not in listed and list_match(full, parent):
                            listed[parent] = ["\\Noselect"]
        else:
            listed = {}
            for name in existing:
                for parent in _ancestors(name):
                    if parent not in existing:
                        listed[parent] = ["\\Noselect"]
                listed[name] = []
            for name, attrs in listed.items():
                children = any(other.startswith(name + DELIMITER) for other in listed)
                attrs.append("\\HasChildren" if children else "\\HasNoChildren")
        lines = []
        for name in sorted(listed, key=lambda n: (n != "INBOX", n)):
            if list_match(full, name):
                shown = " ".join(listed[name]).encode("ascii")
                lines.append(head + b"(" + shown + b') "/" ' + wire_name(name))
        return self._say(key, untagged=tuple(lines))

    # ------------------------------------------------------------- STATUS
    def _status(self, cmd: ImapCommand) -> Outcome:
        name, items = cmd.args
        try:
            folder = self.mb.folder(self._snap.user, name)
        except self.StoreError:
            return self._say("no.nonexistent", mailbox=name)
        values = []
        for item in items:
            if item == "MESSAGES":
                value = folder.exists
            elif item == "RECENT":
                value = self._recent_count(folder)
            elif item == "UIDNEXT":
                value = folder.uidnext
            elif item == "UIDVALIDITY":
                value = folder.uidvalidity
            else:
                value = folder.unseen
            values.append(b"%s %d" % (item.encode("ascii"), value))
        line = b"* STATUS " + wire_name(folder.name) + b" (" + b" ".join(values) + b")"
        return self._say("ok.status", untagged=(line,))

    def _recent_count(self, folder) -> int:
        snap = self._snap
        if self.state == "selected" and snap.mailbox == folder.name:
            return len(snap.recent)
        reported = self._announced(folder.name, folder.uidvalidity)
        try:
            listing = self.mb.listing(snap.user, folder.name)
        except self.StoreError:
            return 0
        return sum(1 for m in listing if m.uid > reported and not has_flag(m.flags, "\\Seen"))

    # ------------------------------------------------------------- APPEND
    def _append(self, cmd: ImapCommand) -> Outcome:
        name, flags, when, content = cmd.args
        if not content:
            return self._say("no.empty_message")
        try:
            folder = self.mb.folder(self._snap.user, name)
        except self.StoreError:
            return self._say("no.trycreate", mailbox=name)
        flags = tuple(flags or ())
        date = self.now() if when is None else when
        snap = self._snap
        effect = Effect("append", (snap.user, folder.name, content, flags, date))
        lines: list[bytes] = []
        if self.state == "selected" and folder.name == snap.mailbox:
            lines = self._arrived([Entry(folder.uidnext, flags, date, len(content))])
        return Outcome([self._reply("ok.append", untagged=tuple(lines))], effects=[effect])

    def _announced(self, name: str, uidvalidity: int) -> int:
        """The highest UID of that folder this session has reported (for \\Recent), 0 if none."""
        for folder, validity, top in self._snap.announced:
            if folder == name and validity == uidvalidity:
                return top
        return 0


__all__ = ["FolderCommands", "glob_match", "list_match", "wire_name", "valid_name"]
