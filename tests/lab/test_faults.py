"""Fault plans: validation, round trip and the seeded, counted decisions of the runtime."""
from __future__ import annotations

import importlib
import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.lab.faults import EMPTY_PLAN, MAX_RULES, Decision, FaultPlan, FaultPlanError, FaultRuntime, Rule
from simulator.mail.world import World
from simulator.protocols.base import Reply
from simulator.protocols.smtp.engine import SmtpEngine

LECTURE_CODES = (211, 214, 220, 221, 250, 251, 354, 421, 450, 451, 452,
                 500, 501, 502, 503, 504, 550, 551, 552, 553, 554)
VERBS = ("HELO", "EHLO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "VRFY", "NOOP",
         "TURN", "EXPN", "HELP", "SEND", "SOML", "SAML")


def plan(*rules, seed=0):
    return FaultPlan.from_json({"seed": seed, "rules": list(rules)})


def error_of(obj) -> FaultPlanError:
    with pytest.raises(FaultPlanError) as info:
        FaultPlan.from_json(obj)
    return info.value


# ---------------------------------------------------------------- validation

BAD_PLANS = [
    # (plan, path, words the message must contain)
    ([], "plan", "object"),
    ({"rules": [], "seeds": 1}, "seeds", "unknown field"),
    ({"seed": "42"}, "seed", "whole number"),
    ({"seed": -1}, "seed", "0 to"),
    ({"seed": True}, "seed", "whole number"),
    ({"seed": 1.5}, "seed", "whole number"),
    ({"seed": 2**60}, "seed", "0 to"),
    ({"rules": {}}, "rules", "list"),
    ({"rules": [{"stage": "RCPT", "reply": 450}] * (MAX_RULES + 1)}, "rules", "at most 100"),
    ({"rules": ["RCPT"]}, "rules[0]", "object"),
    ({"rules": [{"reply": 450}]}, "rules[0].stage", "missing"),
    ({"rules": [{"stage": 5, "reply": 450}]}, "rules[0].stage", "string"),
    ({"rules": [{"stage": "FOO", "reply": 450}]}, "rules[0].stage", "unknown stage"),
    ({"rules": [{"stage": "MAIL FROM", "reply": 450}]}, "rules[0].stage", "did you mean 'MAIL'"),
    ({"rules": [{"stage": "SMOL", "reply": 450}]}, "rules[0].stage", "did you mean 'SOML'"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "colour": "red"}]}, "rules[0].colour", "unknown field"),
    ({"rules": [{"stage": "RCPT", "delayms": 5}]}, "rules[0].delayms", "did you mean 'delay_ms'"),
    ({"rules": [{"stage": "RCPT", "reply": "450"}]}, "rules[0].reply", "3-digit"),
    ({"rules": [{"stage": "RCPT", "reply": 45}]}, "rules[0].reply", "3-digit"),
    ({"rules": [{"stage": "RCPT", "reply": 450.0}]}, "rules[0].reply", "3-digit"),
    ({"rules": [{"stage": "RCPT", "reply": True}]}, "rules[0].reply", "3-digit"),
    ({"rules": [{"stage": "RCPT", "reply": 599}]}, "rules[0].reply", "not in the reply catalogue"),
    ({"rules": [{"stage": "greeting", "reply": 250}]}, "rules[0].reply", "220, 421, 554"),
    ({"rules": [{"stage": "connect", "reply": 421}]}, "rules[0].reply", "nothing is sent before the greeting"),
    ({"rules": [{"stage": "RCPT", "text": "no"}]}, "rules[0].text", "needs a reply"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "text": 7}]}, "rules[0].text", "string"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "text": ""}]}, "rules[0].text", "empty"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "text": "a\r\n250 ok"}]}, "rules[0].text", "CR and LF"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "text": "a\nb"}]}, "rules[0].text", "CR and LF"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "text": "Ящик занят"}]}, "rules[0].text", "printable ASCII"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "text": "tab\there"}]}, "rules[0].text", "printable ASCII"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "text": "x" * 201}]}, "rules[0].text", "at most 200"),
    ({"rules": [{"stage": "RCPT", "delay_ms": -1}]}, "rules[0].delay_ms", "0 to 60000"),
    ({"rules": [{"stage": "RCPT", "delay_ms": 60001}]}, "rules[0].delay_ms", "0 to 60000"),
    ({"rules": [{"stage": "RCPT", "delay_ms": 1.5}]}, "rules[0].delay_ms", "whole number"),
    ({"rules": [{"stage": "RCPT", "disconnect": "yes"}]}, "rules[0].disconnect", "true or false"),
    ({"rules": [{"stage": "RCPT", "silent": 1}]}, "rules[0].silent", "true or false"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "disconnect": True}]}, "rules[0].disconnect", "either replies or disconnects"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "silent": True}]}, "rules[0].silent", "either replies or stays silent"),
    ({"rules": [{"stage": "RCPT", "silent": True, "disconnect": True}]}, "rules[0].silent", "not both"),
    ({"rules": [{"stage": "RCPT", "silent": True, "delay_ms": 10}]}, "rules[0].delay_ms", "nothing to delay"),
    ({"rules": [{"stage": "RCPT"}]}, "rules[0]", "does nothing"),
    ({"rules": [{"stage": "RCPT", "delay_ms": 0, "times": 1}]}, "rules[0]", "does nothing"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "probability": 1.5}]}, "rules[0].probability", "0 to 1"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "probability": -0.1}]}, "rules[0].probability", "0 to 1"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "probability": "0.5"}]}, "rules[0].probability", "0 to 1"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "probability": float("nan")}]}, "rules[0].probability", "0 to 1"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "probability": True}]}, "rules[0].probability", "0 to 1"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "times": -1}]}, "rules[0].times", "0 or more"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "times": 1.0}]}, "rules[0].times", "0 or more"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "after": -2}]}, "rules[0].after", "0 or more"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "after": None}]}, "rules[0].after", "0 or more"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "match": 5}]}, "rules[0].match", "glob"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "match": ""}]}, "rules[0].match", "empty"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "match": "a\r\nb"}]}, "rules[0].match", "control characters"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "match": "a\x85b"}]}, "rules[0].match", "control characters"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "match": "x" * 257}]}, "rules[0].match", "at most 256"),
    ({"rules": [{"stage": "greeting", "reply": 421, "match": "*"}]}, "rules[0].match", "no argument"),
    ({"rules": [{"stage": "DATA_END", "reply": 552, "match": "*"}]}, "rules[0].match", "no argument"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "note": 3}]}, "rules[0].note", "string"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "note": "n" * 501}]}, "rules[0].note", "at most 500"),
    ({"rules": [{"stage": "RCPT", "reply": 450, "protocol": "nntp"}]}, "rules[0].protocol", "smtp"),
    ({"protocol": "uucp", "rules": []}, "protocol", "smtp"),
    ({"protocol": None}, "protocol", "smtp"),
    ({"rules": [{"stage": "RCPT", "reply": 450}, {"stage": "RCPT", "reply": 999}]}, "rules[1].reply", "3-digit"),
]


