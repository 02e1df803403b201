"""Presets and scenarios: every data file loads, tells its story, and errors point at file:line."""
from __future__ import annotations

import importlib
import itertools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.lab import scenarios
from simulator.lab.faults import FaultPlan, FaultRuntime
from simulator.lab.scenarios import (
    PROTOCOLS,
    Scenario,
    ScenarioError,
    Step,
    line_limits,
    load_presets,
    load_scenarios,
    presets_for_ui,
    reply_codes,
    scenario_lines,
    scenario_script,
    scenarios_for_ui,
)
from simulator.lab.session import Session
from simulator.mail.world import World
from simulator.protocols.imap.engine import ImapEngine, ImapLimits
from simulator.protocols.pop3.engine import Pop3Engine, Pop3Limits
from simulator.protocols.smtp.engine import SmtpEngine, SmtpLimits
from simulator.store.db import MailStore

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "simulator" / "data"
LECTURE_CODES = (211, 214, 220, 221, 250, 251, 354, 421, 450, 451, 452,
                 500, 501, 502, 503, 504, 550, 551, 552, 553, 554)
CATALOGUES = {"smtp": "smtp.replies", "pop3": "pop3.replies", "imap": "imap.replies"}
WORLD = World.load()
STORE = MailStore(WORLD)  # in memory, each realm seeded from seed.json
_realms = itertools.count()


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of the packaged data folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA / "scenarios", target / "scenarios")
    shutil.copy(DATA / "presets.json", target / "presets.json")
    return target


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# ---------------------------------------------------------------- the packaged files

def test_every_file_loads():
    errors, n_presets, n_scenarios = scenarios.validate_all()
    assert errors == []
    assert n_presets == len(load_presets()) >= 12
    assert n_scenarios == len(load_scenarios()) == len(list((DATA / "scenarios").glob("*.json")))


def test_each_preset_plan_validates_for_its_protocol_and_round_trips():
    raw_presets = json.loads((DATA / "presets.json").read_text(encoding="utf-8"))
    for name, preset in load_presets().items():
        codes = importlib.import_module(f"simulator.protocols.{CATALOGUES[preset.protocol]}").CODES
        assert preset.plan.rules, name
        assert preset.protocol == preset.plan.protocol == raw_presets[name].get("protocol", "smtp")
        assert FaultPlan.from_json(preset.plan.to_json()) == preset.plan
        raw = raw_presets[name]["plan"]
        assert FaultPlan.from_json({"protocol": preset.protocol, **raw}) == preset.plan
        for rule in preset.plan.rules:
            assert rule.protocol == preset.protocol, name
            assert rule.reply is None or rule.reply in codes, name
            assert rule.text is None or all(" " <= ch <= "~" for ch in rule.text), name


def test_presets_named_in_the_brief_exist():
    presets = load_presets()
    assert {"server_not_ready", "unknown_recipient", "greylisting", "local_error", "insufficient_storage",
            "mailbox_full", "relay_denied", "dropped_during_data", "slow_server", "service_status",
            "transaction_failed", "greeting_refused"} <= set(presets)
    pop3 = {"pop3_wrong_password", "pop3_maildrop_locked", "pop3_server_busy", "pop3_dropped_during_retr",
            "pop3_slow_link"}
    imap = {"imap_wrong_password", "imap_server_busy", "imap_dropped_during_fetch", "imap_slow_link",
            "imap_folder_unavailable"}
    assert {n for n, p in presets.items() if p.protocol == "pop3"} == pop3
    assert {n for n, p in presets.items() if p.protocol == "imap"} == imap


def _story_name(preset) -> str:
    if preset.protocol == "smtp":
        return f"story_{preset.name}"
    return f"{preset.protocol}_story_{preset.name.removeprefix(preset.protocol + '_')}"


def test_every_preset_has_a_story_scenario_of_its_protocol():
    all_scenarios = load_scenarios()
    for preset in load_presets().values():
        story = all_scenarios.get(_story_name(preset))
        assert story is not None, f"no scenario {_story_name(preset)}"
        assert story.preset == preset.name
        assert story.protocol == preset.protocol


def test_scenario_files_are_named_for_their_protocol():
    for scenario in load_scenarios().values():
        if scenario.protocol == "smtp":
            assert not scenario.name.startswith(("pop3_", "imap_")), scenario.name
        else:
            assert scenario.name.startswith(scenario.protocol + "_"), scenario.name


