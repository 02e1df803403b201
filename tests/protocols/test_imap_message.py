"""ENVELOPE, BODYSTRUCTURE, BODY[section] and SEARCH helpers, checked against RFC 3501's own examples,
the sample messages, and hostile mail."""
from __future__ import annotations

import base64
import calendar
import datetime as dt
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.mail import message as im
from simulator.protocols.imap import structure as ims

MESSAGES = Path(__file__).resolve().parents[2] / "simulator" / "data" / "messages"


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def sample(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


# --------------------------------------------------------------------------
# A reader for IMAP response syntax, to check output against RFC 3501 §9

def read_imap(data: bytes):
    """Parse one IMAP value (list, NIL, number, quoted string, literal); assert it uses all of ``data``."""
    pos = 0

    def value():
        nonlocal pos
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            items = []
            while data[pos:pos + 1] != b")":
                assert pos < len(data), "unclosed list"
                if items:
                    if data[pos:pos + 1] == b" ":
                        pos += 1
                    else:  # only bodies of a multipart follow each other without a space
                        assert isinstance(items[-1], list) and data[pos:pos + 1] == b"(", data[pos - 20:pos + 20]
                items.append(value())
            pos += 1
            return items
        if data.startswith(b"NIL", pos):
            pos += 3
            return None
        if c == b'"':
            out = bytearray()
            pos += 1
            while data[pos:pos + 1] != b'"':
                ch = data[pos]
                assert ch not in (0, 10, 13) and ch < 0x80, "quoted strings are 7-bit, no CR/LF/NUL"
                if ch == 0x5C:
                    pos += 1
                    assert data[pos:pos + 1] in (b'"', b"\\"), "only \\\" and \\\\ escape"
                    ch = data[pos]
                out.append(ch)
                pos += 1
            pos += 1
            return bytes(out)
        if c == b"{":
            end = data.index(b"}\r\n", pos)
            n = int(data[pos + 1:end])
            pos = end + 3 + n
            lit = data[end + 3:pos]
            assert len(lit) == n and b"\0" not in lit
            return lit
        start = pos
        while data[pos:pos + 1].isdigit():
            pos += 1
        assert pos > start, f"unexpected {data[pos:pos + 20]!r}"
        return int(data[start:pos])

    result = value()
    assert pos == len(data), f"trailing {data[pos:]!r}"
    return result


def check_nstring(v):
    assert v is None or isinstance(v, bytes)


def check_params(v):
    assert v is None or (isinstance(v, list) and v and len(v) % 2 == 0 and all(isinstance(x, bytes) for x in v))


def check_extension(rest):
    dsp, lang, loc = rest
    assert dsp is None or (isinstance(dsp, list) and len(dsp) == 2 and isinstance(dsp[0], bytes))
    if dsp:
        check_params(dsp[1])
    assert lang is None or isinstance(lang, bytes) or all(isinstance(x, bytes) for x in lang)
    check_nstring(loc)


def check_address_list(v):
    assert v is None or (isinstance(v, list) and v)
    for a in v or []:
        assert len(a) == 4
        for x in a:
            check_nstring(x)


def check_envelope(env):
    assert isinstance(env, list) and len(env) == 10
    for i in (0, 1, 8, 9):
        check_nstring(env[i])
    for i in range(2, 8):
        check_address_list(env[i])


def check_body(b, extended):
    assert isinstance(b, list) and b
    if isinstance(b[0], list):
        i = 0
        while isinstance(b[i], list):
            check_body(b[i], extended)
            i += 1
        assert isinstance(b[i], bytes)
        rest = b[i + 1:]
        if extended:
            assert len(rest) == 4
            check_params(rest[0])
            check_extension(rest[1:])
        else:
            assert rest == []
        return
    mtype, subtype, params, cid, desc, enc, size = b[:7]
    assert isinstance(mtype, bytes) and isinstance(subtype, bytes) and isinstance(enc, bytes)
    check_params(params)
    check_nstring(cid)
    check_nstring(desc)
    assert isinstance(size, int)
    rest = b[7:]
    if (mtype.upper(), subtype.upper()) == (b"MESSAGE", b"RFC822"):
        check_envelope(rest[0])
        check_body(rest[1], extended)
        assert isinstance(rest[2], int)
        rest = rest[3:]
    elif mtype.upper() == b"TEXT":
        assert isinstance(rest[0], int)
        rest = rest[1:]
    if extended:
        assert len(rest) == 4
        check_nstring(rest[0])
        check_extension(rest[1:])
    else:
        assert rest == []


def check_all(raw: bytes) -> None:
    """Every public function on ``raw``: no exception, output in IMAP syntax."""
    m = im.parse(raw)
    check_envelope(read_imap(ims.envelope(m)))
    check_body(read_imap(ims.bodystructure(m)), True)
    check_body(read_imap(ims.bodystructure(m, extended=False)), False)
    assert ims.section(m, "") == raw
    for spec in ("HEADER", "TEXT", "1", "1.MIME", "2", "1.1", "2.HEADER", "2.TEXT", "1.2.3",
                 "HEADER.FIELDS (FROM SUBJECT)", "HEADER.FIELDS.NOT (FROM)"):
        out = ims.section(m, spec)
        assert out is None or isinstance(out, bytes)
    for field in ("FROM", "SUBJECT", "TO", "X-NONE"):
        im.header_contains(m, field, "x")
    im.body_contains(m, "x")
    im.text_contains(m, "\u0451")
    im.sent_date(m)


# --------------------------------------------------------------------------
# RFC 3501's own examples

RFC_HEADER = (
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
    "From: Terry Gray <gray@cac.washington.edu>\n"
    "Subject: IMAP4rev1 WG mtg summary and minutes\n"
    "To: imap@cac.washington.edu\n"
    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\n"
    "Message-Id: <B27397-0100000@cac.washington.edu>\n"
    "\n")


def lines_of(n_lines: int, octets: int, char: str = "x") -> str:
    """Text of exactly ``n_lines`` CRLF lines and ``octets`` octets."""
    width = (octets - 2 * n_lines) // n_lines
    last = octets - 2 * n_lines - width * (n_lines - 1)
    return (char * width + "\n") * (n_lines - 1) + char * last + "\n"


def test_rfc3501_fetch_example_envelope_and_body():
    raw = crlf(RFC_HEADER + lines_of(92, 3028))
    m = im.parse(raw)
    assert ims.envelope(m) == (
        b'("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) '
        b'((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL '
        b'"<B27397-0100000@cac.washington.edu>")')
    assert ims.bodystructure(m, extended=False) == b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)'
    assert ims.bodystructure(m) == b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)'


