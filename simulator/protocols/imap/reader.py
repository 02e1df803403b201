"""Reading IMAP input off the wire: commands, their tokens, and IMAP's string forms.

* :class:`CommandReader` cuts command-mode input into commands. A command is
  one line, or several when a line ends with a literal announcement ``{n}``
  (synchronising: the reader stops and reports ``"continue"`` until the
  engine :meth:`~CommandReader.grant`\\ s it) or ``{n+}`` (LITERAL+, RFC 7888:
  read on at once). A line over the limit is discarded up to its LF and never
  buffered whole; a literal over the limit is refused before any of its
  octets are stored (a non-synchronising one is skipped, counted, not kept).
* :func:`transcript`: a command as the transcript shows it, cut at 16 KiB.
* :class:`Cursor`: the tokens of RFC 3501 §9 (atoms, quoted strings,
  literals, numbers, sequence sets, flags, dates) read off a command's parts;
  ``imap_parse`` builds each command's grammar from them and reports
  :class:`SyntaxProblem` as the command's ``problem``.
* Modified UTF-7 for mailbox names (RFC 3501 §5.1.3), and quoted strings,
  literals and atoms as the server writes them.
"""
from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta, timezone
from typing import Optional, Union

MAX_LINE_TEXT = 16 * 1024     # a transcript line is cut here

# RFC 3501 §9: atom-specials are ( ) { SP CTL % * " \ ]; 8-bit octets are let into atoms
# (people type UTF-8 passwords into nc), tags stay 7-bit.
CTL = frozenset(set(range(0x20)) | {0x7F})
ATOM_CHARS = frozenset(set(range(256)) - CTL - set(b'(){ %*"\\]'))
ASTRING_CHARS = ATOM_CHARS | {ord("]")}
LITERAL_END = re.compile(rb"\{(\d+)(\+?)\}$")


# --------------------------------------------------------------------------
# Reading commands off the input buffer


class CommandReader:
    """Cuts command-mode bytes into complete commands, holding at most one line and its literals.

    :meth:`next` returns ``None`` (more bytes needed) or an event
    ``(kind, parts)``: ``"command"`` (complete), ``"continue"`` (a
    synchronising literal was announced: answer "+" and :meth:`grant`, or
    :meth:`cancel`), ``"too_long"`` (parts = the line's head, for its tag)
    or ``"too_big"`` (a literal over the limit; nothing of it is stored).
    """

    def __init__(self, line_limit: int, max_literal: int):
        self.line_limit = line_limit    # octets of command text per command, CRLFs included
        self.max_literal = max_literal  # octets of literal data per command
        self.cancel()

    def cancel(self) -> None:
        """Forget the partial command (its literal will not be sent, or is not wanted)."""
        self.parts: list[bytes] = []
        self._text = 0
        self._literals = 0
        self._need: Optional[int] = None
        self._literal = bytearray()
        self._waiting = False
        self._discard = 0
        self._dropping = False
        self._skip_head: Optional[bytes] = None

    @property
    def held(self) -> int:
        """Octets of a partial command held in memory."""
        return sum(len(p) for p in self.parts) + len(self._literal) + len(self._skip_head or b"")

    @property
    def busy(self) -> bool:
        """In the middle of a command: a partial line or literal, or input being skipped."""
        return bool(self.parts or self._need is not None or self._discard or self._dropping
                    or self._skip_head is not None)

    @property
    def waiting(self) -> bool:
        """A synchronising literal was announced and not yet granted."""
        return self._waiting

    def grant(self) -> None:
        """The server sent "+": read the literal's octets."""
        self._waiting = False

    def next(self, buf: bytearray) -> Optional[tuple[str, list[bytes]]]:
        while True:
            if self._waiting:
                return None
            if self._discard:
                take = min(self._discard, len(buf))
                del buf[:take]
                self._discard -= take
                if self._discard:
                    return None
                continue
            if self._need is not None:
                take = min(self._need, len(buf))
                if take:
                    self._literal += buf[:take]
                    del buf[:take]
                    self._need -= take
                if self._need:
                    return None
                self.parts.append(bytes(self._literal))
                self._literal = bytearray()
                self._need = None
                continue
            event = self._line(buf)
            if event != "again":
                return event

    def _line(self, buf: bytearray):
        nl = buf.find(b"\n")
        if self._skip_head is not None:
            if nl < 0:
                buf.clear()
                return None
            del buf[:nl + 1]
            head = self.parts[0] if self.parts else self._skip_head
            self.cancel()
            return ("too_long", [head])
        room = self.line_limit - self._text
        if nl < 0:
            if len(buf) >= room:  # even if its LF came next it would not fit
                self._skip_head = bytes(buf[:1024])
                buf.clear()
            return None
        line = bytes(buf[:nl])
        del buf[:nl + 1]
        if line.endswith(b"\r"):
            line = line[:-1]
        if self._dropping:  # the rest of a command whose literal was refused
            found = LITERAL_END.search(line)
            self.cancel()
            if found and found.group(2) and len(found.group(1)) <= 12:
                self._dropping = True
                self._discard = int(found.group(1))
            return "again"
        if len(line) + 2 > room:
            head = self.parts[0] if self.parts else line[:1024]
            self.cancel()
            return ("too_long", [head])
        self.parts.append(line)
        self._text += len(line) + 2
        found = LITERAL_END.search(line)
        if not found:
            parts = self.parts
            self.cancel()
            return ("command", parts)
        digits, plus = found.groups()
        size = int(digits) if len(digits) <= 12 else 10 ** 12
        if size > self.max_literal - self._literals:
            parts = self.parts
            self.cancel()
            if plus:  # the client sends it anyway: skip it, without keeping any of it
                self._dropping = True
                self._discard = size
            return ("too_big", parts)
        self._literals += size
        self._need = size
        if not plus:
            self._waiting = True
            return ("continue", list(self.parts))
        return "again"


