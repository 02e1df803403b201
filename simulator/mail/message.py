"""A message's structure: header fields and the tree of MIME parts, and what can be asked of them.

What the IMAP engine renders as ENVELOPE, BODYSTRUCTURE and BODY[section]
(:mod:`simulator.protocols.imap.structure`), searches (SEARCH) and the
mailbox viewer describes (:mod:`simulator.mail.describe`) all start here.
Sans-I/O and stdlib only; imports only ``simulator.mail``. Every function takes the raw message (bytes as
stored, CRLF line ends) or a :class:`ParsedMessage` made by :func:`parse`, so
the engine can parse a message once and cache it per UID.

Theory of operation. :func:`parse` walks the raw bytes once and records where
each MIME part's header and body start and end (offsets into the raw bytes,
never copies), like Dovecot's message parser. Everything the engine sends is
cut from those offsets, so ``BODY[1.MIME]`` and the BODYSTRUCTURE sizes are
byte-exact. Nothing here raises on a malformed message; damage degrades the
way RFC 2045/2046 and Dovecot suggest, and is noted in ``Part.problems``
(the mailbox viewer, :mod:`simulator.mail.describe`, shows those keys):

* the header ends at the first empty line; a line that is neither a field
  nor a continuation is kept as a damaged field (``header_without_colon``),
  except on the first line, where it means the part has no header at all;
* an invalid Content-Type counts as text/plain; us-ascii (RFC 2045 §5.2),
  and so does a multipart without a boundary parameter;
* a multipart whose boundary never appears, or that sits too deep, gets a
  single empty text/plain part (what Dovecot answers: IMAP's grammar needs at
  least one part); a missing closing boundary ends the last part at the end
  of the enclosing part (RFC 2046 §5.1.1 says nothing; everyone does this);
* nesting stops at :data:`MAX_DEPTH` and the part count at :data:`MAX_PARTS`.

Where the output differs among servers, the RFC 3501 examples win: media
type, subtype and transfer encoding are upper-cased ("TEXT" "PLAIN" "7BIT",
as in the RFC and Cyrus; Dovecot sends them as the message spells them),
parameters are sent as the message spells them, a text part without a
charset gets ("CHARSET" "US-ASCII"), header strings are never decoded.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from email.utils import parsedate_tz
from typing import Optional, Union

from simulator.mail.address import addresses  # noqa: F401  (public here too)
from simulator.mail.decode import charset_codec, decode_base64, decode_text, decode_transfer, decode_words  # noqa: F401

MAX_DEPTH = 32     # nested multiparts / message/rfc822 levels
MAX_PARTS = 2000   # MIME parts in one message

_FTEXT = re.compile(rb"^[\x21-\x39\x3b-\x7e]+$")  # RFC 5322 field name
_FOLD = re.compile(rb"\r?\n(?=[ \t])|\r?\n$")
_TOKEN = rb"[!#$%&'*+.^_`{|}~0-9A-Za-z-]+"
_CTYPE = re.compile(rb"^\s*(" + _TOKEN + rb")\s*/\s*(" + _TOKEN + rb")\s*$")
_DISP = re.compile(rb"^\s*(" + _TOKEN + rb")\s*$")
_PARAM_SPLIT = re.compile(rb'"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|[^;"(]+|;', re.S)
_QUOTED_PAIR = re.compile(rb"\\(.)", re.S)


# --------------------------------------------------------------------------
# The parsed tree

@dataclass(eq=False)
class Field:
    """One header field: ``name`` as written, its offsets in the raw message.

    ``start``..``end`` is the whole field (folded lines and line break
    included); ``value_start`` is just past the colon. A damaged line with no
    colon has ``name`` None.
    """

    name: Optional[bytes]
    start: int
    value_start: int
    end: int


@dataclass(eq=False)
class Part:
    """A MIME part (or a whole message): offsets into the raw bytes and its parsed header.

    ``type``/``subtype`` are the effective media type (lower-case bytes),
    ``declared`` what Content-Type said. A multipart has ``children`` (never
    empty); a message/rfc822 part has ``message``, the encapsulated message.
    """

    start: int
    body_start: int
    end: int
    fields: list = field(default_factory=list)
    type: bytes = b"text"
    subtype: bytes = b"plain"
    subtype_raw: bytes = b"plain"
    type_raw: bytes = b"text"
    declared: Optional[tuple] = None
    params: list = field(default_factory=list)   # [(name, value)] as written, value unquoted
    children: list = field(default_factory=list)
    message: Optional["Part"] = None
    problems: list = field(default_factory=list)
    synthetic: bool = False
    source: bytes = b""

    def first(self, name: bytes) -> Optional[bytes]:
        """The first field called ``name`` (lower-case bytes), unfolded and stripped, or None."""
        for f in self.fields:
            if f.name is not None and f.name.lower() == name:
                return unfold(self.source[f.value_start:f.end])
        return None

    def all(self, name: bytes) -> list[bytes]:
        return [unfold(self.source[f.value_start:f.end]) for f in self.fields
                if f.name is not None and f.name.lower() == name]

    def param(self, name: bytes) -> Optional[bytes]:
        for k, v in self.params:
            if k.lower() == name:
                return v
        return None

    @property
    def header(self) -> bytes:
        return self.source[self.start:self.body_start]

    @property
    def body(self) -> bytes:
        return self.source[self.body_start:self.end]

    @property
    def size(self) -> int:
        return self.end - self.body_start

    @property
    def lines(self) -> int:
        """Text lines in the body: line breaks, plus an unterminated last line."""
        if self.end <= self.body_start:
            return 0
        n = self.source.count(b"\n", self.body_start, self.end)
        return n + (0 if self.source[self.end - 1:self.end] == b"\n" else 1)

    @property
    def encoding(self) -> bytes:
        value = self.first(b"content-transfer-encoding")
        return value.strip().lower() if value and value.strip() else b"7bit"

    def walk(self):
        """This part and every part below it, encapsulated messages included, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()
        if self.message is not None:
            yield from self.message.walk()


