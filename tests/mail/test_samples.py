"""The sample messages that teach MIME (lecture section 6) and seed.json, the mail each learner starts with."""
from __future__ import annotations

import datetime as dt
import email.policy
import json
import re
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "simulator" / "data"
SEED = json.loads((DATA / "seed.json").read_text(encoding="utf-8"))
WORLD = json.loads((DATA / "world.json").read_text(encoding="utf-8"))
FILES = sorted({entry["file"] for entry in SEED["messages"]})
DOMAINS = {"example.org", "example.net", "example.com"}
SYSTEM_FLAGS = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"}


def raw(file: str) -> bytes:
    return (DATA / file).read_bytes()


def parsed(file: str):
    return BytesParser(policy=email.policy.default).parsebytes(raw(file))


def by_prefix(prefix: str) -> str:
    (match,) = [f for f in FILES if Path(f).name.startswith(prefix)]
    return match


def entries(user: str, folder: str) -> list[dict]:
    return [e for e in SEED["messages"] if e["user"] == user and e["folder"] == folder]


def leaves(msg):
    return [p for p in msg.walk() if not p.is_multipart()]


def depth(part) -> int:
    if part.is_multipart():
        return 1 + max(depth(p) for p in part.iter_parts())
    return 1


# --------------------------------------------------------------------------
# seed.json

