"""POP3 RETR and IMAP FETCH throughput through real ports: MailSim against Dovecot.

Both servers run in the same run on 127.0.0.1 with the same users (alice,
bob) and the same ``--messages`` x ``--size`` messages in each INBOX (Dovecot:
written into its Maildirs; MailSim: delivered over its SMTP port before any
timing). Tests: ``pop3-retr`` (USER, PASS, STAT, RETR 1..n, QUIT; at most one
session per maildrop, so 1 and 2 clients), ``imap-body`` and ``imap-header``
(LOGIN, EXAMINE, UID FETCH in batches of BODY.PEEK[] or BODY.PEEK[HEADER],
LOGOUT; 1 and 10 clients). Clients are threads repeating whole sessions for
``--seconds``; each figure is the median of ``--rounds`` alternating rounds.
What is measured and how to read it: benchmarks/mail_access.md.

    python benchmarks/mail_access.py                     # Dovecot and MailSim (starts both)
    python benchmarks/mail_access.py --only-reference    # Dovecot alone
    python benchmarks/mail_access.py --install           # apt-get install Dovecot/Postfix if missing
    python benchmarks/mail_access.py --mailsim-pop3 127.0.0.1:1100 --mailsim-imap 127.0.0.1:1430 \\
        --mailsim-smtp 127.0.0.1:2525                    # a MailSim already running

Target: MailSim >= Dovecot (messages/s ratio mailsim/dovecot >= 1), for each test.
"""
from __future__ import annotations

import argparse
import re
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import reference_servers as refs  # noqa: E402

TARGET_RATIO = 1.0
TESTS = ("pop3-retr", "imap-body", "imap-header")
USERS = list(refs.USERS.items())  # [(login, password), ...]
TIMEOUT = 60.0
MAX_LINE = 1 << 20


# ------------------------------------------------------------------ messages
def make_message(n: int, size: int) -> bytes:
    """Message ``n`` (1-based) of exactly ``size`` bytes (CRLF lines, none starting with '.')."""
    head = (f"From: Alice Liddell <alice@example.org>\r\n"
            f"To: Bob Smith <bob@example.org>\r\n"
            f"Subject: benchmark message {n}\r\n"
            f"Date: Fri, 27 Nov 2026 12:00:00 +0000\r\n"
            f"Message-ID: <bench-{n}@example.org>\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n"
            f"\r\n").encode("ascii")
    words = f"message {n} of the mail access benchmark, line "
    body = bytearray()
    line = 0
    room = max(0, size - len(head))
    while len(body) < room:
        line += 1
        text = f"{words}{line:05d} " + "x" * 20
        body += text.encode("ascii")[:70] + b"\r\n"
    body = body[:room]
    if room >= 2:  # end on CRLF, keeping the exact size
        body[-2:] = b"\r\n"
        if len(body) >= 3 and body[-3:-2] == b"\r":
            body[-3:-2] = b"z"
    return head + bytes(body)


