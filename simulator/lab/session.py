"""One connection's life: protocol engine + fault plan + transcript.

Theory of operation. A transport (the browser lab or a real TCP port) owns a
:class:`Session` and does only I/O: it hands the session the bytes a client
sent (``feed``), and the session writes replies back through the ``write``
callback and reports every exchange through ``listener``. For each complete
input the session

1. records what the client sent (a ``command`` or ``data`` exchange);
2. lets the engine answer, after taking a snapshot of its state;
3. asks the fault runtime whether a rule fires for this stage, and applies
   it: a replaced reply (a 4yz/5yz restores the snapshot: the command is
   refused as the engine itself would; a refused end of data delivers
   nothing and ends the transaction), a delay, silence or a dropped
   connection;
4. delivers accepted messages *before* their 250 is written, since a 250
   after DATA means the server has taken responsibility (RFC 5321 §4.1.1.4);
5. records and writes the reply.

So the engine always tells the truth about the protocol and the fault layer
says what it changed: a fault-made exchange carries ``fault = {rule,
natural, action}``. The session holds a lock, so transports may call it from
any thread; a delay is slept in the caller's thread, so a transport feeds a
session whose faults can delay from a thread of that connection's own.

Writes (SMTP deliveries, POP3/IMAP effects) go to ``store`` (a
:class:`~simulator.mailboxes.Mailboxes` view; tests may pass ``deliver``
instead). By default the session waits for the commit. A transport running
many sessions on one event loop calls :meth:`Session.commit_on` to be given
the commit instead: the session pauses (later input waits in the engine's
buffer), the store commits on its writer thread, and the transport runs
:meth:`Session.resume` back on its loop, which sends the reply and goes on
with the input that waited. So a loop never blocks on a disk flush, and the
store can commit many sessions' writes together.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Optional

from simulator.protocols.base import Command, Delivery, Engine, MessageData, Outcome, Reply
from simulator.protocols.registry import spec

log = logging.getLogger(__name__)

Listener = Callable[[str, dict], None]

# A hostile client could send commands for ever; the transcript kept for
# replay and export stops growing here (events are still emitted).
MAX_TRANSCRIPT = 5000


def _noop(*_args: Any) -> None:
    return None


def _reply_summary(reply: Optional[Reply]) -> Optional[dict]:
    if reply is None:
        return None
    return {"code": reply.code, "key": reply.key, "text": reply.text}


class Session:
    """A simulated server conversation with one client, transport-independent."""

    def __init__(
        self,
        sid: str,
        engine: Any,
        *,
        faults: Any = None,
        deliver: Optional[Callable[[Delivery], Any]] = None,
        store: Any = None,
        listener: Listener = _noop,
        write: Callable[[bytes], Any] = _noop,
        close: Callable[[str], Any] = _noop,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
        protocol: str = "smtp",
        peer: str = "lab",
    ) -> None:
        self.sid = sid
        self.engine = engine
        self.faults = faults
        self.protocol = protocol
        self.peer = peer
        self._deliver = deliver
        self.store = store
        self._schedule: Optional[Callable[[Callable[[], Any]], Any]] = None
        self._paused = False
        self._eof_pending = False  # the client half-closed while a commit was pending
        self._listener = listener
        self._write = write
        self._close_transport = close
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.RLock()
        self._start = clock()
        self.started_wall = time.time()
        self.transcript: list[dict] = []
        self._seq = 0
        self.closed = False
        self.close_reason: Optional[str] = None
        self._last_state: Optional[str] = None

    # ----------------------------------------------------------------- info
    @property
    def state(self) -> str:
        return "closed" if self.closed else self.engine.state

    @property
    def in_data(self) -> bool:
        return bool(getattr(self.engine, "in_data", False)) and not self.closed

    def info(self) -> dict:
        return {
            "session": self.sid,
            "protocol": self.protocol,
            "peer": self.peer,
            "started": self.started_wall,
            "state": self.state,
            "exchanges": self._seq,
            "closed": self.closed,
        }

    def commit_on(self, schedule: Optional[Callable[[Callable[[], Any]], Any]]) -> None:
        """Commit writes without waiting; ``schedule(fn)`` must run ``fn`` on the transport's thread.

        ``None`` goes back to waiting for each commit."""
        self._schedule = schedule

    # ------------------------------------------------------------ lifecycle
    def open(self) -> None:
        """The client has connected: record it and send the greeting (through faults)."""
        with self._lock:
            decision = self._decide("connect", "")
            fault = None
            if decision is not None:
                fault = {"rule": decision.index, "natural": None, "action": self._action(decision)}
                if decision.delay_ms:
                    self._sleep(decision.delay_ms / 1000)
            opening = self.engine.phase  # SMTP's establishment, POP3's authorization...
            self._record("client", "tcp", "connect", phase=opening, fault=fault)
            if decision is not None and decision.disconnect:
                self._finish("fault", side="server", text="reset")
                return
            if decision is not None and decision.silent:
                return
            natural = self.engine.greeting()
            decision = self._decide("greeting", "")
            reply, fault, close = natural, None, False
            if decision is not None:
                fault = {"rule": decision.index, "natural": _reply_summary(natural),
                         "action": self._action(decision)}
                if decision.delay_ms:
                    self._sleep(decision.delay_ms / 1000)
                if decision.disconnect:
                    self._finish("fault", side="server", text="reset", fault=fault)
                    return
                if decision.silent:
                    self._record("server", "silence", "", phase=opening, fault=fault)
                    return
                if decision.reply is not None:
                    reply = self.engine.fault_reply(decision.reply, decision.text, "greeting")
                    self.engine.refuse(reply)  # e.g. SMTP 554 waits for QUIT; IMAP PREAUTH logs in
                    close = reply.closes
            self._send_reply(reply, opening, fault)
            if close:
                self._finish("server", side="server")

    def feed(self, data: bytes) -> None:
        """Bytes from the client: process every complete command or message."""
        with self._lock:
            if self.closed:
                return
            self.engine.receive_data(data)
            self._drain()

    def _drain(self) -> None:
        while not self.closed and not self._paused:
            item = self.engine.next_input()
            if item is None:
                break
            self._process(item)

    def poll(self) -> None:
        """Let the engine report changes made elsewhere (IMAP IDLE); transports call it now and then."""
        with self._lock:
            poll = getattr(self.engine, "poll", None)
            if self.closed or self._paused or poll is None:
                return
            outcome = poll()
            if outcome is not None:
                for reply in outcome.replies:
                    self._send_reply(reply, self.engine.phase, None)
                if outcome.close and not self.closed:
                    self._finish("server", side="server")
                else:
                    self._state_changed()

    def client_eof(self) -> None:
        """The client has sent all it will (it half-closed): answer what is waiting, then close.

        A client may send a whole session and shut its side down at once
        (``printf 'EHLO...QUIT' | nc``); commands queued behind a pending commit
        still get their replies, the 250 after the final dot above all."""
        with self._lock:
            if self.closed:
                return
            if self._paused:
                self._eof_pending = True
                return
            self._finish("client", side="client")

    def client_closed(self, reason: str = "client") -> None:
        """The client went away (EOF, browser left, or the learner closed it)."""
        with self._lock:
            if not self.closed:
                self._finish(reason, side="client")

    def timeout(self, reply: Optional[Reply]) -> None:
        """The idle timeout expired: send the catalogue's 421 and close."""
        with self._lock:
            if self.closed:
                return
            if reply is not None:
                self._send_reply(reply, "termination", None)
            self._finish("timeout", side="server", text="timeout")

    # ------------------------------------------------------------- internals
    def _decide(self, stage: str, arg: str):
        if self.faults is None:
            return None
        return self.faults.decide(stage, arg, protocol=self.protocol)

    @staticmethod
    def _action(decision) -> str:
        if decision.disconnect:
            return "disconnect"
        if decision.silent:
            return "silent"
        if decision.reply is not None:
            return "reply"
        return "delay"

    def _process(self, item: Any) -> None:
        engine = self.engine
        if isinstance(item, MessageData):
            stage, arg = "DATA_END", ""
            phase = "transfer"
            self._record("client", "data", (item.raw or item.content).decode("utf-8", "replace"),
                         phase=phase, verb="DATA_END")
        else:
            assert isinstance(item, Command)
            stage, arg = item.verb, item.arg
            phase = engine.phase_of(item)
            self._record("client", "command", item.line, phase=phase, verb=item.verb)

        snap = engine.snapshot()
        outcome: Outcome = engine.handle(item)
        faults = self.faults
        decision = None if faults is None else faults.decide(stage, arg, protocol=self.protocol)

        if decision is None:
            if outcome.deliveries or outcome.effects:
                self._complete(outcome, phase, None, stage, item, snap)
            else:  # the usual case: nothing to commit, send the answer
                self._send(outcome, phase, None, stage)
            return

        natural = outcome.replies[-1] if outcome.replies else None

        fault = {"rule": decision.index, "natural": _reply_summary(natural),
                 "action": self._action(decision)}
        if decision.delay_ms:
            self._sleep(decision.delay_ms / 1000)
        if decision.disconnect:
            if stage != "DATA_END":
                engine.restore(snap)
            self._finish("fault", side="server", text="reset", fault=fault)
            return
        if decision.silent:
            # Treated as never received: the client will time out.
            if stage != "DATA_END":
                engine.restore(snap)
            self._record("server", "silence", "", phase=phase, fault=fault)
            return
        if decision.reply is None:  # delay only: the natural answer, late
            self._complete(outcome, phase, fault, stage, item, snap)
            return

        reply = engine.fault_reply(decision.reply, decision.text, stage)
        natural_ok = natural is not None and natural.ok
        keep = reply.ok and natural_ok
        if stage == "DATA_END":
            # The transaction has ended either way; a refusal delivers nothing.
            deliveries = outcome.deliveries if keep else []
        else:
            if not keep:
                engine.restore(snap)
            deliveries = outcome.deliveries if keep else []
        close = (outcome.close and keep) or reply.closes
        if keep and natural is not None and getattr(natural, "lines", None) and hasattr(reply, "with_lines"):
            reply = reply.with_lines(natural.lines)  # IMAP: a positive fault keeps the data (FETCH, LIST...)
        replies = list(outcome.replies[:-1]) + [reply] if keep else [reply]
        self._complete(Outcome(replies=replies, deliveries=deliveries,
                               effects=outcome.effects if keep else [], close=close),
                       phase, fault, stage, item, snap)

    def _complete(self, outcome: Outcome, phase: str, fault: Optional[dict], stage: str,
                  item: Any = None, snap: Any = None) -> None:
        if outcome.deliveries or outcome.effects:
            schedule = self._schedule
            if schedule is not None:
                self._paused = True
                args = (outcome, phase, fault, stage, item, snap)
                self._commit_async(outcome, lambda error: schedule(lambda: self.resume(error, *args)))
                return
            try:
                self._commit(outcome)
            except Exception as error:  # noqa: BLE001 - the store refused: the engine says so
                outcome = self._refused_by_store(error, item, snap)
        self._send(outcome, phase, fault, stage)

    def resume(self, error: Optional[BaseException], outcome: Outcome, phase: str,
               fault: Optional[dict], stage: str, item: Any, snap: Any) -> None:
        """The commit a paused session waited for has ended: answer, then go on with waiting input."""
        with self._lock:
            self._paused = False
            if self.closed:
                return
            if error is not None:
                outcome = self._refused_by_store(error, item, snap)
            self._send(outcome, phase, fault, stage)
            self._drain()
            if self._eof_pending and not self._paused and not self.closed:
                self._finish("client", side="client")

    def _commit(self, outcome: Outcome) -> None:
        if self.store is not None:
            self.store.commit(outcome.deliveries, outcome.effects)
        elif self._deliver is not None:
            for delivery in outcome.deliveries:
                self._deliver(delivery)

    def _commit_async(self, outcome: Outcome, done: Callable[[Optional[BaseException]], Any]) -> None:
        if self.store is not None and hasattr(self.store, "commit_async"):
            self.store.commit_async(outcome.deliveries, outcome.effects, done)
            return
        try:
            self._commit(outcome)
        except Exception as error:  # noqa: BLE001
            done(error)
        else:
            done(None)

    def _refused_by_store(self, error: BaseException, item: Any, snap: Any) -> Outcome:
        log.warning("session %s: the store refused a write: %s", self.sid, error)
        if snap is not None:
            self.engine.restore(snap)
        return self.engine.effect_failed(item, error)

    def _send(self, outcome: Outcome, phase: str, fault: Optional[dict], stage: str) -> None:
        for reply in outcome.replies:
            self._send_reply(reply, phase, fault)
        if outcome.close and not self.closed:
            if stage in ("QUIT", "LOGOUT"):
                reason = "quit"
            elif not outcome.replies:
                reason = "protocol"
            else:
                reason = "server"
            self._finish(reason, side="server")
        else:
            self._state_changed()

    def _send_reply(self, reply: Reply, phase: str, fault: Optional[dict]) -> None:
        self._record("server", "reply", reply.text, phase=phase, fault=fault,
                     code=reply.code, key=reply.key)
        try:
            self._write(reply.wire())
        except OSError:
            self._finish("gone", side="client")

    def _finish(self, reason: str, *, side: str, text: str = "close",
                fault: Optional[dict] = None) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        try:
            self.engine.connection_closed()  # e.g. a POP3 maildrop lock
        except Exception:  # noqa: BLE001 - closing must always finish
            pass
        self._record(side, "tcp", text, phase="termination", fault=fault)
        self._listener("session.state", {"session": self.sid, "state": "closed",
                                         "phase": "termination"})
        self._listener("session.closed", {"session": self.sid, "reason": reason})
        try:
            self._close_transport(reason)
        except OSError:
            pass

    def _state_changed(self) -> None:
        state = "closed" if self.closed else self.engine.state
        if state != self._last_state:
            self._last_state = state
            phase = "termination" if state == "closed" else self.engine.phase
            self._listener("session.state", {"session": self.sid, "state": state, "phase": phase})

    def _record(self, side: str, kind: str, text: str, *, phase: str,
                fault: Optional[dict] = None, code: Optional[int] = None,
                key: Optional[str] = None, verb: Optional[str] = None) -> dict:
        seq = self._seq + 1
        exchange = {
            "session": self.sid,
            "seq": seq,
            "from": side,
            "kind": kind,
            "text": text,
            "code": code,
            "key": key,
            "verb": verb,
            "phase": phase,
            "state": "closed" if self.closed else self.engine.state,
            "fault": fault,
            "t_ms": round((self._clock() - self._start) * 1000),  # round() of a float is an int
        }
        self._seq = seq
        transcript = self.transcript
        if len(transcript) < MAX_TRANSCRIPT:
            transcript.append(exchange)
        self._listener("exchange", exchange)
        return exchange


def make_engine(world, protocol: str, mailboxes=None, owner: str = "lab",
                now: Callable[[], float] = time.time) -> Engine:
    """A fresh engine of ``protocol`` for one live connection: the registry's
    factory with this process's clock and a unique APOP stamp (pid and time)."""
    return spec(protocol).new_engine(world, mailboxes, owner=owner, now=now,
                                     stamp=f"{os.getpid()}.{time.time_ns() // 1000}")
