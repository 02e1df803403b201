"""``mailsim serve`` with experimental patches, to measure a suggested fix.

A diagnostic for docs/performance.md, not a way to run MailSim: it applies
monkeypatches to the simulator in this process, then runs the unchanged
``simulator.cli.main`` (gunicorn forks the worker after the patches, so the
worker has them too). The source files are not touched.

    python benchmarks/mailsim_variant.py --patch subject,live -- serve --port 0 --smtp-port 0 ...

The benchmarks start it for you: ``--variant subject,live`` on
socketio_roundtrip.py or smtp_throughput.py adds a ``mailsim+subject,live``
target beside the plain ``mailsim``.

Patches (each is one of the suggestions in docs/performance.md):

* ``subject``: ``store.schema.subject_of`` parses only the header block with the
  compat32 policy and decodes RFC 2047 words with ``email.header``, instead
  of ``BytesHeaderParser(policy=default)`` over the whole message.
* ``live``: the real port's events are emitted to the ``live`` room only
  when someone is in it (``events.attach``'s ``to_watchers``).
* ``clean``: ``replies._clean`` returns printable ASCII as it is, without
  rebuilding it character by character.
* ``sync-handlers``: Socket.IO events are handled in the WebSocket's reader
  thread (python-socketio ``async_handlers=False``) instead of a new thread
  per incoming message; order per connection is kept by construction.
* ``inline-feed`` (with ``sync-handlers``): ``lab.send`` feeds the session
  in the handler's own thread when the lab session's queue is empty, instead
  of handing the line to the session's worker thread. (An experiment only:
  a delay fault would then sleep in the WebSocket's reader thread.)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATCHES = ("subject", "live", "clean", "sync-handlers", "inline-feed")


def patch_subject() -> None:
    from email.header import decode_header, make_header
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    from simulator.store import mailboxes, schema

    parser = BytesHeaderParser(policy=compat32)

    def _subject(content: bytes) -> str:
        try:
            end = content.find(b"\r\n\r\n")
            head = content if end < 0 else content[:end + 2]
            raw = parser.parsebytes(head).get("Subject")
            if not raw:
                return ""
            return str(make_header(decode_header(str(raw))))
        except Exception:
            return ""

    # the store's rows and the mailbox views both take the subject from schema.subject_of
    schema.subject_of = _subject
    mailboxes.subject_of = _subject


def patch_live() -> None:
    from simulator.web import events

    original = events.attach

    def attach(app) -> None:
        original(app)  # lab.send and the Live listener
        sim = events.sim_of(app)

        def to_watchers(name: str, payload: dict) -> None:
            rooms = events.socketio.server.manager.rooms.get("/", {})
            if rooms.get(events.LIVE_ROOM):
                events.socketio.emit(name, payload, to=events.LIVE_ROOM)

        sim.live_listeners[-1] = to_watchers  # in place of the one attach added

    events.attach = attach


def patch_clean() -> None:
    from simulator.protocols.smtp import replies

    original = replies._clean

    def _clean(value) -> str:
        text = value if isinstance(value, str) else str(value)
        if text.isascii() and text.isprintable() and len(text) <= replies.MAX_PARAM:
            return text
        return original(text)

    replies._clean = _clean


def patch_sync_handlers() -> None:
    from flask_socketio import SocketIO

    original = SocketIO.init_app

    def init_app(self, app, **kwargs):
        kwargs.setdefault("async_handlers", False)
        return original(self, app, **kwargs)

    SocketIO.init_app = init_app


def patch_inline_feed() -> None:
    import queue

    from simulator.lab import labs

    original_init = labs.LabSession.__init__

    class InlineQueue(queue.Queue):
        def __init__(self, lab):
            super().__init__()
            self.lab = lab

        def put(self, item, block=True, timeout=None):
            kind, payload = item
            if kind == "line" and self.empty() and self.lab.thread.is_alive():
                try:
                    self.lab._send_typed(payload)
                except Exception:
                    labs.log.exception("lab session %s failed", self.lab.session.sid)
                    self.lab.session.client_closed("gone")
                return
            super().put(item, block, timeout)

    def __init__(self, session):
        original_init(self, session)
        self.queue = InlineQueue(self)

    labs.LabSession.__init__ = __init__


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patch", default="", help=f"comma-separated: {', '.join(PATCHES)}")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="mailsim's own arguments (after --)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    for name in filter(None, args.patch.split(",")):
        if name not in PATCHES:
            parser.error(f"unknown patch {name!r}; known: {', '.join(PATCHES)}")
        globals()["patch_" + name.replace("-", "_")]()
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    from simulator.cli import main as mailsim_main
    return mailsim_main(rest)


if __name__ == "__main__":
    sys.exit(main())
