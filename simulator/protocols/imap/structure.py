"""IMAP's view of a message: ENVELOPE, BODYSTRUCTURE, BODY[section], INTERNALDATE and IMAP strings.

The wire forms of RFC 3501 §7.4.2 and §6.4.5, rendered from the parsed tree
of :mod:`simulator.mail.message`; byte-exact because every part is cut from
offsets into the raw message. Where the output differs among servers, the
RFC 3501 examples win: media type, subtype and transfer encoding are
upper-cased ("TEXT" "PLAIN" "7BIT", as in the RFC and Cyrus; Dovecot sends
them as the message spells them), parameters are sent as the message spells
them, a text part without a charset gets ("CHARSET" "US-ASCII"), header
strings are never decoded.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Optional

from simulator.mail.address import addresses
from simulator.mail.message import Msg, Part, disposition, parsed

_LITERAL_NEEDED = re.compile(rb"[\x80-\xff\r\n]")


def istring(value: Optional[bytes]) -> bytes:
    """An IMAP nstring: NIL, a quoted string, or a literal when quoting cannot carry it.

    NUL may not appear even in a literal (RFC 3501 §9 CHAR8), so it becomes
    U+FFFD (what Dovecot's istream-nonuls does for message content).
    """
    if value is None:
        return b"NIL"
    if b"\0" in value:
        value = value.replace(b"\0", "\ufffd".encode())
    if _LITERAL_NEEDED.search(value):
        return b"{%d}\r\n" % len(value) + value
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _addr_list(value: Optional[bytes]) -> bytes:
    addrs = addresses(value)
    if not addrs:
        return b"NIL"
    return b"(" + b"".join(b"(" + b" ".join(istring(x) for x in a) + b")" for a in addrs) + b")"


def _plist(params: list) -> bytes:
    if not params:
        return b"NIL"
    return b"(" + b" ".join(istring(k) + b" " + istring(v) for k, v in params) + b")"


# --------------------------------------------------------------------------
# ENVELOPE (RFC 3501 §7.4.2)

def _envelope(p: Part) -> bytes:
    sender_from = _addr_list(p.first(b"from"))
    sender = _addr_list(p.first(b"sender"))
    reply_to = _addr_list(p.first(b"reply-to"))
    items = [
        istring(p.first(b"date")), istring(p.first(b"subject")), sender_from,
        sender if sender != b"NIL" else sender_from,
        reply_to if reply_to != b"NIL" else sender_from,
        _addr_list(p.first(b"to")), _addr_list(p.first(b"cc")), _addr_list(p.first(b"bcc")),
        istring(p.first(b"in-reply-to")), istring(p.first(b"message-id")),
    ]
    return b"(" + b" ".join(items) + b")"


def envelope(msg: Msg) -> bytes:
    """The ENVELOPE of the message (RFC 3501 §7.4.2): header strings as they are, not decoded."""
    return _envelope(parsed(msg).root)


# --------------------------------------------------------------------------
# BODY and BODYSTRUCTURE (RFC 3501 §7.4.2)

def _language(p: Part) -> bytes:
    value = p.first(b"content-language")
    tags = [t.strip() for t in value.split(b",") if t.strip()] if value else []
    if not tags:
        return b"NIL"
    return istring(tags[0]) if len(tags) == 1 else b"(" + b" ".join(istring(t) for t in tags) + b")"


def _extension(p: Part) -> bytes:
    dsp = disposition(p)
    dsp_out = b"NIL" if dsp is None else b"(" + istring(dsp[0]) + b" " + _plist(dsp[1]) + b")"
    return b" ".join((dsp_out, _language(p), istring(p.first(b"content-location"))))


def _structure(p: Part, extended: bool, out: list) -> None:
    if p.children:
        out.append(b"(")
        for child in p.children:
            _structure(child, extended, out)
        out.append(b" " + istring(p.subtype_raw.upper()))
        if extended:
            out.append(b" " + _plist(p.params) + b" " + _extension(p))
        out.append(b")")
        return
    params = list(p.params)
    if p.type == b"text" and p.param(b"charset") is None:
        params.append((b"CHARSET", b"US-ASCII"))
    out.append(b"(" + b" ".join((
        istring(p.type_raw.upper()), istring(p.subtype_raw.upper()), _plist(params),
        istring(p.first(b"content-id")), istring(p.first(b"content-description")),
        istring(p.encoding.upper()), b"%d" % p.size)))
    if p.message is not None:
        out.append(b" " + _envelope(p.message) + b" ")
        _structure(p.message, extended, out)
        out.append(b" %d" % p.lines)
    elif p.type == b"text":
        out.append(b" %d" % p.lines)
    if extended:
        out.append(b" NIL " + _extension(p))
    out.append(b")")


def bodystructure(msg: Msg, extended: bool = True) -> bytes:
    """BODYSTRUCTURE (``extended``) or BODY (without extension data) of the message."""
    out: list[bytes] = []
    _structure(parsed(msg).root, extended, out)
    return b"".join(out)


# --------------------------------------------------------------------------
# BODY[section] (RFC 3501 §6.4.5)

_SECTION_PART = re.compile(r"^([1-9][0-9]*(?:\.[1-9][0-9]*)*)(?:\.(.*))?$", re.S)
_FIELDS = re.compile(r"^HEADER\.FIELDS(\.NOT)?\s*\((.*)\)$", re.S | re.I)
_FIELD_NAME = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^\s()"]+))\s*', re.S)


def _parse_spec(spec: str) -> tuple[list[int], str, Optional[tuple[bool, list[bytes]]]]:
    """``spec`` as (part numbers, text kind, (exclude, field names) or None); ValueError if invalid."""
    m = _SECTION_PART.match(spec)
    if m:
        numbers, tail = [int(n) for n in m.group(1).split(".")], m.group(2)
    else:
        numbers, tail = [], spec
    if tail is None or (tail == "" and not numbers):
        return numbers, "", None
    upper = tail.upper()
    if upper in ("HEADER", "TEXT") or (upper == "MIME" and numbers):
        return numbers, upper, None
    fm = _FIELDS.match(tail)
    if fm:
        names, pos, text = [], 0, fm.group(2)
        while pos < len(text):
            nm = _FIELD_NAME.match(text, pos)
            if nm is None or nm.end() == pos:
                raise ValueError(f"bad header list: {spec!r}")
            name = nm.group(1) if nm.group(1) is not None else nm.group(2)
            names.append(re.sub(r"\\(.)", r"\1", name).encode("utf-8", "replace").lower())
            pos = nm.end()
        if names:
            return numbers, "FIELDS", (bool(fm.group(1)), names)
    raise ValueError(f"bad section: {spec!r}")


def _resolve(root: Part, numbers: list[int]) -> Optional[Part]:
    """The part a section number names (RFC 3501 §6.4.5): a non-multipart message has only part 1."""
    node = root
    for depth, n in enumerate(numbers):
        if depth == 0:
            kids = root.children or [root]
        elif node.children:
            kids = node.children
        elif node.message is not None:
            kids = node.message.children or [node.message]
        else:
            return None
        if n > len(kids):
            return None
        node = kids[n - 1]
    return node


def _header_fields(p: Part, exclude: bool, names: list[bytes]) -> bytes:
    wanted = set(names)
    out = []
    for f in p.fields:
        match = f.name is not None and f.name.lower() in wanted
        if match != exclude:
            chunk = p.source[f.start:f.end]
            out.append(chunk if chunk.endswith(b"\n") else chunk + b"\r\n")
    return b"".join(out) + b"\r\n"


def section(msg: Msg, spec: str) -> Optional[bytes]:
    """The content of BODY[spec]; None when the part does not exist; ValueError for a bad spec."""
    numbers, kind, fields = _parse_spec(spec)
    pm = parsed(msg)
    if not numbers:
        if kind == "":
            return pm.raw  # the whole message: no need to parse it
        target = pm.root
    else:
        part = _resolve(pm.root, numbers)
        if part is None:
            return None
        if kind == "":
            return part.body
        if kind == "MIME":
            return part.header
        if part.message is None:
            return None
        target = part.message
    if kind == "HEADER":
        return target.header
    if kind == "TEXT":
        return target.body
    assert fields is not None  # kind is HEADER.FIELDS or HEADER.FIELDS.NOT
    return _header_fields(target, *fields)


def partial(data: bytes, origin: int, length: int) -> bytes:
    """BODY[...]<origin.length>: empty past the end (RFC 3501 §6.4.5)."""
    origin, length = max(0, origin), max(0, length)
    return data[origin:origin + length]


# --------------------------------------------------------------------------
# Search helpers (decoding lives in mime_decode.py)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MAX_TS = 253402300799.0  # 9999-12-31 23:59:59 UTC


def internaldate(ts: float) -> bytes:
    """The quoted INTERNALDATE of a timestamp, in UTC: b'"17-Jul-1996 09:44:25 +0000"'."""
    try:
        ts = float(ts)
    except (TypeError, ValueError):
        ts = 0.0
    if not ts == ts:  # NaN
        ts = 0.0
    d = _dt.datetime.fromtimestamp(min(max(ts, 0.0), _MAX_TS), tz=_dt.timezone.utc)
    return b'"%02d-%s-%04d %02d:%02d:%02d +0000"' % (
        d.day, _MONTHS[d.month - 1].encode(), d.year, d.hour, d.minute, d.second)
