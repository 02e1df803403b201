"""The POP3 reply catalogue: complete, bilingual, wire-safe and JSON-able; Pop3Reply's wire form."""
from __future__ import annotations

import json
import re
import string

import pytest

from simulator.protocols.pop3 import replies as pop3_replies
from simulator.protocols.pop3.engine import STAGES, STATES
from simulator.protocols.pop3.replies import (
    ADVICE,
    CAPABILITIES,
    CLASSES,
    CODES,
    COMMANDS,
    DEFAULT_KEYS,
    GREETING_CODES,
    GREETING_KEYS,
    MODES,
    REPLIES,
    RESP_CODES,
    Pop3Reply,
    catalogue_for_ui,
    default_reply,
    reply,
)

CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def bilingual(text) -> bool:
    return (isinstance(text, dict) and set(text) == {"en", "ru"} and text["en"].strip() and text["ru"].strip()
            and text["en"] != text["ru"] and CYRILLIC.search(text["ru"]) is not None
            and CYRILLIC.search(text["en"]) is None)


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


# ------------------------------------------------------------------- codes
def test_two_status_indicators_drawn_as_classes_2_and_5():
    assert set(CODES) == {"+OK", "-ERR"} and GREETING_CODES == ("+OK", "-ERR")
    assert (CODES["+OK"].reply_class, CODES["-ERR"].reply_class) == (2, 5)
    assert set(CLASSES) == {2, 5}
    for entry in CLASSES.values():
        assert bilingual(entry["name"]) and bilingual(entry["meaning"])


@pytest.mark.parametrize("code", sorted(CODES))
def test_codes_are_explained_in_both_languages(code):
    info = CODES[code]
    assert info.code == code and bilingual(info.meaning) and bilingual(info.note)
    assert info.rfc.startswith("RFC 1939") and info.advice in ADVICE
    for verb, special in info.advice_by_command.items():
        assert verb in STAGES or verb == "greeting"
        assert special.advice in ADVICE and bilingual(special.why)


def test_lecture_ok_is_kept_and_its_difference_from_the_wire_noted():
    assert bilingual(CODES["+OK"].lecture) and "+OK" in CODES["+OK"].note["en"]


def test_advice_depends_on_the_command():
    assert CODES["+OK"].advice_for("STAT") == "continue" and CODES["+OK"].advice_for("QUIT") == "close"
    assert CODES["-ERR"].advice_for("greeting") == "retry_later"
    assert CODES["-ERR"].advice_for("RETR") == "read_text"
    for text in ADVICE.values():
        assert bilingual(text)


def test_response_codes_are_explained():
    assert {"IN-USE", "AUTH", "SYS/TEMP", "SYS/PERM", "LOGIN-DELAY"} <= set(RESP_CODES)
    for entry in RESP_CODES.values():
        assert entry["rfc"].startswith("RFC") and bilingual(entry["meaning"])
    used = {m for spec in REPLIES.values() for m in re.findall(r"^\[([A-Z/-]+)\]", spec.text)}
    assert used and used <= set(RESP_CODES)


# ----------------------------------------------------------------- replies
@pytest.mark.parametrize("key", sorted(REPLIES))
def test_reply_entries_are_wire_safe_and_explained(key):
    spec = REPLIES[key]
    assert spec.key == key and spec.code in CODES
    assert key.split(".")[0] == ("ok" if spec.code == "+OK" else "err")
    assert spec.text.isascii() and "\r" not in spec.text and "\n" not in spec.text and len(spec.text) < 200
    assert spec.row is None or (spec.row.isascii() and spec.multiline)
    assert bilingual(spec.why)
    if spec.multiline:
        assert spec.code == "+OK"


def test_entries_the_brief_names_exist():
    for key in ("ok.stat", "err.no_such_message", "err.in_use", "ok.greeting", "err.not_removed"):
        assert key in REPLIES


def test_closing_entries():
    closing = {k for k, s in REPLIES.items() if s.closes}
    assert closing == {"err.greeting", "ok.quit", "ok.quit_update", "ok.quit_one", "ok.quit_empty",
                       "err.not_removed", "err.too_many_errors"}


def test_defaults_need_no_parameters():
    assert DEFAULT_KEYS == {"+OK": "ok.default", "-ERR": "err.default"}
    assert GREETING_KEYS == {"-ERR": "err.greeting"}
    for key in list(DEFAULT_KEYS.values()) + list(GREETING_KEYS.values()):
        assert fields(REPLIES[key].text) <= {"host"}


def test_reply_fills_placeholders_and_keeps_the_key():
    made = reply("err.no_such_message", count=2)
    assert (made.code, made.key, made.line, made.ok) == ("-ERR", "err.no_such_message",
                                                         "no such message, only 2 messages in maildrop", False)
    assert made.wire() == b"-ERR no such message, only 2 messages in maildrop\r\n"
    assert reply("ok.quit", host="pop.test").text == "+OK pop.test POP3 server signing off"
    assert reply("ok.noop").wire() == b"+OK\r\n" and reply("ok.noop").ok


def test_missing_placeholder_is_a_programming_error():
    with pytest.raises(KeyError):
        reply("ok.stat", count=1)


def test_reply_cleans_what_the_client_typed():
    made = reply("ok.user", user="a\r\nb\x00\u00e9" + "x" * 1000)
    wire = made.wire()
    assert wire.count(b"\r\n") == 1 and wire.isascii() and len(wire) <= 512


def test_status_line_never_exceeds_512_octets():
    made = default_reply("-ERR", "y" * 2000)
    assert len(made.wire()) == 512 and made.wire().endswith(b"...\r\n")


