"""RFC 5322 address lists: ``addresses`` parses an address-list header (groups,
comments, quoted phrases) into (name, route, mailbox, host) tuples, as IMAP's
ENVELOPE needs them (RFC 3501 §7.4.2), leniently: damaged addresses degrade,
never raise. Pure; imports nothing of MailSim.
"""
from __future__ import annotations

import re
from typing import Optional

_QUOTED_PAIR = re.compile(rb"\\(.)", re.S)


_ADDR_TOKEN = re.compile(
    rb'(?P<ws>[ \t\r\n]+)|(?P<q>"(?:[^"\\]|\\.)*"?)|(?P<lit>\[(?:[^\]\\]|\\.)*\]?)'
    rb'|(?P<sp>[<>@,;:.])|(?P<c>\()|(?P<atom>[^ \t\r\n"\[<>@,;:.()]+)|(?P<junk>\))', re.S)
_COMMENT_STEP = re.compile(rb"[()\\]")


def _addr_tokens(value: bytes) -> list[tuple[str, bytes]]:
    """Tokens of an address list: ("q", unquoted), ("lit", ...), ("sp", ch), ("atom", ...), ("c", comment)."""
    out: list[tuple[str, bytes]] = []
    pos, n = 0, len(value)
    while pos < n:
        m = _ADDR_TOKEN.match(value, pos)
        assert m is not None and m.lastgroup is not None  # every octet starts some token
        kind = m.lastgroup
        if kind == "c":  # a comment nests; scan to its matching parenthesis
            depth, i = 1, m.end()
            while depth and i < n:
                step = _COMMENT_STEP.search(value, i)
                if step is None:
                    i = n
                    break
                ch = value[step.start():step.start() + 1]
                i = step.end() + (1 if ch == b"\\" else 0)
                depth += {b"(": 1, b")": -1}.get(ch, 0)
            out.append(("c", value[m.end():i - 1 if not depth else i].strip()))
            pos = i
            continue
        if kind == "q":
            tok = m.group(0)
            inner = tok[1:-1] if len(tok) > 1 and tok.endswith(b'"') else tok[1:]
            out.append(("q", _QUOTED_PAIR.sub(rb"\1", inner)))
        elif kind == "ws":
            out.append(("ws", b" "))
        elif kind != "junk":
            out.append((kind, m.group(0)))
        pos = m.end()
    return out


def _phrase(tokens: list) -> Optional[bytes]:
    """Display-name words as written: quoted strings unquoted, runs of blanks as one space."""
    out = b"".join(b" " if k in ("ws", "c") else t for k, t in tokens if k != "sp" or t == b".")
    return b" ".join(out.split(b" ")).strip() if out.strip() else None


def _word(tok: tuple[str, bytes]) -> bytes:
    kind, text = tok
    if kind == "q":
        return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return text


def _mailbox(tokens: list) -> Optional[tuple]:
    """One mailbox from its tokens: (name, adl, mailbox, host), or None if there is nothing."""
    comments = [t for k, t in tokens if k == "c" and t]
    if all(k in ("c", "ws") for k, _ in tokens):
        return None
    name = None
    if ("sp", b"<") in tokens:
        lt = tokens.index(("sp", b"<"))
        name = _phrase(tokens[:lt])
        inner = [t for t in tokens[lt + 1:] if t[0] not in ("c", "ws")]
        if ("sp", b">") in inner:
            inner = inner[:inner.index(("sp", b">"))]
    else:
        inner = [t for t in tokens if t[0] not in ("c", "ws")]
    adl = None
    if ("sp", b":") in inner:
        colon = inner.index(("sp", b":"))
        adl = b"".join(t for _, t in inner[:colon]) or None
        inner = inner[colon + 1:]
    if ("sp", b"@") in inner:
        at = len(inner) - 1 - inner[::-1].index(("sp", b"@"))
        local, host = inner[:at], b"".join(t for _, t in inner[at + 1:])
    else:
        local, host = inner, b""
    mailbox = b"".join(_word(t) for t in local)
    if name is None and comments:
        name = comments[-1]
    return (name, adl, mailbox or b"MISSING_MAILBOX", host or b"MISSING_DOMAIN")


def addresses(value: Optional[bytes]) -> list[tuple]:
    """An address header as IMAP address tuples, group start/end markers included (RFC 3501 §7.4.2)."""
    if value is None:
        return []
    out: list[tuple] = []
    cur: list = []
    in_group = in_angle = False
    for tok in _addr_tokens(value):
        kind, text = tok
        if kind == "sp" and not in_angle:
            if text == b":" and not in_group and ("sp", b"@") not in cur:
                out.append((None, None, _phrase(cur) or b"", None))
                in_group, cur = True, []
                continue
            if text == b";" and in_group:
                if (mb := _mailbox(cur)) is not None:
                    out.append(mb)
                out.append((None, None, None, None))
                in_group, cur = False, []
                continue
            if text in (b",", b";"):
                if (mb := _mailbox(cur)) is not None:
                    out.append(mb)
                cur = []
                continue
        if kind == "sp" and text in (b"<", b">"):
            in_angle = text == b"<"
        cur.append(tok)
    if (mb := _mailbox(cur)) is not None:
        out.append(mb)
    if in_group:
        out.append((None, None, None, None))
    return out


