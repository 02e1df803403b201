"""The POP3 engine, driven with bytes as a client would send them, over a real in-memory mail store."""
from __future__ import annotations

import hashlib
import itertools

import pytest

from simulator.mail.world import World
from simulator.protocols.base import Command, Effect
from simulator.protocols.pop3.engine import PHASES, SEQUENCE, STAGES, STATES, Pop3Engine, Pop3Limits
from simulator.protocols.pop3.replies import CAPABILITIES, Pop3Reply, reply
from simulator.store.db import MailStore

WORLD = World.load()
STORE = MailStore(WORLD, seed_file=None)
_realms = itertools.count()

ONE = b"From: alice@example.org\r\nSubject: one\r\n\r\nFirst line.\r\nSecond line.\r\nThird line.\r\n"
TWO = b"From: carol@example.net\r\nSubject: two\r\n\r\nHello Bob.\r\n"
THREE = b"Subject: three\r\n\r\nBye.\r\n"


@pytest.fixture
def mb():
    """A fresh realm of the shared store: alice and bob with empty INBOXes."""
    return STORE.realm(f"pop3-{next(_realms)}", seed=False)


def put(mb, user: str, *contents: bytes) -> list[int]:
    return mb.apply([Effect("append", (user, "INBOX", c, (), 1700000000.0)) for c in contents])


def new(mb, owner: str = "s1", **kwargs) -> Pop3Engine:
    limits = kwargs.pop("limits", None)
    engine = Pop3Engine(WORLD, mb, owner=owner, limits=limits, **kwargs)
    engine.greeting()
    return engine


def feed(engine: Pop3Engine, data: bytes) -> list:
    """Everything the engine does with ``data``: [(command, outcome), ...]."""
    steps = []
    engine.receive_data(data)
    while (item := engine.next_input()) is not None:
        steps.append((item, engine.handle(item)))
    return steps


def send(engine: Pop3Engine, *lines: str) -> list[Pop3Reply]:
    out = []
    for line in lines:
        for _, outcome in feed(engine, line.encode("latin-1") + b"\r\n"):
            out.extend(outcome.replies)
    return out


def keys(engine, *lines) -> list[str]:
    return [r.key for r in send(engine, *lines)]


def one(engine, line: str):
    """The single command ``line`` and its outcome."""
    [(command, outcome)] = feed(engine, line.encode("latin-1") + b"\r\n")
    return command, outcome


def phased(engine, line: str):
    """The band of ``line`` (asked before handling it, as the session does) and its outcome."""
    engine.receive_data(line.encode("latin-1") + b"\r\n")
    command = engine.next_input()
    phase = engine.phase_of(command)
    return phase, engine.handle(command)


def logged_in(mb, user: str = "bob", owner: str = "s1", **kwargs) -> Pop3Engine:
    engine = new(mb, owner, **kwargs)
    assert keys(engine, f"USER {user}", f"PASS {user}") == ["ok.user", "ok.login"]
    assert engine.state == "transaction"
    return engine


def body_of(answer: Pop3Reply) -> bytes:
    """The multi-line body as the client reads it: un-stuffed, without the final "."."""
    wire = answer.wire()
    head, _, rest = wire.partition(b"\r\n")
    assert rest.endswith(b".\r\n")
    lines = rest[:-3].split(b"\r\n")[:-1] if rest != b".\r\n" else []
    return b"".join((line[1:] if line.startswith(b".") else line) + b"\r\n" for line in lines)


# ---------------------------------------------------------------- greeting
def test_greeting_is_ok_with_the_apop_timestamp(mb):
    engine = Pop3Engine(WORLD, mb, owner="s1")
    greeting = engine.greeting()
    assert (greeting.code, greeting.key, greeting.ok, greeting.closes) == ("+OK", "ok.greeting", True, False)
    assert greeting.wire() == b"+OK mx.example.org POP3 server (MailSim) ready <1896.697170952@mx.example.org>\r\n"
    assert (engine.state, engine.phase) == ("authorization", "authorization")


def test_hostname_and_timestamp_can_be_given(mb):
    engine = Pop3Engine(WORLD, mb, owner="s1", hostname="pop.test", apop_stamp="<1.2@pop.test>")
    assert engine.greeting().text == "+OK pop.test POP3 server (MailSim) ready <1.2@pop.test>"


