"""Byte-level parsing for the IMAP engine: command lines, literals and RFC 3501's argument grammar.

No state about the IMAP session here: the engine (``imap.py``) owns the input
buffer and decides what a parsed command means in its state.

* Input is cut into commands by ``imap_reader.CommandReader``, and arguments are
  read with its :class:`~.imap_reader.Cursor` (atoms, strings, literals, numbers,
  sequence sets, flags, dates).
* :func:`parse_command` turns a complete command (its parts: line text,
  literal, line text...) into an :class:`ImapCommand`, setting ``problem``
  instead of raising: for verb ``UNKNOWN`` ``empty``, ``no_tag``, ``http``,
  ``missing_command``, ``line_too_long``, ``literal_too_big``, ``nul``,
  ``not_implemented`` or ``unrecognized``; for a known verb ``syntax``
  (``detail`` says what), ``flag``, ``section``, ``extended_list``,
  ``literal_too_big`` or ``nul``. A well-formed command's arguments are in
  ``args`` (see :func:`parse_command`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from simulator.protocols.base import Command
from simulator.protocols.imap.reader import (
    ASTRING_CHARS,
    ATOM_CHARS,
    MAX_LINE_TEXT,
    NAME_CHARS,
    SEQ_CHARS,
    STATUS_ITEMS,
    CommandReader,
    Cursor,
    SeqSet,
    SyntaxProblem,
    astring,
    date_time,
    decode_text,
    mutf7_decode,
    mutf7_encode,
    quote,
    transcript,
)

__all__ = ["VERBS", "UID_VERBS", "ImapCommand", "CommandReader", "parse_command", "partial_command",
           "FetchAtt", "SeqSet", "mutf7_encode", "mutf7_decode", "quote", "astring", "transcript"]

# Every verb the engine answers (UID forms as two words).
VERBS = ("CAPABILITY", "NOOP", "LOGOUT", "LOGIN", "AUTHENTICATE", "SELECT", "EXAMINE", "CREATE",
         "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "STATUS", "APPEND", "CHECK",
         "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "ID", "NAMESPACE", "IDLE")
UID_VERBS = ("FETCH", "STORE", "SEARCH", "COPY")
HTTP_VERBS = frozenset({"GET", "POST", "PUT", "HEAD", "CONNECT", "OPTIONS", "DELETE", "PATCH"})
NOT_IMPLEMENTED = frozenset({"STARTTLS"})
# The verbs whose argument, for fault rules, is the (first) mailbox name.
MAILBOX_VERBS = frozenset({"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
                           "UNSUBSCRIBE", "STATUS", "APPEND"})

# Tag characters: ASTRING-CHAR except "+" (RFC 3501 §9), 7-bit.
_TAG = frozenset(c for c in ASTRING_CHARS if c < 0x80 and c != ord("+"))


@dataclass(frozen=True)
class ImapCommand(Command):
    """A :class:`Command` with the parsed arguments.

    ``args`` depends on the verb (None when ``problem`` is set); ``detail``
    says what a syntax error is about.
    """

    args: Any = None
    detail: str = ""


@dataclass(frozen=True)
class FetchAtt:
    """One FETCH item. ``section`` is the BODY[...] spec as structure.section takes it
    (None for non-section items); ``label`` is the item's name in the response."""

    name: str
    section: Optional[str] = None
    label: str = ""
    partial: Optional[tuple[int, int]] = None
    peek: bool = False

    @property
    def sets_seen(self) -> bool:
        """Reading this item sets \\Seen (RFC 3501 §6.4.5)."""
        return (self.section is not None and not self.peek) or self.name in ("RFC822", "RFC822.TEXT")


# --------------------------------------------------------------------------
# The grammar

# -- per-verb argument grammars; each returns the command's args


def _no_args(p: Cursor) -> None:
    p.end()


def _login(p: Cursor):
    p.sp()
    user = p.astring("a user name")
    p.sp()
    password = p.astring("a password")
    p.end()
    return (decode_text(user), decode_text(password))


