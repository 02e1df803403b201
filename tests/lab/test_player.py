"""The one script player: how a scripted client meets silence, pauses and the end of its script."""
from __future__ import annotations

from simulator.lab import player
from simulator.lab.faults import FaultPlan, FaultRuntime
from simulator.lab.session import Session
from simulator.mail.world import World
from simulator.protocols.smtp.engine import SmtpEngine

SCRIPT = [("line", "HELO client.example.net"), ("pause", 1500), ("line", "MAIL FROM:<alice@example.org>"),
          ("line", "QUIT")]


def session(*rules) -> Session:
    plan = FaultPlan.from_json({"rules": list(rules)})
    return Session("p-1", SmtpEngine(World.load()), faults=FaultRuntime(plan), deliver=lambda d: None,
                   sleep=lambda s: None, clock=lambda: 0.0)


def sent(s: Session) -> list[str]:
    return [ex["text"] for ex in s.transcript if ex["from"] == "client" and ex["kind"] == "command"]


def test_a_whole_script_is_played_and_the_client_hangs_up_at_the_end():
    s = session()
    player.play(s, [("line", "HELO client.example.net"), ("line", "NOOP")])
    assert sent(s) == ["HELO client.example.net", "NOOP"]
    assert s.closed and s.close_reason == "client"


def test_without_a_greeting_the_client_gives_up_before_sending_anything():
    s = session({"stage": "greeting", "silent": True})
    player.play(s, SCRIPT)
    assert sent(s) == [] and s.closed and s.close_reason == "timeout"


def test_an_unanswered_line_ends_the_script_with_a_timeout():
    s = session({"stage": "HELO", "silent": True})
    player.play(s, SCRIPT)
    assert sent(s) == ["HELO client.example.net"]  # nothing sent after the line the server left unanswered
    assert s.closed and s.close_reason == "timeout"


def test_pauses_are_slept_only_when_asked_and_a_kept_session_stays_open():
    slept: list[float] = []
    s = session()
    player.play(s, SCRIPT[:3], sleep=slept.append, keep_open=True)
    assert slept == [1.5] and not s.closed
    quiet = session()
    player.play(quiet, SCRIPT[:3])
    assert sent(quiet) == sent(s) and quiet.closed


def test_a_replay_can_stop_before_an_input_without_hanging_up():
    s = session()
    player.play(s, SCRIPT, stop_after_inputs=2)  # the connection, then HELO: stop before MAIL
    assert sent(s) == ["HELO client.example.net"] and not s.closed
