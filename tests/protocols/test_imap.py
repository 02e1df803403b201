"""The IMAP engine, driven with bytes as a client would send them, over a real in-memory mail store."""
from __future__ import annotations

import base64
import itertools
import re
from datetime import datetime, timezone

import pytest

from simulator.mail.world import World
from simulator.protocols.base import Command, Delivery, Effect
from simulator.protocols.imap.engine import PHASES, STAGES, STATES, ImapEngine, ImapLimits
from simulator.protocols.imap.replies import COMMANDS, REPLIES, ImapReply
from simulator.store.db import MailStore, MailStoreError

WORLD = World.load()
STORE = MailStore(WORLD, seed_file=None)
_realms = itertools.count()
NOW = datetime(2026, 9, 10, 12, 0, tzinfo=timezone.utc).timestamp()


def day(d: int) -> float:
    return datetime(2026, 9, d, 12, 0, tzinfo=timezone.utc).timestamp()


LUNCH = (b"From: Bob Smith <bob@example.org>\r\nTo: Alice Liddell <alice@example.org>\r\n"
         b"Subject: Lunch on Friday\r\nDate: Tue, 01 Sep 2026 10:00:00 +0200\r\n"
         b"Message-ID: <lunch@example.org>\r\n\r\nShall we have lunch on Friday?\r\n")
REPORT = (b"From: Carol White <carol@example.net>\r\nTo: alice@example.org\r\nCc: bob@example.org\r\n"
          b"Subject: =?UTF-8?B?0J7RgtGH0ZHRgg==?= for September\r\nDate: Wed, 02 Sep 2026 09:00:00 +0000\r\n"
          b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
          b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
          + "Числа за сентябрь во вложении.\r\n".encode("utf-8") +
          b"--XX\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n--XX--\r\n")
SHORT = b"From: dave@example.com\r\nSubject: ping\r\n\r\nping\r\n"
MESSAGES = [(LUNCH, ("\\Seen",), day(1)), (REPORT, (), day(2)), (SHORT, ("\\Flagged",), day(3))]


@pytest.fixture
def mb():
    """A fresh realm of the shared store: alice's INBOX holds the three messages above."""
    realm = STORE.realm(f"imap-{next(_realms)}", seed=False)
    realm.apply([Effect("append", ("alice", "INBOX", c, f, d)) for c, f, d in MESSAGES])
    return realm


class Client:
    """Drives one engine as the session would: effects applied before the reply, refusals via effect_failed."""

    def __init__(self, mb, **kwargs):
        self.mb = mb
        self.engine = ImapEngine(WORLD, mb, now=lambda: NOW, **kwargs)
        self.greeting = self.engine.greeting()
        self.effects: list[Effect] = []
        self.closed = False

    def feed(self, data: bytes) -> list[ImapReply]:
        out = []
        self.engine.receive_data(data)
        while (item := self.engine.next_input()) is not None:
            snap = self.engine.snapshot()
            outcome = self.engine.handle(item)
            if outcome.effects:
                try:
                    self.mb.apply(outcome.effects)
                    self.effects.extend(outcome.effects)
                except MailStoreError as error:
                    self.engine.restore(snap)
                    outcome = self.engine.effect_failed(item, error)
            out.extend(outcome.replies)
            self.closed = self.closed or outcome.close
        return out

    def send(self, *lines: str) -> list[ImapReply]:
        out = []
        for line in lines:
            out.extend(self.feed(line.encode("utf-8") + b"\r\n"))
        return out

    def cmd(self, line: str) -> ImapReply:
        replies = self.send(line)
        assert len(replies) == 1, replies
        return replies[0]

    def key(self, line: str) -> str:
        return self.cmd(line).key

    @property
    def state(self) -> str:
        return self.engine.state


def logged_in(mb, **kwargs) -> Client:
    client = Client(mb, **kwargs)
    assert client.key("a0 LOGIN alice alice") == "ok.login"
    return client


def selected(mb, folder: str = "INBOX", **kwargs) -> Client:
    client = logged_in(mb, **kwargs)
    assert client.key(f"s0 SELECT {folder}") == "ok.select"
    return client


def text(reply: ImapReply) -> str:
    return reply.wire().decode("utf-8", "replace")


# ------------------------------------------------------------ connection
def test_greeting_lists_the_capabilities_and_names_the_server(mb):
    engine = ImapEngine(WORLD, mb, now=lambda: NOW)
    greeting = engine.greeting()
    assert greeting.wire() == (b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR CHILDREN ID NAMESPACE IDLE AUTH=PLAIN] "
                               b"mx.example.org IMAP4rev1 MailSim ready\r\n")
    assert (greeting.code, greeting.key, greeting.tag, greeting.ok, greeting.closes) == ("OK", "ok.greeting", None, True, False)
    assert engine.state == engine.phase == "not_authenticated"


def test_hostname_can_be_overridden(mb):
    assert b" imap.test IMAP4rev1" in ImapEngine(WORLD, mb, now=lambda: NOW, hostname="imap.test").greeting().wire()


def test_module_constants_follow_the_contract():
    assert STATES == PHASES == ("not_authenticated", "authenticated", "selected", "logout")
    assert "UID FETCH" in STAGES and "IDLE" in STAGES and "DONE" not in STAGES and "+" not in STAGES
    assert set(STAGES) == set(COMMANDS) - {"STARTTLS"}


def test_capability_changes_after_login(mb):
    client = Client(mb)
    before = client.cmd("c1 CAPABILITY")
    assert before.lines == (b"* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR CHILDREN ID NAMESPACE IDLE AUTH=PLAIN",)
    assert before.final == b"c1 OK CAPABILITY completed"
    client.send("c2 LOGIN alice alice")
    assert b"AUTH=PLAIN" not in client.cmd("c3 CAPABILITY").lines[0]


def test_noop_capability_and_id_work_in_every_state(mb):
    client = Client(mb)
    for tag in ("n1", "n2", "n3"):
        assert [r.key for r in client.send(f"{tag} NOOP", f"{tag}c CAPABILITY", f"{tag}i ID NIL")] == \
            ["ok.noop", "ok.capability", "ok.id"]
        if tag == "n1":
            client.send("l LOGIN alice alice")
        elif tag == "n2":
            client.send("s SELECT INBOX")
    assert client.state == "selected"


@pytest.mark.parametrize("setup", ["", "LOGIN alice alice", "SELECT INBOX"])
def test_logout_says_bye_then_ok_and_closes_in_every_state(mb, setup):
    client = Client(mb)
    if setup == "SELECT INBOX":
        client.send("a LOGIN alice alice")
    if setup:
        client.send("b " + setup)
    reply = client.cmd("z LOGOUT")
    assert reply.wire() == b"* BYE mx.example.org MailSim logging out\r\nz OK LOGOUT completed\r\n"
    assert reply.closes and reply.ok and client.closed
    assert client.state == "logout"
    assert client.engine.phase_of(Command("NOOP", "", "x NOOP")) == "logout"
    assert client.send("y NOOP") == [] and client.engine.buffered == 0


def test_an_http_request_is_dropped_without_a_word(mb):
    client = Client(mb)
    assert client.send("GET / HTTP/1.1") == []
    assert client.closed and client.state == "logout"


# ---------------------------------------------------------- authentication
def test_login_with_the_right_password_authenticates(mb):
    client = Client(mb)
    reply = client.cmd('A1 LOGIN "alice" "alice"')
    assert reply.final == b"A1 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR CHILDREN ID NAMESPACE IDLE] Logged in"
    assert client.state == "authenticated" and client.engine.user == "alice"


