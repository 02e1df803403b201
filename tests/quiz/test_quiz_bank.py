"""The quiz bank: coverage of the catalogues, public()/grade(), the answer-leak rule, select()."""
from __future__ import annotations

import json
import re

import pytest

from simulator.protocols.imap import replies as imap_replies
from simulator.protocols.pop3 import replies as pop3_replies
from simulator.protocols.smtp import replies
from simulator.quiz import bank as quiz_bank
from simulator.quiz.bank import TOPICS, TYPES, Question, bank, select

# The lecture's table 14.2 (shared/lecture/README.md section 3) and table 14.1.
TABLE_14_2 = (211, 214, 220, 221, 250, 251, 354, 421, 450, 451, 452,
              500, 501, 502, 503, 504, 550, 551, 552, 553, 554)
TABLE_14_1 = ("HELO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "VRFY", "NOOP", "TURN", "EXPN", "HELP",
              "SEND", "SOML", "SAML")


@pytest.fixture(scope="module")
def questions() -> dict[str, Question]:
    return bank()


def of_type(questions, qtype, protocol=None):
    return [q for q in questions.values() if q.type == qtype and (protocol is None or q.protocol == protocol)]


# ------------------------------------------------------------------ coverage

def test_every_type_and_topic_has_questions(questions):
    assert {q.type for q in questions.values()} == set(TYPES)
    assert {q.topic for q in questions.values()} == set(TOPICS)


@pytest.mark.parametrize("qtype", ["code_meaning", "meaning_code", "first_digit", "second_digit", "retry"])
def test_every_code_of_table_14_2_has_a_question_of_each_code_type(questions, qtype):
    covered = {c for q in of_type(questions, qtype, "smtp") for c in q.codes}
    assert set(TABLE_14_2) <= covered


def test_code_meaning_asks_about_every_catalogue_status(questions):
    for protocol, codes in (("pop3", pop3_replies.CODES), ("imap", imap_replies.CODES)):
        for qtype in ("code_meaning", "meaning_code"):
            assert {q.codes[0] for q in of_type(questions, qtype, protocol)} >= set(codes), (protocol, qtype)


@pytest.mark.parametrize("verb", TABLE_14_1 + ("EHLO",))
def test_every_command_of_table_14_1_has_command_questions(questions, verb):
    types = {q.type for q in questions.values() if q.protocol == "smtp" and verb in q.commands}
    assert {"command_purpose", "purpose_command", "command_syntax"} <= types


def test_pop3_and_imap_commands_have_purpose_questions(questions):
    for protocol, commands in (("pop3", pop3_replies.COMMANDS), ("imap", imap_replies.COMMANDS)):
        asked = {q.commands[0] for q in of_type(questions, "command_purpose", protocol)}
        assert asked == set(commands)


def test_ids_are_typed_and_stable(questions):
    for qid, q in questions.items():
        assert qid == q.id
        assert qid.split(":", 1)[0] == q.type
        assert qid.split(":")[1] == (q.protocol or "-")


# ------------------------------------------------------------------ answers come from the catalogues

def test_code_meaning_answers_are_the_catalogue_meanings(questions):
    for code, info in replies.CODES.items():
        q = questions[f"code_meaning:smtp:{code}"]
        assert q.choices[q.answer] == info.meaning
        q = questions[f"meaning_code:smtp:{code}"]
        assert q.choices[q.answer] == str(code)
        assert str(code) not in q.prompt["en"]  # the meaning does not give the code away


def test_code_distractors_are_plausible_codes_of_the_same_class_or_second_digit(questions):
    for code in TABLE_14_2:
        q = questions[f"meaning_code:smtp:{code}"]
        for choice in q.choices:
            other = int(choice)
            assert other // 100 == code // 100 or other // 10 % 10 == code // 10 % 10, (code, other)


