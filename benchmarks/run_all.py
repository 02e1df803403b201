"""Run every benchmark in turn (each one starts and stops its own servers).

    python benchmarks/run_all.py              # each benchmark once
    python benchmarks/run_all.py --repeat 2   # twice, to see the spread
    python benchmarks/run_all.py --quick      # shorter runs, a smoke check

Each benchmark prints its table and writes benchmarks/results/<name>-<time>.json.
On 2 cores a full run takes about a minute and a half per repeat.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer round trips, shorter windows")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each measurement wait up to this long for an idle CPU")
    parser.add_argument("--no-json", action="store_true")
    args = parser.parse_args(argv)

    common = ["--repeat", str(args.repeat), "--wait-quiet", str(args.wait_quiet)]
    common += ["--no-json"] if args.no_json else []
    runs = [
        ["socketio_roundtrip.py", *common, *(["--rounds", "200", "10"] if args.quick else [])],
        ["smtp_throughput.py", *common, *(["--seconds", "3", "--warmup", "1"] if args.quick else [])],
    ]
    status = 0
    for script, *rest in runs:
        print(f"\n=== {script} {' '.join(rest)}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / script), *rest])
        status = status or done.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