def test_rfc3501_fetch_example_internaldate_in_utc():
    ts = calendar.timegm((1996, 7, 17, 9, 44, 25, 0, 0, 0))  # 17-Jul-1996 02:44:25 -0700
    assert ims.internaldate(ts) == b'"17-Jul-1996 09:44:25 +0000"'


def rfc_bodystructure_message() -> bytes:
    diff = ("A" * 61 + "\n") * 72 + "A" * 16 + "\n"
    return crlf(
        "From: a@example.org\nSubject: two parts\nMIME-Version: 1.0\n"
        'Content-Type: MULTIPART/MIXED; BOUNDARY="--cut--"\n\n'
        "----cut--\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\n\n"
        + lines_of(23, 1152) +
        "\n----cut--\n"
        "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\n"
        "Content-ID: <960723163407.20117h@cac.washington.edu>\n"
        "Content-Description: Compiler diff\n"
        "Content-Transfer-Encoding: BASE64\n\n"
        + diff + "\n----cut----\n")


def test_rfc3501_bodystructure_example():
    m = im.parse(rfc_bodystructure_message())
    parts = (b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)'
             b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") '
             b'"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73)')
    assert ims.bodystructure(m, extended=False) == b"(" + parts + b' "MIXED")'
    assert ims.bodystructure(m) == (
        b'(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23 NIL NIL NIL NIL)'
        b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") '
        b'"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73 NIL NIL NIL NIL) '
        b'"MIXED" ("BOUNDARY" "--cut--") NIL NIL NIL)')


def rfc_section_message() -> bytes:
    """The message of RFC 3501 §6.4.5's section-numbering example; each body says its number."""
    return crlf(
        "From: a@example.org\nSubject: top\nMIME-Version: 1.0\n"
        "Content-Type: MULTIPART/MIXED; boundary=top\n\n"
        "preamble\n--top\nContent-Type: TEXT/PLAIN\n\nbody 1\n"
        "--top\nContent-Type: APPLICATION/OCTET-STREAM\nContent-Transfer-Encoding: base64\n\nYm9keSAy\n"
        "--top\nContent-Type: MESSAGE/RFC822\n\n"
        "Subject: message 3\nContent-Type: MULTIPART/MIXED; boundary=m3\n\n"
        "--m3\nContent-Type: TEXT/PLAIN\n\nbody 3.1\n"
        "--m3\nContent-Type: APPLICATION/OCTET-STREAM\n\nbody 3.2\n--m3--\n"
        "--top\nContent-Type: MULTIPART/MIXED; boundary=p4\n\n"
        "--p4\nContent-Type: IMAGE/GIF\nContent-Transfer-Encoding: base64\n\nR0lGODlh\n"
        "--p4\nContent-Type: MESSAGE/RFC822\n\n"
        "Subject: message 4.2\nContent-Type: MULTIPART/MIXED; boundary=m42\n\n"
        "--m42\nContent-Type: TEXT/PLAIN\n\nbody 4.2.1\n"
        "--m42\nContent-Type: MULTIPART/ALTERNATIVE; boundary=alt\n\n"
        "--alt\nContent-Type: TEXT/PLAIN\n\nbody 4.2.2.1\n"
        "--alt\nContent-Type: TEXT/RICHTEXT\n\nbody 4.2.2.2\n--alt--\n"
        "--m42--\n--p4--\n--top--\nepilogue\n")