def test_a_wrong_password_is_no_authenticationfailed_and_changes_nothing(mb):
    client = Client(mb)
    before = client.engine.snapshot()
    reply = client.cmd("A1 LOGIN alice wrong")
    assert reply.final == b"A1 NO [AUTHENTICATIONFAILED] Authentication failed"
    assert client.engine.snapshot() == before


def test_three_failed_logins_close_the_connection(mb):
    client = Client(mb)
    client.send("a LOGIN alice x", "b LOGIN bob y")
    replies = client.send("c LOGIN nobody z")
    assert [r.key for r in replies] == ["no.auth_failed", "bye.too_many_auth"]
    assert client.closed and client.state == "logout"


def test_login_with_a_synchronising_literal_password(mb):
    client = Client(mb)
    first = client.feed(b"A1 LOGIN alice {5}\r\n")
    assert [(r.code, r.key, r.wire()) for r in first] == [("+", "cont.literal", b"+ Ready for literal data\r\n")]
    assert client.feed(b"alice\r\n")[0].key == "ok.login"


def test_login_with_a_non_synchronising_literal_needs_no_continuation(mb):
    client = Client(mb)
    assert [r.key for r in client.feed(b"A1 LOGIN {5+}\r\nalice {5+}\r\nalice\r\n")] == ["ok.login"]


def plain(*fields: str) -> str:
    return base64.b64encode("\x00".join(fields).encode()).decode()


def test_authenticate_plain_with_an_initial_response(mb):
    client = Client(mb)
    reply = client.cmd(f"A1 AUTHENTICATE PLAIN {plain('', 'bob', 'bob')}")
    assert reply.key == "ok.authenticate" and client.engine.user == "bob"


def test_authenticate_plain_after_an_empty_challenge(mb):
    client = Client(mb)
    challenge = client.cmd("A1 AUTHENTICATE PLAIN")
    assert challenge.wire() == b"+ \r\n" and challenge.code == "+" and challenge.ok
    assert client.engine.snapshot().mode == "auth"
    client.engine.receive_data(plain("alice", "alice", "alice").encode() + b"\r\n")
    item = client.engine.next_input()
    assert item.verb == "AUTH_DATA" and item.tag == "A1"
    outcome = client.engine.handle(item)
    assert outcome.replies[0].final.startswith(b"A1 OK [CAPABILITY")
    assert client.state == "authenticated"


def test_authenticate_can_be_cancelled_with_a_star(mb):
    client = Client(mb)
    client.send("A1 AUTHENTICATE PLAIN")
    reply = client.cmd("*")
    assert reply.final == b"A1 BAD AUTHENTICATE cancelled"
    assert client.state == "not_authenticated" and client.engine.snapshot().mode == "command"
    assert client.key("A2 LOGIN alice alice") == "ok.login"


@pytest.mark.parametrize("response,key", [
    ("!!!!", "bad.auth_base64"),
    (plain("", "alice", "wrong"), "no.auth_failed"),
    (plain("bob", "alice", "alice"), "no.authz_failed"),
    (base64.b64encode(b"no-nuls").decode(), "no.auth_failed"),
])
def test_authenticate_refusals(mb, response, key):
    client = Client(mb)
    client.send("A1 AUTHENTICATE PLAIN")
    assert client.key(response) == key
    assert client.state == "not_authenticated"
    assert client.key(f"A2 AUTHENTICATE PLAIN {response}") == key


def test_authenticate_with_another_mechanism_is_no(mb):
    client = Client(mb)
    assert client.cmd("A1 AUTHENTICATE CRAM-MD5").final == b"A1 NO Unsupported authentication mechanism CRAM-MD5"


def test_login_after_login_is_bad(mb):
    client = logged_in(mb)
    before = client.engine.snapshot()
    assert client.key("a LOGIN bob bob") == "bad.already_authenticated"
    assert client.engine.snapshot() == before and client.engine.user == "alice"


# ----------------------------------------------------- states and commands
SAMPLES = {
    "CAPABILITY": "CAPABILITY", "NOOP": "NOOP", "LOGOUT": "LOGOUT", "LOGIN": "LOGIN alice alice",
    "AUTHENTICATE": "AUTHENTICATE PLAIN " + plain("", "alice", "alice"), "SELECT": "SELECT INBOX",
    "EXAMINE": "EXAMINE INBOX", "CREATE": "CREATE Projects", "DELETE": "DELETE Projects",
    "RENAME": "RENAME Projects Old", "SUBSCRIBE": "SUBSCRIBE INBOX", "UNSUBSCRIBE": "UNSUBSCRIBE INBOX",
    "LIST": 'LIST "" *', "LSUB": 'LSUB "" *', "STATUS": "STATUS INBOX (MESSAGES)",
    "APPEND": "APPEND INBOX {4+}\r\nhey!", "CHECK": "CHECK", "CLOSE": "CLOSE", "EXPUNGE": "EXPUNGE",
    "SEARCH": "SEARCH ALL", "FETCH": "FETCH 1 FLAGS", "STORE": "STORE 1 +FLAGS (\\Flagged)",
    "COPY": "COPY 1 INBOX", "UID FETCH": "UID FETCH 1 FLAGS", "UID STORE": "UID STORE 1 +FLAGS (x)",
    "UID SEARCH": "UID SEARCH ALL", "UID COPY": "UID COPY 1 INBOX", "ID": "ID NIL",
    "NAMESPACE": "NAMESPACE", "IDLE": "IDLE", "STARTTLS": "STARTTLS",
}


def test_every_command_has_a_sample():
    assert set(SAMPLES) == set(COMMANDS)


def client_in(mb, state: str) -> Client:
    if state == "not_authenticated":
        return Client(mb)
    if state == "authenticated":
        return logged_in(mb)
    return selected(mb)


@pytest.mark.parametrize("state", ["not_authenticated", "authenticated", "selected"])
@pytest.mark.parametrize("verb", sorted(SAMPLES))
def test_every_command_in_every_state(mb, verb, state):
    client = client_in(mb, state)
    before = client.engine.snapshot()
    replies = client.feed(f"T1 {SAMPLES[verb]}\r\n".encode())
    assert replies, verb
    final = replies[-1]
    assert final.key in REPLIES
    if final.code in ("OK", "NO", "BAD"):
        assert final.final.startswith(b"T1 "), final.final
    allowed = state in COMMANDS[verb].states
    if verb == "STARTTLS":
        assert final.key == "bad.starttls"
    elif not allowed:
        assert final.code == "BAD"
        assert final.key in ("bad.not_authenticated", "bad.not_selected", "bad.already_authenticated")
        assert client.engine.snapshot() == before
    else:
        assert final.key not in ("bad.not_authenticated", "bad.not_selected", "bad.already_authenticated")
        assert final.code in ("OK", "NO", "+"), final.text


def test_unknown_and_unoffered_commands_are_bad(mb):
    client = logged_in(mb)
    assert client.cmd("a ENABLE UTF8=ACCEPT").final == b"a BAD Unknown command ENABLE"
    assert client.key("b COMPRESS DEFLATE") == "bad.unknown"
    assert client.key("c UID EXPUNGE 1") == "bad.unknown"
    assert client.cmd("d STARTTLS").final == b"d BAD STARTTLS is not available on this server"


def test_lines_without_a_readable_tag_get_an_untagged_bad(mb):
    client = Client(mb)
    assert client.cmd("").wire() == b"* BAD Empty command line\r\n"
    assert client.cmd("(x) LOGIN").wire() == b"* BAD Missing or invalid tag\r\n"
    assert client.cmd("+tag NOOP").key == "bad.no_tag"
    assert client.cmd("A1").final == b"A1 BAD Missing command"


