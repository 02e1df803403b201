"""The mail store: delivery, list expansion, folders and UIDs, durability, use from many threads."""
from __future__ import annotations

import os
import signal
import smtplib
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import start_server

from simulator import mailstore
from simulator.mailstore import MailboxExists, MailStore, NoSuchMailbox
from simulator.protocols.base import Delivery
from simulator.world import World

MESSAGE = b"Subject: Tea party\r\nFrom: bob@example.net\r\n\r\nSix o'clock.\r\n"


def test_delivery_lands_in_each_local_mailbox():
    store = MailStore()
    ids = store.deliver(Delivery("bob@example.net", ("alice@example.org", "bob@example.org"), MESSAGE,
                                 helo="c.example", queue_id="MS000001"))
    assert len(ids) == 2 and len(set(ids)) == 2
    [message] = store.messages("alice")
    assert message["content"] == MESSAGE and message["subject"] == "Tea party"
    assert message["mail_from"] == "bob@example.net" and message["size"] == len(MESSAGE)
    assert message["helo"] == "c.example" and message["queue_id"] == "MS000001"
    assert store.count() == 2 and store.count("bob") == 1


def test_lists_expand_and_each_user_gets_one_copy():
    store = MailStore()
    store.deliver(Delivery("", ("staff@example.org", "alice@example.org", "postmaster@example.org"), b"x\r\n"))
    assert store.count("alice") == 1 and store.count("bob") == 1


def test_remote_moved_and_departed_addresses_are_skipped():
    store = MailStore()
    ids = store.deliver(Delivery("", ("carol@example.org", "dave@example.org", "x@elsewhere.example"), b"x\r\n"))
    assert ids == [] and store.count() == 0


def test_nested_lists_loops_do_not_hang():
    world = World.from_dict({"domain": "example.org", "hostname": "mx.example.org",
                             "users": {"u": {"password": "p"}},
                             "lists": {"a": {"members": ["b", "u"]}, "b": {"members": ["a"]}}})
    store = MailStore(world)
    assert len(store.deliver(Delivery("", ("a@example.org",), b"x\r\n"))) == 1


def test_messages_returns_copies():
    store = MailStore()
    store.deliver(Delivery("", ("alice@example.org",), b"x\r\n"))
    store.messages("alice")[0]["subject"] = "changed"
    assert store.messages("alice")[0]["subject"] == ""
    assert store.messages("nobody") == []


def test_delete_and_clear():
    store = MailStore()
    [mid] = store.deliver(Delivery("", ("alice@example.org",), b"x\r\n"))
    assert store.delete("alice", mid) and not store.delete("alice", mid)
    store.deliver(Delivery("", ("bob@example.org",), b"x\r\n"))
    store.clear()
    assert store.count() == 0


def test_concurrent_deliveries_are_all_kept():
    store = MailStore()
    ids: list[str] = []

    def work():
        for _ in range(200):
            ids.extend(store.deliver(Delivery("", ("staff@example.org",), b"x\r\n")))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 8 * 200 * 2 and len(set(ids)) == len(ids)


# ------------------------------------------------------------------ durability


def test_messages_survive_closing_and_reopening_the_file(tmp_path):
    path = tmp_path / "mail.sqlite3"
    store = MailStore(path=path)
    [mid] = store.deliver(Delivery("bob@example.net", ("alice@example.org",), MESSAGE, helo="c.example",
                                   queue_id="MS000007"), internal_date=1_700_000_000.5)
    store.create_mailbox("alice", "Archive/2024")
    uid = store.append("alice", "Archive/2024", b"Subject: kept\r\n\r\nhi\r\n", flags=["\\Seen"])
    store.close()

    again = MailStore(path=path)
    [message] = again.messages("alice")
    assert message["id"] == mid and message["content"] == MESSAGE and message["subject"] == "Tea party"
    assert message["recipients"] == ["alice@example.org"] and message["queue_id"] == "MS000007"
    [inbox] = again.fetch("alice", "inbox")
    assert inbox["internal_date"] == 1_700_000_000.5 and inbox["uid"] == 1
    [kept] = again.fetch("alice", "Archive/2024")
    assert kept["uid"] == uid and kept["flags"] == ["\\Seen"] and kept["subject"] == "kept"
    assert [b["name"] for b in again.mailboxes("alice")] == ["INBOX", "Archive", "Archive/2024"]
    # UIDs keep counting after a restart instead of starting again
    assert again.append("alice", "INBOX", b"x\r\n") == 2


