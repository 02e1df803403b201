"""The IMAP engine's message commands: FETCH, STORE, COPY, EXPUNGE, CLOSE (and their UID forms).

A mixin of :class:`~.imap.ImapEngine`: the methods work on the engine's view
of the selected folder (``self._snap.view``: one :class:`Entry` per message
in sequence-number order) and answer from it. Changes are returned as
effects and applied to the view at once, as if they had happened; the
session commits them before the reply is written, or restores the snapshot.

Message contents come from ``mailboxes.content()`` and are parsed once per
UID by ``imap_message.parse`` (a small LRU cache, not part of the snapshot).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from typing import Any, Optional

from simulator.mail import message as imap_message
from simulator.protocols.base import Effect, Outcome
from simulator.protocols.imap import structure
from simulator.protocols.imap.parse import FetchAtt, ImapCommand, SeqSet
from simulator.protocols.imap.replies import literal_text
from simulator.protocols.imap.state import EngineParts, Entry

SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
_NO_CONTENT = frozenset({"UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE"})


# A literal at least this long has its transcript text cached (shorter ones cost less to convert).
_TEXT_CACHE_MIN = 2048


class BadSequence(Exception):
    """A message sequence number beyond the folder's messages (tagged BAD)."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def has_flag(flags: tuple[str, ...], flag: str) -> bool:
    """Flags compare case-insensitively (RFC 3501 §2.3.2)."""
    low = flag.lower()
    return any(f.lower() == low for f in flags)


def merge_flags(old: tuple[str, ...], mode: str, flags: tuple[str, ...]) -> tuple[str, ...]:
    """STORE's result: FLAGS replaces, +FLAGS adds, -FLAGS removes (case-insensitively)."""
    if mode == "-":
        drop = {f.lower() for f in flags}
        return tuple(f for f in old if f.lower() not in drop)
    base = old if mode == "+" else ()
    out = list(base)
    for flag in flags:
        if not has_flag(tuple(out), flag):
            out.append(flag)
    return tuple(out)


