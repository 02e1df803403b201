"""A message's MIME structure described for the browser's mailbox viewer (lecture section 6).

:func:`describe` turns raw message bytes into plain JSON-able data: the
header fields (as sent and decoded), the tree of MIME parts with their
types, encodings, sizes and decoded text, and the problems found, as keys of
:data:`PROBLEMS` (the viewer shows their English or Russian explanation).
:func:`part_bytes` gives one part's decoded content for download.

The parsing is the IMAP engine's (``protocols/imap_message.py``), so the
viewer and ``FETCH BODYSTRUCTURE`` always agree. Paths are IMAP section
numbers, so a learner can type what the viewer shows: ``""`` is the whole
message, ``"1.2"`` a part; the content of an encapsulated message (a
message/rfc822 part ``P``) is ``"P.TEXT"`` when it is multipart and
``"P.1"`` when it is not, exactly the sections that fetch it.
Nothing here raises on malformed input.
"""
from __future__ import annotations

import re
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any, Optional

from simulator.mail.message import (
    ParsedMessage,
    Part,
    decode_text,
    decode_transfer,
    decode_words,
    disposition,
    parse,
    unfold,
)

PROBLEMS = {
    "header_without_colon": {
        "en": "A header line is neither a \"Name: value\" field nor the continuation of one; it is ignored.",
        "ru": "Строка заголовка не похожа ни на поле «Имя: значение», ни на его продолжение; она пропущена.",
    },
    "eight_bit_header": {
        "en": "A header holds raw 8-bit bytes. Plain RFC 5322 headers are ASCII; non-ASCII text belongs in RFC 2047 encoded words (or needs SMTPUTF8).",
        "ru": "В заголовке есть «сырые» 8-битные байты. По RFC 5322 заголовки пишутся в ASCII, а текст на других языках кодируется словами RFC 2047 (или нужен SMTPUTF8).",
    },
    "bad_encoded_word": {
        "en": "An RFC 2047 encoded word (=?charset?B|Q?...?=) is damaged or names an unknown charset; it was decoded as well as possible.",
        "ru": "Закодированное слово RFC 2047 (=?кодировка?B|Q?...?=) повреждено или указывает неизвестную кодировку; оно раскодировано, насколько возможно.",
    },
    "long_line": {
        "en": "A line is longer than 998 octets, the limit of RFC 5322 §2.1.1; an SMTP server may refuse or break it.",
        "ru": "Строка длиннее 998 октетов — предела RFC 5322 §2.1.1; SMTP-сервер может её отвергнуть или разрезать.",
    },
    "bare_newline": {
        "en": "A line ends with a bare LF or CR instead of CR LF, which mail on the wire must use.",
        "ru": "Строка кончается одиночным LF или CR, а не парой CR LF, как положено почте в сети.",
    },
    "nul_byte": {
        "en": "The message contains NUL bytes, which no mail text may contain.",
        "ru": "В письме есть нулевые байты (NUL), которых в почтовом тексте быть не должно.",
    },
    "missing_date": {
        "en": "There is no Date field, which RFC 5322 requires in every message.",
        "ru": "Нет поля Date, обязательного по RFC 5322 для любого письма.",
    },
    "missing_from": {
        "en": "There is no From field, which RFC 5322 requires in every message.",
        "ru": "Нет поля From, обязательного по RFC 5322 для любого письма.",
    },
    "missing_mime_version": {
        "en": "MIME fields are used without \"MIME-Version: 1.0\" (RFC 2045 §4).",
        "ru": "Поля MIME есть, а строки «MIME-Version: 1.0» нет (RFC 2045 §4).",
    },
    "bad_content_type": {
        "en": "The Content-Type field is not \"type/subtype\"; the part is read as text/plain in US-ASCII (RFC 2045 §5.2).",
        "ru": "Поле Content-Type не имеет вида «тип/подтип»; часть читается как text/plain в US-ASCII (RFC 2045 §5.2).",
    },
    "missing_boundary": {
        "en": "A multipart type without the boundary parameter: its parts cannot be found, so it is read as plain text.",
        "ru": "Составной тип (multipart) без параметра boundary: части найти нельзя, поэтому тело читается как простой текст.",
    },
    "boundary_not_found": {
        "en": "The boundary named in Content-Type never appears as a delimiter line, so the multipart has no parts.",
        "ru": "Граница, названная в Content-Type, ни разу не встречается строкой-разделителем, так что частей нет.",
    },
    "missing_closing_boundary": {
        "en": "The closing delimiter (--boundary--) is missing; the last part runs to the end.",
        "ru": "Нет закрывающего разделителя (--граница--); последняя часть продолжается до конца.",
    },
    "too_deep": {
        "en": "Parts are nested too deeply; the innermost ones are shown as opaque data.",
        "ru": "Части вложены слишком глубоко; самые внутренние показаны как непрозрачные данные.",
    },
    "too_many_parts": {
        "en": "The message has too many parts; the rest are not shown.",
        "ru": "В письме слишком много частей; остальные не показаны.",
    },
    "encoded_message": {
        "en": "A message/rfc822 part uses base64 or quoted-printable, which RFC 2046 §5.2.1 forbids (only 7bit, 8bit or binary).",
        "ru": "Часть message/rfc822 закодирована base64 или quoted-printable, что запрещает RFC 2046 §5.2.1 (можно только 7bit, 8bit или binary).",
    },
    "unknown_transfer_encoding": {
        "en": "The Content-Transfer-Encoding is not one of 7bit, 8bit, binary, base64, quoted-printable; the part is shown undecoded.",
        "ru": "Content-Transfer-Encoding не входит в список 7bit, 8bit, binary, base64, quoted-printable; часть показана без декодирования.",
    },
    "bad_base64": {
        "en": "The base64 data has characters outside the base64 alphabet or a wrong length; they were skipped.",
        "ru": "В данных base64 есть символы вне алфавита base64 или неверная длина; они пропущены.",
    },
    "bad_quoted_printable": {
        "en": "An \"=\" in quoted-printable text is followed by neither two hex digits nor a line end; it was kept as is.",
        "ru": "За знаком «=» в тексте quoted-printable нет ни двух шестнадцатеричных цифр, ни конца строки; он оставлен как есть.",
    },
    "unknown_charset": {
        "en": "The charset is unknown; the text is shown as UTF-8.",
        "ru": "Кодировка неизвестна; текст показан как UTF-8.",
    },
    "bad_charset_data": {
        "en": "Some bytes are not valid in the declared charset; they are shown as \ufffd.",
        "ru": "Некоторые байты недопустимы в объявленной кодировке; они показаны как \ufffd.",
    },
    "eight_bit_body": {
        "en": "A part declared 7bit contains 8-bit bytes; it should say 8bit (with 8BITMIME) or use base64/quoted-printable.",
        "ru": "Часть объявлена как 7bit, но содержит 8-битные байты; нужно указать 8bit (с 8BITMIME) или кодировать base64/quoted-printable.",
    },
}

