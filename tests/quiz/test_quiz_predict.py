"""Predict, order and fill questions: the engine computes every answer, replayed here independently."""
from __future__ import annotations

import dataclasses

import pytest

from simulator.lab.faults import FaultPlan, FaultRuntime
from simulator.lab.scenarios import load_presets, load_scenarios
from simulator.lab.session import Session
from simulator.mail.world import World
from simulator.protocols.imap.engine import ImapEngine
from simulator.protocols.pop3.engine import Pop3Engine
from simulator.protocols.smtp import replies
from simulator.protocols.smtp.engine import SmtpEngine
from simulator.quiz import predict as quiz_predict
from simulator.quiz.bank import bank
from simulator.store.db import MailStore

WORLD = World.load()


def by_type(qtype):
    return [q for q in bank().values() if q.type == qtype]


def _session(scenario_name: str):
    """A fresh session of the scenario's protocol with its preset's faults, built here, not by the bank."""
    scenario = load_scenarios()[scenario_name]
    plan = load_presets()[scenario.preset].plan if scenario.preset else FaultPlan(protocol=scenario.protocol)
    store = MailStore(WORLD)
    mailboxes = store.realm("replay")
    if scenario.protocol == "smtp":
        engine = SmtpEngine(WORLD)
    elif scenario.protocol == "pop3":
        engine = Pop3Engine(WORLD, mailboxes, owner="replay")
    else:
        engine = ImapEngine(WORLD, mailboxes, now=lambda: 1_788_000_000.0)
    session = Session("replay", engine, faults=FaultRuntime(plan), store=mailboxes,
                      protocol=scenario.protocol, sleep=lambda _s: None)
    return session, store


def _replies_after_replaying(question):
    """Feed the question's replay (only what the learner sees) to a new session; the replies that follow."""
    session, store = _session(question.source["scenario"])
    try:
        session.open()
        last_input = 0
        for ex in question.replay:
            if ex["from"] == "client" and ex["kind"] == "command":
                last_input = len(session.transcript)
                session.feed(ex["text"].encode("utf-8") + b"\r\n")
            elif ex["from"] == "client" and ex["kind"] == "data":
                last_input = len(session.transcript)
                session.feed(ex["text"].encode("utf-8"))
        return [ex for ex in session.transcript[last_input:] if ex["from"] == "server" and ex["kind"] == "reply"]
    finally:
        store.close()


# ------------------------------------------------------------------ predict

@pytest.mark.parametrize("qid", sorted(q.id for q in by_type("predict")))
def test_predict_answer_is_what_the_engine_says_on_replay(qid):
    q = bank()[qid]
    answered = _replies_after_replaying(q)
    assert answered, f"{qid}: the engine sent nothing"
    assert str(answered[0]["code"]) == str(q.choices[q.answer])


def test_predict_replay_stops_at_the_input_being_answered():
    for q in by_type("predict"):
        last = q.replay[-1]
        assert last["from"] == "client" and (last["kind"] in ("command", "data") or last["text"] == "connect"), q.id
        assert all(ex["kind"] != "reply" or ex is not last for ex in q.replay)
        assert q.source["reply_index"] == int(q.id.rsplit(":", 1)[1])


def test_predict_covers_sessions_with_and_without_faults():
    questions = by_type("predict")
    with_faults = {q.source["scenario"] for q in questions if q.source["preset"]}
    assert {"story_greylisting", "story_relay_denied", "story_mailbox_full", "story_server_not_ready",
            "pop3_story_wrong_password", "imap_story_folder_unavailable"} <= with_faults
    assert any(q.source["preset"] is None for q in questions)
    answers = {(q.protocol, str(q.choices[q.answer])) for q in questions}
    assert {("smtp", "450"), ("smtp", "552"), ("smtp", "421"), ("smtp", "354"), ("pop3", "-ERR"),
            ("imap", "NO"), ("imap", "BAD")} <= answers


def test_predict_prompts_describe_faults_without_their_code():
    q = bank()["predict:smtp:story_greylisting:3"]
    assert "Greylisting" in q.prompt["en"] and "RCPT" in q.prompt["en"]
    assert "450" not in q.prompt["en"] and "450" not in q.prompt["ru"]
    assert "450" in q.explanation["en"]  # said after answering


def test_predict_choices_are_plausible_codes_of_the_protocol():
    for q in by_type("predict"):
        if q.protocol == "smtp":
            assert len(q.choices) == 4 and all(int(c) in replies.CODES for c in q.choices), q.id
        elif q.protocol == "pop3":
            assert set(q.choices) == {"+OK", "-ERR"}
        else:
            assert len(q.choices) == 4 and {"OK", "NO", "BAD"} <= set(q.choices) | {q.choices[q.answer]}


