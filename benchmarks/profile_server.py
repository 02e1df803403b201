"""Profile MailSim's gunicorn worker with py-spy while a benchmark load runs.

    pip install py-spy
    python benchmarks/profile_server.py socketio --clients 100 --rounds 30
    python benchmarks/profile_server.py smtp --connections 20 --seconds 8
    python benchmarks/profile_server.py smtp --connections 20 --gil   # GIL holders only

It starts MailSim as the benchmarks do, attaches ``py-spy record`` to the
worker process for the measured part of the load, and then prints the
functions with the largest share of samples: inclusive (the function and
what it calls) and self (the function's own code). The collapsed stacks are
kept in benchmarks/results/profiles/ (flamegraph.pl or speedscope read them).
By default py-spy samples threads that are running (not idle); ``--gil``
samples only the thread holding the GIL, which is what bounds a one-process
Python server on any number of cores.
"""
from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m.group("file")
    for marker in ("site-packages/", "lib/python3.11/", str(common.ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


def summarise(collapsed: Path, top: int) -> str:
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = [short(f) for f in stack.split(";")]
        if frames and frames[0].startswith("process ") or frames and frames[0].startswith("thread "):
            frames = frames[1:]
        for f in set(frames):
            inclusive[f] += n
        if frames:
            own[frames[-1]] += n
    out = [f"{total} samples"]
    out.append("\ninclusive (the function and its callees), share of samples:")
    out += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    out.append("\nself (the function's own code), share of samples:")
    out += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("load", choices=["socketio", "smtp"])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy")
    if not spy:
        parser.error("py-spy is not installed (pip install py-spy)")

    workdir = common.workdir("profile")
    out_dir = common.RESULTS / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    collapsed = out_dir / f"{args.load}{'-gil' if args.gil else ''}-{stamp}.txt"
    server = common.start_mailsim(workdir, smtp=args.load == "smtp")
    try:
        pid = server.worker_pid()
        if args.load == "socketio":
            import socketio_roundtrip as bench
            duration = 60
        else:
            import smtp_throughput as bench
            duration = int(args.seconds) + 2
        cmd = [spy, "record", "--pid", str(pid), "--rate", str(args.rate), "--format", "raw",
               "--output", str(collapsed), "--duration", str(duration), "--nonblocking"]
        if args.gil:
            cmd.append("--gil")
        recorder = None

        def attach():
            nonlocal recorder
            recorder = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        if args.load == "socketio":
            # py-spy attaches while the clients warm up; it stops when the load ends.
            timer = threading.Timer(0.0, attach)
            timer.start()
            result = bench.measure(server, "mailsim", args.clients, args.rounds, 5,
                                   ack=True, inline=False)
            result.pop("samples_ms", None)
        else:
            attach()
            result = bench.measure(server, args.connections, args.seconds, 1.0)
        recorder.send_signal(2)  # SIGINT: py-spy writes what it has
        _, err = recorder.communicate(timeout=60)
        if not collapsed.exists():
            print(err, file=sys.stderr)
            return 1
    finally:
        server.stop()
    common.cleanup(workdir)
    print({k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()
           if k != "per_connection"})
    print(summarise(collapsed, args.top))
    print(f"\ncollapsed stacks: {collapsed.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