_LONG_LINE = re.compile(rb"[^\r\n]{999}")
_BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
_MIME_FIELDS = (b"content-type", b"content-transfer-encoding")


def _note(problems: list, key: Optional[str]) -> None:
    if key and key not in problems:
        problems.append(key)


def _text(value: bytes, limit: int) -> str:
    return value.decode("utf-8", "replace")[:limit]


def _headers(p: Part, limit: int, problems: list) -> list[dict]:
    out = []
    for f in p.fields:
        value = unfold(p.source[f.value_start:f.end]) if f.name is not None else unfold(p.source[f.start:f.end])
        decoded, clean = decode_words(value)
        if not clean:
            _note(problems, "bad_encoded_word")
        if _EIGHT_BIT.search(p.source, f.start, f.end):
            _note(problems, "eight_bit_header")
        out.append({"name": f.name.decode("latin-1") if f.name is not None else "",
                    "raw": _text(value, limit), "decoded": decoded[:limit]})
    return out


def _mime_params(value: Optional[bytes], fallback: list) -> dict:
    """Parameters with RFC 2231 continuations and charsets undone (and RFC 2047 words, which some mailers use)."""
    if value is None:
        return {}
    msg = Message()
    try:
        msg["X"] = value.decode("utf-8", "replace")
        pairs = [(k, collapse_rfc2231_value(v)) for k, v in msg.get_params(failobj=[], header="x")[1:]]
    except (ValueError, LookupError, TypeError, IndexError, UnicodeError):
        pairs = [(k.decode("utf-8", "replace"), v.decode("utf-8", "replace")) for k, v in fallback]
    out: dict[str, str] = {}
    for k, v in pairs:
        v = str(v)
        if "=?" in v:
            v = decode_words(v.encode("utf-8", "surrogateescape"))[0]
        out.setdefault(k.strip().lower(), v)
    return out


