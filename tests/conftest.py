"""Shared fixtures: a real `mailsim serve` process, and Chromium for Playwright."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    http_port: int
    smtp_port: int
    data_dir: Path
    teacher_key: str
    process: subprocess.Popen
    output: Path
    pop3_port: Optional[int] = None
    imap_port: Optional[int] = None

    def health(self) -> dict:
        with urllib.request.urlopen(self.url + "/healthz", timeout=5) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(tmp: Path, *extra: str, host: str = "127.0.0.1") -> RunningServer:
    """Start `python -m simulator serve` on free ports and wait until /healthz answers."""
    http_port = free_port()
    data_dir = tmp / "data"
    out = tmp / "server.log"
    cmd = [sys.executable, "-m", "simulator", "serve", "--host", host, "--port", str(http_port),
           "--smtp-port", "0", "--pop3-port", "0", "--imap-port", "0",
           "--data", str(data_dir), "--threads", "64", *extra]
    fh = open(out, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://{host}:{http_port}"
    deadline = time.monotonic() + 30
    health = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mailsim serve exited: {out.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                health = json.loads(resp.read())
            if health["ports"].get("http"):
                break
        except OSError:
            time.sleep(0.1)
    if health is None:
        proc.kill()
        raise RuntimeError(f"mailsim serve did not start: {out.read_text()}")
    key = (data_dir / "teacher.key").read_text().strip()
    ports = health["ports"]
    return RunningServer(url, http_port, ports["smtp"], data_dir, key, proc, out,
                         ports.get("pop3"), ports.get("imap"))


TEACHER_KEY = "teacher-key-for-tests-0123"


@pytest.fixture(autouse=True)
def _english_terminal(monkeypatch):
    """The command line speaks the terminal's language (i18n.terminal_language); tests expect English
    unless they ask for another, whatever the machine's locale."""
    monkeypatch.setenv("MAILSIM_LANG", "en")


@pytest.fixture
def sim(tmp_path):
    """A MailSim of its own (data in a temporary folder, the teacher key TEACHER_KEY)."""
    from simulator.app import Simulator
    s = Simulator(data_dir=tmp_path / "data", teacher_key=TEACHER_KEY)
    yield s
    s.store.close()


@pytest.fixture
def clock():
    """A clock the test moves (``clock.now += ...``), for quizzes and progress."""
    from quizkit import Clock
    return Clock()


@pytest.fixture
def bank():
    """A small bank of real quiz questions (tests/quizkit.py)."""
    from quizkit import FakeBank
    return FakeBank()


@pytest.fixture
def app(sim):
    """The Flask app around ``sim``."""
    from simulator.web import create_app
    return create_app({"TESTING": True}, simulator=sim)


@pytest.fixture
def web(app):
    """A test client of ``app`` (no cookie until a page gives one)."""
    return app.test_client()


@pytest.fixture(scope="session")
def mailsim_server(tmp_path_factory):
    """One real server (HTTP + Socket.IO + SMTP port) for the whole test session."""
    server = start_server(tmp_path_factory.mktemp("mailsim"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (CI installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1400, "height": 900}}


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def clear_faults(server) -> None:
    req = urllib.request.Request(server.url + "/api/faults", method="DELETE")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200