def test_module_names_its_stages_states_and_bands():
    assert STAGES == ("USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT",
                      "TOP", "UIDL", "CAPA")
    assert STATES == ("authorization", "transaction", "update", "closed")
    assert PHASES == ("authorization", "transaction", "update")


# ----------------------------------------------------------- authorization
def test_user_and_pass_log_in_and_report_the_maildrop(mb):
    put(mb, "bob", ONE, TWO)
    engine = new(mb)
    phase, outcome = phased(engine, "USER bob")
    assert phase == "authorization"
    assert [r.text for r in outcome.replies] == ["+OK bob accepted, send PASS"]
    phase, outcome = phased(engine, "PASS bob")
    assert phase == "authorization" and engine.phase == "transaction"
    [answer] = outcome.replies
    assert answer.text == f"+OK bob's maildrop has 2 messages ({len(ONE) + len(TWO)} octets)"
    assert (engine.state, engine.user, outcome.effects) == ("transaction", "bob", [])


@pytest.mark.parametrize("name", ["BOB", "Bob", "bob@example.org", "BOB@EXAMPLE.ORG", "bob@mx.example.org"])
def test_login_name_is_case_insensitive_and_may_be_the_address(mb, name):
    engine = new(mb)
    assert keys(engine, f"USER {name}", "PASS bob") == ["ok.user", "ok.login"]
    assert engine.user == "bob"


@pytest.mark.parametrize("user, password", [("bob", "alice"), ("bob", "BOB"), ("nobody", "x"),
                                            ("bob@elsewhere.example", "bob"), ("staff", "staff")])
def test_wrong_credentials_are_refused_and_stay_in_authorization(mb, user, password):
    engine = new(mb)
    assert keys(engine, f"USER {user}") == ["ok.user"]  # any name: USER reveals nothing
    engine.snapshot()
    [answer] = send(engine, f"PASS {password}")
    assert (answer.key, answer.text) == ("err.auth_failed", "-ERR [AUTH] invalid user name or password")
    assert engine.state == "authorization" and engine.snapshot().pending_user is None
    assert keys(engine, "PASS bob") == ["err.need_user"]  # RFC 1939 §7: PASS only right after USER
    assert keys(engine, "USER alice", "PASS alice") == ["ok.user", "ok.login"]


def test_pass_without_user_is_refused(mb):
    engine = new(mb)
    assert keys(engine, "PASS bob", "PASS") == ["err.need_user", "err.need_user"]
    assert engine.state == "authorization"


def test_pass_takes_the_rest_of_the_line_and_forgives_trailing_blanks(mb):
    engine = new(mb)
    command, _ = one(engine, "USER  bob")
    assert command.params == (("name", "bob"),)
    command, outcome = one(engine, "pass bob  ")
    assert command.verb == "PASS" and outcome.replies[0].key == "ok.login"
    other = new(mb, "s2")
    command, outcome = one(other, "PASS a b c")
    assert command.params == (("string", "a b c"),)


def test_user_with_two_names_or_none_is_a_syntax_error(mb):
    engine = new(mb)
    assert keys(engine, "USER a b", "USER") == ["err.syntax", "err.missing_argument"]
    assert send(engine, "USER")[0].text == "-ERR missing argument, usage: USER name"


def apop_digest(stamp: str, password: str) -> str:
    return hashlib.md5((stamp + password).encode()).hexdigest()


def test_apop_with_the_right_digest_logs_in(mb):
    put(mb, "alice", ONE)
    engine = new(mb)
    digest = apop_digest("<1896.697170952@mx.example.org>", "alice")
    [answer] = send(engine, f"APOP alice {digest}")
    assert answer.key == "ok.login" and engine.user == "alice"


def test_apop_digest_uses_the_greeting_timestamp_given(mb):
    engine = new(mb, apop_stamp="<42.1@pop.test>")
    assert keys(engine, f"APOP bob {apop_digest('<1896.697170952@mx.example.org>', 'bob')}") == ["err.apop_failed"]
    assert keys(engine, f"APOP bob {apop_digest('<42.1@pop.test>', 'bob').upper()}") == ["ok.login"]