def test_the_lecture_figures_and_whole_session_exist():
    all_scenarios = load_scenarios()
    assert all_scenarios["fig_14_6_establishment"].figure == "14.6"
    assert all_scenarios["fig_14_7_transfer"].figure == "14.7"
    assert all_scenarios["fig_14_8_termination"].figure == "14.8"
    whole = scenario_lines(all_scenarios["whole_session"])
    assert whole[0].startswith("EHLO") and whole[-1] == "QUIT"
    assert [line for line in whole if line.startswith("RCPT")] == ["RCPT TO:<alice@example.org>", "RCPT TO:<bob@example.org>"]
    others = " ".join(scenario_lines(all_scenarios["other_commands"]))
    for verb in ("RSET", "VRFY", "EXPN", "NOOP", "HELP", "TURN"):
        assert verb in others


def test_every_lecture_code_can_be_shown():
    """Each code of lecture table 14.2 comes from a preset's fault or from a scenario without faults."""
    shown = {220}  # every greeting without faults
    for preset in load_presets().values():
        if preset.protocol == "smtp":
            shown |= {r.reply for r in preset.plan.rules if r.reply is not None}
    for scenario in load_scenarios().values():
        if scenario.preset is None and scenario.protocol == "smtp":
            shown |= {s.expect for s in scenario.steps if s.expect is not None}
    assert set(LECTURE_CODES) - shown == set()


def test_every_text_is_there_in_both_languages():
    for preset in load_presets().values():
        for lang in ("en", "ru"):
            assert preset.title[lang].strip() and preset.story[lang].strip()
        assert any("а" <= ch <= "я" for ch in preset.story["ru"].lower())
    for scenario in load_scenarios().values():
        for lang in ("en", "ru"):
            assert scenario.title[lang].strip() and scenario.description[lang].strip()
        assert any("а" <= ch <= "я" for ch in scenario.description["ru"].lower())


def test_data_steps_follow_an_accepted_data_command():
    """Message lines go only after a DATA expected to get 354, else they would be read as commands."""
    for scenario in load_scenarios().values():
        previous = None
        for step in scenario.steps:
            if step.kind == "data":
                assert previous is not None and previous.value == "DATA" and previous.expect == 354, scenario.name
            if step.kind != "pause":
                previous = step


# ---------------------------------------------------------------- lines and script

def _scenario(*steps):
    return Scenario(name="t", title={"en": "t", "ru": "т"}, description={"en": "d", "ru": "д"},
                    figure=None, preset=None, steps=tuple(steps))


def test_scenario_lines_dot_stuffs_and_ends_with_a_dot():
    sc = _scenario(Step("send", "DATA"), Step("data", ("Subject: x", "", ".", ".hidden", "..two", "a.b", "")),
                   Step("send", "QUIT"))
    assert scenario_lines(sc) == ["DATA", "Subject: x", "", "..", "..hidden", "...two", "a.b", "", ".", "QUIT"]


def test_empty_message_is_just_the_dot():
    assert scenario_lines(_scenario(Step("data", ()))) == ["."]


def test_whole_session_line_with_a_leading_dot_is_stuffed():
    lines = scenario_lines(load_scenarios()["whole_session"])
    stuffed = [line for line in lines if line.startswith("..")]
    assert stuffed == ["..this line starts with a dot and travels as ..this"]
    assert lines[-2] == "."


def test_scenario_script_keeps_pauses():
    sc = load_scenarios()["story_greylisting"]
    script = scenario_script(sc)
    assert ("pause", 1000) in script
    assert [v for k, v in script if k == "line"] == scenario_lines(sc)


# ---------------------------------------------------------------- for the browser

@pytest.mark.parametrize("lang", ["en", "ru"])
def test_ui_lists_are_in_one_language(lang):
    presets = presets_for_ui(lang)
    assert {p["name"] for p in presets} == set(load_presets())
    for p in presets:
        assert set(p) == {"name", "title", "story", "plan", "protocol"}
        assert FaultPlan.from_json(p["plan"]) == load_presets()[p["name"]].plan
        assert p["title"] == load_presets()[p["name"]].title[lang]
        assert p["protocol"] == load_presets()[p["name"]].protocol == p["plan"].get("protocol", "smtp")
    items = scenarios_for_ui(lang)
    assert {s["name"] for s in items} == set(load_scenarios())
    assert [s["figure"] for s in items[:3]] == ["14.6", "14.7", "14.8"]
    for s in items:
        assert set(s) == {"name", "title", "description", "figure", "preset", "protocol"}
        assert s["description"] == load_scenarios()[s["name"]].description[lang]
        assert s["protocol"] == load_scenarios()[s["name"]].protocol