# -------------------------------------------------------------------- client
class Wire:
    """A blocking TCP client with a buffer; scans with bytearray.find, skips without copies."""

    def __init__(self, host: str, port: int, timeout: float = TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _compact(self) -> None:
        if self.pos > 65536 or self.pos == len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def line(self) -> bytes:
        """The next line, without its CRLF."""
        self._compact()
        start = self.pos
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                out = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return out
            if len(self.buf) - self.pos > MAX_LINE:
                raise ConnectionError("line too long")
            start = max(self.pos, len(self.buf) - 1)
            self._fill()

    def skip_until(self, marker: bytes) -> int:
        """Consume everything up to and including ``marker``; return how many bytes."""
        self._compact()
        start = search = self.pos
        while True:
            i = self.buf.find(marker, search)
            if i >= 0:
                self.pos = i + len(marker)
                return self.pos - start
            search = max(start, len(self.buf) - len(marker) + 1)
            self._fill()

    def skip(self, n: int) -> None:
        self._compact()
        while len(self.buf) - self.pos < n:
            self._fill()
        self.pos += n

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ProtocolError(RuntimeError):
    pass


def _expect_ok(line: bytes, what: str) -> bytes:
    if not line.startswith(b"+OK"):
        raise ProtocolError(f"{what}: {line[:200]!r}")
    return line


def pop3_session(addr: tuple[str, int], user: str, password: str, args) -> tuple[int, int]:
    """One POP3 session reading every message with RETR; returns (messages, bytes).

    With ``args.pipeline`` = 1 (the default) each RETR waits for the previous
    reply, as common clients do; with W > 1 up to W RETRs are outstanding
    (RFC 2449 PIPELINING; only if the server's CAPA announces it).
    """
    w = Wire(*addr)
    try:
        _expect_ok(w.line(), "greeting")
        window = max(1, args.pipeline)
        if window > 1:
            w.send(b"CAPA\r\n")
            _expect_ok(w.line(), "CAPA")
            capa = []
            while (line := w.line()) != b".":
                capa.append(line.strip().upper())
            if b"PIPELINING" not in capa:
                raise ProtocolError("--pop3-pipeline: the server's CAPA does not announce PIPELINING")
        w.send(f"USER {user}\r\n".encode())
        _expect_ok(w.line(), "USER")
        w.send(f"PASS {password}\r\n".encode())
        _expect_ok(w.line(), "PASS")
        w.send(b"STAT\r\n")
        count = int(_expect_ok(w.line(), "STAT").split()[1])
        total = sent = 0
        for n in range(1, count + 1):
            if sent < min(count, n - 1 + window):
                upto = min(count, n - 1 + window)
                w.send(b"".join(b"RETR %d\r\n" % i for i in range(sent + 1, upto + 1)))
                sent = upto
            _expect_ok(w.line(), f"RETR {n}")
            w._compact()
            if w.buf.startswith(b".\r\n", w.pos):  # an empty message
                w.pos += 3
                total += 3
            else:
                total += w.skip_until(b"\r\n.\r\n")
        w.send(b"QUIT\r\n")
        _expect_ok(w.line(), "QUIT")
        return count, total
    finally:
        w.close()


class Imap:
    """Just enough IMAP4rev1 client for the benchmark (RFC 3501 literals in replies)."""

    def __init__(self, addr: tuple[str, int]):
        self.w = Wire(*addr)
        self.n = 0
        greeting = self.w.line()
        if not greeting.startswith(b"* OK"):
            raise ProtocolError(f"greeting: {greeting[:200]!r}")

    def command(self, text: str, on_line: Optional[Callable[[bytes], None]] = None) -> tuple[int, int]:
        """Send a command, read to its tagged reply; return (literals, literal bytes)."""
        self.n += 1
        tag = b"b%d" % self.n
        self.w.send(tag + b" " + text.encode() + b"\r\n")
        literals = size = 0
        w = self.w
        while True:
            line = w.line()
            while line.endswith(b"}"):
                brace = line.rfind(b"{")
                n = int(line[brace + 1:-1])
                w.skip(n)
                literals += 1
                size += n
                line = w.line()
            if line.startswith(tag + b" "):
                if line[len(tag) + 1:len(tag) + 3] != b"OK":
                    raise ProtocolError(f"{text.split()[0]}: {line[:200]!r}")
                return literals, size
            if on_line is not None:
                on_line(line)

    def close(self) -> None:
        self.w.close()


_UID = re.compile(rb"UID (\d+)")


def imap_session(addr: tuple[str, int], user: str, password: str, args) -> tuple[int, int]:
    """LOGIN, EXAMINE, UIDs, UID FETCH in batches, LOGOUT; returns (messages, bytes)."""
    item = "BODY.PEEK[HEADER]" if args.test == "imap-header" else "BODY.PEEK[]"
    imap = Imap(addr)
    try:
        imap.command(f"LOGIN {user} {password}")
        imap.command("EXAMINE INBOX")
        uids: list[int] = []

        def on_uid(line: bytes) -> None:
            m = _UID.search(line)
            if m and b" FETCH " in line:
                uids.append(int(m.group(1)))

        imap.command("UID FETCH 1:* (UID)", on_uid)
        uids.sort()
        messages = total = 0
        for i in range(0, len(uids), args.batch):
            chunk = uids[i:i + args.batch]
            got, size = imap.command(f"UID FETCH {chunk[0]}:{chunk[-1]} ({item})")
            messages += got
            total += size
        imap.command("LOGOUT")
        return messages, total
    finally:
        imap.close()


SESSIONS = {"pop3-retr": ("pop3", pop3_session), "imap-body": ("imap", imap_session),
            "imap-header": ("imap", imap_session)}


# --------------------------------------------------------------------- rounds
@dataclass
class Target:
    name: str
    addrs: dict  # protocol -> (host, port)
    server: Optional[object] = None  # has pids() when we started it
    extra: dict = field(default_factory=dict)

    def cpu(self) -> float:
        if self.server is None:
            return float("nan")
        return sum(refs.tree_cpu_times(self.server.pids()))


class RoundArgs:
    def __init__(self, test: str, batch: int, pipeline: int = 1):
        self.test = test
        self.batch = batch
        self.pipeline = pipeline


def run_round(target: Target, test: str, clients: int, seconds: float, batch: int,
              expect: Optional[int] = None, pipeline: int = 1) -> dict:
    """``clients`` threads repeat sessions until ``seconds`` are up; figures of the round."""
    protocol, session = SESSIONS[test]
    addr = target.addrs[protocol]
    args = RoundArgs(test, batch, pipeline)
    user_locks = {login: threading.Lock() for login, _ in USERS}
    lock_users = protocol == "pop3"  # POP3: one session per maildrop at a time
    barrier = threading.Barrier(clients + 1)
    results = [None] * clients
    ends = [0.0] * clients

    def client(i: int) -> None:
        login, password = USERS[i % len(USERS)]
        messages = size = sessions = 0
        error = None
        try:
            barrier.wait(TIMEOUT)
            deadline = time.perf_counter() + seconds
            while True:
                if lock_users:
                    with user_locks[login]:
                        got, nbytes = session(addr, login, password, args)
                else:
                    got, nbytes = session(addr, login, password, args)
                if expect is not None and got != expect:
                    raise ProtocolError(f"{login}: a session read {got} messages, expected {expect}")
                messages += got
                size += nbytes
                sessions += 1
                if time.perf_counter() >= deadline:
                    break
        except BaseException as exc:  # reported below
            error = exc
            try:
                barrier.abort()
            except Exception:
                pass
        ends[i] = time.perf_counter()
        results[i] = (messages, size, sessions, error)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    cpu0, mine0 = target.cpu(), time.process_time()
    barrier.wait(TIMEOUT)
    t0 = time.perf_counter()
    for t in threads:
        t.join(TIMEOUT + seconds * 4)
    t1 = max(ends) if all(ends) else time.perf_counter()
    cpu1, mine1 = target.cpu(), time.process_time()
    errors = [r[3] for r in results if r and r[3] is not None]
    if errors or any(r is None for r in results):
        raise RuntimeError(f"{target.name} {test} x{clients}: {errors[0] if errors else 'client hung'}")
    messages = sum(r[0] for r in results)
    size = sum(r[1] for r in results)
    wall = t1 - t0
    return {
        "target": target.name, "test": test, "clients": clients,
        "pop3_pipeline": pipeline if protocol == "pop3" else None,
        "seconds": wall, "sessions": sum(r[2] for r in results),
        "messages": messages, "bytes": size,
        "messages_per_s": messages / wall, "mb_per_s": size / wall / 1e6,
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_us_per_msg": (cpu1 - cpu0) / messages * 1e6 if messages else None,
        "client_cpu_s": mine1 - mine0,
        "client_cpu_us_per_msg": (mine1 - mine0) / messages * 1e6 if messages else None,
        "per_client_messages": [r[0] for r in results],
    }


# ----------------------------------------------------------------- MailSim
def parse_addr(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or common.HOST, int(port)


def start_mailsim_ports(workdir: Path) -> common.Server:
    """``python -m simulator serve`` with SMTP, POP3 and IMAP on free ports (read from /healthz)."""
    port = common.free_port()
    cmd = [sys.executable, "-m", "simulator", "serve", "--host", common.HOST, "--port", str(port),
           "--smtp-port", "0", "--pop3-port", "0", "--imap-port", "0",
           "--data", str(workdir / "mailsim-data")]
    proc, log = common._spawn("mailsim", cmd, workdir)
    time.sleep(0.5)
    if proc.poll() is not None:
        text = log.read_text(errors="replace")
        if "unrecognized arguments" in text:
            raise RuntimeError("this MailSim has no --pop3-port/--imap-port yet: run with --only-reference, "
                               "or point --mailsim-pop3/--mailsim-imap at a running one")
        raise RuntimeError(f"MailSim exited: {text[-2000:]}")
    health = common._wait_http(proc, log, f"http://{common.HOST}:{port}")
    ports = health.get("ports", {})
    missing = [p for p in ("smtp", "pop3", "imap") if not ports.get(p)]
    if missing:
        proc.terminate()
        proc.wait(10)
        raise RuntimeError(f"MailSim's /healthz names no port for {', '.join(missing)}: {ports}")
    server = common.Server("mailsim", proc, log, f"http://{common.HOST}:{port}", port, ports["smtp"],
                           extra={"ports": ports})
    common._wait_smtp(proc, log, ports["smtp"])
    return server


def deliver_over_smtp(addr: tuple[str, int], messages: list[bytes], recipients: list[str]) -> None:
    with smtplib.SMTP(*addr, timeout=TIMEOUT) as smtp:
        smtp.ehlo("bench.example.net")
        for raw in messages:
            refused = smtp.sendmail("alice@example.org", recipients, raw)
            if refused:
                raise RuntimeError(f"MailSim refused {refused} while preloading")


def empty_inbox(addr: tuple[str, int], user: str, password: str) -> int:
    """Delete every message of the user's INBOX over POP3 (DELE each, QUIT); returns how many.

    A fresh MailSim data folder holds the world's sample mail (since the
    schema-3 fix); the benchmark needs exactly its own messages in each INBOX.
    """
    w = Wire(*addr)
    try:
        _expect_ok(w.line(), "greeting")
        for cmd in (f"USER {user}", f"PASS {password}"):
            w.send(cmd.encode() + b"\r\n")
            _expect_ok(w.line(), cmd.split()[0])
        w.send(b"STAT\r\n")
        count = int(_expect_ok(w.line(), "STAT").split()[1])
        for n in range(1, count + 1):
            w.send(b"DELE %d\r\n" % n)
            _expect_ok(w.line(), f"DELE {n}")
        w.send(b"QUIT\r\n")
        _expect_ok(w.line(), "QUIT")
        return count
    finally:
        w.close()


def inbox_count(target: Target, user: str, password: str) -> int:
    """Messages in the user's INBOX: POP3 STAT, or IMAP EXAMINE's EXISTS without POP3."""
    if "pop3" not in target.addrs:
        imap = Imap(target.addrs["imap"])
        exists = []
        try:
            imap.command(f"LOGIN {user} {password}")
            imap.command("EXAMINE INBOX", lambda line: exists.append(int(line.split()[1]))
                         if line.endswith(b" EXISTS") else None)
            imap.command("LOGOUT")
        finally:
            imap.close()
        return exists[-1] if exists else 0
    w = Wire(*target.addrs["pop3"])
    try:
        _expect_ok(w.line(), "greeting")
        for cmd in (f"USER {user}", f"PASS {password}"):
            w.send(cmd.encode() + b"\r\n")
            _expect_ok(w.line(), cmd.split()[0])
        w.send(b"STAT\r\n")
        count = int(_expect_ok(w.line(), "STAT").split()[1])
        w.send(b"QUIT\r\n")
        w.line()
        return count
    finally:
        w.close()


# ------------------------------------------------------------ canned server
def serve_canned(messages: int, size: int, ready=print) -> None:
    """A trivial POP3 + IMAP server answering from memory (the ``canned`` target).

    No storage, no parsing beyond the benchmark's own commands, every reply
    prebuilt: what a client can get at most from a one-process Python
    server, and a check that the client is not the bottleneck (compare its
    CPU per message here with the other targets'). Never for figures.
    """
    import asyncio

    msgs = [make_message(n, size) for n in range(1, messages + 1)]
    retr = [b"+OK %d octets\r\n" % len(m) + m.replace(b"\r\n.", b"\r\n..") + b".\r\n" for m in msgs]
    heads = [m[:m.index(b"\r\n\r\n") + 4] for m in msgs]
    fetch = {"BODY.PEEK[]": [b"* %d FETCH (UID %d BODY[] {%d}\r\n%s)\r\n" % (i, i, len(m), m)
                             for i, m in enumerate(msgs, 1)],
             "BODY.PEEK[HEADER]": [b"* %d FETCH (UID %d BODY[HEADER] {%d}\r\n%s)\r\n" % (i, i, len(h), h)
                                   for i, h in enumerate(heads, 1)],
             "UID": [b"* %d FETCH (UID %d)\r\n" % (i, i) for i in range(1, messages + 1)]}
    total = sum(len(m) for m in msgs)

    async def pop3(reader, writer):
        writer.write(b"+OK canned POP3\r\n")
        while line := await reader.readline():
            word, _, arg = line.strip().partition(b" ")
            word = word.upper()
            if word == b"RETR" and arg.isdigit() and 1 <= int(arg) <= messages:
                writer.write(retr[int(arg) - 1])
            elif word == b"STAT":
                writer.write(b"+OK %d %d\r\n" % (messages, total))
            elif word == b"CAPA":
                writer.write(b"+OK\r\nUSER\r\nPIPELINING\r\nUIDL\r\n.\r\n")
            elif word in (b"USER", b"PASS", b"NOOP"):
                writer.write(b"+OK\r\n")
            elif word == b"QUIT":
                writer.write(b"+OK bye\r\n")
                break
            else:
                writer.write(b"-ERR\r\n")
            await writer.drain()
        await writer.drain()
        writer.close()

    async def imap(reader, writer):
        writer.write(b"* OK canned IMAP\r\n")
        while line := await reader.readline():
            tag, _, rest = line.strip().partition(b" ")
            words = rest.split(b" ")
            cmd = words[0].upper()
            if cmd == b"UID" and len(words) >= 4 and words[1].upper() == b"FETCH":
                lo, _, hi = words[2].partition(b":")
                lo = int(lo)
                hi = messages if hi == b"*" else int(hi or lo)
                item = b" ".join(words[3:]).strip(b"()").decode()
                writer.write(b"".join(fetch.get(item, fetch["UID"])[lo - 1:min(hi, messages)]))
                writer.write(tag + b" OK UID FETCH done\r\n")
            elif cmd in (b"EXAMINE", b"SELECT"):
                writer.write(b"* %d EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n%s OK [READ-ONLY] done\r\n"
                             % (messages, tag))
            elif cmd == b"LOGOUT":
                writer.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
                break
            else:
                writer.write(tag + b" OK done\r\n")
            await writer.drain()
        await writer.drain()
        writer.close()

    async def main():
        p = await asyncio.start_server(pop3, common.HOST, 0)
        i = await asyncio.start_server(imap, common.HOST, 0)
        ready(f"{p.sockets[0].getsockname()[1]} {i.sockets[0].getsockname()[1]}")
        sys.stdout.flush()
        await asyncio.gather(p.serve_forever(), i.serve_forever())

    asyncio.run(main())


class CannedServer:
    """``mail_access.py --serve-canned`` as a subprocess (for the ``canned`` target)."""

    def __init__(self, messages: int, size: int):
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-canned",
             "--messages", str(messages), "--size", str(size)],
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().split()
        if len(line) != 2:
            self.stop()
            raise RuntimeError("the canned server did not start")
        self.ports = {"pop3": int(line[0]), "imap": int(line[1])}

    def pids(self) -> list[int]:
        return [self.process.pid]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


# ---------------------------------------------------------------------- main
def summarise(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["test"], r["clients"], r["target"]), []).append(r)
    summary = []
    for (test, clients, target), rs in groups.items():
        rates = [r["messages_per_s"] for r in rs]
        summary.append({
            "test": test, "clients": clients, "target": target, "rounds": len(rs),
            "messages_per_s_median": statistics.median(rates),
            "messages_per_s_min": min(rates), "messages_per_s_max": max(rates),
            "mb_per_s_median": statistics.median(r["mb_per_s"] for r in rs),
            "server_cpu_us_per_msg_median": _median([r["server_cpu_us_per_msg"] for r in rs]),
            "client_cpu_us_per_msg_median": _median([r["client_cpu_us_per_msg"] for r in rs]),
        })
    ratios = []
    by = {(s["test"], s["clients"], s["target"]): s for s in summary}
    for (test, clients, target), s in by.items():
        ref = by.get((test, clients, "dovecot"))
        if target != "dovecot" and ref:
            ratio = s["messages_per_s_median"] / ref["messages_per_s_median"]
            ratios.append({"test": test, "clients": clients, "server": target, "reference": "dovecot",
                           "ratio": ratio, "met": ratio >= TARGET_RATIO})
    return summary, ratios