def test_nul_bytes_are_refused(mb):
    client = Client(mb)
    [reply] = client.feed(b"A1 LOGIN al\x00ice alice\r\n")
    assert reply.final == b"A1 BAD NUL octet in command"
    [reply] = client.feed(b"A2 LOGIN {5}\r\n")
    [reply] = client.feed(b"al\x00ce alice\r\n")
    assert reply.key == "bad.nul" and client.state == "not_authenticated"


def test_commands_are_case_insensitive(mb):
    client = Client(mb)
    assert [r.key for r in client.send("1 login alice alice", '2 select "inbox"', "3 uid fetch 1:* (flags)")] == \
        ["ok.login", "ok.select", "ok.fetch"]


def test_syntax_errors_are_bad_and_change_nothing(mb):
    client = selected(mb)
    before = client.engine.snapshot()
    for line in ("a FETCH", "b FETCH 1", "c FETCH x FLAGS", "d FETCH 1 (FLAGS", "e STORE 1 FLAGZ (x)",
                 "f SEARCH FOO", "g COPY 1", 'h SELECT "unterminated', "i NOOP extra", "j FETCH 0 FLAGS",
                 "k FETCH 1 BODY.PEEK", "l SEARCH BEFORE 32-Jan-2020"):
        reply = client.cmd(line)
        assert reply.code == "BAD" and reply.final.startswith(line.split()[0].encode() + b" BAD"), line
    assert client.engine.snapshot() == before


def test_too_many_protocol_errors_end_the_session(mb):
    client = Client(mb, limits=ImapLimits(max_errors=3))
    client.send("a FOO", "b FOO", "c FOO")
    reply = client.cmd("d NOOP")
    assert reply.key == "bye.too_many_errors" and reply.closes and client.closed


# --------------------------------------------------------------- literals
def test_a_literal_fed_one_byte_at_a_time(mb):
    client = logged_in(mb)
    message = b"Subject: slow\r\n\r\nOne octet at a time.\r\n"
    data = b'A1 APPEND INBOX (\\Seen) "05-Sep-2026 10:00:00 +0200" {%d}\r\n' % len(message) + message + b"\r\n"
    replies = []
    for i in range(len(data)):
        replies += client.feed(data[i:i + 1])
    assert [r.key for r in replies] == ["cont.literal", "ok.append"]
    appended = mb.listing("alice", "INBOX")[-1]
    assert mb.content("alice", "INBOX", appended.uid) == message
    assert appended.flags == ("\\Seen",)
    assert appended.internal_date == datetime(2026, 9, 5, 8, 0, tzinfo=timezone.utc).timestamp()


def test_the_command_line_keeps_its_literals_for_the_transcript(mb):
    client = Client(mb)
    client.engine.receive_data(b"A1 LOGIN {5}\r\n")
    plus = client.engine.next_input()
    assert (plus.verb, plus.tag, plus.line) == ("+", "A1", "A1 LOGIN {5}")
    client.engine.handle(plus)
    client.engine.receive_data(b"alice alice\r\n")
    cmd = client.engine.next_input()
    assert (cmd.verb, cmd.arg, cmd.line) == ("LOGIN", "alice", "A1 LOGIN {5}\nalice alice")


def test_a_huge_literal_is_refused_before_anything_is_allocated(mb):
    client = logged_in(mb)
    [reply] = client.feed(b"A1 APPEND INBOX {999999999999}\r\n")
    assert reply.final == b"A1 NO [TOOBIG] Message too big (limit 10485760 octets)"
    assert client.engine.buffered == 0
    [reply] = client.feed(b"A2 LOGIN {20000000}\r\n")
    assert reply.final == b"A2 BAD Literal too big (limit 10485760 octets)"
    assert client.engine.buffered == 0
    assert client.key("A3 NOOP") == "ok.noop"  # nothing of the literal is expected


def test_a_refused_non_synchronising_literal_is_skipped_without_being_kept(mb):
    client = logged_in(mb, limits=ImapLimits(max_literal=100))
    [reply] = client.feed(b"A1 APPEND INBOX {1000+}\r\n")
    assert reply.key == "no.toobig"
    for _ in range(10):
        assert client.feed(b"x" * 100) == []
        assert client.engine.buffered == 0
    assert [r.key for r in client.feed(b"\r\nA2 NOOP\r\n")] == ["ok.noop"]


def test_a_literal_for_a_command_the_state_forbids_is_refused_at_once(mb):
    client = Client(mb)
    [reply] = client.feed(b"A1 APPEND INBOX {10}\r\n")
    assert reply.key == "bad.not_authenticated"
    assert client.key("A2 NOOP") == "ok.noop"
    [reply] = client.feed(b"A3 FROB {10}\r\n")
    assert reply.key == "bad.unknown"


def test_a_refused_continuation_cancels_the_literal(mb):
    """A fault replacing "+ Ready" with NO restores the snapshot: the literal is no longer expected."""
    client = Client(mb)
    engine = client.engine
    engine.receive_data(b"A1 LOGIN alice {5}\r\n")
    plus = engine.next_input()
    snap = engine.snapshot()
    assert engine.handle(plus).replies[0].key == "cont.literal"
    engine.restore(snap)
    assert engine.fault_reply("NO", None, "+").final == b"A1 NO Command failed"
    assert client.key("A2 NOOP") == "ok.noop"


def test_overlong_lines_are_discarded_and_answered(mb):
    client = Client(mb, limits=ImapLimits(command_line=200))
    for _i in range(10):
        assert client.feed(b"A1 LOGIN " + b"x" * 100) == []
        assert client.engine.buffered < 1200
    [reply] = client.feed(b"\r\n")
    assert reply.final == b"A1 BAD Command line too long (limit 200 octets)"
    [reply] = client.feed(b"y" * 500 + b"\r\n")
    assert reply.wire() == b"* BAD Command line too long (limit 200 octets)\r\n"
    assert client.key("A2 LOGIN alice alice") == "ok.login"


def test_the_transcript_line_is_cut_at_16_kib(mb):
    client = logged_in(mb)
    client.engine.receive_data(b"A1 APPEND INBOX {40000+}\r\n" + b"z" * 40000 + b"\r\n")
    cmd = client.engine.next_input()
    assert cmd.verb == "APPEND" and len(cmd.args[3]) == 40000
    assert len(cmd.line) < 17 * 1024 and cmd.line.endswith("more octets)")


# ----------------------------------------------------------- folders
def test_select_reports_the_folder(mb):
    client = logged_in(mb)
    reply = client.cmd("A1 SELECT INBOX")
    folder = mb.folder("alice", "INBOX")
    assert reply.lines == (
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
        b"* 3 EXISTS", b"* 2 RECENT", b"* OK [UNSEEN 2] First unseen",
        b"* OK [UIDVALIDITY %d] UIDs valid" % folder.uidvalidity, b"* OK [UIDNEXT 4] Predicted next UID")
    assert reply.final == b"A1 OK [READ-WRITE] SELECT completed"
    assert client.state == client.engine.phase == "selected"


def test_recent_is_reported_once_per_session(mb):
    client = logged_in(mb)
    assert b"* 2 RECENT" in client.cmd("a SELECT INBOX").lines
    assert b"* 0 RECENT" in client.cmd("b SELECT INBOX").lines
    assert b"* 2 RECENT" in Client(mb).send("x LOGIN alice alice", "y SELECT INBOX")[1].lines