def transcript(parts: list[bytes]) -> str:
    """The command as the client sent it (literals inline, CRLF as newline), cut at 16 KiB."""
    total = sum(len(p) for p in parts) + 2 * (len(parts) // 2)
    chunks: list[bytes] = []
    room = MAX_LINE_TEXT
    for i, part in enumerate(parts):
        piece = part + (b"\r\n" if i % 2 == 0 and i + 1 < len(parts) else b"")
        chunks.append(piece[:room])
        room -= len(chunks[-1])
        if room <= 0:
            break
    data = b"".join(chunks)
    if total > len(data):
        data += b"... (%d more octets)" % (total - len(data))
    return data.decode("latin-1").replace("\r\n", "\n")


# --------------------------------------------------------------------------
# Strings


def mutf7_encode(name: str) -> str:
    """A mailbox name in modified UTF-7 (RFC 3501 §5.1.3): "&" is "&-", non-ASCII runs are base64 of UTF-16."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if " " <= ch <= "~":
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(name: str) -> str:
    """The mailbox name a client sent in modified UTF-7; ValueError if it is not valid."""
    if "&" not in name:
        return name
    out: list[str] = []
    pos = 0
    while pos < len(name):
        amp = name.find("&", pos)
        if amp < 0:
            out.append(name[pos:])
            break
        out.append(name[pos:amp])
        end = name.find("-", amp)
        if end < 0:
            raise ValueError("unterminated &... in modified UTF-7")
        chunk = name[amp + 1:end]
        if not chunk:
            out.append("&")
        else:
            if not re.fullmatch(r"[A-Za-z0-9+,]+", chunk):
                raise ValueError("invalid modified base64")
            raw = chunk.replace(",", "/")
            try:
                data = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
                text = data.decode("utf-16-be")
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValueError("invalid modified UTF-7") from exc
            if any(" " <= ch <= "~" for ch in text):
                raise ValueError("printable ASCII must not be base64-encoded in modified UTF-7")
            out.append(text)
        pos = end + 1
    return "".join(out)


def quote(data: Union[bytes, str]) -> bytes:
    """A string as IMAP sends it: a quoted string, or a literal if it holds CR, LF, NUL or 8-bit."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if any(c in (0, 10, 13) or c > 0x7E for c in raw):
        return b"{%d}\r\n" % len(raw) + raw
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def astring(data: Union[bytes, str]) -> bytes:
    """An atom when every octet is an ASTRING-CHAR (and it is not NIL), else :func:`quote`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if raw and all(c in ASTRING_CHARS and c < 0x80 for c in raw) and raw.upper() != b"NIL":
        return raw
    return quote(raw)


# --------------------------------------------------------------------------
# Tokens: the cursor the per-command grammars (imap_parse) read arguments with

SYSTEM_FLAGS = {f.lower(): f for f in ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")}
STATUS_ITEMS = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MAX_NUMBER = 2 ** 32 - 1      # RFC 3501 §9: number is 32 bits
MAX_DEPTH = 40                # nesting of search keys and parentheses

_LIST = ATOM_CHARS | set(b"%*]")
SEQ_CHARS = frozenset(b"0123456789:,*")
NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_DATE = re.compile(r"^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4})$")
_DATETIME = re.compile(r"^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")


# A sequence set: ranges (low, high), either end None for "*".
SeqSet = tuple[tuple[Optional[int], Optional[int]], ...]


class SyntaxProblem(Exception):
    """A command that does not follow the grammar; ``problem`` is the Command.problem to report."""

    def __init__(self, detail: str, problem: str = "syntax"):
        super().__init__(detail)
        self.detail = detail
        self.problem = problem


def decode_text(raw: bytes) -> str:
    """Client bytes as text: UTF-8 if they are, else latin-1 (never fails)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def mailbox_name(raw: bytes) -> str:
    """A mailbox name from the wire: decoded from modified UTF-7, INBOX in any case as INBOX."""
    try:
        name = mutf7_decode(decode_text(raw))
    except ValueError as exc:
        raise SyntaxProblem(f"mailbox name: {exc}") from exc
    head, sep, rest = name.partition("/")
    if head.upper() == "INBOX":
        return "INBOX" + sep + rest
    return name


class Cursor:
    """A cursor over a command's parts: line text, literal, line text..."""

    def __init__(self, parts: list[bytes], pos: int = 0):
        self.parts = parts
        self.i = 0
        self.s = parts[0]
        self.pos = pos
        self.depth = 0

    def peek(self) -> Optional[int]:
        return self.s[self.pos] if self.pos < len(self.s) else None

    def at_end(self) -> bool:
        return self.pos >= len(self.s) and self.i == len(self.parts) - 1

    def end(self) -> None:
        if not self.at_end():
            raise SyntaxProblem("unexpected text at the end: " + decode_text(self.s[self.pos:self.pos + 40]))

    def sp(self) -> None:
        if self.peek() != 0x20:
            raise SyntaxProblem("expected a space" if not self.at_end() else "missing argument")
        self.pos += 1

    def char(self, ch: bytes) -> None:
        if self.peek() != ch[0]:
            raise SyntaxProblem(f"expected {ch.decode()!r}")
        self.pos += 1

    def maybe(self, ch: bytes) -> bool:
        if self.peek() == ch[0]:
            self.pos += 1
            return True
        return False

    def take(self, allowed: frozenset) -> bytes:
        start = self.pos
        s = self.s
        while self.pos < len(s) and s[self.pos] in allowed:
            self.pos += 1
        return s[start:self.pos]

    def atom(self, what: str = "atom") -> bytes:
        word = self.take(ATOM_CHARS)
        if not word:
            raise SyntaxProblem(f"expected {what}")
        return word

    def word(self) -> str:
        """An upper-cased keyword (letters, digits, dots, dashes)."""
        word = self.take(NAME_CHARS)
        if not word:
            raise SyntaxProblem("expected a keyword")
        return word.decode("ascii").upper()

    def literal_ahead(self) -> bool:
        return self.peek() == ord("{") and self.i + 1 < len(self.parts) \
            and LITERAL_END.fullmatch(self.s[self.pos:]) is not None

    def literal(self) -> bytes:
        if not self.literal_ahead():
            raise SyntaxProblem("expected a literal {n}")
        value = self.parts[self.i + 1]
        self.i += 2
        self.s = self.parts[self.i]
        self.pos = 0
        return value

    def quoted(self) -> bytes:
        self.char(b'"')
        out = bytearray()
        s = self.s
        while True:
            if self.pos >= len(s):
                raise SyntaxProblem("unterminated quoted string")
            c = s[self.pos]
            self.pos += 1
            if c == 0x22:
                return bytes(out)
            if c == 0x5C:
                if self.pos >= len(s) or s[self.pos] not in (0x22, 0x5C):
                    raise SyntaxProblem("only \\\" and \\\\ may be escaped in a quoted string")
                c = s[self.pos]
                self.pos += 1
            out.append(c)

    def string(self) -> bytes:
        if self.peek() == 0x22:
            return self.quoted()
        if self.literal_ahead():
            return self.literal()
        raise SyntaxProblem("expected a quoted string or a literal")

    def astring(self, what: str = "a string") -> bytes:
        c = self.peek()
        if c == 0x22 or self.literal_ahead():
            return self.string()
        word = self.take(ASTRING_CHARS)
        if not word:
            raise SyntaxProblem(f"expected {what}")
        return word

    def nstring(self) -> Optional[bytes]:
        if self.s[self.pos:self.pos + 3].upper() == b"NIL":
            self.pos += 3
            return None
        return self.string()

    def mailbox(self) -> str:
        return mailbox_name(self.astring("a mailbox name"))

    def list_mailbox(self) -> str:
        c = self.peek()
        if c == 0x22 or self.literal_ahead():
            raw = self.string()
        else:
            raw = self.take(_LIST)
            if not raw:
                raise SyntaxProblem("expected a mailbox pattern")
        return mailbox_name(raw)

    def number(self, nonzero: bool = False) -> int:
        digits = self.take(frozenset(b"0123456789"))
        if not digits:
            raise SyntaxProblem("expected a number")
        value = int(digits) if len(digits) <= 12 else MAX_NUMBER + 1
        if value > MAX_NUMBER or (nonzero and value == 0):
            raise SyntaxProblem(f"number out of range: {digits[:20].decode()}")
        return value

    def seqset(self) -> SeqSet:
        raw = self.take(SEQ_CHARS).decode("ascii")
        if not raw:
            raise SyntaxProblem("expected a message set like 1:5,7 or 1:*")
        ranges = []
        for item in raw.split(","):
            low, colon, high = item.partition(":")
            a = seq_number(low)
            b = seq_number(high) if colon else a
            ranges.append((a, b))
        return tuple(ranges)

    def flag(self) -> str:
        if self.maybe(b"\\"):
            name = self.take(ATOM_CHARS)
            flag = "\\" + name.decode("latin-1")
            canonical = SYSTEM_FLAGS.get(flag.lower())
            if canonical is None:
                raise SyntaxProblem(flag, "flag")
            return canonical
        word = self.atom("a flag")
        if any(c > 0x7E for c in word):
            raise SyntaxProblem(word.decode("latin-1"), "flag")
        return word.decode("ascii")

    def flag_list(self) -> tuple[str, ...]:
        self.char(b"(")
        flags: list[str] = []
        if not self.maybe(b")"):
            flags.append(self.flag())
            while not self.maybe(b")"):
                self.sp()
                flags.append(self.flag())
        return tuple(flags)

    def date(self) -> date:
        if self.peek() == 0x22:
            raw = self.quoted()
        else:
            raw = self.take(frozenset(b"0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
        found = _DATE.match(raw.decode("latin-1"))
        if not found:
            raise SyntaxProblem("expected a date like 1-Feb-2024")
        return make_date(found.group(1), found.group(2), found.group(3))

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SyntaxProblem("too deeply nested")
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.depth -= 1
        return False


def seq_number(text: str) -> Optional[int]:
    if text == "*":
        return None
    if not text.isdigit() or len(text) > 10 or int(text) == 0 or int(text) > MAX_NUMBER:
        raise SyntaxProblem(f"invalid message number {text[:20]!r} in the set")
    return int(text)


def make_date(day: str, month: str, year: str) -> date:
    try:
        return date(int(year), MONTHS.index(month.upper()) + 1, int(day))
    except ValueError as exc:
        raise SyntaxProblem("invalid date") from exc


def date_time(raw: bytes) -> float:
    """APPEND's date-time ("17-Jul-1996 02:44:25 -0700") as a timestamp."""
    found = _DATETIME.match(raw.decode("latin-1"))
    if not found:
        raise SyntaxProblem('expected a date-time like "17-Jul-1996 02:44:25 -0700"')
    day, month, year, hh, mm, ss, sign, zh, zm = found.groups()
    day_ = make_date(day, month, year)
    try:
        zone = timezone((1 if sign == "+" else -1) * timedelta(hours=int(zh), minutes=int(zm)))
        when = datetime(day_.year, day_.month, day_.day, int(hh), int(mm), int(ss), tzinfo=zone)
    except ValueError as exc:
        raise SyntaxProblem("invalid date-time") from exc
    return when.timestamp()


__all__ = ["CommandReader", "transcript", "mutf7_encode", "mutf7_decode", "quote", "astring", "Cursor",
           "SyntaxProblem", "SeqSet", "decode_text", "mailbox_name", "date_time", "make_date", "seq_number",
           "ATOM_CHARS", "ASTRING_CHARS", "SEQ_CHARS", "NAME_CHARS", "SYSTEM_FLAGS", "STATUS_ITEMS"]
