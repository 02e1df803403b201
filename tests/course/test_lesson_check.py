"""Checking lesson tasks against session transcripts (simulator/lesson_check.py).

Transcripts come from real sessions: each is played through the protocol's
engine, a fault runtime and a fresh copy of the default world, exactly as
:func:`lesson_check.play_solution` plays a task's reference solution.
"""
from __future__ import annotations

from contextlib import closing
from typing import Optional

import pytest

from simulator.course import check as lesson_check
from simulator.course.check import check_solution, count, evaluate, pairs, play_solution
from simulator.course.lessons import Match, Question, Solution, Task
from simulator.lab.faults import FaultPlan, FaultRuntime
from simulator.lab.scenarios import Step
from simulator.lab.session import Session, make_engine
from simulator.mail.world import World
from simulator.store.db import MailStore


# ----------------------------------------------------------------- helpers
def steps(*items) -> tuple:
    """Solution steps: a str is a command line, a list is an SMTP message (its lines, without the '.')."""
    return tuple(Step("data", tuple(item)) if isinstance(item, list) else Step("send", item) for item in items)


def task(*expects: Match, forbids: tuple = (), protocol: Optional[str] = "smtp", play: tuple = (),
         preset: Optional[str] = None, faults: Optional[dict] = None, question: Optional[Question] = None,
         source: str = "lab") -> Task:
    solution = Solution(preset=preset, faults=faults, steps=steps(*play), line=10) if protocol else None
    return Task(id="t", line=1, goal="Do it.", hints=(), done="Done.", protocol=protocol, source=source,
                solution=solution, expects=tuple(expects), forbids=tuple(forbids), question=question)


def expect(text: str = "missing", **fields) -> Match:
    """A Match as the lesson parser builds it (``cls`` for ``class``, replies as a tuple)."""
    reply = fields.pop("reply", ())
    if not isinstance(reply, tuple):
        reply = (reply,)
    return Match(line=1, text=text, reply=reply, **fields)


def session(protocol: str = "smtp", *lines, preset: Optional[str] = None, faults: Optional[dict] = None,
            personal_name: Optional[str] = None) -> list[dict]:
    """The transcript of one played session (the way a reference solution is played)."""
    return play_solution(task(expect(command="NOOP"), protocol=protocol, play=lines, preset=preset, faults=faults),
                         personal_name)


def question(answer: int = 2) -> Question:
    return Question(prompt="Which?", choices=("a", "b", "c"), answer=answer, explain="Yes.",
                    wrong="Think about b.", line=5)


def test_each_wrong_choice_gets_its_own_explanation_then_the_hint():
    q = Question(prompt="Which?", choices=("a", "b", "c"), answer=2, explain="Yes.", wrong="", line=5,
                 why_wrong=("a is about `x`.", "", "c is about y."))
    t = task(protocol=None, question=q)
    assert evaluate(t, [], answer=1).feedback == ["a is about `x`."]
    assert evaluate(t, [], answer=3).feedback == ["c is about y."]
    assert evaluate(t, [], answer=2).feedback == []
    hinted = Question(prompt="Which?", choices=("a", "b"), answer=2, explain="Yes.", wrong="Think.", line=5,
                      why_wrong=("Not a.", ""))
    assert evaluate(task(protocol=None, question=hinted), [], answer=1).feedback == ["Not a.", "Think."]


SMTP_MAIL = ("EHLO client.example", "MAIL FROM:<john@client.example>", "RCPT TO:<bob@example.org>", "DATA",
             ["Subject: Lunch", "", "See you at noon.", ".hidden dot", "Bye"], "QUIT")


# ------------------------------------------------------------------ pairs
def test_pairs_put_the_greeting_with_the_connection_and_each_command_with_its_reply():
    transcript = session("smtp", "EHLO client.example", "NOOP", "QUIT")
    got = [(p.client and p.client["text"], p.reply and p.reply["code"]) for p in pairs(transcript)]
    assert got == [(None, 220), ("EHLO client.example", 250), ("NOOP", 250), ("QUIT", 221)]


def test_pairs_keep_a_multi_line_reply_as_one_answer():
    transcript = session("smtp", "EHLO client.example", "NOOP")
    ehlo = pairs(transcript)[1]
    assert ehlo.reply["code"] == 250
    assert ehlo.reply["text"].splitlines()[0].startswith("250-") and "250 HELP" in ehlo.reply["text"]
    assert pairs(transcript)[2].client["text"] == "NOOP"  # the extension lines are not taken for replies to NOOP


