"""The IMAP reply catalogue: complete, bilingual, wire-safe and JSON-able; ImapReply's wire and transcript forms."""
from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from simulator.protocols.imap import replies as imap_replies
from simulator.protocols.imap.engine import STAGES, STATES
from simulator.protocols.imap.replies import (
    ADVICE,
    CLASSES,
    CODES,
    COMMANDS,
    DEFAULT_KEYS,
    FEATURES,
    GREETING_CODES,
    NOTES,
    REPLIES,
    RESP_CODES,
    STATUS_LINES,
    UNTAGGED,
    ImapReply,
    catalogue_for_ui,
    default_reply,
    reply,
    untagged,
)
from simulator.protocols.imap.replies import STATES as STATE_INFO

CYRILLIC = re.compile("[а-яА-ЯёЁ]")
ENGINE_SOURCES = [Path(imap_replies.__file__).with_name(n) for n in
                  ("engine.py", "fetch.py", "folders.py", "search.py")]


def bilingual(text) -> bool:
    return (isinstance(text, dict) and set(text) == {"en", "ru"} and text["en"].strip() and text["ru"].strip()
            and text["en"] != text["ru"] and CYRILLIC.search(text["ru"]) is not None
            and CYRILLIC.search(text["en"]) is None)


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


# ------------------------------------------------------------------- codes
def test_the_codes_and_their_diagram_classes():
    assert set(CODES) == {"OK", "NO", "BAD", "BYE", "PREAUTH", "+"}
    assert {c: i.reply_class for c, i in CODES.items()} == {"OK": 2, "PREAUTH": 2, "+": 3, "NO": 4, "BYE": 4,
                                                            "BAD": 5}
    assert GREETING_CODES == ("OK", "PREAUTH", "BYE")
    assert set(CLASSES) == {2, 3, 4, 5}
    for entry in CLASSES.values():
        assert bilingual(entry["name"]) and bilingual(entry["meaning"])


@pytest.mark.parametrize("code", sorted(CODES))
def test_codes_are_explained_in_both_languages(code):
    info = CODES[code]
    assert info.code == code and bilingual(info.meaning) and info.advice in ADVICE and info.rfc.startswith("RFC")
    assert info.note is None or bilingual(info.note)
    assert REPLIES[DEFAULT_KEYS[code]].code == code


def test_the_notes_explain_no_bad_and_bye_and_the_lecture():
    for note in NOTES.values():
        assert bilingual(note)
    split = NOTES["no_transient_split"]["en"]
    assert "NO" in split and "BAD" in split and "BYE" in split and "temporary" in split
    assert "143" in NOTES["lecture"]["en"]
    for text in ADVICE.values():
        assert bilingual(text)


def test_response_codes_in_templates_are_explained():
    used = set()
    for text in [s.text for s in REPLIES.values()] + list(STATUS_LINES.values()):
        used |= set(re.findall(r"\[([A-Z-]+)", text))
    assert used and used <= set(RESP_CODES)
    for entry in RESP_CODES.values():
        assert entry["rfc"].startswith("RFC") and bilingual(entry["meaning"])


# ----------------------------------------------------------------- replies
@pytest.mark.parametrize("key", sorted(REPLIES))
def test_reply_entries_are_wire_safe_and_explained(key):
    spec = REPLIES[key]
    assert spec.key == key and spec.code in CODES
    assert key.split(".")[0] == {"OK": "ok", "NO": "no", "BAD": "bad", "BYE": "bye", "PREAUTH": "preauth",
                                 "+": "cont"}[spec.code]
    assert spec.text.isascii() and "\r" not in spec.text and "\n" not in spec.text and len(spec.text) < 200
    assert bilingual(spec.why)
    assert fields(spec.text) <= {"host", "caps", "user", "verb", "detail", "mailbox", "mech", "charset",
                                 "limit", "flag", "section", "number", "exists"}
    if spec.code in ("BYE", "PREAUTH"):
        assert not spec.tagged


def test_every_key_the_engine_uses_exists_and_every_entry_is_used():
    source = "".join(p.read_text(encoding="utf-8") for p in ENGINE_SOURCES)
    used = set(re.findall(r'"((?:ok|no|bad|bye|cont|preauth)\.[a-z0-9_]+)"', source))
    assert used <= set(REPLIES), used - set(REPLIES)
    unused = set(REPLIES) - used - set(DEFAULT_KEYS.values())
    assert unused == set(), unused


def test_tagged_untagged_and_continuation_forms():
    assert reply("ok.noop", tag="A1").wire() == b"A1 OK NOOP completed\r\n"
    assert reply("bad.no_tag", tag="A1").wire() == b"* BAD Missing or invalid tag\r\n"
    assert reply("bad.syntax", verb="FETCH", detail="x").wire() == b"* BAD Syntax error in FETCH: x\r\n"
    assert reply("cont.literal", tag="A1").wire() == b"+ Ready for literal data\r\n"
    assert reply("cont.auth", tag="A1").wire() == b"+ \r\n"
    assert reply("bye.autologout", tag="A1").wire() == b"* BYE Autologout; idle for too long\r\n"
    greeting = reply("ok.greeting", host="imap.test")
    assert greeting.wire().endswith(b"] imap.test IMAP4rev1 MailSim ready\r\n") and greeting.tag is None


def test_untagged_lines_come_before_the_final_line():
    r = reply("ok.search", tag="t", untagged=(b"* SEARCH 1 2",), verb="SEARCH")
    assert r.wire() == b"* SEARCH 1 2\r\nt OK SEARCH completed\r\n"
    assert r.with_lines((b"* 3 EXISTS",)).wire() == b"* 3 EXISTS\r\n* SEARCH 1 2\r\nt OK SEARCH completed\r\n"
    assert r.with_lines(()) is r
    update = reply("ok.update", untagged=(b"* 4 EXISTS", b"* 1 RECENT"))
    assert update.final is None and update.wire() == b"* 4 EXISTS\r\n* 1 RECENT\r\n"
    assert update.text == "* 4 EXISTS\n* 1 RECENT"


