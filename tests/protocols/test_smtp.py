"""The SMTP engine, driven with bytes as a client would send them (no sockets)."""
from __future__ import annotations

import pytest

from simulator.mail.world import World
from simulator.protocols.base import Command, MessageData
from simulator.protocols.smtp.engine import STAGES, SmtpEngine, SmtpLimits
from simulator.protocols.smtp.replies import reply

WORLD = World.load()


def new(**limits) -> SmtpEngine:
    engine = SmtpEngine(WORLD, limits=SmtpLimits(**limits))
    engine.greeting()
    return engine


def feed(engine: SmtpEngine, data: bytes) -> list:
    """Everything the engine does with ``data``: [(input, outcome), ...]."""
    steps = []
    engine.receive_data(data)
    while (item := engine.next_input()) is not None:
        steps.append((item, engine.handle(item)))
    return steps


def send(engine: SmtpEngine, *lines: str) -> list:
    """The replies to some command lines (each sent with CRLF), one Reply per reply."""
    out = []
    for line in lines:
        for _, outcome in feed(engine, line.encode("latin-1") + b"\r\n"):
            out.extend(outcome.replies)
    return out


def keys(engine, *lines):
    return [r.key for r in send(engine, *lines)]


def ready(**limits) -> SmtpEngine:
    engine = new(**limits)
    send(engine, "EHLO client.example")
    return engine


def in_rcpt(**limits) -> SmtpEngine:
    engine = ready(**limits)
    send(engine, "MAIL FROM:<bob@example.net>", "RCPT TO:<alice@example.org>")
    assert engine.state == "rcpt"
    return engine


def in_data(**limits) -> SmtpEngine:
    engine = in_rcpt(**limits)
    send(engine, "DATA")
    assert engine.in_data
    return engine


# ---------------------------------------------------------------- fig. 14.6
def test_greeting_is_220_naming_the_server():
    engine = SmtpEngine(WORLD)
    greeting = engine.greeting()
    assert (greeting.code, greeting.key) == (220, "220.ready")
    assert greeting.wire() == b"220 mx.example.org ESMTP MailSim ready\r\n"
    assert engine.state == "greeted"


def test_hostname_can_be_overridden():
    assert SmtpEngine(WORLD, hostname="smtp.test").greeting().text.startswith("220 smtp.test ")


def test_helo_is_answered_250_and_opens_the_session():
    engine = new()
    command = feed(engine, b"HELO client.example\r\n")[0][0]
    assert engine.state == "ready"
    assert engine.phase_of(command) == "establishment"
    engine2 = new()
    [answer] = send(engine2, "HELO client.example")
    assert (answer.code, answer.key) == (250, "250.helo")
    assert "client.example" in answer.text


def test_ehlo_lists_the_extensions():
    engine = new()
    [answer] = send(engine, "EHLO client.example")
    assert answer.key == "250.ehlo"
    assert answer.wire() == (b"250-mx.example.org Hello client.example\r\n250-SIZE 10485760\r\n"
                             b"250-8BITMIME\r\n250-PIPELINING\r\n250 HELP\r\n")


def test_helo_without_a_domain_is_501():
    engine = new()
    assert keys(engine, "HELO", "EHLO ") == ["501.missing_argument"] * 2
    assert engine.state == "greeted"


# ---------------------------------------------------------------- fig. 14.7
def test_message_transfer_delivers_to_every_accepted_recipient():
    engine = ready()
    assert [r.code for r in send(engine, "MAIL FROM:<bob@example.net>")] == [250]
    assert engine.state == "mail"
    assert [r.code for r in send(engine, "RCPT TO:<alice@example.org>", "RCPT TO:<bob@example.org>")] == [250, 250]
    assert engine.state == "rcpt"
    [start] = send(engine, "DATA")
    assert (start.code, engine.state) == (354, "data")
    steps = feed(engine, b"Subject: hello\r\n\r\nHi Alice.\r\n.\r\n")
    [(message, outcome)] = steps
    assert isinstance(message, MessageData)
    assert engine.phase_of(message) == "transfer"
    assert [r.key for r in outcome.replies] == ["250.queued"]
    [delivery] = outcome.deliveries
    assert delivery.mail_from == "bob@example.net"
    assert delivery.recipients == ("alice@example.org", "bob@example.org")
    assert delivery.content == b"Subject: hello\r\n\r\nHi Alice.\r\n"
    assert delivery.helo == "client.example"
    assert delivery.queue_id in outcome.replies[0].text
    assert engine.state == "ready"