@pytest.mark.parametrize("obj, path, words", BAD_PLANS, ids=[f"{p}:{w}" for _, p, w in BAD_PLANS])
def test_bad_field_is_named_by_its_path(obj, path, words):
    err = error_of(obj)
    assert err.path == path
    assert words in err.message
    assert str(err) == f"{path}: {err.message}"
    assert isinstance(err, ValueError)


def test_bad_json_text_says_where():
    err = error_of('{"seed": 1,\n "rules": [}')
    assert err.path == "json"
    assert "line 2" in err.message


def test_json_text_and_bytes_are_accepted():
    text = '{"seed": 7, "rules": [{"stage": "RCPT", "reply": 450, "times": 1}]}'
    assert FaultPlan.from_json(text) == FaultPlan.from_json(text.encode()) == FaultPlan.from_json(json.loads(text))


def test_unknown_stage_error_lists_the_stages():
    err = error_of({"rules": [{"stage": "DELE", "reply": 550}]})
    for stage in ("HELO", "RCPT", "connect", "greeting", "DATA_END", "UNKNOWN", "*"):
        assert stage in err.message


def test_reply_code_not_in_catalogue_lists_the_codes():
    err = error_of({"rules": [{"stage": "RCPT", "reply": 299}]})
    assert "450" in err.message and "550" in err.message


def test_the_engine_verbs_are_the_stages():
    from simulator.lab.faults import known_stages
    from simulator.protocols.smtp import engine as smtp

    assert set(VERBS) == set(smtp.STAGES)
    assert known_stages() == tuple(smtp.STAGES) + ("connect", "greeting", "DATA_END", "UNKNOWN", "*")


