"""``mailsim serve``: the web app and the real SMTP, POP3 and IMAP ports, in one process.

The HTTP side runs on gunicorn with one gthread worker (Flask-SocketIO's
threading mode with simple-websocket: each WebSocket holds a thread, so the
worker gets enough threads for every open connection). The real SMTP port is
bound in gunicorn's master before the worker is forked, so a port in use is
reported at once and ``--smtp-port 0`` is resolved before /healthz is asked;
the worker runs the accept loops beside the Socket.IO server that mirrors them.
POP3 and IMAP ports work the same way.
See docs/architecture.md for why.
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path
from typing import Optional

from simulator import i18n
from simulator.protocols import registry

# RFC 5321 §4.5.3.2.7 (5 minutes), RFC 1939 §3 (at least 10), RFC 3501 §5.4 (at least 30).


def _port(value: str) -> Optional[int]:
    if value.lower() in ("off", "none", "no"):
        return None
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number or 'off': {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return port


def _public_url(value: str) -> str:
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"not an http:// or https:// address: {value!r}")
    return value.strip().rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailsim", description="MailSim: e-mail protocols, animated.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the web simulator and the real SMTP, POP3 and IMAP ports")
    serve.add_argument("--host", default="127.0.0.1", help="address for HTTP and the mail ports (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=5000, help="HTTP port (default 5000; 0 picks a free one)")
    for proto in registry.SPECS.values():
        serve.add_argument(f"--{proto.name}-port", type=_port, default=proto.default_port,
                           help=f"real {proto.title} port (default {proto.default_port}; 0 picks a free one; "
                                "'off' disables it)")
    serve.add_argument("--public-url", type=_public_url, default=None,
                       help="the address learners reach MailSim at (e.g. http://192.168.1.20:5000), for the "
                            "links it shows; default: worked out from --host and each request")
    serve.add_argument("--faults", type=Path,
                       help="fault plan (JSON) for the real ports; each rule's \"protocol\" says which port")
    serve.add_argument("--data", type=Path, help="data folder (default: the user's data directory)")
    serve.add_argument("--threads", type=int, default=256,
                       help="worker threads, one per open WebSocket or TCP request (default 256)")
    serve.add_argument("--idle-timeout", type=float, default=None,
                       help="seconds before an idle mail connection is closed (default: the RFCs' minimums, "
                            "SMTP 300, POP3 600, IMAP 1800)")
    lessons = sub.add_parser("lessons", help="work with lesson files (docs/lessons.md)")
    lessons_sub = lessons.add_subparsers(dest="lessons_command", required=True)
    check = lessons_sub.add_parser("check", help="validate lesson files and play every task's reference solution")
    check.add_argument("dir", nargs="?", type=Path, default=None,
                       help="the lessons folder, holding en/, ru/ and glossary.toml (default: the shipped lessons)")
    check.add_argument("--no-play", action="store_true", help="only parse and cross-check; do not play solutions")
    quizzes = sub.add_parser("quizzes", help="work with authored quiz questions (docs/quizzes.md)")
    quizzes_sub = quizzes.add_subparsers(dest="quizzes_command", required=True)
    qcheck = quizzes_sub.add_parser("check", help="validate the authored quiz question files")
    qcheck.add_argument("dir", nargs="?", type=Path, default=None,
                        help="the folder of *.toml question files (default: the shipped quizzes/)")
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "lessons":
        return lessons_check(args)
    if args.command == "quizzes":
        return quizzes_check(args)
    return 2


def quizzes_check(args) -> int:
    """``mailsim quizzes check [DIR]``: the authored questions' problems as ``file:line: message``; exit 1 if any."""
    from simulator.quiz import authored as quiz_authored
    from simulator.quiz.bank import validate_authored
    if args.dir is not None and not args.dir.is_dir():
        print(f"{args.dir}: not a folder of quiz question files", file=sys.stderr)
        return 1
    errors = validate_authored(args.dir)
    for error in errors:
        print(error, file=sys.stderr)
    lang = i18n.terminal_language()
    if errors:
        print(i18n.t(lang, "cli.problems", n=len(errors)), file=sys.stderr)
        return 1
    found = quiz_authored.load_authored(args.dir)[0]
    print(i18n.t(lang, "cli.quizzes.valid", n=len(found)))
    return 0