@pytest.mark.parametrize("spec,expected", [
    ("1", b"body 1"),
    ("1.MIME", b"Content-Type: TEXT/PLAIN\r\n\r\n"),
    ("2", b"Ym9keSAy"),
    ("3", b"Subject: message 3\r\nContent-Type: MULTIPART/MIXED; boundary=m3\r\n\r\n"
          b"--m3\r\nContent-Type: TEXT/PLAIN\r\n\r\nbody 3.1\r\n"
          b"--m3\r\nContent-Type: APPLICATION/OCTET-STREAM\r\n\r\nbody 3.2\r\n--m3--"),
    ("3.HEADER", b"Subject: message 3\r\nContent-Type: MULTIPART/MIXED; boundary=m3\r\n\r\n"),
    ("3.TEXT", b"--m3\r\nContent-Type: TEXT/PLAIN\r\n\r\nbody 3.1\r\n"
               b"--m3\r\nContent-Type: APPLICATION/OCTET-STREAM\r\n\r\nbody 3.2\r\n--m3--"),
    ("3.1", b"body 3.1"),
    ("3.2", b"body 3.2"),
    ("4.1", b"R0lGODlh"),
    ("4.1.MIME", b"Content-Type: IMAGE/GIF\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
    ("4.2.HEADER", b"Subject: message 4.2\r\nContent-Type: MULTIPART/MIXED; boundary=m42\r\n\r\n"),
    ("4.2.1", b"body 4.2.1"),
    ("4.2.2.1", b"body 4.2.2.1"),
    ("4.2.2.2", b"body 4.2.2.2"),
    ("4.2.2.2.MIME", b"Content-Type: TEXT/RICHTEXT\r\n\r\n"),
    ("4.2.HEADER.FIELDS (SUBJECT)", b"Subject: message 4.2\r\n\r\n"),
])
def test_rfc3501_section_numbering_example(spec, expected):
    assert ims.section(rfc_section_message(), spec) == expected


def test_rfc3501_section_example_top_header_text_and_4():
    raw = rfc_section_message()
    m = im.parse(raw)
    assert ims.section(m, "HEADER") == raw[:raw.index(b"\r\n\r\n") + 4]
    assert ims.section(m, "TEXT") == raw[raw.index(b"\r\n\r\n") + 4:]
    assert ims.section(m, "4").startswith(b"--p4\r\n") and ims.section(m, "4").endswith(b"--p4--")
    assert ims.section(m, "4.2.TEXT").startswith(b"--m42\r\n")


@pytest.mark.parametrize("spec", ["5", "1.1", "2.1", "3.3", "4.3", "4.2.3", "4.2.2.3", "4.2.2.1.1",
                                  "1.HEADER", "1.TEXT", "4.HEADER", "4.1.TEXT", "2.HEADER.FIELDS (FROM)",
                                  "99999999999999999999"])
def test_section_of_a_part_that_does_not_exist_is_none(spec):
    assert ims.section(rfc_section_message(), spec) is None


def test_rfc3501_section_example_bodystructure_is_grammatical():
    m = im.parse(rfc_section_message())
    body = read_imap(ims.bodystructure(m))
    check_body(body, True)
    assert body[2][:2] == [b"MESSAGE", b"RFC822"]
    assert body[3][1][:2] == [b"MESSAGE", b"RFC822"]  # 4.2
    assert body[3][1][8][1][-5] == b"ALTERNATIVE"     # 4.2.2 inside the encapsulated message


# --------------------------------------------------------------------------
# Sections on simple messages and the spec syntax

PLAIN = crlf("From: Alice <alice@example.org>\nSubject: hi\nX-Long: one\n two\n\nHello\nworld\n")


def test_non_multipart_message_has_part_1_its_body():
    m = im.parse(PLAIN)
    assert ims.section(m, "1") == b"Hello\r\nworld\r\n" == ims.section(m, "TEXT")
    assert ims.section(m, "1.MIME") == ims.section(m, "HEADER")
    assert ims.section(m, "2") is None and ims.section(m, "1.1") is None


def test_header_fields_keep_folding_order_and_end_with_blank_line():
    assert ims.section(PLAIN, "HEADER.FIELDS (X-LONG FROM)") == (
        b"From: Alice <alice@example.org>\r\nX-Long: one\r\n two\r\n\r\n")
    assert ims.section(PLAIN, 'HEADER.FIELDS ("x-long")') == b"X-Long: one\r\n two\r\n\r\n"
    assert ims.section(PLAIN, "HEADER.FIELDS.NOT (FROM X-LONG)") == b"Subject: hi\r\n\r\n"
    assert ims.section(PLAIN, "HEADER.FIELDS (NOPE)") == b"\r\n"


def test_header_fields_names_keep_their_case_from_the_client():
    assert ims.section(PLAIN, "HEADER.FIELDS (from Subject)") == (
        b"From: Alice <alice@example.org>\r\nSubject: hi\r\n\r\n")


@pytest.mark.parametrize("spec", ["0", "1.0", "01", "MIME", "1.", ".1", "FOO", "1.FOO", "TEXT.1",
                                  "HEADER.FIELDS", "HEADER.FIELDS ()", "HEADER.FIELDS (FROM",
                                  "HEADER.FIELDS (FROM)x", "1.2.", "HEADER.FIELDS.NOT", " 1"])
def test_invalid_section_spec_raises_value_error(spec):
    with pytest.raises(ValueError):
        ims.section(PLAIN, spec)


def test_whole_message_section_is_the_raw_bytes():
    assert ims.section(PLAIN, "") == PLAIN


@pytest.mark.parametrize("origin,length,expected", [
    (0, 5, b"Hello"), (6, 100, b"world"), (11, 5, b""), (200, 5, b""), (0, 0, b""), (-3, 2, b"He")])
def test_partial_cuts_octets_and_is_empty_past_the_end(origin, length, expected):
    assert ims.partial(b"Hello world", origin, length) == expected


# --------------------------------------------------------------------------
# ENVELOPE

def env(headers: str) -> list:
    return read_imap(ims.envelope(crlf(headers + "\nbody\n")))


def test_envelope_sender_and_reply_to_default_to_from():
    e = env("From: Alice <alice@example.org>\nSender:\nSubject:\n")
    assert e[2] == e[3] == e[4] == [[b"Alice", None, b"alice", b"example.org"]]
    assert e[1] == b""  # present but empty is an empty string, not NIL
    assert e[0] is None and e[5] is None and e[8] is None and e[9] is None


def test_envelope_keeps_distinct_sender_and_reply_to():
    e = env("From: a@x.example\nSender: s@x.example\nReply-To: r@x.example\nIn-Reply-To: <1@x>\n")
    assert e[3] == [[None, None, b"s", b"x.example"]]
    assert e[4] == [[None, None, b"r", b"x.example"]]
    assert e[8] == b"<1@x>"


def test_envelope_group_syntax_per_rfc3501():
    e = env("From: a@x.example\nTo: Friends: Bob <bob@x.example>, carol@y.example;, dave@z.example\n"
            "Cc: undisclosed-recipients:;\n")
    assert e[5] == [[None, None, b"Friends", None], [b"Bob", None, b"bob", b"x.example"],
                    [None, None, b"carol", b"y.example"], [None, None, None, None],
                    [None, None, b"dave", b"z.example"]]
    assert e[6] == [[None, None, b"undisclosed-recipients", None], [None, None, None, None]]


def test_envelope_unterminated_group_is_closed():
    e = env("From: a@x.example\nTo: Team: b@x.example\n")
    assert e[5][-1] == [None, None, None, None]


@pytest.mark.parametrize("value,expected", [
    ('"Smith, John \\"JJ\\"" <jj@x.example>', [b'Smith, John "JJ"', None, b"jj", b"x.example"]),
    ("J.R. Smith <jr@x.example>", [b"J.R. Smith", None, b"jr", b"x.example"]),
    ("jr@x.example (J. R. Smith)", [b"J. R. Smith", None, b"jr", b"x.example"]),
    ("<@relay.example,@b.example:u@h.example>", [None, b"@relay.example,@b.example", b"u", b"h.example"]),
    ('"a b"@x.example', [None, None, b'"a b"', b"x.example"]),
    ("postmaster", [None, None, b"postmaster", b"MISSING_DOMAIN"]),
    ("<@x.example>", [None, None, b"MISSING_MAILBOX", b"x.example"]),
    ("Bob <bob@[192.0.2.1]>", [b"Bob", None, b"bob", b"[192.0.2.1]"]),
    ("=?UTF-8?B?0JjRgNC40L3QsA==?= <i@x.example>", [b"=?UTF-8?B?0JjRgNC40L3QsA==?=", None, b"i", b"x.example"]),
])
def test_envelope_addresses(value, expected):
    assert env(f"From: {value}\n")[2] == [expected]


def test_envelope_strings_needing_literals():
    raw = b"From: a@x.example\r\nSubject: caf\xc3\xa9 \"q\" \\ x\r\nMessage-ID: <a\x00b@x>\r\n\r\n"
    out = ims.envelope(raw)
    assert b'{6}\r\ncaf\xc3\xa9 ' not in out  # the whole value is one literal
    e = read_imap(out)
    assert e[1] == b'caf\xc3\xa9 "q" \\ x'
    assert e[9] == "<a\ufffdb@x>".encode()
    assert ims.istring(b'say "hi" \\o/') == b'"say \\"hi\\" \\\\o/"'
    assert ims.istring(b"a\rb") == b"{3}\r\na\rb"


def test_envelope_of_encoded_russian_sample_is_not_decoded():
    e = read_imap(ims.envelope(sample("04-russian.eml")))
    assert e[1].startswith(b"=?UTF-8?B?") and b" =?UTF-8?B?" in e[1]  # unfolded, not decoded
    assert e[2][0][2:] == [b"irina", b"example.net"]


def test_envelope_of_reply_sample_has_in_reply_to():
    e = read_imap(ims.envelope(sample("09-reply.eml")))
    assert e[8] == b"<lunch-0901-0912@example.org>" and e[9] == b"<re-lunch-0901-1002@example.org>"


# --------------------------------------------------------------------------
# BODYSTRUCTURE of each sample (hand-checked: sizes are the octets between header and boundary)

SAMPLE_STRUCTURES = {
    "01-plain.eml": b'("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 136 6 NIL NIL NIL NIL)',
    "02-alternative.eml":
        b'(("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 325 13 NIL NIL NIL NIL)'
        b'("TEXT" "HTML" ("charset" "us-ascii") NIL NIL "QUOTED-PRINTABLE" 634 16 NIL NIL NIL NIL) '
        b'"ALTERNATIVE" ("boundary" "alt-2026-36") NIL NIL NIL)',
    "03-attachment.eml":
        b'(("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 135 6 NIL NIL NIL NIL)'
        b'("IMAGE" "PNG" ("name" "envelope-8x8.png") NIL NIL "BASE64" 142 NIL '
        b'("attachment" ("filename" "envelope-8x8.png")) NIL NIL) "MIXED" ("boundary" "mixed-5c1e9a") NIL NIL NIL)',
    "04-russian.eml":
        b'("TEXT" "PLAIN" ("charset" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 1106 21 NIL NIL "ru" NIL)',
    "05-nested.eml":
        b'((("TEXT" "PLAIN" ("charset" "UTF-8") NIL NIL "BASE64" 336 5 NIL NIL NIL NIL)'
        b'("TEXT" "HTML" ("charset" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 301 10 NIL NIL NIL NIL) '
        b'"ALTERNATIVE" ("boundary" "inner-7f3a") NIL NIL NIL)'
        b'("TEXT" "CALENDAR" ("charset" "UTF-8" "method" "PUBLISH" "name" "meeting.ics") NIL NIL "BASE64" 376 5 NIL '
        b'("attachment" ("filename" "meeting.ics")) NIL NIL) "MIXED" ("boundary" "outer-7f3a") NIL NIL NIL)',
    "07-forwarded.eml":
        b'(("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 75 3 NIL NIL NIL NIL)'
        b'("MESSAGE" "RFC822" NIL NIL "Forwarded message from Carol White" "7BIT" 479 '
        b'("Thu, 03 Sep 2026 17:02:44 +0100" "Room booking for the workshop" '
        b'(("Carol White" NIL "carol" "example.net")) (("Carol White" NIL "carol" "example.net")) '
        b'(("Carol White" NIL "carol" "example.net")) (("Alice Liddell" NIL "alice" "example.org")) '
        b'NIL NIL NIL "<room-0903-1702@example.net>") '
        b'("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 182 7 NIL NIL NIL NIL) 16 '
        b'NIL ("inline" NIL) NIL NIL) "MIXED" ("boundary" "fwd-0904") NIL NIL NIL)',
    "08-dots.eml": b'("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 326 16 NIL NIL NIL NIL)',
}


@pytest.mark.parametrize("name", sorted(SAMPLE_STRUCTURES))
def test_bodystructure_of_sample(name):
    assert ims.bodystructure(sample(name)) == SAMPLE_STRUCTURES[name]


@pytest.mark.parametrize("name", sorted(p.name for p in MESSAGES.glob("*.eml")))
def test_every_sample_is_grammatical_and_sizes_match_sections(name):
    raw = sample(name)
    m = im.parse(raw)
    check_all(raw)
    body = read_imap(ims.bodystructure(m, extended=False))

    def walk(b, path):
        if isinstance(b[0], list):
            i = 0
            while isinstance(b[i], list):
                walk(b[i], f"{path}.{i + 1}" if path else str(i + 1))
                i += 1
            return
        data = ims.section(m, path or "1")
        assert b[6] == len(data)
        if b[0] == b"TEXT":
            assert b[7] == data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)

    walk(body, "")


