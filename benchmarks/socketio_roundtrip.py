"""Socket.IO command round trip: MailSim's ``lab.send`` against a bare echo.

MailSim: a client opens a lab session (``lab.open``, waits for the 220
greeting), then, one at a time, emits ``lab.send {session, line: "NOOP"}``
and stops the clock when the ``exchange`` event carrying the 250 reply
arrives. Like the browser (static/js/api.js, ``emitWithAck``), it asks for
the acknowledgement; ``--no-ack`` leaves it out.

Baselines, served the same way (benchmarks/echo_server.py: gunicorn, one
gthread worker, threading mode, simple-websocket): the client emits ``echo``
and stops the clock when the echoed ``echo`` event arrives.
``echo-bare`` is python-socketio alone (the baseline of the target),
``echo-flask`` the same handler through Flask-SocketIO, as MailSim uses it.
``echo-shape`` (diagnostic, only with ``--targets``) mimics MailSim's shape
without its code: an acknowledged ``echo.send``, a worker thread per
connection, two exchange-sized events back; the clock stops at the second.

Each client is driven by its own thread, with one of two client
implementations, the same for every target (``--client``):

* ``raw`` (the default): benchmarks/raw_sio_client.py, Engine.IO v4 /
  Socket.IO v5 spoken directly over one WebSocket (websocket-client), every
  packet read by the client's own thread with a blocking read. This models
  a browser, whose Socket.IO client handles packets on its one event loop,
  and it loads both servers identically: the client's cost per packet is
  small and does not depend on threads.
* ``python-socketio``: python-socketio's ``Client`` on the websocket
  transport. It starts a thread for every packet it receives; MailSim sends
  three per ``lab.send`` (acknowledgement + two ``exchange`` events, all
  required by the API) and the echo one, so on 2 shared cores this client's
  own CPU (about 2.3x the echo's) weighs on MailSim's latency much more than
  on the echo's. Kept for comparison with earlier runs.

All clients connect and warm up first; then a barrier starts the measured
round trips together. Besides p50/p99 of the
round trip, the table gives the round trips per second of the whole run and
the server's CPU time per round trip (from /proc, the whole process tree).

    python benchmarks/socketio_roundtrip.py                 # 1 and 100 clients
    python benchmarks/socketio_roundtrip.py --clients 1 --rounds 500
    python benchmarks/socketio_roundtrip.py --repeat 2
    python benchmarks/socketio_roundtrip.py --repeat 2 --client python-socketio

Target: MailSim within 1.5x of echo-bare, for p50 and for p99.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

TARGET_RATIO = 1.5
TIMEOUT = 10.0


def _inline_message_handlers(sio) -> None:
    """Make the engine.io client run message handlers in its read thread.

    python-socketio's Client (via python-engineio) starts a new thread for
    every message it receives; with ``--inline-client`` that thread is saved,
    to show how much of a gap is the client's own cost (MailSim sends three
    packets per round trip where the echo sends one).
    """
    eio = sio.eio
    original = eio._trigger_event

    def trigger(event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return original(event, *args, **kwargs)

    eio._trigger_event = trigger


class Probe:
    """One client: a Socket.IO connection and (for MailSim) one lab session."""

    def __init__(self, url: str, target: str, *, ack: bool = True, inline: bool = False):
        import socketio

        self.target = target
        self.ack = ack
        self.sio = socketio.Client(reconnection=False)
        if inline:
            _inline_message_handlers(self.sio)
        self.got = threading.Event()
        self.want = None
        self.session = None
        self.errors: list = []
        if target == "mailsim":
            self.sio.on("exchange", self._on_exchange)
        else:
            self.sio.on("echo", self._on_echo)
        self.shape = target == "echo-shape"
        self.sio.connect(url, transports=["websocket"], wait_timeout=TIMEOUT)
        if target == "mailsim":
            self.want = 220
            self.got.clear()
            answer = self.sio.call("lab.open", {"protocol": "smtp"}, timeout=TIMEOUT)
            if not answer or not answer.get("ok"):
                raise RuntimeError(f"lab.open failed: {answer!r}")
            self.session = answer["session"]
            if not self.got.wait(TIMEOUT):
                raise TimeoutError("no 220 greeting from the lab session")

    def _on_exchange(self, data):
        if data.get("kind") == "reply" and data.get("code") == self.want:
            self.got.set()

    def _on_echo(self, data):
        if data.get("n") == self.want and (not self.shape or data.get("last")):
            self.got.set()

    def _on_ack(self, answer=None):
        if not (isinstance(answer, dict) and answer.get("ok")):
            self.errors.append(answer)

    def round_trip(self, n: int) -> float:
        self.got.clear()
        if self.target == "mailsim":
            self.want = 250
            payload = {"session": self.session, "line": "NOOP"}
            start = time.perf_counter()
            self.sio.emit("lab.send", payload, callback=self._on_ack if self.ack else None)
        else:
            self.want = n
            payload = {"n": n, "line": "NOOP"}
            start = time.perf_counter()
            if self.shape:
                self.sio.emit("echo.send", payload, callback=self._on_ack if self.ack else None)
            else:
                self.sio.emit("echo", payload)
        if not self.got.wait(TIMEOUT):
            raise TimeoutError(f"{self.target}: no answer to round trip {n} "
                               f"(ack errors: {self.errors[-3:]})")
        return time.perf_counter() - start

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass


class RawProbe:
    """One client on the raw client (benchmarks/raw_sio_client.py): no thread per packet.

    The same protocol as :class:`Probe` (same events, payloads and stop
    condition), but every packet is read by this client's own thread with a
    blocking read, as a browser's Socket.IO client handles packets on its one
    event loop. Acknowledgements are consumed as they come: the clock stops
    at the answering event whatever their order, as with :class:`Probe`, and
    an acknowledgement that comes after it is read (untimed) before the next
    round trip.
    """

    def __init__(self, url: str, target: str, *, ack: bool = True):
        from raw_sio_client import RawSocketIO

        self.target = target
        self.ack = ack
        self.shape = target == "echo-shape"
        self.session = None
        self.errors: list = []
        self.late_acks = 0      # acknowledgements that came after the answering event
        self.client = RawSocketIO(url, timeout=TIMEOUT)
        if target == "mailsim":
            # The greeting may be emitted before the acknowledgement arrives.
            events: list = []
            answer = self.client.call("lab.open", {"protocol": "smtp"}, events)
            if not answer or not answer.get("ok"):
                raise RuntimeError(f"lab.open failed: {answer!r}")
            self.session = answer["session"]
            if not any(self._is_reply(name, data, 220) for name, data in events):
                while True:
                    kind, _aid, body = self.client.next()
                    if kind == "2" and self._is_reply(body[0], body[1], 220):
                        break

    def _is_reply(self, name, data, code) -> bool:
        return (name == "exchange" and isinstance(data, dict) and data.get("session") == self.session
                and data.get("kind") == "reply" and data.get("code") == code)

    def _check_ack(self, body) -> None:
        answer = body[0] if body else None
        if not (isinstance(answer, dict) and answer.get("ok")):
            self.errors.append(answer)

    def round_trip(self, n: int) -> float:
        client = self.client
        if self.target == "mailsim":
            payload = {"session": self.session, "line": "NOOP"}
            start = time.perf_counter()
            aid = client.emit("lab.send", payload, ack=self.ack)
            done = lambda name, data: self._is_reply(name, data, 250)  # noqa: E731
        else:
            payload = {"n": n, "line": "NOOP"}
            start = time.perf_counter()
            if self.shape:
                aid = client.emit("echo.send", payload, ack=self.ack)
                done = lambda name, data: name == "echo" and data.get("n") == n and data.get("last")  # noqa: E731
            else:
                aid = client.emit("echo", payload)
                done = lambda name, data: name == "echo" and data.get("n") == n  # noqa: E731
        acked = aid is None
        while True:
            kind, got, body = client.next()
            if kind == "3" and got == aid:
                acked = True
                self._check_ack(body)
            elif kind == "2" and body and done(body[0], body[1] if len(body) > 1 else None):
                elapsed = time.perf_counter() - start
                break
        if not acked:
            self.late_acks += 1
            while True:
                kind, got, body = client.next()
                if kind == "3" and got == aid:
                    self._check_ack(body)
                    break
        if self.errors:
            raise RuntimeError(f"{self.target}: round trip {n} not acknowledged: {self.errors[-1]!r}")
        return elapsed

    def close(self) -> None:
        self.client.close()


def measure(server: common.Server, target: str, clients: int, rounds: int, warmup: int,
            *, ack: bool, inline: bool, client: str = "raw") -> dict:
    """Connect ``clients`` probes, warm up, then time ``rounds`` round trips each."""
    def connect(_i):
        if client == "raw":
            return RawProbe(server.url, target, ack=ack)
        return Probe(server.url, target, ack=ack, inline=inline)

    with ThreadPoolExecutor(max_workers=min(clients, 16)) as pool:
        probes = list(pool.map(connect, range(clients)))
    samples: list[list[float]] = [[] for _ in probes]
    failures: list[BaseException] = []
    start: dict = {}
    ends = [0.0] * len(probes)
    packets_before = [0] * len(probes)

    def stamp() -> None:  # run by the barrier itself, as the measured phase starts
        start["cpu"], start["t"] = server.cpu_seconds(), time.perf_counter()
        start["client_cpu"] = time.process_time()
        start["switches"] = server.context_switches()

    barrier = threading.Barrier(clients + 1, action=stamp)

    def drive(i: int, probe: Probe) -> None:
        try:
            for n in range(warmup):
                probe.round_trip(-1 - n)
        except BaseException as exc:  # still meet the barrier, then report
            failures.append(exc)
            barrier.wait()
            return
        if client == "raw":
            packets_before[i] = probe.client.packets
        barrier.wait()
        try:
            for n in range(rounds):
                samples[i].append(probe.round_trip(n))
        except BaseException as exc:
            failures.append(exc)
        ends[i] = time.perf_counter()

    threads = [threading.Thread(target=drive, args=(i, p), daemon=True)
               for i, p in enumerate(probes)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join(TIMEOUT * (rounds + 1))
    cpu = server.cpu_seconds() - start["cpu"]
    client_cpu = time.process_time() - start["client_cpu"]
    switches = server.context_switches() - start["switches"]
    wall = max(ends) - start["t"]
    packets = (sum(p.client.packets for p in probes) - sum(packets_before)) if client == "raw" else None
    late_acks = sum(p.late_acks for p in probes) if client == "raw" else None
    for probe in probes:
        probe.close()
    if failures:
        raise RuntimeError(f"{target}, {clients} clients: {failures[0]!r}") from failures[0]
    flat = [s for per in samples for s in per]
    return {
        "target": target,
        "clients": clients,
        "rounds_per_client": rounds,
        "warmup_per_client": warmup,
        "round_trips": len(flat),
        "p50_ms": common.percentile(flat, 50) * 1000,
        "p90_ms": common.percentile(flat, 90) * 1000,
        "p99_ms": common.percentile(flat, 99) * 1000,
        "p999_ms": common.percentile(flat, 99.9) * 1000,
        "max_ms": max(flat) * 1000,
        "mean_ms": statistics.fmean(flat) * 1000,
        "wall_s": wall,
        "round_trips_per_s": len(flat) / wall if wall else None,
        "server_cpu_s": cpu,
        "server_cpu_us_per_rt": cpu / len(flat) * 1e6 if flat else None,
        "server_context_switches_per_rt": switches / len(flat) if flat else None,
        "client_cpu_s": client_cpu,
        "client_cpu_us_per_rt": client_cpu / len(flat) * 1e6 if flat else None,
        "ack": ack if target == "mailsim" else None,
        "client": client if client == "raw" else ("python-socketio-inline" if inline else "python-socketio"),
        # raw client only: Socket.IO packets received per measured round trip, and
        # acknowledgements that arrived after the answering event (warm-up included)
        "packets_per_rt": packets / (clients * rounds) if packets is not None else None,
        "late_acks": late_acks,
        "samples_ms": [round(s * 1000, 3) for s in flat],  # dropped from the JSON unless --samples
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Socket.IO round trip: MailSim lab.send vs a bare echo")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 100],
                        help="concurrent clients per scenario (default: 1 100)")
    parser.add_argument("--rounds", type=int, nargs="+", default=None,
                        help="measured round trips per client, one per scenario (default: 1000 for 1 client, "
                             "30 otherwise)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="unmeasured round trips per client first (default: 100 for 1 client, 5 otherwise)")
    parser.add_argument("--repeat", type=int, default=1, help="run every scenario this many times")
    parser.add_argument("--targets", nargs="+", default=["echo-bare", "echo-flask", "mailsim"],
                        choices=["echo-bare", "echo-flask", "echo-shape", "mailsim"])
    parser.add_argument("--variant", metavar="PATCHES", action="append", default=[],
                        help="(repeatable) also run MailSim with these experimental patches (benchmarks/mailsim_variant.py), "
                             "e.g. sync-handlers")
    parser.add_argument("--no-ack", dest="ack", action="store_false",
                        help="MailSim's (and echo-shape's) client does not ask for the acknowledgement")
    parser.add_argument("--client", choices=["raw", "python-socketio"], default=None,
                        help="raw (default): benchmarks/raw_sio_client.py, Engine.IO/Socket.IO over one WebSocket, "
                             "packets read by the client's own thread as a browser does; python-socketio: "
                             "socketio.Client, which starts a thread per received packet")
    parser.add_argument("--inline-client", action="store_true",
                        help="python-socketio client only (implies --client python-socketio): run its message "
                             "handlers in its read thread (no thread per message)")
    parser.add_argument("--threads", type=int, default=256, help="server worker threads (as mailsim serve)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each measurement, wait up to this long for the CPU to be idle "
                             "(shared machines); the busy share is recorded either way")
    parser.add_argument("--samples", action="store_true", help="keep every round trip time in the JSON")
    parser.add_argument("--pin-server", metavar="CPUS",
                        help="diagnostic: pin every server to these CPUs (e.g. 0), as taskset does")
    parser.add_argument("--no-json", action="store_true", help="do not write benchmarks/results/*.json")
    args = parser.parse_args(argv)
    if args.rounds and len(args.rounds) not in (1, len(args.clients)):
        parser.error("--rounds takes one value or one per --clients value")
    if args.inline_client and args.client == "raw":
        parser.error("--inline-client applies to --client python-socketio only")
    if args.client is None:
        args.client = "python-socketio" if args.inline_client else "raw"
    if max(args.clients) + 8 > args.threads:
        parser.error("--threads must exceed the clients: each WebSocket holds a worker thread")

    warning = common.busy_warning()
    if warning:
        print(warning, file=sys.stderr)
    idle_before = warning is None
    args.targets = [*args.targets, *(f"mailsim+{v}" for v in args.variant)]
    workdir = common.workdir("sio")
    servers: dict[str, common.Server] = {}
    rows = []
    try:
        for target in args.targets:
            if target.startswith("mailsim"):
                variant = target.partition("+")[2] or None
                servers[target] = common.start_mailsim(workdir, threads=args.threads, smtp=False,
                                                       variant=variant)
            else:
                servers[target] = common.start_echo(workdir, target.split("-", 1)[1], args.threads)
        if args.pin_server:
            for server in servers.values():
                server.pin(args.pin_server)
        for rep in range(args.repeat):
            for k, clients in enumerate(args.clients):
                rounds = (args.rounds[k if len(args.rounds) > 1 else 0] if args.rounds
                          else (1000 if clients == 1 else 30))
                warmup = args.warmup if args.warmup is not None else (100 if clients == 1 else 5)
                # Alternate the order between repeats so neither side always runs first.
                order = args.targets if rep % 2 == 0 else list(reversed(args.targets))
                for target in order:
                    print(f"[run {rep + 1}] {target}: {clients} client(s) x {rounds} round trips ...",
                          file=sys.stderr, flush=True)
                    busy = common.wait_quiet(args.wait_quiet)
                    result = measure(servers[target], target.partition("+")[0], clients, rounds, warmup,
                                     ack=args.ack, inline=args.inline_client, client=args.client)
                    result["target"] = target
                    result["repeat"] = rep + 1
                    result["cpu_busy_before"] = round(busy, 3)
                    rows.append(result)
    finally:
        for server in servers.values():
            server.stop()
    common.cleanup(workdir)
    if not args.samples:
        for r in rows:
            r.pop("samples_ms", None)

    summary = []
    for rep in range(1, args.repeat + 1):
        for clients in args.clients:
            by = {r["target"]: r for r in rows if r["repeat"] == rep and r["clients"] == clients}
            mine = [t for t in by if t.startswith("mailsim")]
            bases = [b for b in ("echo-bare", "echo-flask", "echo-shape") if b in by]
            for m in mine:
                for base in bases:
                    p50 = by[m]["p50_ms"] / by[base]["p50_ms"]
                    p99 = by[m]["p99_ms"] / by[base]["p99_ms"]
                    summary.append({
                        "repeat": rep, "clients": clients, "server": m, "baseline": base,
                        "ratio_p50": p50, "ratio_p99": p99,
                        "met": (p50 <= TARGET_RATIO and p99 <= TARGET_RATIO) if base == "echo-bare" else None,
                    })

    print()
    print(f"client: {rows[0]['client'] if rows else args.client}")
    print(common.table(
        ["run", "clients", "server", "round trips", "p50 ms", "p99 ms", "mean ms", "rt/s",
         "server CPU us/rt", "ctx sw/rt", "client CPU us/rt", "pkts/rt", "busy before"],
        [[r["repeat"], r["clients"], r["target"], r["round_trips"], f"{r['p50_ms']:.2f}",
          f"{r['p99_ms']:.2f}", f"{r['mean_ms']:.2f}", f"{r['round_trips_per_s']:.0f}",
          f"{r['server_cpu_us_per_rt']:.0f}",
          f"{r['server_context_switches_per_rt']:.1f}", f"{r['client_cpu_us_per_rt']:.0f}",
          "-" if r["packets_per_rt"] is None else f"{r['packets_per_rt']:.1f}",
          f"{r['cpu_busy_before']:.0%}"] for r in rows]))
    if summary:
        print()
        print(common.table(
            ["run", "clients", "ratio", "p50 ratio", "p99 ratio", f"target <= {TARGET_RATIO}"],
            [[s["repeat"], s["clients"], f"{s['server']} / {s['baseline']}", f"{s['ratio_p50']:.2f}", f"{s['ratio_p99']:.2f}",
              "" if s["met"] is None else ("met" if s["met"] else "MISSED")] for s in summary]))
    if not args.no_json:
        path = common.write_results("socketio_roundtrip", {
            "settings": {"clients": args.clients, "rounds": args.rounds, "warmup": args.warmup,
                         "repeat": args.repeat, "ack": args.ack, "client": args.client,
                         "inline_client": args.inline_client,
                         "threads": args.threads, "variant": args.variant, "pin_server": args.pin_server,
                         "target_ratio": TARGET_RATIO, "quiet_machine_at_start": idle_before},
            "results": rows, "ratios": summary})
        print(f"\nresults: {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
