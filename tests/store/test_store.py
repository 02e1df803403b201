"""The mail store: realms, delivery, folders and UIDs, effects, durability, group commit, kill -9."""
from __future__ import annotations

import json
import os
import signal
import smtplib
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import start_server

from simulator.mail.world import World
from simulator.protocols.base import Delivery, Effect
from simulator.store import schema
from simulator.store.db import (
    BadMailboxName,
    CannotDelete,
    MailboxExists,
    MailStore,
    MailStoreError,
    NoSuchMailbox,
    NoSuchMessage,
)
from simulator.store.mailboxes import Mailboxes

MESSAGE = b"Subject: Tea party\r\nFrom: bob@example.net\r\n\r\nSix o'clock.\r\n"


def empty(realm: str = "t", path=None) -> Mailboxes:
    return MailStore(path=path, seed_file=None).realm(realm)


def test_delivery_lands_in_each_local_mailbox():
    mb = empty()
    ids = mb.deliver(Delivery("bob@example.net", ("alice@example.org", "bob@example.org"), MESSAGE,
                              helo="c.example", queue_id="MS000001"))
    assert len(ids) == 2 and len(set(ids)) == 2
    [message] = mb.messages("alice")
    assert message["content"] == MESSAGE and message["subject"] == "Tea party"
    assert message["mail_from"] == "bob@example.net" and message["size"] == len(MESSAGE)
    assert message["helo"] == "c.example" and message["queue_id"] == "MS000001"
    assert mb.count() == 2 and mb.count("bob") == 1


def test_lists_expand_and_each_user_gets_one_copy():
    mb = empty()
    mb.deliver(Delivery("", ("staff@example.org", "alice@example.org", "postmaster@example.org"), b"x\r\n"))
    assert mb.count("alice") == 1 and mb.count("bob") == 1


def test_remote_moved_and_departed_addresses_are_skipped():
    mb = empty()
    assert mb.deliver(Delivery("", ("carol@example.org", "dave@example.org", "x@elsewhere.example"), b"x\r\n")) == []
    assert mb.count() == 0


def test_nested_list_loops_do_not_hang():
    world = World.from_dict({"domain": "example.org", "hostname": "mx.example.org",
                             "users": {"u": {"password": "p"}},
                             "lists": {"a": {"members": ["b", "u"]}, "b": {"members": ["a"]}}})
    mb = MailStore(world, seed_file=None).realm("t")
    assert len(mb.deliver(Delivery("", ("a@example.org",), b"x\r\n"))) == 1


def test_realms_are_independent_and_a_reset_restores_the_default(tmp_path):
    seed = tmp_path / "seed.json"
    (tmp_path / "m1.eml").write_bytes(b"Subject: Welcome\r\n\r\nHello Bob\r\n")
    seed.write_text(json.dumps({"folders": {"bob": ["Work/Invoices"]},
                                "messages": [{"user": "bob", "folder": "Work/Invoices", "file": "m1.eml",
                                              "flags": ["\\Seen"], "date": "2026-09-01T09:00:00Z"}]}))
    store = MailStore(seed_file=seed)
    one, two = store.realm("learner:one"), store.realm("learner:two")
    assert [f.name for f in one.folders("bob")] == ["INBOX", "Work", "Work/Invoices"]
    [msg] = one.messages("bob", "Work/Invoices")
    assert msg["subject"] == "Welcome" and msg["flags"] == ["\\Seen"] and msg["internal_date"] == 1788253200.0
    one.deliver(Delivery("", ("alice@example.org",), MESSAGE))
    one.apply([Effect("create", ("bob", "Mine"))])
    assert one.count("alice") == 1 and two.count("alice") == 0
    assert "Mine" not in [f.name for f in two.folders("bob")]
    assert store.realm("learner:one") is one  # one view per realm
    store.reset_realm("learner:one")
    assert one.count("alice") == 0 and [f.name for f in one.folders("bob")] == ["INBOX", "Work", "Work/Invoices"]
    assert len(one.messages("bob", "Work/Invoices")) == 1
    assert store.realm("x", seed=False).folders("bob")[0].exists == 0
    with pytest.raises(ValueError):
        store.realm("")