class ParsedMessage:
    """A message parsed once: ``raw`` and the ``root`` :class:`Part`."""

    __slots__ = ("raw", "_root", "_texts", "_header_text")

    def __init__(self, raw: Union[bytes, bytearray]):
        self.raw = bytes(raw)
        self._root: Optional[Part] = None
        self._texts: Optional[list[str]] = None
        self._header_text: Optional[str] = None

    @property
    def root(self) -> "Part":
        """The MIME tree, parsed on first use (BODY[] of the whole message never needs it)."""
        if self._root is None:
            self._root = _Parser(self.raw).part(0, len(self.raw), 0, (b"text", b"plain"))
        return self._root


Msg = Union[bytes, bytearray, ParsedMessage]


def parse(raw: bytes) -> ParsedMessage:
    """Parse ``raw`` once; never raises."""
    return ParsedMessage(raw)


def parsed(msg: Msg) -> ParsedMessage:
    return msg if isinstance(msg, ParsedMessage) else ParsedMessage(msg)


def unfold(value: bytes) -> bytes:
    """A header value with its folding line breaks removed (RFC 5322 §2.2.3) and outer blanks stripped."""
    return _FOLD.sub(b"", value).strip(b" \t\r\n")


class _Parser:
    def __init__(self, raw: bytes):
        self.raw = raw
        self.count = 0

    def part(self, start: int, end: int, depth: int, default: tuple) -> Part:
        raw = self.raw
        fields, body_start, problems = _header(raw, start, end)
        p = Part(start, body_start, end, fields, problems=problems, source=raw)
        p.type, p.subtype = default
        p.type_raw, p.subtype_raw = default
        self.count += 1
        ctype = p.first(b"content-type")
        if ctype is not None:
            p.declared, p.params = _content_type(ctype)
            if p.declared is None:
                p.problems.append("bad_content_type")
                p.type, p.subtype = p.type_raw, p.subtype_raw = b"text", b"plain"
                p.params = []
            else:
                p.type_raw, p.subtype_raw = p.declared
                p.type, p.subtype = p.type_raw.lower(), p.subtype_raw.lower()
        if p.type not in (b"multipart", b"message") or (p.type == b"message" and p.subtype != b"rfc822"):
            return p
        if depth >= MAX_DEPTH or self.count >= MAX_PARTS:
            p.problems.append("too_deep" if depth >= MAX_DEPTH else "too_many_parts")
            p.type, p.subtype = p.type_raw, p.subtype_raw = b"application", b"octet-stream"
            p.params = []
            return p
        if p.type == b"message":
            if p.encoding not in (b"7bit", b"8bit", b"binary"):
                p.problems.append("encoded_message")
            p.message = self.part(body_start, end, depth + 1, (b"text", b"plain"))
            return p
        boundary = p.param(b"boundary")
        if not boundary:
            p.problems.append("missing_boundary")
            p.type, p.subtype = p.type_raw, p.subtype_raw = b"text", b"plain"
            p.params = []
            return p
        child_default = (b"message", b"rfc822") if p.subtype == b"digest" else (b"text", b"plain")
        for s, e in self._regions(p, boundary):
            if self.count >= MAX_PARTS:
                p.problems.append("too_many_parts")
                break
            p.children.append(self.part(s, e, depth + 1, child_default))
        if not p.children:
            empty = Part(end, end, end, synthetic=True, source=raw)
            p.children.append(empty)
        return p

    def _regions(self, p: Part, boundary: bytes) -> list[tuple[int, int]]:
        """The body parts of a multipart: (start, end) between its delimiter lines (RFC 2046 §5.1.1)."""
        raw, end = self.raw, p.end
        delim = re.compile(rb"^--" + re.escape(boundary) + rb"(--)?[ \t]*\r?$", re.M)
        regions: list[tuple[int, int]] = []
        part_start = None
        closed = False
        for m in delim.finditer(raw, p.body_start, end):
            line_start = m.start()
            if line_start != p.body_start and raw[line_start - 1:line_start] != b"\n":
                continue  # ^ may match where the search began; a delimiter starts a line
            if part_start is not None:
                cut = line_start
                if cut > part_start and raw[cut - 1:cut] == b"\n":
                    cut -= 1
                    if cut > part_start and raw[cut - 1:cut] == b"\r":
                        cut -= 1
                regions.append((part_start, cut))
            after = m.end()
            if raw[after:after + 1] == b"\n":
                after += 1
            if m.group(1):
                closed = True
                break
            part_start = after
            if len(regions) >= MAX_PARTS:
                break
        if part_start is None:
            p.problems.append("boundary_not_found")
        elif not closed:
            p.problems.append("missing_closing_boundary")
            regions.append((part_start, end))
        return regions


