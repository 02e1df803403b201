"""Socket.IO API v1 (docs/api.md): the browser lab, the journey and the Live page.

Each handler validates its payload and answers with an acknowledgement,
``{ok: true, ...}`` or the error envelope ``{ok: false, error: {code,
message}}`` (:mod:`simulator.web.common`); nothing a client sends can raise
out of a handler. The lab sessions and who holds them are the running
MailSim's (``sim.labs``, :class:`simulator.lab.labs.Labs`); a lab session
belongs to the Socket.IO connection that opened it and runs in its own worker
thread, which processes lines strictly in order.
"""
from __future__ import annotations

import functools
import logging
from typing import Any

from flask import request
from flask_socketio import join_room, leave_room

from simulator import i18n
from simulator.course.check import solution_plan, solution_script
from simulator.course.progress import personal_name
from simulator.journey.run import JourneyError, run_journey
from simulator.lab import scenarios as scenario_data
from simulator.lab.faults import FaultPlan, FaultPlanError, FaultRuntime
from simulator.lab.labs import LabError, Labs, LabSession
from simulator.lab.session import Session
from simulator.protocols.registry import PROTOCOLS
from simulator.web.common import (
    ApiError,
    current_language,
    current_learner,
    error_body,
    error_message,
    find_task,
    sim_of,
    socketio,
)

log = logging.getLogger(__name__)

LIVE_ROOM = "live"


def socket_id() -> str:
    """The Socket.IO connection id of the event being handled."""
    # Flask-SocketIO sets request.sid on the request context of each event; Flask's Request does not declare it.
    return request.sid  # type: ignore[attr-defined]


def _payload(data: Any, **fields: type) -> dict:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ApiError("bad_request", detail="the payload must be an object")
    for name, kind in fields.items():
        optional = name.endswith("_")
        key = name.rstrip("_")
        if key not in data or data[key] is None:
            if optional:
                continue
            raise ApiError("bad_request", detail=f"'{key}' is missing")
        value = data[key]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise ApiError("bad_request", detail=f"'{key}' has the wrong type")
    return data


def _lab(data: dict) -> LabSession:
    return sim_of().labs.get(socket_id(), data.get("session"))


def _plan(obj: Any, seed: Any = None, protocol: str = "smtp") -> FaultPlan:
    """A lab's fault plan; its rules are for the lab's protocol unless they say otherwise."""
    if obj is None:
        plan = FaultPlan(protocol=protocol)
    else:
        if isinstance(obj, dict) and "protocol" not in obj:
            obj = {**obj, "protocol": protocol}
        try:
            plan = FaultPlan.from_json(obj)
        except FaultPlanError as exc:
            raise ApiError("bad_faults", detail=str(exc)) from None
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ApiError("bad_request", detail="'seed' must be an integer")
        plan = FaultPlan.from_json({**plan.to_json(), "seed": seed})
    return plan


def _ack(call, lang) -> dict:
    """Run ``call`` and turn its result or error into an acknowledgement."""
    try:
        result = call()
    except (ApiError, LabError) as exc:
        return error_body(exc.code, error_message("web", exc.code, lang(), **exc.params))
    except Exception:
        log.exception("Socket.IO handler failed")
        return error_body("internal", error_message("web", "internal", lang()))
    return {"ok": True, **(result or {})}


def api(handler):
    """Turn ApiError and any unexpected exception into an error acknowledgement."""

    @functools.wraps(handler)
    def wrapper(data=None, *extra):
        return _ack(lambda: handler(data), current_language)

    return wrapper


def _open(protocol: Any, plan: FaultPlan) -> LabSession:
    if protocol not in PROTOCOLS:
        raise ApiError("unknown_protocol", name=str(protocol)[:20])
    owner = socket_id()
    sim = sim_of()
    server = socketio.server

    def emit(name: str, payload: dict, _to=owner) -> None:
        server.emit(name, payload, to=_to)

    mailboxes = sim.learner_mailboxes(sim.labs.learner(owner))
    return sim.labs.open(owner, lambda sid: Session(
        sid, sim.new_engine(protocol, mailboxes, owner=sid), faults=FaultRuntime(plan), store=mailboxes,
        listener=emit, protocol=protocol, peer="lab"))


@socketio.on("lab.open")
@api
def lab_open(data):
    """Browser asks for a new simulated connection; the greeting follows as events."""
    data = _payload(data, protocol=str)
    protocol = data["protocol"].lower()
    lab = _open(protocol, _plan(data.get("faults"), data.get("seed"), protocol if protocol in PROTOCOLS else "smtp"))
    lab.start()
    return {"session": lab.session.sid}


def lab_send(labs: Labs, owner: str, data=None, *extra):
    """Browser sends one line (a command, or a message line in DATA).

    The one hot path of the API, so it is registered on python-socketio
    directly, with the app's ``labs`` bound (see attach): no Flask request
    context is built per line.
    """
    return _ack(lambda: _send(labs, owner, data), lambda: labs.language(owner, i18n.DEFAULT_LANGUAGE))


def _send(labs: Labs, owner: str, data) -> dict:
    data = _payload(data, session=str, line=str)
    lab = labs.get(owner, data.get("session"))
    line = data["line"]
    if any(ch in line for ch in "\r\n\x00"):
        raise ApiError("bad_line")
    limits = lab.session.engine.limits  # each protocol's line limit, CR LF included
    limit = limits.text_line if lab.session.in_data else limits.command_line
    if len(line.encode("utf-8")) + 2 + (1 if line.startswith(".") else 0) > limit:
        raise ApiError("line_too_long", limit=limit)
    if lab.playing.is_set():
        raise ApiError("busy")
    lab.send_line(line)
    return {}