def test_defaults_and_empty_plan():
    assert FaultPlan.from_json({}) == EMPTY_PLAN == FaultPlan.EMPTY == FaultPlan()
    rule = plan({"stage": "RCPT", "reply": 450}).rules[0]
    assert rule == Rule(stage="RCPT", reply=450)
    assert (rule.after, rule.times, rule.probability, rule.protocol, rule.delay_ms) == (0, None, None, "smtp", 0)


def test_stages_are_spelled_canonically_whatever_the_case():
    p = plan({"stage": "rcpt", "reply": 450}, {"stage": "CONNECT", "disconnect": True},
             {"stage": "Greeting", "reply": 421}, {"stage": "data_end", "reply": 451},
             {"stage": "unknown", "reply": 500}, {"stage": "  helo ", "reply": 501})
    assert [r.stage for r in p.rules] == ["RCPT", "connect", "greeting", "DATA_END", "UNKNOWN", "HELO"]


@pytest.mark.parametrize("stage", VERBS + ("UNKNOWN", "*", "DATA_END"))
def test_every_command_stage_is_accepted(stage):
    assert plan({"stage": stage, "reply": 554}).rules[0].stage == stage


def test_allowed_combinations():
    p = plan(
        {"stage": "connect", "delay_ms": 500},
        {"stage": "connect", "silent": True},
        {"stage": "greeting", "reply": 554, "text": "No service here"},
        {"stage": "greeting", "delay_ms": 2000},
        {"stage": "DATA_END", "disconnect": True, "delay_ms": 100},
        {"stage": "RCPT", "reply": 450, "delay_ms": 60000, "probability": 0, "times": 0, "after": 3},
        {"stage": "MAIL", "reply": 250, "note": "почему бы и нет", "protocol": "SMTP"},
    )
    assert p.rules[4].kind == "disconnect" and p.rules[4].delay_ms == 100
    assert p.rules[6].protocol == "smtp"


# ---------------------------------------------------------------- round trip

def test_round_trip_keeps_every_field():
    p = plan(
        {"stage": "RCPT", "match": "*@Example.NET", "reply": 450, "text": "Greylisted, try later",
         "delay_ms": 5, "probability": 0.5, "times": 2, "after": 1, "note": "greylist"},
        {"stage": "DATA_END", "disconnect": True},
        {"stage": "*", "delay_ms": 1500},
        {"stage": "connect", "silent": True},
        seed=42,
    )
    data = p.to_json()
    assert FaultPlan.from_json(data) == p
    assert FaultPlan.from_json(json.dumps(data)) == p
    assert data["rules"][1] == {"stage": "DATA_END", "disconnect": True}
    assert data["rules"][0]["match"] == "*@Example.NET"  # kept as written; compared ignoring case


_verbs = st.sampled_from(VERBS + ("UNKNOWN", "*", "DATA_END"))
_effects = st.one_of(
    st.fixed_dictionaries({"reply": st.sampled_from((450, 451, 452, 550, 552, 554, 250))},
                          optional={"text": st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=200),
                                    "delay_ms": st.integers(0, 60000)}),
    st.fixed_dictionaries({"disconnect": st.just(True)}, optional={"delay_ms": st.integers(0, 60000)}),
    st.fixed_dictionaries({"silent": st.just(True)}),
    st.fixed_dictionaries({"delay_ms": st.integers(1, 60000)}),
)
_when = st.fixed_dictionaries({}, optional={
    "probability": st.floats(0, 1), "times": st.integers(0, 10**6), "after": st.integers(0, 10**6),
    "note": st.text(max_size=50)})


@st.composite
def _rules(draw):
    stage = draw(_verbs)
    rule = {"stage": stage, **draw(_effects), **draw(_when)}
    if stage != "DATA_END" and draw(st.booleans()):
        rule["match"] = draw(st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_categories=("Cc",)),
                                      min_size=1, max_size=40))
    return rule


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**53 - 1), rules=st.lists(_rules(), max_size=8))
def test_any_valid_plan_round_trips_through_json_text(seed, rules):
    p = FaultPlan.from_json({"seed": seed, "rules": rules})
    assert FaultPlan.from_json(json.dumps(p.to_json())) == p
    assert len(p.rules) == len(rules)


