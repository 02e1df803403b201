"""Checking a lesson's task against session transcripts, and playing its reference solution.

A task (:class:`simulator.lessons.Task`) passes when **one** of the learner's
sessions of the task's protocol matches every ``expect`` (each at least
``count`` times) and no ``forbid``. A transcript is the list of exchanges a
:class:`simulator.session.Session` records (``from``, ``kind``, ``verb``,
``text``, ``code``, ``fault``...). A client command is paired with the server
reply that answers it: the next reply before the client's next command (a
silent server answers nothing). When no session passes, the feedback comes
from the closest one (the most expects met; the latest on a tie): the
``missing`` text of each unmet expect and the ``present`` text of each
matched forbid, so the learner reads what exactly is missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

from simulator.course.blocks import PERSONAL_NAME, Match, Task
from simulator.lab import player
from simulator.store import realms

__all__ = ["CheckResult", "evaluate", "play_solution", "check_solution", "pairs", "fill_name"]


@dataclass
class CheckResult:
    done: bool
    feedback: list = field(default_factory=list)  # texts of what is missing or wrong
    reason: str = ""  # "" | "no_session" (nothing to check yet) | "answer" (the question) | "checks"
    sessions: int = 0  # how many sessions were looked at


def fill_name(text: str, personal_name: Optional[str]) -> str:
    return text.replace(PERSONAL_NAME, personal_name) if personal_name else text


@dataclass
class _Pair:
    """A client exchange (or the connection, for the greeting) and the reply that answers it."""

    client: Optional[dict]
    reply: Optional[dict]


def pairs(transcript: Sequence[dict]) -> list[_Pair]:
    """Each client command or message with its reply; the greeting is the pair of the connection."""
    out: list[_Pair] = []
    current: Optional[_Pair] = None
    for ex in transcript:
        side, kind = ex.get("from"), ex.get("kind")
        if side == "client" and kind in ("command", "data"):
            current = _Pair(ex, None)
            out.append(current)
        elif side == "client" and kind == "tcp" and ex.get("text") == "connect":
            current = _Pair(None, None)  # the greeting answers the connection
            out.append(current)
        elif side == "server" and kind == "reply" and current is not None and current.reply is None:
            current.reply = ex
        elif side == "server" and kind == "silence":
            current = None  # nothing answers it: a later reply (an idle timeout's 421) is not its answer
    return out


def _arg_pattern(m: Match, personal_name: Optional[str]) -> Optional[re.Pattern]:
    if not m.arg:
        return None
    source = m.arg.replace(PERSONAL_NAME, re.escape(personal_name or "ms-unknown"))
    return re.compile(source, re.I | re.M)


def _reply_ok(m: Match, reply: Optional[dict]) -> bool:
    if not (m.reply or m.cls is not None or m.fault is not None):
        return True
    if reply is None:
        return False
    if m.reply and reply.get("code") not in m.reply:
        code = reply.get("code")
        if not (isinstance(code, str) and code.upper() in m.reply):
            return False
    if m.cls is not None:
        code = reply.get("code")
        if not isinstance(code, int) or code // 100 != m.cls:
            return False
    if m.fault is not None and (reply.get("fault") is not None) != m.fault:
        return False
    return True


def count(m: Match, transcript: Sequence[dict], personal_name: Optional[str] = None) -> int:
    """How many exchanges of ``transcript`` match ``m``."""
    if m.closed_by:
        last = transcript[-1] if transcript else None
        return int(bool(last and last.get("kind") == "tcp" and last.get("text") != "connect"
                        and last.get("from") == m.closed_by))
    pattern = _arg_pattern(m, personal_name)
    n = 0
    for pair in pairs(transcript):
        client = pair.client
        if m.greeting:
            if client is not None or pair.reply is None:  # the greeting is a reply: a silent server sent none
                continue
        elif m.message:
            if client is None or client.get("kind") != "data":
                continue
        elif m.command:
            if client is None or client.get("kind") != "command" or (client.get("verb") or "").upper() != m.command:
                continue
        elif pattern is not None and client is None:
            continue
        if pattern is not None and not pattern.search(_client_text(client)):
            continue
        if not _reply_ok(m, pair.reply):
            continue
        n += 1
    return n


def _client_text(client: Optional[dict]) -> str:
    if client is None:
        return ""
    text = client.get("text") or ""
    if client.get("kind") == "data":
        # The message as the learner wrote it: CR LF as line ends, without the final "." line.
        lines = text.replace("\r\n", "\n").split("\n")
        while lines and lines[-1] in ("", "."):
            lines.pop()
        text = "\n".join(line[1:] if line.startswith("..") else line for line in lines)
    return text


def _judge(task: Task, transcript: Sequence[dict], personal_name: Optional[str]) -> tuple[int, list[str]]:
    met = 0
    feedback: list[str] = []
    for m in task.expects:
        if count(m, transcript, personal_name) >= m.count:
            met += 1
        else:
            feedback.append(fill_name(m.text, personal_name))
    for m in task.forbids:
        if count(m, transcript, personal_name) >= m.count:
            feedback.append(fill_name(m.text, personal_name))
    return met, feedback


def evaluate(task: Task, transcripts: Iterable[Sequence[dict]], personal_name: Optional[str] = None,
             answer: Optional[int] = None) -> CheckResult:
    """Check ``task`` against sessions (oldest first) and, if it has a question, the learner's ``answer``."""
    result = CheckResult(done=False)
    question_ok = True
    question_feedback: list[str] = []
    if task.question is not None:
        question_ok = answer == task.question.answer
        if not question_ok:
            question_feedback = [fill_name(text, personal_name) for text in task.question.feedback(answer)]
    if not (task.expects or task.forbids):
        result.done = question_ok
        result.feedback = question_feedback
        result.reason = "" if question_ok else "answer"
        return result
    best: Optional[tuple[int, int, list[str]]] = None
    sessions = list(transcripts)
    result.sessions = len(sessions)
    for index, transcript in enumerate(sessions):
        met, feedback = _judge(task, transcript, personal_name)
        if not feedback:
            best = (met, index, [])
            break
        if best is None or (met, index) >= (best[0], best[1]):
            best = (met, index, feedback)
    if best is None:
        result.reason = "no_session"
        result.feedback = question_feedback
        return result
    checks_ok = not best[2]
    result.done = checks_ok and question_ok
    result.feedback = best[2] + question_feedback
    result.reason = "" if result.done else ("checks" if not checks_ok else "answer")
    return result