def test_invoice_sample_pdf_part():
    m = im.parse(sample("06-invoice.eml"))
    body = read_imap(ims.bodystructure(m))
    assert body[1][:2] == [b"APPLICATION", b"PDF"] and body[1][5] == b"BASE64"
    assert base64.b64decode(ims.section(m, "2")).startswith(b"%PDF-")


def structure(text: str, extended=True) -> bytes:
    return ims.bodystructure(crlf(text), extended)


def test_text_without_charset_gets_us_ascii_and_message_without_content_type_is_text_plain():
    assert structure("Content-Type: text/plain; format=flowed\n\nx\n", False) == (
        b'("TEXT" "PLAIN" ("format" "flowed" "CHARSET" "US-ASCII") NIL NIL "7BIT" 3 1)')
    assert structure("Subject: x\n\nhi", False) == b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 2 1)'


def test_language_location_and_disposition_without_params():
    out = structure("Content-Type: image/png\nContent-Language: en, ru\nContent-Location: http://x.example/a.png\n"
                    "Content-Disposition: INLINE\nContent-Transfer-Encoding: base64\n\nAAAA\n")
    assert out == (b'("IMAGE" "PNG" NIL NIL NIL "BASE64" 6 NIL ("INLINE" NIL) ("en" "ru") '
                   b'"http://x.example/a.png")')