@pytest.mark.parametrize("line, key", [
    ("APOP bob 0123456789abcdef0123456789abcdef", "err.apop_failed"),
    (f"APOP bob {hashlib.md5(b'<1896.697170952@mx.example.org>alice').hexdigest()}", "err.apop_failed"),
    (f"APOP nobody {hashlib.md5(b'<1896.697170952@mx.example.org>bob').hexdigest()}", "err.apop_failed"),
    ("APOP bob short", "err.apop_failed"),
    ("APOP bob", "err.missing_argument"),
    ("APOP", "err.missing_argument"),
    ("APOP bob a b", "err.syntax"),
])
def test_bad_apop_is_refused(mb, line, key):
    engine = new(mb)
    snap = engine.snapshot()
    [answer] = send(engine, line)
    assert answer.key == key and answer.code == "-ERR"
    assert engine.snapshot() == snap


TRANSACTION_ONLY = ["STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL", "UIDL 1"]


@pytest.mark.parametrize("line", TRANSACTION_ONLY)
def test_transaction_commands_before_login_are_refused(mb, line):
    put(mb, "bob", ONE)
    engine = new(mb)
    send(engine, "USER bob")
    snap = engine.snapshot()
    [answer] = send(engine, line)
    assert (answer.key, answer.text) == ("err.not_authenticated", "-ERR log in first with USER and PASS (or APOP)")
    assert engine.snapshot() == snap


@pytest.mark.parametrize("line", ["USER alice", "PASS bob", "APOP bob 0123", "USER"])
def test_login_commands_after_login_are_refused(mb, line):
    engine = logged_in(mb)
    snap = engine.snapshot()
    assert keys(engine, line) == ["err.already_authenticated"]
    assert engine.snapshot() == snap


def test_wrong_state_is_checked_before_arguments(mb):
    engine = new(mb)
    assert keys(engine, "RETR x", "TOP") == ["err.not_authenticated"] * 2


def test_wrong_state_table_covers_every_verb_of_one_state_only():
    for verb in STAGES:
        assert set(SEQUENCE.get(verb, {})) <= {"authorization", "transaction"}
    assert "QUIT" not in SEQUENCE and "CAPA" not in SEQUENCE


@pytest.mark.parametrize("login", [False, True])
def test_capa_lists_the_capabilities_in_both_states(mb, login):
    engine = logged_in(mb) if login else new(mb)
    [answer] = send(engine, "CAPA")
    assert answer.key == "ok.capa"
    assert answer.wire() == b"+OK Capability list follows\r\n" + b"".join(
        c.encode() + b"\r\n" for c in CAPABILITIES) + b".\r\n"
    assert {"TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING", "IMPLEMENTATION MailSim"} <= set(CAPABILITIES)
    assert keys(engine, "CAPA x") == ["err.syntax"]


def test_quit_before_login_closes_without_update(mb):
    put(mb, "bob", ONE)
    engine = new(mb)
    send(engine, "USER bob")
    phase, outcome = phased(engine, "QUIT")
    assert phase == "authorization"
    assert [r.text for r in outcome.replies] == ["+OK mx.example.org POP3 server signing off"]
    assert outcome.close and outcome.replies[0].closes and outcome.effects == []
    assert engine.state == "closed"
    assert mb.count("bob") == 1


# ------------------------------------------------------------- transaction
@pytest.fixture
def three(mb):
    """bob's maildrop holds ONE, TWO, THREE; returns (mb, engine logged in as bob, uids)."""
    uids = put(mb, "bob", ONE, TWO, THREE)
    return mb, logged_in(mb), uids


def test_stat_counts_messages_and_octets(three):
    _, engine, _ = three
    [answer] = send(engine, "STAT")
    assert answer.text == f"+OK 3 {len(ONE) + len(TWO) + len(THREE)}"


def test_list_gives_each_number_and_size(three):
    _, engine, _ = three
    phase, outcome = phased(engine, "LIST")
    assert phase == "transaction"
    [answer] = outcome.replies
    total = len(ONE) + len(TWO) + len(THREE)
    assert answer.wire() == (f"+OK 3 messages ({total} octets)\r\n1 {len(ONE)}\r\n2 {len(TWO)}\r\n"
                             f"3 {len(THREE)}\r\n.\r\n").encode()
    assert [r.text for r in send(engine, "LIST 2")] == [f"+OK 2 {len(TWO)}"]