@settings(max_examples=100, deadline=None)
@given(rules=st.lists(_rules(), max_size=8), inputs=st.lists(st.tuples(_verbs, st.text(max_size=30)), max_size=20))
def test_any_valid_plan_decides_without_error(rules, inputs):
    rt = FaultRuntime(FaultPlan.from_json({"rules": rules}))
    for stage, arg in inputs:
        d = rt.decide(stage, arg)
        assert d is None or (0 <= d.index < len(rules) and d.rule is rt.plan.rules[d.index])
        if d is not None and d.reply is not None:
            assert SmtpEngine(World.load()).fault_reply(d.reply, d.text, stage).code == d.reply


# ---------------------------------------------------------------- decisions

def test_no_plan_decides_nothing():
    rt = FaultRuntime(EMPTY_PLAN)
    assert rt.decide("greeting") is None and rt.decide("RCPT", "bob@example.org") is None


def test_first_rule_that_fires_wins():
    p = plan(
        {"stage": "RCPT", "match": "bob@*", "reply": 450, "times": 1},
        {"stage": "RCPT", "reply": 550},
        {"stage": "RCPT", "reply": 551},
    )
    rt = FaultRuntime(p)
    first = rt.decide("RCPT", "bob@example.org")
    assert (first.index, first.reply) == (0, 450)
    # rule 0 matches again but its times are used up: skipped, rule 1 fires
    again = rt.decide("RCPT", "bob@example.org")
    assert (again.index, again.reply) == (1, 550)
    # rule 2 is never reached, so it counts nothing
    assert rt.counters() == [{"matched": 2, "fired": 1}, {"matched": 1, "fired": 1}, {"matched": 0, "fired": 0}]


def test_stage_must_fit():
    rt = FaultRuntime(plan({"stage": "MAIL", "reply": 451}))
    assert rt.decide("RCPT", "a@b") is None
    assert rt.decide("mail", "a@b").reply == 451  # the verb is compared in upper case


def test_greylisting_times_one_then_through():
    rt = FaultRuntime(plan({"stage": "RCPT", "reply": 450, "times": 1}))
    assert rt.decide("RCPT", "bob@example.org").reply == 450
    assert rt.decide("RCPT", "bob@example.org") is None
    assert rt.decide("RCPT", "bob@example.org") is None


def test_after_skips_the_first_matches():
    rt = FaultRuntime(plan({"stage": "DATA_END", "reply": 552, "after": 2}))
    assert [rt.decide("DATA_END") for _ in range(2)] == [None, None]
    assert [rt.decide("DATA_END").reply for _ in range(3)] == [552, 552, 552]


def test_after_then_times_is_a_window():
    rt = FaultRuntime(plan({"stage": "NOOP", "reply": 211, "after": 2, "times": 2}))
    fired = [rt.decide("NOOP") is not None for _ in range(6)]
    assert fired == [False, False, True, True, False, False]


def test_times_zero_never_fires():
    rt = FaultRuntime(plan({"stage": "NOOP", "reply": 211, "times": 0}))
    assert all(rt.decide("NOOP") is None for _ in range(5))


def test_counters_count_only_matching_inputs():
    rt = FaultRuntime(plan({"stage": "RCPT", "match": "bob@*", "reply": 450, "after": 1}))
    assert rt.decide("RCPT", "alice@example.org") is None
    assert rt.decide("RCPT", "bob@example.org") is None  # first match skipped
    assert rt.decide("RCPT", "alice@example.org") is None
    assert rt.decide("RCPT", "bob@example.org").reply == 450


def test_match_is_a_case_insensitive_glob_on_the_whole_argument():
    rt = FaultRuntime(plan({"stage": "RCPT", "match": "*@Example.NET", "reply": 550}))
    assert rt.decide("RCPT", "bob@example.net").reply == 550
    assert rt.decide("RCPT", "BOB@EXAMPLE.NET").reply == 550
    assert rt.decide("RCPT", "bob@example.net.evil") is None  # the whole argument, not a prefix
    assert rt.decide("RCPT", "bob@example.org") is None
    assert rt.decide("RCPT", "") is None


def test_match_supports_fnmatch_classes_and_question_mark():
    rt = FaultRuntime(plan({"stage": "VRFY", "match": "[ab]?b", "reply": 550}))
    assert rt.decide("VRFY", "bob").reply == 550
    assert rt.decide("VRFY", "abb").reply == 550
    assert rt.decide("VRFY", "cob") is None