def test_folders_nest_with_a_slash_and_each_has_its_own_uidvalidity():
    mb = empty()
    assert [f.name for f in mb.folders("bob")] == ["INBOX"] and mb.folders("nobody") == []
    assert mb.apply([Effect("create", ("bob", "Work/Projects/MailSim"))]) == ["Work/Projects/MailSim"]
    assert [f.name for f in mb.folders("bob")] == ["INBOX", "Work", "Work/Projects", "Work/Projects/MailSim"]
    validities = [f.uidvalidity for f in mb.folders("bob")]
    assert len(set(validities)) == len(validities)
    for folder, error in (("Work", MailboxExists), ("inbox", MailboxExists)):
        with pytest.raises(error):
            mb.apply([Effect("create", ("bob", folder))])
    with pytest.raises(NoSuchMailbox):
        mb.apply([Effect("create", ("nobody", "Work"))])
    for bad in ("", "a//b", "/a", "a/", "a\x00b", "x" * 300):
        with pytest.raises(BadMailboxName):
            mb.apply([Effect("create", ("bob", bad))])
    with pytest.raises(NoSuchMailbox):
        mb.listing("bob", "Nowhere")


def test_append_listing_flags_delete_and_unseen_count():
    mb = empty()
    mb.apply([Effect("create", ("alice", "Drafts"))])
    uids = mb.apply([Effect("append", ("alice", "Drafts", b"Subject: one\r\n\r\n1\r\n", (), 100.0)),
                     Effect("append", ("alice", "Drafts", b"Subject: two\r\n\r\n2\r\n", ("\\Draft",), 200.0)),
                     Effect("append", ("alice", "Drafts", b"3\r\n", ("\\Seen", "\\Recent"), None))])
    assert uids == [1, 2, 3]
    listing = mb.listing("alice", "Drafts")
    assert [(m.uid, m.flags) for m in listing] == [(1, ()), (2, ("\\Draft",)), (3, ("\\Seen",))]  # \Recent not stored
    assert listing[0].internal_date == 100.0 and listing[0].size == len(b"Subject: one\r\n\r\n1\r\n")
    folder = mb.folder("alice", "Drafts")
    assert (folder.exists, folder.unseen, folder.uidnext) == (3, 2, 4)
    assert mb.content("alice", "Drafts", 2) == b"Subject: two\r\n\r\n2\r\n"
    with pytest.raises(NoSuchMessage):
        mb.content("alice", "Drafts", 99)
    mb.apply([Effect("set_flags", ("alice", "Drafts", 1, ("\\Seen", "\\Deleted"))),
              Effect("delete", ("alice", "Drafts", (1, 3)))])
    assert [m.uid for m in mb.listing("alice", "Drafts")] == [2]
    # an expunged UID is never given again
    assert mb.apply([Effect("append", ("alice", "Drafts", b"4\r\n", (), None))]) == [4]


def test_every_change_to_a_folder_bumps_its_version():
    mb = empty()
    seen = [mb.version("bob", "INBOX")]
    mb.deliver(Delivery("", ("bob@example.org",), b"x\r\n"))
    seen.append(mb.version("bob", "inbox"))
    mb.apply([Effect("set_flags", ("bob", "INBOX", 1, ("\\Seen",)))])
    seen.append(mb.version("bob", "INBOX"))
    mb.apply([Effect("delete", ("bob", "INBOX", (1,)))])
    seen.append(mb.version("bob", "INBOX"))
    assert seen == sorted(set(seen)) and mb.version("alice", "INBOX") == 0


def test_effects_are_all_or_nothing():
    mb = empty()
    mb.deliver(Delivery("", ("bob@example.org",), b"x\r\n"))
    before = mb.listing("bob", "INBOX")
    with pytest.raises(NoSuchMailbox):
        mb.apply([Effect("set_flags", ("bob", "INBOX", 1, ("\\Seen",))), Effect("copy", ("bob", "INBOX", (1,), "Gone"))])
    assert mb.listing("bob", "INBOX") == before
    with pytest.raises(ValueError):
        mb.apply([Effect("format_disk", ())])