def _median(values):
    values = [v for v in values if v is not None and v == v]
    return statistics.median(values) if values else None


def _fmt(v, spec=".0f"):
    return "-" if v is None else format(v, spec)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="POP3 RETR / IMAP FETCH messages/s: MailSim vs Dovecot")
    parser.add_argument("--tests", nargs="+", default=list(TESTS), choices=TESTS)
    parser.add_argument("--messages", type=int, default=1000, help="messages in each INBOX (default 1000)")
    parser.add_argument("--size", type=int, default=4096, help="bytes per message, CRLF (default 4096)")
    parser.add_argument("--pop3-clients", type=int, nargs="+", default=[1, 2],
                        help="parallel POP3 clients (default 1 2; more than 2 take turns on the 2 users)")
    parser.add_argument("--imap-clients", type=int, nargs="+", default=[1, 10],
                        help="parallel IMAP clients (default 1 10)")
    parser.add_argument("--batch", type=int, default=100, help="UIDs per UID FETCH command (default 100)")
    parser.add_argument("--pop3-pipeline", type=int, default=1, metavar="W",
                        help="RETRs outstanding at once (default 1: each waits for its reply; "
                             "W > 1 needs PIPELINING in the server's CAPA)")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of a round (default 2 s)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per figure, median taken (default 5)")
    parser.add_argument("--targets", nargs="+", default=["dovecot", "mailsim"], choices=["dovecot", "mailsim", "canned"],
                        help="dovecot, mailsim (default: both); canned: a trivial Python server "
                             "answering from memory, to check the client's own cost")
    parser.add_argument("--only-reference", action="store_true", help="Dovecot alone (same as --targets dovecot)")
    parser.add_argument("--mailsim-pop3", metavar="HOST:PORT", help="use a running MailSim's POP3 port")
    parser.add_argument("--mailsim-imap", metavar="HOST:PORT", help="use a running MailSim's IMAP port")
    parser.add_argument("--mailsim-smtp", metavar="HOST:PORT",
                        help="with --mailsim-pop3/--mailsim-imap: its SMTP port, to preload the messages")
    parser.add_argument("--no-preload", action="store_true",
                        help="with a running MailSim: its INBOXes already hold the messages")
    parser.add_argument("--install", action="store_true", help="apt-get install Dovecot if it is missing")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each round wait up to this long for an idle CPU")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (configs, logs, data)")
    parser.add_argument("--no-json", action="store_true", help="do not write benchmarks/results/*.json")
    parser.add_argument("--serve-canned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_canned:
        serve_canned(args.messages, args.size)
        return 0
    if args.only_reference:
        args.targets = ["dovecot"]

    refs.ensure_installed(args.install)
    warning = common.busy_warning()
    if warning:
        print(warning, file=sys.stderr)
    costs = refs.system_costs()
    workdir = common.workdir("mail-access")
    messages = [make_message(n, args.size) for n in range(1, args.messages + 1)]
    targets: list[Target] = []
    started: list = []
    rows: list[dict] = []
    failures: list[dict] = []
    try:
        if "dovecot" in args.targets:
            print(f"starting Dovecot, {args.messages} x {args.size} B in each INBOX ...", file=sys.stderr, flush=True)
            dovecot = refs.start_dovecot(workdir / "dovecot", {login: messages for login, _ in USERS})
            started.append(dovecot)
            targets.append(Target("dovecot", {p: (common.HOST, port) for p, port in dovecot.ports.items()},
                                  dovecot))
        if "mailsim" in args.targets:
            if args.mailsim_pop3 or args.mailsim_imap:
                addrs = {}
                if args.mailsim_pop3:
                    addrs["pop3"] = parse_addr(args.mailsim_pop3)
                if args.mailsim_imap:
                    addrs["imap"] = parse_addr(args.mailsim_imap)
                smtp = parse_addr(args.mailsim_smtp) if args.mailsim_smtp else None
                mailsim = Target("mailsim", addrs, None)
            else:
                print("starting MailSim ...", file=sys.stderr, flush=True)
                server = start_mailsim_ports(workdir)
                started.append(server)
                ports = server.extra["ports"]
                mailsim = Target("mailsim", {"pop3": (common.HOST, ports["pop3"]),
                                             "imap": (common.HOST, ports["imap"])}, server)
                smtp = (common.HOST, ports["smtp"])
                # Its fresh data folder holds the sample mail: remove it first.
                mailsim.extra["sample_mail_removed"] = {
                    login: empty_inbox(mailsim.addrs["pop3"], login, pw) for login, pw in USERS}
            if not args.no_preload:
                if smtp is None:
                    parser.error("a running MailSim needs --mailsim-smtp (or --no-preload)")
                print(f"delivering {args.messages} messages to alice and bob over MailSim's SMTP ...",
                      file=sys.stderr, flush=True)
                t = time.perf_counter()
                deliver_over_smtp(smtp, messages, [f"{login}@{refs.DOMAIN}" for login, _ in USERS])
                mailsim.extra["preload_s"] = time.perf_counter() - t
            targets.append(mailsim)
        if "canned" in args.targets:
            canned = CannedServer(args.messages, args.size)
            started.append(canned)
            targets.append(Target("canned", {p: (common.HOST, port) for p, port in canned.ports.items()},
                                  canned))

        # Every INBOX must hold exactly the messages, else the figures compare different work.
        for target in targets:
            counts = {login: inbox_count(target, login, pw) for login, pw in USERS}
            target.extra["inbox_counts"] = counts
            if any(c != args.messages for c in counts.values()) and not args.no_preload:
                raise RuntimeError(f"{target.name}: INBOX counts {counts}, expected {args.messages} each")
        expect = None if args.no_preload else args.messages

        # Warm-up: one session per user and test, not measured. A target that
        # fails a test (e.g. a port whose engine is not there yet) is left out
        # of that test, and the failure is reported.
        for target in targets:
            for test in args.tests:
                if SESSIONS[test][0] not in target.addrs:
                    failures.append({"target": target.name, "test": test, "error": "no port given"})
                    continue
                try:
                    run_round(target, test, len(USERS), 0, args.batch, expect, args.pop3_pipeline)
                except (RuntimeError, OSError) as exc:
                    failures.append({"target": target.name, "test": test, "error": str(exc)})
                    print(f"  {target.name} fails {test}: {exc}", file=sys.stderr, flush=True)
        failed = {(f["target"], f["test"]) for f in failures}

        plan = [(test, c) for test in args.tests
                for c in (args.pop3_clients if test.startswith("pop3") else args.imap_clients)]
        for test, clients in plan:
            usable = [t for t in targets if (t.name, test) not in failed]
            for rnd in range(args.rounds):
                order = usable if rnd % 2 == 0 else list(reversed(usable))
                for target in order:
                    busy = common.wait_quiet(args.wait_quiet) if args.wait_quiet else None
                    row = run_round(target, test, clients, args.seconds, args.batch, expect,
                                    args.pop3_pipeline)
                    row["round"] = rnd + 1
                    row["cpu_busy_before"] = None if busy is None else round(busy, 3)
                    rows.append(row)
                    print(f"  {test} x{clients} {target.name} round {rnd + 1}: "
                          f"{row['messages_per_s']:.0f} msg/s", file=sys.stderr, flush=True)
    finally:
        for server in started:
            server.stop()
        if not args.keep:
            common.cleanup(workdir)
        else:
            print(f"work folder kept: {workdir}", file=sys.stderr)

    summary, ratios = summarise(rows)
    print()
    print(common.table(
        ["test", "clients", "server", "rounds", "messages/s (median)", "min-max", "MB/s",
         "server CPU us/msg", "client CPU us/msg"],
        [[s["test"], s["clients"], s["target"], s["rounds"], f"{s['messages_per_s_median']:.0f}",
          f"{s['messages_per_s_min']:.0f}-{s['messages_per_s_max']:.0f}", f"{s['mb_per_s_median']:.1f}",
          _fmt(s["server_cpu_us_per_msg_median"]), _fmt(s["client_cpu_us_per_msg_median"])]
         for s in summary]))
    if ratios:
        print()
        print(common.table(
            ["test", "clients", "server", "ratio to dovecot", f"target >= {TARGET_RATIO:g}"],
            [[r["test"], r["clients"], r["server"], f"{r['ratio']:.2f}", "met" if r["met"] else "MISSED"]
             for r in ratios]))
    for f in failures:
        print(f"\n{f['target']} left out of {f['test']}: {f['error']}")
    print(f"\nthis machine: create+write+fsync of 4 KiB {costs['create_write_fsync_4k_ms']:.2f} ms, "
          f"fork+exit+wait {costs['fork_exit_wait_ms']:.2f} ms")
    if not args.no_json:
        path = common.write_results("mail_access", {
            "settings": {"tests": args.tests, "messages": args.messages, "message_bytes": args.size,
                         "pop3_clients": args.pop3_clients, "imap_clients": args.imap_clients,
                         "batch": args.batch, "pop3_pipeline": args.pop3_pipeline, "seconds": args.seconds, "rounds": args.rounds,
                         "targets": args.targets, "users": [u for u, _ in USERS],
                         "pop3_sessions_per_user": "one at a time (maildrop lock)",
                         "target_ratio": TARGET_RATIO},
            "servers": refs.versions(),
            "system_costs": costs,
            "simulator_uncommitted_changes": refs.simulator_changes(),
            "targets": {t.name: {"addrs": {p: f"{h}:{port}" for p, (h, port) in t.addrs.items()},
                                 **t.extra} for t in targets},
            "results": rows, "summary": summary, "ratios": ratios, "failures": failures})
        print(f"\nresults: {path.relative_to(common.ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