def test_seed_has_exactly_the_agreed_format():
    assert set(SEED) == {"folders", "messages"}
    assert SEED["folders"] == {"bob": ["Work", "Work/Invoices", "Archive"], "alice": ["Sent"]}
    for entry in SEED["messages"]:
        assert set(entry) == {"user", "folder", "file", "flags", "date"}
        assert re.fullmatch(r"messages/\d\d-[a-z0-9-]+\.eml", entry["file"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["date"])
        assert set(entry["flags"]) <= SYSTEM_FLAGS and "\\Recent" not in entry["flags"]


def test_seed_users_and_folders_exist():
    for user in SEED["folders"]:
        assert user in WORLD["users"]
    for entry in SEED["messages"]:
        assert entry["user"] in WORLD["users"]
        assert entry["folder"] == "INBOX" or entry["folder"] in SEED["folders"][entry["user"]]


def test_every_seed_file_exists_and_every_sample_file_is_seeded():
    for file in FILES:
        assert (DATA / file).is_file(), file
    on_disk = {f"messages/{p.name}" for p in (DATA / "messages").glob("*.eml")}
    assert on_disk == set(FILES)


def test_mailboxes_have_the_planned_size_and_flags():
    assert 7 <= len(entries("bob", "INBOX")) <= 9
    assert 2 <= len(entries("alice", "INBOX")) <= 4
    flags = [f for e in SEED["messages"] for f in e["flags"]]
    assert flags.count("\\Flagged") == 1
    assert any("\\Seen" in e["flags"] for e in entries("bob", "INBOX"))
    assert any("\\Seen" not in e["flags"] for e in entries("bob", "INBOX"))


def test_internal_date_is_after_the_date_header():
    for entry in SEED["messages"]:
        internal = dt.datetime.strptime(entry["date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        sent = parsedate_to_datetime(parsed(entry["file"])["Date"])
        assert dt.timedelta(0) <= internal - sent < dt.timedelta(hours=1), entry


# --------------------------------------------------------------------------
# Each file on the wire

@pytest.mark.parametrize("file", FILES)
def test_sample_parses_without_defects(file):
    msg = parsed(file)
    for part in msg.walk():
        assert not part.defects, (file, part.get_content_type(), part.defects)
        for name, value in part.items():
            assert not getattr(value, "defects", ()), (file, name, value.defects)


@pytest.mark.parametrize("file", FILES)
def test_sample_is_ascii_crlf_with_short_lines(file):
    data = raw(file)
    data.decode("ascii")
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") and data.count(b"\r") == data.count(b"\r\n")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert max(len(line) for line in data.split(b"\r\n")) <= 78  # RFC 5322's SHOULD, kind to students


@pytest.mark.parametrize("file", FILES)
def test_sample_has_realistic_headers_in_example_domains(file):
    msg = parsed(file)
    for name in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version"):
        assert msg[name] is not None, (file, name)
    assert str(msg["MIME-Version"]) == "1.0"
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            continue
        for field in ("From", "To", "Cc", "Reply-To"):
            for _, address in getaddresses([str(v) for v in part.get_all(field) or []]):
                assert address.rpartition("@")[2] in DOMAINS, (file, address)
    assert re.fullmatch(r"<[^<>@\s]+@([a-z0-9-]+\.)*example\.(org|net|com)>", str(msg["Message-ID"]))


def test_message_ids_are_unique():
    ids = [str(parsed(f)["Message-ID"]) for f in FILES]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------
# The MIME features the lesson needs

def test_01_plain_text_7bit_from_alice_to_bob():
    msg = parsed(by_prefix("01-"))
    assert str(msg["Subject"]) == "Lunch on Friday?"
    assert msg["From"].addresses[0].addr_spec == "alice@example.org"
    assert msg["To"].addresses[0].addr_spec == "bob@example.org"
    assert not msg.is_multipart() and msg.get_content_type() == "text/plain"
    assert msg.get("Content-Transfer-Encoding", "7bit").lower() == "7bit"
    assert set(k.lower() for k in msg.keys()) <= {"date", "from", "to", "subject", "message-id", "mime-version",
                                                  "content-type", "content-transfer-encoding"}


def test_02_alternative_plain_and_html_of_the_same_note():
    msg = parsed(by_prefix("02-"))
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert "help desk" in plain.get_content() and "help desk" in html.get_content()


def test_03_mixed_with_a_base64_attachment():
    msg = parsed(by_prefix("03-"))
    assert msg.get_content_type() == "multipart/mixed"
    (att,) = list(msg.iter_attachments())
    assert att.get_content_disposition() == "attachment" and att.get_filename()
    assert att["Content-Transfer-Encoding"].lower() == "base64"
    data = att.get_content()
    assert att.get_content_type() in ("image/png", "text/csv")
    if att.get_content_type() == "image/png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 1024


def test_04_russian_encoded_subject_and_quoted_printable_utf8_body():
    data = raw(by_prefix("04-"))
    assert re.search(rb"^Subject: =\?UTF-8\?B\?", data, re.M)
    msg = parsed(by_prefix("04-"))
    assert re.search("[А-Яа-яЁё]", str(msg["Subject"])) and "счёт" in str(msg["Subject"]).lower()
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"].lower() == "quoted-printable"
    assert re.search("[А-Яа-яЁё]", msg.get_content())


def test_05_base64_text_and_depth_three():
    msg = parsed(by_prefix("05-"))
    assert msg.get_content_type() == "multipart/mixed" and depth(msg) == 3
    assert any(p.get_content_type() == "multipart/alternative" for p in msg.iter_parts())
    b64_text = [p for p in leaves(msg) if p.get_content_maintype() == "text"
                and p.get("Content-Transfer-Encoding", "").lower() == "base64"]
    assert b64_text and all(p.get_content() for p in b64_text)


def test_06_invoice_with_pdf_in_work_invoices():
    file = by_prefix("06-")
    msg = parsed(file)
    assert str(msg["Subject"]) == "Invoice 2026-117"
    (pdf,) = [p for p in leaves(msg) if p.get_content_type() == "application/pdf"]
    assert pdf["Content-Transfer-Encoding"].lower() == "base64" and pdf.get_content().startswith(b"%PDF-")
    assert [e["folder"] for e in SEED["messages"] if e["file"] == file] == ["Work/Invoices"]
    # The lesson's task has exactly one answer: the only subject with "invoice" in it.
    assert [f for f in FILES if "invoice" in str(parsed(f)["Subject"]).lower()] == [file]


def test_07_forwarded_message_part():
    msg = parsed(by_prefix("07-"))
    (fwd,) = [p for p in msg.walk() if p.get_content_type() == "message/rfc822"]
    inner = fwd.get_content()
    assert inner["From"] and inner["Subject"] and inner.get_content_type() == "text/plain"


def test_08_lines_starting_with_a_dot():
    lines = raw(by_prefix("08-")).split(b"\r\n")
    assert b"." in lines  # the line that would end DATA if it were not dot-stuffed
    assert any(line.startswith(b".") and line != b"." for line in lines)


def test_the_set_covers_every_mime_feature_of_the_lecture():
    types, encodings = set(), set()
    for file in FILES:
        for part in parsed(file).walk():
            types.add(part.get_content_type())
            encodings.add(part.get("Content-Transfer-Encoding", "7bit").lower())
    assert {"text/plain", "text/html", "multipart/mixed", "multipart/alternative", "message/rfc822",
            "image/png", "application/pdf"} <= types
    assert {"7bit", "base64", "quoted-printable"} <= encodings