def test_the_database_is_durable_by_configuration(tmp_path):
    store = MailStore(path=tmp_path / "mail.sqlite3")
    store.deliver(Delivery("", ("alice@example.org",), b"x\r\n"))
    with store._lock:
        db = store._conn()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert not db.in_transaction  # deliver has committed when it returns
    other = sqlite3.connect(tmp_path / "mail.sqlite3")  # another process's view
    assert other.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 1


def test_an_old_schema_is_upgraded_in_place_and_keeps_its_rows(tmp_path):
    path = tmp_path / "mail.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for statement in mailstore.MIGRATIONS[0]:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO users VALUES ('alice', 'Alice')")
    db.execute("INSERT INTO mailboxes (user, name, uidvalidity, uidnext) VALUES ('alice', 'INBOX', 42, 8)")
    db.execute("INSERT INTO messages (mailbox_id, uid, flags, internal_date, size, subject, content) "
               "VALUES (1, 7, '\\Seen', 1.0, 5, 'old', x'6f6c640d0a')")
    db.commit()
    db.close()

    store = MailStore(path=path)
    check = sqlite3.connect(path)
    assert check.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] \
        == str(mailstore.SCHEMA_VERSION) == str(len(mailstore.MIGRATIONS))
    [old] = store.fetch("alice", "INBOX")
    assert (old["uid"], old["flags"], old["subject"], old["content"]) == (7, ["\\Seen"], "old", b"old\r\n")
    [inbox] = [b for b in store.mailboxes("alice") if b["name"] == "INBOX"]
    assert inbox["uidvalidity"] == 42 and inbox["subscribed"] is True  # the column migration 2 added
    assert store.append("alice", "INBOX", b"new\r\n") == 8  # uidnext carried over
    assert store.count("bob") == 0 and [b["name"] for b in store.mailboxes("bob")] == ["INBOX"]


