"""Messages per second through a real SMTP port: MailSim against aiosmtpd's Sink.

Each connection is one thread with ``smtplib.SMTP``: connect, EHLO once,
then ``sendmail`` of the same small message over and over (MAIL, RCPT, DATA,
the message, ``.``) until the run ends, then QUIT. A warm-up period runs
first; the messages completed in the measured window, over its length, give
messages per second. Both servers get the very same client and message, in
the same run, with 1 connection and with 20 in parallel.

* MailSim: ``python -m simulator serve`` (its real SMTP port, in the gunicorn
  worker, one event loop for all connections); the recipient is a local mailbox of the
  simulated world (bob@example.org), so every message is really delivered
  into the in-memory store.
* aiosmtpd: ``python -m aiosmtpd -n -c aiosmtpd.handlers.Sink``: accepts and
  discards (the handler is named: the CLI's default, Debugging, prints every
  message).

    python benchmarks/smtp_throughput.py                      # 1 and 20 connections
    python benchmarks/smtp_throughput.py --connections 1 --seconds 10
    python benchmarks/smtp_throughput.py --repeat 2

Target: MailSim >= aiosmtpd (ratio mailsim/aiosmtpd >= 1).
"""
from __future__ import annotations

import argparse
import smtplib
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

TARGET_RATIO = 1.0
SENDER = "alice@example.org"
RECIPIENT = "bob@example.org"
MESSAGE = (
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.org>\r\n"
    "Subject: benchmark\r\n"
    "Message-ID: <bench@example.org>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "this is a small message sent by benchmarks/smtp_throughput.py.\r\n"
).encode("ascii")


