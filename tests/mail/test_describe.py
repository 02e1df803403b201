"""The mailbox viewer's MIME description: tree, decoded text, problem keys, downloads."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.mail import message as im
from simulator.mail.describe import PROBLEMS, describe, part_bytes
from simulator.protocols.imap import structure as ims

MESSAGES = Path(__file__).resolve().parents[2] / "simulator" / "data" / "messages"
SAMPLES = sorted(p.name for p in MESSAGES.glob("*.eml"))
PART_KEYS = {"path", "content_type", "params", "transfer_encoding", "disposition", "filename", "charset", "size",
             "decoded_size", "children", "text", "truncated", "is_attachment", "headers"}


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def sample(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def nodes(tree: dict):
    yield tree
    for child in tree["children"]:
        yield from nodes(child)


def by_path(d: dict) -> dict:
    return {n["path"]: n for n in nodes(d["tree"])}


def problems_of(text: str | bytes) -> list:
    return describe(crlf(text) if isinstance(text, str) else text)["problems"]


# --------------------------------------------------------------------------
# The samples

@pytest.mark.parametrize("name", SAMPLES)
def test_sample_description_is_json_with_every_key_and_no_problems(name):
    d = describe(sample(name))
    assert json.loads(json.dumps(d)) == d
    assert d["problems"] == []
    for node in nodes(d["tree"]):
        assert PART_KEYS <= set(node)
        assert all(set(h) == {"name", "raw", "decoded"} for h in node["headers"])


def test_plain_text_sample():
    d = describe(sample("01-plain.eml"))
    top = d["tree"]
    assert (top["path"], top["content_type"], top["charset"], top["transfer_encoding"]) == ("", "text/plain",
                                                                                           "us-ascii", "7bit")
    assert top["text"].startswith("Hi Bob,\n\nAre you free for lunch on Friday?")
    assert top["size"] == top["decoded_size"] == 136 and not top["is_attachment"]
    assert [h["name"] for h in d["headers"]][:4] == ["Date", "From", "To", "Subject"]


def test_alternative_sample_has_plain_and_html():
    tree = by_path(describe(sample("02-alternative.eml")))
    assert tree[""]["content_type"] == "multipart/alternative"
    assert tree[""]["params"] == {"boundary": "alt-2026-36"}
    assert (tree["1"]["content_type"], tree["2"]["content_type"]) == ("text/plain", "text/html")
    assert tree["2"]["transfer_encoding"] == "quoted-printable"
    assert '<h1 style="color: #1e5ac8;">' in tree["2"]["text"]  # =3D decoded
    assert tree["2"]["decoded_size"] < tree["2"]["size"]


def test_attachment_sample():
    tree = by_path(describe(sample("03-attachment.eml")))
    png = tree["2"]
    assert (png["content_type"], png["filename"], png["disposition"], png["is_attachment"]) == (
        "image/png", "envelope-8x8.png", "attachment", True)
    assert png["text"] is None and png["charset"] is None
    ct, name, data = part_bytes(sample("03-attachment.eml"), "2")
    assert (ct, name, data[:8], len(data)) == ("image/png", "envelope-8x8.png", b"\x89PNG\r\n\x1a\n", png["decoded_size"])
    assert data[12:16] == b"IHDR" and data[16:24] == b"\x00\x00\x00\x08\x00\x00\x00\x08"  # 8 x 8


def test_russian_sample_headers_and_text_are_decoded():
    d = describe(sample("04-russian.eml"))
    headers = {h["name"]: h for h in d["headers"]}
    assert headers["Subject"]["raw"].startswith("=?UTF-8?B?")
    assert headers["Subject"]["decoded"] == "Счёт за хостинг и встреча в четверг"
    assert headers["From"]["decoded"] == "Ирина Петрова <irina@example.net>"
    top = d["tree"]
    assert top["text"].startswith("Здравствуйте, Боб!\n\nПришёл счёт за хостинг сайта")
    assert top["charset"] == "UTF-8" and top["transfer_encoding"] == "quoted-printable"


def test_nested_sample_has_depth_three_and_base64_text():
    tree = by_path(describe(sample("05-nested.eml")))
    assert set(tree) == {"", "1", "1.1", "1.2", "2"}
    assert tree["1"]["content_type"] == "multipart/alternative"
    assert tree["1.1"]["transfer_encoding"] == "base64" and "the café\non the ground floor" in tree["1.1"]["text"]
    assert tree["2"]["filename"] == "meeting.ics" and tree["2"]["is_attachment"]
    assert tree["2"]["text"].startswith("BEGIN:VCALENDAR\nVERSION:2.0")


def test_invoice_sample_pdf_download():
    ct, name, data = part_bytes(sample("06-invoice.eml"), "2")
    assert (ct, name) == ("application/pdf", "invoice-2026-117.pdf")
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF") and b"Invoice 2026-117" in data


def test_forwarded_sample_shows_the_encapsulated_message():
    tree = by_path(describe(sample("07-forwarded.eml")))
    fwd = tree["2"]
    assert fwd["content_type"] == "message/rfc822" and fwd["disposition"] == "inline"
    inner = fwd["children"][0]
    assert inner["path"] == "2.1" and inner["text"].startswith("Hi Alice,")
    assert {h["name"]: h["decoded"] for h in inner["headers"]}["From"] == "Carol White <carol@example.net>"
    # The path is the IMAP section that fetches the same text.
    assert ims.section(sample("07-forwarded.eml"), "2.1").decode().replace("\r\n", "\n") == inner["text"]
    ct, name, data = part_bytes(sample("07-forwarded.eml"), "2")
    assert ct == "message/rfc822" and data.startswith(b"Date: Thu, 03 Sep 2026")


def test_encapsulated_multipart_gets_text_path_and_imap_child_numbers():
    raw = crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\n\n"
               "Subject: inner\nContent-Type: multipart/alternative; boundary=i\n\n"
               "--i\n\nplain\n--i\nContent-Type: text/html\n\n<b>html</b>\n--i--\n--o--\n")
    tree = by_path(describe(raw))
    assert set(tree) == {"", "1", "1.TEXT", "1.1", "1.2"}
    assert tree["1.TEXT"]["content_type"] == "multipart/alternative"
    for path in ("1.1", "1.2"):
        assert ims.section(raw, path).decode() == tree[path]["text"]


def test_message_inside_a_message_gets_the_imap_numbers():
    raw = crlf("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: deepest\n\nhello\n")
    tree = by_path(describe(raw))
    assert set(tree) == {"", "1.1", "1.1.1"}
    assert tree["1.1.1"]["text"] == "hello\n" and ims.section(raw, "1.1.1") == b"hello\r\n"
    assert ims.section(raw, "1.1") == b"Subject: deepest\r\n\r\nhello\r\n"


def test_dots_sample_keeps_leading_dots():
    text = describe(sample("08-dots.eml"))["tree"]["text"]
    assert "\n.\n...and this line" in text and "\n.bashrc\n" in text


# --------------------------------------------------------------------------
# Parameters, file names, limits

def test_rfc2231_and_rfc2047_file_names_are_decoded():
    raw = crlf("Content-Type: multipart/mixed; boundary=b\n\n"
               "--b\nContent-Type: application/pdf\n"
               "Content-Disposition: attachment; filename*=utf-8''%D1%81%D1%87%D1%91%D1%82.pdf\n\n%PDF\n"
               "--b\nContent-Type: text/plain; name*0=\"long-\"; name*1=\"name.txt\"\n\nx\n"
               "--b\nContent-Type: image/png; name=\"=?UTF-8?B?0YTQvtGC0L4ucG5n?=\"\n\nx\n--b--\n")
    tree = by_path(describe(raw))
    assert tree["1"]["filename"] == "счёт.pdf" and tree["1"]["is_attachment"]
    assert tree["2"]["filename"] == "long-name.txt" and tree["2"]["params"]["name"] == "long-name.txt"
    assert tree["3"]["filename"] == "фото.png"


def test_inline_part_with_a_file_name_is_not_an_attachment():
    raw = crlf("Content-Type: image/png; name=a.png\nContent-Disposition: inline\n\nx\n")
    assert describe(raw)["tree"]["is_attachment"] is False


def test_text_is_cut_to_max_text():
    raw = crlf("Content-Type: text/plain\n\n" + "a" * 500 + "\n")
    top = describe(raw, max_text=100)["tree"]
    assert top["text"] == "a" * 100 and top["truncated"] is True
    assert describe(raw)["tree"]["truncated"] is False


def test_part_bytes_paths():
    raw = sample("05-nested.eml")
    assert part_bytes(raw, "9") is None and part_bytes(raw, "1.1.1") is None and part_bytes(raw, "x") is None
    ct, name, data = part_bytes(raw, "1")
    assert ct == "multipart/alternative" and data.startswith(b"--inner-7f3a")
    assert part_bytes(raw, "1.1")[2].startswith("Hi Bob,\r\n".encode())
    plain = sample("01-plain.eml")
    assert part_bytes(plain, "1") == part_bytes(plain, "") == ("text/plain", None, ims.section(plain, "TEXT"))


# --------------------------------------------------------------------------
# Problems

@pytest.mark.parametrize("text,key", [
    ("Subject: x\nno colon here\n\nbody\n", "header_without_colon"),
    (b"Subject: caf\xc3\xa9\r\n\r\nx", "eight_bit_header"),
    ("Subject: =?utf-8?B?###?=\n\nx", "bad_encoded_word"),
    ("Subject: =?no-such?Q?x?=\n\nx", "bad_encoded_word"),
    ("Subject: x\n\n" + "y" * 999 + "\n", "long_line"),
    (b"Subject: x\n\nbody\n", "bare_newline"),
    (b"Subject: x\r\n\r\nbo\x00dy", "nul_byte"),
    ("From: a@b.example\n\nx", "missing_date"),
    ("Date: Mon, 7 Sep 2026 10:00:00 +0000\n\nx", "missing_from"),
    ("Content-Type: text/plain\n\nx", "missing_mime_version"),
    ("Content-Type: textplain\n\nx", "bad_content_type"),
    ("Content-Type: multipart/mixed\n\n--b\n\nx\n--b--\n", "missing_boundary"),
    ("Content-Type: multipart/mixed; boundary=q\n\n--b\n\nx\n--b--\n", "boundary_not_found"),
    ("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n", "missing_closing_boundary"),
    ("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n", "encoded_message"),
    ("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n", "unknown_transfer_encoding"),
    ("Content-Transfer-Encoding: base64\n\nnot*base64!\n", "bad_base64"),
    ("Content-Transfer-Encoding: quoted-printable\n\n=ZZ\n", "bad_quoted_printable"),
    ("Content-Type: text/plain; charset=x-martian\n\nx", "unknown_charset"),
    (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xff\xfe", "bad_charset_data"),
    (b"Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\xc3\xa9", "eight_bit_body"),
])
def test_problem_is_reported_by_key(text, key):
    assert key in problems_of(text)


def test_too_deep_and_too_many_parts():
    deep = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(60))
    assert "too_deep" in describe(deep)["problems"]
    many = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\n\r\nx\r\n" * 3000 + b"--b--\r\n"
    assert "too_many_parts" in describe(many)["problems"]


def test_problem_catalogue_is_bilingual():
    for key, text in PROBLEMS.items():
        assert re.fullmatch(r"[a-z0-9_]+", key)
        assert set(text) == {"en", "ru"} and text["en"] and text["ru"] != text["en"]
        assert re.search("[а-яё]", text["ru"]), key


def test_every_problem_the_code_can_report_is_in_the_catalogue():
    """Every snake_case string literal in the two modules is a problem key or a part field."""
    sources = Path(im.__file__).read_text() + (MESSAGES.parent.parent / "mail" / "describe.py").read_text()
    literals = set(re.findall(r'"([a-z0-9]+(?:_[a-z0-9]+)+)"', sources))
    assert literals - PART_KEYS - {"declared_type"} == set(PROBLEMS)


HOSTILE = [
    b"", b"\r\n", b"\x00" * 10, b"\xff" * 100, b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b",
    b"Content-Type: message/rfc822\r\n\r\n" * 100,
    b"Content-Type: text/plain; name*0*=x'y'%ZZ; name*1=\"\r\nContent-Disposition: attachment; filename*=bad''\r\n\r\n",
    b"Content-Type: text/plain; charset*=''\r\n\r\nx", b"Content-Type: text/plain; charset=\"\r\n\r\nx",
    b"Content-Type: text/plain; charset==?utf-8?q?x?=\r\n\r\nx",
    b"Content-Disposition: attachment; filename*0*=utf-8''%D1; filename*1*=%81\r\n\r\nx",
    b"From: " + b"(" * 10000 + b"\r\nSubject: " + b"=?utf-8?b?0JA=?= " * 10000 + b"\r\n\r\n",
]


@pytest.mark.parametrize("raw", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_messages_never_raise(raw):
    d = describe(raw)
    json.dumps(d)
    assert set(d["problems"]) <= set(PROBLEMS)
    for node in nodes(d["tree"]):
        part_bytes(raw, node["path"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([
    b"Content-Type: multipart/mixed; boundary=b", b"Content-Type: message/rfc822", b"--b", b"--b--", b"",
    b"Content-Type: text/plain; charset=koi8-r", b"Content-Transfer-Encoding: base64", b"0JA=", b"=D0",
    b"Content-Transfer-Encoding: quoted-printable", b"Content-Disposition: attachment; filename*=x''%FF",
    b"Subject: =?utf-8?q?=D0?=", b"\xd0\x90", b"no colon"]), max_size=30).map(b"\r\n".join) | st.binary(max_size=200))
def test_random_messages_describe_without_raising(raw):
    d = describe(raw, max_text=50)
    json.dumps(d)
    assert set(d["problems"]) <= set(PROBLEMS)
    paths = [n["path"] for n in nodes(d["tree"])]
    assert len(paths) == len(set(paths))
    for path in paths:
        assert part_bytes(raw, path) is not None
        assert path == "" or ims.section(raw, path) is not None  # the path is a section IMAP can fetch