def test_ui_scenarios_are_grouped_by_protocol_after_the_figures():
    order = [s["protocol"] for s in scenarios_for_ui("en") if s["figure"] is None]
    assert order == sorted(order, key=PROTOCOLS.index)
    assert {"smtp", "pop3", "imap"} <= set(order)


def test_unknown_language_falls_back_to_english():
    assert presets_for_ui("fr") == presets_for_ui("en")
    assert scenarios_for_ui(None) == scenarios_for_ui("en")


# ---------------------------------------------------------------- errors name file and line

def _write(path: Path, obj) -> str:
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return text


def _one_scenario(data_copy: Path, scenario: str = "fig_14_8_termination", /, **changes) -> tuple[Path, dict]:
    path = data_copy / "scenarios" / f"{scenario}.json"
    obj = json.loads(path.read_text(encoding="utf-8"))
    obj.update(changes)
    return path, obj


def test_error_in_a_step_names_file_line_and_path(data_copy):
    path, obj = _one_scenario(data_copy)
    obj["steps"][1] = {"send": "QUIT", "expcet": 221}
    text = _write(path, obj)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data_copy)
    err = info.value
    assert err.file == "scenarios/fig_14_8_termination.json"
    assert err.path == "steps[1].expcet"
    assert err.line == _line_of(text, '"expcet"')
    assert str(err).startswith(f"scenarios/fig_14_8_termination.json:{err.line}: steps[1].expcet: unknown field")


@pytest.mark.parametrize("change, path, words", [
    ({"name": "other"}, "name", "file's name"),
    ({"preset": "no_such_preset"}, "preset", "no preset named"),
    ({"figure": "14.9"}, "figure", "lecture's figures"),
    ({"title": {"en": "x"}}, "title", "'ru' text is missing"),
    ({"title": {"en": "x", "ru": "y", "de": "z"}}, "title.de", "unknown language"),
    ({"description": {"en": "", "ru": "y"}}, "description.en", "non-empty"),
    ({"steps": []}, "steps", "non-empty"),
    ({"steps": [{"send": "HELO a", "data": []}]}, "steps[0]", "exactly one"),
    ({"steps": [{"send": "HELO a\r\nQUIT"}]}, "steps[0].send", "one line"),
    ({"steps": [{"send": "X" * 511}]}, "steps[0].send", "at most 510"),
    ({"steps": [{"data": "Subject: x"}]}, "steps[0].data", "list of message lines"),
    ({"steps": [{"data": ["ok", 5]}]}, "steps[0].data[1]", "string"),
    ({"steps": [{"pause_ms": -5}]}, "steps[0].pause_ms", "milliseconds"),
    ({"steps": [{"pause_ms": 5, "expect": 250}]}, "steps[0].expect", "unknown field"),
    ({"steps": [{"send": "NOOP", "expect": "250"}]}, "steps[0].expect", "reply code"),
    ({"protocol": "smtp3"}, "protocol", "smtp, pop3, imap"),
    ({"protocol": "pop3"}, "figure", "no numbered figure for POP3"),
    ({"protocol": "pop3", "figure": None}, "steps[0].expect", "SMTP reply code"),
    ({"steps": [{"send": "NOOP", "expect": 299}]}, "steps[0].expect", "not in the SMTP reply catalogue"),
    ({"colour": "red"}, "colour", "unknown field"),
])
def test_bad_scenarios_are_refused(data_copy, change, path, words):
    file, obj = _one_scenario(data_copy, **change)
    text = _write(file, obj)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data_copy)
    assert info.value.path == path
    assert words in info.value.message
    assert info.value.line is not None and 1 <= info.value.line <= text.count("\n") + 1


def test_json_syntax_error_gives_the_line(data_copy):
    path = data_copy / "scenarios" / "broken.json"
    path.write_text('{\n  "name": "broken",\n  "steps": [\n    {"send": "HELO x"},\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data_copy)
    assert info.value.file == "scenarios/broken.json"
    assert info.value.line == 5
    assert str(info.value).startswith("scenarios/broken.json:5: not valid JSON")


def test_duplicate_keys_are_refused(data_copy):
    path = data_copy / "scenarios" / "fig_14_8_termination.json"
    text = path.read_text(encoding="utf-8").replace('"figure": "14.8"', '"figure": "14.8", "figure": null')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data_copy)
    assert "appears twice" in info.value.message