def test_rename_moves_children_and_inbox_rename_moves_its_messages():
    mb = empty()
    mb.apply([Effect("create", ("bob", "Work/Old")), Effect("append", ("bob", "Work/Old", b"a\r\n", ("\\Seen",), 5.0))])
    old_validity = mb.folder("bob", "Work/Old").uidvalidity
    mb.apply([Effect("rename", ("bob", "Work", "Job"))])
    assert [f.name for f in mb.folders("bob")] == ["INBOX", "Job", "Job/Old"]
    assert mb.folder("bob", "Job/Old").uidvalidity > old_validity
    assert [m.flags for m in mb.listing("bob", "Job/Old")] == [("\\Seen",)]
    mb.deliver(Delivery("", ("bob@example.org",), b"in inbox\r\n"))
    mb.apply([Effect("rename", ("bob", "INBOX", "Saved/Inbox"))])
    assert mb.count("bob") == 0 and [mb.content("bob", "Saved/Inbox", m.uid) for m in
                                     mb.listing("bob", "Saved/Inbox")] == [b"in inbox\r\n"]
    with pytest.raises(MailboxExists):
        mb.apply([Effect("rename", ("bob", "Job", "Saved"))])
    with pytest.raises(BadMailboxName):
        mb.apply([Effect("rename", ("bob", "Job", "Job/Inner"))])


def test_delete_folder_refuses_inbox_and_parents_and_copy_keeps_flags():
    mb = empty()
    mb.apply([Effect("create", ("bob", "A/B")), Effect("append", ("bob", "INBOX", b"m\r\n", ("\\Flagged",), 1.0))])
    for name in ("INBOX", "A"):
        with pytest.raises(CannotDelete):
            mb.apply([Effect("delete_folder", ("bob", name))])
    assert mb.apply([Effect("copy", ("bob", "INBOX", (1,), "A/B"))]) == [[1]]
    assert mb.listing("bob", "A/B")[0].flags == ("\\Flagged",)
    mb.apply([Effect("delete_folder", ("bob", "A/B")), Effect("delete_folder", ("bob", "A"))])
    assert [f.name for f in mb.folders("bob")] == ["INBOX"]
    mb.apply([Effect("subscribe", ("bob", "INBOX", False))])
    assert mb.folder("bob", "INBOX").subscribed is False
    with pytest.raises(NoSuchMessage):
        mb.apply([Effect("copy", ("bob", "INBOX", (42,), "INBOX"))])


def test_maildrop_lock_is_exclusive_per_user_and_realm():
    store = MailStore(seed_file=None)
    one, other = store.realm("a"), store.realm("b")
    assert one.lock_maildrop("bob", "s1") and one.lock_maildrop("BOB", "s1")
    assert not one.lock_maildrop("bob", "s2") and other.lock_maildrop("bob", "s2")
    one.unlock_maildrop("bob", "s2")  # not the holder: no effect
    assert not one.lock_maildrop("bob", "s3")
    one.unlock_maildrop("bob", "s1")
    assert one.lock_maildrop("bob", "s3")


def test_concurrent_deliveries_are_all_kept():
    mb = empty()
    ids: list[str] = []

    def work():
        for _ in range(100):
            ids.extend(mb.deliver(Delivery("", ("staff@example.org",), b"x\r\n")))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mb.count() == 8 * 100 * 2 and len(set(ids)) == len(ids)


# ------------------------------------------------------------------ durability
def test_messages_survive_closing_and_reopening_the_file(tmp_path):
    path = tmp_path / "mail.sqlite3"
    store = MailStore(path=path, seed_file=None)
    mb = store.realm("server")
    [mid] = mb.deliver(Delivery("bob@example.net", ("alice@example.org",), MESSAGE, helo="c.example",
                                queue_id="MS000007"), internal_date=1_700_000_000.5)
    mb.apply([Effect("create", ("alice", "Archive/2024")),
              Effect("append", ("alice", "Archive/2024", b"Subject: kept\r\n\r\nhi\r\n", ("\\Seen",), None))])
    store.close()

    again = MailStore(path=path, seed_file=None).realm("server")
    [message] = again.messages("alice")
    assert message["id"] == mid and message["content"] == MESSAGE and message["subject"] == "Tea party"
    assert message["recipients"] == ["alice@example.org"] and message["queue_id"] == "MS000007"
    assert message["internal_date"] == 1_700_000_000.5 and message["uid"] == 1
    [kept] = again.messages("alice", "Archive/2024")
    assert kept["flags"] == ["\\Seen"] and kept["subject"] == "kept"
    # UIDs keep counting after a restart instead of starting again
    assert again.apply([Effect("append", ("alice", "INBOX", b"x\r\n", (), None))]) == [2]