def test_digest_parts_default_to_message_rfc822():
    body = read_imap(structure("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n"))
    assert body[0][:2] == [b"MESSAGE", b"RFC822"] and body[0][7][1] == b"one"


def test_multipart_without_boundary_is_text_plain():
    assert structure("Content-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n", False) == (
        b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 18 4)')


def test_boundary_never_found_gives_one_empty_text_part_like_dovecot():
    raw = crlf("Content-Type: multipart/mixed; boundary=zz\n\nno parts here\n")
    assert ims.bodystructure(raw, False) == b'(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) "MIXED")'
    assert ims.section(raw, "1") == b"" and ims.section(raw, "2") is None


def test_missing_closing_boundary_runs_last_part_to_the_end():
    raw = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n")
    assert ims.section(raw, "1") == b"one" and ims.section(raw, "2") == b"two\r\n"
    assert "missing_closing_boundary" in im.parse(raw).root.problems


def test_boundary_prefix_of_inner_boundary_and_transport_padding():
    raw = crlf("Content-Type: multipart/mixed; boundary=b\n\npre\n--b  \n"
               "Content-Type: multipart/alternative; boundary=b1\n\n--b1\n\nin\n--b1--\n"
               "--b\n\nlast\n--b-- \nepilogue\n")
    assert ims.section(raw, "1.1") == b"in" and ims.section(raw, "2") == b"last"
    assert read_imap(ims.bodystructure(raw, False))[0][-1] == b"ALTERNATIVE"


