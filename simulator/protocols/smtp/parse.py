"""Byte-level parsing for the SMTP engine: command lines, paths, parameters, message content.

Pure functions and two small readers, no state about the SMTP session: the
engine (``smtp.py``) owns the input buffer and decides what a parsed command
means at its point of the session.

* :class:`LineReader` cuts command-mode input into lines. A line ends at CRLF
  or at a bare LF (people type into nc and telnet); a line over the limit is
  discarded up to its LF, never buffered whole.
* :func:`parse_command` turns one line into a :class:`Command`, setting
  ``problem`` instead of raising: ``line_too_long``, ``nul``, ``empty``,
  ``http``, ``unrecognized``, ``not_implemented`` (verb ``UNKNOWN``), or for
  a known verb ``eight_bit``, ``syntax``, ``missing_arg``, ``mailbox``,
  ``param_syntax`` (then ``params`` holds just the offending token).
* :class:`DataReader` reads message content after 354 (RFC 5321 §4.5.2):
  only CRLF "." CRLF ends it, leading dots are unstuffed, bare CR or LF are
  stored as CRLF, and oversize lines or messages are noted, not buffered.
"""
from __future__ import annotations

import re
from typing import Optional

from simulator.protocols.base import Command, MessageData

VERBS = ("HELO", "EHLO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "VRFY", "NOOP",
         "TURN", "EXPN", "HELP", "SEND", "SOML", "SAML")
# The lecture's spellings of SOML and SAML (table 14.1).
ALIASES = {"SMOL": "SOML", "SMAL": "SAML"}
# An HTTP request sent to the SMTP port (a browser, or a cross-protocol attack).
HTTP_VERBS = frozenset({"GET", "POST", "PUT", "HEAD", "CONNECT"})
# Real SMTP verbs this simulator knows of but does not offer: 502, not 500.
NOT_IMPLEMENTED = frozenset({"STARTTLS", "AUTH", "ETRN", "ATRN", "BDAT", "XCLIENT", "XFORWARD"})

# RFC 5321 §4.1.2 and §4.5.3.1.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_STRING = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*"
_LITERAL = r"\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]"
_MAILBOX = re.compile(rf"^(?P<local>{_DOT_STRING}|{_QUOTED})@(?P<domain>{_DOMAIN}|{_LITERAL})$")
_ROUTE = re.compile(rf"^@{_DOMAIN}(?:,@{_DOMAIN})*$")
_KEYWORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_VALUE = re.compile(r"^[\x21-\x3c\x3e-\x7e]+$")
_FROM = re.compile(r"^FROM:\s*", re.IGNORECASE)
_TO = re.compile(r"^TO:\s*", re.IGNORECASE)
_BREAK = re.compile(rb"\r|\n")
MAX_LOCAL, MAX_DOMAIN, MAX_PATH = 64, 255, 256


class LineReader:
    """Cuts command-mode bytes into lines without ever holding more than one limit's worth."""

    def __init__(self, limit: int):
        self.limit = limit  # octets, CRLF included
        self._discarding: Optional[bytes] = None  # start of an over-long line being skipped

    def next_line(self, buf: bytearray) -> Optional[tuple[bytes, bool]]:
        """Take the next line off ``buf``: ``(line without CR LF, too_long)``, or None for more."""
        nl = buf.find(b"\n")
        if self._discarding is not None:
            if nl < 0:
                buf.clear()
                return None
            del buf[:nl + 1]
            head, self._discarding = self._discarding, None
            return head, True
        if nl < 0:
            # Without its LF a valid line is at most limit - 1 octets (text + CR).
            if len(buf) >= self.limit:
                self._discarding = bytes(buf[:self.limit])
                buf.clear()
            return None
        line = bytes(buf[:nl])
        del buf[:nl + 1]
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) + 2 > self.limit:
            return line[:self.limit], True
        return line, False


def parse_command(raw: bytes, too_long: bool = False) -> Command:
    """One command line (without its CR LF) as a :class:`Command`; problems go in ``problem``."""
    line = raw.decode("latin-1")
    if too_long:
        return Command("UNKNOWN", "", line, "line_too_long")
    if "\x00" in line:
        return Command("UNKNOWN", "", line, "nul")
    text = line.strip(" \t")
    if not text:
        return Command("UNKNOWN", "", line, "empty")
    word, _, rest = text.partition(" ")
    rest = rest.strip(" \t")
    verb = word.upper()
    if verb in HTTP_VERBS:
        return Command("UNKNOWN", rest, line, "http")
    verb = ALIASES.get(verb, verb)
    if verb not in VERBS:
        return Command("UNKNOWN", rest, line, "not_implemented" if verb in NOT_IMPLEMENTED else "unrecognized")
    if any(ch > "\x7f" for ch in line):
        return Command(verb, rest, line, "eight_bit")
    if verb in ("HELO", "EHLO", "VRFY", "EXPN"):
        return Command(verb, rest, line, None if rest else "missing_arg")
    if verb in ("NOOP", "HELP"):
        return Command(verb, rest, line)
    if verb in ("DATA", "RSET", "QUIT", "TURN"):
        return Command(verb, "", line, "syntax" if rest else None)
    prefix = _TO if verb == "RCPT" else _FROM
    found = prefix.match(rest)
    if not found:
        return Command(verb, rest, line, "syntax")
    return _path_command(verb, rest[found.end():], line, rest)


