"""In-memory mailboxes: delivery, list expansion, and use from many threads."""
from __future__ import annotations

import threading

from simulator.mailstore import MailStore
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