def test_bare_lf_message_is_parsed():
    raw = b"Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b--\n"
    assert ims.section(raw, "1") == b"one"
    assert ims.section(raw, "HEADER").endswith(b"b\n\n")


# --------------------------------------------------------------------------
# SEARCH helpers

def test_header_search_decodes_encoded_words_case_insensitively():
    ru = sample("04-russian.eml")
    assert im.header_contains(ru, "SUBJECT", "счёт")
    assert im.header_contains(ru, "Subject", "СЧЁТ ЗА ХОСТИНГ И ВСТРЕЧА")  # spans the two encoded words
    assert im.header_contains(ru, "FROM", "ирина петрова")
    assert im.header_contains(ru, "FROM", "irina@example.net")
    assert not im.header_contains(ru, "SUBJECT", "invoice")
    assert im.header_contains(sample("06-invoice.eml"), "SUBJECT", "invoice")


def test_header_search_empty_needle_matches_only_if_the_field_exists():
    assert im.header_contains(PLAIN, "X-LONG", "")
    assert not im.header_contains(PLAIN, "CC", "")
    assert im.header_contains(PLAIN, "x-long", "one two")  # unfolded


def test_header_search_q_encoding_and_split_character():
    raw = crlf("Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?= and =?UTF-8?B?0KE=?= =?UTF-8?B?0YfRkQ==?=\n\nx\n")
    assert im.header_contains(raw, "SUBJECT", "café crème and Счё")