def test_examine_is_read_only(mb):
    client = logged_in(mb)
    reply = client.cmd("A1 EXAMINE INBOX")
    assert reply.final == b"A1 OK [READ-ONLY] EXAMINE completed"
    assert b"* OK [PERMANENTFLAGS ()] Flags permitted" in reply.lines
    fetch = client.cmd("A2 FETCH 2 BODY[TEXT]")
    assert fetch.key == "ok.fetch" and b"FLAGS" not in fetch.lines[0]
    assert client.cmd("A3 STORE 1 +FLAGS (\\Deleted)").final == b"A3 NO Mailbox is read-only (opened with EXAMINE)"
    assert client.key("A4 EXPUNGE") == "no.read_only"
    assert client.effects == []


def test_select_of_a_missing_folder_is_no_and_leaves_nothing_selected(mb):
    client = selected(mb)
    reply = client.cmd("A1 SELECT Nowhere")
    assert reply.final == b"A1 NO [NONEXISTENT] Mailbox does not exist: Nowhere"
    assert client.state == "authenticated"
    assert client.key("A2 FETCH 1 FLAGS") == "bad.not_selected"


def test_create_delete_and_rename(mb):
    client = logged_in(mb)
    assert client.key("a CREATE Projects/2026") == "ok.create"
    assert {f.name for f in mb.folders("alice")} == {"INBOX", "Projects", "Projects/2026"}
    assert client.cmd("b CREATE Projects").final == b"b NO [ALREADYEXISTS] Mailbox already exists: Projects"
    assert client.key("c CREATE inbox") == "no.alreadyexists"
    assert client.cmd("d DELETE Projects").final.startswith(b"d NO [CANNOT] Mailbox has folders below it")
    assert client.cmd("e DELETE INBOX").final == b"e NO [CANNOT] INBOX cannot be deleted"
    assert client.cmd("f DELETE Nowhere").final == b"f NO [NONEXISTENT] Mailbox does not exist: Nowhere"
    assert client.key("g RENAME Projects Archive") == "ok.rename"
    assert {f.name for f in mb.folders("alice")} == {"INBOX", "Archive", "Archive/2026"}
    assert client.key("h RENAME Nowhere Else") == "no.nonexistent"
    assert client.key("i RENAME Archive Archive/x") == "no.bad_name"
    assert client.key("j RENAME Archive INBOX") == "no.alreadyexists"
    assert [client.key(line) for line in ("k DELETE Archive/2026", "l DELETE Archive")] == ["ok.delete"] * 2
    assert [f.name for f in mb.folders("alice")] == ["INBOX"]
    assert [e.op for e in client.effects] == ["create", "rename", "delete_folder", "delete_folder"]


def test_create_with_a_trailing_delimiter_and_bad_names(mb):
    client = logged_in(mb)
    assert client.key("a CREATE Lists/") == "ok.create"
    assert "Lists" in {f.name for f in mb.folders("alice")}
    assert client.cmd('b CREATE "a//b"').final == b"b NO [CANNOT] Invalid mailbox name: a//b"
    assert client.key('c CREATE "x*"') == "no.bad_name"
    assert client.feed(b"d CREATE {3+}\r\na\rb\r\n")[0].key == "no.bad_name"


def test_rename_inbox_moves_its_messages(mb):
    client = logged_in(mb)
    assert client.key("a RENAME INBOX Old") == "ok.rename"
    assert len(mb.listing("alice", "Old")) == 3 and mb.listing("alice", "INBOX") == []