def test_pairs_give_the_smtp_message_its_own_reply_after_354():
    got = [(p.client and p.client["kind"], p.reply and p.reply["code"]) for p in pairs(session("smtp", *SMTP_MAIL))]
    assert got[4:] == [("command", 354), ("data", 250), ("command", 221)]


def test_pairs_give_a_silenced_command_no_reply():
    transcript = session("smtp", "EHLO client.example", "MAIL FROM:<a@client.example>", "NOOP",
                         faults={"rules": [{"stage": "MAIL", "silent": True}]})
    mail = pairs(transcript)[2]
    assert mail.client["verb"] == "MAIL" and mail.reply is None
    assert len(pairs(transcript)) == 3  # the client gave up waiting: NOOP was never sent


def test_pairs_do_not_take_a_later_timeout_reply_for_the_answer_to_a_silenced_command():
    with closing(MailStore(World.load())) as store:
        mailboxes = store.realm("t")
        plan = FaultPlan.from_json({"rules": [{"stage": "MAIL", "silent": True}]})
        s = Session("s", make_engine(mailboxes.world, "smtp", mailboxes), faults=FaultRuntime(plan),
                    store=mailboxes, sleep=lambda _s: None)
        s.open()
        s.feed(b"EHLO client.example\r\nMAIL FROM:<a@client.example>\r\n")
        s.timeout(s.engine.timeout_reply())  # the idle timer's 421, minutes later
        transcript = list(s.transcript)
    assert [ex["kind"] for ex in transcript[-3:]] == ["silence", "reply", "tcp"]
    assert pairs(transcript)[2].reply is None
    assert count(expect(command="MAIL", reply=421), transcript) == 0


def test_pairs_of_imap_have_the_tagged_status_and_pop3_the_status_indicator():
    imap = pairs(session("imap", "a LOGIN bob bob", "b SELECT INBOX", "c LOGOUT"))
    assert [(p.client and p.client["verb"], p.reply["code"]) for p in imap] == [
        (None, "OK"), ("LOGIN", "OK"), ("SELECT", "OK"), ("LOGOUT", "OK")]
    pop3 = pairs(session("pop3", "USER bob", "PASS wrong", "QUIT"))
    assert [p.reply["code"] for p in pop3] == ["+OK", "+OK", "-ERR", "+OK"]


# ------------------------------------------------------------------ count
def test_count_matches_a_command_verb_case_insensitively_with_its_reply():
    transcript = session("smtp", "ehlo client.example", "RCPT TO:<bob@example.org>", "MAIL FROM:<a@b.example>",
                         "RCPT TO:<bob@example.org>", "RCPT TO:<alice@example.org>")
    assert count(expect(command="EHLO"), transcript) == 1
    assert count(expect(command="RCPT"), transcript) == 3
    assert count(expect(command="RCPT", reply=250), transcript) == 2
    assert count(expect(command="RCPT", reply=503), transcript) == 1
    assert count(expect(command="RCPT", reply=(503, 550)), transcript) == 1
    assert count(expect(command="VRFY"), transcript) == 0


def test_count_of_arg_searches_the_whole_command_line_case_insensitively():
    transcript = session("smtp", "EHLO client.example", "MAIL FROM:<a@b.example>", "RCPT TO:<Bob@Example.org>",
                         "RCPT TO:<alice@example.org>")
    assert count(expect(command="RCPT", arg="bob@example\\.org"), transcript) == 1
    assert count(expect(command="RCPT", arg="^RCPT TO:<alice"), transcript) == 1
    assert count(expect(command="MAIL", arg="bob"), transcript) == 0
    assert count(expect(arg="example\\.org"), transcript) == 2  # an arg alone: any command line, not the greeting


def test_count_of_arg_fills_in_the_personal_name():
    transcript = session("smtp", "EHLO ms-k3v9qa", "NOOP")
    m = expect(command="EHLO", arg="^EHLO {personal_name}$")
    assert count(m, transcript, "ms-k3v9qa") == 1
    assert count(m, transcript, "ms-other1") == 0
    assert count(m, transcript) == 0  # no personal name: nobody's name matches


