"""Presets and scenarios: the lecture's stories as data files, loaded and checked.

* A **preset** (``simulator/data/presets.json``) is a named fault plan with a
  title and a short story in English and Russian: "greylisting", "mailbox
  full"... It is what the lab's fault menu offers. Its ``protocol``
  (``"smtp"``, ``"pop3"`` or ``"imap"``; by default the plan's) says which
  engine the plan is written for; its plan inherits it.
* A **scenario** (``simulator/data/scenarios/<name>.json``, one per file) is a
  scripted client of one ``protocol`` (default ``"smtp"``): the lines it
  sends, optionally a preset of the same protocol to apply, and the figure of
  the lecture it reproduces. Steps are ``{"send": "HELO x"}`` (one command
  line), ``{"data": ["Subject: Hi", "", "text"]}`` (SMTP only: message lines,
  sent dot-stuffed and followed by the final ``"."``) and ``{"pause_ms":
  500}``. A send or data step may say which reply the story expects: a code
  for SMTP (``"expect": 250``), a status for POP3 (``"+OK"``, ``"-ERR"``) and
  IMAP (``"OK"``, ``"NO"``, ``"BAD"``...), each checked against that
  protocol's reply catalogue. The tests play every scenario against its
  engine and check it. When the server closes the connection, the remaining
  steps are not sent.

Command lines are checked against each protocol's limit, CR LF included:
SMTP 512 octets (text lines 1000, RFC 5321 4.5.3.1), POP3 255 (RFC 2449 4),
IMAP the engine's own command-line limit.

Every problem is reported as :class:`ScenarioError` naming the file, the line
and the JSON path (``presets.json:41: greylisting.plan.rules[0].reply: ...``),
because these files are written by hand. ``python -m simulator.scenarios``
checks them all.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]  # public in the module, absent from typeshed
from pathlib import Path
from typing import Any, Iterable, NoReturn, Optional, Protocol, Union

from simulator import i18n, paths
from simulator.lab.faults import FaultPlan, FaultPlanError
from simulator.protocols.registry import PROTOCOLS, SPECS, spec
from simulator.validate import Checker, join_path

__all__ = [
    "ScenarioError",
    "Preset",
    "Step",
    "Scenario",
    "load_presets",
    "load_scenarios",
    "scenario_lines",
    "scenario_script",
    "steps_script",
    "presets_for_ui",
    "scenarios_for_ui",
    "validate_all",
    "line_limits",
    "reply_codes",
    "DATA_DIR",
    "LANGUAGES",
    "PROTOCOLS",
    "FIGURES_BY_PROTOCOL",
]

DATA_DIR = paths.DATA
PRESETS_FILE = "presets.json"
SCENARIOS_DIR = "scenarios"
LANGUAGES = ("en", "ru")
FIGURES = SPECS["smtp"].figures
# The figures of the lecture each protocol's scenarios may reproduce. The
# lecture text we have numbers figures only for SMTP's phases (14.6-14.8);
# its POP3 and IMAP4 material has no numbered figure, so theirs are null.
FIGURES_BY_PROTOCOL: dict[str, tuple[str, ...]] = {p: s.figures for p, s in SPECS.items()}

# SMTP's line limits (RFC 5321 4.5.3.1: a command line is at most 512 octets
# and a text line 1000, both counting the CR LF), without the CR LF. The
# checks read every protocol's limits from its engine (line_limits()); these
# stay for readers and are tested to agree.
MAX_COMMAND = 510
MAX_TEXT_LINE = 998
MAX_PAUSE_MS = 60_000
MAX_STEPS = 200
MAX_TITLE = 120
MAX_PROSE = 1200

_PRESET_FIELDS = ("title", "story", "plan", "protocol")
_PRESET_REQUIRED = ("title", "story", "plan")
_SCENARIO_FIELDS = ("name", "title", "description", "figure", "preset", "protocol", "steps")
_STEP_KINDS = ("send", "data", "pause_ms")


class ScenarioError(ValueError):
    """A preset or scenario file that cannot be used.

    ``file`` is the file's name, ``line`` the line of the offending value (or
    None), ``path`` its JSON path, ``message`` what is wrong.
    """

    def __init__(self, file: str, path: str, message: str, line: Optional[int] = None):
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")
        self.file = file
        self.path = path
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Preset:
    """A named fault plan with its story."""

    name: str
    title: dict
    story: dict
    plan: FaultPlan
    protocol: str = "smtp"

    def for_ui(self, lang: str) -> dict:
        lang = _lang(lang)
        return {"name": self.name, "title": self.title[lang], "story": self.story[lang],
                "plan": self.plan.to_json(), "protocol": self.protocol}


@dataclass(frozen=True)
class Step:
    """One step of a scenario: ``kind`` is ``send``, ``data`` or ``pause``.

    ``value`` is the command line (send), the tuple of message lines as the
    author wrote them (data) or the milliseconds (pause). ``expect`` is the
    reply the story expects: an SMTP code (250) or a POP3/IMAP status
    ("+OK", "NO").
    """

    kind: str
    value: Union[str, tuple, int]
    expect: Optional[Union[int, str]] = None

    def lines(self) -> list[str]:
        """The lines this step puts on the wire (without CR LF)."""
        if self.kind == "send":
            assert isinstance(self.value, str)
            return [self.value]
        if self.kind == "data":
            assert isinstance(self.value, tuple)
            # RFC 5321 4.5.2: a line starting with "." gets another one.
            return ["." + line if line.startswith(".") else line for line in self.value] + ["."]
        return []


@dataclass(frozen=True)
class Scenario:
    """A scripted client session."""

    name: str
    title: dict
    description: dict
    figure: Optional[str]
    preset: Optional[str]
    steps: tuple
    protocol: str = "smtp"

    def for_ui(self, lang: str) -> dict:
        lang = _lang(lang)
        return {"name": self.name, "title": self.title[lang], "description": self.description[lang],
                "figure": self.figure, "preset": self.preset, "protocol": self.protocol}


def scenario_lines(scenario: Scenario) -> list[str]:
    """Exactly the lines the client sends, in order: dot-stuffed, with the final "."; no CR LF."""
    out: list[str] = []
    for step in scenario.steps:
        out.extend(step.lines())
    return out


def scenario_script(scenario: Scenario) -> list[tuple[str, Any]]:
    """The scenario as a transport plays it: ``("line", text)`` and ``("pause", ms)`` in order."""
    return steps_script(scenario.steps)


def steps_script(steps: Iterable[Step]) -> list[tuple[str, Any]]:
    """Scenario steps (a scenario's, or a lesson task's solution) as ``("line", text)`` and ``("pause", ms)``."""
    out: list[tuple[str, Any]] = []
    for step in steps:
        if step.kind == "pause":
            out.append(("pause", step.value))
        else:
            out.extend(("line", line) for line in step.lines())
    return out


def _lang(lang: Optional[str]) -> str:
    lang = (lang or "").lower()[:2]
    return lang if lang in LANGUAGES else LANGUAGES[0]


# --------------------------------------------------------------------------
# JSON with positions: the standard parser says nothing about where a value
# sits, so after json.loads succeeds this small pass records the offset of
# every value by its path, for error messages only.


def _value_positions(text: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    decoder = json.JSONDecoder()
    ws = " \t\n\r"

    def skip(i: int) -> int:
        while i < len(text) and text[i] in ws:
            i += 1
        return i

    def value(i: int, path: str) -> int:
        i = skip(i)
        positions.setdefault(path, i)
        ch = text[i]
        if ch == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, i = scanstring(text, i + 1)
                i = skip(i)  # at ':'
                sub = f"{path}.{key}" if path else key
                positions.setdefault(sub, skip(i + 1))
                i = skip(value(i + 1, sub))
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1  # '}'
        if ch == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = skip(value(i, f"{path}[{n}]"))
                n += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1  # ']'
        _, end = decoder.raw_decode(text, i)
        return end

    value(0, "")
    return positions


class _Source:
    """A parsed data file that can turn a JSON path into a line number."""

    def __init__(self, path: Path, label: str):
        self.label = label
        try:
            self.text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError(label, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise ScenarioError(label, "", f"cannot be read: {exc.strerror or exc}") from None
        duplicates: list[str] = []

        def no_duplicates(pairs):
            seen = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
            return dict(pairs)

        try:
            self.data = json.loads(self.text, object_pairs_hook=no_duplicates)
        except json.JSONDecodeError as exc:
            raise ScenarioError(label, "", f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
        self._positions = _value_positions(self.text)
        if duplicates:
            raise self.error("", f"the key {duplicates[0]!r} appears twice in one object")

    def line_of(self, path: str) -> Optional[int]:
        # The closest enclosing value that exists: a missing field is reported
        # at the object that should hold it.
        probe = path
        while True:
            if probe in self._positions:
                return self.text.count("\n", 0, self._positions[probe]) + 1
            if not probe:
                return None
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""

    def error(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.label, path, message, self.line_of(path))


# --------------------------------------------------------------------------
# Field checks shared by presets and scenarios. ``src`` is anything with
# ``error(path, message)`` (lesson tasks check their steps here too); the
# first problem raises it.


class _ErrorSource(Protocol):
    def error(self, path: str, message: str) -> ScenarioError: ...


def _check(src: _ErrorSource) -> Checker[NoReturn]:
    return Checker.raising(src.error)


def _check_fields(src: _Source, obj: Any, path: str, allowed: Iterable[str], required: Iterable[str],
                  what: str) -> dict:
    check = _check(src)
    check.obj(obj, path, message=f"{what} must be an object")
    check.only(obj, path, allowed, message="unknown field; allowed fields: {allowed}")
    return check.required(obj, path, required, message=f"{what} needs the field {{key!r}}")


def _check_languages(src: _Source, obj: Any, path: str, limit: int) -> dict:
    check = _check(src)
    check.obj(obj, path, message='must be an object with one text per language: {{"en": "...", "ru": "..."}}')
    check.required(obj, path, LANGUAGES, message="the {key!r} text is missing")
    for lang, text in obj.items():
        sub = join_path(path, lang)
        check.one_of(lang, sub, LANGUAGES, message="unknown language; use {choices}")
        check.text(text, sub, limit=limit, message="must be a non-empty string",
                   long_message="at most {limit} characters, got {length}")
    return dict(obj)


def _check_name(src: _Source, name: Any, path: str) -> str:
    return _check(src).pattern(name, path, "[a-z0-9_]+", limit=60, long_message="at most {limit} characters",
                               message="a name is lower-case letters, digits and '_', not {value!r}")


def _check_line(src: _ErrorSource, line: Any, path: str, limit: int) -> str:
    _check(src).text(line, path, empty=True, message="must be a string")
    bad = next((c for c in line if c in "\r\n\x00"), None)
    if bad is not None:
        raise src.error(path, f"must be one line: {bad!r} is not allowed")
    size = len(line.encode("utf-8"))
    if size > limit:
        raise src.error(path, f"at most {limit} octets, got {size}")
    return line


# --------------------------------------------------------------------------
# Each protocol's limits and reply catalogue, looked up lazily (the engines
# are other modules, and a file is checked against what they define now).


def line_limits(protocol: str = "smtp") -> tuple[int, int]:
    """``(command, text)``: the longest command line and message line a scenario may send, in
    octets without the CR LF, from the engine's limits (text is 0 where there is no DATA)."""
    limits = spec(protocol).limits()
    return limits.command_line - 2, max(getattr(limits, "text_line", 2) - 2, 0)