def test_renaming_the_selected_folder_keeps_it_selected(mb):
    mb.apply([Effect("create", ("alice", "Work")), Effect("append", ("alice", "Work", SHORT, (), day(4)))])
    client = selected(mb, "Work")
    assert client.key("a RENAME Work Job") == "ok.rename"
    reply = client.cmd("b FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert reply.key == "ok.fetch" and b"Subject: ping" in reply.lines[0]
    assert client.engine.snapshot().mailbox == "Job"


def test_deleting_the_selected_folder_closes_it(mb):
    mb.apply([Effect("create", ("alice", "Work"))])
    client = selected(mb, "Work")
    assert client.key("a DELETE Work") == "ok.delete"
    assert client.state == "authenticated"


def test_list_patterns_and_attributes(mb):
    mb.apply([Effect("create", ("alice", "Archive/2025")), Effect("create", ("alice", "Archive/2026/Q1")),
              Effect("create", ("alice", "Sent"))])
    client = logged_in(mb)

    def names(line):
        return [re.sub(rb'^\* LIST ', b"", ln).decode() for ln in client.cmd(line).lines]

    assert names('a LIST "" *') == ['(\\HasNoChildren) "/" INBOX', '(\\HasChildren) "/" Archive',
                                    '(\\HasNoChildren) "/" Archive/2025', '(\\HasChildren) "/" Archive/2026',
                                    '(\\HasNoChildren) "/" Archive/2026/Q1', '(\\HasNoChildren) "/" Sent']
    assert names('b LIST "" %') == ['(\\HasNoChildren) "/" INBOX', '(\\HasChildren) "/" Archive',
                                    '(\\HasNoChildren) "/" Sent']
    assert names('c LIST Archive/ %') == ['(\\HasNoChildren) "/" Archive/2025', '(\\HasChildren) "/" Archive/2026']
    assert names('d LIST Archive %') == names('c LIST Archive/ %')
    assert names('e LIST "" inbox') == ['(\\HasNoChildren) "/" INBOX']
    assert names('f LIST "" "*/Q?"') == []
    assert names('g LIST "" "*/Q*"') == ['(\\HasNoChildren) "/" Archive/2026/Q1']
    assert client.cmd('h LIST "" ""').lines == (b'* LIST (\\Noselect) "/" ""',)


def test_non_ascii_folder_names_travel_in_modified_utf7(mb):
    client = logged_in(mb)
    assert client.key("a CREATE &BBIERQQ+BDQETwRJBDgENQ-") == "ok.create"
    assert "Входящие" in {f.name for f in mb.folders("alice")}
    assert b'"/" &BBIERQQ+BDQETwRJBDgENQ-' in client.cmd('b LIST "" *').lines[-1]
    assert client.key("c CREATE &Jjo-!") == "ok.create"
    assert client.key("d CREATE &-") == "ok.create" and "&" in {f.name for f in mb.folders("alice")}
    assert client.key("e SELECT &ZZZ") == "bad.syntax"


def test_extended_list_is_refused_cleanly(mb):
    client = logged_in(mb)
    assert client.cmd('a LIST (SUBSCRIBED) "" "*"').final == \
        b"a BAD Extended LIST (RFC 5258) is not supported; use LIST or LSUB"
    assert client.key('b LIST "" "*" RETURN (SPECIAL-USE)') == "bad.extended_list"


def test_subscriptions_and_lsub(mb):
    mb.apply([Effect("create", ("alice", "Lists/imap")), Effect("create", ("alice", "Spam"))])
    client = logged_in(mb)
    assert [client.key(ln) for ln in ("a UNSUBSCRIBE Spam", "b UNSUBSCRIBE Lists")] == ["ok.unsubscribe"] * 2
    assert client.cmd('c LSUB "" *').lines == (b'* LSUB () "/" INBOX', b'* LSUB () "/" Lists/imap')
    assert client.cmd('d LSUB "" %').lines == (b'* LSUB () "/" INBOX', b'* LSUB (\\Noselect) "/" Lists')
    assert client.key("e SUBSCRIBE Spam") == "ok.subscribe"
    assert b'* LSUB () "/" Spam' in client.cmd('f LSUB "" *').lines
    assert client.key("g SUBSCRIBE Nowhere") == "no.nonexistent"


def test_status_reports_the_counters_without_selecting(mb):
    client = logged_in(mb)
    folder = mb.folder("alice", "INBOX")
    reply = client.cmd("a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    assert reply.lines == (b"* STATUS INBOX (MESSAGES 3 RECENT 2 UIDNEXT 4 UIDVALIDITY %d UNSEEN 2)"
                           % folder.uidvalidity,)
    assert client.state == "authenticated"
    assert client.key("b STATUS Nowhere (MESSAGES)") == "no.nonexistent"
    assert client.key("c STATUS INBOX (SIZE)") == "bad.syntax"


def test_append_to_a_missing_folder_suggests_create(mb):
    client = logged_in(mb)
    [reply] = client.feed(b"a APPEND Drafts {5+}\r\nhello\r\n")
    assert reply.final == b"a NO [TRYCREATE] Mailbox does not exist: Drafts"
    assert client.key("b APPEND INBOX {0+}\r\n") == "no.empty_message"
    assert client.effects == []


def test_append_to_the_selected_folder_reports_exists(mb):
    client = selected(mb)
    [reply] = client.feed(b"a APPEND INBOX (\\Draft $Todo) {5+}\r\nhello\r\n")
    assert reply.lines[-2:] == (b"* 4 EXISTS", b"* 3 RECENT")
    assert b"$Todo" in reply.lines[0]
    fetch = client.cmd("b FETCH 4 (UID FLAGS RFC822.SIZE INTERNALDATE)")
    assert fetch.lines == (b'* 4 FETCH (UID 4 FLAGS (\\Draft $Todo \\Recent) RFC822.SIZE 5 '
                           b'INTERNALDATE "10-Sep-2026 12:00:00 +0000")',)
    assert client.key("c NOOP") == "ok.noop" and client.cmd("d NOOP").lines == ()


def test_id_and_namespace(mb):
    client = logged_in(mb)
    assert client.cmd('a ID ("name" "Thunderbird" "version" "128.0")').lines[0].startswith(
        b'* ID ("name" "MailSim" "version" ')
    assert client.cmd("b NAMESPACE").lines == (b'* NAMESPACE (("" "/")) NIL NIL',)


# ------------------------------------------------------------ sequence sets
def fetched(reply: ImapReply) -> list[int]:
    return [int(line.split()[1]) for line in reply.lines if b" FETCH " in line]


def more(mb, count: int) -> None:
    mb.apply([Effect("append", ("alice", "INBOX", SHORT, (), day(5))) for _ in range(count)])


@pytest.mark.parametrize("seqset,expected", [
    ("1", [1]), ("*", [5]), ("2:4", [2, 3, 4]), ("4:2", [2, 3, 4]), ("3:*", [3, 4, 5]), ("*:4", [4, 5]),
    ("1,3,5", [1, 3, 5]), ("1:2,2:3", [1, 2, 3]), ("5:*", [5]),
])
def test_sequence_sets(mb, seqset, expected):
    more(mb, 2)
    client = selected(mb)
    assert fetched(client.cmd(f"a FETCH {seqset} FLAGS")) == expected


def test_a_sequence_number_beyond_the_mailbox_is_bad(mb):
    client = selected(mb)
    assert client.cmd("a FETCH 4 FLAGS").final == b"a BAD Invalid message number 4: the mailbox has 3 messages"
    assert client.key("b STORE 1:9 +FLAGS (x)") == "bad.seqset"
    assert client.key("c COPY 7 INBOX") == "bad.seqset"


def test_uid_sets_name_uids_and_star_is_the_highest_uid(mb):
    mb.apply([Effect("delete", ("alice", "INBOX", (2,)))])
    more(mb, 2)  # UIDs 1, 3, 4, 5
    client = selected(mb)

    def uids(line):
        return [int(re.search(rb"UID (\d+)", ln).group(1)) for ln in client.cmd(line).lines if b"FETCH" in ln]

    assert uids("a UID FETCH 1:* FLAGS") == [1, 3, 4, 5]
    assert uids("b UID FETCH 2:4 FLAGS") == [3, 4]
    assert uids("c UID FETCH 2 FLAGS") == []
    assert uids("d UID FETCH 9:* FLAGS") == [5]  # n:* beyond the highest UID still names the last message
    assert uids("e UID FETCH 99 FLAGS") == []
    assert fetched(client.cmd("f UID FETCH 3,5 FLAGS")) == [2, 4]


def test_an_empty_folder(mb):
    mb.apply([Effect("create", ("alice", "Empty"))])
    client = selected(mb, "Empty")
    assert client.cmd("a FETCH 1:* FLAGS").lines == ()
    assert client.cmd("b UID FETCH 1:* FLAGS").lines == ()
    assert client.cmd("c SEARCH ALL").lines == (b"* SEARCH",)
    assert client.key("d FETCH 1 FLAGS") == "bad.seqset"


# ------------------------------------------------------------------ FETCH
def test_fetch_simple_items(mb):
    client = selected(mb)
    reply = client.cmd("a FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE)")
    assert reply.lines == (b'* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE "01-Sep-2026 12:00:00 +0000" '
                           b'RFC822.SIZE %d)' % len(LUNCH),)
    assert reply.final == b"a OK FETCH completed"


def test_fetch_envelope_and_structure(mb):
    client = selected(mb)
    envelope = client.cmd("a FETCH 1 ENVELOPE").lines[0]
    assert envelope.startswith(b'* 1 FETCH (ENVELOPE ("Tue, 01 Sep 2026 10:00:00 +0200" "Lunch on Friday" '
                               b'(("Bob Smith" NIL "bob" "example.org"))')
    body = client.cmd("b FETCH 2 BODY").lines[0]
    assert body.startswith(b'* 2 FETCH (BODY (("TEXT" "PLAIN" ("charset" "utf-8") NIL NIL "8BIT" ')
    assert b'"MIXED")' in body
    structure = client.cmd("c FETCH 2 BODYSTRUCTURE").lines[0]
    assert b'"MIXED" ("boundary" "XX") NIL NIL NIL))' in structure


@pytest.mark.parametrize("macro,items", [
    ("FAST", [b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE"]),
    ("ALL", [b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE"]),
    ("FULL", [b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE", b"BODY"]),
])
def test_fetch_macros(mb, macro, items):
    line = selected(mb).cmd(f"a FETCH 3 {macro}").lines[0]
    names = re.findall(rb"(?:^\* 3 FETCH \(| \)?)([A-Z][A-Z0-9.]+) [(\"0-9]", line)
    assert [n for n in names if n in (b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE", b"BODY")] == items


def test_fetch_of_header_fields_is_headers_before_download(mb):
    reply = selected(mb).cmd("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject From)])")
    fields = b"From: Bob Smith <bob@example.org>\r\nSubject: Lunch on Friday\r\n\r\n"
    assert reply.lines == (b"* 1 FETCH (BODY[HEADER.FIELDS (Subject From)] {%d}\r\n" % len(fields) + fields + b")",)


def test_fetch_of_parts_and_partial_download(mb):
    client = selected(mb)
    header_end = LUNCH.index(b"\r\n\r\n") + 4
    assert client.cmd("a FETCH 1 BODY.PEEK[TEXT]<0.9>").lines == (b"* 1 FETCH (BODY[TEXT]<0> {9}\r\nShall we )",)
    assert client.cmd("b FETCH 1 BODY.PEEK[]<6.3>").lines == (b"* 1 FETCH (BODY[]<6> {3}\r\nBob)",)
    assert client.cmd("c FETCH 1 BODY.PEEK[]<9999.10>").lines == (b"* 1 FETCH (BODY[]<9999> {0}\r\n)",)
    assert client.cmd("d FETCH 2 BODY.PEEK[2]").lines == (b"* 2 FETCH (BODY[2] {8}\r\nAAECAwQF)",)
    assert client.cmd("e FETCH 2 BODY.PEEK[1.MIME]").lines[0].startswith(b"* 2 FETCH (BODY[1.MIME] {")
    assert client.cmd("f FETCH 2 BODY.PEEK[9]").lines == (b"* 2 FETCH (BODY[9] NIL)",)
    assert client.cmd("g FETCH 1 RFC822.HEADER").lines == (
        b"* 1 FETCH (RFC822.HEADER {%d}\r\n" % header_end + LUNCH[:header_end] + b")",)
    assert client.key("h FETCH 1 BODY[1.2.3.x]") == "bad.section"
    assert client.effects == []


def test_reading_a_body_sets_seen_unless_peeked(mb):
    client = selected(mb)
    assert b"FLAGS" not in client.cmd("a FETCH 2 BODY.PEEK[]").lines[0]
    assert client.effects == []
    reply = client.cmd("b FETCH 2 BODY[TEXT]")
    assert reply.lines[0].endswith(b" FLAGS (\\Seen \\Recent))")
    assert client.effects == [Effect("set_flags", ("alice", "INBOX", 2, ("\\Seen",)))]
    assert mb.listing("alice", "INBOX")[1].flags == ("\\Seen",)
    assert b"FLAGS" not in client.cmd("c FETCH 2 BODY[TEXT]").lines[0]  # already seen: nothing changes
    reply = client.cmd("d FETCH 3 (FLAGS RFC822)")
    assert reply.lines[0].startswith(b"* 3 FETCH (FLAGS (\\Flagged \\Seen \\Recent) RFC822 {%d}\r\n" % len(SHORT))
    assert client.cmd("e FETCH 1 RFC822.TEXT").lines[0].startswith(b"* 1 FETCH (RFC822.TEXT {")


def test_uid_fetch_always_includes_the_uid(mb):
    assert selected(mb).cmd("a UID FETCH 2 RFC822.SIZE").lines == (b"* 2 FETCH (UID 2 RFC822.SIZE %d)" % len(REPORT),)


# ------------------------------------------------------------------ STORE
def test_store_variants(mb):
    client = selected(mb)
    assert client.cmd("a STORE 1 +FLAGS (\\Flagged)").lines == (b"* 1 FETCH (FLAGS (\\Seen \\Flagged))",)
    assert client.cmd("b STORE 1 -FLAGS (\\seen)").lines == (b"* 1 FETCH (FLAGS (\\Flagged))",)
    assert client.cmd("c STORE 1 FLAGS (\\Answered \\Draft)").lines == (b"* 1 FETCH (FLAGS (\\Answered \\Draft))",)
    assert client.cmd("d STORE 1:2 +FLAGS.SILENT \\Deleted").lines == ()
    assert client.cmd("e UID STORE 3 +FLAGS (\\Seen)").lines == (b"* 3 FETCH (UID 3 FLAGS (\\Flagged \\Seen \\Recent))",)
    assert [m.flags for m in mb.listing("alice", "INBOX")] == [
        ("\\Answered", "\\Draft", "\\Deleted"), ("\\Deleted",), ("\\Flagged", "\\Seen")]
    assert client.cmd("f STORE 3 +FLAGS (\\Seen)").lines == (b"* 3 FETCH (FLAGS (\\Flagged \\Seen \\Recent))",)
    assert len(client.effects) == 6  # the last STORE changed nothing


def test_store_of_a_new_keyword_announces_it(mb):
    client = selected(mb)
    reply = client.cmd("a STORE 2 +FLAGS ($Forwarded)")
    assert reply.lines == (b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)",
                           b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
                           b"* 2 FETCH (FLAGS ($Forwarded \\Recent))")
    assert client.cmd("b STORE 3 +FLAGS ($forwarded)").lines == (b"* 3 FETCH (FLAGS (\\Flagged $forwarded \\Recent))",)
    assert b"$Forwarded" in client.cmd("c SELECT INBOX").lines[0]


def test_store_refuses_invalid_flags(mb):
    client = selected(mb)
    assert client.cmd("a STORE 1 +FLAGS (\\Recent)").final == b"a BAD Invalid flag \\Recent"
    assert client.key("b STORE 1 +FLAGS (\\Important)") == "bad.flag"
    assert client.key("c STORE 1 +FLAGS (\\*)") == "bad.flag"
    assert client.effects == []


# ------------------------------------------------------------- COPY, EXPUNGE
def test_copy_and_uid_copy(mb):
    mb.apply([Effect("create", ("alice", "Archive"))])
    client = selected(mb)
    assert client.key("a COPY 1:2 Archive") == "ok.copy"
    assert client.key("b UID COPY 3 Archive") == "ok.copy"
    assert [m.flags for m in mb.listing("alice", "Archive")] == [("\\Seen",), (), ("\\Flagged",)]
    assert client.cmd("c COPY 1 Nowhere").final == b"c NO [TRYCREATE] Mailbox does not exist: Nowhere"
    assert [e.op for e in client.effects] == ["copy", "copy"]


def test_copy_into_the_selected_folder_reports_the_copies(mb):
    client = selected(mb)
    reply = client.cmd("a COPY 1 INBOX")
    assert reply.lines == (b"* 4 EXISTS", b"* 3 RECENT")
    assert client.cmd("b FETCH 4 (UID FLAGS)").lines == (b"* 4 FETCH (UID 4 FLAGS (\\Seen \\Recent))",)
    assert client.cmd("c NOOP").lines == ()


def test_expunge_reports_each_removal_with_the_numbers_shifting(mb):
    more(mb, 2)
    client = selected(mb)
    client.send("a STORE 2,3,5 +FLAGS.SILENT (\\Deleted)")
    reply = client.cmd("b EXPUNGE")
    assert reply.lines == (b"* 2 EXPUNGE", b"* 2 EXPUNGE", b"* 3 EXPUNGE")
    assert [m.uid for m in mb.listing("alice", "INBOX")] == [1, 4]
    assert fetched(client.cmd("c FETCH 1:* FLAGS")) == [1, 2]


def test_close_expunges_silently_unless_examined(mb):
    client = selected(mb)
    client.send("a STORE 1 +FLAGS (\\Deleted)")
    reply = client.cmd("b CLOSE")
    assert (reply.lines, reply.final, client.state) == ((), b"b OK CLOSE completed", "authenticated")
    assert [m.uid for m in mb.listing("alice", "INBOX")] == [2, 3]
    mb.apply([Effect("set_flags", ("alice", "INBOX", 2, ("\\Deleted",)))])
    client.send("c EXAMINE INBOX")
    client.send("d CLOSE")
    assert [m.uid for m in mb.listing("alice", "INBOX")] == [2, 3]


def test_check_is_ok(mb):
    assert selected(mb).cmd("a CHECK").final == b"a OK CHECK completed"


# ------------------------------------------------------------------ SEARCH
@pytest.mark.parametrize("keys,expected", [
    ("ALL", [1, 2, 3]), ("SEEN", [1]), ("UNSEEN", [2, 3]), ("FLAGGED", [3]), ("UNFLAGGED", [1, 2]),
    ("ANSWERED", []), ("UNANSWERED", [1, 2, 3]), ("DELETED", []), ("UNDELETED", [1, 2, 3]),
    ("DRAFT", []), ("UNDRAFT", [1, 2, 3]), ("RECENT", [2, 3]), ("NEW", [2, 3]), ("OLD", [1]),
    ("FROM bob", [1]), ("FROM \"Carol White\"", [2]), ("TO alice", [1, 2]), ("CC bob", [2]), ("BCC bob", []),
    ("SUBJECT lunch", [1]), ("SUBJECT Отчёт", [2]), ("BODY friday", [1]), ("BODY сентябрь", [2]),
    ("TEXT dave", [3]), ("TEXT Friday", [1]), ("HEADER Message-ID lunch@", [1]), ("HEADER Cc \"\"", [2]),
    ("LARGER 200", [1, 2]), ("SMALLER 100", [3]), ("BEFORE 2-Sep-2026", [1]), ("ON 2-Sep-2026", [2]),
    ("SINCE 2-Sep-2026", [2, 3]), ("SENTBEFORE 2-Sep-2026", [1]), ("SENTON 1-Sep-2026", [1]),
    ("SENTSINCE 1-Sep-2026", [1, 2]), ("NOT SEEN", [2, 3]), ("OR SEEN FLAGGED", [1, 3]),
    ("OR FROM bob (SUBJECT ping UNSEEN)", [1, 3]), ("(SEEN) (FROM bob)", [1]), ("NOT (OR SEEN FLAGGED)", [2]),
    ("1:2", [1, 2]), ("2:* UNSEEN", [2, 3]), ("UID 2:3", [2, 3]), ("UID *", [3]),
    ("KEYWORD $Todo", []), ("UNKEYWORD $Todo", [1, 2, 3]), ("CHARSET UTF-8 BODY Числа", [2]),
    ("CHARSET US-ASCII SUBJECT ping", [3]), ("OR OR SEEN FLAGGED DELETED", [1, 3]),
])
def test_search_keys(mb, keys, expected):
    reply = selected(mb).cmd(f"a SEARCH {keys}")
    assert reply.lines == (b"* SEARCH" + b"".join(b" %d" % n for n in expected),)
    assert reply.final == b"a OK SEARCH completed"


def test_search_with_a_literal_needle_and_an_unknown_charset(mb):
    client = selected(mb)
    needle = "отчёт".encode("utf-8")
    [plus] = client.feed(b"a SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n" % len(needle))
    assert plus.key == "cont.literal"
    assert client.feed(needle + b"\r\n")[0].lines == (b"* SEARCH 2",)
    assert client.cmd("b SEARCH CHARSET KOI8-R ALL").final == \
        b"b NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset KOI8-R"


def test_uid_search_answers_with_uids(mb):
    mb.apply([Effect("delete", ("alice", "INBOX", (1,)))])
    client = selected(mb)
    assert client.cmd("a UID SEARCH UNSEEN").lines == (b"* SEARCH 2 3",)
    assert client.cmd("b SEARCH UNSEEN").lines == (b"* SEARCH 1 2",)
    assert client.cmd("c UID SEARCH UID 3").final == b"c OK UID SEARCH completed"


def test_deeply_nested_search_keys_are_a_syntax_error(mb):
    client = selected(mb)
    assert client.key("a SEARCH " + "NOT " * 200 + "ALL") == "bad.syntax"
    assert client.key("b SEARCH " + "(" * 200 + "ALL" + ")" * 200) == "bad.syntax"


# ------------------------------------------------------- other sessions
def test_idle_reports_a_delivery_made_elsewhere(mb):
    client = selected(mb)
    idle = client.cmd("a IDLE")
    assert idle.wire() == b"+ idling\r\n" and idle.key == "cont.idle"
    assert client.engine.poll() is None
    mb.deliver(Delivery("bob@example.org", ("alice@example.org",), SHORT), internal_date=day(9))
    outcome = client.engine.poll()
    [update] = outcome.replies
    assert update.wire() == b"* 4 EXISTS\r\n* 3 RECENT\r\n"
    assert (update.key, update.tag, update.ok, update.closes) == ("ok.update", None, True, False)
    assert client.engine.poll() is None
    mb.apply([Effect("set_flags", ("alice", "INBOX", 1, ())), Effect("delete", ("alice", "INBOX", (2,)))])
    assert client.engine.poll().replies[0].lines == (b"* 2 EXPUNGE", b"* 1 FETCH (UID 1 FLAGS ())")
    done = client.cmd("DONE")
    assert done.wire() == b"a OK IDLE terminated\r\n"
    assert client.engine.poll() is None and client.key("b NOOP") == "ok.noop"


def test_idle_ends_with_bad_if_the_client_sends_something_else(mb):
    client = selected(mb)
    client.send("a IDLE")
    assert client.cmd("b NOOP").final == b"a BAD Expected DONE"
    assert client.engine.snapshot().mode == "command"


def test_idle_in_the_authenticated_state_has_nothing_to_report(mb):
    client = logged_in(mb)
    assert client.key("a IDLE") == "cont.idle"
    assert client.engine.poll() is None
    assert client.key("done") == "ok.idle"


def test_two_sessions_see_each_others_changes(mb):
    one, two = selected(mb), selected(mb)
    one.send("a STORE 1 +FLAGS (\\Flagged)")
    assert two.cmd("b NOOP").lines == (b"* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged))",)
    assert two.cmd("c NOOP").lines == ()
    one.send("d STORE 2 +FLAGS.SILENT (\\Deleted)", "e EXPUNGE")
    # No EXPUNGE during FETCH, STORE or SEARCH: the message keeps its number (and last known flags) until then.
    reply = two.cmd("f FETCH 1:* FLAGS")
    assert fetched(reply) == [1, 2, 3] and not any(b"EXPUNGE" in ln for ln in reply.lines)
    assert two.cmd("g FETCH 2 BODY.PEEK[]").final == b"g NO [EXPUNGEISSUED] Some of the requested messages no longer exist"
    assert two.cmd("h SEARCH ALL").lines == (b"* SEARCH 1 3",)
    assert two.cmd("i NOOP").lines == (b"* 2 EXPUNGE",)
    assert fetched(two.cmd("j FETCH 1:* FLAGS")) == [1, 2]
    one.send("k STORE 2 +FLAGS ($Done)")
    assert two.cmd("l UID FETCH 1:* FLAGS").lines[:2] == (
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Done)",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted")


def test_a_selected_folder_deleted_elsewhere_ends_the_session(mb):
    mb.apply([Effect("create", ("alice", "Work"))])
    client = selected(mb, "Work")
    mb.apply([Effect("delete_folder", ("alice", "Work"))])
    reply = client.cmd("a NOOP")
    assert reply.key == "bye.mailbox_gone" and reply.closes and client.closed


def test_the_store_refusing_an_effect_gives_a_proper_no(mb):
    mb.apply([Effect("create", ("alice", "Archive"))])
    client = selected(mb)
    engine = client.engine
    engine.receive_data(b"a COPY 1 Archive\r\n")
    item = engine.next_input()
    snap = engine.snapshot()
    outcome = engine.handle(item)
    mb.apply([Effect("delete_folder", ("alice", "Archive"))])  # another session was quicker
    with pytest.raises(MailStoreError) as error:
        mb.apply(outcome.effects)
    engine.restore(snap)
    reply = engine.effect_failed(item, error.value).replies[0]
    assert reply.final == b"a NO [TRYCREATE] Mailbox does not exist: Archive"
    engine.receive_data(b"b CREATE Archive\r\n")
    item = engine.next_input()
    outcome = engine.handle(item)
    mb.apply([Effect("create", ("alice", "Archive"))])
    with pytest.raises(MailStoreError) as error:
        mb.apply(outcome.effects)
    assert engine.effect_failed(item, error.value).replies[0].final == \
        b"b NO [ALREADYEXISTS] Mailbox already exists: Archive"


# ------------------------------------------------------ faults, timeouts
def test_fault_replies_are_tagged_with_the_current_command(mb):
    client = logged_in(mb)
    client.send("x17 NOOP")
    engine = client.engine
    assert engine.fault_reply("NO", None, "NOOP").wire() == b"x17 NO Command failed\r\n"
    assert engine.fault_reply("BAD", "Go away", "NOOP").wire() == b"x17 BAD Go away\r\n"
    bye = engine.fault_reply("BYE", None, "NOOP")
    assert bye.wire() == b"* BYE mx.example.org IMAP service not available, closing connection\r\n" and bye.closes
    assert engine.fault_reply("OK", None, "greeting").wire() == b"* OK Completed\r\n"


def test_a_greeting_replaced_by_bye_or_preauth(mb):
    engine = ImapEngine(WORLD, mb, now=lambda: NOW)
    engine.refuse(engine.fault_reply("BYE", None, "greeting"))
    assert engine.state == "logout"
    engine = ImapEngine(WORLD, mb, now=lambda: NOW)
    preauth = engine.fault_reply("PREAUTH", None, "greeting")
    assert preauth.wire().startswith(b"* PREAUTH [CAPABILITY ") and preauth.ok
    engine.refuse(preauth)
    assert (engine.state, engine.user) == ("authenticated", "alice")


def test_timeout_says_autologout(mb):
    reply = Client(mb).engine.timeout_reply()
    assert reply.wire() == b"* BYE Autologout; idle for too long\r\n" and reply.closes


def test_a_refused_authenticate_response_ends_the_exchange(mb):
    client = Client(mb)
    engine = client.engine
    client.send("a AUTHENTICATE PLAIN")
    engine.receive_data(plain("", "alice", "alice").encode() + b"\r\n")
    item = engine.next_input()
    snap = engine.snapshot()
    engine.handle(item)
    engine.restore(snap)  # a fault answered NO instead
    assert engine.state == "not_authenticated" and engine.snapshot().mode == "command"
    assert client.key("b LOGIN alice alice") == "ok.login"


def test_phases_follow_the_states(mb):
    client = Client(mb)
    assert client.engine.phase_of(Command("LOGIN", "", "")) == "not_authenticated"
    client.send("a LOGIN alice alice")
    assert client.engine.phase_of(Command("SELECT", "", "")) == "authenticated"
    client.send("b SELECT INBOX")
    assert client.engine.phase_of(Command("FETCH", "", "")) == "selected"
    assert client.engine.phase_of(Command("LOGOUT", "", "")) == "logout"


def test_fault_rules_match_on_the_mailbox_name(mb):
    client = logged_in(mb)
    client.engine.receive_data(b'a SELECT "Sent Items"\r\nb COPY 1:2 Trash\r\nc LOGIN bob secret\r\n')
    items = [client.engine.next_input() for _ in range(3)]
    assert [(i.verb, i.arg) for i in items] == [("SELECT", "Sent Items"), ("COPY", "1:2 Trash"), ("LOGIN", "bob")]


# ------------------------------------------------------------ whole sessions
def test_rfc_3501_section_8_example_adapted(mb):
    """RFC 3501 §8, with this world's user, messages and folders."""
    client = Client(mb)
    assert client.greeting.wire().startswith(b"* OK [CAPABILITY IMAP4rev1")
    assert client.cmd("a001 login alice alice").final.startswith(b"a001 OK")
    select = client.cmd("a002 select inbox")
    assert b"* 3 EXISTS" in select.lines and select.final == b"a002 OK [READ-WRITE] SELECT completed"
    fetch = client.cmd("a003 fetch 3 full")
    assert fetch.lines[0].startswith(b'* 3 FETCH (FLAGS (\\Flagged \\Recent) INTERNALDATE "03-Sep-2026 12:00:00 +0000" '
                                     b'RFC822.SIZE %d ENVELOPE (NIL "ping"' % len(SHORT))
    assert b' BODY ("TEXT" "PLAIN"' in fetch.lines[0]
    header = client.cmd("a004 fetch 3 body[header]")
    head = SHORT[:SHORT.index(b"\r\n\r\n") + 4]
    assert header.lines == (b"* 3 FETCH (BODY[HEADER] {%d}\r\n" % len(head) + head
                            + b" FLAGS (\\Flagged \\Seen \\Recent))",)
    store = client.cmd("a005 store 3 +flags \\deleted")
    assert store.lines == (b"* 3 FETCH (FLAGS (\\Flagged \\Seen \\Deleted \\Recent))",)
    assert store.final == b"a005 OK STORE completed"
    logout = client.cmd("a006 logout")
    assert logout.wire() == b"* BYE mx.example.org MailSim logging out\r\na006 OK LOGOUT completed\r\n"
    assert client.closed


THUNDERBIRD_FIELDS = ("From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups "
                      "In-Reply-To Content-Type Reply-To")


def test_thunderbirds_opening(mb):
    client = Client(mb)
    replies = client.send(
        "1 capability",
        '2 ID ("name" "Thunderbird" "version" "128.3.0")',
        "3 authenticate PLAIN",
    )
    assert [r.key for r in replies] == ["ok.capability", "ok.id", "cont.auth"]
    assert client.key(plain("", "alice", "alice")) == "ok.authenticate"
    replies = client.send("4 namespace", '5 LIST (SUBSCRIBED) "" "*"', '6 lsub "" "*"', '7 list "" "INBOX"',
                          '8 select "INBOX"', "9 UID fetch 1:* (FLAGS)")
    assert [r.key for r in replies] == ["ok.namespace", "bad.extended_list", "ok.lsub", "ok.list", "ok.select",
                                        "ok.fetch"]
    assert replies[-1].lines == (b"* 1 FETCH (UID 1 FLAGS (\\Seen))", b"* 2 FETCH (UID 2 FLAGS (\\Recent))",
                                 b"* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent))")
    headers = client.cmd(f"10 UID fetch 2:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS ({THUNDERBIRD_FIELDS})])")
    assert [ln.split(b" ", 6)[:6] for ln in headers.lines] == [
        [b"*", b"2", b"FETCH", b"(UID", b"2", b"RFC822.SIZE"], [b"*", b"3", b"FETCH", b"(UID", b"3", b"RFC822.SIZE"]]
    assert b"BODY[HEADER.FIELDS (From To Cc Bcc Subject" in headers.lines[0]
    assert b"Subject: =?UTF-8?B?0J7RgtGH0ZHRgg==?= for September\r\n" in headers.lines[0]
    assert client.effects == []
    assert client.key("11 IDLE") == "cont.idle"
    mb.apply([Effect("append", ("alice", "INBOX", SHORT, (), day(9)))])
    assert client.engine.poll().replies[0].lines == (b"* 4 EXISTS", b"* 3 RECENT")
    assert client.cmd("DONE").final == b"11 OK IDLE terminated"
    assert client.cmd("12 UID fetch 4:* (FLAGS)").lines == (b"* 4 FETCH (UID 4 FLAGS (\\Recent))",)


def test_renaming_the_selected_inbox_expunges_its_messages(mb):
    client = selected(mb)
    reply = client.cmd("a RENAME INBOX Old")
    assert reply.lines == (b"* 1 EXPUNGE",) * 3 and reply.key == "ok.rename"
    assert client.cmd("b NOOP").lines == () and client.cmd("c SEARCH ALL").lines == (b"* SEARCH",)