def test_count_of_arg_takes_the_personal_name_literally_not_as_a_regex():
    transcript = session("smtp", "EHLO msXk3v9qa")
    assert count(expect(command="EHLO", arg="{personal_name}"), transcript, "ms.k3v9qa") == 0


def test_count_of_message_matches_the_dot_unstuffed_text_line_by_line():
    transcript = session("smtp", *SMTP_MAIL)
    assert count(expect(message=True), transcript) == 1
    assert count(expect(message=True, reply=250), transcript) == 1
    assert count(expect(message=True, arg="^Subject: Lunch$"), transcript) == 1
    assert count(expect(message=True, arg="^\\.hidden dot$"), transcript) == 1  # the learner's text, unstuffed
    assert count(expect(message=True, arg="^\\.\\.hidden"), transcript) == 0
    assert count(expect(message=True, arg="^Bye$"), transcript) == 1  # the last line, without the final "."
    assert count(expect(message=True, arg="^See you$"), transcript) == 0
    assert count(expect(message=True, arg="Subject: Dinner"), transcript) == 0


def test_count_of_message_does_not_match_commands_and_command_does_not_match_the_message():
    transcript = session("smtp", *SMTP_MAIL)
    assert count(expect(message=True, arg="RCPT"), transcript) == 0
    assert count(expect(command="DATA"), transcript) == 1  # the DATA command only, not the message after it


def test_count_of_greeting_matches_only_the_reply_to_the_connection():
    transcript = session("smtp", "EHLO client.example")
    assert count(expect(greeting=True), transcript) == 1
    assert count(expect(greeting=True, reply=220), transcript) == 1
    assert count(expect(greeting=True, reply=(421, 554)), transcript) == 0
    refused = session("smtp", "EHLO client.example", preset="server_not_ready")
    assert count(expect(greeting=True, reply=(421, 554)), refused) == 1


def test_count_of_greeting_is_zero_when_the_server_stayed_silent():
    transcript = session("smtp", "EHLO client.example", faults={"rules": [{"stage": "greeting", "silent": True}]})
    assert count(expect(greeting=True), transcript) == 0


def test_count_of_a_reply_alone_matches_any_server_reply_including_the_greeting():
    transcript = session("smtp", "EHLO client.example", "MAIL FROM:<a@b.example>", "QUIT")
    assert count(expect(reply=250), transcript) == 2
    assert count(expect(reply=(220, 221)), transcript) == 2


def test_count_of_class_matches_the_first_digit_of_smtp_replies():
    transcript = session("smtp", "EHLO client.example", "RCPT TO:<bob@example.org>", "MAIL FROM:<a@b.example>",
                         "RCPT TO:<nobody@example.org>", "RCPT TO:<bob@example.org>", "FOO")
    assert count(expect(command="RCPT", cls=5), transcript) == 2  # 503 out of sequence, 550 unknown user
    assert count(expect(command="RCPT", cls=2), transcript) == 1
    assert count(expect(command="RCPT", cls=4), transcript) == 0
    assert count(expect(cls=2), transcript) == 4  # greeting, EHLO, MAIL, one RCPT


def test_count_of_fault_tells_fault_made_replies_from_the_engines_own():
    transcript = session("smtp", "EHLO client.example", "MAIL FROM:<a@b.example>", "RCPT TO:<bob@example.org>",
                         "RCPT TO:<bob@example.org>", preset="greylisting")
    assert count(expect(command="RCPT", fault=True), transcript) == 1
    assert count(expect(command="RCPT", fault=True, reply=450), transcript) == 1
    assert count(expect(command="RCPT", fault=False), transcript) == 1
    assert count(expect(command="RCPT", fault=False, reply=450), transcript) == 0
    assert count(expect(fault=True), transcript) == 1
    assert count(expect(fault=False), transcript) == 4  # greeting, EHLO, MAIL, the second RCPT


def test_count_of_closed_by_is_the_side_that_ended_the_session():
    quit = session("smtp", "EHLO client.example", "QUIT")
    hung_up = session("smtp", "EHLO client.example")
    refused = session("smtp", "EHLO client.example", preset="server_not_ready")
    assert count(expect(closed_by="server"), quit) == 1 and count(expect(closed_by="client"), quit) == 0
    assert count(expect(closed_by="client"), hung_up) == 1 and count(expect(closed_by="server"), hung_up) == 0
    assert count(expect(closed_by="server"), refused) == 1
    assert count(expect(closed_by="server"), quit[:-1]) == 0  # a session still open is closed by nobody
    assert count(expect(closed_by="client"), []) == 0


