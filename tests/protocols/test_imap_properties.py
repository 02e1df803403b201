"""Properties of the IMAP engine under random command sequences and random bytes."""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from typing import Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.mail.world import World
from simulator.protocols.base import Effect
from simulator.protocols.imap.engine import PHASES, STATES, ImapEngine, ImapLimits
from simulator.protocols.imap.replies import CODES, REPLIES
from simulator.store.db import MailStore, MailStoreError

WORLD = World.load()
STORE = MailStore(WORLD, seed_file=None)
_realms = itertools.count()

MAIL = [
    b"From: Bob <bob@example.org>\r\nSubject: hello\r\nDate: Tue, 01 Sep 2026 10:00:00 +0200\r\n\r\nHi Alice.\r\n",
    b"From: carol@example.net\r\nSubject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
    b"--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n",
    b"no header at all\r\n",
]

COMMANDS = [
    "CAPABILITY", "NOOP", "LOGOUT", "LOGIN alice alice", "LOGIN alice wrong", 'LOGIN "bob" "bob"', "LOGIN",
    "AUTHENTICATE PLAIN", "AUTHENTICATE PLAIN AGFsaWNlAGFsaWNl", "AUTHENTICATE PLAIN =", "AUTHENTICATE X",
    "SELECT INBOX", "SELECT Work", "SELECT Nowhere", "EXAMINE INBOX", "EXAMINE Work/Sub",
    "CREATE Work/New", "CREATE INBOX", 'CREATE "a//b"', "CREATE Trash/", "DELETE Work/New", "DELETE INBOX",
    "DELETE Work", "DELETE Trash", "RENAME Work Job", "RENAME Job Work", "RENAME INBOX Old", "RENAME x y",
    "SUBSCRIBE Work", "UNSUBSCRIBE Work", "SUBSCRIBE Nowhere", 'LIST "" *', 'LIST "" %', 'LIST Work %',
    'LIST "" ""', 'LSUB "" *', 'LSUB "" %', 'LIST (SUBSCRIBED) "" *', "STATUS INBOX (MESSAGES RECENT UIDNEXT "
    "UIDVALIDITY UNSEEN)", "STATUS Nowhere (MESSAGES)", "APPEND INBOX {5}\r\nhello", "APPEND Work (\\Seen $X) {3+}\r\nabc",
    "APPEND Nowhere {1+}\r\nx", 'APPEND INBOX "01-Jan-2020 00:00:00 +0000" {2+}\r\nhi', "APPEND INBOX {0+}\r\n",
    "CHECK", "CLOSE", "EXPUNGE", "SEARCH ALL", "SEARCH UNSEEN FROM bob", "SEARCH OR SEEN NOT DELETED",
    "SEARCH CHARSET UTF-8 SUBJECT {6}\r\nПри", "SEARCH CHARSET X ALL", "SEARCH BODY html SINCE 1-Jan-2020",
    "SEARCH SENTBEFORE 1-Jan-2030 LARGER 10 (UID 1:* 2:*)", "UID SEARCH TEXT hi",
    "FETCH 1 FLAGS", "FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)", "FETCH * ALL", "FETCH 2 FULL",
    "FETCH 1:2 BODY[]", "FETCH 2 BODY.PEEK[1.MIME]", "FETCH 1 BODY[HEADER.FIELDS (SUBJECT FROM)]<0.20>",
    "FETCH 3 (ENVELOPE BODYSTRUCTURE RFC822.HEADER RFC822.TEXT RFC822)", "FETCH 1 BODY[9.9]", "FETCH 99 FLAGS",
    "UID FETCH 1:* (FLAGS)", "UID FETCH 5:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To)])",
    "STORE 1 +FLAGS (\\Deleted)", "STORE 1:* -FLAGS.SILENT (\\Seen)", "STORE 2 FLAGS ($Junk \\Flagged)",
    "STORE 1 +FLAGS (\\Recent)", "UID STORE 1:* +FLAGS (\\Seen)", "COPY 1:2 Work", "COPY 1 INBOX",
    "COPY 1 Nowhere", "UID COPY 1:* Work/Sub", "ID NIL", 'ID ("name" "x")', "NAMESPACE", "IDLE", "DONE",
    "STARTTLS", "ENABLE X", "", "FETCH", "SEARCH (", "STORE x", "LIST", "GET / HTTP/1.1", "NOOP \x00",
    "LOGIN {999999999}", "APPEND INBOX {99999999+}", "x" * 300,
]
TAGS = ["A1", "a.2", "t", "T99"]
ODD_TAGS = ["", "*", "+x", "(", "A1"]
SEPARATORS = [b"\r\n", b"\r\n", b"\r\n", b"\n", b""]
LIMITS = [ImapLimits(), ImapLimits(command_line=128, max_literal=64, max_errors=8, cache_size=1)]

