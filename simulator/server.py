"""The process-wide simulator: world, mailboxes, the real ports' fault plans,
the teacher key and the registry of live real-port sessions.

The web layer and the TCP listeners both hold the same :class:`Simulator`, so
a message sent through the real port lands in the same mailboxes and every
real-port session is mirrored to the browsers watching the Live page.
"""
from __future__ import annotations

import itertools
import os
import secrets
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Optional

from .faults import FaultPlan, FaultRuntime
from .mailstore import MailStore
from .protocols import replies
from .protocols.smtp import SmtpEngine
from .session import Session
from .world import World

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
                 smtp_faults: Optional[FaultPlan] = None, teacher_key: Optional[str] = None,
                 host: str = "127.0.0.1"):
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.world = world or World.load()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = MailStore(path=self.data_dir / "mail.sqlite3", world=self.world)
        self.host = host
        self.teacher_key = teacher_key
        self.ports: dict[str, Optional[int]] = {"http": None, "smtp": None}
        self._plan_lock = threading.Lock()
        self._port_runtimes: dict[str, FaultRuntime] = {
            "smtp": FaultRuntime(smtp_faults or FaultPlan()),
        }
        self._live: "OrderedDict[str, Session]" = OrderedDict()
        self._live_lock = threading.Lock()
        self._live_ids = itertools.count(1)
        self.live_listeners: list[Callable[[str, dict], None]] = []

    # ------------------------------------------------------------- faults
    def port_plan(self, protocol: str = "smtp") -> FaultPlan:
        return self._port_runtimes[protocol].plan

    def set_port_plan(self, plan: FaultPlan, protocol: str = "smtp") -> None:
        """Replace a real port's plan; its counters and random stream restart."""
        with self._plan_lock:
            self._port_runtimes[protocol] = FaultRuntime(plan)

    @property
    def loopback_only(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")

    # --------------------------------------------------------------- lab
    def new_engine(self, protocol: str = "smtp"):
        if protocol != "smtp":
            raise KeyError(protocol)
        return SmtpEngine(self.world)

    def learner_mailboxes(self, learner: str):
        """A learner's private copy of the world, made on first use."""
        return self.store.realm(f"learner:{learner}")

    def forget_learner(self, learner: str) -> None:
        self.store.drop_realm(f"learner:{learner}")

    # ---------------------------------------------------------- real port
    def new_port_session(self, peer: str, conn, protocol: str = "smtp") -> Session:
        sid = f"live-{next(self._live_ids)}"
        session = Session(
            sid,
            self.new_engine(protocol),
            faults=self._port_runtimes[protocol],
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

    def live_session(self, sid: str) -> Optional[Session]:
        with self._live_lock:
            return self._live.get(sid)

    def _live_event(self, name: str, payload: dict) -> None:
        for listener in list(self.live_listeners):
            listener(name, payload)

    @staticmethod
    def busy_reply():
        return replies.reply("421.too_busy")

    @staticmethod
    def timeout_reply():
        return replies.reply("421.timeout")