@pytest.mark.parametrize("line, key", [
    ("LIST 0", "err.no_such_message"), ("LIST 4", "err.no_such_message"),
    ("LIST 99999999999999999999999", "err.no_such_message"), ("LIST x", "err.not_a_number"),
    ("LIST -1", "err.not_a_number"), ("LIST +1", "err.not_a_number"), ("LIST 1 2", "err.syntax"),
    ("RETR", "err.missing_argument"), ("RETR 4", "err.no_such_message"), ("RETR one", "err.not_a_number"),
    ("DELE", "err.missing_argument"), ("DELE 0", "err.no_such_message"), ("DELE 1 1", "err.syntax"),
    ("TOP 1", "err.missing_argument"), ("TOP 1 x", "err.not_a_number"), ("TOP 9 1", "err.no_such_message"),
    ("TOP 1 -1", "err.not_a_number"), ("UIDL 5", "err.no_such_message"), ("UIDL a", "err.not_a_number"),
    ("STAT 1", "err.syntax"), ("NOOP x", "err.syntax"), ("RSET now", "err.syntax"), ("QUIT now", "err.syntax"),
])
def test_bad_arguments_are_refused_and_change_nothing(three, line, key):
    _, engine, _ = three
    send(engine, "DELE 2")
    snap = engine.snapshot()
    [answer] = send(engine, line)
    assert (answer.code, answer.key) == ("-ERR", key)
    assert engine.snapshot() == snap and not answer.closes


def test_error_texts_name_the_problem(three):
    _, engine, _ = three
    texts = [r.text for r in send(engine, "RETR 4", "LIST x", "TOP 1")]
    assert texts == ["-ERR no such message, only 3 messages in maildrop",
                     "-ERR not a number: x, usage: LIST [msg]",
                     "-ERR missing argument, usage: TOP msg n"]


def test_retr_sends_the_whole_message_with_its_size(three):
    _, engine, _ = three
    [answer] = send(engine, "RETR 1")
    assert answer.key == "ok.retr" and answer.text.startswith(f"+OK {len(ONE)} octets\n")
    assert answer.wire() == f"+OK {len(ONE)} octets\r\n".encode() + ONE + b".\r\n"
    assert body_of(answer) == ONE


def test_retr_dot_stuffs_lines_that_start_with_a_period(mb):
    content = b"Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nnot.a.dot\r\n. \r\nend\r\n"
    put(mb, "bob", content)
    engine = logged_in(mb)
    [answer] = send(engine, "RETR 1")
    wire = answer.wire()
    assert b"\r\n..\r\n...\r\n..hidden\r\nnot.a.dot\r\n.. \r\nend\r\n.\r\n" in wire
    assert wire.count(b"\r\n.\r\n") == 1 and wire.endswith(b"\r\n.\r\n")  # only the terminator
    assert body_of(answer) == content
    assert f"+OK {len(content)} octets" in answer.text


def test_retr_sends_bare_line_feeds_as_crlf(mb):
    put(mb, "bob", b"Subject: unix\n\nline\rnext\nlast")
    engine = logged_in(mb)
    [answer] = send(engine, "RETR 1")
    assert answer.wire() == b"+OK 35 octets\r\nSubject: unix\r\n\r\nline\r\nnext\r\nlast\r\n.\r\n"


def test_empty_maildrop(mb):
    engine = logged_in(mb)
    assert [r.wire() for r in send(engine, "STAT", "LIST", "UIDL")] == [
        b"+OK 0 0\r\n", b"+OK 0 messages (0 octets)\r\n.\r\n", b"+OK unique-id listing follows\r\n.\r\n"]
    assert keys(engine, "RETR 1") == ["err.no_such_message"]


@pytest.mark.parametrize("lines, body", [
    (0, b""), (1, b"First line.\r\n"), (2, b"First line.\r\nSecond line.\r\n"),
    (3, b"First line.\r\nSecond line.\r\nThird line.\r\n"),
    (1000, b"First line.\r\nSecond line.\r\nThird line.\r\n"),
])
def test_top_sends_headers_blank_line_and_first_body_lines(three, lines, body):
    _, engine, _ = three
    [answer] = send(engine, f"TOP 1 {lines}")
    assert answer.key == "ok.top" and answer.text.startswith("+OK top of message 1 follows\n")
    assert body_of(answer) == b"From: alice@example.org\r\nSubject: one\r\n\r\n" + body


def test_top_of_a_message_without_body_or_headers(mb):
    put(mb, "bob", b"Subject: only headers\r\n", b"\r\nno headers\r\nat all\r\n")
    engine = logged_in(mb)
    assert body_of(send(engine, "TOP 1 5")[0]) == b"Subject: only headers\r\n"
    assert body_of(send(engine, "TOP 2 0")[0]) == b"\r\n"
    assert body_of(send(engine, "TOP 2 1")[0]) == b"\r\nno headers\r\n"


def test_dele_marks_and_hides_the_message(three):
    _, engine, _ = three
    [answer] = send(engine, "DELE 2")
    assert answer.text == "+OK message 2 deleted"
    assert [r.text for r in send(engine, "DELE 2", "RETR 2", "LIST 2", "TOP 2 0", "UIDL 2")] == [
        "-ERR message 2 already deleted"] * 5
    assert send(engine, "STAT")[0].text == f"+OK 2 {len(ONE) + len(THREE)}"
    assert send(engine, "LIST")[0].wire().split(b"\r\n")[1:3] == [f"1 {len(ONE)}".encode(), f"3 {len(THREE)}".encode()]
    assert keys(engine, "RETR 3") == ["ok.retr"]  # numbers never shift in a session


def test_rset_unmarks_every_message(three):
    _, engine, _ = three
    send(engine, "DELE 1", "DELE 3")
    [answer] = send(engine, "RSET")
    total = len(ONE) + len(TWO) + len(THREE)
    assert answer.text == f"+OK maildrop has 3 messages ({total} octets)"
    assert keys(engine, "RETR 1", "RETR 3") == ["ok.retr", "ok.retr"]


def test_noop_answers_ok(three):
    _, engine, _ = three
    snap = engine.snapshot()
    assert [r.wire() for r in send(engine, "NOOP")] == [b"+OK\r\n"]
    assert engine.snapshot() == snap


def test_uidl_ids_are_stable_across_sessions_and_deletions(three):
    mb, engine, uids = three
    validity = mb.folder("bob", "INBOX").uidvalidity
    [answer] = send(engine, "UIDL")
    assert answer.wire() == (f"+OK unique-id listing follows\r\n1 {validity}.{uids[0]}\r\n"
                             f"2 {validity}.{uids[1]}\r\n3 {validity}.{uids[2]}\r\n.\r\n").encode()
    assert send(engine, "UIDL 3")[0].text == f"+OK 3 {validity}.{uids[2]}"
    send(engine, "DELE 1")
    _, outcome = one(engine, "QUIT")
    mb.apply(outcome.effects)
    engine.connection_closed()
    again = logged_in(mb)
    # Message numbers start again from 1, but each message keeps its id.
    assert send(again, "UIDL")[0].wire() == (f"+OK unique-id listing follows\r\n1 {validity}.{uids[1]}\r\n"
                                             f"2 {validity}.{uids[2]}\r\n.\r\n").encode()


def test_messages_delivered_after_login_wait_for_the_next_session(three):
    mb, engine, _ = three
    put(mb, "bob", b"Subject: late\r\n\r\nx\r\n")
    assert send(engine, "STAT")[0].text.startswith("+OK 3 ")
    assert keys(engine, "RETR 4") == ["err.no_such_message"]


def test_message_removed_by_another_session_is_reported(three):
    mb, engine, uids = three
    mb.apply([Effect("delete", ("bob", "INBOX", (uids[0],)))])  # say, an IMAP EXPUNGE
    [answer] = send(engine, "RETR 1")
    assert (answer.key, answer.text) == ("err.message_gone", "-ERR message 1 is no longer available")
    assert keys(engine, "TOP 1 0", "RETR 2") == ["err.message_gone", "ok.retr"]


# ---------------------------------------------------- the lecture's figure
def test_delete_mode_of_the_lecture_removes_what_was_retrieved(three):
    mb, _, uids = three
    engine = new(mb, "s9")  # the first session of the fixture holds the lock
    mb.unlock_maildrop("bob", "s1")
    assert keys(engine, "USER bob", "PASS bob", "LIST") == ["ok.user", "ok.login", "ok.list"]
    for n in (1, 2, 3):
        assert keys(engine, f"RETR {n}", f"DELE {n}") == ["ok.retr", "ok.dele"]
    phase, outcome = phased(engine, "QUIT")
    assert phase == "update" and (engine.state, engine.phase) == ("update", "update")
    assert outcome.effects == [Effect("delete", ("bob", "INBOX", tuple(uids)))]
    assert outcome.close and [r.text for r in outcome.replies] == [
        "+OK mx.example.org POP3 server signing off (maildrop empty)"]
    assert mb.count("bob") == 3  # the engine never writes; the session applies the effect
    mb.apply(outcome.effects)
    assert mb.count("bob") == 0


def test_keep_mode_of_the_lecture_leaves_the_messages(three):
    mb, engine, _ = three
    assert keys(engine, "LIST", "RETR 1", "RETR 2", "RETR 3") == ["ok.list"] + ["ok.retr"] * 3
    _, outcome = one(engine, "QUIT")
    assert outcome.effects == [] and outcome.close
    assert outcome.replies[0].text == "+OK mx.example.org POP3 server signing off (3 messages left)"
    engine.connection_closed()
    assert mb.count("bob") == 3
    assert keys(logged_in(mb, owner="s2"), "RETR 3") == ["ok.retr"]


def test_quit_reply_counts_what_is_left(three):
    _, engine, uids = three
    send(engine, "DELE 1", "DELE 3")
    _, outcome = one(engine, "QUIT")
    assert outcome.replies[0].key == "ok.quit_one"
    assert outcome.effects == [Effect("delete", ("bob", "INBOX", (uids[0], uids[2])))]


def test_nothing_is_read_after_quit(three):
    _, engine, _ = three
    steps = feed(engine, b"QUIT\r\nDELE 1\r\nQUIT\r\n")
    assert len(steps) == 1 and engine.state == "update"
    assert engine.handle(Command("NOOP", "", "NOOP")).close
    engine.receive_data(b"NOOP\r\n")
    assert engine.next_input() is None


def test_a_dropped_connection_deletes_nothing_and_frees_the_maildrop(three):
    mb, engine, _ = three
    send(engine, "DELE 1", "DELE 2")
    engine.connection_closed()
    assert engine.state == "closed" and engine.next_input() is None
    assert mb.count("bob") == 3
    assert keys(logged_in(mb, owner="s2"), "STAT") == ["ok.stat"]


def test_failed_deletion_is_reported_and_closes(three):
    _, engine, _ = three
    send(engine, "DELE 1")
    snap = engine.snapshot()
    command, outcome = one(engine, "QUIT")
    engine.restore(snap)  # what the session does before asking
    failed = engine.effect_failed(command, RuntimeError("disk full"))
    assert [r.text for r in failed.replies] == ["-ERR some deleted messages not removed"]
    assert failed.close and failed.replies[0].closes and failed.effects == []


# ------------------------------------------------------------- maildrop lock
def test_second_session_on_a_locked_maildrop_gets_in_use(three):
    mb, first, _ = three
    second = new(mb, "s2")
    send(second, "USER bob")
    snap = second.snapshot()
    [answer] = send(second, "PASS bob")
    assert (answer.key, answer.text) == ("err.in_use", "-ERR [IN-USE] bob's maildrop is locked by another session")
    assert second.state == "authorization" and second.snapshot() == snap
    digest = hashlib.md5(b"<1896.697170952@mx.example.org>bob").hexdigest()
    assert keys(second, f"APOP bob {digest}") == ["err.in_use"]
    assert keys(new(mb, "s3"), "USER alice", "PASS alice") == ["ok.user", "ok.login"]  # another maildrop
    first.connection_closed()
    assert keys(second, "PASS bob") == ["ok.login"]


def test_lock_is_released_when_a_fault_refuses_the_accepted_pass(mb):
    engine = new(mb)
    send(engine, "USER bob")
    snap = engine.snapshot()
    send(engine, "PASS bob")
    assert not mb.lock_maildrop("bob", "s2")
    engine.restore(snap)  # a fault answered -ERR instead of the +OK
    assert engine.state == "authorization"
    assert mb.lock_maildrop("bob", "s2")


def test_restoring_a_transaction_keeps_the_lock(three):
    mb, engine, _ = three
    snap = engine.snapshot()
    send(engine, "QUIT")
    engine.restore(snap)  # a fault refused the QUIT
    assert engine.state == "transaction" and keys(engine, "STAT") == ["ok.stat"]
    assert not mb.lock_maildrop("bob", "s2")