def test_ok_and_closes():
    assert [reply(k, tag="a").ok for k in ("ok.noop", "cont.idle", "no.failed", "bad.refused")] == \
        [True, True, False, False]
    assert default_reply("PREAUTH").ok
    assert reply("ok.logout", tag="a").closes and reply("bye.unavailable").closes
    assert not reply("ok.noop", tag="a").closes and not reply("no.failed", tag="a").closes


def test_parameters_are_cleaned_to_printable_ascii():
    r = reply("no.nonexistent", tag="a", mailbox="Входящие\r\n* BYE")
    assert r.wire() == b"a NO [NONEXISTENT] Mailbox does not exist: ??????????* BYE\r\n"
    long = reply("no.nonexistent", tag="a", mailbox="x" * 1000).final
    assert len(long) < 300 and long.endswith(b"...")
    assert reply("ok.noop", tag="bad tag\r\n").wire() == b"* OK NOOP completed\r\n"


def test_default_replies_for_fault_rules():
    assert default_reply("NO", tag="A9").wire() == b"A9 NO Command failed\r\n"
    assert default_reply("BAD", "Try later\r\n\x00", tag="A9").wire() == b"A9 BAD Try later???\r\n"
    assert default_reply("OK", tag="A9").key == "ok.completed"
    assert default_reply("BYE", tag="A9").wire() == b"* BYE mx.example.org IMAP service not available, closing connection\r\n"
    assert default_reply("+", "go on", tag="A9").wire() == b"+ go on\r\n"
    assert default_reply("PREAUTH").wire().startswith(b"* PREAUTH [CAPABILITY IMAP4rev1")
    with pytest.raises(KeyError):
        default_reply("MAYBE")


def test_the_transcript_cuts_big_literals():
    data = b"x" * 20000
    r = reply("ok.fetch", tag="a", verb="FETCH", untagged=(b"* 1 FETCH (BODY[] {20000}\r\n" + data + b")",))
    assert r.wire().count(b"x") == 20000
    assert r.text == ("* 1 FETCH (BODY[] {20000}\n" + "x" * 16384 + "... (3616 more octets))\na OK FETCH completed")
    many = reply("ok.fetch", tag="a", verb="FETCH",
                 untagged=tuple(b"* %d FETCH (BODY[] {10000}\r\n" % i + b"y" * 10000 + b")" for i in range(1, 40)))
    assert len(many.text) < 260 * 1024 and many.text.endswith("more octets)")
    assert "\r" not in many.text


def test_untagged_status_lines():
    assert untagged("uidvalidity", number=7) == b"* OK [UIDVALIDITY 7] UIDs valid"
    assert untagged("bye_logout", host="h") == b"* BYE h MailSim logging out"
    for template in STATUS_LINES.values():
        assert template.isascii()


# ---------------------------------------------------------------- commands
def test_commands_cover_the_engines_stages():
    assert set(COMMANDS) == set(STAGES) | {"STARTTLS"}


@pytest.mark.parametrize("verb", sorted(COMMANDS))
def test_command_entries(verb):
    info = COMMANDS[verb]
    assert info.verb == verb and info.syntax.isascii() and info.rfc.startswith("RFC")
    assert bilingual(info.meaning) and (info.note is None or bilingual(info.note))
    assert info.states and set(info.states) <= set(STATES) - {"logout"}
    assert info.feature is None or info.feature in FEATURES


def test_the_lectures_imap_features_each_have_commands():
    assert set(FEATURES) == {"headers", "search", "partial", "folders"}
    for _name, text in FEATURES.items():
        assert bilingual(text)
    served = {c.feature for c in COMMANDS.values()}
    assert {"headers", "search", "folders"} <= served
    assert "<origin.length>" in COMMANDS["FETCH"].meaning["en"]  # partial download is FETCH's too


def test_states_and_untagged_responses_are_explained():
    assert set(STATE_INFO) == set(STATES)
    for entry in list(STATE_INFO.values()) + list(UNTAGGED.values()):
        assert entry["rfc"].startswith("RFC") and bilingual(entry["meaning"])
    assert {"EXISTS", "RECENT", "EXPUNGE", "FETCH", "FLAGS", "LIST", "SEARCH", "STATUS", "CAPABILITY",
            "BYE"} <= set(UNTAGGED)


def test_catalogue_for_ui_is_json_with_the_replies_shape():
    ui = catalogue_for_ui()
    assert json.loads(json.dumps(ui)) == ui
    assert {"codes", "replies", "commands", "states", "untagged", "classes", "advice", "notes", "features",
            "resp_codes"} <= set(ui)
    assert ui["codes"]["NO"]["class"] == 4 and ui["codes"]["+"]["default"] == "cont.ready"
    assert "no.trycreate" in ui["codes"]["NO"]["replies"]
    assert ui["replies"]["ok.logout"]["closes"] and not ui["replies"]["ok.greeting"]["tagged"]
    assert ui["commands"]["SEARCH"]["feature"] == "search" and ui["commands"]["LOGIN"]["states"] == ["not_authenticated"]


def test_an_imap_reply_is_immutable():
    r = reply("ok.noop", tag="a")
    with pytest.raises(AttributeError):  # a frozen dataclass: FrozenInstanceError
        r.code = "NO"  # type: ignore[misc]
    assert isinstance(r, ImapReply) and r.text == "a OK NOOP completed"
