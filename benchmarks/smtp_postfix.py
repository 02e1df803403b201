"""SMTP messages/s under Postfix's own load generator: MailSim against Postfix.

``smtp-source`` (Postfix's test client, Debian's postfix package) sends the
same load to both servers in the same run:

    smtp-source -s 20 -m 2000 -l 4096 -f alice@example.org -t bob@example.org 127.0.0.1:PORT

20 parallel sessions, 2000 messages in all with 4096 bytes of payload each,
to bob@example.org. By default smtp-source opens a new connection for every
message (greeting, HELO, MAIL, RCPT, DATA, payload, ``.``, QUIT);
``--keep-connection`` adds ``-d`` (one connection per session, many messages).

* Postfix (reference_servers.py): its own main.cf/master.cf in a scratch
  folder, SMTP on a loopback port; every accepted message is written to the
  queue (cleanup fsyncs the queue file before the 250), then qmgr hands it to
  virtual(8), which writes it into bob's Maildir. **Postfix's time runs until
  every message is in the Maildir** (files in ``Maildir/new`` counted every
  5 ms), not only until smtp-source ends: accepting is only half of its
  work. Both times are in the table (``accepted`` and ``delivered``).
* MailSim: ``python -m simulator serve`` with its durable store (SQLite,
  committed with synchronous=FULL before the 250). Its time runs until
  smtp-source ends: its 250 means the message is committed to the mailbox.
  Afterwards the messages in its database are counted, to check that every
  one was stored.

Each target is started once; a warm-up batch (``--warmup`` messages) runs
first, then ``--rounds`` measured rounds, alternating the order of the
targets; the figure is the median round. Postfix's Maildir is emptied
between rounds (not timed).

    python benchmarks/smtp_postfix.py                       # Postfix and MailSim, 20 sessions
    python benchmarks/smtp_postfix.py --only-reference      # Postfix alone
    python benchmarks/smtp_postfix.py --sessions 1 20 --rounds 5
    python benchmarks/smtp_postfix.py --keep-connection
    python benchmarks/smtp_postfix.py --mailsim-smtp 127.0.0.1:2525   # a MailSim already running

Target: MailSim >= Postfix (messages/s ratio mailsim/postfix >= 1, Postfix
counted to delivery).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import reference_servers as refs  # noqa: E402

TARGET_RATIO = 1.0
SENDER = "alice@example.org"
RECIPIENT = "bob@example.org"
DELIVERY_TIMEOUT = 300.0


def smtp_source_cmd(port: int, host: str, sessions: int, messages: int, length: int,
                    keep_connection: bool) -> list[str]:
    cmd = [refs.BINARIES["smtp-source"] if os.path.exists(refs.BINARIES["smtp-source"]) else "smtp-source",
           "-s", str(sessions), "-m", str(messages), "-l", str(length), "-f", SENDER, "-t", RECIPIENT]
    if keep_connection:
        cmd.append("-d")
    return [*cmd, f"{host}:{port}"]


class Target:
    def __init__(self, name: str, host: str, port: int, server=None, *, maildir: Optional[Path] = None,
                 database: Optional[Path] = None):
        self.name, self.host, self.port, self.server = name, host, port, server
        self.maildir = maildir      # Postfix: count files here until all are delivered
        self.database = database    # MailSim: count stored messages afterwards

    def cpu(self) -> float:
        if self.server is None:
            return float("nan")
        return sum(refs.tree_cpu_times(self.server.pids()))


def stored_messages(database: Path) -> Optional[int]:
    """Messages in MailSim's SQLite store (every mailbox; the data folder is fresh)."""
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def empty_maildir(maildir: Path) -> None:
    with os.scandir(maildir) as it:
        for entry in it:
            os.unlink(entry.path)


def run_once(target: Target, sessions: int, messages: int, length: int, keep_connection: bool) -> dict:
    """One smtp-source run; for Postfix also wait until every message is in the Maildir."""
    before_stored = stored_messages(target.database) if target.database else None
    cmd = smtp_source_cmd(target.port, target.host, sessions, messages, length, keep_connection)
    cpu0, t0 = target.cpu(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=DELIVERY_TIMEOUT)
    t_accepted = time.perf_counter()
    cpu_accepted = target.cpu()
    if done.returncode != 0 or "fatal" in done.stderr or "error" in done.stderr.lower():
        raise RuntimeError(f"{target.name}: smtp-source exited {done.returncode}: "
                           f"{(done.stderr or done.stdout)[-2000:]}")
    t_delivered = None
    delivered = None
    if target.maildir is not None:
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            delivered = refs.count_files(target.maildir)
            if delivered >= messages:
                t_delivered = time.perf_counter()
                break
            if time.monotonic() > deadline or not target.server.alive():
                raise RuntimeError(f"{target.name}: only {delivered} of {messages} delivered "
                                   f"after {DELIVERY_TIMEOUT:g} s")
            time.sleep(0.005)
    cpu1 = target.cpu()
    stored = None
    if target.database is not None:
        after = stored_messages(target.database)
        if after is not None and before_stored is not None:
            stored = after - before_stored
    end = t_delivered if t_delivered is not None else t_accepted
    wall = end - t0
    return {
        "target": target.name, "sessions": sessions, "messages": messages, "payload_bytes": length,
        "keep_connection": keep_connection, "command": " ".join(cmd),
        "accepted_s": t_accepted - t0,
        "accepted_per_s": messages / (t_accepted - t0),
        "delivered_s": None if t_delivered is None else t_delivered - t0,
        "delivered_count": delivered, "stored_count": stored,
        "seconds": wall, "messages_per_s": messages / wall,
        "measured_until": "delivered to Maildir" if t_delivered is not None else "smtp-source ended (250 = committed)",
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_s_until_accepted": cpu_accepted - cpu0,
        "server_cpu_us_per_msg": (cpu1 - cpu0) / messages * 1e6,
    }


