"""A minimal Socket.IO client for the round-trip benchmark: no thread per packet.

Speaks Engine.IO v4 / Socket.IO v5 directly over one WebSocket
(websocket-client's ``create_connection``), with blocking reads on the
caller's thread, the way a browser's Socket.IO client handles every packet
on its single event loop. python-socketio's ``Client`` instead starts a
thread for every packet it receives, which on a 2-core machine makes the
benchmark client's own cost grow with the number of packets a server sends
(MailSim answers a ``lab.send`` with three, the echo with one).

Only what the benchmark needs, for the default namespace:

* connect: ``ws://HOST:PORT/socket.io/?EIO=4&transport=websocket``, read the
  ``0{...}`` open packet, send ``40``, read ``40{"sid": ...}``;
* pings (``2``) are answered (``3``) whenever they are read;
* ``emit``: ``42["event",data]``, or ``42<id>["event",data]`` to ask for an
  acknowledgement, which comes back as ``43<id>[...]``;
* ``next``: the next Socket.IO packet as ``(type, ack id, data)``.

No binary packets, no reconnection, no polling transport.
"""
from __future__ import annotations

import json
from typing import Any, Optional

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class ProtocolError(RuntimeError):
    pass


class RawSocketIO:
    """One Socket.IO connection on one WebSocket; use it from one thread only."""

    def __init__(self, url: str, timeout: float = 10.0):
        import websocket  # websocket-client

        ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        # TCP_NODELAY is among websocket-client's default socket options.
        self.ws = websocket.create_connection(ws_url, timeout=timeout, skip_utf8_validation=True,
                                              enable_multithread=False)
        self.packets = 0       # Socket.IO packets received
        self._ack_ids = 0
        frame = self._frame()
        if not frame.startswith("0"):
            raise ProtocolError(f"expected the Engine.IO open packet, got {frame[:80]!r}")
        self.engine = json.loads(frame[1:])
        self.ws.send("40")
        kind, _aid, data = self.next()
        if kind != "0":
            raise ProtocolError(f"expected the Socket.IO connect packet, got {kind!r} {data!r}")
        self.sid = data.get("sid") if isinstance(data, dict) else None

    # ---------------------------------------------------------------- frames
    def _frame(self) -> str:
        frame = self.ws.recv()
        if not frame:
            raise ConnectionError("the server closed the WebSocket")
        if isinstance(frame, bytes):
            raise ProtocolError("binary frames are not supported")
        return frame

    def next(self) -> tuple[str, Optional[int], Any]:
        """The next Socket.IO packet: (type digit, ack id or None, decoded JSON or None).

        Engine.IO pings are answered and skipped; a close packet raises.
        """
        while True:
            frame = self._frame()
            kind = frame[0]
            if kind == "4":                 # Engine.IO message: a Socket.IO packet follows
                self.packets += 1
                return self._parse(frame, 1)
            if kind == "2":                 # ping -> pong
                self.ws.send("3" + frame[1:])
            elif kind == "6":               # noop
                continue
            elif kind == "1":
                raise ConnectionError("the server closed the Engine.IO session")
            else:
                raise ProtocolError(f"unexpected Engine.IO packet {frame[:80]!r}")

    @staticmethod
    def _parse(frame: str, i: int) -> tuple[str, Optional[int], Any]:
        kind = frame[i]
        i += 1
        if frame.startswith("/", i):        # a namespace other than "/" (not used here)
            comma = frame.find(",", i)
            i = len(frame) if comma < 0 else comma + 1
        j = i
        while j < len(frame) and frame[j].isdigit():
            j += 1
        ack_id = int(frame[i:j]) if j > i else None
        data = json.loads(frame[j:]) if j < len(frame) else None
        return kind, ack_id, data

    # ------------------------------------------------------------------ emit
    def emit(self, event: str, data: Any, *, ack: bool = False) -> Optional[int]:
        """Send an event; with ``ack``, return the id its acknowledgement will carry."""
        if ack:
            self._ack_ids += 1
            self.ws.send(f"42{self._ack_ids}" + _dumps([event, data]))
            return self._ack_ids
        self.ws.send("42" + _dumps([event, data]))
        return None

    def call(self, event: str, data: Any, events: Optional[list] = None) -> Any:
        """Emit with an acknowledgement and read until it arrives; return its first argument.

        Events read meanwhile are appended to ``events`` as (name, data).
        """
        aid = self.emit(event, data, ack=True)
        while True:
            kind, got, body = self.next()
            if kind == "3" and got == aid:
                return body[0] if body else None
            if kind == "2" and events is not None and body:
                events.append((body[0], body[1] if len(body) > 1 else None))

    def close(self) -> None:
        try:
            self.ws.send("41")
        except Exception:
            pass
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass
