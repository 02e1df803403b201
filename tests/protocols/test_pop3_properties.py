"""Properties of the POP3 engine under random bytes, random command sequences and refusing faults."""
from __future__ import annotations

import hashlib
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.mail.world import World
from simulator.protocols.base import Command, Effect
from simulator.protocols.pop3.engine import PHASES, STATES, Pop3Engine, Pop3Limits
from simulator.protocols.pop3.replies import CODES, REPLIES
from simulator.store.db import MailStore

WORLD = World.load()
STORE = MailStore(WORLD, seed_file=None)
MB = STORE.realm("pop3-properties", seed=False)
MB.apply([Effect("append", ("bob", "INBOX", content, (), 1700000000.0)) for content in (
    b"Subject: a\r\n\r\none\r\n.two\r\n",
    b"Subject: b\r\n\r\n.\r\n..\r\n",
    b"no headers at all",
    b"Subject: c\n\nbare\nline feeds\n",
)])
MB.apply([Effect("append", ("alice", "INBOX", b"Subject: x\r\n\r\nhi\r\n", (), 1700000000.0))])
USERS = ("alice", "bob")
_owners = itertools.count()

APOP_BOB = hashlib.md5(b"<1896.697170952@mx.example.org>bob").hexdigest().encode()
TOKENS = [
    b"USER bob", b"USER alice", b"USER BOB@example.org", b"USER nobody", b"USER", b"USER a b",
    b"PASS bob", b"PASS alice", b"PASS wrong", b"PASS", b"APOP bob " + APOP_BOB, b"APOP bob 00", b"APOP",
    b"STAT", b"STAT 1", b"LIST", b"LIST 1", b"LIST 2", b"LIST 5", b"LIST 0", b"LIST x", b"LIST 1 2",
    b"RETR 1", b"RETR 2", b"RETR 3", b"RETR 4", b"RETR 9", b"RETR", b"RETR -1",
    b"DELE 1", b"DELE 2", b"DELE 4", b"DELE 7", b"DELE", b"TOP 1 0", b"TOP 2 1", b"TOP 3 5", b"TOP 4 99",
    b"TOP 1", b"TOP x 1", b"UIDL", b"UIDL 1", b"UIDL 3", b"UIDL 9", b"NOOP", b"NOOP x", b"RSET",
    b"RSET 1", b"QUIT", b"QUIT now", b"CAPA", b"CAPA x", b"AUTH PLAIN", b"STLS", b"HELO x", b"BOGUS",
    b"", b" ", b".", b"GET / HTTP/1.1", b"USER b\x00b", b"PASS \xe9", b"\xff\xfe", b"A" * 300, b"x" * 1000,
]
SEPARATORS = [b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b""]
LIMITS = [Pop3Limits(), Pop3Limits(command_line=40, max_errors=4)]

pieces = st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)).map(lambda t: t[0] + t[1])
lines = st.sampled_from(TOKENS).map(lambda t: t + b"\r\n")
logins = st.sampled_from([b"USER bob\r\nPASS bob\r\n", b"USER alice\r\nPASS alice\r\n",
                          b"APOP bob " + APOP_BOB + b"\r\n", b""])
scripts = st.tuples(logins, st.lists(st.one_of(pieces, lines), max_size=15)).map(lambda t: t[0] + b"".join(t[1]))


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts}) if data else []
    out, last = [], 0
    for p in points + [len(data)]:
        out.append(data[last:p])
        last = p
    return out


def check_reply(reply) -> None:
    assert reply.key in REPLIES, reply.key
    assert REPLIES[reply.key].code == reply.code and reply.code in CODES
    wire = reply.wire()
    assert wire.endswith(b"\r\n")
    assert b"\r" not in wire.replace(b"\r\n", b"") and b"\n" not in wire.replace(b"\r\n", b"")
    status, _, rest = wire.partition(b"\r\n")
    assert len(status) + 2 <= 512 and status.isascii()
    if reply.body is None:
        assert rest == b""
    else:
        assert rest.endswith(b".\r\n") and (rest == b".\r\n" or rest.endswith(b"\r\n.\r\n"))
        assert b"\r\n.\r\n" not in b"\r\n" + rest[:-3]  # no early terminator: every "." line is stuffed


def check_lock(engine: Pop3Engine) -> None:
    """The engine holds a maildrop lock exactly while in TRANSACTION or UPDATE."""
    for user in USERS:
        held = engine.state in ("transaction", "update") and engine.user == user
        probe = MB.lock_maildrop(user, "probe")
        assert probe == (not held), (user, engine.state)
        if probe:
            MB.unlock_maildrop(user, "probe")