def _content(p: Part, problems: list) -> bytes:
    """A leaf part's body with its transfer encoding undone."""
    data, problem = decode_transfer(p.body, p.encoding)
    _note(problems, problem)
    if p.encoding == b"7bit" and _EIGHT_BIT.search(p.source, p.body_start, p.end):
        _note(problems, "eight_bit_body")
    return data


class _Describer:
    def __init__(self, pm: ParsedMessage, max_text: int, want_text: bool = True):
        self.pm = pm
        self.max_text = max_text
        self.want_text = want_text
        self.nodes: dict[str, tuple[Part, dict]] = {}

    def node(self, p: Part, path: str, prefix: str) -> dict:
        problems = list(p.problems)
        headers = _headers(p, self.max_text, problems)
        params = _mime_params(p.first(b"content-type"), p.params)
        dsp = disposition(p)
        dsp_params = _mime_params(p.first(b"content-disposition"), dsp[1] if dsp else [])
        filename = dsp_params.get("filename") or params.get("name")
        is_text = p.type == b"text" and not p.children and p.message is None
        charset = params.get("charset") or ("us-ascii" if is_text else None)
        declared = b"/".join(p.declared).lower().decode("ascii") if p.declared else None
        node: dict[str, Any] = {
            "path": path,
            "content_type": (p.type + b"/" + p.subtype).decode("ascii"),
            "declared_type": declared,
            "params": params,
            "transfer_encoding": p.encoding.decode("latin-1"),
            "disposition": dsp[0].decode("ascii").lower() if dsp else None,
            "filename": filename,
            "charset": charset,
            "size": p.size,
            "decoded_size": None,
            "children": [],
            "text": None,
            "truncated": False,
            "is_attachment": False,
            "headers": headers,
            "problems": problems,
        }
        if p.children:
            for i, child in enumerate((c for c in p.children if not c.synthetic), 1):
                child_path = f"{prefix}{i}"
                node["children"].append(self.node(child, child_path, child_path + "."))
        elif p.message is not None:
            inner = p.message
            base = path or "1"  # the part number of this part's body: a whole message's is 1
            inner_path = f"{base}.TEXT" if inner.children else f"{base}.1"
            node["decoded_size"] = p.size
            node["children"].append(self.node(inner, inner_path, base + "."))
        else:
            data = _content(p, problems)
            node["decoded_size"] = len(data)
            if is_text and self.want_text:
                text, problem = decode_text(data, charset)
                text = text.replace("\r\n", "\n")
                _note(problems, problem)
                node["text"] = text[:self.max_text]
                node["truncated"] = len(text) > self.max_text
        if not p.children:
            node["is_attachment"] = node["disposition"] == "attachment" or (
                filename is not None and node["disposition"] != "inline")
        self.nodes[path] = (p, node)
        return node


def describe(raw: bytes, *, max_text: int = 100_000) -> dict:
    """The viewer's description of a message: {"headers", "tree", "problems"}; never raises."""
    raw = bytes(raw)
    pm = parse(raw)
    d = _Describer(pm, max(0, max_text))
    tree = d.node(pm.root, "", "")
    problems: list[str] = []
    root = pm.root
    if _LONG_LINE.search(raw):
        _note(problems, "long_line")
    if _BARE.search(raw):
        _note(problems, "bare_newline")
    if b"\0" in raw:
        _note(problems, "nul_byte")
    if root.first(b"date") is None:
        _note(problems, "missing_date")
    if root.first(b"from") is None:
        _note(problems, "missing_from")
    if root.first(b"mime-version") is None and any(root.first(n) is not None for n in _MIME_FIELDS):
        _note(problems, "missing_mime_version")
    for _, node in d.nodes.values():
        for key in node["problems"]:
            _note(problems, key)
    return {"headers": tree["headers"], "tree": tree, "problems": problems}


def part_bytes(raw: bytes, path: str) -> Optional[tuple[str, Optional[str], bytes]]:
    """(content type, file name, decoded content) of the part at ``path``, or None if there is none.

    A leaf's transfer encoding is undone; a multipart gives its body as is; a
    message/rfc822 part gives the encapsulated message (save it as .eml).
    ``"1"`` also names the body of a message that is not multipart, as in IMAP.
    """
    raw = bytes(raw)
    pm = parse(raw)
    d = _Describer(pm, 0, want_text=False)
    d.node(pm.root, "", "")
    if path not in d.nodes and path == "1" and not pm.root.children:
        path = ""
    found = d.nodes.get(path)
    if found is None:
        return None
    p, node = found
    if p.children or p.message is not None:
        data = p.body
    else:
        data = _content(p, [])
    return node["content_type"], node["filename"], data