def test_second_transaction_on_the_same_connection():
    engine = in_data()
    feed(engine, b"one\r\n.\r\n")
    send(engine, "MAIL FROM:<>", "RCPT TO:<bob@example.org>", "DATA")
    [(_, outcome)] = feed(engine, b"two\r\n.\r\n")
    assert outcome.deliveries[0].mail_from == ""
    assert outcome.deliveries[0].recipients == ("bob@example.org",)


def test_transfer_commands_are_in_the_transfer_phase():
    engine = ready()
    for line in (b"MAIL FROM:<a@b.example>\r\n", b"RCPT TO:<alice@example.org>\r\n", b"DATA\r\n"):
        engine.receive_data(line)
        command = engine.next_input()
        assert engine.phase_of(command) == "transfer"
        engine.handle(command)


# ---------------------------------------------------------------- fig. 14.8
def test_quit_gets_221_and_closes():
    engine = ready()
    engine.receive_data(b"QUIT\r\nNOOP\r\n")
    quit_ = engine.next_input()
    assert engine.phase_of(quit_) == "termination"
    outcome = engine.handle(quit_)
    assert [r.key for r in outcome.replies] == ["221.closing"] and outcome.close
    assert engine.state == "closed"
    assert engine.next_input() is None  # nothing after QUIT is read


def test_quit_with_an_argument_is_501():
    engine = ready()
    assert keys(engine, "QUIT now") == ["501.syntax"]
    assert engine.state == "ready"


# ----------------------------------------------------------- sequence errors
SEQUENCE_CASES = [
    ((), "MAIL FROM:<a@b.example>", "503.need_helo"),
    (("EHLO c.example", "MAIL FROM:<a@b.example>"), "MAIL FROM:<a@b.example>", "503.nested_mail"),
    (("EHLO c.example", "MAIL FROM:<a@b.example>", "RCPT TO:<alice@example.org>"), "MAIL FROM:<x@b.example>", "503.nested_mail"),
    ((), "RCPT TO:<alice@example.org>", "503.need_mail"),
    (("EHLO c.example",), "RCPT TO:<alice@example.org>", "503.need_mail"),
    ((), "DATA", "503.need_mail"),
    (("EHLO c.example",), "DATA", "503.need_mail"),
    (("EHLO c.example", "MAIL FROM:<a@b.example>"), "DATA", "503.need_rcpt"),
]


@pytest.mark.parametrize("before, command, key", SEQUENCE_CASES)
def test_sequence_error_is_503_and_changes_nothing(before, command, key):
    engine = new()
    send(engine, *before)
    snap = engine.snapshot()
    [answer] = send(engine, command)
    assert (answer.code, answer.key) == (503, key)
    assert engine.snapshot() == snap


def test_sequence_is_checked_before_syntax():
    engine = new()
    assert keys(engine, "MAIL FROM:nonsense") == ["503.need_helo"]


def test_data_after_only_refused_recipients_is_554():
    engine = ready()
    send(engine, "MAIL FROM:<a@b.example>", "RCPT TO:<nobody@example.org>", "RCPT TO:<x@elsewhere.example>")
    snap = engine.snapshot()
    [answer] = send(engine, "DATA")
    assert (answer.code, answer.key) == (554, "554.no_valid_recipients")
    assert engine.snapshot() == snap


def test_rset_abandons_the_transaction():
    engine = in_rcpt()
    assert keys(engine, "RSET") == ["250.reset"]
    assert engine.state == "ready"
    assert keys(engine, "DATA") == ["503.need_mail"]


def test_rset_before_helo_keeps_the_session_unintroduced():
    engine = new()
    assert keys(engine, "RSET", "MAIL FROM:<a@b.example>") == ["250.reset", "503.need_helo"]


def test_helo_in_a_transaction_resets_it():
    engine = in_rcpt()
    assert keys(engine, "HELO again.example", "DATA") == ["250.helo", "503.need_mail"]


def test_noop_vrfy_help_work_before_helo():
    engine = new()
    assert [r.code for r in send(engine, "NOOP", "VRFY alice", "HELP")] == [250, 250, 214]
    assert engine.state == "greeted"