def test_too_many_errors_in_transaction_close_and_free_the_lock(mb):
    engine = logged_in(mb, limits=Pop3Limits(max_errors=2))
    assert keys(engine, "RETR 9", "BOGUS", "STAT") == ["err.no_such_message", "err.unknown_command",
                                                        "err.too_many_errors"]
    assert engine.state == "closed" and mb.lock_maildrop("bob", "s2")


# ------------------------------------------------------------------ faults
def test_refused_greeting_closes(mb):
    engine = Pop3Engine(WORLD, mb, owner="s1")
    engine.greeting()
    refusal = engine.fault_reply("-ERR", None, "greeting")
    assert (refusal.key, refusal.closes) == ("err.greeting", True)
    assert refusal.text == "-ERR [SYS/TEMP] mx.example.org POP3 service not available"
    assert engine.fault_reply("-ERR", "go away", "greeting").closes
    engine.refuse(refusal)
    assert engine.state == "closed" and engine.phase == "authorization"
    engine.receive_data(b"USER bob\r\n")
    assert engine.next_input() is None


def test_positive_greeting_fault_changes_nothing(mb):
    engine = new(mb)
    engine.refuse(engine.fault_reply("+OK", "hi", "greeting"))
    assert engine.state == "authorization"


def test_fault_ok_to_a_listing_command_still_ends_with_a_dot(three):
    _, engine, _ = three
    send(engine, "RETR 1")
    assert engine.fault_reply("+OK", None, "RETR").wire() == b"+OK\r\n.\r\n"
    send(engine, "LIST 1")
    assert engine.fault_reply("+OK", "fine", "LIST").wire() == b"+OK fine\r\n"
    assert engine.fault_reply("-ERR", "no", "LIST").wire() == b"-ERR no\r\n"


def test_timeout_sends_nothing(mb):
    assert new(mb).timeout_reply() is None


# ----------------------------------------------------------- hostile input
def test_unknown_and_unoffered_commands(mb):
    engine = new(mb)
    assert [r.text for r in send(engine, "HELO x", "AUTH PLAIN", "stls", "")] == [
        "-ERR unknown command HELO", "-ERR AUTH not implemented", "-ERR STLS not implemented", "-ERR empty command"]
    assert engine.state == "authorization"


def test_command_line_of_255_octets_is_fine_and_256_is_too_long(mb):
    engine = new(mb)
    assert keys(engine, "USER " + "x" * 248) == ["ok.user"]  # 253 + CRLF
    [answer] = send(engine, "USER " + "x" * 249)
    assert answer.text == "-ERR command line too long (limit 255 octets)"


def test_over_long_line_is_discarded_not_buffered(mb):
    engine = new(mb)
    for _ in range(100):
        engine.receive_data(b"A" * 1000)
        assert engine.next_input() is None
        assert len(engine._buf) < 255
    steps = feed(engine, b"AAAA\r\nUSER bob\r\n")
    assert [o.replies[0].key for _, o in steps] == ["err.line_too_long", "ok.user"]


def test_nul_and_8bit_bytes_are_refused(mb):
    engine = new(mb)
    steps = feed(engine, b"USER b\x00b\r\nUSER b\xe9b\r\nPASS \xff\r\n\xd0\x9f\xd0\xb0\r\n")
    assert [o.replies[0].key for _, o in steps] == ["err.nul_byte", "err.eight_bit", "err.eight_bit",
                                                     "err.unknown_command"]
    assert all(o.replies[0].wire().isascii() for _, o in steps)
    assert engine.snapshot().pending_user is None


@pytest.mark.parametrize("request_line", [b"GET / HTTP/1.1", b"POST /x HTTP/1.0", b"head /", b"OPTIONS * HTTP/1.1"])
def test_http_request_closes_without_a_reply(mb, request_line):
    engine = logged_in(mb)
    [(command, outcome)] = feed(engine, request_line + b"\r\nHost: x\r\n\r\n")
    assert command.problem == "http"
    assert outcome.replies == [] and outcome.close and outcome.effects == []
    assert engine.state == "closed" and mb.lock_maildrop("bob", "s2")


