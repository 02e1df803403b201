"""Lab sessions: a browser's simulated connections, each fed in order, and who holds them.

A :class:`LabSession` wraps one :class:`~simulator.lab.session.Session`
with the worker thread that feeds it lines in order. :class:`Labs` is the
registry a running MailSim keeps (one, on the composition root): which
connection holds which lab sessions, each connection's language and
learner, who watches the real ports, and each learner's recent sessions (a
lesson's task is checked against them after the page that opened them is
gone). The web layer's Socket.IO handlers only look things up here; nothing
here knows Flask or Socket.IO.

May import ``simulator.lab`` and below.
"""
from __future__ import annotations

import collections
import logging
import queue
import secrets
import threading
import time
from typing import Any, Callable, Optional

from simulator.lab import player
from simulator.lab.session import Session

log = logging.getLogger(__name__)

# How often an idle lab session lets its engine report others' changes (IMAP IDLE).
POLL_SECONDS = 1.0
MAX_SESSIONS = 20  # open lab sessions per connection
# A learner's recent lab sessions kept for lesson checks (docs/lessons.md).
KEEP_PER_LEARNER = 30


class LabError(Exception):
    """A request about lab sessions that cannot be met; ``code`` names it (web.error.<code>)."""

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
        # opened by this worker already; the learner may go on typing afterwards
        player.play(self.session, script, opened=True, keep_open=True, sleep=time.sleep)



class Labs:
    """Every connection's lab sessions, languages and learners, and each learner's recent sessions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._labs: dict[str, dict[str, LabSession]] = {}  # connection -> {lab session id -> LabSession}
        self._langs: dict[str, str] = {}  # connection -> its language, for handlers without a request
        self._learners: dict[str, str] = {}  # connection -> the learner whose world its labs use
        self._watchers: set[str] = set()  # connections watching the real ports
        # learner -> their recent lab sessions, oldest first; sessions a scenario
        # or a "show me" played are marked (``scripted``) and do not count.
        self._recent: dict[str, collections.deque[LabSession]] = {}

    # ------------------------------------------------------------ connections
    def connect(self, conn: str, lang: str, learner: Optional[str]) -> None:
        """A connection arrives; without a learner (no cookie: a script) it gets a throw-away world."""
        with self._lock:
            self._langs[conn] = lang
            self._learners[conn] = learner or self.throwaway(conn)

    def disconnect(self, conn: str) -> tuple[list[LabSession], Optional[str]]:
        """A connection leaves: its lab sessions (to hang up) and its learner."""
        with self._lock:
            mine = self._labs.pop(conn, {})
            self._watchers.discard(conn)
            self._langs.pop(conn, None)
            learner = self._learners.pop(conn, None)
        return list(mine.values()), learner

    @staticmethod
    def throwaway(conn: str) -> str:
        """The learner id of a connection without a cookie."""
        return f"conn-{conn}"

    @staticmethod
    def is_throwaway(learner: str) -> bool:
        return learner.startswith("conn-")

    def language(self, conn: str, default: str) -> str:
        return self._langs.get(conn, default)

    def learner(self, conn: str) -> str:
        """The learner of a connection (a throw-away one for an unknown connection)."""
        return self._learners.get(conn) or self.throwaway(conn)

    # ------------------------------------------------------------ watchers
    def watch(self, conn: str, on: bool = True) -> None:
        with self._lock:
            (self._watchers.add if on else self._watchers.discard)(conn)

    @property
    def watched(self) -> bool:
        """Does any connection watch the real ports (nothing is emitted without one)?"""
        return bool(self._watchers)

    # ------------------------------------------------------------ lab sessions
    def open(self, conn: str, make: Callable[[str], Session]) -> LabSession:
        """A new lab session of ``conn``: ``make(session id)`` builds its Session."""
        with self._lock:
            mine = self._labs.setdefault(conn, {})
            for key in [k for k, lab in mine.items() if lab.session.closed]:
                del mine[key]
            if len(mine) >= MAX_SESSIONS:
                raise LabError("too_many_sessions", limit=MAX_SESSIONS)
            sid = "lab-" + secrets.token_urlsafe(6)
            lab = LabSession(make(sid))
            mine[sid] = lab
            learner = self._learners.get(conn)
            if learner and not self.is_throwaway(learner):
                kept = self._recent.get(learner)
                if kept is None:
                    kept = self._recent[learner] = collections.deque(maxlen=KEEP_PER_LEARNER)
                kept.append(lab)
        return lab

    def get(self, conn: str, sid: Any) -> LabSession:
        """One of the connection's open lab sessions; LabError otherwise."""
        if not isinstance(sid, str):
            raise LabError("bad_request", detail="'session' must be a string")
        with self._lock:
            lab = self._labs.get(conn, {}).get(sid)
        if lab is None or lab.session.closed:
            raise LabError("unknown_session")
        return lab

    def transcripts(self, learner: str, protocol: str) -> list[list[dict]]:
        """The transcripts of the sessions this learner typed in (not played), oldest first."""
        with self._lock:
            labs = list(self._recent.get(learner, ()))
        return [list(lab.session.transcript) for lab in labs
                if not lab.scripted and lab.session.protocol == protocol]
