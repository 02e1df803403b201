"""Real TCP listeners: adapt :class:`~simulator.session.Session` to sockets.

Thin on purpose: bytes in, bytes out, an idle timer. One thread per
connection, so a slow or hostile client stalls only itself; a cap on open
connections answers the excess with the catalogue's 421 and closes.

The listening socket is bound by :func:`bind` (in gunicorn's master process,
before the worker is forked, so a port in use fails at start with a clear
message and port 0 is resolved before anyone asks /healthz); the accept loop
runs in the worker process, next to the Socket.IO server that mirrors it.
"""
from __future__ import annotations

import itertools
import logging
import socket
import threading
from typing import Callable, Optional

log = logging.getLogger(__name__)

RECV_SIZE = 65536


def bind(host: str, port: int, backlog: int = 128) -> socket.socket:
    """Bind and listen; raises OSError with the OS's reason (e.g. address in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class Connection:
    """The transport side of one accepted connection."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._wlock = threading.Lock()
        self.closed = False

    def write(self, data: bytes) -> None:
        with self._wlock:
            if not self.closed:
                self.sock.sendall(data)

    def close(self, _reason: str = "") -> None:
        with self._wlock:
            if self.closed:
                return
            self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Listener:
    """Accepts connections on a bound socket and runs a session for each.

    ``make_session(peer, conn)`` returns a Session wired to ``conn.write`` and
    ``conn.close``; ``on_busy(conn)`` answers a connection over the cap;
    ``timeout_reply()`` gives the reply sent when the idle timeout expires.
    """

    def __init__(self, sock: socket.socket, make_session: Callable, *,
                 idle_timeout: float = 300.0, max_connections: int = 200,
                 on_busy: Optional[Callable[[Connection], None]] = None,
                 timeout_reply: Optional[Callable[[], object]] = None,
                 name: str = "smtp"):
        self.sock = sock
        self.make_session = make_session
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.on_busy = on_busy
        self.timeout_reply = timeout_reply
        self.name = name
        self._active = 0
        self._count_lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._accept_loop, name=f"{self.name}-accept",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, addr = self.sock.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            with self._count_lock:
                busy = self._active >= self.max_connections
                if not busy:
                    self._active += 1
            conn = Connection(client)
            if busy:
                threading.Thread(target=self._refuse, args=(conn,), daemon=True).start()
                continue
            peer = f"{addr[0]}:{addr[1]}"
            threading.Thread(target=self._serve, args=(conn, peer),
                             name=f"{self.name}-conn-{next(self._ids)}", daemon=True).start()

    def _refuse(self, conn: Connection) -> None:
        try:
            if self.on_busy:
                self.on_busy(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _serve(self, conn: Connection, peer: str) -> None:
        session = None
        try:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sock.settimeout(self.idle_timeout)
            session = self.make_session(peer, conn)
            session.open()
            while not session.closed and not conn.closed:
                try:
                    data = conn.sock.recv(RECV_SIZE)
                except socket.timeout:
                    session.timeout(self.timeout_reply() if self.timeout_reply else None)
                    break
                except OSError:
                    session.client_closed("client")
                    break
                if not data:
                    session.client_closed("client")
                    break
                session.feed(data)
        except Exception:  # a bug must cost one connection, never the listener
            log.exception("connection %s failed", peer)
            if session is not None:
                session.client_closed("gone")
        finally:
            conn.close()
            with self._count_lock:
                self._active -= 1
