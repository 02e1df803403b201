"""CPU cost of one POP3 RETR and one IMAP UID FETCH batch inside MailSim, without sockets.

Like ``profile_session.py`` for SMTP: a real-port :class:`~simulator.session.Session`
(``Simulator.new_port_session``, the web app's Live-page listener attached,
as in ``mailsim serve``) is fed the bytes ``mail_access.py``'s client sends,
replies go to a no-op connection. The store is a fresh data folder holding
``--messages`` messages of ``--size`` bytes (the benchmark's own) in alice's
INBOX. The figure is microseconds of CPU per message in MailSim's own code:
what the real port costs besides the event loop and the socket calls.

    python benchmarks/profile_access.py                   # both, us per message
    python benchmarks/profile_access.py --test pop3-retr --cprofile
    py-spy record -r 1000 -f raw -o /tmp/pop3.txt -- python benchmarks/profile_access.py --test pop3-retr
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

import mail_access  # noqa: E402
from profile_session import NullConnection  # noqa: E402

TESTS = ("pop3-retr", "imap-body", "imap-header")


def build(folder: Path, messages: int, size: int):
    from simulator.app import Simulator
    from simulator.web import create_app

    sim = Simulator(data_dir=folder)
    create_app(simulator=sim)  # the Live page's listener, as `mailsim serve` attaches it
    smtp = sim.new_port_session("127.0.0.1:1", NullConnection(), "smtp")
    smtp.open()
    smtp.feed(b"EHLO bench.example.net\r\n")
    box = sim.store.server
    for info in box.listing("alice", "INBOX"):  # the sample mail of a fresh folder
        box.store.write(lambda db, uid=info.uid: db.execute(
            "DELETE FROM messages WHERE uid = ? AND mailbox_id IN (SELECT id FROM mailboxes "
            "WHERE realm = ? AND user = 'alice' AND name = 'INBOX')", (uid, box.realm)))
    for n in range(1, messages + 1):
        raw = mail_access.make_message(n, size)
        smtp.feed(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"
                  + raw + b".\r\n")
    return sim


def pop3_round(sim, messages: int) -> float:
    session = sim.new_port_session("127.0.0.1:2", NullConnection(), "pop3")
    session.open()
    session.feed(b"USER alice\r\nPASS alice\r\nSTAT\r\n")
    lines = [b"RETR %d\r\n" % n for n in range(1, messages + 1)]
    start = time.process_time()
    for line in lines:
        session.feed(line)
    used = time.process_time() - start
    session.feed(b"QUIT\r\n")
    if not session.closed or session.close_reason != "quit":
        raise RuntimeError(f"the POP3 session: {session.close_reason}")
    return used


def imap_round(sim, messages: int, item: str, batch: int = 100) -> float:
    session = sim.new_port_session("127.0.0.1:3", NullConnection(), "imap")
    session.open()
    session.feed(b"a1 LOGIN alice alice\r\na2 EXAMINE INBOX\r\n")
    uids = [m.uid for m in sim.store.server.listing("alice", "INBOX")]
    lines = [b"b%d UID FETCH %d:%d (%s)\r\n" % (i, uids[i], uids[min(i + batch, len(uids)) - 1], item.encode())
             for i in range(0, len(uids), batch)]
    start = time.process_time()
    for line in lines:
        session.feed(line)
    used = time.process_time() - start
    session.feed(b"z LOGOUT\r\n")
    return used


def one(sim, test: str, messages: int) -> float:
    if test == "pop3-retr":
        return pop3_round(sim, messages)
    return imap_round(sim, messages, "BODY.PEEK[HEADER]" if test == "imap-header" else "BODY.PEEK[]")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", nargs="+", default=list(TESTS), choices=TESTS)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=5, help="the best round counts (default 5)")
    parser.add_argument("--cprofile", action="store_true", help="profile one round with cProfile")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mailsim-profile-access-"))
    try:
        sim = build(folder, args.messages, args.size)
        for test in args.test:
            one(sim, test, args.messages)  # warm up (and fill the caches)
            if args.cprofile:
                prof = cProfile.Profile()
                prof.enable()
                one(sim, test, args.messages)
                prof.disable()
                stats = pstats.Stats(prof)
                stats.sort_stats("tottime").print_stats(args.top)
                continue
            best = min(one(sim, test, args.messages) for _ in range(args.rounds))
            print(f"{test}: {best / args.messages * 1e6:.1f} us of CPU per message "
                  f"(best of {args.rounds} rounds of {args.messages})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