def test_writes_are_committed_to_a_durable_wal_when_they_return(tmp_path):
    path = tmp_path / "mail.sqlite3"
    store = MailStore(path=path, seed_file=None)
    store.realm("server").deliver(Delivery("", ("alice@example.org",), b"x\r\n"))
    assert store.read(lambda db: db.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"
    assert store.read(lambda db: db.execute("PRAGMA synchronous").fetchone()[0]) == 2  # FULL
    other = sqlite3.connect(path)  # another process's view sees it at once
    assert other.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 1


def test_concurrent_writers_share_commits_and_every_message_is_stored(tmp_path):
    store = MailStore(path=tmp_path / "mail.sqlite3", seed_file=None)
    mb = store.realm("server")
    start = threading.Barrier(20)
    ids: list[str] = []

    def work(n):
        start.wait()
        for i in range(10):
            ids.extend(mb.deliver(Delivery("", ("alice@example.org",), f"{n}-{i}\r\n".encode())))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = store.stats()
    assert stats["jobs"] == 200 + 1  # + creating the realm
    assert stats["commits"] < stats["jobs"]  # grouped: fewer fsyncs than writes
    store.close()
    again = MailStore(path=tmp_path / "mail.sqlite3", seed_file=None).realm("server")
    assert [m.uid for m in again.listing("alice", "INBOX")] == list(range(1, 201))
    assert {m["content"] for m in again.messages("alice")} == {f"{n}-{i}\r\n".encode() for n in range(20)
                                                               for i in range(10)}


def test_a_failing_write_is_rolled_back_alone(tmp_path):
    store = MailStore(path=tmp_path / "mail.sqlite3", seed_file=None)
    mb = store.realm("server")
    results = []

    def good():
        results.append(mb.deliver(Delivery("", ("bob@example.org",), b"ok\r\n")))

    def bad():
        try:
            mb.apply([Effect("append", ("bob", "INBOX", b"lost\r\n", (), None)), Effect("create", ("bob", "INBOX"))])
        except MailStoreError as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=f) for f in (good, bad, good)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "MailboxExists" in results and mb.count("bob") == 2
    assert [m["content"] for m in mb.messages("bob")] == [b"ok\r\n", b"ok\r\n"]


def test_an_old_schema_is_upgraded_in_place_and_keeps_its_rows(tmp_path):
    path = tmp_path / "mail.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for statement in schema.MAIL.migrations[0]:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO users VALUES ('alice', 'Alice')")
    db.execute("INSERT INTO mailboxes (user, name, uidvalidity, uidnext) VALUES ('alice', 'INBOX', 42, 8)")
    db.execute("INSERT INTO messages (mailbox_id, uid, flags, internal_date, size, subject, content) "
               "VALUES (1, 7, '\\Seen', 1.0, 5, 'old', x'6f6c640d0a')")
    db.commit()
    db.close()

    store = MailStore(path=path, seed_file=None)
    check = sqlite3.connect(path)
    assert check.execute("SELECT value FROM meta WHERE key = 'schema_version:mail'").fetchone()[0] \
        == str(schema.MAIL.version) == str(len(schema.MAIL.migrations))
    # a MailSim from before parts would see a version newer than it understands, and refuse the file
    assert int(check.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]) > 6
    server = store.realm("server")  # what was there became the server's realm
    [old] = server.messages("alice")
    assert (old["uid"], old["flags"], old["subject"], old["content"]) == (7, ["\\Seen"], "old", b"old\r\n")
    inbox = server.folder("alice", "INBOX")
    assert inbox.uidvalidity == 42 and inbox.subscribed is True and inbox.version == 0
    assert server.apply([Effect("append", ("alice", "INBOX", b"new\r\n", (), None))]) == [8]
    assert server.count("bob") == 0 and [f.name for f in server.folders("bob")] == ["INBOX"]
    assert store.realm("learner:x").count("alice") == 0


def test_a_database_from_a_newer_mailsim_is_refused(tmp_path):
    path = tmp_path / "mail.sqlite3"
    MailStore(path=path, seed_file=None).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(MailStoreError, match="newer"):
        MailStore(path=path)


def test_a_part_newer_than_this_mailsim_is_refused(tmp_path):
    path = tmp_path / "mail.sqlite3"
    MailStore(path=path, seed_file=None).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version:mail'")
    db.commit()
    db.close()
    with pytest.raises(MailStoreError, match="mail tables are at version 99"):
        MailStore(path=path)