@socketio.on("lab.faults")
@api
def lab_faults(data):
    """Browser replaces this session's fault plan; its counters restart."""
    data = _payload(data, session=str)
    if "faults" not in data:
        raise ApiError("bad_request", detail="'faults' is missing")
    lab = _lab(data)
    plan = _plan(data["faults"], data.get("seed"), lab.session.protocol)
    lab.session.faults = FaultRuntime(plan)
    return {"faults": plan.to_json()}


@socketio.on("lab.scenario")
@api
def lab_scenario(data):
    """Browser plays a scenario into a session (a new one unless given)."""
    data = _payload(data, name=str, session_=str)
    name = data["name"]
    found = scenario_data.load_scenarios().get(name)
    if found is None:
        raise ApiError("unknown_scenario", name=name[:60])
    lines = scenario_data.scenario_script(found)
    if data.get("session"):
        lab = _lab(data)
        if lab.playing.is_set():
            raise ApiError("busy")
        lab.playing.set()
        lab.scripted = True
        lab.put("script", lines)
        return {"session": lab.session.sid}
    plan = FaultPlan()
    preset = getattr(found, "preset", None)
    if preset:
        plan = scenario_data.load_presets()[preset].plan
    return _play_new(found.protocol, plan, lines)


def _play_new(protocol: str, plan: FaultPlan, script: list) -> dict:
    """A new session with ``plan``, a script played into it (it counts as played, not typed)."""
    lab = _open(protocol, plan)
    lab.scripted = True
    lab.playing.set()
    lab.put("script", script)
    lab.start()
    return {"session": lab.session.sid, "faults": plan.to_json()}


@socketio.on("lab.solution")
@api
def lab_solution(data):
    """Browser asks for a lesson task's reference solution ("show me"), played into a new session.

    The session does not count towards the task: it is marked as played."""
    data = _payload(data, lesson=str, task=str)
    task = find_task(data["lesson"][:80], data["task"][:80])
    if task is None or task.solution is None or not task.protocol:
        raise ApiError("unknown_task", name=f"{data['lesson'][:60]}/{data['task'][:60]}")
    learner = sim_of().labs.learner(socket_id())
    return _play_new(task.protocol, solution_plan(task), solution_script(task, personal_name(learner)))


@socketio.on("lab.close")
@api
def lab_close(data):
    """Browser closes a lab connection (the client side hangs up)."""
    data = _payload(data, session=str)
    lab = _lab(data)
    lab.put("stop", "client")
    return {}


@socketio.on("journey.run")
@api
def journey_run(data):
    """Browser sends Carol's message to Bob across the four parties (docs/journey.md); the journey comes back."""
    data = _payload(data, preset_=str, read_=str, faults_=dict, subject_=str, body_=str)
    try:
        journey = run_journey(sim_of(), sim_of().labs.learner(socket_id()),
                              read=data.get("read") or "pop3", preset=data.get("preset") or None,
                              faults=data.get("faults"), subject=data.get("subject"), body=data.get("body"),
                              lang=current_language())
    except JourneyError as exc:
        raise ApiError(f"journey_{exc.code}", detail=exc.detail[:300], **exc.params) from None
    return {"journey": journey}


@socketio.on("live.watch")
@api
def live_watch(data):
    """Browser starts watching the real ports' sessions."""
    _payload(data)
    join_room(LIVE_ROOM)
    sim = sim_of()
    sim.labs.watch(socket_id())
    return {"sessions": sim.live_sessions(), "ports": dict(sim.ports)}


@socketio.on("live.unwatch")
@api
def live_unwatch(data):
    """Browser stops watching the real ports."""
    leave_room(LIVE_ROOM)
    sim_of().labs.watch(socket_id(), on=False)
    return {}


@socketio.on("live.history")
@api
def live_history(data):
    """Browser asks for the transcript so far of one real-port session."""
    data = _payload(data, session=str)
    session = sim_of().live_session(data["session"])
    if session is None:
        raise ApiError("unknown_session")
    return {"exchanges": list(session.transcript), "info": session.info()}


@socketio.on("connect")
def on_connect(*_args):
    """A browser connects: remember its language and learner (no cookie, a script: a throw-away world)."""
    sim_of().labs.connect(socket_id(), current_language(), current_learner())


@socketio.on("disconnect")
def on_disconnect(*_args):
    """The browser went away: hang up every lab session it had open."""
    sim = sim_of()
    mine, learner = sim.labs.disconnect(socket_id())
    for lab in mine:
        lab.put("stop", "gone")
    if learner and sim.labs.is_throwaway(learner):  # its labs or journeys may have made realms
        sim.forget_learner(learner)


@socketio.on_error_default
def on_error(exc):  # pragma: no cover - handlers already catch everything
    log.exception("Socket.IO handler error: %s", exc)
    return error_body("internal", "internal error")


def attach(app) -> None:
    """Mirror the real ports' sessions to the browsers watching the Live page."""
    sim = sim_of(app)

    def to_watchers(name: str, payload: dict) -> None:
        if sim.labs.watched:
            socketio.emit(name, payload, to=LIVE_ROOM)

    sim.live_listeners.append(to_watchers)
    socketio.server.on("lab.send", functools.partial(lab_send, sim.labs))