def test_body_search_undoes_base64_quoted_printable_and_charsets():
    assert im.body_contains(sample("05-nested.eml"), "THE CAFÉ")       # base64 UTF-8 text part
    assert im.body_contains(sample("04-russian.eml"), "хостинг сайта")  # quoted-printable UTF-8
    assert not im.body_contains(sample("04-russian.eml"), "Subject")
    koi = "Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit\n\n".encode() + \
        "Привет\r\n".encode("koi8-r")
    assert im.body_contains(koi, "привет")
    assert not im.body_contains(sample("06-invoice.eml"), "%PDF")  # attachments that are not text are skipped


def test_text_search_covers_header_and_body():
    assert im.text_contains(sample("04-russian.eml"), "ИРИНА")
    assert im.text_contains(sample("01-plain.eml"), "noodle")
    assert not im.text_contains(sample("01-plain.eml"), "spaghetti")


@pytest.mark.parametrize("date,expected", [
    ("Wed, 02 Sep 2026 23:30:00 -0500", dt.date(2026, 9, 2)),  # the header's own day, not UTC's
    ("2 Sep 26 01:00 +0300", dt.date(2026, 9, 2)),
    ("not a date", None),
    ("Wed, 31 Feb 2026 10:00:00 +0000", None),
])
def test_sent_date_is_the_date_as_written(date, expected):
    assert im.sent_date(crlf(f"Date: {date}\n\nx\n")) == expected


def test_sent_date_missing_is_none():
    assert im.sent_date(PLAIN) is None
    assert im.sent_date(sample("01-plain.eml")) == dt.date(2026, 9, 1)


@pytest.mark.parametrize("ts,expected", [
    (0, b'"01-Jan-1970 00:00:00 +0000"'),
    (1788253200.9, b'"01-Sep-2026 09:00:00 +0000"'),
    (-5, b'"01-Jan-1970 00:00:00 +0000"'),
    (1e20, b'"31-Dec-9999 23:59:59 +0000"'),
    (float("nan"), b'"01-Jan-1970 00:00:00 +0000"'),
])
def test_internaldate_is_a_pure_function_in_utc(ts, expected):
    assert ims.internaldate(ts) == expected == ims.internaldate(ts)


def test_functions_accept_parsed_message_or_bytes():
    m = im.parse(PLAIN)
    assert ims.envelope(m) == ims.envelope(PLAIN) and ims.bodystructure(m) == ims.bodystructure(bytearray(PLAIN))


# --------------------------------------------------------------------------
# Hostile and malformed mail

HOSTILE = [
    b"",
    b"\r\n",
    b"\r\n\r\nbody only",
    b"no header at all, just text\r\nand more\r\n",
    b"From alice@example.org Mon Sep  1 09:00:00 2026\r\nSubject: mbox line\r\n\r\nx",
    b"Subject: hi\r\nthis line has no colon\r\nFrom: a@b.example\r\n\r\nbody",
    b": empty name\r\n\r\nbody",
    b" continuation first\r\n\r\nbody",
    b"Subject: no blank line and no body",
    b"Subject: \xff\xfe\x80 8-bit\r\nFrom: \xd0\x98 <\xd0\x98@\xd0\x98.example>\r\n\r\n\xff",
    b"Subject: nul \x00 inside\r\n\r\n\x00\x00",
    b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n----\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n--b\r\n--b--",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp4\r\n",
    b"Content-Type: /\r\n\r\nx",
    b"Content-Type: text/plain; charset=\"unterminated\r\n\r\nx",
    b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nx",
    b"Content-Type: text/plain; charset=base64\r\n\r\nx",
    b"Content-Type: text/plain; charset=unicode_escape\r\n\r\n\\x",
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64@@@=\r\n",
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=",
    b"Content-Type: multipart/mixed; boundary=\"b\"; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--b--\r\n",
    b"Content-Disposition: ; filename=\r\nContent-Language: ,,,\r\n\r\nx",
    b"From: ((((((((nested comments\r\nTo: \"unterminated quote\r\nCc: <<<>>>@@@,,,;;;:::\r\n\r\n",
    b"From: a:b:c;d;e, <@x:y@z>, ;, :\r\nSender: <>\r\nReply-To: \"\"\r\n\r\n",
    b"Subject: =?utf-8?B?####?= =?x?Q?=ZZ?= =?unknown?B?0JA=?= =?utf-8?Q?=D0?=\r\n\r\n",
    b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n\r\n",
    b"Content-Type: text/plain\r\n\r\nbare\rCR and bare\nLF\r\n",
]