def drive(engine: Pop3Engine, chunks: list[bytes], faults: list[bool] = ()) -> None:
    refusals = iter(faults)
    for chunk in chunks:
        engine.receive_data(chunk)
        while (item := engine.next_input()) is not None:
            assert isinstance(item, Command)
            before = engine.snapshot()
            assert engine.phase_of(item) in PHASES
            outcome = engine.handle(item)
            for reply in outcome.replies:
                check_reply(reply)
            assert engine.state in STATES and engine.phase in PHASES
            final = outcome.replies[-1] if outcome.replies else None
            if final is not None and not final.ok and not final.closes:
                if final.key == "err.auth_failed":  # a failed PASS forgets the USER (RFC 1939 §7)
                    before = before.__class__(**{**before.__dict__, "pending_user": None})
                assert engine.snapshot() == before, (item, final)
            if outcome.effects:
                assert item.verb == "QUIT" and before.state == "transaction"
                [effect] = outcome.effects
                assert effect.op == "delete" and effect.args[:2] == (before.user, "INBOX")
                assert set(effect.args[2]) <= {uid for uid, _ in before.listing} and effect.args[2]
            if outcome.close:
                assert engine.state in ("update", "closed")
                assert all(r.closes for r in outcome.replies)
            check_lock(engine)
            if next(refusals, False) and before.state != "closed":
                engine.restore(before)  # a fault refused what the engine accepted
                check_lock(engine)


def fresh(limits: "Pop3Limits | None" = None) -> Pop3Engine:
    engine = Pop3Engine(WORLD, MB, owner=f"p{next(_owners)}", limits=limits or Pop3Limits())
    check_reply(engine.greeting())
    return engine


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=8),
       limits=st.sampled_from(LIMITS), faults=st.lists(st.booleans(), max_size=20))
def test_random_command_sequences_keep_the_invariants(script, cuts, limits, faults):
    engine = fresh(limits)
    try:
        drive(engine, chunked(script, cuts), faults)
    finally:
        engine.connection_closed()
    check_lock(engine)
    assert MB.count("bob") == 4  # the engine never writes


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.binary(max_size=300), max_size=10), limits=st.sampled_from(LIMITS))
def test_random_bytes_never_raise(chunks, limits):
    engine = fresh(limits)
    try:
        drive(engine, chunks)
    finally:
        engine.connection_closed()


@settings(max_examples=200, deadline=None)
@given(prefix=scripts, noise=st.lists(st.binary(max_size=200), max_size=6))
def test_random_bytes_after_a_login_never_raise(prefix, noise):
    engine = fresh()
    try:
        drive(engine, [b"USER bob\r\nPASS bob\r\n", prefix] + noise)
    finally:
        engine.connection_closed()


@settings(max_examples=100, deadline=None)
@given(script=scripts, text=st.one_of(st.none(), st.text(max_size=50)))
def test_after_a_refused_greeting_nothing_is_read(script, text):
    engine = Pop3Engine(WORLD, MB, owner=f"p{next(_owners)}")
    engine.greeting()
    refusal = engine.fault_reply("-ERR", text, "greeting")
    check_reply(refusal)
    assert refusal.closes
    engine.refuse(refusal)
    engine.receive_data(script)
    assert engine.next_input() is None and engine.state == "closed"
    check_lock(engine)


@settings(max_examples=100, deadline=None)
@given(body=st.lists(st.sampled_from([b"text", b".", b"..", b"\r", b"\n", b"\r\n", b" ", b".x"]), max_size=30))
def test_retr_reads_back_exactly_what_is_stored(body):
    """A client that un-stuffs RETR's lines gets the message with its line ends as CRLF."""
    content = b"Subject: p\r\n\r\n" + b"".join(body)
    realm = STORE.realm(f"pop3-retr-{next(_owners)}", seed=False)
    realm.apply([Effect("append", ("bob", "INBOX", content, (), 1700000000.0))])
    engine = Pop3Engine(WORLD, realm, owner="r")
    engine.receive_data(b"USER bob\r\nPASS bob\r\nRETR 1\r\n")
    replies = []
    while (item := engine.next_input()) is not None:
        replies += engine.handle(item).replies
    engine.connection_closed()
    wire = replies[-1].wire()
    check_reply(replies[-1])
    lines = wire.split(b"\r\n")[1:-1]
    assert lines[-1] == b"."
    got = b"".join((line[1:] if line.startswith(b".") else line) + b"\r\n" for line in lines[:-1])
    expected = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if not expected.endswith(b"\r\n"):
        expected += b"\r\n"
    assert got == expected