def test_first_and_second_digit_answers_follow_the_code(questions):
    for code in replies.CODES:
        q = questions[f"first_digit:smtp:{code}"]
        assert q.choices[q.answer]["en"].startswith(replies.CLASSES[code // 100]["name"]["en"])
        q = questions[f"second_digit:smtp:{code}"]
        assert q.choices[q.answer]["en"].startswith(replies.CATEGORIES[code // 10 % 10]["name"]["en"])


def test_retry_answer_follows_the_first_digit(questions):
    for code in replies.CODES:
        q = questions[f"retry:smtp:{code}"]
        right = q.choices[q.answer]["en"]
        expected = {2: "No need: the command succeeded", 3: "No need: the command was accepted",
                    4: "Yes, later", 5: "No, not unchanged"}[code // 100]
        assert right.startswith(expected), code


def test_retry_for_pop3_and_imap_follows_the_response_code(questions):
    assert questions["retry:pop3:IN-USE"].choices[questions["retry:pop3:IN-USE"].answer]["en"].startswith("Yes, later")
    q = questions["retry:imap:TRYCREATE"]
    assert "creating the target folder" in q.choices[q.answer]["en"]
    q = questions["retry:imap:BAD"]
    assert q.choices[q.answer]["en"].startswith("No: the command itself is wrong")


def test_command_answers_are_the_catalogue_entries(questions):
    for verb, info in replies.COMMANDS.items():
        q = questions[f"command_purpose:smtp:{verb}"]
        assert q.choices[q.answer] == info.meaning
        q = questions[f"command_syntax:smtp:{verb}"]
        assert q.choices[q.answer] == info.syntax
        assert len(set(q.choices)) == 4
        q = questions[f"purpose_command:smtp:{verb}"]
        assert q.choices[q.answer].split()[0] == verb


def test_purpose_prompt_never_names_its_own_command(questions):
    for q in of_type(questions, "purpose_command"):
        verb = q.commands[0]
        assert not re.search(rf"(?<![A-Z]){re.escape(verb)}(?![A-Z])", q.prompt["en"].split(":", 1)[1]), q.id


def test_single_questions_are_well_formed(questions):
    for q in questions.values():
        assert q.kind in ("single", "order")
        for lang in ("en", "ru"):
            assert q.prompt[lang].strip() and q.explanation[lang].strip(), q.id
        texts = [c["en"] if isinstance(c, dict) else c for c in q.choices]
        assert len(set(texts)) == len(texts), q.id
        if q.kind == "single":
            assert 2 <= len(q.choices) <= 8 and 0 <= q.answer < len(q.choices), q.id
        else:
            assert q.answer is None and len(q.choices) >= 3, q.id


def test_russian_texts_are_russian(questions):
    cyrillic = re.compile(r"[а-яё]", re.I)
    for q in questions.values():
        assert cyrillic.search(q.prompt["ru"]), q.id
        assert cyrillic.search(q.explanation["ru"]), q.id
        assert q.prompt["ru"] != q.prompt["en"], q.id


# ------------------------------------------------------------------ public and grade

def test_public_has_exactly_the_contract_fields(questions):
    q = questions["code_meaning:smtp:452"]
    pub = q.public("ru", 5)
    assert set(pub) == {"id", "type", "kind", "protocol", "topic", "prompt", "choices", "replay"}
    assert pub["prompt"] == q.prompt["ru"]
    assert {c["text"] for c in pub["choices"]} == {c["ru"] for c in q.choices}
    assert all(set(c) == {"key", "text"} for c in pub["choices"])


def test_public_never_contains_the_answer_or_explanation(questions):
    for q in list(questions.values())[::7]:
        dumped = json.dumps(q.public("en", 11), ensure_ascii=False)
        assert '"answer"' not in dumped and '"explanation"' not in dumped
        assert q.explanation["en"] not in dumped


def test_grade_single(questions):
    q = questions["code_meaning:smtp:452"]
    pub = q.public("en", 3)
    right = next(c["key"] for c in pub["choices"] if c["text"] == q.choices[q.answer]["en"])
    result = q.grade(right, 3)
    assert result.correct and result.right == right and result.explanation == q.explanation
    wrong = next(c["key"] for c in pub["choices"] if c["key"] != right)
    result = q.grade(wrong, 3)
    assert not result.correct and result.right == right


@pytest.mark.parametrize("response", [None, 3, "nope", ["a"], {"key": "x"}])
def test_grade_single_refuses_malformed_responses(questions, response):
    with pytest.raises(ValueError):
        questions["code_meaning:smtp:452"].grade(response, 3)


def test_a_key_of_another_seed_is_refused(questions):
    q = questions["code_meaning:smtp:452"]
    key = q.public("en", 1)["choices"][0]["key"]
    with pytest.raises(ValueError):
        q.grade(key, 2)


def test_grade_order(questions):
    q = next(iter(of_type(questions, "order")))
    pub = q.public("en", 9)
    by_text = {c["text"]: c["key"] for c in pub["choices"]}
    right = [by_text[c["en"] if isinstance(c, dict) else c] for c in q.choices]
    result = q.grade(right, 9)
    assert result.correct and result.right == right
    assert not q.grade(list(reversed(right)), 9).correct
    for bad in (right[:-1], right[:-1] + right[:1], right[:-1] + ["zz"], "x", None):
        with pytest.raises(ValueError):
            q.grade(bad, 9)


def test_choice_keys_do_not_reveal_the_canonical_order(questions):
    q = questions["code_meaning:smtp:452"]
    keys_of_right, positions = set(), set()
    for seed in range(40):
        pub = q.public("en", seed)
        right_text = q.choices[q.answer]["en"]
        index = next(i for i, c in enumerate(pub["choices"]) if c["text"] == right_text)
        keys_of_right.add(pub["choices"][index]["key"])
        positions.add(index)
        assert all(c["key"] not in ("0", "1", "2", "3") for c in pub["choices"])
    assert len(keys_of_right) == 40  # a new key per seed
    assert len(positions) == 4  # the right choice is shown anywhere


def test_keys_depend_on_the_server_secret(questions):
    q = questions["code_meaning:smtp:452"]
    before = q.public("en", 1)
    after = q.public("en", 1, quiz_bank.ChoiceKeys("another secret"))
    # Public data alone (id, seed, texts) does not determine the keys: another secret gives others.
    assert {c["key"] for c in before["choices"]}.isdisjoint({c["key"] for c in after["choices"]})
    # and a secret is never replaced: the process's keys are what they were
    assert q.public("en", 1) == before


def test_same_seed_same_public_view(questions):
    q = questions["predict:smtp:story_greylisting:3"]
    assert q.public("en", 4) == q.public("en", 4)
    orders = {tuple(c["text"] for c in q.public("en", seed)["choices"]) for seed in range(10)}
    assert len(orders) > 1


# ------------------------------------------------------------------ select and bank

def test_select_is_deterministic_and_respects_filters():
    a = select(protocols=["smtp"], types=["code_meaning", "retry"], count=10, seed=42)
    b = select(protocols=["smtp"], types=["code_meaning", "retry"], count=10, seed=42)
    assert [q.id for q in a] == [q.id for q in b]
    assert len(a) == 10 and all(q.protocol == "smtp" and q.type in ("code_meaning", "retry") for q in a)
    assert {q.type for q in a} == {"code_meaning", "retry"}  # spread over the types
    assert len({q.codes[0] for q in a}) >= 8  # spread over the codes
    assert [q.id for q in select(count=10, seed=43)] != [q.id for q in select(count=10, seed=42)]


def test_select_by_code_and_topic():
    chosen = select(codes=["452"], count=50, seed=1)
    assert chosen and all(452 in q.codes for q in chosen)
    assert len({q.type for q in chosen}) >= 4
    mime = select(topics=["mime"], count=100, seed=0)
    assert mime and all(q.topic == "mime" for q in mime)
    assert select(codes=[999], count=5) == []
    assert len(select(types=["order"], count=1000)) == len([q for q in bank().values() if q.type == "order"])


def test_bank_ids_are_unique_and_bank_is_cached():
    assert bank() is bank()
    fresh = bank(refresh=True)
    assert len(fresh) == len({q.id for q in fresh.values()}) > 500