def test_listing_rows_become_body_lines():
    made = reply("ok.list", rows=[{"n": 1, "size": 120}, {"n": 2, "size": 200}], count=2, octets=320)
    assert made.wire() == b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"
    assert made.text == "+OK 2 messages (320 octets)\n1 120\n2 200\n."
    assert reply("ok.uidl", rows=[]).wire() == b"+OK unique-id listing follows\r\n.\r\n"
    capa = reply("ok.capa", rows=pop3_replies.capability_rows())
    assert capa.wire().count(b"\r\n") == len(CAPABILITIES) + 2


def test_multiline_body_is_dot_stuffed_and_terminated():
    made = reply("ok.retr", body=b"a\r\n.\r\n..b\r\n.c\r\nd.\r\n", octets=18)
    assert made.wire() == b"+OK 18 octets\r\na\r\n..\r\n...b\r\n..c\r\nd.\r\n.\r\n"
    assert made.multiline and reply("ok.stat", count=0, octets=0).multiline is False


def test_body_line_ends_are_normalised_to_crlf():
    made = Pop3Reply("+OK", "", "ok.retr", b"a\nb\rc\r\n\n.d")
    assert made.body == b"a\r\nb\r\nc\r\n\r\n.d\r\n"
    assert made.wire() == b"+OK\r\na\r\nb\r\nc\r\n\r\n..d\r\n.\r\n"
    assert Pop3Reply("+OK", "", "ok.retr", b"").wire() == b"+OK\r\n.\r\n"


def test_transcript_text_of_a_big_body_is_cut():
    body = b"".join(b"line %05d\r\n" % i for i in range(5000))  # 60000 octets
    made = reply("ok.retr", body=body, octets=len(body))
    text = made.text
    assert text.startswith("+OK 60000 octets\nline 00000\n") and text.endswith(" more octets)\n.")
    shown = text.split("\n", 1)[1].rsplit("\n... (", 1)[0]
    cut = int(text.rsplit("(", 1)[1].split()[0])
    shown_octets = (shown.count("\n") + 1) * len(b"line 00000\r\n")  # whole lines, up to 16 KiB
    assert shown_octets <= 16 * 1024 and shown_octets + cut == len(body)
    assert len(text) < 17 * 1024 and made.wire().endswith(b"line 04999\r\n.\r\n")


def test_transcript_text_of_8bit_content_is_decoded():
    made = reply("ok.retr", body="Привет\r\n".encode(), octets=14)
    assert made.text == "+OK 14 octets\nПривет\n."
    assert made.wire().startswith(b"+OK 14 octets\r\n\xd0\x9f")


def test_default_reply_with_text_and_body():
    made = default_reply("-ERR", "caf\u00e9\r\n")
    assert made.wire() == b"-ERR caf???\r\n" and made.key == "err.default" and not made.closes
    assert default_reply("+OK").wire() == b"+OK\r\n"
    assert default_reply("+OK", body=b"").wire() == b"+OK\r\n.\r\n"
    assert default_reply("-ERR", closes=True).closes


def test_default_reply_for_an_unknown_status_is_an_error():
    with pytest.raises(KeyError):
        default_reply("OK")


# ---------------------------------------------------------------- commands
def test_every_verb_is_described():
    assert set(COMMANDS) == set(STAGES)
    for verb, info in COMMANDS.items():
        assert info.syntax.split()[0] == verb and info.syntax.isascii()
        assert bilingual(info.meaning) and info.rfc.startswith("RFC")
        assert set(info.states) <= {"authorization", "transaction"} and info.states
        if info.lecture is not None:
            assert bilingual(info.lecture)
        if info.note is not None:
            assert bilingual(info.note)


def test_lecture_figure_steps_have_the_lecture_wording():
    assert COMMANDS["USER"].lecture["en"] == "user name" and COMMANDS["PASS"].lecture["en"] == "password"
    assert "list" in COMMANDS["LIST"].lecture["en"] and "retrieve" in COMMANDS["RETR"].lecture["en"]
    assert "delete mode" in COMMANDS["DELE"].lecture["en"] and "UPDATE" in COMMANDS["DELE"].note["en"]


def test_modes_and_states_are_explained():
    assert set(MODES) == {"delete", "keep"}
    assert "DELE" in MODES["delete"]["commands"] and "DELE" not in MODES["keep"]["commands"]
    for mode in MODES.values():
        assert bilingual(mode["name"]) and bilingual(mode["meaning"]) and bilingual(mode["note"])
    assert set(pop3_replies.STATES) == set(STATES)
    for state in pop3_replies.STATES.values():
        assert bilingual(state["name"]) or state["name"]["en"] in state["name"]["ru"]
        assert bilingual(state["meaning"])
    for note in pop3_replies.NOTES.values():
        assert bilingual(note)


def test_catalogue_for_ui_is_json_with_both_languages():
    data = json.loads(json.dumps(catalogue_for_ui(), ensure_ascii=False))
    assert set(data) >= {"codes", "replies", "commands", "classes", "categories", "advice", "notes",
                         "modes", "states", "resp_codes"}
    assert set(data["codes"]) == {"+OK", "-ERR"}
    err = data["codes"]["-ERR"]
    assert err["class"] == 5 and err["default"] == "err.default" and "err.in_use" in err["replies"]
    assert err["advice_by_command"]["greeting"]["advice"] == "retry_later"
    assert data["codes"]["+OK"]["class"] == 2
    assert data["replies"]["ok.list"]["text"] == ["{count} messages ({octets} octets)"]
    assert data["replies"]["ok.list"]["row"] == "{n} {size}" and data["replies"]["ok.retr"]["multiline"]
    assert data["commands"]["TOP"]["syntax"] == "TOP msg n"
    assert set(data["classes"]) == {"2", "5"}
    assert bilingual(data["modes"]["keep"]["meaning"])