# Mostly well-formed commands, so that random scripts reach the deep states; some odd ones.
good_lines = st.tuples(st.sampled_from(TAGS), st.sampled_from(COMMANDS)).map(
    lambda t: (t[0] + " " + t[1]).encode("utf-8") + b"\r\n")
odd_lines = st.tuples(st.sampled_from(ODD_TAGS), st.sampled_from(COMMANDS), st.sampled_from(SEPARATORS)).map(
    lambda t: ((t[0] + " " if t[0] else "") + t[1]).encode("utf-8") + t[2])
auth_lines = st.sampled_from([b"AGFsaWNlAGFsaWNl\r\n", b"*\r\n", b"!!\r\n", b"DONE\r\n", b"done\r\n"])
pieces = st.one_of(*[good_lines] * 8, odd_lines, auth_lines, st.binary(max_size=40))
scripts = st.tuples(
    st.sampled_from([b"", b"A LOGIN alice alice\r\n", b"A LOGIN alice alice\r\nB SELECT INBOX\r\n",
                     b"A LOGIN alice alice\r\nB SELECT INBOX\r\n", b"A LOGIN alice alice\r\nB EXAMINE Work\r\n"]),
    st.lists(pieces, min_size=1, max_size=24),
).map(lambda t: t[0] + b"".join(t[1]))


def new_realm():
    mb = STORE.realm(f"prop-{next(_realms)}", seed=False)
    mb.apply([Effect("create", ("alice", "Work/Sub"))]
             + [Effect("append", ("alice", "INBOX", m, f, 1.7e9 + i)) for i, (m, f) in
                enumerate(zip(MAIL, [("\\Seen",), (), ("\\Flagged", "$Junk")]))]
             + [Effect("append", ("alice", "Work", MAIL[0], (), 1.7e9))])
    return mb


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts}) if data else []
    out, last = [], 0
    for p in points + [len(data)]:
        out.append(data[last:p])
        last = p
    return out


_LITERAL = re.compile(rb"\{(\d+)\}\r\n")


def check_wire(wire: bytes) -> None:
    """Every line ends with CRLF; CR and LF appear elsewhere only inside literals."""
    assert wire.endswith(b"\r\n")
    pos = 0
    while pos < len(wire):
        end = wire.index(b"\r\n", pos)
        line = wire[pos:end]
        literal = _LITERAL.search(wire, pos)
        if literal is not None and literal.end() - 2 == end:  # the line ends with {n}: skip its octets
            pos = literal.end() + int(literal.group(1))
            continue
        assert b"\r" not in line and b"\n" not in line, line
        pos = end + 2


def check_reply(reply, item) -> None:
    assert reply.key in REPLIES, reply.key
    assert reply.key != "no.serverbug", item
    assert REPLIES[reply.key].code == reply.code and reply.code in CODES
    check_wire(reply.wire())
    final = reply.final
    if final is not None and not final.startswith((b"* ", b"+ ")):
        assert item.tag is not None and final.startswith(item.tag.encode() + b" "), (item, final)
    if final is not None and reply.code in ("OK", "NO", "BAD") and reply.tag is not None:
        assert reply.tag == item.tag