def _authenticate(p: Cursor):
    p.sp()
    mechanism = p.atom("a mechanism").decode("latin-1").upper()
    initial = None
    if not p.at_end():
        p.sp()
        initial = p.atom("an initial response").decode("latin-1")
    p.end()
    return (mechanism, initial)


def _one_mailbox(p: Cursor):
    p.sp()
    name = p.mailbox()
    p.end()
    return name


def _rename(p: Cursor):
    p.sp()
    old = p.mailbox()
    p.sp()
    new = p.mailbox()
    p.end()
    return (old, new)


def _list(p: Cursor):
    p.sp()
    if p.peek() == ord("("):
        raise SyntaxProblem("selection options", "extended_list")
    reference = p.mailbox()
    p.sp()
    if p.peek() == ord("("):
        raise SyntaxProblem("several patterns", "extended_list")
    pattern = p.list_mailbox()
    if not p.at_end() and p.s[p.pos:].upper().startswith(b" RETURN"):
        raise SyntaxProblem("RETURN options", "extended_list")
    p.end()
    return (reference, pattern)


def _status(p: Cursor):
    p.sp()
    name = p.mailbox()
    p.sp()
    p.char(b"(")
    items = [p.word()]
    while not p.maybe(b")"):
        p.sp()
        items.append(p.word())
    p.end()
    for item in items:
        if item not in STATUS_ITEMS:
            raise SyntaxProblem(f"unknown STATUS item {item}")
    return (name, tuple(dict.fromkeys(items)))


def _append(p: Cursor):
    p.sp()
    name = p.mailbox()
    p.sp()
    flags = None
    when = None
    if p.peek() == ord("("):
        flags = p.flag_list()
        p.sp()
    if p.peek() == 0x22:
        when = date_time(p.quoted())
        p.sp()
    if not p.literal_ahead():
        raise SyntaxProblem("the message must follow as a literal {size}")
    content = p.literal()
    p.end()
    return (name, flags, when, content)


def _copy(p: Cursor):
    p.sp()
    seqset = p.seqset()
    p.sp()
    name = p.mailbox()
    p.end()
    return (seqset, name)


def _store(p: Cursor):
    p.sp()
    seqset = p.seqset()
    p.sp()
    mode = ""
    if p.peek() in (ord("+"), ord("-")):
        mode = chr(p.s[p.pos])
        p.pos += 1
    item = p.word()
    if item not in ("FLAGS", "FLAGS.SILENT"):
        raise SyntaxProblem(f"expected FLAGS, +FLAGS or -FLAGS, not {item}")
    p.sp()
    if p.peek() == ord("("):
        flags = p.flag_list()
    else:
        more = [p.flag()]
        while not p.at_end():
            p.sp()
            more.append(p.flag())
        flags = tuple(more)
    p.end()
    return (seqset, mode, item.endswith(".SILENT"), flags)


def _id(p: Cursor):
    p.sp()
    if p.s[p.pos:].upper() == b"NIL" and p.i == len(p.parts) - 1:
        return None
    p.char(b"(")
    pairs: list[tuple[str, Optional[str]]] = []
    if not p.maybe(b")"):
        while True:
            field = p.string()
            p.sp()
            value = p.nstring()
            pairs.append((decode_text(field), None if value is None else decode_text(value)))
            if p.maybe(b")"):
                break
            p.sp()
    p.end()
    if len(pairs) > 30:
        raise SyntaxProblem("at most 30 ID fields")
    return tuple(pairs)


_SIMPLE_ATTS = ("ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.SIZE",
                "RFC822.TEXT", "BODYSTRUCTURE", "UID")
MACROS = {
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}


