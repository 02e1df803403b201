"""Shared helpers for the benchmarks: servers as subprocesses, statistics, output.

Nothing here is imported by the simulator or by the tests.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ processes
def process_tree(root: int) -> list[int]:
    """A process and all its descendants, from /proc."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return found


@dataclass
class Server:
    """A server started as a subprocess (and its process group)."""

    name: str
    process: subprocess.Popen
    log: Path
    url: Optional[str] = None
    http_port: Optional[int] = None
    smtp_port: Optional[int] = None
    extra: dict = field(default_factory=dict)

    def pids(self) -> list[int]:
        """The process and all its descendants (gunicorn's master and its worker)."""
        return process_tree(self.process.pid)

    def cpu_times(self) -> tuple[float, float]:
        """(user, system) CPU seconds used so far by the whole process tree."""
        tick = os.sysconf("SC_CLK_TCK")
        user = system = 0.0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                user += int(fields[11]) / tick
                system += int(fields[12]) / tick
            except (OSError, IndexError, ValueError):
                pass
        return user, system

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the whole process tree."""
        return sum(self.cpu_times())

    def context_switches(self) -> int:
        """Voluntary + involuntary context switches of every thread of the tree so far."""
        total = 0
        for pid in self.pids():
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/status") as fh:
                        for line in fh:
                            if "ctxt_switches" in line:
                                total += int(line.split()[-1])
            except (OSError, ValueError):
                pass
        return total

    def pin(self, cpus: str) -> None:
        """Restrict every thread of the tree to ``cpus`` (e.g. "0"), as taskset does."""
        mask = {int(c) for c in cpus.split(",")}
        for pid in self.pids():
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    os.sched_setaffinity(int(tid), mask)
            except OSError:
                pass

    def worker_pid(self) -> int:
        """The deepest process: gunicorn's worker, or the server itself."""
        return self.pids()[-1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _spawn(name: str, cmd: list[str], workdir: Path) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"{name}.log"
    fh = open(log, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return proc, log


def _wait_http(proc: subprocess.Popen, log: Path, url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                health = json.loads(resp.read())
            if health.get("ports", {}).get("http"):
                return health
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{url}: server did not answer /healthz: {log.read_text()[-3000:]}")


def _wait_smtp(proc: subprocess.Popen, log: Path, port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"SMTP server exited: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"SMTP server on {port} did not greet: {log.read_text()[-3000:]}")


def start_mailsim(workdir: Path, threads: int = 256, smtp: bool = True,
                  variant: Optional[str] = None) -> Server:
    """``python -m simulator serve`` on free ports, as tests/conftest.py starts it.

    With ``variant`` (comma-separated patch names), MailSim runs through
    benchmarks/mailsim_variant.py with those experimental patches.
    """
    port = free_port()
    serve = ["serve", "--host", HOST, "--port", str(port),
             "--smtp-port", "0" if smtp else "off", "--pop3-port", "off", "--imap-port", "off", "--data", str(workdir / "mailsim-data"),
             "--threads", str(threads)]
    if variant:
        cmd = [sys.executable, str(BENCH / "mailsim_variant.py"), "--patch", variant, "--", *serve]
    else:
        cmd = [sys.executable, "-m", "simulator", *serve]
    name = f"mailsim+{variant}" if variant else "mailsim"
    proc, log = _spawn(name.replace(",", "_"), cmd, workdir)
    url = f"http://{HOST}:{port}"
    health = _wait_http(proc, log, url)
    smtp_port = health["ports"].get("smtp")
    server = Server(name, proc, log, url, port, smtp_port)
    if smtp_port:
        _wait_smtp(proc, log, smtp_port)
    return server


def start_echo(workdir: Path, flavour: str = "bare", threads: int = 256) -> Server:
    port = free_port()
    cmd = [sys.executable, str(BENCH / "echo_server.py"), "--host", HOST, "--port", str(port),
           "--threads", str(threads), "--flavour", flavour]
    proc, log = _spawn(f"echo-{flavour}", cmd, workdir)
    url = f"http://{HOST}:{port}"
    _wait_http(proc, log, url)
    return Server(f"echo-{flavour}", proc, log, url, port)


def start_aiosmtpd(workdir: Path) -> Server:
    """aiosmtpd with its Sink handler (accepts and discards every message).

    The handler is named explicitly: aiosmtpd 1.4's default is Debugging,
    which prints every message to stdout.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
           "-l", f"{HOST}:{port}"]
    proc, log = _spawn("aiosmtpd", cmd, workdir)
    _wait_smtp(proc, log, port)
    return Server("aiosmtpd", proc, log, smtp_port=port)


def workdir(prefix: str) -> Path:
    """A scratch folder for the servers' logs and data (kept if a run fails)."""
    return Path(tempfile.mkdtemp(prefix=f"mailsim-bench-{prefix}-"))


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------- statistics
def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def machine() -> dict:
    import importlib.metadata as md

    versions = {}
    for dist in ("python-socketio", "python-engineio", "Flask-SocketIO", "Flask", "gunicorn",
                 "simple-websocket", "websocket-client", "aiosmtpd"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            versions[dist] = None
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "cpu_busy_at_end": round(cpu_busy(0.5), 3),
        "cpu": cpu,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
    }


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of the machine's CPU time that was busy over ``seconds`` (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return 0.0
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_quiet(max_wait: float, threshold: float = 0.15) -> float:
    """Wait (up to ``max_wait`` seconds) until the CPU is quiet; return the last busy share.

    On a shared machine (other people's test runs, a browser) this keeps a
    measurement from overlapping the worst of them; the share is recorded
    with each result either way.
    """
    deadline = time.monotonic() + max_wait
    while True:
        busy = cpu_busy(1.0)
        if busy <= threshold or time.monotonic() >= deadline:
            return busy


def busy_warning() -> Optional[str]:
    """A warning when something else keeps the CPU busy (the figures would be noisy).

    The load average is no guide here: the benchmarks' own client threads
    inflate it for a minute after each run.
    """
    busy = cpu_busy()
    if busy > 0.15:
        return (f"warning: the CPU was {busy:.0%} busy before the run (other processes): "
                f"expect noisy figures")
    return None


def git_commit() -> Optional[str]:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def write_results(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "commit": git_commit(), "machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if n and i else c.ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