def reply_codes(protocol: str = "smtp") -> tuple:
    """The replies a step may ``expect``: the protocol catalogue's CODES."""
    return tuple(spec(protocol).codes)


def _check_protocol(src: _Source, value: Any, path: str) -> str:
    return _check(src).one_of(value, path, PROTOCOLS)


# --------------------------------------------------------------------------
# Presets


def _parse_presets(src: _Source) -> dict[str, Preset]:
    data = _check(src).obj(src.data, "", message='must be an object of presets: '
                                                 '{{"name": {{"title": ..., "story": ..., "plan": ...}}}}')
    out: dict[str, Preset] = {}
    for name, raw in data.items():
        _check_name(src, name, name)
        _check_fields(src, raw, name, _PRESET_FIELDS, _PRESET_REQUIRED, "a preset")
        title = _check_languages(src, raw["title"], f"{name}.title", MAX_TITLE)
        story = _check_languages(src, raw["story"], f"{name}.story", MAX_PROSE)
        raw_plan = raw["plan"]
        protocol = None
        if "protocol" in raw:
            protocol = _check_protocol(src, raw["protocol"], f"{name}.protocol")
            if isinstance(raw_plan, dict):
                stated = raw_plan.get("protocol", protocol)
                if isinstance(stated, str) and stated.lower() != protocol:
                    raise src.error(f"{name}.plan.protocol",
                                    f"the preset is for {protocol}, so its plan cannot be for {stated!r}")
                raw_plan = {"protocol": protocol, **raw_plan}
        try:
            plan = FaultPlan.from_json(raw_plan)
        except FaultPlanError as exc:
            sub = f"{name}.plan" if exc.path in ("plan", "json") else f"{name}.plan.{exc.path}"
            raise src.error(sub, exc.message) from None
        except ImportError as exc:  # the protocol's engine or catalogue is broken
            raise src.error(f"{name}.plan", f"cannot be checked: {exc}") from None
        if not plan.rules:
            raise src.error(f"{name}.plan.rules", "a preset needs at least one rule")
        for i, rule in enumerate(plan.rules):
            if rule.protocol != plan.protocol:
                raise src.error(f"{name}.plan.rules[{i}].protocol",
                                f"a preset's rules are all for its protocol ({plan.protocol}), not {rule.protocol}")
        out[name] = Preset(name=name, title=title, story=story, plan=plan, protocol=plan.protocol)
    return out