def _fetch(p: Cursor):
    p.sp()
    seqset = p.seqset()
    p.sp()
    atts: list[FetchAtt] = []
    if p.maybe(b"("):
        atts.append(_fetch_att(p))
        while not p.maybe(b")"):
            p.sp()
            atts.append(_fetch_att(p))
    else:
        start = p.pos
        word = p.take(NAME_CHARS).decode("ascii").upper()
        if word in MACROS and (p.at_end() or p.peek() == 0x20):
            atts = [FetchAtt(name) for name in MACROS[word]]
        else:
            p.pos = start
            atts.append(_fetch_att(p))
    p.end()
    return (seqset, tuple(atts))


def _fetch_att(p: Cursor) -> FetchAtt:
    name = p.word()
    if name in _SIMPLE_ATTS:
        return FetchAtt(name)
    if name not in ("BODY", "BODY.PEEK"):
        raise SyntaxProblem(f"unknown FETCH item {name}")
    if p.peek() != ord("["):
        if name == "BODY.PEEK":
            raise SyntaxProblem("BODY.PEEK needs a section: BODY.PEEK[...]")
        return FetchAtt("BODY")
    p.pos += 1
    spec = _section(p)
    p.char(b"]")
    label = f"BODY[{spec}]"
    partial = None
    if p.maybe(b"<"):
        origin = p.number()
        p.char(b".")
        length = p.number(nonzero=True)
        p.char(b">")
        partial = (origin, length)
        label += f"<{origin}>"
    return FetchAtt("BODY", spec, label, partial, name == "BODY.PEEK")