def test_a_database_from_a_newer_mailsim_is_refused(tmp_path):
    path = tmp_path / "mail.sqlite3"
    MailStore(path=path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(mailstore.MailStoreError, match="newer"):
        MailStore(path=path)


# ------------------------------------------------------- folders, flags, UIDs
def test_every_user_of_the_world_has_an_inbox_and_folders_nest_with_a_slash():
    store = MailStore()
    assert [b["name"] for b in store.mailboxes("bob")] == ["INBOX"]
    assert store.mailboxes("nobody") == []
    assert store.create_mailbox("bob", "Work/Projects/MailSim") == "Work/Projects/MailSim"
    assert [b["name"] for b in store.mailboxes("bob")] == ["INBOX", "Work", "Work/Projects",
                                                           "Work/Projects/MailSim"]
    validities = [b["uidvalidity"] for b in store.mailboxes("bob")]
    assert len(set(validities)) == len(validities)  # every folder its own UIDVALIDITY
    with pytest.raises(MailboxExists):
        store.create_mailbox("bob", "Work")
    with pytest.raises(MailboxExists):
        store.create_mailbox("bob", "inbox")  # INBOX is case-insensitive
    with pytest.raises(NoSuchMailbox):
        store.create_mailbox("nobody", "Work")
    for bad in ("", "a//b", "/a", "a/"):
        with pytest.raises(ValueError):
            store.create_mailbox("bob", bad)
    with pytest.raises(KeyError):
        store.fetch("bob", "Nowhere")


def test_append_fetch_set_flags_and_expunge():
    store = MailStore()
    store.create_mailbox("alice", "Drafts")
    one = store.append("alice", "Drafts", b"Subject: one\r\n\r\n1\r\n", internal_date=100.0)
    two = store.append("alice", "Drafts", b"Subject: two\r\n\r\n2\r\n", flags=("\\Draft",), internal_date=200.0)
    three = store.append("alice", "Drafts", b"3\r\n")
    assert (one, two, three) == (1, 2, 3)
    fetched = store.fetch("alice", "Drafts")
    assert [(m["uid"], m["subject"], m["flags"]) for m in fetched] == \
        [(1, "one", []), (2, "two", ["\\Draft"]), (3, "", [])]
    assert fetched[0]["internal_date"] == 100.0 and fetched[0]["size"] == len(b"Subject: one\r\n\r\n1\r\n")
    assert store.count("alice") == 0  # count(user) and messages(user) are about the INBOX

    assert store.set_flags("alice", "Drafts", 1, ["\\Seen", "\\Deleted"])
    assert store.set_flags("alice", "Drafts", 3, ["\\DELETED"])
    assert not store.set_flags("alice", "Drafts", 99, ["\\Seen"])
    assert store.expunge("alice", "Drafts") == [1, 3]
    assert [m["uid"] for m in store.fetch("alice", "Drafts")] == [2]
    assert store.expunge("alice", "Drafts") == []
    # an expunged UID is never given again
    assert store.append("alice", "Drafts", b"4\r\n") == 4
    [drafts] = [b for b in store.mailboxes("alice") if b["name"] == "Drafts"]
    assert drafts["uidnext"] == 5 and drafts["exists"] == 2


def test_delivered_messages_get_inbox_uids_and_delete_only_touches_the_owner():
    store = MailStore()
    alice_id, bob_id = store.deliver(Delivery("", ("alice@example.org", "bob@example.org"), b"x\r\n"))
    assert [m["uid"] for m in store.fetch("alice", "INBOX")] == [1]
    assert not store.delete("bob", alice_id) and not store.delete("alice", "not-an-id")
    assert store.delete("bob", bob_id) and store.count() == 1


# ----------------------------------------------------------------- concurrency
def test_concurrent_deliveries_to_the_file_from_ten_threads_are_all_stored(tmp_path):
    store = MailStore(path=tmp_path / "mail.sqlite3")
    ids: list[str] = []
    errors: list[BaseException] = []

    def work(n):
        try:
            for i in range(15):
                ids.extend(store.deliver(Delivery("", ("alice@example.org",), f"{n}-{i}\r\n".encode())))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store.close()
    again = MailStore(path=tmp_path / "mail.sqlite3")
    uids = [m["uid"] for m in again.fetch("alice", "INBOX")]
    assert len(ids) == len(set(ids)) == 150 and uids == list(range(1, 151))
    assert {m["content"] for m in again.messages("alice")} == \
        {f"{n}-{i}\r\n".encode() for n in range(10) for i in range(15)}


# ---------------------------------------------------------- a real kill -9
def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


def test_a_message_that_got_its_250_survives_kill_9_of_the_server(tmp_path):
    server = start_server(tmp_path)
    try:
        body = "Subject: Survive kill -9\r\nFrom: bob@example.net\r\n\r\nStill here?\r\n"
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
            refused = client.sendmail("bob@example.net", ["alice@example.org"], body)
            assert refused == {}  # the 250 after DATA has arrived
            # SIGKILL at once, with the client's connection still open: the gunicorn
            # worker that holds the store first, then the master (process.kill()).
            for pid in _children(server.process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            server.process.kill()
            server.process.wait(10)
    finally:
        server.stop()

    restarted = start_server(tmp_path)  # the same tmp/"data" folder
    try:
        store = MailStore(path=tmp_path / "data" / "mail.sqlite3")
        [message] = store.messages("alice")
        assert message["subject"] == "Survive kill -9" and b"Still here?" in message["content"]
        assert message["mail_from"] == "bob@example.net"
        store.close()
    finally:
        restarted.stop()
