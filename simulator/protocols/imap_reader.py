"""Reading IMAP input off the wire, and IMAP's string forms (used by the parser and the engine).

* :class:`CommandReader` cuts command-mode input into commands. A command is
  one line, or several when a line ends with a literal announcement ``{n}``
  (synchronising: the reader stops and reports ``"continue"`` until the
  engine :meth:`~CommandReader.grant`\\ s it) or ``{n+}`` (LITERAL+, RFC 7888:
  read on at once). A line over the limit is discarded up to its LF and never
  buffered whole; a literal over the limit is refused before any of its
  octets are stored (a non-synchronising one is skipped, counted, not kept).
* :func:`transcript`: a command as the transcript shows it, cut at 16 KiB.
* Modified UTF-7 for mailbox names (RFC 3501 §5.1.3), and quoted strings,
  literals and atoms as the server writes them.
"""
from __future__ import annotations

import base64
import re
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


__all__ = ["CommandReader", "transcript", "mutf7_encode", "mutf7_decode", "quote", "astring"]