def test_bad_preset_plan_points_into_presets_json(data_copy):
    path = data_copy / "presets.json"
    obj = json.loads(path.read_text(encoding="utf-8"))
    obj["greylisting"]["plan"]["rules"][0]["reply"] = 299
    text = _write(path, obj)
    with pytest.raises(ScenarioError) as info:
        load_presets(data_copy)
    err = info.value
    assert err.file == "presets.json"
    assert err.path == "greylisting.plan.rules[0].reply"
    assert err.line == _line_of(text, '"reply": 299')
    assert "reply catalogue" in err.message


@pytest.mark.parametrize("change, path, words", [
    (lambda o: o["mailbox_full"].pop("story"), "mailbox_full", "'story'"),
    (lambda o: o["mailbox_full"].update(extra=1), "mailbox_full.extra", "unknown field"),
    (lambda o: o.update({"Bad Name": o["mailbox_full"]}), "Bad Name", "lower-case"),
    (lambda o: o["mailbox_full"]["plan"].update(rules=[]), "mailbox_full.plan.rules", "at least one rule"),
    (lambda o: o["mailbox_full"]["plan"].update(seeds=1), "mailbox_full.plan.seeds", "unknown field"),
    (lambda o: o["mailbox_full"].update(plan=[]), "mailbox_full.plan", "object"),
    (lambda o: o["mailbox_full"]["plan"]["rules"][0].update(stage="SMOL"), "mailbox_full.plan.rules[0].stage", "SOML"),
])
def test_bad_presets_are_refused(data_copy, change, path, words):
    file = data_copy / "presets.json"
    obj = json.loads(file.read_text(encoding="utf-8"))
    change(obj)
    _write(file, obj)
    with pytest.raises(ScenarioError) as info:
        load_presets(data_copy)
    assert info.value.path == path
    assert words in info.value.message
    assert info.value.line is not None


def test_edited_files_are_read_again(data_copy):
    assert load_presets(data_copy)["greylisting"].plan.rules[0].times == 1
    file = data_copy / "presets.json"
    obj = json.loads(file.read_text(encoding="utf-8"))
    obj["greylisting"]["plan"]["rules"][0]["times"] = 2
    _write(file, obj)
    assert load_presets(data_copy)["greylisting"].plan.rules[0].times == 2


def test_validate_all_reports_every_bad_file(data_copy):
    for name in ("fig_14_6_establishment", "fig_14_7_transfer"):
        _write(*_one_scenario(data_copy, name, figure="1"))
    errors, _, n = scenarios.validate_all(data_copy)
    assert [e.file for e in errors] == ["scenarios/fig_14_6_establishment.json", "scenarios/fig_14_7_transfer.json"]
    assert n == len(load_scenarios()) - 2


# ---------------------------------------------------------------- the command line