# --------------------------------------------------------------- MAIL FROM
@pytest.mark.parametrize("line, key", [
    ("MAIL alice@example.org", "501.syntax"),
    ("MAIL FROM:alice@example.org", "501.syntax"),
    ("MAIL FROM:<alice@example.org", "501.syntax"),
    ("MAIL FROM:<alice@example.org>junk", "501.syntax"),
    ("MAIL FROM:<alice>", "553.mailbox_name"),
    ("MAIL FROM:<alice@>", "553.mailbox_name"),
    ("MAIL FROM:<@example.org>", "553.mailbox_name"),
    ("MAIL FROM:<a b@example.org>", "553.mailbox_name"),
    ("MAIL FROM:<a..b@example.org>", "553.mailbox_name"),
    ("MAIL FROM:<" + "a" * 65 + "@example.org>", "553.mailbox_name"),
    ("MAIL FROM:<a@b.example> SIZE=many", "501.param_syntax"),
    ("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", "501.param_syntax"),
    ("MAIL FROM:<a@b.example> BODY=9BIT", "501.param_syntax"),
    ("MAIL FROM:<a@b.example> SIZE=10485761", "552.too_big"),
    ("MAIL FROM:<a@b.example> BODY=BINARYMIME", "504.body_not_implemented"),
    ("MAIL FROM:<a@b.example> SMTPUTF8", "555.unknown_param"),
    ("MAIL FROM:<a@b.example> RET=HDRS", "555.unknown_param"),
])
def test_bad_mail_from_is_refused_without_opening_a_transaction(line, key):
    engine = ready()
    snap = engine.snapshot()
    assert keys(engine, line) == [key]
    assert engine.snapshot() == snap


@pytest.mark.parametrize("line, sender", [
    ("MAIL FROM:<>", ""),
    ("mail from:<Bob@Example.NET>", "Bob@Example.NET"),
    ("MAIL FROM: <a@b.example>", "a@b.example"),
    ('MAIL FROM:<"john doe"@b.example>', '"john doe"@b.example'),
    ("MAIL FROM:<@relay.example:a@b.example>", "a@b.example"),
    ("MAIL FROM:<a@[192.0.2.1]>", "a@[192.0.2.1]"),
    ("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", "a@b.example"),
    ("MAIL FROM:<a@b.example> body=7bit", "a@b.example"),
])
def test_good_mail_from_opens_a_transaction(line, sender):
    engine = ready()
    [answer] = send(engine, line)
    assert answer.key == "250.sender_ok"
    assert engine.state == "mail" and engine.snapshot().mail_from == sender


def test_mail_parameters_need_ehlo():
    engine = new()
    send(engine, "HELO client.example")
    assert keys(engine, "MAIL FROM:<a@b.example> SIZE=10") == ["555.no_extensions"]
    assert engine.state == "ready"


# ----------------------------------------------------------------- RCPT TO
@pytest.mark.parametrize("address, code, key", [
    ("alice@example.org", 250, "250.recipient_ok"),
    ("ALICE@EXAMPLE.ORG", 250, "250.recipient_ok"),
    ("bob@mx.example.org", 250, "250.recipient_ok"),
    ("staff@example.org", 250, "250.list_ok"),
    ("postmaster", 250, "250.list_ok"),
    ("carol@example.org", 251, "251.will_forward"),
    ("dave@example.org", 551, "551.user_not_local"),
    ("nobody@example.org", 550, "550.no_such_user"),
    ("someone@elsewhere.example", 550, "550.relay_denied"),
    ("alice", 553, "553.mailbox_name"),
    ("", 553, "553.mailbox_name"),
])
def test_rcpt_answer_depends_on_who_the_recipient_is(address, code, key):
    engine = ready()
    send(engine, "MAIL FROM:<a@b.example>")
    [answer] = send(engine, f"RCPT TO:<{address}>")
    assert (answer.code, answer.key) == (code, key)
    assert (engine.state == "rcpt") == (code < 300)


def test_moved_user_reply_names_the_new_address_and_left_user_too():
    engine = ready()
    send(engine, "MAIL FROM:<a@b.example>")
    moved, left = send(engine, "RCPT TO:<carol@example.org>", "RCPT TO:<dave@example.org>")
    assert "<carol@example.net>" in moved.text and "<dave@example.com>" in left.text


