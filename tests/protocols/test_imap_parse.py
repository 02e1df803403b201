"""The IMAP command parser and input reader: RFC 3501's grammar, literals, hostile input."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.protocols.imap.parse import FetchAtt, parse_command, partial_command, seq_contains, simple_line
from simulator.protocols.imap.reader import CommandReader, astring, mutf7_decode, mutf7_encode, quote, transcript


def cmd(line: str):
    return parse_command([line.encode("utf-8")])


# ----------------------------------------------------------------- the head
@pytest.mark.parametrize("line,verb,tag,problem", [
    ("A1 NOOP", "NOOP", "A1", None),
    ("a.b-c_9 noop", "NOOP", "a.b-c_9", None),
    ("A1 uid fetch 1 flags", "UID FETCH", "A1", None),
    ("", "UNKNOWN", None, "empty"),
    ("   ", "UNKNOWN", None, "empty"),
    ("A1", "UNKNOWN", "A1", "missing_command"),
    ("A1   ", "UNKNOWN", "A1", "missing_command"),
    ("+x NOOP", "UNKNOWN", None, "no_tag"),
    ("(x NOOP", "UNKNOWN", None, "no_tag"),
    ("a*b NOOP", "UNKNOWN", None, "no_tag"),
    ("GET / HTTP/1.1", "UNKNOWN", None, "http"),
    ("POST /login HTTP/1.0", "UNKNOWN", None, "http"),
    ("A1 FROB", "UNKNOWN", "A1", "unrecognized"),
    ("A1 UID EXPUNGE 1", "UNKNOWN", "A1", "unrecognized"),
    ("A1 STARTTLS", "UNKNOWN", "A1", "not_implemented"),
    ("A1 NOOP\x00", "NOOP", "A1", "nul"),
])
def test_the_tag_and_the_verb(line, verb, tag, problem):
    parsed = cmd(line)
    assert (parsed.verb, parsed.tag, parsed.problem) == (verb, tag, problem)
    assert parsed.line == line.rstrip(" \t")


def test_unknown_verbs_keep_their_name_in_arg():
    assert cmd("A1 enable UTF8").arg == "ENABLE"
    assert cmd("A1 starttls").arg == "STARTTLS"


# ---------------------------------------------------------------- arguments
def test_login_takes_atoms_quoted_strings_and_literals():
    assert cmd("A LOGIN alice secret").args == ("alice", "secret")
    assert cmd(r'A LOGIN "al ice" "p\"w\\d"').args == ("al ice", 'p"w\\d')
    assert parse_command([b"A LOGIN {5}", b"alice", b" {3}", b"a b", b""]).args == ("alice", "a b")
    assert cmd("A LOGIN alice").problem == "syntax"
    assert cmd('A LOGIN alice "x').detail == "unterminated quoted string"
    assert cmd(r'A LOGIN alice "x\y"').problem == "syntax"
    assert cmd("A LOGIN alice pässword").args == ("alice", "pässword")  # 8-bit let in for nc users
    assert cmd("A LOGIN alice secret").arg == "alice"


def test_authenticate():
    assert cmd("A AUTHENTICATE plain").args == ("PLAIN", None)
    assert cmd("A AUTHENTICATE PLAIN AGFsaWNlAGFsaWNl").args == ("PLAIN", "AGFsaWNlAGFsaWNl")
    assert cmd("A AUTHENTICATE PLAIN =").args == ("PLAIN", "=")
    assert cmd("A AUTHENTICATE").problem == "syntax"


def test_mailbox_names():
    assert cmd("A SELECT inbox").args == "INBOX"
    assert cmd('A SELECT "Inbox/Sub"').args == "INBOX/Sub"
    assert cmd('A SELECT "Sent Items"').args == "Sent Items"
    assert cmd("A SELECT &BBIERQQ+BDQETwRJBDgENQ-").args == "Входящие"
    assert cmd("A SELECT &-x").args == "&x"
    assert cmd("A SELECT &zz").problem == "syntax"
    assert cmd('A SELECT "x" y').problem == "syntax"
    assert cmd("A RENAME a b").args == ("a", "b")
    assert cmd("A SELECT INBOX").arg == "INBOX"


def test_list_and_its_extended_form():
    assert cmd('A LIST "" *').args == ("", "*")
    assert cmd("A LIST ~/Mail %").args == ("~/Mail", "%")
    assert cmd('A LSUB "" "Archive/*"').args == ("", "Archive/*")
    assert cmd('A LIST (SUBSCRIBED) "" *').problem == "extended_list"
    assert cmd('A LIST "" ("a" "b")').problem == "extended_list"
    assert cmd('A LIST "" * RETURN (CHILDREN)').problem == "extended_list"
    assert cmd('A LIST ""').problem == "syntax"


def test_status():
    assert cmd("A STATUS INBOX (messages UNSEEN messages)").args == ("INBOX", ("MESSAGES", "UNSEEN"))
    assert cmd("A STATUS INBOX (SIZE)").problem == "syntax"
    assert cmd("A STATUS INBOX ()").problem == "syntax"


def test_append():
    parsed = parse_command([b'A APPEND Sent (\\Seen \\draft) "17-Jul-1996 02:44:25 -0700" {3}', b"hi!", b""])
    when = datetime(1996, 7, 17, 9, 44, 25, tzinfo=timezone.utc).timestamp()
    assert parsed.args == ("Sent", ("\\Seen", "\\Draft"), when, b"hi!")
    assert parse_command([b'A APPEND Sent " 7-Jul-1996 02:44:25 +0000" {1}', b"x", b""]).args[2] == \
        datetime(1996, 7, 7, 2, 44, 25, tzinfo=timezone.utc).timestamp()
    assert parse_command([b"A APPEND Sent {1}", b"x", b""]).args == ("Sent", None, None, b"x")
    assert cmd('A APPEND Sent "hello"').problem == "syntax"
    assert parse_command([b'A APPEND Sent "31-Feb-2020 00:00:00 +0000" {1}', b"x", b""]).problem == "syntax"
    assert parse_command([b"A APPEND Sent (\\Recent) {1}", b"x", b""]).problem == "flag"


def test_store():
    assert cmd("A STORE 1:3 +FLAGS.SILENT (\\Seen $Junk)").args == (((1, 3),), "+", True, ("\\Seen", "$Junk"))
    assert cmd("A STORE 1 flags \\deleted \\SEEN").args == (((1, 1),), "", False, ("\\Deleted", "\\Seen"))
    assert cmd("A STORE 1 -FLAGS ()").args == (((1, 1),), "-", False, ())
    assert cmd("A STORE 1 FLAGS.LOUD (x)").problem == "syntax"
    assert cmd("A STORE 1 +FLAGS (\\Recent)").problem == "flag"
    assert cmd("A STORE 1 +FLAGS (\\Foo)").detail == "\\Foo"


def test_copy():
    assert cmd("A COPY 2:4 Trash").args == (((2, 4),), "Trash")
    assert cmd("A UID COPY 1,5 Trash").verb == "UID COPY"
    assert cmd("A COPY 2:4 Trash").arg == "2:4 Trash"


@pytest.mark.parametrize("text,expected", [
    ("1", ((1, 1),)), ("*", ((None, None),)), ("1:*", ((1, None),)), ("4:2", ((4, 2),)),
    ("1,3:5,7:*", ((1, 1), (3, 5), (7, None))),
])
def test_sequence_sets(text, expected):
    assert cmd(f"A FETCH {text} FLAGS").args[0] == expected


@pytest.mark.parametrize("text", ["0", "1:0", "1,,2", "a", "1:2:3", "99999999999", ":", "1:"])
def test_bad_sequence_sets(text):
    assert cmd(f"A FETCH {text} FLAGS").problem == "syntax"


def test_seq_contains_with_star():
    assert seq_contains(((3, None),), 7, 5) is False
    assert seq_contains(((7, None),), 5, 5) is True  # 7:* with * = 5 is 5:7
    assert seq_contains(((None, None),), 5, 5) is True


def test_fetch_items():
    assert cmd("A FETCH 1 FAST").args[1] == (FetchAtt("FLAGS"), FetchAtt("INTERNALDATE"), FetchAtt("RFC822.SIZE"))
    assert [a.name for a in cmd("A FETCH 1 all").args[1]] == ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"]
    assert [a.name for a in cmd("A FETCH 1 (uid rfc822.size)").args[1]] == ["UID", "RFC822.SIZE"]
    assert cmd("A FETCH 1 body").args[1] == (FetchAtt("BODY"),)
    [att] = cmd("A FETCH 1 BODY.PEEK[1.2.HEADER.FIELDS.NOT (x-spam \"Weird Name\")]<10.20>").args[1]
    assert att == FetchAtt("BODY", '1.2.HEADER.FIELDS.NOT (x-spam "Weird Name")',
                           'BODY[1.2.HEADER.FIELDS.NOT (x-spam "Weird Name")]<10>', (10, 20), True)
    [att] = cmd("A FETCH 1 body[]").args[1]
    assert (att.section, att.label, att.peek, att.sets_seen) == ("", "BODY[]", False, True)
    assert cmd("A FETCH 1 BODY[1.mime]").args[1][0].section == "1.MIME"
    assert FetchAtt("RFC822").sets_seen and not FetchAtt("RFC822.HEADER").sets_seen


@pytest.mark.parametrize("items,problem", [
    ("ALL FLAGS", "syntax"), ("(ALL)", "syntax"), ("BINARY[1]", "syntax"), ("BODY[MIME]", "section"),
    ("BODY[0]", "section"), ("BODY[1.]", "section"), ("BODY[HEADER.FIELDS]", "syntax"),
    ("BODY[HEADER.FIELDS ()]", "syntax"), ("BODY[TEXT]<1>", "syntax"), ("BODY[TEXT]<1.0>", "syntax"),
    ("BODY.PEEK", "syntax"), ("(FLAGS", "syntax"), ("BODY[TEXT.FOO]", "section"),
])
def test_bad_fetch_items(items, problem):
    assert cmd(f"A FETCH 1 {items}").problem == problem


def test_search_keys():
    assert cmd("A SEARCH ALL").args == (None, ("ALL",))
    assert cmd("A SEARCH unseen FROM bob").args == (None, ("AND", (("FLAG", "\\Seen", False),
                                                                   ("HEADER", "From", "bob"))))
    assert cmd('A SEARCH OR NOT SEEN (LARGER 10 SMALLER 20) HEADER X-Foo ""').args[1] == (
        "AND", (("OR", ("NOT", ("FLAG", "\\Seen", True)), ("AND", (("LARGER", 10), ("SMALLER", 20)))),
                ("HEADER", "X-Foo", "")))
    assert cmd('A SEARCH SINCE "1-Feb-2024" before 01-mar-2024').args[1] == (
        "AND", (("SINCE", date(2024, 2, 1)), ("BEFORE", date(2024, 3, 1))))
    assert cmd("A SEARCH 2:* UID 5,7 KEYWORD $Junk").args[1] == (
        "AND", (("SEQ", ((2, None),)), ("UID", ((5, 5), (7, 7))), ("KEYWORD", "$Junk", True)))
    assert cmd("A SEARCH CHARSET utf-8 BODY Привет").args == ("UTF-8", ("BODY", "Привет"))
    assert cmd("A SEARCH CHARSET KOI8-R ALL").args[0] == "KOI8-R"
    assert cmd("A SEARCH BCC x").args[1] == ("HEADER", "Bcc", "x")


@pytest.mark.parametrize("keys", ["", "FOO", "OR SEEN", "LARGER x", "BEFORE 1-Foo-2020", "(SEEN", "NOT",
                                  "SEEN)", "CHARSET", "HEADER From"])
def test_bad_search_keys(keys):
    assert cmd(f"A SEARCH {keys}".rstrip()).problem == "syntax"


def test_id():
    assert cmd("A ID NIL").args is None
    assert cmd('A ID ("name" "x" "version" NIL)').args == (("name", "x"), ("version", None))
    assert cmd("A ID ()").args == ()
    assert cmd('A ID ("name")').problem == "syntax"
    assert cmd("A ID (" + " ".join('"k" "v"' for _ in range(31)) + ")").problem == "syntax"


def test_commands_without_arguments_refuse_extra_text():
    for verb in ("CAPABILITY", "NOOP", "LOGOUT", "CHECK", "CLOSE", "EXPUNGE", "NAMESPACE", "IDLE"):
        assert cmd(f"A {verb}").problem is None
        assert cmd(f"A {verb}   ").problem is None  # trailing blanks people type
        assert cmd(f"A {verb} x").problem == "syntax"


def test_partial_commands():
    plus = partial_command([b"A1 APPEND INBOX {5}"])
    assert (plus.verb, plus.tag, plus.args, plus.line) == ("+", "A1", "APPEND", "A1 APPEND INBOX {5}")
    assert partial_command([b"A1 FROB {5}"]).problem == "unrecognized"
    assert partial_command([b"{5}"]).problem == "no_tag"
    assert partial_command([b"A1 LOGIN {3}", b"a\x00b", b" {5}"]).problem == "nul"
    big = partial_command([b"A1 APPEND INBOX {99999999999}"], "literal_too_big")
    assert (big.verb, big.tag, big.problem) == ("APPEND", "A1", "literal_too_big")
    assert partial_command([b"x" * 300], "line_too_long").tag is None
    assert partial_command([b"A7 LOGIN " + b"x" * 300], "line_too_long").tag == "A7"


def test_simple_lines():
    assert simple_line(b"DONE", False, "DONE", "A1").args == "DONE"
    assert simple_line(b"x" * 10, True, "DONE", "A1").problem == "line_too_long"
    assert simple_line(b"a\x00", False, "AUTH_DATA", "A1").problem == "nul"


# --------------------------------------------------------------- the reader
def events(reader: CommandReader, data: bytes, step: int = 0) -> list:
    buf = bytearray()
    out = []
    chunks = [data] if not step else [data[i:i + step] for i in range(0, len(data), step)]
    for chunk in chunks:
        buf += chunk
        while (event := reader.next(buf)) is not None:
            out.append(event)
            if event[0] == "continue":
                reader.grant()
    return out


@pytest.mark.parametrize("step", [0, 1, 2, 7])
def test_reader_joins_lines_and_literals(step):
    data = b"A1 NOOP\r\nA2 LOGIN {5}\r\nalice {3+}\r\nx\ny\r\nA3 NOOP\n"
    assert events(CommandReader(100, 100), data, step) == [
        ("command", [b"A1 NOOP"]), ("continue", [b"A2 LOGIN {5}"]),
        ("command", [b"A2 LOGIN {5}", b"alice", b" {3+}", b"x\ny", b""]), ("command", [b"A3 NOOP"])]


def test_reader_waits_for_the_grant():
    reader = CommandReader(100, 100)
    buf = bytearray(b"A LOGIN {3}\r\nabc\r\n")
    assert reader.next(buf)[0] == "continue"
    assert reader.next(buf) is None and reader.waiting
    reader.grant()
    assert reader.next(buf) == ("command", [b"A LOGIN {3}", b"abc", b""])


def test_reader_refuses_big_literals_without_storing_them():
    reader = CommandReader(100, 10)
    assert events(reader, b"A1 APPEND x {11}\r\n") == [("too_big", [b"A1 APPEND x {11}"])]
    assert reader.held == 0
    buf = bytearray(b"A2 APPEND x {1000+}\r\n" + b"z" * 600)
    assert reader.next(buf) == ("too_big", [b"A2 APPEND x {1000+}"])
    assert reader.next(buf) is None and not buf and reader.held == 0
    buf += b"z" * 400 + b" more {5+}\r\n12345 rest\r\nA3 NOOP\r\n"
    assert reader.next(buf) == ("command", [b"A3 NOOP"])


def test_reader_counts_literals_of_one_command_together():
    assert events(CommandReader(100, 10), b"A LOGIN {6}\r\nabcdef {6}\r\n")[-1] == \
        ("too_big", [b"A LOGIN {6}", b"abcdef", b" {6}"])


def test_reader_discards_overlong_lines():
    reader = CommandReader(20, 100)
    buf = bytearray(b"A1 " + b"x" * 30)
    assert reader.next(buf) is None and not buf
    buf += b"y" * 1000
    assert reader.next(buf) is None and not buf and reader.held <= 1024
    buf += b"\r\nA2 NOOP\r\n"
    assert reader.next(buf) == ("too_long", [b"A1 " + b"x" * 30])
    assert reader.next(buf) == ("command", [b"A2 NOOP"])
    assert events(CommandReader(20, 100), b"A1 " + b"x" * 15 + b"\r\n") == [("command", [b"A1 " + b"x" * 15])]
    assert events(CommandReader(20, 100), b"A1 " + b"x" * 16 + b"\r\n")[0][0] == "too_long"


def test_reader_limits_the_text_of_a_whole_command():
    reader = CommandReader(30, 100)
    out = events(reader, b"A1 LOGIN {1+}\r\nx " + b"y" * 20 + b"\r\n")
    assert out == [("too_long", [b"A1 LOGIN {1+}"])]


def test_reader_cancel_forgets_the_partial_command():
    reader = CommandReader(100, 100)
    buf = bytearray(b"A LOGIN {3}\r\n")
    reader.next(buf)
    reader.cancel()
    buf += b"B NOOP\r\n"
    assert reader.next(buf) == ("command", [b"B NOOP"])


# ------------------------------------------------------------------ strings
def test_transcript_shows_literals_inline_and_cuts_at_16_kib():
    assert transcript([b"A LOGIN {3}", b"a\r\nb", b" x"]) == "A LOGIN {3}\na\nb x"
    long = transcript([b"A APPEND x {40000}", b"y" * 40000, b""])
    assert len(long) < 16 * 1024 + 40 and long.endswith("... (%d more octets)" % (40000 + 18 + 2 - 16384))


@pytest.mark.parametrize("name,wire", [
    ("INBOX", "INBOX"), ("Входящие", "&BBIERQQ+BDQETwRJBDgENQ-"), ("a&b", "a&-b"),
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"), ("Ü", "&ANw-"),
])
def test_modified_utf7(name, wire):
    assert mutf7_encode(name) == wire
    assert mutf7_decode(wire) == name


@given(st.text(max_size=30))
def test_modified_utf7_round_trips(name):
    encoded = mutf7_encode(name)
    assert encoded.isascii()
    assert mutf7_decode(encoded) == name


@pytest.mark.parametrize("bad", ["&", "&abc", "&A-", "&!!-", "&AGE-"])
def test_invalid_modified_utf7(bad):
    with pytest.raises(ValueError):
        mutf7_decode(bad)


def test_quoting():
    assert quote("plain") == b'"plain"'
    assert quote('a"b\\c') == b'"a\\"b\\\\c"'
    assert quote("ü") == b"{2}\r\n\xc3\xbc"
    assert quote(b"a\r\nb") == b"{4}\r\na\r\nb"
    assert astring("INBOX") == b"INBOX"
    assert astring("Sent Items") == b'"Sent Items"'
    assert astring("NIL") == b'"NIL"'
    assert astring("") == b'""'


# ------------------------------------------------------------------ robustness
TOKENS = ["A1", " ", " ", "FETCH", "UID", "SEARCH", "STORE", "LIST", "APPEND", "LOGIN", "ID", "STATUS", "(", ")",
          "[", "]", "<", ">", ".", "BODY", "BODY.PEEK", "HEADER.FIELDS", "1:*", "*", "2", "0", '"', "\\", "{3}",
          "{3+}", "OR", "NOT", "CHARSET", "UTF-8", "FLAGS", "+FLAGS.SILENT", "\\Seen", "NIL", "%", "&", "-",
          "MIME", "TEXT", "SINCE", "1-Jan-2020", "x", "\x00", "\xff", "\t"]


@given(parts=st.lists(st.binary(max_size=80), min_size=1, max_size=5))
def test_parsing_random_parts_never_raises(parts):
    for parsed in (parse_command(parts), partial_command(parts), partial_command(parts, "line_too_long")):
        assert parsed.verb and isinstance(parsed.line, str)
        assert parsed.problem is not None or parsed.args is not None or parsed.verb in (
            "+", "CAPABILITY", "NOOP", "LOGOUT", "CHECK", "CLOSE", "EXPUNGE", "NAMESPACE", "IDLE", "ID")


@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=25), literal=st.binary(max_size=5))
def test_parsing_grammar_soup_never_raises(tokens, literal):
    line = "".join(tokens).encode("latin-1")
    parse_command([line])
    parse_command([b"A1 " + line, literal, b" " + line])
