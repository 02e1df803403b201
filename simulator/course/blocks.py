"""The blocks of a lesson step: widgets and tasks, their model and their parsing (docs/lessons.md).

A widget or task is a fenced block of TOML inside a lesson file
(:mod:`simulator.lessons` finds the blocks and their lines). This module
checks each block's keys and values against the simulator's data (scenarios,
presets, journey presets, reply catalogues) and builds :class:`Widget` and
:class:`Task` objects; every problem is reported through ``errors.add(path,
line, message)`` at the line of the offending key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from simulator.lab import scenarios as scenario_data
from simulator.lab.scenarios import ScenarioError
from simulator.protocols import registry
from simulator.validate import Checker

PERSONAL_NAME = "{personal_name}"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PROTOCOLS = registry.PROTOCOLS
MAX_TEXT = 4000

# What each widget kind takes (required keys first), besides "kind" and "caption".
WIDGET_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "scenario": (("scenario",), ()),
    "console": (("protocol",), ("preset",)),
    "faults": (("protocol",), ("preset",)),
    "journey": ((), ("preset", "at")),
    "mail": (("user",), ("folder", "uid", "tab")),
    "codes": (("protocol",), ("codes",)),
    "live": (("protocol",), ()),
}
MAIL_TABS = ("message", "structure", "headers", "source")
# Where an embedded journey page opens: its four architecture figures (the top) or the run of a message.
JOURNEY_PARTS = ("figures", "run")
_MATCH_FIELDS = ("command", "message", "arg", "reply", "class", "greeting", "fault", "closed_by", "count")
_TASK_FIELDS = ("id", "protocol", "source", "preset", "lab", "goal", "hints", "done", "solution", "expect", "forbid",
                "question")
_QUESTION_FIELDS = ("prompt", "choices", "answer", "explain", "why_wrong", "wrong")
# Every question explains each wrong choice on its own (why_wrong).
WHY_WRONG_REQUIRED = True
_SOLUTION_FIELDS = ("preset", "faults", "steps")
_UNKNOWN_PROTOCOL = "unknown protocol {value!r} (one of: {choices})"

# Checks inside a table whose problems are reported at the table's line: the
# first one raises ValueError(message), and the caller adds the line.
_check = Checker.raising(lambda path, message: ValueError(message))


@dataclass
class Match:
    """One ``expect`` or ``forbid`` of a task: which exchanges it matches, and the feedback."""

    line: int
    text: str  # "missing" (expect) or "present" (forbid)
    command: Optional[str] = None
    message: bool = False
    arg: Optional[str] = None
    reply: tuple = ()
    cls: Optional[int] = None
    greeting: bool = False
    fault: Optional[bool] = None
    closed_by: Optional[str] = None
    count: int = 1

    def signature(self) -> tuple:
        return (self.command, self.message, self.arg, self.reply, self.cls, self.greeting, self.fault,
                self.closed_by, self.count)


@dataclass
class Question:
    prompt: str
    choices: tuple
    answer: int  # 1-based
    explain: str
    wrong: str  # optional: a hint shown under the wrong choice's own explanation
    line: int
    why_wrong: tuple = ()  # one text per choice, "" for the right one: why that choice is not right

    def feedback(self, answer: Optional[int]) -> list[str]:
        """What a learner who picked ``answer`` (not the right one) reads: why not that choice, then the hint."""
        out = []
        if self.why_wrong and isinstance(answer, int) and 1 <= answer <= len(self.why_wrong):
            out.append(self.why_wrong[answer - 1])
        if self.wrong:
            out.append(self.wrong)
        return [text for text in out if text]


@dataclass
class Solution:
    preset: Optional[str]
    faults: Optional[dict]
    steps: tuple  # of scenarios.Step
    line: int


@dataclass
class Task:
    id: str
    line: int
    goal: str
    hints: tuple
    done: str
    protocol: Optional[str] = None
    source: str = "lab"
    preset: Optional[str] = None
    lab: str = "console"  # the task's own embedded lab: "console", or "faults" (opened at the fault panel)
    solution: Optional[Solution] = None
    expects: tuple = ()
    forbids: tuple = ()
    question: Optional[Question] = None

    def signature(self) -> tuple:
        sol = self.solution
        return ("task", self.id, self.protocol, self.source, self.preset, self.lab,
                None if sol is None else (sol.preset, repr(sol.faults), tuple((s.kind, s.value) for s in sol.steps)),
                tuple(m.signature() for m in self.expects), tuple(m.signature() for m in self.forbids),
                None if self.question is None else (len(self.question.choices), self.question.answer,
                                                    bool(self.question.why_wrong)))


@dataclass
class Widget:
    kind: str
    fields: dict
    caption: str
    line: int

    def signature(self) -> tuple:
        return ("widget", self.kind, tuple(sorted((k, repr(v)) for k, v in self.fields.items())))


def _line_of_key(block: list[str], first_line: int, key: str, start: int = 0) -> int:
    """The line of ``key = ...`` (or ``[key]``/``[[key]]``) in a TOML block, for error messages."""
    pattern = re.compile(rf"^\s*(\[\[?\s*{re.escape(key)}\s*\]\]?|{re.escape(key)}\s*=)")
    for i in range(start, len(block)):
        if pattern.match(block[i]):
            return first_line + i
    return first_line


def _text(value: Any, what: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is None:
        if required:
            raise ValueError(f"{what} is missing")
        return ""
    return _check.text(value, what, empty=not required, limit=limit, message="{path} must be non-empty text",
                       long_message="{path} is longer than {limit} characters")


def _unknown(obj: dict, allowed: tuple, what: str) -> None:
    _check.only(obj, "", allowed, message=f"unknown key {{key!r}} in {what} (allowed: {{allowed}})")


class _StepSource:
    """Lets scenarios.py's step checks report at a lesson file's line."""

    def __init__(self, path: Path, line: int):
        self.label = str(path)
        self.line = line

    def error(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.label, path, message, self.line)


def _reply_values(value: Any, protocol: Optional[str]) -> tuple:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError("reply must name at least one reply")
    codes = scenario_data.reply_codes(protocol or "smtp")
    out = []
    for v in values:
        if protocol == "smtp" or protocol is None:
            if isinstance(v, bool) or not isinstance(v, int) or not 200 <= v <= 599:
                raise ValueError(f"an SMTP reply is a three-digit code, not {v!r}")
        else:
            if not isinstance(v, str):
                raise ValueError(f"a {protocol.upper()} reply is a status like {codes[0]!r}, not {v!r}")
            v = v.upper()
            if v not in codes:
                raise ValueError(f"{v!r} is not a {protocol.upper()} reply (one of: {', '.join(codes)})")
        out.append(v)
    return tuple(out)


def _match(raw: Any, protocol: Optional[str], feedback_key: str, line: int) -> Match:
    _check.obj(raw, "", message="must be a table")
    _unknown(raw, _MATCH_FIELDS + (feedback_key,), "this check")
    text = _text(raw.get(feedback_key), f"{feedback_key!r} (the feedback)")
    m = Match(line=line, text=text)
    if "command" in raw:
        m.command = _check.pattern(raw["command"], "command", r"[A-Za-z_]+( [A-Za-z_]+)?",
                                   message="command must be a command verb like 'RCPT' or 'UID FETCH', "
                                           "not {value!r}").upper()
    for flag in ("message", "greeting"):
        if flag in raw:
            setattr(m, flag, _check.boolean(raw[flag], flag, message="{path} must be true or false"))
    if m.message and protocol != "smtp":
        raise ValueError("message = true is the SMTP message text; this task is not SMTP")
    if sum(bool(x) for x in (m.command, m.message, m.greeting)) > 1:
        raise ValueError("use only one of command, message and greeting")
    if "arg" in raw:
        _check.text(raw["arg"], "arg", blank=True, message="arg must be a regular expression")
        try:
            re.compile(raw["arg"].replace(PERSONAL_NAME, "ms-x"), re.I)
        except re.error as exc:
            raise ValueError(f"arg is not a valid regular expression: {exc}") from None
        m.arg = raw["arg"]
    if "reply" in raw:
        m.reply = _reply_values(raw["reply"], protocol)
    if "class" in raw:
        message = "class is an SMTP reply's first digit: 2, 3, 4 or 5"
        if protocol not in ("smtp", None):
            raise ValueError(message)
        m.cls = _check.one_of(raw["class"], "class", (2, 3, 4, 5), message=message)
    if "fault" in raw:
        m.fault = _check.boolean(raw["fault"], "fault", message="{path} must be true or false")
    if "closed_by" in raw:
        m.closed_by = _check.one_of(raw["closed_by"], "closed_by", ("server", "client"),
                                    message="closed_by is 'server' or 'client'")
    if "count" in raw:
        m.count = _check.integer(raw["count"], "count", 1, 50, message="count is a whole number from {lo} to {hi}")
    if m.closed_by and (m.command or m.message or m.greeting or m.reply or m.cls or m.arg):
        raise ValueError("closed_by stands alone (it matches the end of the session)")
    if not (m.command or m.message or m.greeting or m.reply or m.cls or m.closed_by or m.fault is not None):
        raise ValueError("says nothing to match: give command, message, greeting, reply, class, fault or closed_by")
    if m.arg and m.greeting:
        raise ValueError("arg matches what the client sent; a greeting has no command (drop arg or greeting)")
    return m


def _parse_task(data: dict, block: list[str], first: int, path: Path, errors: Any,
                presets: dict, scenarios_by_name: dict) -> Optional[Task]:
    def fail(key: str, message: str) -> None:
        errors.add(path, _line_of_key(block, first, key), message)

    check = Checker(fail)  # reports at the key's line, and returns None
    try:
        _unknown(data, _TASK_FIELDS, "a task")
        task_id = _check.pattern(data.get("id"), "id", _ID,
                                 message="a task needs an id of lower-case letters, digits and '-', not {value!r}")
        goal = _text(data.get("goal"), "goal")
        hints = data.get("hints")
        if hints is None or hints == []:
            raise ValueError(f"task {task_id!r} needs hints = [\"...\"]: at least one hint for a learner who is stuck")
        hints_message = "hints must be a list of texts"
        _check.list_of(hints, "hints", lambda hint, at: _check.text(hint, at, message=hints_message),
                       message=hints_message)
        done = _text(data.get("done"), "done", required=False)
    except ValueError as exc:
        errors.add(path, first, str(exc))
        return None
    task = Task(id=task_id, line=first - 1, goal=goal, hints=tuple(hints), done=done)
    protocol = data.get("protocol")
    if protocol is not None and check.one_of(protocol, "protocol", PROTOCOLS, message=_UNKNOWN_PROTOCOL) is None:
        return None
    task.protocol = protocol
    source = check.one_of(data.get("source", "lab"), "source", ("lab", "real"),
                          message="source is 'lab' or 'real', not {value!r}")
    if source is None:
        return None
    task.source = source
    lab = check.one_of(data.get("lab", "console"), "lab", ("console", "faults"),
                       message="lab is 'console' or 'faults' (the task's embedded lab), not {value!r}")
    if lab is None:
        return None
    task.lab = lab
    preset = data.get("preset")
    if preset is not None:
        p = presets.get(preset) if isinstance(preset, str) else None
        if p is None:
            fail("preset", f"unknown preset {preset!r}")
        elif p.protocol != (protocol or "smtp"):
            fail("preset", f"preset {preset!r} is for {p.protocol.upper()}, this task is {str(protocol).upper()}")
        task.preset = preset
    ok = True
    for key, field_name, feedback in (("expect", "expects", "missing"), ("forbid", "forbids", "present")):
        raw = data.get(key, [])
        if not isinstance(raw, list):
            fail(key, f"{key} must be written [[{key}]] (a list of tables)")
            ok = False
            continue
        matches = []
        start = 0
        for item in raw:
            line = _line_of_key(block, first, key, start)
            start = line - first + 1
            try:
                matches.append(_match(item, protocol, feedback, line))
            except ValueError as exc:
                errors.add(path, line, f"[[{key}]]: {exc}")
                ok = False
        setattr(task, field_name, tuple(matches))
    if "question" in data:
        q = data["question"]
        line = _line_of_key(block, first, "question")
        try:
            _check.obj(q, "", message="must be a table: [question]")
            _unknown(q, _QUESTION_FIELDS, "[question]")
            choices_message = "choices must be a list of 2 to 8 texts"
            choices = _check.list_of(q.get("choices"), "choices",
                                     lambda choice, at: _check.text(choice, at, message=choices_message),
                                     lo=2, hi=8, message=choices_message)
            answer = _check.integer(q.get("answer"), "answer", 1, len(choices),
                                    message="answer is the number of the right choice, {lo} to {hi}")
            why_wrong = _why_wrong(q.get("why_wrong"), len(choices), answer)
            task.question = Question(prompt=_text(q.get("prompt"), "prompt"), choices=tuple(choices),
                                     answer=answer, explain=_text(q.get("explain"), "explain"),
                                     wrong=_text(q.get("wrong"), "wrong", required=not why_wrong),
                                     line=line, why_wrong=why_wrong)
        except ValueError as exc:
            errors.add(path, line, f"[question]: {exc}")
            ok = False
    # The checks as written: one with a mistake was reported above, and is not reported again as missing.
    checks = bool(data.get("expect") or data.get("forbid"))
    if checks and protocol is None:
        fail("expect", "a task with expect/forbid needs a protocol")
        ok = False
    if not checks and "question" not in data:
        errors.add(path, first, f"task {task_id!r} checks nothing: give [[expect]] tables or a [question]")
        ok = False
    if checks and not data.get("expect"):
        fail("forbid", "a task needs at least one [[expect]] (forbids alone pass with an empty session)")
        ok = False
    if "solution" in data and checks and protocol is None:
        pass  # reported above: without a protocol there is nothing to play it with
    elif "solution" in data:
        sol = data["solution"]
        line = _line_of_key(block, first, "solution")
        try:
            task.solution = _parse_solution(sol, protocol, presets, path, line)
        except (ValueError, ScenarioError) as exc:
            errors.add(path, line, f"[solution]: {getattr(exc, 'message', exc)}")
            ok = False
    elif checks:
        errors.add(path, first, f"task {task_id!r} has checks but no [solution] (the reference solution "
                                "'show me' plays)")
        ok = False
    return task if ok else None


def _why_wrong(raw: Any, choices: int, answer: int) -> tuple:
    """``why_wrong``: one text per choice, in the order of ``choices``, "" for the right one."""
    if raw is None:
        if WHY_WRONG_REQUIRED:
            raise ValueError(f"why_wrong is missing: a list of {choices} texts, one per choice, saying why that "
                             f"choice is not right (\"\" for the right one, choice {answer})")
        return ()
    message = f"why_wrong must be a list of {choices} texts, one per choice (\"\" for the right one, choice {answer})"
    texts = _check.list_of(raw, "why_wrong", lambda text, at: _check.text(text, at, empty=True, message=message),
                           lo=choices, hi=choices, message=message)
    for number, text in enumerate(texts, 1):
        if number == answer and text.strip():
            raise ValueError(f"why_wrong[{number}] is the right choice: leave it \"\" (explain says why it is right)")
        if number != answer and not text.strip():
            raise ValueError(f"why_wrong[{number}] is empty: say why choice {number} is not right")
        if len(text) > MAX_TEXT:
            raise ValueError(f"why_wrong[{number}] is longer than {MAX_TEXT} characters")
    return tuple(texts)


def _parse_solution(sol: Any, protocol: Optional[str], presets: dict, path: Path, line: int) -> Solution:
    if protocol is None:
        raise ValueError("a question-only task has no solution to play")
    _check.obj(sol, "", message="must be a table: [solution]")
    _unknown(sol, _SOLUTION_FIELDS, "[solution]")
    preset = sol.get("preset")
    faults = sol.get("faults")
    if preset is not None and faults is not None:
        raise ValueError("give preset or faults, not both")
    if preset is not None:
        p = presets.get(preset) if isinstance(preset, str) else None
        if p is None:
            raise ValueError(f"unknown preset {preset!r}")
        if p.protocol != protocol:
            raise ValueError(f"preset {preset!r} is for {p.protocol.upper()}, this task is {protocol.upper()}")
    if faults is not None:
        from simulator.lab.faults import FaultPlan, FaultPlanError
        _check.obj(faults, "faults", message="faults is a fault plan: {{ rules = [...] }}")
        if faults.get("protocol", protocol) != protocol:
            raise ValueError(f"faults are for {str(faults['protocol']).upper()}, this task is {protocol.upper()}")
        try:
            FaultPlan.from_json({"protocol": protocol, **faults})
        except FaultPlanError as exc:
            raise ValueError(f"faults: {exc}") from None
    src = _StepSource(path, line)
    steps = _check.list_of(sol.get("steps", []), "steps",
                           lambda raw, at: scenario_data._parse_step(src, raw, at, protocol),
                           message="steps must be a list")
    return Solution(preset=preset, faults=faults, steps=tuple(steps), line=line)


def _parse_widget(data: dict, block: list[str], first: int, path: Path, errors: Any,
                  presets: dict, scenarios_by_name: dict, journeys: set) -> Optional[Widget]:
    def fail(key: str, message: str) -> None:
        errors.add(path, _line_of_key(block, first, key) if key else first, message)

    check = Checker(fail)  # reports at the key's line (the block's for the block), and returns None
    kind = check.one_of(data.get("kind"), "kind", WIDGET_KINDS,
                        message="unknown widget kind {value!r} (one of: {choices})")
    if kind is None:
        return None
    required, optional = WIDGET_KINDS[kind]
    check.only(data, "", ("kind", "caption") + required + optional,
               message=f"unknown key {{key!r}} for a {kind} widget (allowed: {{allowed}})")
    check.required(data, "", required, message=f"a {kind} widget needs {{key!r}}")
    if check.failures:
        return None
    fields = {k: v for k, v in data.items() if k not in ("kind", "caption")}
    caption = check.text(data.get("caption", ""), "caption", empty=True, message="caption must be text")
    if caption is None:
        return None
    for key in ("scenario", "protocol", "preset", "user", "tab"):
        if key in fields and check.text(fields[key], key, empty=True,
                                        message="{path} must be text, not {value!r}") is None:
            return None
    protocol = fields.get("protocol")
    if protocol is not None and check.one_of(protocol, "protocol", PROTOCOLS, message=_UNKNOWN_PROTOCOL) is None:
        return None
    if kind == "scenario":
        found = scenarios_by_name.get(fields["scenario"])
        if found is None:
            fail("scenario", f"unknown scenario {fields['scenario']!r} (simulator/data/scenarios/)")
            return None
        fields["protocol"] = found.protocol
    if kind in ("console", "faults") and "preset" in fields:
        assert protocol is not None  # required for these kinds
        p = presets.get(fields["preset"])
        if p is None:
            fail("preset", f"unknown preset {fields['preset']!r}")
            return None
        if p.protocol != protocol:
            fail("preset", f"preset {fields['preset']!r} is for {p.protocol.upper()}, not {protocol.upper()}")
            return None
    if kind == "journey" and "preset" in fields and fields["preset"] not in journeys:
        fail("preset", f"unknown journey preset {fields['preset']!r} (one of: {', '.join(sorted(journeys))})")
        return None
    if kind == "journey" and "at" in fields and check.one_of(
            fields["at"], "at", JOURNEY_PARTS, message="at is where the journey page opens, one of: {choices}") is None:
        return None
    if kind == "mail":
        if check.one_of(fields["user"], "user", ("alice", "bob"),
                        message="user is 'alice' or 'bob', not {value!r}") is None:
            return None
        if "uid" in fields and check.integer(fields["uid"], "uid", 1, message="uid is a positive whole number") is None:
            return None
        if "tab" in fields and check.one_of(fields["tab"], "tab", MAIL_TABS,
                                            message="tab is one of: {choices}") is None:
            return None
        if "folder" in fields and check.text(fields["folder"], "folder", empty=True,
                                             message="folder is a folder name like 'INBOX' or 'Work/Invoices'") is None:
            return None
    if kind == "codes" and "codes" in fields:
        assert protocol is not None  # required for this kind
        try:
            fields["codes"] = list(_reply_values(fields["codes"], protocol))
        except ValueError as exc:
            fail("codes", str(exc))
            return None
        known = set(scenario_data.reply_codes(protocol))
        unknown = [c for c in fields["codes"] if c not in known]
        if unknown:
            fail("codes", f"not in the {protocol.upper()} catalogue: {', '.join(map(str, unknown))}")
            return None
    return Widget(kind=kind, fields=fields, caption=caption, line=first - 1)
