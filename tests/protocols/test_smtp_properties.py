"""Properties of the SMTP engine under random bytes and random command sequences."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.mail.world import World
from simulator.protocols.base import Command, MessageData
from simulator.protocols.smtp.engine import SmtpEngine, SmtpLimits
from simulator.protocols.smtp.replies import CODES, REPLIES, reply

WORLD = World.load()

TOKENS = [
    b"HELO x.example", b"EHLO c.example", b"HELO", b"MAIL FROM:<a@b.example>", b"MAIL FROM:<>",
    b"MAIL FROM:<a@b.example> SIZE=99999999999", b"MAIL FROM:<a@b.example> BODY=BINARYMIME",
    b"MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME", b"MAIL FROM:<bad>", b"MAIL FROM:x", b"mail from:<B@x.example> FOO",
    b"RCPT TO:<alice@example.org>", b"RCPT TO:<bob@example.org>", b"RCPT TO:<staff@example.org>",
    b"RCPT TO:<nobody@example.org>", b"RCPT TO:<x@elsewhere.example>", b"RCPT TO:<carol@example.org>",
    b"RCPT TO:<dave@example.org>", b"RCPT TO:<postmaster>", b"RCPT TO:<>", b"RCPT TO:<alice@example.org> X=1",
    b"DATA", b"DATA x", b"RSET", b"NOOP", b"QUIT", b"QUIT x", b"VRFY alice", b"VRFY nobody", b"VRFY",
    b"EXPN staff", b"EXPN alice", b"HELP", b"HELP MAIL", b"HELP XYZ", b"TURN", b"SMOL FROM:<a@b.c>",
    b"SEND FROM:<a@b.c>", b"STARTTLS", b"BOGUS", b"", b".", b"..x", b"Subject: hi", b"hello world",
    b"GET / HTTP/1.1", b"NOOP \x00", b"VRFY \xe9", b"A" * 600, b"x" * 1100,
]
SEPARATORS = [b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b""]
LIMITS = [SmtpLimits(), SmtpLimits(max_recipients=2, max_message_size=300, text_line=80, max_errors=6,
                                   command_line=64)]

pieces = st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)).map(lambda t: t[0] + t[1])
lines = st.sampled_from(TOKENS).map(lambda t: t + b"\r\n")
# A transaction, often well formed, so that random scripts reach the deep states too.
transactions = st.tuples(
    st.sampled_from([t for t in TOKENS if t.upper().startswith(b"MAIL")]),
    st.lists(st.sampled_from([t for t in TOKENS if t.startswith(b"RCPT")]), max_size=4),
    st.sampled_from([b"DATA", b"RSET", b"NOOP"]),
    st.lists(st.sampled_from([b"Subject: hi", b"..dot", b"hello", b"x" * 120, b"", b"a\nb", b"c\rd"]), max_size=5),
    st.sampled_from([b".\r\n", b".\n", b"\n.\r\n", b""]),
).map(lambda t: b"".join(x + b"\r\n" for x in (t[0], *t[1], t[2], *t[3])) + t[4])
scripts = st.tuples(
    st.sampled_from([b"EHLO c.example\r\n", b"HELO c.example\r\n", b""]),
    st.lists(st.one_of(transactions, pieces, lines), max_size=12),
).map(lambda t: t[0] + b"".join(t[1]))


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts}) if data else []
    out, last = [], 0
    for p in points + [len(data)]:
        out.append(data[last:p])
        last = p
    return out


def check_reply(reply) -> None:
    assert reply.key in REPLIES, reply.key
    assert REPLIES[reply.key].code == reply.code
    assert reply.code in CODES
    wire = reply.wire()
    assert wire.endswith(b"\r\n")
    for line in wire.split(b"\r\n")[:-1]:
        assert len(line) + 2 <= 512
        assert b"\r" not in line and b"\n" not in line


def drive(engine: SmtpEngine, chunks: list[bytes]) -> None:
    for chunk in chunks:
        engine.receive_data(chunk)
        while (item := engine.next_input()) is not None:
            before = engine.snapshot()
            outcome = engine.handle(item)
            for sent in outcome.replies:
                check_reply(sent)
            assert engine.state in ("greeted", "ready", "mail", "rcpt", "data", "refused", "closed")
            assert engine.phase_of(item) in ("establishment", "transfer", "termination")
            final = outcome.replies[-1] if outcome.replies else None
            if isinstance(item, Command) and final is not None and final.code >= 400 \
                    and not final.key.startswith("421."):
                assert engine.snapshot() == before, (item, final)
            if outcome.deliveries:
                assert isinstance(item, MessageData)
                assert [r.code for r in outcome.replies] == [250]
                assert all(d.recipients for d in outcome.deliveries)
            if isinstance(item, MessageData):
                assert engine.state == "ready"
            if outcome.close:
                assert engine.state == "closed"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=8),
       limits=st.sampled_from(LIMITS))
def test_random_command_sequences_keep_the_invariants(script, cuts, limits):
    engine = SmtpEngine(WORLD, limits=limits)
    check_reply(engine.greeting())
    drive(engine, chunked(script, cuts))


@settings(max_examples=100, deadline=None)
@given(script=scripts, greeting=st.sampled_from(["554.no_service", "421.closing"]))
def test_after_a_refused_greeting_only_quit_is_served(script, greeting):
    engine = SmtpEngine(WORLD)
    engine.refuse(reply(greeting))
    engine.receive_data(script)
    answers = []
    while (item := engine.next_input()) is not None:
        answers += [r.key for r in engine.handle(item).replies]
    if greeting.startswith("421"):
        assert answers == []
    else:
        assert set(answers) <= {"503.refused", "221.closing", "501.syntax", "421.too_many_errors"}
        assert engine.state in ("refused", "closed")


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.binary(max_size=300), max_size=10), limits=st.sampled_from(LIMITS))
def test_random_bytes_never_raise(chunks, limits):
    engine = SmtpEngine(WORLD, limits=limits)
    engine.greeting()
    drive(engine, chunks)


@settings(max_examples=200, deadline=None)
@given(prefix=scripts, noise=st.lists(st.binary(max_size=200), max_size=6))
def test_random_bytes_after_a_valid_start_never_raise(prefix, noise):
    engine = SmtpEngine(WORLD)
    engine.greeting()
    drive(engine, [b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.org>\r\n", prefix] + noise)


@settings(max_examples=200, deadline=None)
@given(body=st.lists(st.sampled_from([b"text", b".", b"..", b"\r", b"\n", b"\r\n", b" ", b"x" * 50]), max_size=30),
       cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6))
def test_message_content_ends_only_at_crlf_dot_crlf(body, cuts):
    data = b"".join(body)
    engine = SmtpEngine(WORLD)
    engine.greeting()
    drive(engine, [b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"])
    assert engine.in_data
    messages = []
    for chunk in chunked(data, cuts):
        engine.receive_data(chunk)
        while engine.in_data and (item := engine.next_input()) is not None:
            messages.append(item)
            engine.handle(item)
    wire = b"\r\n" + data
    ends_inside = b"\r\n.\r\n" in wire
    assert bool(messages) == ends_inside
    if messages:
        # The content stops exactly at the first CRLF "." CRLF; stored line breaks are all CRLF.
        content = messages[0].content
        assert b"\r" not in content.replace(b"\r\n", b"") and b"\n" not in content.replace(b"\r\n", b"")