def drive(engine: ImapEngine, mb, chunks: list[bytes], *, strict: bool = True,
          refuse: Optional[list[bool]] = None) -> list[str]:
    """Feed the chunks as the session would, checking every step; the keys of the final replies.

    ``refuse`` says, input by input, whether a fault rule answers NO instead (the session then
    restores the snapshot and drops the effects).
    """
    refusals = iter(refuse or ())
    limit = engine.limits.command_line + engine.limits.max_literal + 2048
    keys = []
    for chunk in chunks:
        engine.receive_data(chunk)
        while (item := engine.next_input()) is not None:
            before = engine.snapshot()
            outcome = engine.handle(item)
            for reply in outcome.replies:
                check_reply(reply, item)
            final = outcome.replies[-1] if outcome.replies else None
            keys.append(final.key if final is not None else None)
            if next(refusals, False) and not outcome.close:
                fault = engine.fault_reply("NO", None, item.verb)
                assert fault.code == "NO" and (fault.final.startswith(item.tag.encode() + b" NO ")
                                               if item.tag else fault.final.startswith(b"* NO "))
                engine.restore(before)
                if item.verb not in ("AUTH_DATA", "DONE"):
                    assert engine.snapshot() == before
                else:
                    assert engine.snapshot().mode == "command"
                continue
            if outcome.effects:
                assert final is not None and final.ok
                try:
                    mb.apply(outcome.effects)
                except MailStoreError as error:
                    engine.restore(before)
                    for reply in engine.effect_failed(item, error).replies:
                        check_reply(reply, item)
                        assert reply.code == "NO"
            if (strict and final is not None and final.code in ("NO", "BAD") and not outcome.close
                    and item.verb not in ("SELECT", "EXAMINE", "AUTH_DATA", "DONE")):
                after = engine.snapshot()
                if before.uidvalidity == 0 and after.uidvalidity:  # adopted after renaming the selected folder
                    after = replace(after, uidvalidity=0)
                assert after == before, (item, final)
            assert engine.state in STATES and engine.phase_of(item) in PHASES
            if outcome.close:
                assert engine.state == "logout"
            assert engine.buffered <= limit + len(chunk)
        polled = engine.poll()
        if polled is not None:
            for reply in polled.replies:
                assert reply.key in ("ok.update", "bye.mailbox_gone")
                check_wire(reply.wire())
    return keys


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts, cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=8),
       limits=st.sampled_from(LIMITS))
def test_random_command_sequences_keep_the_invariants(script, cuts, limits):
    mb = new_realm()
    engine = ImapEngine(WORLD, mb, now=lambda: 1.8e9, limits=limits)
    check_reply(engine.greeting(), None)
    drive(engine, mb, chunked(script, cuts))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=st.lists(st.binary(max_size=300), max_size=10), limits=st.sampled_from(LIMITS),
       start=st.sampled_from([b"", b"A LOGIN alice alice\r\nB SELECT INBOX\r\n"]))
def test_random_bytes_never_raise(chunks, limits, start):
    mb = new_realm()
    engine = ImapEngine(WORLD, mb, now=lambda: 1.8e9, limits=limits)
    drive(engine, mb, [start] + chunks)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one=scripts, two=scripts, order=st.lists(st.booleans(), max_size=30))
def test_two_sessions_on_one_folder_keep_the_invariants(one, two, order):
    mb = new_realm()
    engines = [ImapEngine(WORLD, mb, now=lambda: 1.8e9) for _ in range(2)]
    pending = [list(chunked(one, list(range(7, len(one), 7)))), list(chunked(two, list(range(5, len(two), 5))))]
    for first in order + [True] * len(pending[0]) + [False] * len(pending[1]):
        side = 0 if first else 1
        if pending[side]:
            drive(engines[side], mb, [pending[side].pop(0)], strict=False)
    for engine in engines:
        drive(engine, mb, [b"\r\n"], strict=False)  # end a partial line
        if engine.state == "selected" and not engine.mid_command and engine.snapshot().mode == "command":
            # Once a session has caught up, its view matches the store.
            if drive(engine, mb, [b"Z NOOP\r\n"], strict=False) == ["ok.noop"]:
                snap = engine.snapshot()
                listing = mb.listing(snap.user, snap.mailbox)
                assert [e.uid for e in snap.view] == [m.uid for m in listing]
                assert [set(e.flags) for e in snap.view] == [set(m.flags) for m in listing]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts, cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=8),
       refuse=st.lists(st.booleans(), max_size=30))
def test_refusing_faults_leave_the_engine_usable(script, cuts, refuse):
    mb = new_realm()
    engine = ImapEngine(WORLD, mb, now=lambda: 1.8e9)
    drive(engine, mb, chunked(script, cuts), refuse=refuse)
    drive(engine, mb, [b"\r\n"], strict=False)
    if engine.state != "logout" and not engine.mid_command and engine.snapshot().mode == "command":
        assert drive(engine, mb, [b"Z NOOP\r\n"]) in (["ok.noop"], ["bye.too_many_errors"], ["bye.mailbox_gone"])