def test_count_compares_with_the_threshold_in_evaluate():
    transcript = session("smtp", "EHLO a.example", "NOOP", "NOOP")
    assert count(expect(command="NOOP"), transcript) == 2
    assert evaluate(task(expect(command="NOOP", count=2)), [transcript]).done
    assert not evaluate(task(expect(command="NOOP", count=3)), [transcript]).done


def test_count_of_imap_verbs_tells_uid_forms_from_plain_ones():
    transcript = session("imap", "a LOGIN bob bob", "b SELECT INBOX", "c FETCH 1 FLAGS", "d UID FETCH 1 FLAGS",
                         "e UID FETCH 2 FLAGS", "f uid search all", "g SELECT Nowhere")
    assert count(expect(command="FETCH"), transcript) == 1
    assert count(expect(command="UID FETCH"), transcript) == 2
    assert count(expect(command="UID SEARCH", reply="OK"), transcript) == 1
    assert count(expect(command="SEARCH"), transcript) == 0
    assert count(expect(command="SELECT", reply="OK"), transcript) == 1
    assert count(expect(command="SELECT", reply="NO"), transcript) == 1
    assert count(expect(command="LOGIN", arg="^a LOGIN bob bob$"), transcript) == 1


def test_count_of_pop3_statuses():
    transcript = session("pop3", "USER bob", "PASS bob", "RETR 2", "RETR 99", "DELE 1", "QUIT")
    assert count(expect(command="RETR", reply="+OK"), transcript) == 1
    assert count(expect(command="RETR", reply="-ERR"), transcript) == 1
    assert count(expect(command="RETR", arg="^RETR\\s+2$", reply="+OK"), transcript) == 1
    assert count(expect(command="DELE", reply="+OK"), transcript) == 1
    assert count(expect(greeting=True, reply="+OK"), transcript) == 1
    assert count(expect(reply="-ERR"), transcript) == 1


# --------------------------------------------------------------- evaluate
EHLO_250 = expect("No EHLO answered with 250.", command="EHLO", reply=250)
MESSAGE_250 = expect("No message accepted.", message=True, reply=250)
QUIT_221 = expect("No QUIT answered with 221.", command="QUIT", reply=221)


def test_evaluate_passes_when_one_session_meets_every_expect():
    result = evaluate(task(EHLO_250, MESSAGE_250), [session("smtp", *SMTP_MAIL)])
    assert result.done and result.feedback == [] and result.reason == "" and result.sessions == 1


def test_evaluate_needs_all_expects_in_one_session_not_spread_over_two():
    only_ehlo = session("smtp", "EHLO client.example")
    only_message = session("smtp", "HELO client.example", "MAIL FROM:<a@b.example>", "RCPT TO:<bob@example.org>",
                           "DATA", ["Subject: x", "", "y"])
    result = evaluate(task(EHLO_250, MESSAGE_250), [only_ehlo, only_message])
    assert not result.done
    assert result.reason == "checks" and result.sessions == 2
    assert result.feedback == ["No EHLO answered with 250."]  # the latest of two equally close sessions


def test_evaluate_fails_a_session_that_matches_a_forbid_and_says_what_is_wrong():
    forbid = expect("You deleted a message.", command="DELE", reply="+OK")
    retr = expect("No RETR 2.", command="RETR", arg="^RETR 2$", reply="+OK")
    t = task(retr, forbids=(forbid,), protocol="pop3")
    deleting = session("pop3", "USER bob", "PASS bob", "RETR 2", "DELE 2", "QUIT")
    keeping = session("pop3", "USER bob", "PASS bob", "RETR 2", "QUIT")
    result = evaluate(t, [deleting])
    assert not result.done and result.feedback == ["You deleted a message."] and result.reason == "checks"
    assert evaluate(t, [deleting, keeping]).done
    assert evaluate(t, [keeping, deleting]).done  # any one good session will do


def test_evaluate_forbid_with_a_count_needs_that_many_matches():
    forbid = expect("Too many NOOPs.", command="NOOP", count=2)
    t = task(EHLO_250, forbids=(forbid,))
    assert evaluate(t, [session("smtp", "EHLO a.example", "NOOP")]).done
    assert evaluate(t, [session("smtp", "EHLO a.example", "NOOP", "NOOP")]).feedback == ["Too many NOOPs."]


