"""Presets and scenarios: every data file loads, tells its story, and errors point at file:line."""
from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import scenarios
from simulator.protocols.smtp import SmtpEngine
from simulator.session import Session
from simulator.world import World
from simulator.faults import FaultPlan, FaultRuntime
from simulator.scenarios import (
    Scenario,
    ScenarioError,
    Step,
    load_presets,
    load_scenarios,
    presets_for_ui,
    scenario_lines,
    scenario_script,
    scenarios_for_ui,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "simulator" / "data"
LECTURE_CODES = (211, 214, 220, 221, 250, 251, 354, 421, 450, 451, 452,
                 500, 501, 502, 503, 504, 550, 551, 552, 553, 554)


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


def test_each_preset_plan_validates_and_round_trips():
    replies = importlib.import_module("simulator.protocols.replies")
    for name, preset in load_presets().items():
        assert preset.plan.rules, name
        assert FaultPlan.from_json(preset.plan.to_json()) == preset.plan
        raw = json.loads((DATA / "presets.json").read_text(encoding="utf-8"))[name]["plan"]
        assert FaultPlan.from_json(raw) == preset.plan
        for rule in preset.plan.rules:
            assert rule.reply is None or rule.reply in replies.CODES


def test_presets_named_in_the_brief_exist():
    names = set(load_presets())
    assert {"server_not_ready", "unknown_recipient", "greylisting", "local_error", "insufficient_storage",
            "mailbox_full", "relay_denied", "dropped_during_data", "slow_server", "service_status",
            "transaction_failed", "greeting_refused"} <= names


def test_every_preset_has_a_story_scenario():
    all_scenarios = load_scenarios()
    for name in load_presets():
        story = all_scenarios.get(f"story_{name}")
        assert story is not None, f"no scenario story_{name}"
        assert story.preset == name


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
        shown |= {r.reply for r in preset.plan.rules if r.reply is not None}
    for scenario in load_scenarios().values():
        if scenario.preset is None:
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
        assert set(p) == {"name", "title", "story", "plan"}
        assert FaultPlan.from_json(p["plan"]) == load_presets()[p["name"]].plan
        assert p["title"] == load_presets()[p["name"]].title[lang]
    items = scenarios_for_ui(lang)
    assert {s["name"] for s in items} == set(load_scenarios())
    assert [s["figure"] for s in items[:3]] == ["14.6", "14.7", "14.8"]
    for s in items:
        assert set(s) == {"name", "title", "description", "figure", "preset"}
        assert s["description"] == load_scenarios()[s["name"]].description[lang]


def test_unknown_language_falls_back_to_english():
    assert presets_for_ui("fr") == presets_for_ui("en")
    assert scenarios_for_ui(None) == scenarios_for_ui("en")


# ---------------------------------------------------------------- errors name file and line

def _write(path: Path, obj) -> str:
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return text


def _one_scenario(data_copy: Path, **changes) -> tuple[Path, dict]:
    path = data_copy / "scenarios" / "fig_14_8_termination.json"
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
    ({"protocol": "pop3"}, "protocol", "smtp"),
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
        path = data_copy / "scenarios" / f"{name}.json"
        obj = json.loads(path.read_text(encoding="utf-8"))
        obj["figure"] = "1"
        _write(path, obj)
    errors, _, n = scenarios.validate_all(data_copy)
    assert [e.file for e in errors] == ["scenarios/fig_14_6_establishment.json", "scenarios/fig_14_7_transfer.json"]
    assert n == len(load_scenarios()) - 2


# ---------------------------------------------------------------- the command line

def test_command_line_checks_the_packaged_files():
    done = subprocess.run([sys.executable, "-m", "simulator.scenarios"], cwd=ROOT, capture_output=True, text=True)
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

def _play(scenario: Scenario):
    """Play a scenario into a Session over the real engine, with its preset's faults.

    Returns (replies per step: the codes the step's lines drew, deliveries, session).
    """
    plan = load_presets()[scenario.preset].plan if scenario.preset else FaultPlan()
    deliveries = []
    session = Session("t", SmtpEngine(World.load()), faults=FaultRuntime(plan),
                      deliver=deliveries.append, sleep=lambda _s: None)
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