def test_not_every_250_is_asked():
    questions = by_type("predict")
    smtp_250 = [q for q in questions if q.protocol == "smtp" and q.choices[q.answer] == "250"]
    assert len(smtp_250) < len([q for q in questions if q.protocol == "smtp"]) / 2
    assert not any(q.commands == ("HELO",) and q.choices[q.answer] == "250" for q in questions)


# ------------------------------------------------------------------ which scenarios

def test_chance_rules_make_a_scenario_unusable():
    scenario = load_scenarios()["story_greylisting"]
    preset = load_presets()["greylisting"]
    assert quiz_predict.usable(scenario, preset)
    chancy = dataclasses.replace(preset, plan=dataclasses.replace(
        preset.plan, rules=tuple(dataclasses.replace(r, probability=0.5) for r in preset.plan.rules)))
    assert not quiz_predict.usable(scenario, chancy)


def test_delays_that_change_nothing_keep_a_scenario():
    scenario = load_scenarios()["story_slow_server"]
    assert quiz_predict.usable(scenario, load_presets()["slow_server"])
    assert any(q.source["scenario"] == "story_slow_server" for q in by_type("predict"))


def test_transcripts_are_the_same_on_every_play():
    scenario = load_scenarios()["imap_search"]
    assert quiz_predict.play(scenario) == quiz_predict.play(scenario)
    scenario = load_scenarios()["pop3_uidl"]
    first = quiz_predict.play(scenario)
    assert first == quiz_predict.play(scenario)
    assert any(" 170000000" in ex["text"] for ex in first)  # UIDVALIDITY renumbered from a fixed base


# ------------------------------------------------------------------ order

def test_order_questions_come_from_the_lecture_figures():
    ids = {q.id for q in by_type("order")}
    assert {"order:smtp:fig_14_6_establishment:establishment", "order:smtp:fig_14_7_transfer:transfer",
            "order:smtp:fig_14_8_termination:termination", "order:pop3:pop3_delete_mode:transaction"} <= ids


def test_order_items_follow_the_transcript():
    q = bank()["order:smtp:fig_14_7_transfer:transfer"]
    texts = [c if isinstance(c, str) else c["en"] for c in q.choices]
    assert texts[0].startswith("C: MAIL FROM:") and texts[1].startswith("S: 250")
    assert texts[4] == "C: DATA" and texts[5].startswith("S: 354")
    assert texts[-1].startswith("S: 250")
    assert len(texts) == 8  # the second RCPT exchange is left out: its place is not unique
    transcript = quiz_predict.play(load_scenarios()["fig_14_7_transfer"])
    lines = [ex["text"] for ex in transcript if ex["kind"] in ("command", "reply")]
    positions = [lines.index(t[3:]) for t in texts if t[3:] in lines]
    assert positions == sorted(positions)


# ------------------------------------------------------------------ fill

@pytest.mark.parametrize("qid", sorted(q.id for q in by_type("fill")))
def test_fill_hides_one_line_and_its_answer_is_that_line(qid):
    q = bank()[qid]
    hidden = [i for i, ex in enumerate(q.replay) if ex["text"] == "?"]
    assert hidden == [q.source["exchange_index"]]
    shown = q.replay[hidden[0]]
    assert shown["code"] is None and shown["verb"] is None and shown["fault"] is None
    transcript = quiz_predict.play(load_scenarios()[q.source["scenario"]])
    assert transcript[hidden[0]]["text"] == q.choices[q.answer]
    assert len(q.choices) == 4 and len(set(q.choices)) == 4
    # Every other line is shown as the engine sent it.
    assert [ex["text"] for i, ex in enumerate(q.replay) if i != hidden[0]] == \
        [ex["text"] for i, ex in enumerate(transcript) if i != hidden[0]]


def test_fill_distractors_are_not_also_right():
    for q in by_type("fill"):
        hidden = q.replay[q.source["exchange_index"]]
        right = q.choices[q.answer]
        for i, choice in enumerate(q.choices):
            if i == q.answer:
                continue
            if hidden["from"] == "client":
                assert choice.split()[0] != right.split()[0] or q.protocol == "imap", (q.id, choice)
                if q.protocol == "imap":
                    assert choice.split()[1] != right.split()[1] or choice.split()[2] != right.split()[2], q.id
            else:
                assert choice.split()[0] != right.split()[0] or choice != right, (q.id, choice)