def lessons_check(args) -> int:
    """``mailsim lessons check [DIR]``: every problem as ``file:line: message``; exit 1 if any."""
    from simulator.course.lessons import validate
    course, errors = validate(args.dir, play=not args.no_play)
    for error in errors:
        print(error, file=sys.stderr)
    lessons = sum(len(by_lang) for by_lang in course.lessons.values())
    tasks = sum(len(lesson.tasks()) for by_lang in course.lessons.values() for lesson in by_lang.values())
    if errors:
        print(i18n.t(i18n.terminal_language(), "cli.problems", n=len(errors)), file=sys.stderr)
        return 1
    print(f"{lessons} lesson files ({len(course.lessons)} lessons), {tasks} tasks and "
          f"{len(course.glossary)} glossary terms: all valid.")
    return 0


def serve(args) -> int:
    from simulator.app import Simulator, default_data_dir, load_teacher_key
    from simulator.lab import wire
    from simulator.lab.faults import FaultPlan, FaultPlanError

    plan = FaultPlan()
    if args.faults:
        try:
            plan = FaultPlan.from_json(json.loads(args.faults.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            detail = str(exc) if isinstance(exc, FaultPlanError) else f"{type(exc).__name__}: {exc}"
            print(f"mailsim: cannot use the fault plan {args.faults}: {detail}", file=sys.stderr)
            return 2

    data_dir = args.data or default_data_dir()
    try:
        key, created = load_teacher_key(data_dir)
    except OSError as exc:
        print(f"mailsim: cannot use the data folder {data_dir}: {exc}", file=sys.stderr)
        return 2

    sim = Simulator(data_dir=data_dir, port_faults=plan, teacher_key=key, host=args.host)
    sim.public_url = args.public_url
    expired = sim.expire_learners()
    if expired:
        print(f"Dropped {len(expired)} learners' mail unused for a year.", flush=True)

    socks = {}
    for protocol in registry.PROTOCOLS:
        port = getattr(args, f"{protocol}_port")
        if port is None:
            continue
        try:
            socks[protocol] = wire.bind(args.host, port)
        except OSError as exc:
            for sock in socks.values():
                sock.close()
            print(f"mailsim: cannot listen for {protocol.upper()} on {args.host}:{port}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
        sim.ports[protocol] = socks[protocol].getsockname()[1]

    if created:
        print(f"Teacher key (shown once, kept in {data_dir / 'teacher.key'}): {key}", flush=True)

    from gunicorn.app.base import BaseApplication

    class MailSimServer(BaseApplication):
        def load_config(self):
            host = f"[{args.host}]" if ":" in args.host else args.host
            self.cfg.set("bind", [f"{host}:{args.port}"])
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", max(8, args.threads))
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 3)
            self.cfg.set("keepalive", 5)
            self.cfg.set("loglevel", "warning")
            self.cfg.set("accesslog", None)
            self.cfg.set("when_ready", when_ready)
            self.cfg.set("post_worker_init", post_worker_init)

        def load(self):
            from simulator.web import create_app
            return create_app(simulator=sim)

    def when_ready(server):
        sim.ports["http"] = server.LISTENERS[0].sock.getsockname()[1]
        shown = "localhost" if args.host in ("127.0.0.1", "::1") else args.host
        lines = [f"MailSim is running: http://{shown}:{sim.ports['http']}/"]
        for protocol in socks:
            lines.append(f"Real {protocol.upper()} port: {args.host}:{sim.ports[protocol]} "
                         f"(try: telnet {args.host} {sim.ports[protocol]})")
        print("\n".join(lines), flush=True)

    def listen(protocol: str, sock: socket.socket) -> None:
        listener = wire.Listener(
            sock,
            lambda peer, conn: sim.new_port_session(peer, conn, protocol),
            idle_timeout=args.idle_timeout or registry.spec(protocol).idle_timeout,
            on_busy=lambda conn: conn.write(sim.busy_reply(protocol).wire()),
            timeout_reply=lambda: sim.timeout_reply(protocol),
            name=protocol,
        )
        listener.start()

    def post_worker_init(worker):
        for protocol, sock in socks.items():
            listen(protocol, sock)

    MailSimServer().run()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
