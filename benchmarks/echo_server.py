"""The bare baseline for the Socket.IO round-trip benchmark: an echo server.

Served exactly as ``mailsim serve`` serves MailSim (simulator/cli.py): gunicorn,
one ``gthread`` worker with the same thread count, timeout, keep-alive and log
level; Socket.IO in threading mode with simple-websocket; the same Engine.IO
options (max_http_buffer_size, ping interval and timeout, same-origin check).
The only handler, ``echo``, emits its payload straight back to the sender.

Two flavours:

* ``--flavour bare`` (the baseline of the targets): python-socketio's
  ``socketio.Server`` wrapped in ``socketio.WSGIApp``, no Flask at all;
* ``--flavour flask``: the same echo through Flask + Flask-SocketIO, which
  MailSim uses, so a gap can be split into "the framework" and "MailSim";
* ``--flavour shape`` (a diagnostic, not a baseline): MailSim's *shape*
  without MailSim's code: Flask-SocketIO, a handler that answers with an
  acknowledgement and hands the line to a per-connection worker thread
  through a queue, and the worker emits two exchange-sized events (the
  command, then the reply), as ``lab.send`` does. If MailSim is close to
  this, its cost is the architecture (packets and thread hand-offs), not
  the engine.

``GET /healthz`` answers ``{"status": "ok", "ports": {"http": N}}`` once the
worker is up, like MailSim's, so the benchmark waits for both the same way.

    python benchmarks/echo_server.py --port 5001 [--flavour flask] [--threads 256]
"""
from __future__ import annotations

import argparse
import json
import sys

MAX_PACKET = 64 * 1024  # as simulator/web/__init__.py
SIO_OPTIONS = dict(async_mode="threading", max_http_buffer_size=MAX_PACKET,
                   ping_interval=20, ping_timeout=20, cors_allowed_origins=None)


def bare_app(ports: dict):
    import socketio

    sio = socketio.Server(logger=False, engineio_logger=False, **SIO_OPTIONS)

    @sio.on("echo")
    def echo(sid, data):
        sio.emit("echo", data, to=sid)

    def health(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            body = json.dumps({"status": "ok", "flavour": "bare", "ports": ports}).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return socketio.WSGIApp(sio, health)


def flask_app(ports: dict):
    from flask import Flask, jsonify, request
    from flask_socketio import SocketIO

    app = Flask(__name__)
    app.config.update(SECRET_KEY="echo")
    socketio = SocketIO()

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok", "flavour": "flask", "ports": ports})

    @socketio.on("echo")
    def echo(data):
        socketio.emit("echo", data, to=request.sid)

    socketio.init_app(app, logger=False, engineio_logger=False, **SIO_OPTIONS)
    return app


def shape_app(ports: dict):
    import queue
    import threading
    import time

    from flask import Flask, jsonify, request
    from flask_socketio import SocketIO

    app = Flask(__name__)
    app.config.update(SECRET_KEY="echo")
    socketio = SocketIO()
    workers: dict[str, queue.Queue] = {}
    lock = threading.Lock()
    t0 = time.monotonic()

    def exchange(sid, seq, side, kind, text, code=None, verb=None):
        return {"session": "lab-shape", "seq": seq, "from": side, "kind": kind, "text": text,
                "code": code, "key": "250.ok" if code else None, "verb": verb,
                "phase": "establishment", "state": "greeted", "fault": None,
                "t_ms": int((time.monotonic() - t0) * 1000)}

    def work(sid: str, q: "queue.Queue") -> None:
        seq = 0
        while True:
            item = q.get()
            if item is None:
                return
            seq += 2
            socketio.emit("echo", {**exchange(sid, seq - 1, "client", "command", item["line"],
                                              verb="NOOP"), "n": item["n"]}, to=sid)
            socketio.emit("echo", {**exchange(sid, seq, "server", "reply", "250 OK", 250),
                                   "n": item["n"], "last": True}, to=sid)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok", "flavour": "shape", "ports": ports})

    @socketio.on("echo.send")
    def echo_send(data):
        if not isinstance(data, dict) or not isinstance(data.get("line"), str):
            return {"ok": False}
        sid = request.sid
        with lock:
            q = workers.get(sid)
            if q is None:
                q = workers[sid] = queue.Queue()
                threading.Thread(target=work, args=(sid, q), daemon=True).start()
        q.put(data)
        return {"ok": True}

    @socketio.on("disconnect")
    def gone(*_args):
        with lock:
            q = workers.pop(request.sid, None)
        if q is not None:
            q.put(None)

    socketio.init_app(app, logger=False, engineio_logger=False, **SIO_OPTIONS)
    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--threads", type=int, default=256, help="as mailsim serve (default 256)")
    parser.add_argument("--flavour", choices=("bare", "flask", "shape"), default="bare")
    args = parser.parse_args(argv)

    from gunicorn.app.base import BaseApplication

    ports = {"http": None}

    def when_ready(server):
        ports["http"] = server.LISTENERS[0].sock.getsockname()[1]
        print(f"echo server ({args.flavour}) on http://{args.host}:{ports['http']}/", flush=True)

    class EchoServer(BaseApplication):
        # The same settings as MailSimServer.load_config in simulator/cli.py.
        def load_config(self):
            self.cfg.set("bind", [f"{args.host}:{args.port}"])
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", max(8, args.threads))
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 3)
            self.cfg.set("keepalive", 5)
            self.cfg.set("loglevel", "warning")
            self.cfg.set("accesslog", None)
            self.cfg.set("when_ready", when_ready)

        def load(self):
            return {"bare": bare_app, "flask": flask_app, "shape": shape_app}[args.flavour](ports)

    EchoServer().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
