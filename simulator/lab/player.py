"""The one script player: a scripted client playing lines and pauses into a session.

Scenarios in the lab, "show me" (a lesson task's reference solution), the
checks of ``mailsim lessons check`` and the quiz's replays all play a script
(``("line", text)`` and ``("pause", ms)`` steps, from
:func:`simulator.lab.scenarios.steps_script`) the same way, as a real client
would:

* no greeting after connecting (a silent connect or greeting): the client
  waits, then gives up (``client_closed("timeout")``);
* a line the server leaves unanswered (a silent fault): the client gives up
  the same way and sends nothing more;
* a pause is slept in real time only where someone watches (the lab);
  elsewhere it takes no time;
* at the end the client hangs up (``client_closed("client")``) unless the
  caller keeps the session open (the lab, where the learner may go on typing).

The journey's hops are conversations, not scripts (the client reacts to each
reply), but follow the same two rules for silence.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from simulator.lab.session import Session

Script = Iterable[tuple[str, Any]]


def _greeted(session: Session) -> bool:
    return any(ex["from"] == "server" and ex["kind"] == "reply" for ex in session.transcript)


def _unanswered(session: Session) -> bool:
    last = session.transcript[-1] if session.transcript else None
    return last is not None and last["kind"] == "silence"


def play(session: Session, script: Script, *, opened: bool = False, keep_open: bool = False,
         sleep: Optional[Callable[[float], None]] = None, stop_after_inputs: Optional[int] = None) -> None:
    """Play ``script`` into ``session`` (opening it first unless ``opened``).

    ``sleep(seconds)`` runs the pauses (None: pauses take no time). With
    ``stop_after_inputs`` the client stops, without hanging up, once it has
    sent that many inputs (the connection counts as the first): what the
    server says up to there.
    """
    if not opened:
        session.open()
    if not session.closed and not _greeted(session):
        session.client_closed("timeout")  # no greeting: the client gives up
        return
    inputs = 1
    for kind, value in script:
        if session.closed:
            return
        if stop_after_inputs is not None and inputs >= stop_after_inputs:
            return
        if kind == "pause":
            if sleep is not None:
                sleep(min(float(value), 10_000.0) / 1000)
            continue
        before = len(session.transcript)
        session.feed(str(value).encode("utf-8") + b"\r\n")
        inputs += sum(1 for ex in session.transcript[before:]
                      if ex["from"] == "client" and ex["kind"] in ("command", "data"))
        if _unanswered(session):
            session.client_closed("timeout")  # the client waited for a reply that never came
            return
    if not session.closed and not keep_open and stop_after_inputs is None:
        session.client_closed("client")
