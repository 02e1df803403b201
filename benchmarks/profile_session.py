"""CPU cost of one SMTP message inside MailSim, without sockets or threads.

A real-port :class:`~simulator.session.Session` (made by
``Simulator.new_port_session``, with the web app's Live-page listener
attached, exactly as in ``mailsim serve``) is fed the bytes smtplib sends
for one message (MAIL, RCPT, DATA, the message), over and over; replies go
to a no-op connection. The figure is microseconds of CPU per message in the
simulator's own code path: what the real port costs besides socket I/O and
thread switches. It is steady even on a busy machine, so it is the figure to
compare patches with.

    python benchmarks/profile_session.py                    # µs per message
    python benchmarks/profile_session.py --variant subject,live,clean
    python benchmarks/profile_session.py --cprofile         # where the time goes
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mailsim_variant  # noqa: E402
import smtp_throughput  # noqa: E402

ONE_MESSAGE = (f"MAIL FROM:<{smtp_throughput.SENDER}>\r\n".encode()
               + f"RCPT TO:<{smtp_throughput.RECIPIENT}>\r\n".encode()
               + b"DATA\r\n" + smtp_throughput.MESSAGE + b".\r\n")


class NullConnection:
    closed = False

    def write(self, data: bytes) -> None:
        pass

    def close(self, _reason: str = "") -> None:
        self.closed = True


def build(variant: str):
    for name in filter(None, variant.split(",")):
        if name in ("sync-handlers", "inline-feed"):
            continue  # Socket.IO-only patches: nothing to do here
        getattr(mailsim_variant, "patch_" + name.replace("-", "_"))()
    from simulator.app import Simulator
    from simulator.web import create_app

    # A fresh folder each time (a folder left by an older or newer MailSim may have another schema).
    sim = Simulator(data_dir=Path(tempfile.mkdtemp(prefix="mailsim-bench-session-")))
    create_app(simulator=sim)  # attaches the Live page's listener, as `mailsim serve` does
    return sim


def run(sim, messages: int) -> float:
    """Seconds of CPU for ``messages`` messages on one connection (EHLO once)."""
    session = sim.new_port_session("127.0.0.1:1", NullConnection())
    session.open()
    session.feed(b"EHLO bench.example.net\r\n")
    start = time.process_time()
    for _ in range(messages):
        session.feed(ONE_MESSAGE)
    used = time.process_time() - start
    if session.closed:
        raise RuntimeError(f"the session closed: {session.close_reason}")
    sim.store.reset_realm("server", seed=False)  # the delivered messages go
    return used


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="the best round counts (default 5)")
    parser.add_argument("--variant", default="", help="patches of benchmarks/mailsim_variant.py")
    parser.add_argument("--cprofile", action="store_true", help="profile one round with cProfile")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    sim = build(args.variant)
    try:
        return measure(sim, args)
    finally:
        sim.store.close()
        shutil.rmtree(sim.data_dir, ignore_errors=True)


def measure(sim, args) -> int:
    run(sim, 200)  # warm up
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        run(sim, args.messages)
        prof.disable()
        stats = pstats.Stats(prof)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        return 0
    best = min(run(sim, args.messages) for _ in range(args.rounds))
    label = args.variant or "mailsim"
    print(f"{label}: {best / args.messages * 1e6:.0f} us of CPU per message "
          f"(best of {args.rounds} rounds of {args.messages})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