def test_a_feature_part_is_created_on_demand_and_only_once(tmp_path):
    path = tmp_path / "mail.sqlite3"
    part = schema.Schema("notes", (("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",),))
    store = MailStore(path=path, seed_file=None)
    store.ensure(part)
    store.write(lambda db: db.execute("INSERT INTO notes (text) VALUES ('kept')"))
    store.ensure(part)  # a second start: nothing to do, nothing lost
    assert store.read(lambda db: db.execute("SELECT text FROM notes").fetchall()) == [("kept",)]
    grown = schema.Schema("notes", part.migrations + (("ALTER TABLE notes ADD COLUMN seen INTEGER NOT NULL DEFAULT 0",),))
    store.ensure(grown)  # a migration appended to one part leaves the others alone
    assert store.read(lambda db: db.execute("SELECT text, seen FROM notes").fetchall()) == [("kept", 0)]
    assert store.read(lambda db: db.execute(
        "SELECT value FROM meta WHERE key IN ('schema_version:notes', 'schema_version:mail') ORDER BY key"
    ).fetchall()) == [("4",), ("2",)]
    store.close()



def test_the_store_works_in_a_forked_child(tmp_path):
    store = MailStore(path=tmp_path / "mail.sqlite3", seed_file=None)
    mb = store.realm("server")
    mb.deliver(Delivery("", ("alice@example.org",), b"parent\r\n"))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's exit code is the assertion
        try:
            mb.deliver(Delivery("", ("alice@example.org",), b"child\r\n"))
            os._exit(0 if mb.count("alice") == 2 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert [m["content"] for m in mb.messages("alice")] == [b"parent\r\n", b"child\r\n"]


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
        mb = MailStore(path=tmp_path / "data" / "mail.sqlite3").realm("server")
        found = [m for m in mb.messages("alice") if m["subject"] == "Survive kill -9"]
        assert len(found) == 1 and b"Still here?" in found[0]["content"]
        assert found[0]["mail_from"] == "bob@example.net"
    finally:
        restarted.stop()


def test_a_realm_can_hold_another_domains_users():
    other = World.from_dict({"domain": "example.net", "hostname": "mail.example.net",
                             "users": {"carol": {"password": "carol", "name": "Carol White"}}})
    store = MailStore()
    net = store.realm("journey:net", world=other)
    assert [f.name for f in net.folders("carol")] == ["INBOX"] and net.folders("bob") == []
    net.deliver(Delivery("", ("carol@example.net",), b"Subject: bounce\r\n\r\nx\r\n"))
    assert net.count("carol") == 1
    store.reset_realm("journey:net")
    assert net.count("carol") == 0 and net.folders("bob") == []


def test_the_parsed_message_cache_is_bounded_by_entries_and_bytes():
    from simulator.store.db import LruCache
    cache = LruCache(max_entries=3, max_bytes=800)
    for n in range(5):
        cache.put(n, f"v{n}", 10)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) == "v4"
    cache.get(2)  # recently used: kept when the next one pushes the oldest out
    cache.put(5, "v5", 10)
    assert cache.get(2) == "v2" and cache.get(3) is None
    by_size = LruCache(max_entries=100, max_bytes=800)
    for n in range(9):
        by_size.put(n, n, 100)  # 900 bytes offered, 800 kept
    assert len(by_size) == 8 and by_size.get(0) is None and by_size.get(8) == 8
    by_size.put("huge", "y", 101)  # over an eighth of the budget: not kept at all
    assert by_size.get("huge") is None and len(by_size) == 8


def test_learner_copies_unused_for_long_expire_and_others_stay(tmp_path):
    store = MailStore(path=tmp_path / "mail.sqlite3", seed_file=None)
    store.realm("server")
    old, fresh = store.realm("learner:old"), store.realm("learner:fresh")
    old.deliver(Delivery("", ("bob@example.org",), b"x\r\n"))
    store.write(lambda db: db.execute("UPDATE realms SET used = 0 WHERE name IN ('learner:old', 'server')"))
    assert store.expire_realms("learner:", 3600) == ["learner:old"]
    assert set(store.realms()) == {"server", "learner:fresh"} and fresh.folders("bob")
    again = MailStore(path=tmp_path / "mail.sqlite3", seed_file=None).realm("learner:old")
    assert again.count("bob") == 0  # a learner who comes back starts from the default world


def test_a_new_data_folder_gives_the_real_ports_the_sample_mail(tmp_path):
    server = MailStore(path=tmp_path / "mail.sqlite3").realm("server")
    assert server.count("bob") > 0 and "Work/Invoices" in [f.name for f in server.folders("bob")]