class Sender(threading.Thread):
    """One SMTP connection sending the message until told to stop."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port = port
        self.sent = 0
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with smtplib.SMTP(common.HOST, self.port, timeout=30) as smtp:
                code, _ = smtp.ehlo("bench.example.net")
                if code != 250:
                    raise RuntimeError(f"EHLO answered {code}")
                self.ready.set()
                while not self.stop.is_set():
                    refused = smtp.sendmail(SENDER, [RECIPIENT], MESSAGE)
                    if refused:
                        raise RuntimeError(f"recipient refused: {refused}")
                    self.sent += 1
                smtp.quit()
        except BaseException as exc:
            self.error = exc
            self.ready.set()


def measure(server: common.Server, connections: int, seconds: float, warmup: float) -> dict:
    senders = [Sender(server.smtp_port) for _ in range(connections)]
    for s in senders:
        s.start()
    for s in senders:
        s.ready.wait(30)
    time.sleep(warmup)
    count0, (user0, sys0), t0 = sum(s.sent for s in senders), server.cpu_times(), time.perf_counter()
    mine0, switches0 = time.process_time(), server.context_switches()
    time.sleep(seconds)
    count1, (user1, sys1), t1 = sum(s.sent for s in senders), server.cpu_times(), time.perf_counter()
    mine1, switches1 = time.process_time(), server.context_switches()
    cpu0, cpu1 = user0 + sys0, user1 + sys1
    for s in senders:
        s.stop.set()
    for s in senders:
        s.join(30)
    errors = [s.error for s in senders if s.error is not None]
    if errors:
        raise RuntimeError(f"{server.name}, {connections} connections: {errors[0]!r}") from errors[0]
    messages = count1 - count0
    wall = t1 - t0
    return {
        "target": server.name,
        "connections": connections,
        "seconds": wall,
        "warmup_s": warmup,
        "messages": messages,
        "messages_per_s": messages / wall,
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_us_per_msg": (cpu1 - cpu0) / messages * 1e6 if messages else None,
        "server_system_share": (sys1 - sys0) / (cpu1 - cpu0) if cpu1 > cpu0 else None,
        "server_context_switches_per_msg": (switches1 - switches0) / messages if messages else None,
        "client_cpu_s": mine1 - mine0,
        "client_cpu_us_per_msg": (mine1 - mine0) / messages * 1e6 if messages else None,
        "per_connection": [s.sent for s in senders],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="SMTP messages/s: MailSim vs aiosmtpd")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 20],
                        help="parallel connections per scenario (default: 1 20)")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window (default 8 s)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured start (default 2 s)")
    parser.add_argument("--repeat", type=int, default=1, help="run every scenario this many times")
    parser.add_argument("--targets", nargs="+", default=["aiosmtpd", "mailsim"],
                        choices=["aiosmtpd", "mailsim"])
    parser.add_argument("--variant", metavar="PATCHES", action="append", default=[],
                        help="(repeatable) also run MailSim with these experimental patches (benchmarks/mailsim_variant.py), "
                             "e.g. subject,live,clean")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each measurement, wait up to this long for the CPU to be idle "
                             "(shared machines); the busy share is recorded either way")
    parser.add_argument("--pin-server", metavar="CPUS",
                        help="diagnostic: pin every server to these CPUs (e.g. 0), as taskset does")
    parser.add_argument("--no-json", action="store_true", help="do not write benchmarks/results/*.json")
    args = parser.parse_args(argv)

    warning = common.busy_warning()
    if warning:
        print(warning, file=sys.stderr)
    idle_before = warning is None
    args.targets = [*args.targets, *(f"mailsim+{v}" for v in args.variant)]
    workdir = common.workdir("smtp")
    rows = []
    for rep in range(args.repeat):
        for connections in args.connections:
            order = args.targets if rep % 2 == 0 else list(reversed(args.targets))
            for target in order:
                # A fresh server for every measurement: MailSim keeps every
                # delivered message in memory, so a long-lived one would grow.
                server = (common.start_mailsim(workdir, variant=target.partition("+")[2] or None)
                          if target.startswith("mailsim") else common.start_aiosmtpd(workdir))
                if args.pin_server:
                    server.pin(args.pin_server)
                busy = common.wait_quiet(args.wait_quiet)
                print(f"[run {rep + 1}] {target}: {connections} connection(s), "
                      f"{args.warmup:g}s + {args.seconds:g}s ...", file=sys.stderr, flush=True)
                try:
                    result = measure(server, connections, args.seconds, args.warmup)
                finally:
                    server.stop()
                result["repeat"] = rep + 1
                result["cpu_busy_before"] = round(busy, 3)
                rows.append(result)

    common.cleanup(workdir)
    summary = []
    for rep in range(1, args.repeat + 1):
        for connections in args.connections:
            by = {r["target"]: r for r in rows if r["repeat"] == rep and r["connections"] == connections}
            for mine in [t for t in by if t.startswith("mailsim")]:
                if "aiosmtpd" in by:
                    ratio = by[mine]["messages_per_s"] / by["aiosmtpd"]["messages_per_s"]
                    summary.append({"repeat": rep, "connections": connections, "server": mine,
                                    "ratio": ratio, "met": ratio >= TARGET_RATIO})

    print()
    print(common.table(
        ["run", "connections", "server", "messages", "seconds", "messages/s", "server CPU us/msg",
         "sys %", "ctx sw/msg", "client CPU us/msg", "busy before"],
        [[r["repeat"], r["connections"], r["target"], r["messages"], f"{r['seconds']:.1f}",
          f"{r['messages_per_s']:.0f}",
          f"{r['server_cpu_us_per_msg']:.0f}" if r["server_cpu_us_per_msg"] else "-",
          f"{r['server_system_share']:.0%}" if r["server_system_share"] is not None else "-",
          f"{r['server_context_switches_per_msg']:.1f}" if r["server_context_switches_per_msg"] else "-",
          f"{r['client_cpu_us_per_msg']:.0f}" if r["client_cpu_us_per_msg"] else "-",
          f"{r['cpu_busy_before']:.0%}"] for r in rows]))
    if summary:
        print()
        print(common.table(
            ["run", "connections", "server", "ratio to aiosmtpd", f"target >= {TARGET_RATIO:g}"],
            [[s["repeat"], s["connections"], s["server"], f"{s['ratio']:.2f}", "met" if s["met"] else "MISSED"]
             for s in summary]))
    if not args.no_json:
        path = common.write_results("smtp_throughput", {
            "settings": {"connections": args.connections, "seconds": args.seconds,
                         "warmup": args.warmup, "repeat": args.repeat,
                         "message_bytes": len(MESSAGE), "variant": args.variant,
                         "pin_server": args.pin_server,
                         "target_ratio": TARGET_RATIO, "quiet_machine_at_start": idle_before},
            "results": rows, "ratios": summary})
        print(f"\nresults: {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
