"""Real TCP listeners: adapt :class:`~simulator.session.Session` to sockets.

Thin on purpose: bytes in, bytes out, an idle timer. All connections of a
listener are served by **one thread running its own asyncio event loop**
(an :class:`asyncio.Protocol` per connection), as aiosmtpd does: with many
connections, a thread each made the GIL change hands dozens of times per
message (docs/performance.md).

Nothing may block the loop, so that a slow or hostile client stalls only
itself:

* **Feeds run inline** on the loop while the session's fault runtime has no
  rule with ``delay_ms`` (engine, faults and the Live events are in-memory
  work; a write to the mail store is committed by the store's writer thread
  while the session waits, paused, and resumes on the loop: ``commit_on``).
  A session whose plan *can* delay sleeps synchronously (its injected
  ``sleep``), so such a connection gets **a worker thread of its own**: every call into its session (``open``, ``feed``,
  ``client_closed``, ``timeout``) is queued to that thread, in order, and the
  loop never touches the session (its lock could be held by a sleeping
  feed). Bytes that arrive while a feed is in flight wait in the queue;
  reading pauses once too many are waiting.
* **Back-pressure:** a client that sends but never reads fills the
  transport's write buffer; above the high-water mark reading is paused, so
  the server stops taking commands it cannot answer (the kernel buffers then
  fill and the client's sends block). Reading resumes when the buffer drains.
  If the client stays stalled for the idle timeout the connection is dropped
  (``client_closed("gone")``), as a blocking ``sendall`` timing out did.
* **Idle timeout:** a timer reset by every ``data_received`` (and held while a
  worker is still busy with the connection); on expiry the session sends the
  catalogue's 421 (``timeout_reply()``) and closes.
* A cap on open connections answers the excess with ``on_busy`` (the 421)
  and closes. EOF → ``client_closed("client")``; a connection error →
  ``client_closed("client")``; an exception in a session costs that
  connection only (``client_closed("gone")``).

``conn.write`` and ``conn.close`` may be called from any thread (a worker, a
Socket.IO handler): off the loop they are handed to it with
``call_soon_threadsafe``, which keeps their order.

The listening socket is bound by :func:`bind` (in gunicorn's master process,
before the worker is forked, so a port in use fails at start with a clear
message and port 0 is resolved before anyone asks /healthz); the event loop
runs in the worker process, next to the Socket.IO server that mirrors it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import threading
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)

# Above this many bytes waiting in a transport's write buffer, reading pauses.
WRITE_HIGH_WATER = 64 * 1024
# How often a session whose engine can report others' changes (IMAP IDLE) is asked.
POLL_SECONDS = 1.0
# Above this many bytes received but not yet fed (worker mode), reading pauses.
QUEUE_HIGH_WATER = 256 * 1024


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop (libuv) where it is installed, else asyncio's own.

    With many connections it takes about 15 % less CPU per SMTP message than
    asyncio's (docs/architecture.md). ``MAILSIM_LOOP=asyncio`` picks asyncio's.
    """
    if os.environ.get("MAILSIM_LOOP", "").lower() != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def bind(host: str, port: int, backlog: int = 128) -> socket.socket:
    """Bind and listen; raises OSError with the OS's reason (e.g. address in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def needs_thread(session: Any) -> bool:
    """True if feeding this session may sleep: its fault plan has a delay rule."""
    plan = getattr(getattr(session, "faults", None), "plan", None)
    return any(getattr(rule, "delay_ms", 0) for rule in getattr(plan, "rules", ()))


class Connection:
    """The transport side of one accepted connection; safe to use from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport,
                 loop_thread: int, close_grace: float):
        self._loop = loop
        self._transport = transport
        self._loop_thread = loop_thread
        self._close_grace = close_grace
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        if threading.get_ident() == self._loop_thread:
            transport = self._transport  # _write, inline: this runs for every reply
            if not transport.is_closing():
                transport.write(data)
        else:
            try:
                self._loop.call_soon_threadsafe(self._write, data)
            except RuntimeError:  # the loop has been closed (listener stopped)
                pass

    def close(self, _reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        if threading.get_ident() == self._loop_thread:
            self._close()
        else:
            try:
                self._loop.call_soon_threadsafe(self._close)
            except RuntimeError:
                pass

    def _write(self, data: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.write(data)

    def _close(self) -> None:
        transport = self._transport
        if transport.is_closing():
            return
        transport.close()  # sends what is buffered, then FIN
        if transport.get_write_buffer_size():
            # A client that never reads must not keep the socket for ever.
            self._loop.call_later(self._close_grace, transport.abort)


class _Worker:
    """A thread that runs one connection's session calls, in order."""

    def __init__(self, name: str, done: Callable[[], None]):
        self._jobs: "queue.SimpleQueue[Optional[tuple]]" = queue.SimpleQueue()
        self._done = done
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable, *args: Any) -> None:
        self._jobs.put((fn, args))

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args = job
            fn(*args)
            self._done()


class _Protocol(asyncio.Protocol):
    """One accepted connection: its session, its idle timer, its flow control."""

    def __init__(self, listener: "Listener", loop: asyncio.AbstractEventLoop):
        self.listener = listener
        self.loop = loop
        # Set by connection_made, which asyncio calls before anything else.
        self.transport: Optional[asyncio.Transport] = None
        self.conn: Optional[Connection] = None
        self.session: Any = None  # what listener.make_session returned (a lab Session)
        self.peer = "?"
        self.counted = False
        self.worker: Optional[_Worker] = None
        self.pending = 0          # jobs handed to the worker and not yet done
        self.queued_bytes = 0     # bytes handed to the worker and not yet fed
        self.write_paused = False
        self.reading_paused = False
        self.idle: Optional[asyncio.TimerHandle] = None
        self.last_activity = 0.0
        self.faults_checked: Any = None
        self.poll_timer: Optional[asyncio.TimerHandle] = None

    # ------------------------------------------------------------ asyncio
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        listener = self.listener
        self.transport = transport
        self.conn = Connection(self.loop, transport, listener._loop_thread, listener.idle_timeout)
        if listener._active >= listener.max_connections:
            try:
                if listener.on_busy:
                    listener.on_busy(self.conn)
            except Exception:  # noqa: BLE001 - a refusal must not hurt the loop
                log.exception("on_busy failed")
            self.conn.close()
            return
        listener._active += 1
        self.counted = True
        addr = transport.get_extra_info("peername") or ("?", 0)
        self.peer = f"{addr[0]}:{addr[1]}"
        sock = transport.get_extra_info("socket")
        try:
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        try:
            self.session = listener.make_session(self.peer, self.conn)
        except Exception:  # noqa: BLE001
            log.exception("connection %s: no session", self.peer)
            transport.abort()
            return
        self._choose_mode()
        self._run(self._open)
        self._arm_idle()
        if hasattr(getattr(self.session, "engine", None), "poll"):
            self.poll_timer = self.loop.call_later(POLL_SECONDS, self._poll)

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is None:
            return
        self.last_activity = self.loop.time()  # _arm_idle, inline: this runs for every input
        if self.idle is None:
            self._arm_idle()
        if self.worker is None:
            faults = getattr(session, "faults", None)
            if faults is None or faults is not self.faults_checked:  # as _choose_mode decides
                self._choose_mode()
        if self.worker is None:
            self._guarded(session.feed, data)
            return
        self.queued_bytes += len(data)
        self._submit(self._feed_job, data)
        self._update_reading()

    def eof_received(self) -> bool:
        if self.session is not None:
            self._run(self._eof)
            return True  # keep the transport until the session has closed it
        return False

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._cancel_idle()
        if self.poll_timer is not None:
            self.poll_timer.cancel()
            self.poll_timer = None
        if self.conn is not None:
            self.conn.closed = True
        if self.counted:
            self.counted = False
            self.listener._active -= 1
        if self.session is not None:
            self._run(self.session.client_closed, "client")
        if self.worker is not None:
            self.worker.stop()

    def pause_writing(self) -> None:
        self.write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._update_reading()

    # ---------------------------------------------------------- internals
    def _choose_mode(self) -> None:
        faults = getattr(self.session, "faults", None)
        if faults is self.faults_checked and self.faults_checked is not None:
            return
        self.faults_checked = faults
        if self.listener.threaded(self.session):
            self.worker = _Worker(f"{self.listener.name}-conn-{self.peer}", self._done_threadsafe)
            self.session.commit_on(None)  # a worker may wait for its commits
        elif hasattr(self.session, "commit_on"):
            # On the loop, never wait for a disk flush: the store commits on its own
            # thread and the session resumes here (docs/architecture.md).
            self.session.commit_on(self._schedule)

    def _schedule(self, fn: Callable[[], Any]) -> None:  # any thread
        try:
            self.loop.call_soon_threadsafe(self._guarded, fn)
        except RuntimeError:  # the listener has stopped
            pass

    def _run(self, fn: Callable, *args: Any) -> None:
        """Call into the session: inline on the loop, or queued to the worker."""
        if self.worker is None:
            self._guarded(fn, *args)
        else:
            self._submit(self._guarded, fn, *args)

    def _submit(self, fn: Callable, *args: Any) -> None:
        assert self.worker is not None  # only in worker mode
        self.pending += 1
        self.worker.submit(fn, *args)

    def _guarded(self, fn: Callable, *args: Any) -> None:
        """Run a session call; a bug costs this connection, never the listener."""
        session, conn = self.session, self.conn
        assert conn is not None  # connection_made has run
        try:
            fn(*args)
        except Exception:  # noqa: BLE001
            log.exception("connection %s failed", self.peer)
            try:
                session.client_closed("gone")
            except Exception:  # noqa: BLE001
                log.exception("connection %s: client_closed failed", self.peer)
            conn.close()
            return
        if session.closed:
            conn.close()

    def _open(self) -> None:
        self.session.open()

    def _eof(self) -> None:
        # Replies still due (after a pending commit) are sent before the close;
        # _guarded closes the connection once the session has.
        client_eof = getattr(self.session, "client_eof", None)
        if client_eof is None:
            self.session.client_closed("client")
        else:
            client_eof()

    def _feed_job(self, data: bytes) -> None:  # worker thread
        try:
            self._guarded(self.session.feed, data)
        finally:
            try:
                self.loop.call_soon_threadsafe(self._fed, len(data))
            except RuntimeError:  # the listener has stopped
                pass

    def _fed(self, n: int) -> None:
        self.queued_bytes -= n
        self._update_reading()

    def _done_threadsafe(self) -> None:  # worker thread, after each job
        try:
            self.loop.call_soon_threadsafe(self._done)
        except RuntimeError:
            pass

    def _done(self) -> None:
        self.pending -= 1
        if self.pending == 0 and self.conn is not None and not self.conn.closed:
            self._arm_idle()  # the idle time counts from the end of a (slow) reply

    def _update_reading(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        pause = self.write_paused or self.queued_bytes > QUEUE_HIGH_WATER
        if pause and not self.reading_paused:
            self.reading_paused = True
            transport.pause_reading()
        elif not pause and self.reading_paused:
            self.reading_paused = False
            transport.resume_reading()

    def _arm_idle(self) -> None:
        # Cheap on every input: note the time; the one timer re-arms itself
        # for the rest of the period when it fires early (no timer per input).
        self.last_activity = self.loop.time()
        if self.idle is None:
            self.idle = self.loop.call_later(self.listener.idle_timeout, self._idle_expired)

    def _poll(self) -> None:
        """Let the session report changes made by others (IMAP IDLE), then look again later."""
        self.poll_timer = None
        if self.conn is None or self.conn.closed or self.session is None or self.session.closed:
            return
        if not self.pending:
            self._run(self.session.poll)
        self.poll_timer = self.loop.call_later(POLL_SECONDS, self._poll)

    def _cancel_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None

    def _idle_expired(self) -> None:
        self.idle = None
        if self.conn is None or self.conn.closed or self.session is None:
            return
        if self.pending:  # still answering (a delay fault): not idle
            self._arm_idle()
            return
        left = self.last_activity + self.listener.idle_timeout - self.loop.time()
        if left > 0:
            self.idle = self.loop.call_later(left, self._idle_expired)
            return
        if self.write_paused:
            # The client has read nothing for the whole timeout: it is gone.
            self._run(self.session.client_closed, "gone")
            self.conn.closed = True
            if self.transport is not None:
                self.transport.abort()
            return
        listener = self.listener
        reply = listener.timeout_reply() if listener.timeout_reply else None
        self._run(self._timeout, reply)

    def _timeout(self, reply: Any) -> None:
        self.session.timeout(reply)
        if self.conn is not None:
            self.conn.close()


class Listener:
    """Accepts connections on a bound socket and runs a session for each.

    ``make_session(peer, conn)`` returns a Session wired to ``conn.write`` and
    ``conn.close``; ``on_busy(conn)`` answers a connection over the cap;
    ``timeout_reply()`` gives the reply sent when the idle timeout expires;
    ``threaded(session)`` says whether a connection's session calls must run
    in a worker thread (default: :func:`needs_thread`, a delay rule).
    """

    def __init__(self, sock: socket.socket, make_session: Callable, *,
                 idle_timeout: float = 300.0, max_connections: int = 200,
                 on_busy: Optional[Callable[[Connection], None]] = None,
                 timeout_reply: Optional[Callable[[], object]] = None,
                 threaded: Callable[[Any], bool] = needs_thread,
                 name: str = "smtp"):
        self.sock = sock
        self.make_session = make_session
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.on_busy = on_busy
        self.timeout_reply = timeout_reply
        self.threaded = threaded
        self.name = name
        self._port = sock.getsockname()[1]
        self._active = 0  # touched on the loop thread only
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._loop_thread = 0
        self._server: Optional[asyncio.AbstractServer] = None
        self._thread: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def active(self) -> int:
        """Connections being served now (not counting refused ones)."""
        return self._active

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name=f"{self.name}-loop", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._shutdown)
            except RuntimeError:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        try:
            self.sock.close()
        except OSError:
            pass

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._loop is not None:
            self._loop.stop()

    def _main(self) -> None:
        loop = new_event_loop()
        self._loop = loop
        self._loop_thread = threading.get_ident()
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Protocol(self, loop), sock=self.sock))
        except BaseException as exc:  # noqa: BLE001
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()