def test_command_line_checks_the_packaged_files():
    done = subprocess.run([sys.executable, "-m", "simulator.lab.scenarios"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ")


def test_command_line_reports_file_and_line(data_copy, capsys):
    path, obj = _one_scenario(data_copy, figure="2.1")
    text = _write(path, obj)
    assert scenarios.main([str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert f"fig_14_8_termination.json:{_line_of(text, '2.1')}: figure:" in err
    assert scenarios.main([str(DATA)]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


# ---------------------------------------------------------------- the stories, played

def _engine(protocol: str, mailboxes, owner: str):
    """A fresh engine, built as ``Simulator.new_engine`` builds it for the lab."""
    if protocol == "smtp":
        return SmtpEngine(WORLD)
    if protocol == "pop3":
        stamp = f"<{time.time_ns() // 1000}.{owner}@{WORLD.hostname}>"
        return Pop3Engine(WORLD, mailboxes, owner=owner, apop_stamp=stamp)
    return ImapEngine(WORLD, mailboxes, now=time.time)


def _play(scenario: Scenario, mailboxes=None):
    """Play a scenario into a Session over its protocol's engine, with its preset's faults.

    SMTP deliveries are collected; POP3/IMAP effects are applied to
    ``mailboxes`` (default: a fresh realm seeded with the sample messages).
    Returns (replies per step: the codes the step's lines drew, deliveries, session).
    """
    plan = load_presets()[scenario.preset].plan if scenario.preset else FaultPlan(protocol=scenario.protocol)
    deliveries = []
    sid = f"play-{next(_realms)}"
    if scenario.protocol == "smtp":
        store = {"deliver": deliveries.append}
    else:
        mailboxes = mailboxes if mailboxes is not None else STORE.realm(sid)
        store = {"store": mailboxes}
    session = Session(sid, _engine(scenario.protocol, mailboxes, sid), faults=FaultRuntime(plan),
                      sleep=lambda _s: None, protocol=scenario.protocol, **store)
    session.open()
    per_step = []
    for step in scenario.steps:
        if session.closed:
            break
        before = len(session.transcript)
        for line in step.lines():
            session.feed(line.encode("utf-8") + b"\r\n")
        per_step.append((step, [e["code"] for e in session.transcript[before:] if e["kind"] == "reply"]))
    return per_step, deliveries, session


@pytest.mark.parametrize("name", sorted(p.stem for p in (DATA / "scenarios").glob("*.json")))
def test_each_scenario_draws_the_replies_it_expects(name):
    per_step, _, _ = _play(load_scenarios()[name])
    for step, codes in per_step:
        if step.expect is not None:
            assert codes and codes[-1] == step.expect, f"{name}: {step.value!r} drew {codes}, expected {step.expect}"


@pytest.mark.parametrize("name, delivered, closed_by", [
    ("fig_14_7_transfer", [("alice@example.org", "bob@example.org")], None),
    ("whole_session", [("alice@example.org", "bob@example.org")], "quit"),
    ("story_server_not_ready", [], "server"),
    ("story_greeting_refused", [], "quit"),
    ("story_unknown_recipient", [("alice@example.org",)], "quit"),
    ("story_greylisting", [("bob@example.org",)], "quit"),
    ("story_local_error", [("alice@example.org",)], "quit"),
    ("story_insufficient_storage", [("alice@example.org",), ("bob@example.org",)], "quit"),
    ("story_mailbox_full", [("bob@example.org",)], "quit"),
    ("story_relay_denied", [], "quit"),
    ("story_dropped_during_data", [], "fault"),
    ("story_transaction_failed", [], "quit"),
    ("story_mailbox_name_not_allowed", [("alice@example.org",)], "quit"),
])
def test_stories_deliver_what_they_say(name, delivered, closed_by):
    _, deliveries, session = _play(load_scenarios()[name])
    assert [tuple(d.recipients) for d in deliveries] == delivered
    assert session.close_reason == closed_by


def test_whole_session_delivers_the_unstuffed_line():
    _, deliveries, _ = _play(load_scenarios()["whole_session"])
    assert b"\r\n.this line starts with a dot and travels as ..this\r\n" in deliveries[0].content


def test_a_broken_presets_file_is_reported_once(data_copy):
    (data_copy / "presets.json").write_text("{", encoding="utf-8")
    errors, n_presets, n_scenarios = scenarios.validate_all(data_copy)
    assert [e.file for e in errors] == ["presets.json"]
    assert (n_presets, n_scenarios) == (0, len(load_scenarios()))


# ---------------------------------------------------------------- POP3 and IMAP stories, played

def _inbox(mailboxes, user: str) -> list[int]:
    return [m.uid for m in mailboxes.listing(user, "INBOX")]


@pytest.mark.parametrize("name, user, left, closed_by", [
    ("pop3_delete_mode", "alice", 0, "quit"),
    ("pop3_keep_mode", "bob", 8, "quit"),
    ("pop3_uidl", "bob", 8, "quit"),
    ("pop3_wrong_state", "bob", 8, "quit"),
    ("pop3_story_dropped_during_retr", "bob", 8, "fault"),
    ("pop3_story_maildrop_locked", "bob", 8, "quit"),
    ("pop3_story_wrong_password", "bob", 8, "quit"),
    ("pop3_story_server_busy", "bob", 8, "server"),
])
def test_pop3_stories_leave_the_maildrop_as_they_say(name, user, left, closed_by):
    mailboxes = STORE.realm(f"pop3-{next(_realms)}")
    before = _inbox(mailboxes, user)
    _, _, session = _play(load_scenarios()[name], mailboxes)
    assert session.close_reason == closed_by
    assert len(_inbox(mailboxes, user)) == left
    if left:
        assert _inbox(mailboxes, user) == before
    # However the session ended, the maildrop lock is free again.
    assert mailboxes.lock_maildrop(user, "next-session")
    mailboxes.unlock_maildrop(user, "next-session")


def test_pop3_delete_mode_is_the_lecture_figure():
    lines = scenario_lines(load_scenarios()["pop3_delete_mode"])
    assert [line.split()[0] for line in lines] == ["USER", "PASS", "LIST"] + ["RETR", "DELE"] * 3 + ["QUIT"]
    keep = scenario_lines(load_scenarios()["pop3_keep_mode"])
    assert "DELE" not in " ".join(keep) and keep[-1] == "QUIT"


def test_pop3_server_busy_sends_nothing_after_the_greeting():
    per_step, _, session = _play(load_scenarios()["pop3_story_server_busy"])
    replies = [e for e in session.transcript if e["kind"] == "reply"]
    assert [(e["code"], e["fault"] is not None) for e in replies] == [("-ERR", True)]
    assert per_step == []  # the prepared USER is never sent


def test_pop3_dropped_retr_gets_no_reply():
    per_step, _, session = _play(load_scenarios()["pop3_story_dropped_during_retr"])
    assert [(step.value, codes) for step, codes in per_step][-1] == ("RETR 2", [])
    assert session.transcript[-1]["kind"] == "tcp" and session.transcript[-1]["fault"]["action"] == "disconnect"


def test_pop3_locked_maildrop_reply_carries_the_response_code():
    _, _, session = _play(load_scenarios()["pop3_story_maildrop_locked"])
    refused = [e for e in session.transcript if e["kind"] == "reply" and e["code"] == "-ERR"]
    assert [e["text"] for e in refused] == ["-ERR [IN-USE] maildrop locked by another session"]


# ---------------------------------------------------------------- per-protocol rules

def test_line_limits_come_from_each_engine():
    assert line_limits("smtp") == (scenarios.MAX_COMMAND, scenarios.MAX_TEXT_LINE)
    assert line_limits("smtp") == (SmtpLimits().command_line - 2, SmtpLimits().text_line - 2) == (510, 998)
    assert line_limits("pop3")[0] == Pop3Limits().command_line - 2 == 253  # RFC 2449 §4: 255 with CR LF
    assert line_limits("imap")[0] == ImapLimits().command_line - 2


def test_expected_replies_come_from_each_catalogue():
    assert set(reply_codes("pop3")) == {"+OK", "-ERR"}
    assert {"OK", "NO", "BAD", "BYE"} <= set(reply_codes("imap"))
    assert 250 in reply_codes("smtp")
    for scenario in load_scenarios().values():
        for step in scenario.steps:
            assert step.expect is None or step.expect in reply_codes(scenario.protocol)


def test_smtp_expect_in_a_pop3_scenario_names_file_and_line(data_copy):
    path, obj = _one_scenario(data_copy, "pop3_top_headers")
    obj["steps"][3] = {"send": "TOP 6 0", "expect": 250}
    text = _write(path, obj)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data_copy)
    err = info.value
    assert err.file == "scenarios/pop3_top_headers.json"
    assert err.path == "steps[3].expect"
    assert err.line == _line_of(text, '"expect": 250')
    assert str(err).startswith(f"scenarios/pop3_top_headers.json:{err.line}: steps[3].expect: ")
    assert '"+OK", "-ERR"' in err.message and "SMTP reply code" in err.message
    errors, _, _ = scenarios.validate_all(data_copy)
    assert [(e.file, e.line) for e in errors] == [("scenarios/pop3_top_headers.json", err.line)]


@pytest.mark.parametrize("change, path, words", [
    ({"steps": [{"send": "STAT", "expect": "+ok"}]}, "steps[0].expect", '"+OK", "-ERR"'),
    ({"steps": [{"send": "STAT", "expect": "OK"}]}, "steps[0].expect", "POP3 reply"),
    ({"steps": [{"data": ["Subject: x"]}]}, "steps[0].data", "SMTP's DATA"),
    ({"steps": [{"send": "USER " + "b" * 249}]}, "steps[0].send", "at most 253 octets, got 254"),
    ({"figure": "14.7"}, "figure", "must be null"),
    ({"preset": "greylisting"}, "preset", "for smtp, this scenario for pop3"),
])
def test_bad_pop3_scenarios_are_refused(data_copy, change, path, words):
    file, obj = _one_scenario(data_copy, "pop3_top_headers", **change)
    text = _write(file, obj)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data_copy)
    assert info.value.path == path
    assert words in info.value.message
    assert info.value.line is not None and 1 <= info.value.line <= text.count("\n") + 1


def test_a_pop3_line_of_exactly_the_limit_is_accepted(data_copy):
    file, obj = _one_scenario(data_copy, "pop3_top_headers", steps=[{"send": "USER " + "b" * 248}])
    _write(file, obj)
    assert load_scenarios(data_copy)["pop3_top_headers"].steps[0].value.endswith("b")


@pytest.mark.parametrize("change, path, words", [
    (lambda o: o["pop3_wrong_password"].update(protocol="pop4"), "pop3_wrong_password.protocol", "smtp, pop3, imap"),
    (lambda o: o["pop3_wrong_password"]["plan"].update(protocol="imap"), "pop3_wrong_password.plan.protocol",
     "preset is for pop3"),
    (lambda o: o["pop3_wrong_password"]["plan"]["rules"][0].update(reply=550),
     "pop3_wrong_password.plan.rules[0].reply", "+OK, -ERR"),
    (lambda o: o["pop3_wrong_password"]["plan"]["rules"][0].update(protocol="smtp", stage="RCPT", reply=550),
     "pop3_wrong_password.plan.rules[0].protocol", "all for its protocol (pop3)"),
    (lambda o: o["pop3_server_busy"]["plan"]["rules"][0].update(text="Сервер занят"),
     "pop3_server_busy.plan.rules[0].text", "printable ASCII"),
    (lambda o: o["pop3_wrong_password"].pop("protocol"), "pop3_wrong_password.plan.rules[0].stage", "PASS"),
])
def test_bad_pop3_presets_are_refused(data_copy, change, path, words):
    file = data_copy / "presets.json"
    obj = json.loads(file.read_text(encoding="utf-8"))
    change(obj)
    _write(file, obj)
    with pytest.raises(ScenarioError) as info:
        load_presets(data_copy)
    assert info.value.path == path
    assert words in info.value.message
    assert info.value.line is not None


def test_preset_protocol_defaults_to_its_plans(data_copy):
    file = data_copy / "presets.json"
    obj = json.loads(file.read_text(encoding="utf-8"))
    preset = obj["pop3_wrong_password"]
    del preset["protocol"]
    preset["plan"]["protocol"] = "pop3"
    _write(file, obj)
    loaded = load_presets(data_copy)["pop3_wrong_password"]
    assert loaded.protocol == loaded.plan.protocol == "pop3"
    assert load_presets(data_copy)["greylisting"].protocol == "smtp"


def _state(mailboxes, user: str = "bob") -> dict:
    """Every folder of ``user`` with each message's UID and flags."""
    return {f.name: [(m.uid, frozenset(m.flags)) for m in mailboxes.listing(user, f.name)]
            for f in mailboxes.folders(user)}


def _seen(mailboxes, uid: int) -> bool:
    return any("\\Seen" in m.flags for m in mailboxes.listing("bob", "INBOX") if m.uid == uid)


@pytest.mark.parametrize("name, closed_by", [
    ("imap_search", "quit"),
    ("imap_partial_download", "quit"),
    ("imap_folders", "quit"),
    ("imap_folder_hierarchy", "quit"),
    ("imap_flags", "quit"),
    ("imap_uid", "quit"),
    ("imap_no_and_bad", "quit"),
    ("imap_story_wrong_password", "quit"),
    ("imap_story_server_busy", "server"),
    ("imap_story_slow_link", "quit"),
    ("imap_story_folder_unavailable", "quit"),
])
def test_imap_stories_leave_the_mailboxes_as_they_found_them(name, closed_by):
    """Folders made are deleted again, flags set are cleared or only on copies: a second run works."""
    mailboxes = STORE.realm(f"imap-{next(_realms)}")
    before = _state(mailboxes)
    _, _, session = _play(load_scenarios()[name], mailboxes)
    assert session.close_reason == closed_by
    assert _state(mailboxes) == before
    per_step, _, _ = _play(load_scenarios()[name], mailboxes)
    assert all(codes[-1] == step.expect for step, codes in per_step if step.expect is not None)


def test_imap_headers_first_marks_only_the_downloaded_message_seen():
    mailboxes = STORE.realm(f"imap-{next(_realms)}")
    unseen = [m.uid for m in mailboxes.listing("bob", "INBOX") if "\\Seen" not in m.flags]
    _play(load_scenarios()["imap_headers_first"], mailboxes)
    assert 7 in unseen and _seen(mailboxes, 7)
    assert [uid for uid in unseen if not _seen(mailboxes, uid)] == [uid for uid in unseen if uid != 7]


def test_imap_dropped_fetch_leaves_the_message_unseen():
    mailboxes = STORE.realm(f"imap-{next(_realms)}")
    assert not _seen(mailboxes, 6)
    per_step, _, session = _play(load_scenarios()["imap_story_dropped_during_fetch"], mailboxes)
    assert [(step.value, codes) for step, codes in per_step][-1] == ("a4 FETCH 6 BODY[]", [])
    assert session.close_reason == "fault"
    assert not _seen(mailboxes, 6)


def test_imap_flags_shows_a_uid_that_outlives_its_sequence_number():
    _, _, session = _play(load_scenarios()["imap_flags"])
    texts = [e["text"] for e in session.transcript if e["kind"] == "reply"]
    assert any("* 1 EXPUNGE" in t for t in texts)
    assert any(t.startswith("* 1 FETCH (UID 2 ") for t in texts)


def test_imap_faults_reply_with_their_codes():
    _, _, session = _play(load_scenarios()["imap_story_wrong_password"])
    assert session.transcript[3]["text"] == "a1 NO [AUTHENTICATIONFAILED] Invalid credentials"
    _, _, session = _play(load_scenarios()["imap_story_server_busy"])
    replies = [e for e in session.transcript if e["kind"] == "reply"]
    assert [(e["code"], e["text"]) for e in replies] == [("BYE", "* BYE [UNAVAILABLE] Server busy, try again later")]
    _, _, session = _play(load_scenarios()["imap_story_folder_unavailable"])
    refused = [e["text"] for e in session.transcript if e["kind"] == "reply" and e["code"] == "NO"]
    assert refused == ["a2 NO [UNAVAILABLE] Work is temporarily unavailable"]


def test_imap_search_finds_the_invoice_only_in_its_folder():
    per_step, _, session = _play(load_scenarios()["imap_search"])
    texts = {e["text"].split("\n")[-1].split()[0]: e["text"] for e in session.transcript if e["kind"] == "reply"
             and e["text"].split("\n")[-1][:1].isalpha()}
    assert texts["a6"].startswith("* SEARCH\n")
    assert texts["a8"].startswith("* SEARCH 1\n")
    assert texts["a3"].startswith("* SEARCH 2 5 6 7 8\n")


def test_imap_partial_download_fetches_only_what_it_asks_for():
    _, _, session = _play(load_scenarios()["imap_partial_download"])
    texts = [e["text"] for e in session.transcript if e["kind"] == "reply"]
    assert any(t.startswith("* 2 FETCH (BODY[]<0> {200}") for t in texts)
    text_part = next(t for t in texts if t.startswith("* 4 FETCH (BODY[1]"))
    assert "Hi Bob" in text_part  # the text alone: no part headers, no PNG in base64
    assert "Content-Type" not in text_part and "iVBOR" not in text_part
    whole = (DATA / "messages" / "03-attachment.eml").read_bytes()
    assert b"iVBOR" in whole


@pytest.mark.parametrize("step, path, words", [
    ({"send": "a1 NOOP", "expect": "+OK"}, "steps[0].expect", "IMAP reply is one of"),
    ({"send": "a1 NOOP", "expect": 250}, "steps[0].expect", "SMTP reply code"),
    ({"send": "a1 LOGIN " + "x" * 8182}, "steps[0].send", "at most 8190 octets"),
    ({"data": ["x"]}, "steps[0].data", "SMTP's DATA"),
])
def test_bad_imap_steps_are_refused(data_copy, step, path, words):
    file = data_copy / "scenarios" / "imap_search.json"
    obj = json.loads(file.read_text(encoding="utf-8"))
    obj["steps"] = [step]
    _write(file, obj)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data_copy)
    assert (info.value.file, info.value.path) == ("scenarios/imap_search.json", path)
    assert words in info.value.message


def test_command_line_reports_a_pop3_mistake_with_file_and_line(data_copy, capsys):
    path, obj = _one_scenario(data_copy, "pop3_top_headers")
    obj["steps"][0] = {"send": "USER bob", "expect": 250}
    text = _write(path, obj)
    assert scenarios.main([str(data_copy)]) == 1
    err = capsys.readouterr().err
    line = _line_of(text, '"expect": 250')
    assert f"pop3_top_headers.json:{line}: steps[0].expect:" in err
    assert "1 file with errors." in err


def test_every_protocol_has_scenarios_without_faults_and_stories():
    by_protocol = {p: [s for s in load_scenarios().values() if s.protocol == p] for p in PROTOCOLS}
    for protocol, items in by_protocol.items():
        assert any(s.preset is None for s in items), protocol
        assert any(s.preset is not None for s in items), protocol