def start_mailsim(workdir: Path) -> tuple[common.Server, Target]:
    server = common.start_mailsim(workdir)
    database = workdir / "mailsim-data" / "mail.sqlite3"
    return server, Target("mailsim", common.HOST, server.smtp_port, server, database=database)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="smtp-source messages/s: MailSim vs Postfix")
    parser.add_argument("--sessions", type=int, nargs="+", default=[20], help="smtp-source -s (default 20)")
    parser.add_argument("--messages", type=int, default=2000, help="smtp-source -m (default 2000)")
    parser.add_argument("--length", type=int, default=4096, help="smtp-source -l, payload bytes (default 4096)")
    parser.add_argument("--keep-connection", action="store_true",
                        help="smtp-source -d: many messages per connection (default: one connection each)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds, median taken (default 3)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured messages first (default 200)")
    parser.add_argument("--targets", nargs="+", default=["postfix", "mailsim"], choices=["postfix", "mailsim"])
    parser.add_argument("--only-reference", action="store_true", help="Postfix alone")
    parser.add_argument("--mailsim-smtp", metavar="HOST:PORT", help="use a running MailSim's SMTP port")
    parser.add_argument("--postfix-log", action="store_true",
                        help="Postfix logs to <work>/postfix/maillog through postlogd (for debugging; "
                             "by default it logs to syslog, which nothing reads here)")
    parser.add_argument("--postfix-set", action="append", default=[], metavar="NAME=VALUE",
                        help="(repeatable) a main.cf setting for Postfix beyond the defaults, "
                             "e.g. max_use=10000 (Postfix recycles its daemons every 100 uses)")
    parser.add_argument("--install", action="store_true", help="apt-get install Postfix if it is missing")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each round wait up to this long for an idle CPU")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (configs, logs, data)")
    parser.add_argument("--no-json", action="store_true", help="do not write benchmarks/results/*.json")
    args = parser.parse_args(argv)
    if args.only_reference:
        args.targets = ["postfix"]

    refs.ensure_installed(args.install)
    warning = common.busy_warning()
    if warning:
        print(warning, file=sys.stderr)
    costs = refs.system_costs()
    workdir = common.workdir("smtp-postfix")
    started, targets, rows = [], [], []
    try:
        if "postfix" in args.targets:
            print("starting Postfix ...", file=sys.stderr, flush=True)
            postfix = refs.start_postfix(workdir / "postfix", log_file=args.postfix_log,
                                         settings=dict(kv.split("=", 1) for kv in args.postfix_set))
            started.append(postfix)
            targets.append(Target("postfix", common.HOST, postfix.ports["smtp"], postfix,
                                  maildir=postfix.extra["maildirs"]["bob"]))
        if "mailsim" in args.targets:
            if args.mailsim_smtp:
                host, _, port = args.mailsim_smtp.rpartition(":")
                targets.append(Target("mailsim", host or common.HOST, int(port)))
            else:
                print("starting MailSim ...", file=sys.stderr, flush=True)
                server, target = start_mailsim(workdir)
                started.append(server)
                targets.append(target)

        for target in targets:
            if args.warmup:
                run_once(target, min(args.sessions), args.warmup, args.length, args.keep_connection)
                if target.maildir is not None:
                    empty_maildir(target.maildir)

        for sessions in args.sessions:
            for rnd in range(args.rounds):
                order = targets if rnd % 2 == 0 else list(reversed(targets))
                for target in order:
                    busy = common.wait_quiet(args.wait_quiet) if args.wait_quiet else None
                    row = run_once(target, sessions, args.messages, args.length, args.keep_connection)
                    row["round"] = rnd + 1
                    row["cpu_busy_before"] = None if busy is None else round(busy, 3)
                    rows.append(row)
                    if target.maildir is not None:
                        empty_maildir(target.maildir)
                    print(f"  {sessions} sessions, {target.name} round {rnd + 1}: "
                          f"{row['messages_per_s']:.0f} msg/s ({row['measured_until']})",
                          file=sys.stderr, flush=True)
        queues = {}
        for target in targets:
            if target.name == "postfix":
                queue = target.server.folder / "queue"
                queues = {q: sum(len(files) for _, _, files in os.walk(queue / q))
                          for q in ("incoming", "active", "deferred", "hold", "corrupt")}
    finally:
        for server in started:
            server.stop()
        if not args.keep:
            common.cleanup(workdir)
        else:
            print(f"work folder kept: {workdir}", file=sys.stderr)

    summary, ratios = [], []
    for sessions in args.sessions:
        by = {}
        for target in targets:
            rs = [r for r in rows if r["target"] == target.name and r["sessions"] == sessions]
            if not rs:
                continue
            by[target.name] = s = {
                "sessions": sessions, "target": target.name, "rounds": len(rs),
                "messages_per_s_median": statistics.median(r["messages_per_s"] for r in rs),
                "messages_per_s_min": min(r["messages_per_s"] for r in rs),
                "messages_per_s_max": max(r["messages_per_s"] for r in rs),
                "accepted_per_s_median": statistics.median(r["accepted_per_s"] for r in rs),
                "server_cpu_us_per_msg_median": statistics.median(r["server_cpu_us_per_msg"] for r in rs
                                                                  if r["server_cpu_us_per_msg"] == r["server_cpu_us_per_msg"])
                if any(r["server_cpu_us_per_msg"] == r["server_cpu_us_per_msg"] for r in rs) else None,
                "measured_until": rs[0]["measured_until"],
            }
            summary.append(s)
        if "postfix" in by and "mailsim" in by:
            ratio = by["mailsim"]["messages_per_s_median"] / by["postfix"]["messages_per_s_median"]
            ratios.append({"sessions": sessions, "server": "mailsim", "reference": "postfix",
                           "ratio": ratio, "met": ratio >= TARGET_RATIO,
                           "ratio_accepted_only": by["mailsim"]["accepted_per_s_median"]
                           / by["postfix"]["accepted_per_s_median"]})

    print()
    print(common.table(
        ["round", "sessions", "server", "messages", "accepted s", "delivered s", "messages/s",
         "server CPU us/msg", "stored"],
        [[r["round"], r["sessions"], r["target"], r["messages"], f"{r['accepted_s']:.2f}",
          "-" if r["delivered_s"] is None else f"{r['delivered_s']:.2f}", f"{r['messages_per_s']:.0f}",
          "-" if r["server_cpu_us_per_msg"] != r["server_cpu_us_per_msg"] else f"{r['server_cpu_us_per_msg']:.0f}",
          r["delivered_count"] if r["delivered_count"] is not None else
          ("-" if r["stored_count"] is None else r["stored_count"])] for r in rows]))
    print()
    print(common.table(
        ["sessions", "server", "rounds", "messages/s (median)", "min-max", "accepted/s", "measured until"],
        [[s["sessions"], s["target"], s["rounds"], f"{s['messages_per_s_median']:.0f}",
          f"{s['messages_per_s_min']:.0f}-{s['messages_per_s_max']:.0f}", f"{s['accepted_per_s_median']:.0f}",
          s["measured_until"]] for s in summary]))
    if ratios:
        print()
        print(common.table(
            ["sessions", "server", "ratio to postfix", "(accepted only)", f"target >= {TARGET_RATIO:g}"],
            [[r["sessions"], r["server"], f"{r['ratio']:.2f}", f"{r['ratio_accepted_only']:.2f}",
              "met" if r["met"] else "MISSED"] for r in ratios]))
    if queues:
        print(f"\nPostfix queue files left at the end: {queues}")
    print(f"\nthis machine: create+write+fsync of 4 KiB {costs['create_write_fsync_4k_ms']:.2f} ms, "
          f"fork+exit+wait {costs['fork_exit_wait_ms']:.2f} ms")
    if not args.no_json:
        path = common.write_results("smtp_postfix", {
            "settings": {"sessions": args.sessions, "messages": args.messages, "payload_bytes": args.length,
                         "keep_connection": args.keep_connection, "rounds": args.rounds,
                         "warmup_messages": args.warmup, "targets": args.targets,
                         "postfix_log_file": args.postfix_log, "postfix_settings": args.postfix_set,
                         "command": " ".join(smtp_source_cmd(0, "HOST", args.sessions[0], args.messages,
                                                             args.length, args.keep_connection)),
                         "postfix_measured_until": "every message in bob's Maildir",
                         "mailsim_measured_until": "smtp-source ended (each 250 after the commit)",
                         "target_ratio": TARGET_RATIO},
            "servers": refs.versions(),
            "system_costs": costs,
            "simulator_uncommitted_changes": refs.simulator_changes(),
            "postfix_queue_at_end": queues,
            "results": rows, "summary": summary, "ratios": ratios})
        print(f"\nresults: {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