def test_evaluate_feedback_comes_from_the_session_that_met_most_expects():
    t = task(EHLO_250, MESSAGE_250, QUIT_221)
    close = session("smtp", *SMTP_MAIL[:-1])  # all but QUIT
    far = session("smtp", "EHLO client.example")  # later, but only one expect met
    result = evaluate(t, [close, far])
    assert result.feedback == ["No QUIT answered with 221."]


def test_evaluate_feedback_on_a_tie_comes_from_the_latest_session():
    t = task(EHLO_250, QUIT_221)
    ehlo_only = session("smtp", "EHLO client.example")
    quit_only = session("smtp", "QUIT")
    assert evaluate(t, [ehlo_only, quit_only]).feedback == ["No EHLO answered with 250."]
    assert evaluate(t, [quit_only, ehlo_only]).feedback == ["No QUIT answered with 221."]


def test_evaluate_feedback_lists_every_missing_expect_and_every_present_forbid():
    forbid_vrfy = expect("You asked VRFY.", command="VRFY")
    forbid_rset = expect("You sent RSET.", command="RSET")
    t = task(EHLO_250, MESSAGE_250, QUIT_221, forbids=(forbid_vrfy, forbid_rset))
    result = evaluate(t, [session("smtp", "HELO a.example", "VRFY bob")])
    assert result.feedback == ["No EHLO answered with 250.", "No message accepted.", "No QUIT answered with 221.",
                               "You asked VRFY."]


def test_evaluate_fills_the_personal_name_into_feedback():
    t = task(expect("Send EHLO {personal_name}.", command="EHLO", arg="{personal_name}"))
    result = evaluate(t, [session("smtp", "EHLO someone.example")], personal_name="ms-k3v9qa")
    assert result.feedback == ["Send EHLO ms-k3v9qa."]
    assert evaluate(t, [session("smtp", "EHLO ms-k3v9qa")], personal_name="ms-k3v9qa").done


def test_evaluate_without_sessions_says_no_session():
    result = evaluate(task(EHLO_250), [])
    assert not result.done and result.reason == "no_session" and result.feedback == [] and result.sessions == 0


def test_evaluate_accepts_any_iterable_of_sessions():
    assert evaluate(task(EHLO_250), iter([session("smtp", "EHLO a.example")])).done


def test_evaluate_a_question_only_task_by_the_answer():
    t = task(protocol=None, question=question(answer=2))
    right = evaluate(t, [], answer=2)
    assert right.done and right.feedback == [] and right.reason == ""
    wrong = evaluate(t, [], answer=1)
    assert not wrong.done and wrong.feedback == ["Think about b."] and wrong.reason == "answer"
    missing = evaluate(t, [])
    assert not missing.done and missing.reason == "answer"


def test_evaluate_a_task_with_checks_and_a_question_needs_both():
    t = task(EHLO_250, question=question(answer=3))
    good = session("smtp", "EHLO a.example")
    bad = session("smtp", "HELO a.example")
    assert evaluate(t, [good], answer=3).done
    wrong = evaluate(t, [good], answer=1)
    assert not wrong.done and wrong.reason == "answer" and wrong.feedback == ["Think about b."]
    unmet = evaluate(t, [bad], answer=3)
    assert not unmet.done and unmet.reason == "checks" and unmet.feedback == ["No EHLO answered with 250."]
    both = evaluate(t, [bad], answer=1)
    assert not both.done and both.reason == "checks"
    assert both.feedback == ["No EHLO answered with 250.", "Think about b."]
    nothing = evaluate(t, [], answer=3)
    assert not nothing.done and nothing.reason == "no_session"


# ------------------------------------------------------------ play_solution
def test_play_solution_delivers_smtp_mail_into_the_world_it_is_given():
    with closing(MailStore(World.load())) as store:
        mailboxes = store.realm("check")
        before = len(mailboxes.messages("bob"))
        transcript = play_solution(task(MESSAGE_250, play=SMTP_MAIL), mailboxes=mailboxes)
        after = mailboxes.messages("bob")
    assert len(after) == before + 1
    assert [ex["code"] for ex in transcript if ex["kind"] == "reply"] == [220, 250, 250, 250, 354, 250, 221]
    assert transcript[-1]["from"] == "server" and transcript[-1]["kind"] == "tcp"