def _header(raw: bytes, start: int, end: int) -> tuple[list[Field], int, list[str]]:
    """The fields of the header at ``start`` and where the body begins."""
    fields: list[Field] = []
    problems: list[str] = []
    pos = start
    while pos < end:
        nl = raw.find(b"\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        content_end = line_end
        while content_end > pos and raw[content_end - 1] in (10, 13):
            content_end -= 1
        if content_end == pos and (nl >= 0 or line_end > pos):
            return fields, line_end, problems  # the empty line ends the header
        first = raw[pos:pos + 1]
        if first in (b" ", b"\t") and fields:
            fields[-1].end = line_end  # a folded continuation line
        else:
            colon = raw.find(b":", pos, content_end)
            name = raw[pos:colon].rstrip(b" \t") if colon > pos else b""
            if name and _FTEXT.match(name):
                fields.append(Field(name, pos, colon + 1, line_end))
            elif not fields and not raw.startswith(b"From ", pos):
                return fields, start, problems  # no header at all: the body starts here
            else:
                if "header_without_colon" not in problems:
                    problems.append("header_without_colon")
                fields.append(Field(None, pos, pos, line_end))
        pos = line_end
    return fields, end, problems


def _split_params(value: bytes) -> list[bytes]:
    """``value`` cut at the semicolons outside quoted strings and comments."""
    out: list[bytes] = []
    cur: list[bytes] = []
    for m in _PARAM_SPLIT.finditer(value):
        tok = m.group(0)
        if tok == b";":
            out.append(b"".join(cur))
            cur = []
        elif not tok.startswith(b"("):
            cur.append(tok)
    out.append(b"".join(cur))
    return out


def _unquote(value: bytes) -> bytes:
    value = value.strip(b" \t")
    if value.startswith(b'"'):
        value = value[1:-1] if len(value) > 1 and value.endswith(b'"') else value[1:]
        return _QUOTED_PAIR.sub(rb"\1", value)
    return value


def _params(segments: list[bytes]) -> list[tuple[bytes, bytes]]:
    params = []
    for seg in segments:
        name, eq, value = seg.partition(b"=")
        name = name.strip(b" \t")
        if eq and name:
            params.append((name, _unquote(value)))
    return params


def _content_type(value: bytes) -> tuple[Optional[tuple[bytes, bytes]], list]:
    segments = _split_params(value)
    m = _CTYPE.match(segments[0])
    return ((m.group(1), m.group(2)) if m else None), _params(segments[1:])


def disposition(p: Part) -> Optional[tuple[bytes, list]]:
    """Content-Disposition as (type as written, params), or None (absent or unreadable)."""
    value = p.first(b"content-disposition")
    if value is None:
        return None
    segments = _split_params(value)
    m = _DISP.match(segments[0])
    return (m.group(1), _params(segments[1:])) if m else None


# --------------------------------------------------------------------------
# IMAP strings and lists

def _needle(needle: Union[str, bytes]) -> str:
    if isinstance(needle, (bytes, bytearray)):
        needle = bytes(needle).decode("utf-8", "replace")
    return needle.casefold()


def header_contains(msg: Msg, field_name: str, needle: Union[str, bytes]) -> bool:
    """SEARCH HEADER/FROM/SUBJECT...: a case-insensitive substring of some ``field_name`` field, decoded."""
    name = field_name.strip().lower().encode("utf-8", "replace")
    want = _needle(needle)
    for value in parsed(msg).root.all(name):
        if want in decode_words(value)[0].casefold():
            return True
    return False


def _texts(pm: ParsedMessage) -> list[str]:
    if pm._texts is None:
        texts = []
        for p in pm.root.walk():
            if p.type == b"text" and not p.children and p.message is None:
                data, _ = decode_transfer(p.body, p.encoding)
                texts.append(decode_text(data, p.param(b"charset"))[0].casefold())
        pm._texts = texts
    return pm._texts


def body_contains(msg: Msg, needle: Union[str, bytes]) -> bool:
    """SEARCH BODY: a case-insensitive substring of a text part, transfer encoding and charset undone."""
    want = _needle(needle)
    return any(want in text for text in _texts(parsed(msg)))


def text_contains(msg: Msg, needle: Union[str, bytes]) -> bool:
    """SEARCH TEXT: the needle in the header (decoded) or in the body."""
    pm = parsed(msg)
    if pm._header_text is None:
        lines = []
        for f in pm.root.fields:
            value = unfold(pm.raw[f.value_start:f.end]) if f.name else pm.raw[f.start:f.end]
            lines.append((f.name or b"").decode("latin-1") + ": " + decode_words(value)[0])
        pm._header_text = "\n".join(lines).casefold()
    want = _needle(needle)
    return want in pm._header_text or body_contains(pm, needle)


def sent_date(msg: Msg) -> Optional[_dt.date]:
    """The date of the Date header as written (its own time zone), for SENTBEFORE/SENTON/SENTSINCE."""
    value = parsed(msg).root.first(b"date")
    if value is None:
        return None
    try:
        when = parsedate_tz(value.decode("ascii", "replace"))
        return _dt.date(*when[:3]) if when else None
    except (ValueError, TypeError, IndexError, OverflowError):
        return None


