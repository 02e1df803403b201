"""Socket.IO API v1 (docs/api.md): the browser lab and the Live page.

Each handler validates its payload and answers with an acknowledgement,
``{ok: true, ...}`` or ``{ok: false, error: {code, message}}``; nothing a
client sends can raise out of a handler. A lab session belongs to the
Socket.IO connection that opened it and runs in its own worker thread, which
processes lines strictly in order (handlers may run concurrently).
"""
from __future__ import annotations

import collections
import functools
import logging
import queue
import secrets
import threading
import time
from typing import Any, Optional

from flask import current_app, request
from flask_socketio import join_room, leave_room

from simulator import i18n
from simulator.lab import scenarios as scenario_data
from simulator.lab.faults import FaultPlan, FaultPlanError, FaultRuntime
from simulator.journey.run import JourneyError, run_journey
from simulator.lab.session import Session
from simulator.protocols.registry import PROTOCOLS
from simulator.web import current_language, current_learner, sim_of, socketio

log = logging.getLogger(__name__)

MAX_SESSIONS = 20
LIVE_ROOM = "live"


class ApiError(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


class LabSession:
    """A lab session: a Session fed in order, by its own worker thread.

    A typed line is fed at once, on the handler's thread, when nothing is
    queued before it and the fault plan cannot make the server sleep (the
    common case: no thread hand-off in the round trip). Otherwise it joins
    the queue, so lines stay in order and a slow-server fault delays only
    this session.
    """

    def __init__(self, session: Session):
        self.session = session
        self.queue: "queue.Queue[tuple[str, Any]]" = queue.Queue()
        self.playing = threading.Event()
        self._lock = threading.Lock()
        self._pending = 1  # the greeting, sent by the worker when it starts
        self.thread = threading.Thread(target=self._run, name=f"lab-{session.sid}", daemon=True)
        self.scripted = False  # a scenario or a reference solution was played into it

    def start(self) -> None:
        self.thread.start()

    def put(self, kind: str, payload: Any) -> None:
        with self._lock:
            self._pending += 1
        self.queue.put((kind, payload))

    def send_line(self, line: str) -> None:
        """Feed a typed line now if nothing is ahead of it, else queue it."""
        faults = self.session.faults
        may_sleep = faults is not None and any(r.delay_ms for r in faults.plan.rules)
        with self._lock:
            inline = self._pending == 0 and not may_sleep
            if not inline:
                self._pending += 1
        if inline:
            self._send_typed(line)
        else:
            self.queue.put(("line", line))

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1

    def _run(self) -> None:
        s = self.session
        try:
            s.open()
            self._done()
            while True:
                try:
                    kind, payload = self.queue.get(timeout=POLL_SECONDS)
                except queue.Empty:  # nothing from the browser: changes made elsewhere (IMAP IDLE)?
                    s.poll()
                    continue
                try:
                    if kind == "stop":
                        s.client_closed(payload)
                        return
                    if kind == "line":
                        self._send_typed(payload)
                    elif kind == "script":
                        try:
                            self._play(payload)
                        finally:
                            self.playing.clear()
                finally:
                    self._done()
        except Exception:  # a bug costs this session only
            log.exception("lab session %s failed", s.sid)
            s.client_closed("gone")

    def _send_typed(self, line: str) -> None:
        s = self.session
        if s.in_data and line != "." and line.startswith("."):
            line = "." + line  # dot-stuffing, as a mail client does (RFC 5321 4.5.2)
        s.feed(line.encode("utf-8") + b"\r\n")

    def _play(self, script: list[tuple[str, Any]]) -> None:
        s = self.session
        for kind, value in script:
            if s.closed:
                return
            if kind == "pause":
                time.sleep(min(value, 10_000) / 1000)
                continue
            s.feed(value.encode("utf-8") + b"\r\n")
            last = s.transcript[-1] if s.transcript else None
            if last is not None and last["kind"] == "silence":
                # A scripted client waits for a reply that never comes: it times out.
                s.client_closed("timeout")
                return


# How often an idle lab session lets its engine report others' changes (IMAP IDLE).
POLL_SECONDS = 1.0

# sid of the Socket.IO connection -> {lab session id -> LabSession}
_labs: dict[str, dict[str, LabSession]] = {}
_labs_lock = threading.Lock()
# sids of the connections watching the real ports (nothing is emitted without one)
_watchers: set[str] = set()
# sid -> the connection's language, for handlers without a Flask request
_langs: dict[str, str] = {}
# sid -> the learner whose private world the connection's labs use (cookie, or one per connection)
_learners: dict[str, str] = {}
# learner -> their recent lab sessions, oldest first, kept after the page that
# opened them is gone, so a lesson's task can be checked against them
# (docs/lessons.md). Sessions a scenario or a "show me" played are marked.
# They are kept per simulator (the app's), at most KEEP_PER_LEARNER each.
KEEP_PER_LEARNER = 30


def _recent_of(sim) -> "dict[str, collections.deque[LabSession]]":
    recent = getattr(sim, "recent_labs", None)
    if recent is None:
        recent = sim.recent_labs = {}
    return recent


def _remember(sim, learner: str, lab: "LabSession") -> None:
    with _labs_lock:
        recent = _recent_of(sim)
        kept = recent.get(learner)
        if kept is None:
            kept = recent[learner] = collections.deque(maxlen=KEEP_PER_LEARNER)
        kept.append(lab)


def learner_transcripts(sim, learner: str, protocol: str) -> list[list[dict]]:
    """The transcripts of the sessions this learner typed in (not played), oldest first."""
    with _labs_lock:
        labs = list(_recent_of(sim).get(learner, ()))
    return [list(lab.session.transcript) for lab in labs
            if not lab.scripted and lab.session.protocol == protocol]


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


def _lab(data: dict, owner: Optional[str] = None) -> LabSession:
    sid = data.get("session")
    if not isinstance(sid, str):
        raise ApiError("bad_request", detail="'session' must be a string")
    with _labs_lock:
        lab = _labs.get(owner or request.sid, {}).get(sid)
    if lab is None or lab.session.closed:
        raise ApiError("unknown_session")
    return lab


def _plan(obj: Any, seed: Any = None, protocol: str = "smtp") -> Optional[FaultPlan]:
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
    except ApiError as exc:
        message = i18n.t(lang(), f"web.error.{exc.code}", **exc.params)
        return {"ok": False, "error": {"code": exc.code, "message": message}}
    except Exception:
        log.exception("Socket.IO handler failed")
        return {"ok": False, "error": {"code": "internal",
                                       "message": i18n.t(lang(), "web.error.internal")}}
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
    owner = request.sid
    with _labs_lock:
        mine = _labs.setdefault(owner, {})
        for key in [k for k, lab in mine.items() if lab.session.closed]:
            del mine[key]
        if len(mine) >= MAX_SESSIONS:
            raise ApiError("too_many_sessions", limit=MAX_SESSIONS)
        sid = "lab-" + secrets.token_urlsafe(6)
        sim = sim_of(current_app)

        server = socketio.server

        def emit(name: str, payload: dict, _to=owner) -> None:
            server.emit(name, payload, to=_to)

        mailboxes = sim.learner_mailboxes(_learners.get(owner, f"conn-{owner}"))
        session = Session(sid, sim.new_engine(protocol, mailboxes, owner=sid), faults=FaultRuntime(plan),
                          store=mailboxes,
                          listener=emit, protocol=protocol,
                          peer="lab")
        lab = LabSession(session)
        mine[sid] = lab
    learner = _learners.get(owner)
    if learner and not learner.startswith("conn-"):
        _remember(sim, learner, lab)
    return lab


@socketio.on("lab.open")
@api
def lab_open(data):
    """Browser asks for a new simulated connection; the greeting follows as events."""
    data = _payload(data, protocol=str)
    protocol = data["protocol"].lower()
    lab = _open(protocol, _plan(data.get("faults"), data.get("seed"), protocol if protocol in PROTOCOLS else "smtp"))
    lab.start()
    return {"session": lab.session.sid}


def lab_send(owner: str, data=None, *extra):
    """Browser sends one line (a command, or a message line in DATA).

    The one hot path of the API, so it is registered on python-socketio
    directly (see attach): no Flask request context is built per line.
    """
    return _ack(lambda: _send(owner, data), lambda: _langs.get(owner, i18n.DEFAULT_LANGUAGE))


def _send(owner: str, data) -> dict:
    data = _payload(data, session=str, line=str)
    lab = _lab(data, owner)
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
    from simulator.course.check import solution_plan, solution_script
    from simulator.course.progress import personal_name
    from simulator.web.lessons import find_task
    data = _payload(data, lesson=str, task=str)
    task = find_task(data["lesson"][:80], data["task"][:80])
    if task is None or task.solution is None or not task.protocol:
        raise ApiError("unknown_task", name=f"{data['lesson'][:60]}/{data['task'][:60]}")
    learner = _learners.get(request.sid, "")
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
        journey = run_journey(sim_of(current_app), _learners.get(request.sid, f"conn-{request.sid}"),
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
    with _labs_lock:
        _watchers.add(request.sid)
    return {"sessions": sim_of(current_app).live_sessions(),
            "ports": dict(sim_of(current_app).ports)}


@socketio.on("live.unwatch")
@api
def live_unwatch(data):
    """Browser stops watching the real ports."""
    leave_room(LIVE_ROOM)
    with _labs_lock:
        _watchers.discard(request.sid)
    return {}


@socketio.on("live.history")
@api
def live_history(data):
    """Browser asks for the transcript so far of one real-port session."""
    data = _payload(data, session=str)
    session = sim_of(current_app).live_session(data["session"])
    if session is None:
        raise ApiError("unknown_session")
    return {"exchanges": list(session.transcript), "info": session.info()}


@socketio.on("connect")
def on_connect(*_args):
    """A browser connects: remember its language for the messages it may get."""
    with _labs_lock:
        _langs[request.sid] = current_language()
        # No cookie (a script, say): a throw-away world of this connection's own.
        _learners[request.sid] = current_learner() or f"conn-{request.sid}"


@socketio.on("disconnect")
def on_disconnect(*_args):
    """The browser went away: hang up every lab session it had open."""
    with _labs_lock:
        mine = _labs.pop(request.sid, {})
        _watchers.discard(request.sid)
        _langs.pop(request.sid, None)
        learner = _learners.pop(request.sid, None)
    for lab in mine.values():
        lab.put("stop", "gone")
    if learner and learner.startswith("conn-"):  # its labs or journeys may have made realms
        sim_of(current_app).forget_learner(learner)


@socketio.on_error_default
def on_error(exc):  # pragma: no cover - handlers already catch everything
    log.exception("Socket.IO handler error: %s", exc)
    return {"ok": False, "error": {"code": "internal", "message": "internal error"}}


def attach(app) -> None:
    """Mirror the real ports' sessions to the browsers watching the Live page."""
    sim = sim_of(app)

    def to_watchers(name: str, payload: dict) -> None:
        if _watchers:
            socketio.emit(name, payload, to=LIVE_ROOM)

    sim.live_listeners.append(to_watchers)
    socketio.server.on("lab.send", lab_send)