def test_play_solution_starts_from_a_fresh_world_each_time():
    t = task(expect(command="STAT"), protocol="pop3", play=("USER bob", "PASS bob", "DELE 1", "DELE 2", "QUIT"))
    play_solution(t)
    again = play_solution(t)
    stat = [ex["text"] for ex in again if ex["kind"] == "reply"][2]
    assert "8 messages" in stat  # the deletions of the first play did not stay


def test_play_solution_runs_pop3_retr_on_the_sample_mail():
    transcript = play_solution(task(expect(command="RETR"), protocol="pop3",
                                    play=("USER bob", "PASS bob", "RETR 1", "QUIT")))
    retr = pairs(transcript)[3]
    assert retr.client["text"] == "RETR 1" and retr.reply["code"] == "+OK"
    assert "From: Alice" in retr.reply["text"]


def test_play_solution_runs_imap_search_on_the_sample_mail():
    transcript = play_solution(task(expect(command="SEARCH"), protocol="imap",
                                    play=("a LOGIN bob bob", "b SELECT INBOX", "c SEARCH ALL", "d LOGOUT")))
    search = pairs(transcript)[3]
    assert search.reply["code"] == "OK" and "* SEARCH 1 2 3 4 5 6 7 8" in search.reply["text"]
    assert transcript[-1]["from"] == "server"  # LOGOUT: the server closes


def test_play_solution_applies_the_preset():
    transcript = play_solution(task(expect(greeting=True), play=("EHLO a.example",), preset="server_not_ready"))
    assert [ex["code"] for ex in transcript if ex["kind"] == "reply"] == [421]
    assert transcript[-1]["from"] == "server"
    assert transcript[1]["fault"] is not None


def test_play_solution_applies_a_faults_table():
    faults = {"rules": [{"stage": "RCPT", "match": "bob@*", "reply": 452, "text": "Full up"}]}
    transcript = play_solution(task(expect(command="RCPT"), play=SMTP_MAIL[:3] + ("RCPT TO:<alice@example.org>",),
                                    faults=faults))
    got = [(p.client["text"], p.reply["code"], p.reply["fault"] is not None) for p in pairs(transcript)[3:]]
    assert got == [("RCPT TO:<bob@example.org>", 452, True), ("RCPT TO:<alice@example.org>", 250, False)]


def test_play_solution_applies_a_pop3_faults_table():
    faults = {"rules": [{"stage": "PASS", "reply": "-ERR", "text": "[AUTH] no"}]}
    transcript = play_solution(task(expect(command="PASS"), protocol="pop3", play=("USER bob", "PASS bob"),
                                    faults=faults))
    assert pairs(transcript)[2].reply["code"] == "-ERR"


def test_play_solution_stops_the_script_at_a_silent_server():
    transcript = play_solution(task(expect(command="MAIL"), play=("EHLO a.example", "MAIL FROM:<a@b.example>",
                                                                  "RCPT TO:<bob@example.org>", "QUIT"),
                                    faults={"rules": [{"stage": "MAIL", "silent": True}]}))
    assert [ex["verb"] for ex in transcript if ex["kind"] == "command"] == ["EHLO", "MAIL"]
    assert transcript[-2]["kind"] == "silence"
    assert transcript[-1]["from"] == "client" and transcript[-1]["kind"] == "tcp"  # the client gave up


@pytest.mark.parametrize("stage", ["connect", "greeting"])
def test_play_solution_sends_nothing_when_no_greeting_comes(stage):
    transcript = play_solution(task(expect(command="EHLO"), play=("EHLO a.example", "QUIT"),
                                    faults={"rules": [{"stage": stage, "silent": True}]}))
    assert not [ex for ex in transcript if ex["kind"] == "command"]  # a client waits for the greeting first
    assert transcript[-1]["from"] == "client" and transcript[-1]["kind"] == "tcp"


def test_play_solution_stops_when_the_server_drops_the_connection():
    transcript = play_solution(task(expect(command="RETR"), protocol="pop3",
                                    play=("USER bob", "PASS bob", "RETR 1", "RETR 2", "QUIT"),
                                    preset="pop3_dropped_during_retr"))
    assert [ex["text"] for ex in transcript if ex["kind"] == "command"] == ["USER bob", "PASS bob", "RETR 1",
                                                                             "RETR 2"]
    assert transcript[-1]["from"] == "server" and transcript[-1]["fault"] is not None