def same_flags(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return {f.lower() for f in a} == {f.lower() for f in b}


def flag_bytes(flags: tuple[str, ...], recent: bool = False) -> bytes:
    """A parenthesised flag list, \\Recent added for this session's recent messages."""
    shown = list(flags) + (["\\Recent"] if recent else [])
    return b"(" + " ".join(shown).encode("ascii", "replace") + b")"


def keywords_of(flags: tuple[str, ...]) -> list[str]:
    return [f for f in flags if not f.startswith("\\")]


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


class MessageCommands(EngineParts):
    """FETCH, STORE, COPY, EXPUNGE and CLOSE; mixed into the engine."""

    # ------------------------------------------------------------ helpers
    def _targets(self, seqset: SeqSet, by_uid: bool) -> list[tuple[int, Entry]]:
        """The messages a set names, in order, as (sequence number, entry); BadSequence if out of range."""
        view = self._snap.view
        n = len(view)
        picked: set[int] = set()
        if by_uid:
            if not n:
                return []
            uids = [e.uid for e in view]
            star = uids[-1]
            for low, high in seqset:
                a = star if low is None else low
                b = star if high is None else high
                if a > b:
                    a, b = b, a
                picked.update(range(bisect_left(uids, a), bisect_right(uids, b)))
        else:
            for low, high in seqset:
                if low is not None and high is not None:
                    for number in (low, high):
                        if number > n:
                            raise BadSequence(number)
                a = n if low is None else min(low, n)
                b = n if high is None else min(high, n)
                if a > b:
                    a, b = b, a
                if b:
                    picked.update(range(max(a, 1) - 1, b))
        return [(i + 1, view[i]) for i in sorted(picked)]

    def _content(self, entry: Entry) -> Optional[tuple[bytes, Any]]:
        """The raw message and its parse (cached per UID), or None if it is gone from the store."""
        snap = self._snap
        key = (snap.mailbox, snap.uidvalidity, entry.uid)
        # The store's cache is shared by every session (a message's content never changes);
        # the session's own keeps what that one may not (a message too big for it).
        shared = self._shared
        shared_key = (self._realm, snap.user) + key
        if shared is not None:
            cached = shared.get(shared_key)
            if cached is not None:
                return cached
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        try:
            raw = self.mb.content(snap.user, snap.mailbox, entry.uid)
        except self.StoreError:
            return None
        cached = (raw, imap_message.parse(raw))
        if shared is not None:
            shared.put(shared_key, cached, len(raw))
        self._cache[key] = cached
        while len(self._cache) > self.limits.cache_size:
            self._cache.popitem(last=False)
        return cached

    def _flags_response(self, seq: int, entry: Entry, uid: bool) -> bytes:
        recent = entry.uid in self._snap.recent
        head = b"* %d FETCH (" % seq + (b"UID %d " % entry.uid if uid else b"")
        return head + b"FLAGS " + flag_bytes(entry.flags, recent) + b")"

    def _keyword_lines(self, flags_seen: list[tuple[str, ...]]) -> list[bytes]:
        """FLAGS and PERMANENTFLAGS again when keywords appear that this session has not announced."""
        known = list(self._snap.keywords)
        lowered = {k.lower() for k in known}
        for flags in flags_seen:
            for keyword in keywords_of(flags):
                if keyword.lower() not in lowered:
                    known.append(keyword)
                    lowered.add(keyword.lower())
        if len(known) == len(self._snap.keywords):
            return []
        self._set(keywords=tuple(known))
        return self._flags_lines()

    def _flags_lines(self) -> list[bytes]:
        from simulator.protocols.imap.replies import untagged
        flags = " ".join(SYSTEM_FLAGS + self._snap.keywords)
        permanent = "" if self._snap.read_only else " ".join(SYSTEM_FLAGS) + " \\*"
        return [b"* FLAGS (" + flags.encode("ascii", "replace") + b")",
                untagged("permanentflags", flags=permanent)]

    # -------------------------------------------------------------- FETCH
    def _fetch(self, cmd: ImapCommand) -> Outcome:
        seqset, atts = cmd.args
        by_uid = cmd.verb == "UID FETCH"
        try:
            targets = self._targets(seqset, by_uid)
        except BadSequence as exc:
            return self._say("bad.seqset", number=exc.number, exists=len(self._snap.view))
        if by_uid and not any(a.name == "UID" for a in atts):
            atts = (FetchAtt("UID"),) + tuple(atts)
        atts = tuple(dict.fromkeys(atts))
        sets_seen = not self._snap.read_only and any(a.sets_seen for a in atts)
        needs_content = any(a.name not in _NO_CONTENT for a in atts)
        try:
            lines, effects, view, missing, texts = self._fetch_lines(targets, atts, sets_seen, needs_content)
            if missing and effects:  # a NO carries no effects: answer again without setting \Seen
                lines, effects, view, missing, texts = self._fetch_lines(targets, atts, False, needs_content)
        except ValueError:  # imap_message refused a section the grammar let through
            bad = [a for a in atts if a.section is not None]
            if not bad:
                raise
            return self._say("bad.section", section=bad[0].section)
        if missing:
            return self._say("no.expungeissued", untagged=tuple(lines))
        if effects:
            self._set(view=view)
        reply = self._reply("ok.fetch", untagged=tuple(lines), verb=cmd.verb)
        return Outcome([reply.with_literal_texts(tuple(texts))], effects=effects)

    def _fetch_lines(self, targets, atts, sets_seen: bool, needs_content: bool):
        """The FETCH responses; also the transcript texts of the message literals in them, in order."""
        snap = self._snap
        view = list(snap.view)
        lines: list[bytes] = []
        texts: list[tuple[bytes, str]] = []
        effects: list[Effect] = []
        missing = False
        for seq, entry in targets:
            loaded = None
            if needs_content:
                loaded = None if entry.gone else self._content(entry)
                if loaded is None:
                    missing = True
                    continue
            flags_changed = False
            if sets_seen and not has_flag(entry.flags, "\\Seen"):
                entry = replace(entry, flags=entry.flags + ("\\Seen",))
                view[seq - 1] = entry
                effects.append(Effect("set_flags", (snap.user, snap.mailbox, entry.uid, entry.flags)))
                flags_changed = True
            # One join per response: the items (a message's literal among them) are copied once.
            parts = [b"* %d FETCH (" % seq]
            for att in atts:
                parts.append(self._fetch_item(att, entry, loaded, texts))
                parts.append(b" ")
            if flags_changed and not any(a.name == "FLAGS" for a in atts):
                parts.append(b"FLAGS " + flag_bytes(entry.flags, entry.uid in snap.recent))
                parts.append(b" ")
            if len(parts) > 1:
                parts.pop()
            parts.append(b")")
            lines.append(b"".join(parts))
        return lines, effects, tuple(view), missing, texts

    def _literal_text(self, entry: Entry, section: str, data: bytes) -> str:
        """The transcript text of a section's content, kept in the store's shared cache (it never changes)."""
        shared = self._shared
        if shared is None:
            return literal_text(data)
        snap = self._snap
        key = ("imap.text", self._realm, snap.user, snap.mailbox, snap.uidvalidity, entry.uid, section)
        text = shared.get(key)
        if text is None:
            text = literal_text(data)
            shared.put(key, text, len(text))
        return text

    def _fetch_item(self, att: FetchAtt, entry: Entry, loaded: Optional[tuple[bytes, Any]],
                    texts: Optional[list] = None) -> bytes:
        name = att.name
        if name == "UID":
            return b"UID %d" % entry.uid
        if name == "FLAGS":
            return b"FLAGS " + flag_bytes(entry.flags, entry.uid in self._snap.recent)
        if name == "INTERNALDATE":
            return b"INTERNALDATE " + structure.internaldate(entry.date)
        if name == "RFC822.SIZE":
            return b"RFC822.SIZE %d" % entry.size
        assert loaded is not None  # the caller loads the message for every other item
        raw, msg = loaded
        if name == "ENVELOPE":
            return b"ENVELOPE " + structure.envelope(msg)
        if name == "BODYSTRUCTURE":
            return b"BODYSTRUCTURE " + structure.bodystructure(msg, extended=True)
        if name == "RFC822":
            return b"RFC822 " + literal(raw)
        if name == "RFC822.HEADER":
            return b"RFC822.HEADER " + literal(structure.section(msg, "HEADER") or b"")
        if name == "RFC822.TEXT":
            return b"RFC822.TEXT " + literal(structure.section(msg, "TEXT") or b"")
        if att.section is None:  # BODY: the non-extensible structure
            return b"BODY " + structure.bodystructure(msg, extended=False)
        # BODY[] is the whole message: structure.section(msg, "") is raw itself.
        data = raw if att.section == "" else structure.section(msg, att.section)
        label = att.label.encode("ascii", "replace")
        if data is None:
            return label + b" NIL"
        if att.partial is not None:
            data = structure.partial(data, *att.partial)
        elif texts is not None and len(data) >= _TEXT_CACHE_MIN:
            texts.append((data, self._literal_text(entry, att.section, data)))
        return b"".join((label, b" {%d}\r\n" % len(data), data))

    # -------------------------------------------------------------- STORE
    def _store(self, cmd: ImapCommand) -> Outcome:
        seqset, mode, silent, flags = cmd.args
        by_uid = cmd.verb == "UID STORE"
        try:
            targets = self._targets(seqset, by_uid)
        except BadSequence as exc:
            return self._say("bad.seqset", number=exc.number, exists=len(self._snap.view))
        if self._snap.read_only:
            return self._say("no.read_only")
        snap = self._snap
        view = list(snap.view)
        effects: list[Effect] = []
        lines: list[bytes] = []
        for seq, entry in targets:
            if entry.gone:
                continue
            new = merge_flags(entry.flags, mode, flags)
            if not same_flags(new, entry.flags):
                entry = replace(entry, flags=new)
                view[seq - 1] = entry
                effects.append(Effect("set_flags", (snap.user, snap.mailbox, entry.uid, new)))
            if not silent:
                lines.append(self._flags_response(seq, entry, by_uid))
        self._set(view=tuple(view))
        lines = self._keyword_lines([flags]) + lines
        return Outcome([self._reply("ok.store", untagged=tuple(lines), verb=cmd.verb)], effects=effects)

    # --------------------------------------------------------------- COPY
    def _copy(self, cmd: ImapCommand) -> Outcome:
        seqset, name = cmd.args
        try:
            targets = self._targets(seqset, cmd.verb == "UID COPY")
        except BadSequence as exc:
            return self._say("bad.seqset", number=exc.number, exists=len(self._snap.view))
        if any(entry.gone for _, entry in targets):
            return self._say("no.expungeissued")
        try:
            folder = self.mb.folder(self._snap.user, name)
        except self.StoreError:
            return self._say("no.trycreate", mailbox=name)
        snap = self._snap
        effects = []
        lines: list[bytes] = []
        if targets:
            uids = tuple(entry.uid for _, entry in targets)
            effects.append(Effect("copy", (snap.user, snap.mailbox, uids, folder.name)))
            if folder.name == snap.mailbox:  # the copies appear here: predict their UIDs
                lines = self._arrived([replace(entry, uid=folder.uidnext + i, gone=False)
                                       for i, (_, entry) in enumerate(targets)])
        return Outcome([self._reply("ok.copy", untagged=tuple(lines), verb=cmd.verb)], effects=effects)

    def _arrived(self, entries: list[Entry]) -> list[bytes]:
        """Messages added to the selected folder by this session: in the view, recent, EXISTS/RECENT."""
        snap = self._snap
        recent = snap.recent | {e.uid for e in entries}
        self._set(view=snap.view + tuple(entries), recent=frozenset(recent))
        self._announce(max(e.uid for e in entries))
        return self._keyword_lines([e.flags for e in entries]) + [
            b"* %d EXISTS" % len(self._snap.view), b"* %d RECENT" % len(recent)]

    # ------------------------------------------------------ EXPUNGE, CLOSE
    def _expunge(self, cmd: ImapCommand) -> Outcome:
        snap = self._snap
        if snap.read_only:
            return self._say("no.read_only")
        lines: list[bytes] = []
        kept: list[Entry] = []
        doomed: list[int] = []
        for entry in snap.view:
            if entry.gone or has_flag(entry.flags, "\\Deleted"):
                lines.append(b"* %d EXPUNGE" % (len(kept) + 1))
                if not entry.gone:
                    doomed.append(entry.uid)
                continue
            kept.append(entry)
        self._set(view=tuple(kept), recent=snap.recent - set(doomed))
        effects = [Effect("delete", (snap.user, snap.mailbox, tuple(doomed)))] if doomed else []
        return Outcome([self._reply("ok.expunge", untagged=tuple(lines))], effects=effects)

    def _close(self, cmd: ImapCommand) -> Outcome:
        snap = self._snap
        doomed = () if snap.read_only else tuple(
            e.uid for e in snap.view if not e.gone and has_flag(e.flags, "\\Deleted"))
        self._deselect()
        effects = [Effect("delete", (snap.user, snap.mailbox, doomed))] if doomed else []
        return Outcome([self._reply("ok.close")], effects=effects)

    def _check(self, cmd: ImapCommand) -> Outcome:
        return self._say("ok.check")
