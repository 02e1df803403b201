"""Byte-level parsing for the POP3 engine: command lines and their arguments.

Pure functions, no state about the POP3 session: the engine (``pop3.py``)
owns the input buffer and decides what a parsed command means in its state.

* Lines are cut by the SMTP engine's :class:`~.smtp_parse.LineReader` (the
  same rules hold: CRLF or a bare LF ends a line, for nc and telnet users; a
  line over the limit, 255 octets with CRLF by RFC 2449 §4, is discarded up
  to its LF and never buffered whole).
* :func:`parse_command` turns one line into a :class:`Command`, setting
  ``problem`` instead of raising. For verb ``UNKNOWN``: ``line_too_long``,
  ``nul``, ``empty``, ``http``, ``not_implemented`` or ``unrecognized``. For
  a known verb: ``eight_bit``, ``missing_arg``, ``syntax`` (too many
  arguments) or ``not_a_number`` (then ``params`` holds just the offending
  token).

A well-formed command's arguments are in ``params`` as ``(name, value)``
pairs, named as in RFC 1939 (``name``, ``string``, ``digest``, ``msg``,
``n``). Keywords are case-insensitive (RFC 1939 §3); arguments are separated
by spaces, and MailSim forgives runs of spaces or tabs and trailing blanks
that people leave when typing. PASS takes the rest of the line, spaces
included, as the password (RFC 1939 §7 allows this).
"""
from __future__ import annotations

import re
from typing import Optional

from simulator.protocols.base import Command
from simulator.protocols.smtp.parse import LineReader

__all__ = ["VERBS", "HTTP_VERBS", "NOT_IMPLEMENTED", "ARGUMENTS", "LineReader", "parse_command"]

# RFC 1939 (USER ... UIDL, APOP) and RFC 2449 (CAPA).
VERBS = ("USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT",
         "TOP", "UIDL", "CAPA")
# An HTTP request sent to the POP3 port (a browser, or a cross-protocol attack).
HTTP_VERBS = frozenset({"GET", "POST", "PUT", "HEAD", "CONNECT", "OPTIONS", "DELETE", "PATCH"})
# Real POP3 verbs MailSim knows of but does not offer: AUTH (RFC 5034), STLS
# (RFC 2595), UTF8 and LANG (RFC 6856), and LAST/RPOP of the older RFCs 1460/1081.
NOT_IMPLEMENTED = frozenset({"AUTH", "STLS", "UTF8", "LANG", "LAST", "RPOP", "XTND"})

# verb -> (names of the required arguments, names of the optional ones); see NUMERIC.
ARGUMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "USER": (("name",), ()),
    "PASS": (("string",), ()),
    "APOP": (("name", "digest"), ()),
    "STAT": ((), ()),
    "LIST": ((), ("msg",)),
    "RETR": (("msg",), ()),
    "DELE": (("msg",), ()),
    "NOOP": ((), ()),
    "RSET": ((), ()),
    "QUIT": ((), ()),
    "TOP": (("msg", "n"), ()),
    "UIDL": ((), ("msg",)),
    "CAPA": ((), ()),
}
NUMERIC = frozenset({"msg", "n"})
_KNOWN = frozenset(VERBS)

_NUMBER = re.compile(r"[0-9]+")
_BLANKS = re.compile(r"[ \t]+")


# Parsed lines of the verbs that carry no credentials, shared by every session
# (a Command is immutable): a client's RETR 1 ... RETR n are parsed once. Bounded:
# emptied when full, so hostile input cannot make it grow.
_PARSED: dict[bytes, Command] = {}
_PARSED_MAX = 4096
_MEMO_VERBS = frozenset({"STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT", "TOP", "UIDL", "CAPA"})


def parse_command(raw: bytes, too_long: bool = False) -> Command:
    """One command line (without its CR LF) as a :class:`Command`; problems go in ``problem``."""
    if not too_long:
        known = _PARSED.get(raw)
        if known is not None:
            return known
    cmd = _parse(raw, too_long)
    if not too_long and cmd.verb in _MEMO_VERBS:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[bytes(raw)] = cmd
    return cmd


def _parse(raw: bytes, too_long: bool) -> Command:
    line = raw.decode("latin-1")
    if too_long:
        return Command("UNKNOWN", "", line, "line_too_long")
    if "\x00" in line:
        return Command("UNKNOWN", "", line, "nul")
    text = line.strip(" \t")
    if not text:
        return Command("UNKNOWN", "", line, "empty")
    single = "\t" not in text and "  " not in text  # the usual case: words apart by one space
    if single:
        head, _, rest = text.partition(" ")
        verb = head.upper()
    else:
        parts = _BLANKS.split(text, maxsplit=1)
        verb = parts[0].upper()
        rest = parts[1] if len(parts) > 1 else ""
    if verb in HTTP_VERBS:
        return Command("UNKNOWN", rest, line, "http")
    if verb not in _KNOWN:
        return Command("UNKNOWN", rest, line, "not_implemented" if verb in NOT_IMPLEMENTED else "unrecognized")
    if not line.isascii():
        return Command(verb, rest, line, "eight_bit")
    return _arguments(verb, rest, line, single)


def _arguments(verb: str, rest: str, line: str, single: bool = False) -> Command:
    required, optional = ARGUMENTS[verb]
    if verb == "PASS":
        tokens = [rest] if rest else []
    elif not rest:
        tokens = []
    else:
        tokens = rest.split(" ") if single else _BLANKS.split(rest)
    if len(tokens) < len(required):
        return Command(verb, rest, line, "missing_arg")
    names = required + optional
    if len(tokens) > len(names):
        return Command(verb, rest, line, "syntax")
    params: list[tuple[str, Optional[str]]] = []
    for name, token in zip(names, tokens):
        if name in NUMERIC and not (token.isdigit() and token.isascii()):
            return Command(verb, rest, line, "not_a_number", ((name, token),))
        params.append((name, token))
    return Command(verb, rest, line, None, tuple(params))