def test_relay_denied_text_has_the_enhanced_code():
    engine = ready()
    send(engine, "MAIL FROM:<a@b.example>")
    [answer] = send(engine, "RCPT TO:<x@elsewhere.example>")
    assert answer.text == "550 5.7.1 <x@elsewhere.example>: Relay access denied"


def test_refused_recipient_leaves_the_accepted_ones():
    engine = in_rcpt()
    snap = engine.snapshot()
    assert keys(engine, "RCPT TO:<nobody@example.org>") == ["550.no_such_user"]
    assert engine.snapshot() == snap


def test_rcpt_parameters_are_not_recognized():
    engine = ready()
    send(engine, "MAIL FROM:<a@b.example>")
    assert keys(engine, "RCPT TO:<alice@example.org> NOTIFY=NEVER") == ["555.unknown_param"]


def test_rcpt_without_to_is_501():
    engine = ready()
    send(engine, "MAIL FROM:<a@b.example>")
    assert keys(engine, "RCPT alice@example.org", "RCPT FROM:<alice@example.org>") == ["501.syntax"] * 2


def test_recipient_over_the_limit_gets_452_and_the_transaction_goes_on():
    small = ready(max_recipients=2)
    send(small, "MAIL FROM:<a@b.example>")
    assert [r.code for r in send(small, "RCPT TO:<alice@example.org>", "RCPT TO:<bob@example.org>")] == [250, 250]
    snap = small.snapshot()
    [answer] = send(small, "RCPT TO:<staff@example.org>")
    assert (answer.code, answer.key) == (452, "452.too_many_recipients")
    assert small.snapshot() == snap
    assert keys(small, "DATA") == ["354.start_input"]
    [(_, outcome)] = feed(small, b"x\r\n.\r\n")
    assert outcome.deliveries[0].recipients == ("alice@example.org", "bob@example.org")


def test_the_101st_recipient_gets_452_with_the_default_limit():
    world = World.from_dict({"domain": "example.org", "hostname": "mx.example.org",
                             "users": {f"u{i}": {"password": "x"} for i in range(101)}})
    engine = SmtpEngine(world)
    lines = ["EHLO c.example", "MAIL FROM:<a@b.example>"] + [f"RCPT TO:<u{i}@example.org>" for i in range(101)]
    answers = send(engine, *lines)
    assert [r.code for r in answers[2:]] == [250] * 100 + [452]
    assert len(engine.snapshot().recipients) == 100


def test_repeated_recipient_counts_towards_the_limit_but_is_delivered_once():
    engine = in_rcpt(max_recipients=3)
    assert keys(engine, *["RCPT TO:<alice@example.org>"] * 3) == ["250.recipient_ok"] * 2 + ["452.too_many_recipients"]
    send(engine, "DATA")
    [(_, outcome)] = feed(engine, b"x\r\n.\r\n")
    assert outcome.deliveries[0].recipients == ("alice@example.org",)


# -------------------------------------------------------------------- DATA
def test_data_with_an_argument_is_501():
    engine = in_rcpt()
    assert keys(engine, "DATA now") == ["501.syntax"]
    assert engine.state == "rcpt"


def test_dot_stuffed_lines_lose_one_dot():
    engine = in_data()
    [(message, _)] = feed(engine, b"..hidden\r\n...two\r\n.\r\n")
    assert message.content == b".hidden\r\n..two\r\n"
    assert message.raw == b"..hidden\r\n...two\r\n.\r\n"


def test_a_lone_dot_right_after_354_is_an_empty_message():
    engine = in_data()
    [(message, outcome)] = feed(engine, b".\r\n")
    assert message.content == b"" and outcome.replies[0].code == 250