def test_match_star_fits_an_empty_argument():
    rt = FaultRuntime(plan({"stage": "MAIL", "match": "*", "reply": 451}))
    assert rt.decide("MAIL", "").reply == 451  # null reverse-path <>


def test_star_stage_is_every_command_but_no_pseudo_stage():
    rt = FaultRuntime(plan({"stage": "*", "delay_ms": 1500}))
    for verb in VERBS + ("UNKNOWN",):
        d = rt.decide(verb, "x")
        assert d is not None and d.kind == "delay" and d.delay_ms == 1500 and d.reply is None
    for pseudo in ("connect", "greeting", "DATA_END"):
        assert rt.decide(pseudo) is None


def test_star_stage_with_match():
    rt = FaultRuntime(plan({"stage": "*", "match": "*dave*", "reply": 550}))
    assert rt.decide("VRFY", "dave").reply == 550
    assert rt.decide("RCPT", "dave@example.org").reply == 550
    assert rt.decide("RCPT", "alice@example.org") is None


def test_pseudo_stages_match_only_themselves():
    rt = FaultRuntime(plan({"stage": "connect", "disconnect": True}, {"stage": "greeting", "reply": 421},
                           {"stage": "DATA_END", "reply": 451}, {"stage": "UNKNOWN", "reply": 502}))
    assert rt.decide("connect").index == 0
    assert rt.decide("greeting").index == 1
    assert rt.decide("DATA_END").index == 2
    assert rt.decide("UNKNOWN", "XYZZY").index == 3
    assert rt.decide("DATA") is None


def test_probability_is_reproducible_from_the_seed():
    p = plan({"stage": "RCPT", "reply": 450, "probability": 0.5}, seed=42)

    def run(rt):
        return [rt.decide("RCPT", f"u{i}@example.org") is not None for i in range(200)]

    first = run(FaultRuntime(p))
    assert first == run(FaultRuntime(p))  # same seed, same decisions
    assert 60 < sum(first) < 140  # and it is a coin, not a constant
    other = plan({"stage": "RCPT", "reply": 450, "probability": 0.5}, seed=43)
    assert run(FaultRuntime(other)) != first


def test_replacing_the_runtime_restarts_counters_and_random_stream():
    p = plan({"stage": "RCPT", "reply": 450, "probability": 0.3},
             {"stage": "RCPT", "reply": 452, "times": 2}, seed=7)
    rt = FaultRuntime(p)
    before = [getattr(rt.decide("RCPT", "a@b"), "reply", None) for _ in range(20)]
    rt = FaultRuntime(p)  # the plan is applied again
    after = [getattr(rt.decide("RCPT", "a@b"), "reply", None) for _ in range(20)]
    assert before == after


def test_probability_edges():
    rt = FaultRuntime(plan({"stage": "NOOP", "reply": 211, "probability": 0},
                           {"stage": "NOOP", "reply": 250, "probability": 1}))
    assert all(rt.decide("NOOP").reply == 250 for _ in range(50))


def test_one_draw_per_considered_rule_with_a_probability():
    """Draws are taken only by rules that matched and passed after/times, in rule order."""
    import random

    p = plan({"stage": "RCPT", "reply": 450, "probability": 0.5, "after": 1},
             {"stage": "MAIL", "reply": 451, "probability": 0.5},
             {"stage": "RCPT", "reply": 452, "probability": 0.5}, seed=99)
    rt = FaultRuntime(p)
    rng = random.Random(99)
    expected = []
    for i in range(30):
        # rule 0 matches but is in its `after` window on the first RCPT: no draw
        if i > 0 and rng.random() < 0.5:
            expected.append(450)
        elif rng.random() < 0.5:  # rule 1 is a MAIL rule: not considered; rule 2 draws
            expected.append(452)
        else:
            expected.append(None)
    got = [getattr(rt.decide("RCPT", "x@y"), "reply", None) for _ in range(30)]
    assert got == expected


def test_plan_protocol_is_the_rules_default():
    p = FaultPlan.from_json({"protocol": "SMTP", "rules": [{"stage": "RCPT", "reply": 450}]})
    assert p.protocol == "smtp" and p.rules[0].protocol == "smtp"
    assert p.to_json() == {"seed": 0, "rules": [{"stage": "RCPT", "reply": 450}]}
    assert FaultPlan.from_json({"protocol": "smtp"}) == EMPTY_PLAN