def _path_command(verb: str, text: str, line: str, rest: str) -> Command:
    """MAIL, RCPT and the obsolete SEND/SOML/SAML: ``<path> [SP params]``."""
    end = _closing_bracket(text)
    if not text.startswith("<") or end < 0:
        return Command(verb, rest, line, "syntax")
    inner, tail = text[1:end], text[end + 1:]
    if tail and not tail.startswith(" "):
        return Command(verb, rest, line, "syntax")
    if inner.startswith("@"):  # a source route: accepted and ignored (RFC 5321 §4.1.1.3, Appendix C)
        route, colon, inner = inner.partition(":")
        if not colon or not _ROUTE.match(route):
            return Command(verb, rest, line, "mailbox")
    if not valid_mailbox(inner, null_ok=verb != "RCPT", postmaster_ok=verb == "RCPT"):
        return Command(verb, inner, line, "mailbox")
    params: list[tuple[str, Optional[str]]] = []
    for token in tail.split():
        keyword, eq, value = token.partition("=")
        if (not _KEYWORD.match(keyword) or (eq and not _VALUE.match(value))
                or keyword.upper() in (k for k, _ in params)):
            return Command(verb, inner, line, "param_syntax", ((token, None),))
        params.append((keyword.upper(), value if eq else None))
    return Command(verb, inner, line, None, tuple(params))


def _closing_bracket(text: str) -> int:
    """Index of the ``>`` closing the path, skipping quoted strings; -1 if none."""
    quoted = escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ">" and not quoted:
            return i
    return -1


def valid_mailbox(address: str, *, null_ok: bool = False, postmaster_ok: bool = False) -> bool:
    """True for ``local@domain`` per RFC 5321 §4.1.2 (and its length limits)."""
    if address == "":
        return null_ok
    if postmaster_ok and address.lower() == "postmaster":
        return True
    found = _MAILBOX.match(address)
    return found is not None and len(found["local"]) <= MAX_LOCAL and len(found["domain"]) <= MAX_DOMAIN \
        and len(address) + 2 <= MAX_PATH


class DataReader:
    """Reads the message after 354, a line at a time, until CRLF "." CRLF.

    Lines are split at CRLF only, so no variant such as LF "." CRLF or
    CRLF "." LF can end the message early (the "SMTP smuggling" trick).
    """

    def __init__(self, text_line: int, max_size: int):
        self.text_line = text_line  # octets per line, CRLF included
        self.max_size = max_size    # octets of content
        self._content = bytearray()
        self._raw = bytearray()
        self._received = 0          # octets of the wire form so far
        self._line_len = 0          # octets of the current CRLF-line so far
        self._first = b""           # its first octet
        self._piece = 0             # octets since the last line break of any kind
        self._problem: Optional[str] = None

    def feed(self, buf: bytearray) -> Optional[MessageData]:
        """Consume what ``buf`` holds; the message once its end arrives, else None."""
        while True:
            crlf = buf.find(b"\r\n")
            if crlf < 0:
                # Keep a trailing CR: it may be half of the next CRLF.
                take = len(buf) - (1 if buf.endswith(b"\r") else 0)
                if take > 0:
                    self._segment(bytes(buf[:take]), final=False)
                    del buf[:take]
                return None
            segment = bytes(buf[:crlf])
            del buf[:crlf + 2]
            whole = self._line_len + len(segment)
            if whole == 1 and (self._first or segment) == b".":
                self._wire(segment + b"\r\n")
                return MessageData(bytes(self._content), self._problem, bytes(self._raw), self._received)
            self._segment(segment, final=True)

    def _wire(self, data: bytes) -> None:
        self._received += len(data)
        room = self.max_size + self.text_line - len(self._raw)
        if room > 0:
            self._raw += data[:room]

    def _segment(self, segment: bytes, *, final: bool) -> None:
        self._wire(segment + (b"\r\n" if final else b""))
        text = segment
        if self._line_len == 0 and segment:
            self._first = segment[:1]
            if text.startswith(b"."):
                text = text[1:]
                self._piece += 1  # the stuffed dot counts on the wire
        self._line_len += len(segment)
        pieces = _BREAK.split(text)
        for i, piece in enumerate(pieces):
            if i:
                self._store(b"\r\n")
                self._piece = 0
            self._piece += len(piece)
            if self._piece + 2 > self.text_line and self._problem is None:
                self._problem = "line_too_long"
            self._store(piece)
        if final:
            self._store(b"\r\n")
            self._line_len = self._piece = 0
            self._first = b""

    def _store(self, data: bytes) -> None:
        if not data:
            return
        if len(self._content) + len(data) > self.max_size:
            if self._problem is None:
                self._problem = "too_big"
            return
        if self._problem is None:
            self._content += data
