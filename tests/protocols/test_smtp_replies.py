"""The SMTP reply catalogue: complete, bilingual, wire-safe and JSON-able."""
from __future__ import annotations

import json
import re
import string

import pytest

from simulator.protocols.smtp import replies
from simulator.protocols.smtp.replies import (
    ADVICE,
    CATEGORIES,
    CLASSES,
    CODES,
    COMMANDS,
    DEFAULT_KEYS,
    REPLIES,
    catalogue_for_ui,
    default_reply,
    reply,
    reply_rows,
)

LECTURE_CODES = (211, 214, 220, 221, 250, 251, 354, 421, 450, 451, 452,
                 500, 501, 502, 503, 504, 550, 551, 552, 553, 554)
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def bilingual(text) -> bool:
    return (isinstance(text, dict) and set(text) == {"en", "ru"} and text["en"].strip() and text["ru"].strip()
            and text["en"] != text["ru"] and CYRILLIC.search(text["ru"]) is not None
            and CYRILLIC.search(text["en"]) is None)


@pytest.mark.parametrize("code", LECTURE_CODES)
def test_every_lecture_code_is_described_in_both_languages(code):
    info = CODES[code]
    assert bilingual(info.meaning)
    assert bilingual(info.lecture), "the lecture's own wording is kept for its 21 codes"
    assert info.rfc.startswith("RFC")


@pytest.mark.parametrize("code", sorted(CODES))
def test_class_category_and_advice(code):
    info = CODES[code]
    assert info.reply_class == code // 100 and info.reply_class in CLASSES
    assert info.category == code // 10 % 10 and info.category in CATEGORIES
    assert info.advice in ADVICE
    if info.reply_class == 3:
        assert info.advice == "send_more"
    if info.reply_class == 4:
        assert info.advice in ("retry_later", "close")
    if info.reply_class == 5:
        assert info.advice == "give_up"
    for _verb, special in info.advice_by_command.items():
        assert special.advice in ADVICE and bilingual(special.why)
    if info.note is not None:
        assert bilingual(info.note)


def test_connection_ending_codes_advise_close():
    assert CODES[221].advice == CODES[421].advice == "close"


def test_advice_depends_on_the_command_where_the_rfc_says_so():
    assert CODES[452].advice_for("RCPT") == "retry_later"
    assert CODES[552].advice_for("RCPT") == "retry_later"  # RFC 5321 §4.5.3.1.10
    assert CODES[552].advice_for("DATA") == "give_up"


def test_lecture_and_rfc_disagreements_are_noted():
    assert "parameter" in CODES[504].meaning["en"]
    assert "temporarily" in CODES[504].lecture["en"]
    assert CODES[504].note is not None and CODES[554].note is not None and CODES[502].note is not None


def test_classes_and_categories_are_bilingual():
    assert set(CLASSES) == {2, 3, 4, 5} and set(CATEGORIES) == {0, 1, 2, 5}
    for entry in list(CLASSES.values()) + list(CATEGORIES.values()):
        assert bilingual(entry["name"]) and bilingual(entry["meaning"])
    assert bilingual(replies.UNUSED_CLASS_NOTE)


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_reply_entry_and_a_default(code):
    assert any(key.startswith(f"{code}.") for key in REPLIES)
    assert DEFAULT_KEYS[code].startswith(f"{code}.")
    made = default_reply(code)
    assert made.code == code and made.key == DEFAULT_KEYS[code]


def test_default_entries_need_no_parameters_but_host():
    for key in DEFAULT_KEYS.values():
        fields = {f for line in REPLIES[key].text for _, f, _, _ in string.Formatter().parse(line) if f}
        assert fields <= {"host"}, key


@pytest.mark.parametrize("key", sorted(REPLIES))
def test_reply_entries_are_wire_safe_and_explained(key):
    spec = REPLIES[key]
    assert key.split(".")[0] == str(spec.code) and spec.code in CODES
    assert spec.text
    for line in spec.text:
        assert line.isascii() and "\r" not in line and "\n" not in line
        assert len(line) < 400
    assert bilingual(spec.why)


def test_reply_fills_placeholders_and_keeps_the_key():
    made = reply("550.no_such_user", addr="x@example.org")
    assert (made.code, made.key, made.lines) == (550, "550.no_such_user", ("<x@example.org>: User unknown",))
    assert reply("221.closing").text == "221 mx.example.org Service closing transmission channel"
    assert reply("221.closing", host="smtp.test").text.startswith("221 smtp.test ")


def test_reply_cleans_what_the_client_typed():
    made = reply("550.no_such_user", addr="a\r\nb\x00\u00e9" + "x" * 1000)
    wire = made.wire()
    assert wire.count(b"\r\n") == 1 and len(wire) <= 512


def test_reply_rows_makes_one_line_per_row():
    made = reply_rows("250.expn", [{"name": "A", "addr": "a@x"}, {"name": "B", "addr": "b@x"}])
    assert made.wire() == b"250-A <a@x>\r\n250 B <b@x>\r\n"


def test_default_reply_with_text_uses_it_as_the_only_line():
    made = default_reply(450, "Greylisted for 5 minutes")
    assert made.text == "450 Greylisted for 5 minutes" and made.key == "450.mailbox_unavailable"
    assert default_reply(550, "caf\u00e9\r\n").wire() == b"550 caf???\r\n"


def test_default_reply_for_an_unknown_code_is_an_error():
    with pytest.raises(KeyError):
        default_reply(299)


def test_commands_of_table_14_1_are_described():
    for verb in ("HELO", "EHLO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "VRFY", "NOOP", "TURN", "EXPN",
                 "HELP", "SEND", "SOML", "SAML"):
        info = COMMANDS[verb]
        assert info.syntax.startswith(verb) and info.syntax.isascii()
        assert bilingual(info.meaning) and info.rfc.startswith("RFC")
        if verb != "EHLO":
            assert info.lecture is not None and set(info.lecture) == {"en", "ru"}
    assert {v for v, c in COMMANDS.items() if c.obsolete} == {"TURN", "SEND", "SOML", "SAML"}
    assert "SMOL" in COMMANDS["SOML"].aliases and "SMAL" in COMMANDS["SAML"].aliases
    assert bilingual(COMMANDS["TURN"].note)


def test_catalogue_for_ui_is_json_with_both_languages():
    data = json.loads(json.dumps(catalogue_for_ui(), ensure_ascii=False))
    assert set(data) >= {"codes", "replies", "commands", "classes", "categories"}
    assert set(data["codes"]) == {str(c) for c in CODES}
    code = data["codes"]["452"]
    assert code["class"] == 4 and code["category"] == 5 and code["advice"] == "retry_later"
    assert code["advice_by_command"]["RCPT"]["advice"] == "retry_later"
    assert "452.too_many_recipients" in code["replies"]
    assert data["replies"]["250.ehlo"]["text"][0] == "{host} Hello {client}"
    assert data["commands"]["SOML"]["obsolete"] is True
    assert bilingual(data["replies"]["503.need_helo"]["why"])