def test_protocol_filters_rules():
    rt = FaultRuntime(plan({"stage": "QUIT", "reply": 421}))
    assert rt.decide("QUIT", protocol="pop3") is None
    assert rt.decide("QUIT").reply == 421


def test_counters_are_exact_across_threads():
    limit = 1000
    p = plan({"stage": "RCPT", "reply": 450, "times": limit},
             {"stage": "RCPT", "reply": 452, "probability": 0.25}, seed=5)
    # the same inputs in one thread, for the expected totals
    serial = FaultRuntime(p)
    expected = [0, 0, 0]
    for _ in range(8 * 500):
        d = serial.decide("RCPT", "a@b")
        expected[2 if d is None else d.index] += 1

    rt = FaultRuntime(p)
    totals = [0, 0, 0]
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker():
        local = [0, 0, 0]
        barrier.wait()
        for _ in range(500):
            d = rt.decide("RCPT", "a@b")
            local[2 if d is None else d.index] += 1
        with lock:
            for i in range(3):
                totals[i] += local[i]

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert totals[0] == limit
    assert totals == expected
    assert rt.counters()[0] == {"matched": 8 * 500, "fired": limit}


# ---------------------------------------------------------------- decisions as data

def test_decision_properties():
    p = plan({"stage": "RCPT", "reply": 421, "text": "Shutting down", "delay_ms": 10, "note": "n"},
             {"stage": "DATA_END", "disconnect": True}, {"stage": "QUIT", "silent": True},
             {"stage": "NOOP", "reply": 211}, {"stage": "HELO", "delay_ms": 300})
    rt = FaultRuntime(p)
    d = rt.decide("RCPT", "a@b")
    assert isinstance(d, Decision) and d.index == 0 and d.rule is p.rules[0]
    assert (d.reply, d.text, d.delay_ms, d.disconnect, d.silent) == (421, "Shutting down", 10, False, False)
    assert d.kind == "reply" and d.refuses and d.closes
    assert d.describe() == {"rule": 0, "stage": "RCPT", "kind": "reply", "reply": 421, "delay_ms": 10, "note": "n"}
    d = rt.decide("DATA_END")
    assert d.kind == "disconnect" and d.closes and not d.refuses
    d = rt.decide("QUIT")
    assert d.kind == "silent" and d.silent and not d.closes
    d = rt.decide("NOOP")
    assert not d.refuses and not d.closes
    d = rt.decide("HELO", "client.example")
    assert d.kind == "delay" and d.reply is None and d.delay_ms == 300


def test_fault_reply_comes_from_the_engines_catalogue():
    replies = importlib.import_module("simulator.protocols.smtp.replies")
    engine = SmtpEngine(World.load())
    rt = FaultRuntime(plan({"stage": "RCPT", "reply": 450}, {"stage": "MAIL", "reply": 451, "text": "Try again later"}))
    d = rt.decide("RCPT", "a@b")
    r = engine.fault_reply(d.reply, d.text, "RCPT")
    assert isinstance(r, Reply) and r.code == 450
    assert r == replies.default_reply(450)
    d = rt.decide("MAIL", "a@b")
    r = engine.fault_reply(d.reply, d.text, "MAIL")
    assert r.code == 451 and r.lines[-1] == "Try again later"
    assert r.wire() == b"451 Try again later\r\n"
    assert engine.fault_reply(554, None, "greeting").key == "554.no_service"


def test_pop3_and_imap_rules_name_their_own_codes():
    p = FaultPlan.from_json({"protocol": "pop3", "rules": [{"stage": "PASS", "reply": "-err"},
                                                          {"stage": "greeting", "reply": "-ERR"}]})
    assert p.rules[0].reply == "-ERR" and p.rules[0].protocol == "pop3"
    for bad, where in (({"stage": "PASS", "reply": 550}, "rules[0].reply"),
                       ({"stage": "PASS", "reply": "NO"}, "rules[0].reply"),
                       ({"stage": "MAIL", "reply": "-ERR"}, "rules[0].stage")):
        with pytest.raises(FaultPlanError) as info:
            FaultPlan.from_json({"protocol": "pop3", "rules": [bad]})
        assert info.value.path == where
    assert DecisionOf(p, "PASS").refuses


def DecisionOf(p, stage):
    return FaultRuntime(p).decide(stage, "", protocol=p.protocol)