# --------------------------------------------------------------------------
# Scenarios


def _check_expect(src: _ErrorSource, expect: Any, path: str, protocol: str) -> Union[int, str]:
    codes = reply_codes(protocol)
    if protocol == "smtp":
        _check(src).integer(expect, path, 200, 599, message="must be a reply code such as 250, not {value!r}")
        if expect not in codes:
            raise src.error(path, f"{expect} is not in the SMTP reply catalogue; use one of: "
                                  f"{', '.join(map(str, sorted(codes)))}")
        return expect
    listed = ", ".join(f'"{c}"' for c in codes)
    if not isinstance(expect, str) or expect not in codes:
        hint = " (an SMTP reply code; this is a " + protocol.upper() + " scenario)" if isinstance(expect, int) else ""
        raise src.error(path, f"a {protocol.upper()} reply is one of {listed}, not {expect!r}{hint}")
    return expect


def _parse_step(src: _ErrorSource, raw: Any, path: str, protocol: str = "smtp") -> Step:
    check = _check(src)
    check.obj(raw, path, message='a step is an object: {{"send": "..."}}, {{"data": [...]}} or {{"pause_ms": 500}}')
    kinds = [k for k in _STEP_KINDS if k in raw]
    if len(kinds) != 1:
        raise src.error(path, "a step has exactly one of: send, data, pause_ms")
    kind = kinds[0]
    if kind == "data" and protocol != "smtp":
        raise src.error(join_path(path, kind), f"a data step is the message after SMTP's DATA; a {protocol.upper()} "
                                               'scenario has only "send" and "pause_ms" steps')
    allowed = (kind,) if kind == "pause_ms" else (kind, "expect")
    check.only(raw, path, allowed, message=f"unknown field for a {kind} step; allowed: {{allowed}}")
    expect = raw.get("expect")
    if expect is not None:
        expect = _check_expect(src, expect, join_path(path, "expect"), protocol)
    value = raw[kind]
    sub = join_path(path, kind)
    command_limit, text_limit = line_limits(protocol)
    if kind == "send":
        return Step("send", _check_line(src, value, sub, command_limit), expect)
    if kind == "data":
        # One octet less than the limit: a line may gain a dot when stuffed.
        lines = check.list_of(value, sub, lambda line, at: _check_line(src, line, at, text_limit - 1),
                              message="must be a list of message lines (without the final '.')")
        return Step("data", tuple(lines), expect)
    check.integer(value, sub, 0, MAX_PAUSE_MS, message="must be whole milliseconds from {lo} to {hi}, not {value!r}")
    return Step("pause", value)


