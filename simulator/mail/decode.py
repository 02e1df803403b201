"""Decoding MIME content and headers, leniently: transfer encodings, charsets, RFC 2047 words.

Used by IMAP SEARCH (``imap_message.py``) and by the mailbox viewer
(``simulator/mime.py``). Sans-I/O and stdlib only; nothing here raises on
damaged input: each function also says whether the input was clean.
"""
from __future__ import annotations

import binascii
import codecs
import re
from typing import Optional, Union

_ENCODED_WORD = re.compile(rb"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
_WORD_GAP = re.compile(rb"[ \t\r\n]*")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_QP_BAD = re.compile(rb"=(?![0-9A-Fa-f]{2}|[ \t]*\r?\n|[ \t]*$)")


def charset_codec(charset: Union[str, bytes, None]) -> Optional[str]:
    """The Python codec for a MIME charset name, or None if unknown."""
    if isinstance(charset, bytes):
        charset = charset.decode("ascii", "replace")
    if not charset:
        return None
    try:
        info = codecs.lookup(charset.strip().strip('"'))
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_base64(data: bytes) -> tuple[bytes, bool]:
    """Lenient base64: (decoded, clean). Junk is skipped, padding repaired."""
    squeezed = re.sub(rb"[ \t\r\n]", b"", data)
    body = squeezed.rstrip(b"=")
    clean_body = _B64_JUNK.sub(b"", body)
    clean = clean_body == body and len(squeezed) % 4 == 0
    if len(clean_body) % 4 == 1:
        clean_body, clean = clean_body[:-1], False
    try:
        return binascii.a2b_base64(clean_body + b"=" * (-len(clean_body) % 4)), clean
    except binascii.Error:
        return b"", False


def decode_transfer(data: bytes, encoding: bytes) -> tuple[bytes, Optional[str]]:
    """A part body with its Content-Transfer-Encoding undone: (bytes, problem key or None)."""
    encoding = encoding.strip().lower()
    if encoding == b"base64":
        out, clean = decode_base64(data)
        return out, None if clean else "bad_base64"
    if encoding == b"quoted-printable":
        return binascii.a2b_qp(data), "bad_quoted_printable" if _QP_BAD.search(data) else None
    if encoding in (b"7bit", b"8bit", b"binary", b""):
        return data, None
    return data, "unknown_transfer_encoding"


def decode_text(data: bytes, charset: Union[str, bytes, None]) -> tuple[str, Optional[str]]:
    """Bytes in a MIME charset as text: (text, problem key or None); never raises."""
    codec = charset_codec(charset) if charset else "ascii"
    problem = None
    if codec is None:
        codec, problem = "utf-8", "unknown_charset"
    try:
        return data.decode(codec), problem
    except UnicodeDecodeError:
        if codec == "ascii":
            try:
                return data.decode("utf-8"), problem  # undeclared 8-bit text is mostly UTF-8
            except UnicodeDecodeError:
                pass
        return data.decode(codec, "replace"), problem or "bad_charset_data"
    except (LookupError, ValueError):  # a codec that is not a text encoding
        return data.decode("utf-8", "replace"), "unknown_charset"


def decode_words(value: bytes) -> tuple[str, bool]:
    """A header value with RFC 2047 encoded words decoded: (text, clean).

    Whitespace between adjacent encoded words is dropped (RFC 2047 §6.2);
    adjacent words in one charset are joined before decoding, so a UTF-8
    character split across two words survives. Raw 8-bit bytes are read as
    UTF-8 (RFC 6532).
    """
    out: list[str] = []
    pending: list = []  # [charset, bytes] of the encoded words being joined
    clean = True
    pos = 0

    def flush():
        nonlocal clean
        if pending:
            text, problem = decode_text(pending[1], pending[0])
            clean = clean and problem is None
            out.append(text)
            pending.clear()

    for m in _ENCODED_WORD.finditer(value):
        gap = value[pos:m.start()]
        if gap and not (pending and _WORD_GAP.fullmatch(gap)):
            flush()
            out.append(gap.decode("utf-8", "replace"))
        charset, kind, text = m.group(1).lower(), m.group(2).upper(), m.group(3)
        if kind == b"B":
            data, ok = decode_base64(text)
        else:
            data, ok = binascii.a2b_qp(text.replace(b"_", b" ")), not _QP_BAD.search(text)
        clean = clean and ok
        if pending and pending[0] != charset:
            flush()
        if pending:
            pending[1] += data
        else:
            pending.extend([charset, data])
        pos = m.end()
    flush()
    out.append(value[pos:].decode("utf-8", "replace"))
    return "".join(out), clean