def _section(p: Cursor) -> str:
    """The text inside BODY[...] as structure.section takes it: keywords upper-cased."""
    word = p.take(NAME_CHARS).decode("ascii").upper()
    if not word:
        return ""
    pieces = word.split(".")
    numbers = []
    while pieces and pieces[0].isdigit():
        if int(pieces[0]) == 0 or len(pieces[0]) > 9:
            raise SyntaxProblem(word, "section")
        numbers.append(pieces.pop(0))
    text = ".".join(pieces)
    allowed = ("", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT") + (("MIME",) if numbers else ())
    if text not in allowed or (not text and not numbers) or (numbers and not text and word.endswith(".")):
        raise SyntaxProblem(word, "section")
    if text.startswith("HEADER.FIELDS"):
        p.sp()
        p.char(b"(")
        names = [p.astring("a header field name")]
        while not p.maybe(b")"):
            p.sp()
            names.append(p.astring("a header field name"))
        fields = " ".join(astring(decode_text(n)).decode("latin-1") for n in names)
        return f"{word} ({fields})"
    return word


# -- SEARCH

_FLAG_KEYS = {
    "ANSWERED": ("\\Answered", True), "DELETED": ("\\Deleted", True), "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True), "SEEN": ("\\Seen", True),
    "UNANSWERED": ("\\Answered", False), "UNDELETED": ("\\Deleted", False), "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False), "UNSEEN": ("\\Seen", False),
}
_HEADER_KEYS = ("BCC", "CC", "FROM", "SUBJECT", "TO")
_DATE_KEYS = ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE")
CHARSETS = ("US-ASCII", "UTF-8")


def _search(p: Cursor):
    p.sp()
    charset = None
    start = p.pos
    if p.take(NAME_CHARS).upper() == b"CHARSET" and p.peek() == 0x20:
        p.sp()
        charset = decode_text(p.astring("a charset name")).upper()
        p.sp()
    else:
        p.pos = start
    keys = [_search_key(p, charset)]
    while not p.at_end():
        p.sp()
        keys.append(_search_key(p, charset))
    return (charset, keys[0] if len(keys) == 1 else ("AND", tuple(keys)))


def _search_text(p: Cursor, charset: Optional[str]) -> str:
    raw = p.astring("a search string")
    if charset in (None, "US-ASCII", "UTF-8"):
        return raw.decode("utf-8", "replace")
    return raw.decode("latin-1")


def _search_key(p: Cursor, charset: Optional[str]):
    with p.nested():
        c = p.peek()
        if c == ord("("):
            p.pos += 1
            keys = [_search_key(p, charset)]
            while not p.maybe(b")"):
                p.sp()
                keys.append(_search_key(p, charset))
            return keys[0] if len(keys) == 1 else ("AND", tuple(keys))
        if c is not None and c in SEQ_CHARS:
            return ("SEQ", p.seqset())
        key = p.word()
        if key == "ALL":
            return ("ALL",)
        if key in _FLAG_KEYS:
            flag, present = _FLAG_KEYS[key]
            return ("FLAG", flag, present)
        if key in ("NEW", "OLD", "RECENT"):
            return (key,)
        p.sp()
        if key in _HEADER_KEYS:
            return ("HEADER", key.capitalize() if key != "BCC" else "Bcc", _search_text(p, charset))
        if key in ("BODY", "TEXT"):
            return (key, _search_text(p, charset))
        if key in _DATE_KEYS:
            return (key, p.date())
        if key == "HEADER":
            field = decode_text(p.astring("a header field name"))
            p.sp()
            return ("HEADER", field, _search_text(p, charset))
        if key in ("KEYWORD", "UNKEYWORD"):
            flag = p.atom("a keyword").decode("latin-1")
            return ("KEYWORD", flag, key == "KEYWORD")
        if key in ("LARGER", "SMALLER"):
            return (key, p.number())
        if key == "NOT":
            return ("NOT", _search_key(p, charset))
        if key == "OR":
            left = _search_key(p, charset)
            p.sp()
            return ("OR", left, _search_key(p, charset))
        if key == "UID":
            return ("UID", p.seqset())
        raise SyntaxProblem(f"unknown search key {key}")


_GRAMMAR = {
    "CAPABILITY": _no_args, "NOOP": _no_args, "LOGOUT": _no_args, "CHECK": _no_args, "CLOSE": _no_args,
    "EXPUNGE": _no_args, "NAMESPACE": _no_args, "IDLE": _no_args,
    "LOGIN": _login, "AUTHENTICATE": _authenticate,
    "SELECT": _one_mailbox, "EXAMINE": _one_mailbox, "CREATE": _one_mailbox, "DELETE": _one_mailbox,
    "SUBSCRIBE": _one_mailbox, "UNSUBSCRIBE": _one_mailbox, "RENAME": _rename,
    "LIST": _list, "LSUB": _list, "STATUS": _status, "APPEND": _append, "ID": _id,
    "SEARCH": _search, "FETCH": _fetch, "STORE": _store, "COPY": _copy,
    "UID SEARCH": _search, "UID FETCH": _fetch, "UID STORE": _store, "UID COPY": _copy,
}


# --------------------------------------------------------------------------
# Commands


def _head(first: bytes) -> tuple[Optional[str], str, int, Optional[str]]:
    """(tag, verb, position after the verb, problem) of a command's first line."""
    if not first.strip(b" \t"):
        return None, "", 0, "empty"
    words = first.split(b" ")
    if words[0].decode("latin-1").upper() in HTTP_VERBS and words[-1].upper().startswith(b"HTTP/"):
        return None, "", 0, "http"
    p = Cursor([first])
    tag_raw = p.take(_TAG)
    if not tag_raw or (p.peek() is not None and p.peek() != 0x20):
        return None, "", 0, "no_tag"
    tag = tag_raw.decode("ascii")
    if p.at_end() or not first[p.pos:].strip(b" \t"):
        return tag, "", p.pos, "missing_command"
    p.sp()
    verb = p.take(ATOM_CHARS).decode("latin-1").upper()
    if verb == "UID" and p.peek() == 0x20:
        p.sp()
        verb = "UID " + p.take(ATOM_CHARS).decode("latin-1").upper()
    if verb in NOT_IMPLEMENTED:
        return tag, verb, p.pos, "not_implemented"
    if verb not in _GRAMMAR:
        return tag, verb, p.pos, "unrecognized"
    return tag, verb, p.pos, None


def partial_command(parts: list[bytes], problem: Optional[str] = None) -> ImapCommand:
    """A command whose literal has not come (yet), as far as its first line tells.

    With ``problem`` None this is the "+" input asking for a literal
    continuation (``args`` is the verb), unless its head is already wrong:
    then the problem is the head's. With a ``problem`` (``line_too_long``,
    ``literal_too_big``) it is that problem, tagged if a tag could be read.
    """
    line = transcript(parts)
    tag, verb, _pos, trouble = _head(parts[0])
    if problem is None:
        if trouble is not None:
            problem = "no_tag" if trouble in ("empty", "http") else trouble
        elif any(0 in part for part in parts):
            problem = "nul"
        else:
            return ImapCommand("+", "", line, tag=tag, args=verb)
    elif trouble == "missing_command":
        tag = None  # a line of tag characters only: no tag followed by a space was seen
    if trouble is None:
        return ImapCommand(verb, "", line, problem, tag=tag)
    return ImapCommand("UNKNOWN", verb if tag else "", line, problem, tag=tag)


def parse_command(parts: list[bytes]) -> ImapCommand:
    """A complete command (parts: line text, literal, line text...) as an :class:`ImapCommand`.

    ``args`` by verb: LOGIN ``(user, password)``; AUTHENTICATE
    ``(mechanism, initial or None)``; SELECT, EXAMINE, CREATE, DELETE,
    (UN)SUBSCRIBE the mailbox name; RENAME ``(old, new)``; LIST/LSUB
    ``(reference, pattern)``; STATUS ``(mailbox, items)``; APPEND
    ``(mailbox, flags or None, timestamp or None, content)``; COPY
    ``(seqset, mailbox)``; STORE ``(seqset, "+"|"-"|"", silent, flags)``;
    FETCH ``(seqset, atts)``; SEARCH ``(charset or None, key)``; ID the
    pairs or None. Mailbox names are decoded from modified UTF-7.
    """
    parts = list(parts)
    parts[-1] = parts[-1].rstrip(b" \t")  # trailing blanks people leave when typing
    line = transcript(parts)
    tag, verb, pos, problem = _head(parts[0])
    if problem == "http":
        return ImapCommand("UNKNOWN", "", line, "http")
    if problem is not None:
        return ImapCommand("UNKNOWN", verb if tag else "", line, problem, tag=tag)
    rest = line[pos:].lstrip(" ")
    if any(0 in part for part in parts):
        return ImapCommand(verb, rest, line, "nul", tag=tag)
    p = Cursor(parts, pos)
    try:
        args = _GRAMMAR[verb](p)
    except SyntaxProblem as exc:
        return ImapCommand(verb, rest, line, exc.problem, tag=tag, detail=exc.detail[:200])
    arg = rest
    if verb in MAILBOX_VERBS:
        arg = args if isinstance(args, str) else args[0]
    elif verb == "LOGIN":
        arg = args[0]
    elif verb == "AUTHENTICATE":
        arg = args[0]
    return ImapCommand(verb, arg, line, None, tag=tag, args=args)


def simple_line(raw: bytes, too_long: bool, verb: str, tag: Optional[str]) -> ImapCommand:
    """A line read in a mode of its own (AUTHENTICATE's response, IDLE's DONE)."""
    line = raw.decode("latin-1")
    if too_long:
        return ImapCommand(verb, "", line[:MAX_LINE_TEXT], "line_too_long", tag=tag)
    if b"\x00" in raw:
        return ImapCommand(verb, "", line, "nul", tag=tag)
    return ImapCommand(verb, "", line, None, tag=tag, args=line.strip(" \t"))


def seq_contains(seqset: SeqSet, number: int, star: int) -> bool:
    """Whether ``number`` is in the set, "*" standing for ``star`` (the largest number or UID)."""
    for low, high in seqset:
        a = star if low is None else low
        b = star if high is None else high
        if a > b:
            a, b = b, a
        if a <= number <= b:
            return True
    return False