def _parse_scenario(src: _Source, stem: str, presets: Optional[dict[str, Preset]]) -> Scenario:
    """One scenario; ``presets`` None skips the check that its preset exists."""
    data = _check_fields(src, src.data, "", _SCENARIO_FIELDS, ("name", "title", "description", "steps"), "a scenario")
    name = _check_name(src, data["name"], "name")
    if name != stem:
        raise src.error("name", f"must be the file's name without .json ({stem!r}), not {name!r}")
    title = _check_languages(src, data["title"], "title", MAX_TITLE)
    description = _check_languages(src, data["description"], "description", MAX_PROSE)
    protocol = _check_protocol(src, data.get("protocol", "smtp"), "protocol")
    figure = data.get("figure")
    figures = FIGURES_BY_PROTOCOL[protocol]
    if figure is not None and figure not in figures:
        if figures:
            raise src.error("figure", f"must be null or one of the lecture's figures {', '.join(figures)}, "
                                      f"not {figure!r}")
        raise src.error("figure", f"must be null: the lecture's text has no numbered figure for "
                                  f"{protocol.upper()} (its figures {', '.join(FIGURES)} are SMTP's), not {figure!r}")
    preset = data.get("preset")
    if preset is not None:
        _check(src).text(preset, "preset", empty=True, message="must be a preset's name or null")
        if presets is not None and preset not in presets:
            raise src.error("preset", f"no preset named {preset!r} in {PRESETS_FILE}")
        if presets is not None and presets[preset].protocol != protocol:
            raise src.error("preset", f"the preset {preset!r} is for {presets[preset].protocol}, "
                                      f"this scenario for {protocol}")
    steps = _check(src).list_of(data["steps"], "steps", lambda raw, path: _parse_step(src, raw, path, protocol),
                                lo=1, hi=MAX_STEPS, message="must be a non-empty list of steps",
                                long_message="at most {hi} steps")
    return Scenario(name=name, title=title, description=description, figure=figure,
                    preset=preset, steps=tuple(steps), protocol=protocol)


