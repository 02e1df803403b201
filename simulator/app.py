"""The composition root: everything a running MailSim holds, built in one place.

:class:`Simulator`'s attributes are the whole state of a process: the world,
the store (every realm's mailboxes), lesson progress and the course files,
quizzes, the browser's lab sessions, the real ports' fault plan and live
sessions, the teacher key and the bound ports. The web layer and the TCP
listeners hold the same one, so a message sent through a real port lands in
the same mailboxes and every real-port session is mirrored to the browsers
watching the Live page. Nothing else builds these; nothing attaches more to
it later.

May import every package below the web layer; the web layer and the CLI
import it.
"""
from __future__ import annotations

import itertools
import os
import secrets
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Optional

from simulator.course.lessons import CourseFiles
from simulator.course.progress import Progress
from simulator.lab.faults import FaultPlan, FaultRuntime
from simulator.lab.labs import Labs
from simulator.lab.session import Session, make_engine
from simulator.mail.world import World
from simulator.protocols.registry import PROTOCOLS, spec
from simulator.quiz.attempts import Quizzes
from simulator.store import realms
from simulator.store.db import MailStore

# A learner's copy of the world not used for this long is dropped when the server starts.
LEARNER_EXPIRY = 365 * 24 * 3600.0
LIVE_KEEP = 50  # finished real-port sessions kept for the Live page


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "mailsim"


def load_teacher_key(data_dir: Path) -> tuple[str, bool]:
    """The teacher key kept in the data folder, created on first run.

    Returns ``(key, created)``; the caller prints a newly created key once.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "teacher.key"
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key, False
    key = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key, True


class Simulator:
    """State shared by the browser lab, the real ports and the REST API."""

    def __init__(self, *, data_dir: Optional[Path] = None, world: Optional[World] = None,
                 port_faults: Optional[FaultPlan] = None, teacher_key: Optional[str] = None,
                 host: str = "127.0.0.1", lessons_dir: Optional[Path] = None):
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.world = world or World.load()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = MailStore(path=self.data_dir / "mail.sqlite3", world=self.world)
        self.progress = Progress(self.store)  # lesson progress, in the store
        self.quizzes = Quizzes(self.store)  # quizzes, attempts and results, in the store
        self.course = CourseFiles(lessons_dir)  # the lessons, reloaded when a file changes
        self.labs = Labs()  # the browsers' lab sessions and who holds them
        self.host = host
        self.teacher_key = teacher_key
        # The address learners reach MailSim at (``mailsim serve --public-url``), or None to work it
        # out per request (web.common.public_url).
        self.public_url: Optional[str] = None
        self.ports: dict[str, Optional[int]] = {"http": None, **{p: None for p in PROTOCOLS}}
        self._plan_lock = threading.Lock()
        # One plan for every real port: each rule names its protocol, and each
        # session asks only about its own (a greylisted client that retries on
        # a new connection shares the counters).
        self._port_runtime = FaultRuntime(port_faults or FaultPlan())
        self._live: "OrderedDict[str, Session]" = OrderedDict()
        self._live_lock = threading.Lock()
        self._live_ids = itertools.count(1)
        self.live_listeners: list[Callable[[str, dict], None]] = []

    # ------------------------------------------------------------- faults
    def port_plan(self, protocol: Optional[str] = None) -> FaultPlan:
        """The real ports' plan, or only the rules for ``protocol`` (as that protocol's plan)."""
        plan = self._port_runtime.plan
        if protocol is None:
            return plan
        return FaultPlan(seed=plan.seed, protocol=protocol,
                         rules=tuple(r for r in plan.rules if r.protocol == protocol))

    def set_port_plan(self, plan: FaultPlan, protocol: Optional[str] = None) -> None:
        """Replace the real ports' plan (or only ``protocol``'s rules); the counters and random stream restart."""
        with self._plan_lock:
            if protocol is not None:
                others = tuple(r for r in self._port_runtime.plan.rules if r.protocol != protocol)
                mine = tuple(r for r in plan.rules if r.protocol == protocol)
                plan = FaultPlan(seed=plan.seed, rules=others + mine)
            self._port_runtime = FaultRuntime(plan)

    @property
    def loopback_only(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")

    # --------------------------------------------------------------- lab
    def new_engine(self, protocol: str = "smtp", mailboxes=None, owner: str = "lab"):
        """A fresh engine for one connection; POP3/IMAP read ``mailboxes`` (default: the server's realm)."""
        return make_engine(self.world, protocol, mailboxes if mailboxes is not None else self.store.server, owner)

    def learner_mailboxes(self, learner: str):
        """A learner's private copy of the world, made on first use."""
        return self.store.realm(realms.learner(learner))

    def expire_learners(self) -> list[str]:
        """Drop learners' copies of the world nobody has used for LEARNER_EXPIRY (at start-up)."""
        return self.store.expire_realms(realms.LEARNER_PREFIX, LEARNER_EXPIRY)

    def forget_learner(self, learner: str) -> None:
        """Drop a throw-away learner's realms (their world, and the journey's sender side)."""
        for realm in realms.learner_realms(learner):
            self.store.drop_realm(realm)

    # ---------------------------------------------------------- real port
    def new_port_session(self, peer: str, conn, protocol: str = "smtp") -> Session:
        sid = f"live-{next(self._live_ids)}"
        session = Session(
            sid,
            self.new_engine(protocol, owner=sid),
            faults=self._port_runtime,
            store=self.store.server,
            listener=self._live_event,
            write=conn.write,
            close=conn.close,
            protocol=protocol,
            peer=peer,
        )
        with self._live_lock:
            self._live[sid] = session
            excess = len(self._live) - LIVE_KEEP
            if excess > 0:  # forget the oldest finished sessions; open ones stay
                for old in [k for k, s in self._live.items() if s.closed][:excess]:
                    del self._live[old]
        self._live_event("live.session", {
            "session": sid, "peer": peer, "protocol": protocol,
            "port": self.ports.get(protocol), "started": session.started_wall,
        })
        return session

    def live_sessions(self) -> list[dict]:
        with self._live_lock:
            return [s.info() for s in self._live.values()]

    def live_transcripts(self, protocol: str) -> list[list[dict]]:
        """The real ports' recent sessions of ``protocol``, oldest first, as transcripts (a lesson's check)."""
        with self._live_lock:
            sessions = [s for s in self._live.values() if s.protocol == protocol]
        return [list(s.transcript) for s in sessions]

    def live_session(self, sid: str) -> Optional[Session]:
        with self._live_lock:
            return self._live.get(sid)

    def _live_event(self, name: str, payload: dict) -> None:
        for listener in list(self.live_listeners):
            listener(name, payload)

    def busy_reply(self, protocol: str = "smtp"):
        """What a port says when it has too many connections, then closes."""
        return spec(protocol).busy_reply(self.world)

    def timeout_reply(self, protocol: str = "smtp"):
        """What a port says to a connection idle too long, before it closes."""
        return self.new_engine(protocol, owner="timeout").timeout_reply()