# ------------------------------------------------------------ solutions
def solution_plan(task: Task):
    """The fault plan a task's reference solution runs with."""
    from simulator.lab.faults import FaultPlan
    from simulator.lab.scenarios import load_presets
    sol = task.solution
    protocol = task.protocol or "smtp"
    if sol is not None and sol.preset:
        return load_presets()[sol.preset].plan
    if sol is not None and sol.faults is not None:
        return FaultPlan.from_json({"protocol": protocol, **sol.faults})
    return FaultPlan(protocol=protocol)


def solution_script(task: Task, personal_name: Optional[str] = None) -> list[tuple[str, object]]:
    """The reference solution as a transport plays it: ("line", text) and ("pause", ms)."""
    from simulator.lab.scenarios import steps_script
    return [(kind, fill_name(value, personal_name) if kind == "line" else value)
            for kind, value in steps_script(task.solution.steps if task.solution else ())]


def play_solution(task: Task, personal_name: Optional[str] = None, mailboxes=None) -> list[dict]:
    """Play the reference solution against a fresh copy of the default world; its transcript."""
    from simulator.lab.faults import FaultRuntime
    from simulator.lab.session import Session, make_engine
    from simulator.mail.world import World
    from simulator.store.db import MailStore

    store = None
    if mailboxes is None:
        store = MailStore(World.load())
        mailboxes = store.realm(realms.LESSON_CHECK)
    protocol = task.protocol or "smtp"
    session = Session("solution", make_engine(mailboxes.world, protocol, mailboxes, owner="solution"),
                      faults=FaultRuntime(solution_plan(task)), store=mailboxes, protocol=protocol,
                      sleep=lambda _s: None, peer="lab")
    try:
        player.play(session, solution_script(task, personal_name))
        return list(session.transcript)
    finally:
        if store is not None:
            store.close()


def check_solution(task: Task, personal_name: str = "ms-check1") -> Optional[str]:
    """None when the task's reference solution passes its own check, else what fails."""
    if task.solution is None or not (task.expects or task.forbids):
        return None
    transcript = play_solution(task, personal_name)
    result = evaluate(task, [transcript], personal_name, answer=task.question.answer if task.question else None)
    if result.done:
        return None
    return "; ".join(result.feedback) or "it does not pass"