# --------------------------------------------------------------------------
# Loading, with a cache that notices edited files


_cache: dict[tuple, Any] = {}
_cache_lock = threading.Lock()


def _signature(paths: list[Path]) -> tuple:
    out: list[tuple[str, Optional[int], Optional[int]]] = []
    for p in paths:
        try:
            st = p.stat()
            out.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(p), None, None))
    return tuple(out)


def _scenario_files(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.suffix == ".json" and p.is_file())
    except FileNotFoundError:
        return []


def _cached(kind: tuple[str, str], paths: list[Path], build):
    key = (kind, _signature(paths))
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = build()
    with _cache_lock:
        for old in [k for k in _cache if k[0] == kind]:
            del _cache[old]
        _cache[key] = value
    return value


def _presets_path(data_dir: Optional[Union[str, Path]]) -> Path:
    return Path(data_dir or DATA_DIR) / PRESETS_FILE


def load_presets(data_dir: Optional[Union[str, Path]] = None) -> dict[str, Preset]:
    """Every preset by name, in file order. Raises ScenarioError."""
    path = _presets_path(data_dir)
    presets = _cached(("presets", str(path)), [path], lambda: _parse_presets(_Source(path, PRESETS_FILE)))
    return dict(presets)


def load_scenarios(data_dir: Optional[Union[str, Path]] = None) -> dict[str, Scenario]:
    """Every scenario by name, sorted by file name. Raises ScenarioError on the first bad file."""
    base = Path(data_dir or DATA_DIR)
    files = _scenario_files(base / SCENARIOS_DIR)
    presets_file = base / PRESETS_FILE

    def build():
        presets = load_presets(base)
        out = {}
        for f in files:
            scenario = _parse_scenario(_Source(f, f"{SCENARIOS_DIR}/{f.name}"), f.stem, presets)
            out[scenario.name] = scenario
        return out

    return dict(_cached(("scenarios", str(base)), files + [presets_file], build))


def presets_for_ui(lang: str = "en") -> list[dict]:
    """``[{name, title, story, plan, protocol}]`` in one language, for the browser."""
    return [p.for_ui(lang) for p in load_presets().values()]


def scenarios_for_ui(lang: str = "en") -> list[dict]:
    """``[{name, title, description, figure, preset, protocol}]`` in one language.

    The lecture's figures first, then by protocol (SMTP, POP3, IMAP); in each,
    the scenarios without faults before the stories with a preset."""
    items = list(load_scenarios().values())
    items.sort(key=lambda s: (s.figure is None, s.figure or "", PROTOCOLS.index(s.protocol),
                              s.preset is not None, s.name))
    return [s.for_ui(lang) for s in items]


def validate_all(data_dir: Optional[Union[str, Path]] = None) -> tuple[list[ScenarioError], int, int]:
    """Check every file, collecting one error per bad file: (errors, presets, scenarios)."""
    base = Path(data_dir or DATA_DIR)
    errors: list[ScenarioError] = []
    try:
        presets = _parse_presets(_Source(base / PRESETS_FILE, PRESETS_FILE))
    except ScenarioError as exc:
        errors.append(exc)
        presets = None  # reported once above, not again in every scenario naming a preset
    count = 0
    for f in _scenario_files(base / SCENARIOS_DIR):
        try:
            _parse_scenario(_Source(f, f"{SCENARIOS_DIR}/{f.name}"), f.stem, presets)
            count += 1
        except ScenarioError as exc:
            errors.append(exc)
    return errors, len(presets or ()), count


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m simulator.scenarios [DATA_DIR]``: check the presets and scenarios."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print("usage: python -m simulator.scenarios [DATA_DIR]\n"
              "Checks presets.json and scenarios/*.json (default: the packaged data).")
        return 0
    base = Path(argv[0]) if argv else DATA_DIR
    errors, n_presets, n_scenarios = validate_all(base)
    for exc in errors:
        print(f"{os.path.join(str(base), '')}{exc}", file=sys.stderr)
    if errors:
        print(i18n.t(i18n.terminal_language(), "cli.files_with_errors", n=len(errors)), file=sys.stderr)
        return 1
    print(f"ok: {n_presets} presets, {n_scenarios} scenarios in {base}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
