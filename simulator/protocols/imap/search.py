"""SEARCH and UID SEARCH (RFC 3501 §6.4.4): the lecture's "search the mail on the server".

A mixin of :class:`~.imap.ImapEngine`. The parser (``imap_parse``) turns
the search keys into a tree of tuples; :func:`matches` evaluates it for one
message. Keys that need only what the session knows (flags, UIDs, sizes,
internal dates) never load the message; the others (FROM, SUBJECT, BODY,
TEXT, HEADER, SENT*) load and parse it once, through the engine's cache,
and use ``imap_message``'s decoding helpers: matching is a case-insensitive
substring match on decoded text (RFC 3501 leaves "case-insensitive" to the
server; Dovecot also decodes encoded words and transfer encodings).

Dates: BEFORE/ON/SINCE compare the internal date's day in UTC (the zone
MailSim's INTERNALDATE is written in); SENTBEFORE/SENTON/SENTSINCE compare
the Date header's own day, and a message without a usable Date header never
matches them.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from simulator.mail import message as imap_message
from simulator.protocols.base import Outcome
from simulator.protocols.imap.fetch import has_flag
from simulator.protocols.imap.parse import CHARSETS, ImapCommand, seq_contains
from simulator.protocols.imap.state import EngineParts, Entry


class Candidate:
    """One message as a search sees it; its content is loaded only if a key needs it."""

    __slots__ = ("seq", "entry", "recent", "_load", "_msg")

    def __init__(self, seq: int, entry: Entry, recent: bool, load: Callable[[Entry], Any]):
        self.seq = seq
        self.entry = entry
        self.recent = recent
        self._load = load
        self._msg: Any = None

    @property
    def msg(self) -> Any:
        if self._msg is None:
            loaded = self._load(self.entry)
            self._msg = loaded[1] if loaded is not None else False
        return self._msg


def _day(ts: float):
    try:
        return datetime.fromtimestamp(ts, tz=timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        return datetime(1970, 1, 1, tzinfo=timezone.utc).date()


def matches(key: tuple, c: Candidate, max_seq: int, max_uid: int) -> bool:
    """Whether the message ``c`` satisfies the search key tree ``key``."""
    kind = key[0]
    e = c.entry
    if kind == "ALL":
        return True
    if kind == "AND":
        return all(matches(k, c, max_seq, max_uid) for k in key[1])
    if kind == "OR":
        return matches(key[1], c, max_seq, max_uid) or matches(key[2], c, max_seq, max_uid)
    if kind == "NOT":
        return not matches(key[1], c, max_seq, max_uid)
    if kind == "FLAG":
        return has_flag(e.flags, key[1]) == key[2]
    if kind == "KEYWORD":
        return has_flag(e.flags, key[1]) == key[2]
    if kind == "RECENT":
        return c.recent
    if kind == "NEW":
        return c.recent and not has_flag(e.flags, "\\Seen")
    if kind == "OLD":
        return not c.recent
    if kind == "SEQ":
        return seq_contains(key[1], c.seq, max_seq)
    if kind == "UID":
        return seq_contains(key[1], e.uid, max_uid)
    if kind == "LARGER":
        return e.size > key[1]
    if kind == "SMALLER":
        return e.size < key[1]
    if kind in ("BEFORE", "ON", "SINCE"):
        return _compare(kind, _day(e.date), key[1])
    msg = c.msg
    if msg is False:  # the content is gone (expunged elsewhere): nothing more matches
        return False
    if kind in ("SENTBEFORE", "SENTON", "SENTSINCE"):
        sent = imap_message.sent_date(msg)
        return sent is not None and _compare(kind[4:], sent, key[1])
    if kind == "HEADER":
        return imap_message.header_contains(msg, key[1], key[2])
    if kind == "BODY":
        return imap_message.body_contains(msg, key[1])
    if kind == "TEXT":
        return imap_message.text_contains(msg, key[1])
    raise ValueError(f"unknown search key {kind}")


def _compare(kind: str, day, wanted) -> bool:
    if kind == "BEFORE":
        return day < wanted
    if kind == "ON":
        return day == wanted
    return day >= wanted


class SearchCommand(EngineParts):
    """SEARCH and UID SEARCH; mixed into the engine."""

    def _search(self, cmd: ImapCommand) -> Outcome:
        charset, key = cmd.args
        if charset is not None and charset not in CHARSETS:
            return self._say("no.badcharset", charset=charset)
        by_uid = cmd.verb == "UID SEARCH"
        snap = self._snap
        view = snap.view
        max_seq = len(view)
        max_uid = view[-1].uid if view else 0
        found: list[int] = []
        for seq, entry in enumerate(view, start=1):
            if entry.gone:
                continue
            candidate = Candidate(seq, entry, entry.uid in snap.recent, self._content)
            if matches(key, candidate, max_seq, max_uid):
                found.append(entry.uid if by_uid else seq)
        line = b"* SEARCH" + b"".join(b" %d" % n for n in found)
        return Outcome([self._reply("ok.search", untagged=(line,), verb=cmd.verb)])


__all__ = ["SearchCommand", "Candidate", "matches"]