@pytest.mark.parametrize("trick", [b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\n.\n", b"\r.\r", b"\n.\r", b"\r\n.\r"])
def test_smuggled_end_of_data_never_ends_the_message(trick):
    engine = in_data()
    assert feed(engine, b"line one" + trick + b"MAIL FROM:<evil@b.example>\r\n") == []
    assert engine.in_data
    [(message, outcome)] = feed(engine, b"last\r\n.\r\n")
    assert outcome.replies[0].code == 250
    assert b"MAIL FROM:<evil@b.example>\r\nlast\r\n" in message.content
    assert b"\r\n" in message.content and b"\n" not in message.content.replace(b"\r\n", b"")
    assert b"\r" not in message.content.replace(b"\r\n", b"")


def test_bare_cr_and_lf_in_content_are_stored_as_crlf():
    engine = in_data()
    [(message, _)] = feed(engine, b"a\nb\rc\r\n.\r\n")
    assert message.content == b"a\r\nb\r\nc\r\n"


def test_content_fed_one_byte_at_a_time_is_the_same():
    text = b"Subject: x\r\n\r\n..a\r\nb\nc\r\n.\r\n"
    whole = feed(in_data(), text)[0][0]
    engine = in_data()
    found = []
    for byte in text:
        found += feed(engine, bytes([byte]))
    assert [m for m, _ in found] == [whole]


def test_a_command_handed_in_during_data_changes_nothing():
    engine = in_data()
    snap = engine.snapshot()
    outcome = engine.handle(Command("QUIT", "", "QUIT"))
    assert [r.key for r in outcome.replies] == ["503.bad_sequence"] and engine.snapshot() == snap


def test_commands_after_the_message_are_read_as_commands():
    engine = in_data()
    steps = feed(engine, b"hi\r\n.\r\nQUIT\r\n")
    assert [type(item).__name__ for item, _ in steps] == ["MessageData", "Command"]
    assert steps[1][1].replies[0].key == "221.closing"


def test_too_long_text_line_refuses_the_message_after_its_end():
    engine = in_data()
    assert feed(engine, b"x" * 999 + b"\r\n") == []  # 1001 octets with CRLF
    [(message, outcome)] = feed(engine, b"end\r\n.\r\n")
    assert message.problem == "line_too_long"
    assert [r.key for r in outcome.replies] == ["500.text_line_too_long"]
    assert outcome.deliveries == [] and engine.state == "ready"


def test_text_line_of_exactly_1000_octets_is_fine():
    engine = in_data()
    [(message, outcome)] = feed(engine, b"x" * 998 + b"\r\n.\r\n")
    assert message.problem is None and outcome.replies[0].code == 250


def test_oversized_message_gets_552_and_is_never_held_whole():
    engine = in_data(max_message_size=1000)
    for _ in range(200):
        assert feed(engine, b"y" * 98 + b"\r\n") == []
        assert len(engine._buf) < 1000
    [(message, outcome)] = feed(engine, b".\r\n")
    assert message.problem == "too_big" and len(message.content) <= 1000
    assert message.size == 200 * 100 + 3
    assert [r.key for r in outcome.replies] == ["552.too_big"] and outcome.deliveries == []
    assert engine.state == "ready"


def test_endless_line_in_content_is_not_buffered():
    engine = in_data(max_message_size=5000)
    for _ in range(100):
        feed(engine, b"z" * 1000)
        assert len(engine._buf) <= 1
    [(message, outcome)] = feed(engine, b"\r\n.\r\n")
    assert outcome.replies[0].code in (500, 552) and outcome.deliveries == []


# ------------------------------------------------------------- VRFY / EXPN
@pytest.mark.parametrize("arg, code, key", [
    ("alice", 250, "250.vrfy"),
    ("<alice@example.org>", 250, "250.vrfy"),
    ("Alice Liddell", 250, "250.vrfy"),
    ("staff", 250, "250.vrfy"),
    ("carol", 251, "251.will_forward"),
    ("dave@example.org", 551, "551.user_not_local"),
    ("nobody", 550, "550.no_such_user"),
    ("someone@elsewhere.example", 252, "252.cannot_vrfy"),
])
def test_vrfy(arg, code, key):
    [answer] = send(new(), f"VRFY {arg}")
    assert (answer.code, answer.key) == (code, key)


def test_vrfy_shows_name_and_address():
    [answer] = send(new(), "VRFY alice")
    assert answer.text == "250 Alice Liddell <alice@example.org>"


def test_expn_lists_the_members_one_per_line():
    [answer] = send(new(), "EXPN staff")
    assert answer.wire() == b"250-Alice Liddell <alice@example.org>\r\n250 Bob Smith <bob@example.org>\r\n"


@pytest.mark.parametrize("line, key", [
    ("EXPN alice", "550.not_a_list"), ("EXPN nobody", "550.not_a_list"),
    ("EXPN", "501.missing_argument"), ("VRFY", "501.missing_argument"),
])
def test_expn_and_vrfy_refusals(line, key):
    assert keys(new(), line) == [key]


# -------------------------------------------------------------------- HELP
def test_help_lists_the_commands():
    [answer] = send(new(), "HELP")
    assert answer.code == 214 and len(answer.lines) > 1
    assert "MAIL" in answer.text and "QUIT" in answer.text


@pytest.mark.parametrize("topic, syntax", [("MAIL", "MAIL FROM:<reverse-path>"), ("rcpt", "RCPT TO:<forward-path>"),
                                           ("SMOL", "SOML FROM:")])
def test_help_on_a_command_shows_its_syntax(topic, syntax):
    [answer] = send(new(), f"HELP {topic}")
    assert answer.key == "214.help_command" and answer.lines[0].startswith(syntax)


def test_help_on_an_unknown_topic_is_504():
    assert keys(new(), "HELP BOGUS") == ["504.help_topic"]


# --------------------------------------------------- unknown and obsolete
def test_unknown_verb_is_500():
    engine = ready()
    assert keys(engine, "HELLO client.example", "XYZZY") == ["500.unrecognized"] * 2


def test_empty_line_is_500():
    assert keys(new(), "") == ["500.empty_line"]


def test_known_but_unoffered_verb_is_502():
    assert keys(ready(), "STARTTLS", "AUTH PLAIN") == ["502.not_implemented"] * 2


@pytest.mark.parametrize("line, verb", [
    ("TURN", "TURN"), ("SEND FROM:<a@b.example>", "SEND"), ("SOML FROM:<a@b.example>", "SOML"),
    ("SAML FROM:<a@b.example>", "SAML"), ("SMOL FROM:<a@b.example>", "SOML"), ("smal from:<a@b.example>", "SAML"),
])
def test_obsolete_commands_parse_and_get_502(line, verb):
    engine = ready()
    [(command, outcome)] = feed(engine, line.encode() + b"\r\n")
    assert command.verb == verb
    if verb != "TURN":
        assert command.arg == "a@b.example"
    assert [(r.code, r.key) for r in outcome.replies] == [(502, "502.obsolete")]


def test_stages_are_the_fifteen_verbs():
    assert set(STAGES) == {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "VRFY", "NOOP",
                           "TURN", "EXPN", "HELP", "SEND", "SOML", "SAML"}


# ------------------------------------------------------------- line level
def test_bare_lf_ends_a_command_line():
    engine = new()
    assert [r.key for _, o in feed(engine, b"HELO nc.example\nNOOP\n") for r in o.replies] == ["250.helo", "250.ok"]


def test_pipelined_commands_are_answered_in_order():
    engine = new()
    steps = feed(engine, b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.org>\r\n"
                         b"RCPT TO:<nobody@example.org>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n")
    assert [o.replies[0].code for _, o in steps] == [250, 250, 250, 550, 354, 250, 221]
    assert steps[5][1].deliveries[0].content == b"hello\r\n"


def test_command_split_across_packets_waits_for_its_end():
    engine = new()
    assert feed(engine, b"HE") == [] and feed(engine, b"LO c.exa") == []
    assert [o.replies[0].key for _, o in feed(engine, b"mple\r\n")] == ["250.helo"]


def test_command_line_of_512_octets_is_fine_and_513_is_too_long():
    engine = ready()
    assert keys(engine, "NOOP " + "x" * 505) == ["250.ok"]  # 510 octets + CRLF = 512
    assert keys(engine, "NOOP " + "x" * 506) == ["500.line_too_long"]


def test_over_long_line_is_discarded_not_buffered():
    engine = ready()
    for _ in range(50):
        assert feed(engine, b"A" * 1000) == []
        assert len(engine._buf) < 512
    [(command, outcome)] = feed(engine, b"AAAA\r\n")
    assert command.verb == "UNKNOWN" and command.problem == "line_too_long"
    assert outcome.replies[0].key == "500.line_too_long"
    assert keys(engine, "NOOP") == ["250.ok"]


def test_nul_byte_is_500_and_8bit_argument_is_501():
    engine = ready()
    [(nul, nul_out)] = feed(engine, b"NOOP a\x00b\r\n")
    assert nul.problem == "nul" and nul_out.replies[0].key == "500.nul_byte"
    [(high, high_out)] = feed(engine, "VRFY jos\u00e9\r\n".encode("utf-8"))
    assert high.problem == "eight_bit" and high_out.replies[0].key == "501.eight_bit"
    assert engine.state == "ready"


@pytest.mark.parametrize("request_line", [b"GET / HTTP/1.1", b"POST /x HTTP/1.0", b"put /", b"HEAD / HTTP/1.1",
                                          b"CONNECT mx.example.org:25 HTTP/1.1"])
def test_http_request_closes_without_a_reply(request_line):
    engine = new()
    [(command, outcome)] = feed(engine, request_line + b"\r\nHost: x\r\n\r\n")
    assert command.problem == "http"
    assert outcome.replies == [] and outcome.close
    assert engine.state == "closed"


def test_too_many_errors_end_with_421():
    engine = ready(max_errors=3)
    assert keys(engine, "BAD", "BAD", "BAD") == ["500.unrecognized"] * 3
    [(_, outcome)] = feed(engine, b"NOOP\r\n")
    assert [r.key for r in outcome.replies] == ["421.too_many_errors"] and outcome.close
    assert engine.state == "closed"


def test_twenty_errors_by_default():
    engine = ready()
    assert keys(engine, *["BAD"] * 20) == ["500.unrecognized"] * 20
    assert keys(engine, "NOOP") == ["421.too_many_errors"]


# ---------------------------------------------------------- faulty greeting
def test_refused_with_554_only_quit_works():
    engine = SmtpEngine(WORLD)
    engine.refuse(reply("554.no_service"))
    assert engine.state == "refused"
    snap = engine.snapshot()
    assert keys(engine, "HELO c.example", "MAIL FROM:<a@b.example>", "NOOP") == ["503.refused"] * 3
    assert engine.snapshot() == snap
    assert keys(engine, "QUIT") == ["221.closing"]
    assert engine.state == "closed"


def test_refused_with_421_is_closed():
    engine = SmtpEngine(WORLD)
    engine.refuse(reply("421.closing"))
    assert engine.state == "closed"
    engine.receive_data(b"HELO c.example\r\n")
    assert engine.next_input() is None
    assert engine.handle(Command("HELO", "c.example", "HELO c.example")).close


# ----------------------------------------------------- snapshot / restore
def test_restore_undoes_an_accepted_recipient():
    engine = ready()
    send(engine, "MAIL FROM:<a@b.example>")
    snap = engine.snapshot()
    send(engine, "RCPT TO:<alice@example.org>")
    engine.restore(snap)
    assert engine.state == "mail" and engine.snapshot().recipients == ()
    # The refused RCPT still counts as one: DATA now says no valid recipients.
    assert keys(engine, "DATA") == ["554.no_valid_recipients"]


def test_restore_undoes_354():
    engine = in_rcpt()
    snap = engine.snapshot()
    send(engine, "DATA")
    engine.restore(snap)
    assert not engine.in_data
    assert keys(engine, "NOOP") == ["250.ok"]


def test_snapshot_is_immutable_and_comparable():
    engine = ready()
    first = engine.snapshot()
    send(engine, "MAIL FROM:<a@b.example>")
    assert first != engine.snapshot() and first.state == "ready"


# ------------------------------------------------- submission server option
def test_a_submission_server_relays_for_its_clients_and_an_mx_does_not():
    mx = ready()
    send(mx, "MAIL FROM:<carol@example.net>")
    assert keys(mx, "RCPT TO:<dave@example.com>") == ["550.relay_denied"]

    net = World.from_dict({"domain": "example.net", "hostname": "mail.example.net",
                           "users": {"carol": {"password": "carol"}}})
    submission = SmtpEngine(net, relay_for_clients=True)
    submission.greeting()
    send(submission, "EHLO carol-laptop.example.net", "MAIL FROM:<carol@example.net>")
    relayed = send(submission, "RCPT TO:<Bob@Example.ORG>")
    assert [r.key for r in relayed] == ["250.relay_ok"]
    assert relayed[0].text == "250 Recipient <Bob@example.org> OK, will relay to example.org"
    assert keys(submission, "RCPT TO:<nobody@example.net>") == ["550.no_such_user"]  # its own domain: still checked
    send(submission, "DATA")
    steps = feed(submission, b"Subject: hi\r\n\r\nhello\r\n.\r\n")
    (delivery,) = steps[-1][1].deliveries
    assert delivery.recipients == ("Bob@example.org",) and delivery.mail_from == "carol@example.net"