def test_play_solution_fills_the_personal_name_into_the_lines():
    transcript = play_solution(task(expect(command="EHLO"), play=("EHLO {personal_name}",)), "ms-k3v9qa")
    assert transcript[2]["text"] == "EHLO ms-k3v9qa"


def test_play_solution_ignores_pauses():
    t = task(expect(command="EHLO"), play=("EHLO a.example",))
    t.solution.steps = (Step("pause", 60000),) + t.solution.steps
    assert [ex["verb"] for ex in play_solution(t) if ex["kind"] == "command"] == ["EHLO"]


# ----------------------------------------------------------- check_solution
def test_check_solution_is_none_for_a_passing_solution():
    assert check_solution(task(EHLO_250, MESSAGE_250, QUIT_221, play=SMTP_MAIL)) is None


def test_check_solution_returns_the_feedback_of_a_failing_solution():
    t = task(EHLO_250, MESSAGE_250, QUIT_221, play=("HELO a.example", "QUIT"))
    assert check_solution(t) == "No EHLO answered with 250.; No message accepted."


def test_check_solution_reports_a_forbid_the_solution_matches():
    t = task(EHLO_250, forbids=(expect("No NOOP here.", command="NOOP"),), play=("EHLO a.example", "NOOP"))
    assert check_solution(t) == "No NOOP here."


def test_check_solution_plays_with_the_personal_name():
    t = task(expect("Use your name.", command="EHLO", arg="^EHLO {personal_name}$"), play=("EHLO {personal_name}",),
             source="real")
    assert check_solution(t) is None
    assert check_solution(t, personal_name="ms-zz9") is None


def test_check_solution_answers_the_question_with_the_right_choice():
    assert check_solution(task(EHLO_250, play=("EHLO a.example",), question=question(answer=3))) is None


def test_check_solution_passes_a_task_with_nothing_to_play():
    assert check_solution(task(protocol=None, question=question())) is None


def test_check_solution_with_a_greylisting_preset():
    t = task(expect("No 4yz.", command="RCPT", cls=4, fault=True), expect("No 250.", command="RCPT", reply=250),
             play=("EHLO a.example", "MAIL FROM:<a@b.example>", "RCPT TO:<bob@example.org>",
                   "RCPT TO:<bob@example.org>"), preset="greylisting")
    assert check_solution(t) is None
    t.solution.preset = None
    assert check_solution(t) == "No 4yz."


def test_solution_script_expands_data_steps_with_dot_stuffing_and_the_final_dot():
    t = task(MESSAGE_250, play=("DATA", ["a", ".b"]))
    assert lesson_check.solution_script(t) == [("line", "DATA"), ("line", "a"), ("line", "..b"), ("line", ".")]


# ------------------------------------------------- the shipped course's tasks
def _shipped_tasks():
    from simulator.course.lessons import load_course
    course = load_course()
    return [(lesson, task) for by_lang in course.lessons.values() for lesson in by_lang.values()
            for _, task in lesson.tasks()]


@pytest.mark.parametrize("lesson,task", _shipped_tasks(),
                         ids=lambda x: getattr(x, "id", None) or f"{x.lang}/{x.slug}")
def test_a_wrong_attempt_at_every_shipped_task_names_what_is_missing(lesson, task):
    """A session that only connects (or a wrong answer) fails with the task's own feedback, never a generic one."""
    from simulator.course.check import evaluate, play_solution
    from simulator.course.lessons import Task
    wrong = None
    if task.question is not None:
        wrong = 1 if task.question.answer != 1 else 2
    transcripts = []
    if task.expects or task.forbids:
        bare = Task(id=task.id, line=task.line, goal=task.goal, hints=task.hints, done=task.done,
                    protocol=task.protocol, source=task.source, solution=None)
        transcripts = [play_solution(bare, "ms-check1")]  # connect, greeting, hang up
    result = evaluate(task, transcripts, "ms-check1", answer=wrong)
    assert result.done is False
    own = {m.text.replace("{personal_name}", "ms-check1") for m in task.expects + task.forbids}
    if task.question is not None:
        own.update(task.question.feedback(wrong))
        assert task.question.why_wrong and result.feedback[-1] == task.question.why_wrong[wrong - 1]
    assert result.feedback and set(result.feedback) <= own, result.feedback