def test_too_many_errors_end_with_err_and_close(mb):
    engine = new(mb)
    answers = send(engine, *["BOGUS"] * 20)
    assert {r.key for r in answers} == {"err.unknown_command"}
    [last] = send(engine, "USER bob")
    assert (last.key, last.closes) == ("err.too_many_errors", True)
    assert engine.state == "closed"


def test_bare_lf_ends_a_line_and_pipelined_commands_are_answered_in_order(three):
    _, engine, _ = three
    steps = feed(engine, b"STAT\nLIST 1\r\nNOOP\nUIDL 2\r\nDELE 3\n")
    assert [o.replies[0].key for _, o in steps] == ["ok.stat", "ok.list_one", "ok.noop", "ok.uidl_one", "ok.dele"]


def test_byte_at_a_time_is_the_same_as_one_chunk(mb):
    put(mb, "bob", ONE, TWO)
    script = b"USER bob\r\nPASS bob\r\nLIST\r\nRETR 2\r\nTOP 1 1\r\nDELE 1\r\nQUIT\r\n"
    whole = [r.wire() for _, o in feed(new(mb, "a"), script) for r in o.replies]
    mb.unlock_maildrop("bob", "a")
    engine = new(mb, "b")
    bytewise = []
    for i in range(len(script)):
        bytewise += [r.wire() for _, o in feed(engine, script[i:i + 1]) for r in o.replies]
    assert bytewise == whole and len(whole) == 7


def test_keywords_are_case_insensitive(three):
    _, engine, _ = three
    assert keys(engine, "stat", "List 1", "rEtR 2", "uidl") == ["ok.stat", "ok.list_one", "ok.retr", "ok.uidl"]


def test_replies_are_catalogue_replies(three):
    _, engine, _ = three
    assert send(engine, "DELE 1")[0] == reply("ok.dele", n=1)


# ------------------------------------------------ caches shared by sessions
def test_a_cached_retr_still_notices_a_message_removed_since_on_a_store_on_disk(tmp_path):
    """A RETR answered from the shared cache asks the store again once anything was written."""
    store = MailStore(WORLD, path=tmp_path / "mail.sqlite3", seed_file=None)
    try:
        mb = store.realm("disk", seed=False)
        uids = put(mb, "bob", ONE, TWO)
        engine = logged_in(mb)
        first = send(engine, "RETR 1")[0]
        again = send(engine, "RETR 1")[0]  # from the cache now
        assert again.key == "ok.retr" and again.wire() == first.wire()
        mb.apply([Effect("delete", ("bob", "INBOX", (uids[0],)))])  # another session's EXPUNGE, committed
        assert keys(engine, "RETR 1", "TOP 1 0", "RETR 2") == ["err.message_gone", "err.message_gone", "ok.retr"]
    finally:
        store.close()


def test_a_second_session_reads_the_same_bytes_from_the_shared_cache(tmp_path):
    store = MailStore(WORLD, path=tmp_path / "mail.sqlite3", seed_file=None)
    try:
        mb = store.realm("disk", seed=False)
        put(mb, "bob", ONE, TWO)
        first = logged_in(mb, owner="a")
        one = send(first, "RETR 2")[0].wire()
        send(first, "QUIT")
        first.connection_closed()
        second = logged_in(mb, owner="b")
        assert send(second, "RETR 2")[0].wire() == one
        assert body_of(send(second, "RETR 2")[0]) == TWO
    finally:
        store.close()


def test_command_lines_with_credentials_are_never_kept_by_the_parser():
    from simulator.protocols.pop3 import parse as pop3_parse
    for line in (b"USER bob-secret-1", b"PASS hunter2-secret", b"APOP bob 0123456789abcdef0123456789abcdef"):
        pop3_parse.parse_command(line)
        assert line not in pop3_parse._PARSED
    assert not any(b"secret" in key or key.startswith(b"APOP") for key in pop3_parse._PARSED)


def test_the_parsers_shared_lines_stay_bounded_and_parse_as_before():
    from simulator.protocols.pop3 import parse as pop3_parse
    for n in range(pop3_parse._PARSED_MAX + 500):
        line = f"RETR {n}".encode()
        assert pop3_parse.parse_command(line) == pop3_parse._parse(line, False)
    assert len(pop3_parse._PARSED) <= pop3_parse._PARSED_MAX
    assert pop3_parse.parse_command(b"RETR 7") is pop3_parse.parse_command(b"RETR 7")