@pytest.mark.parametrize("raw", HOSTILE, ids=range(len(HOSTILE)))
def test_malformed_message_never_raises_and_stays_grammatical(raw):
    check_all(raw)


def test_first_line_without_colon_means_no_header():
    raw = b"no header at all, just text\r\nand more\r\n"
    assert ims.section(raw, "HEADER") == b"" and ims.section(raw, "TEXT") == raw


def test_damaged_header_line_keeps_later_fields():
    raw = HOSTILE[5]
    assert ims.section(raw, "TEXT") == b"body"
    assert im.header_contains(raw, "FROM", "a@b.example")
    assert "header_without_colon" in im.parse(raw).root.problems


def _engine_calls(raw: bytes) -> float:
    start = time.perf_counter()
    m = im.parse(raw)
    ims.envelope(m), ims.bodystructure(m), ims.section(m, "1.1"), im.header_contains(m, "FROM", "zz")
    im.text_contains(m, "zz")
    return time.perf_counter() - start


def run_fast(make, n: int) -> None:
    """The engine's calls grow linearly with a hostile input, not quadratically: twice the input takes
    about twice the time, never four times (a ratio measured in one run, so a busy machine does not
    matter; no wall-clock limit). Then the grammar check on the smaller one."""
    small, large = make(n), make(2 * n)
    ratio = min(_engine_calls(large) for _ in range(2)) / max(min(_engine_calls(small) for _ in range(2)), 1e-3)
    assert ratio < 3.2, ratio
    check_all(small)


def test_enormous_header_line():
    run_fast(lambda n: b"Subject: " + b"x" * (20 * n) + b"\r\nFrom: " + b"a@b.example, " * n + b"\r\n\r\nbody",
             50_000)


def test_enormous_comment_nesting_in_address():
    run_fast(lambda n: b"From: " + b"(" * n + b"a@b.example\r\n\r\n", 200_000)


def _nested(depth: int) -> bytes:
    raw = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    return raw + b"\r\nleaf\r\n"


def test_deep_nesting_stops_at_the_limit():
    run_fast(_nested, im.MAX_DEPTH * 4)
    raw = _nested(im.MAX_DEPTH * 4)
    assert any("too_deep" in p.problems for p in im.parse(raw).root.walk())


def test_deep_message_rfc822_nesting_stops_at_the_limit():
    run_fast(lambda n: b"Content-Type: message/rfc822\r\n\r\n" * n + b"Subject: inner\r\n\r\nx", 5000)


def test_too_many_parts_are_dropped():
    def many(n: int) -> bytes:
        return b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\n\r\nx\r\n" * n + b"--b--\r\n"
    run_fast(many, 50_000)
    raw = many(50_000)
    root = im.parse(raw).root
    assert len(root.children) < im.MAX_PARTS and "too_many_parts" in root.problems


# Messages built from MIME-looking pieces, so random input reaches the deep paths too.
PIECES = [b"Content-Type: multipart/mixed; boundary=b", b"Content-Type: multipart/alternative; boundary=c",
          b"Content-Type: message/rfc822", b"Content-Type: text/plain; charset=utf-8", b"--b", b"--b--",
          b"--c", b"--c--", b"", b"Subject: =?utf-8?b?0JA=?=", b"From: A <a@b.example>", b" folded",
          b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: quoted-printable", b"0JA=",
          b"=D0=90=", b"To: g: a@b, c;", b"no colon", b"\xd0\x90", b"(", b'"', b"Content-Disposition: attachment"]
mime_like = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from([b"\r\n", b"\n", b"\r", b""])),
                     max_size=40).map(lambda items: b"".join(a + b for a, b in items))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mime_like, st.binary(max_size=300)))
def test_random_messages_never_raise_and_stay_grammatical(raw):
    check_all(raw)


@settings(max_examples=200, deadline=None)
@given(mime_like, st.sampled_from(["1", "1.1", "2.1.1", "1.MIME", "2.TEXT", "1.HEADER.FIELDS (SUBJECT)", "TEXT"]))
def test_random_sections_are_slices_of_the_message(raw, spec):
    out = ims.section(raw, spec)
    if out is not None and "FIELDS" not in spec:
        assert out in raw
