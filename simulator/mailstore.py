"""Durable mailboxes: where SMTP deliveries land and POP3/IMAP will read from.

The session calls :meth:`MailStore.deliver` just before it sends the 250 that
ends a message (from then on the server is responsible for the message,
RFC 5321 §4.1.1.4). Delivery expands mailing lists through the world and drops
addresses that have no mailbox here (moved, departed or remote ones: this
simulated server does not relay).

The store is a SQLite database (stdlib :mod:`sqlite3`), normally
``<data dir>/mail.sqlite3``. ``deliver`` commits before it returns, in WAL
mode with ``synchronous=FULL``, so a message whose 250 was sent survives a
kill -9 of the server (and a power cut). ``MailStore()`` with no path keeps
the same schema in memory, for tests and throw-away stores.

Layout (see ``MIGRATIONS``): ``users`` (the world's users, added at open),
``mailboxes`` (per user: INBOX always, plus folders whose names use "/" as
the IMAP hierarchy delimiter, each with its UIDVALIDITY and UIDNEXT) and
``messages`` (a UID unique in its mailbox, flags as space-separated text,
internal date, size, envelope, subject and the raw content). ``meta`` holds
``schema_version``; opening an older database applies the missing
migrations, each in one transaction, so a data folder upgrades in place.

One store is shared by every connection, lab and real port alike: it has one
SQLite connection guarded by a lock. The connection is opened lazily in the
process that uses it (``mailsim serve`` builds the store in gunicorn's master
and forks the worker; SQLite connections must not cross a fork).
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Iterable, Optional, Union

from .protocols.base import Delivery
from .world import World

# How deep nested lists are followed; deeper nesting (or a loop) stops here.
MAX_LIST_DEPTH = 8

INBOX = "INBOX"
DELIMITER = "/"  # the IMAP hierarchy delimiter of folder names

# The schema, as an ordered list of migrations: MIGRATIONS[i] takes a database
# from version i to version i + 1. Append new ones; never edit a released one.
MIGRATIONS: list[tuple[str, ...]] = [
    # 1: users, mailboxes, messages
    (
        """CREATE TABLE users (
               login TEXT PRIMARY KEY,
               name  TEXT NOT NULL DEFAULT ''
           )""",
        """CREATE TABLE mailboxes (
               id          INTEGER PRIMARY KEY,
               user        TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
               name        TEXT NOT NULL,
               uidvalidity INTEGER NOT NULL,
               uidnext     INTEGER NOT NULL DEFAULT 1,
               UNIQUE (user, name)
           )""",
        """CREATE TABLE messages (
               id            INTEGER PRIMARY KEY AUTOINCREMENT,
               mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
               uid           INTEGER NOT NULL,
               flags         TEXT NOT NULL DEFAULT '',
               internal_date REAL NOT NULL,
               size          INTEGER NOT NULL,
               mail_from     TEXT NOT NULL DEFAULT '',
               recipients    TEXT NOT NULL DEFAULT '[]',
               helo          TEXT NOT NULL DEFAULT '',
               queue_id      TEXT NOT NULL DEFAULT '',
               subject       TEXT NOT NULL DEFAULT '',
               content       BLOB NOT NULL,
               UNIQUE (mailbox_id, uid)
           )""",
    ),
    # 2: IMAP subscriptions (SUBSCRIBE/LSUB); existing folders count as subscribed
    (
        "ALTER TABLE mailboxes ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)

PathLike = Union[str, "os.PathLike[str]"]


class MailStoreError(Exception):
    """A mailbox operation that cannot be done (the IMAP/POP3 engines turn these into NO/-ERR)."""


class NoSuchMailbox(MailStoreError, KeyError):
    """The user or the folder does not exist."""


class MailboxExists(MailStoreError):
    """CREATE of a folder that is already there."""


class BadMailboxName(MailStoreError, ValueError):
    """An empty name, or one with an empty hierarchy level ("a//b", "/a", "a/")."""


class MailStore:
    """Every local user's mailboxes in SQLite, safe to use from several threads."""

    def __init__(self, world: Optional[World] = None, path: Optional[PathLike] = None):
        self.world = world or World.load()
        self.path: Optional[Path] = Path(path) if path is not None else None
        self._lock = threading.RLock()
        self._db: Optional[sqlite3.Connection] = None
        self._pid = os.getpid()
        self._inherited: list[sqlite3.Connection] = []
        if self.path is None:
            self._db = self._connect()
            self._open(self._db)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._connect()
            try:
                self._open(db)
            finally:
                db.close()  # the working connection is opened by the process that uses it

    # ------------------------------------------------------------ connection
    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=10)
        db.execute("PRAGMA foreign_keys = ON")
        if self.path is not None:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
        return db

    def _conn(self) -> sqlite3.Connection:
        """The connection of this process (call with the lock held)."""
        if self._db is not None and self._pid != os.getpid():
            # Inherited across a fork: never use it, and never close it here
            # (closing could checkpoint or unlock on the parent's behalf).
            self._inherited.append(self._db)
            self._db = None
        if self._db is None:
            self._db = self._connect()
            self._pid = os.getpid()
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid() and self.path is not None:
                self._db.close()
                self._db = None

    def _open(self, db: sqlite3.Connection) -> None:
        """Bring the schema up to date, then give each of the world's users an INBOX."""
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise MailStoreError(f"{self.path}: schema version {version} is newer than this "
                                     f"MailSim understands ({SCHEMA_VERSION})")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for number in range(version, SCHEMA_VERSION):
            db.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the write lock: another process may have migrated meanwhile.
                row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if (int(row[0]) if row else 0) == number:
                    for statement in MIGRATIONS[number]:
                        db.execute(statement)
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                               (str(number + 1),))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        db.execute("BEGIN IMMEDIATE")
        try:
            for login, user in self.world.users.items():
                db.execute("INSERT OR IGNORE INTO users (login, name) VALUES (?, ?)", (login, user.name))
                if not db.execute("SELECT 1 FROM mailboxes WHERE user = ? AND name = ?",
                                  (login, INBOX)).fetchone():
                    self._insert_mailbox(db, login, INBOX)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _transaction(self):
        return _Transaction(self)

    # ------------------------------------------------------------- delivery
    def mailboxes_for(self, address: str) -> list[str]:
        """The logins whose mailboxes a message to ``address`` lands in (lists expanded)."""
        found: list[str] = []
        self._expand(address, found, set(), 0)
        return found

    def _expand(self, address: str, found: list[str], seen: set[str], depth: int) -> None:
        where = self.world.lookup(address)
        if where.address in seen or depth > MAX_LIST_DEPTH:
            return
        seen.add(where.address)
        if where.kind == "local" and where.user not in found:
            found.append(where.user)
        elif where.kind == "list":
            for member in where.members:
                self._expand(member, found, seen, depth + 1)

    def deliver(self, delivery: Delivery, internal_date: Optional[float] = None) -> list[str]:
        """Put a copy of the message in each recipient's INBOX, committed; return the new message ids."""
        logins: list[str] = []
        for rcpt in delivery.recipients:
            for login in self.mailboxes_for(rcpt):
                if login not in logins:
                    logins.append(login)
        if not logins:
            return []
        subject = _subject(delivery.content)
        when = time.time() if internal_date is None else internal_date
        ids = []
        with self._transaction() as db:
            for login in logins:
                box = self._mailbox_row(db, login, INBOX, create_user=True)
                rowid, _uid = self._insert_message(
                    db, box, delivery.content, (), when, mail_from=delivery.mail_from,
                    recipients=list(delivery.recipients), helo=delivery.helo,
                    queue_id=delivery.queue_id, subject=subject)
                ids.append(_message_id(rowid))
        return ids

    # ------------------------------------------------ the original interface
    def messages(self, user: str) -> list[dict]:
        """The messages in ``user``'s INBOX, oldest first (empty for nobody)."""
        with self._lock:
            rows = self._conn().execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
                "WHERE b.user = ? AND b.name = ? ORDER BY m.uid", (user.lower(), INBOX)).fetchall()
        return [{
            "id": _message_id(r[0]), "user": r[1], "mail_from": r[7], "recipients": json.loads(r[8]),
            "helo": r[9], "queue_id": r[10], "subject": r[11], "size": r[6], "content": bytes(r[12]),
        } for r in rows]

    def count(self, user: Optional[str] = None) -> int:
        """How many messages ``user``'s INBOX holds, or every mailbox of everyone together."""
        with self._lock:
            db = self._conn()
            if user is not None:
                row = db.execute("SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
                                 "WHERE b.user = ? AND b.name = ?", (user.lower(), INBOX)).fetchone()
            else:
                row = db.execute("SELECT COUNT(*) FROM messages").fetchone()
        return row[0]

    def delete(self, user: str, message_id: str) -> bool:
        """Remove one message of ``user`` by its id (POP3 DELE + QUIT); True if it was there."""
        try:
            rowid = int(message_id)
        except (TypeError, ValueError):
            return False
        with self._transaction() as db:
            cur = db.execute("DELETE FROM messages WHERE id = ? AND mailbox_id IN "
                             "(SELECT id FROM mailboxes WHERE user = ?)", (rowid, user.lower()))
            return cur.rowcount > 0

    def clear(self) -> None:
        """Empty every mailbox (folders stay; UIDs are not reused)."""
        with self._transaction() as db:
            db.execute("DELETE FROM messages")

    # ------------------------------------------------ folders, for POP3/IMAP
    def mailboxes(self, user: str) -> list[dict]:
        """``user``'s folders, INBOX first: name, uidvalidity, uidnext, subscribed, exists (message count)."""
        with self._lock:
            rows = self._conn().execute(
                "SELECT b.name, b.uidvalidity, b.uidnext, b.subscribed, "
                "(SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = b.id) "
                "FROM mailboxes b WHERE b.user = ? ORDER BY b.name != 'INBOX', b.name",
                (user.lower(),)).fetchall()
        return [{"name": r[0], "uidvalidity": r[1], "uidnext": r[2], "subscribed": bool(r[3]),
                 "exists": r[4]} for r in rows]

    def create_mailbox(self, user: str, name: str) -> str:
        """Create a folder (and any missing parents, as RFC 3501 CREATE suggests); return its name."""
        name = normalize_mailbox(name)
        login = user.lower()
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
                raise NoSuchMailbox(f"no such user: {user}")
            if db.execute("SELECT 1 FROM mailboxes WHERE user = ? AND name = ?", (login, name)).fetchone():
                raise MailboxExists(f"mailbox exists: {name}")
            parts = name.split(DELIMITER)
            for depth in range(1, len(parts)):
                parent = DELIMITER.join(parts[:depth])
                if not db.execute("SELECT 1 FROM mailboxes WHERE user = ? AND name = ?",
                                  (login, parent)).fetchone():
                    self._insert_mailbox(db, login, parent)
            self._insert_mailbox(db, login, name)
        return name

    def append(self, user: str, mailbox: str, content: bytes, flags: Iterable[str] = (),
               internal_date: Optional[float] = None) -> int:
        """Store a message in a folder (IMAP APPEND), committed; return its UID."""
        when = time.time() if internal_date is None else internal_date
        with self._transaction() as db:
            box = self._mailbox_row(db, user, mailbox)
            _rowid, uid = self._insert_message(db, box, bytes(content), flags, when,
                                               subject=_subject(bytes(content)))
        return uid

    def fetch(self, user: str, mailbox: str) -> list[dict]:
        """Every message of a folder in UID order, with uid, flags, internal_date and the envelope."""
        with self._lock:
            db = self._conn()
            box = self._mailbox_row(db, user, mailbox)
            rows = db.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages m JOIN mailboxes b "
                              "ON b.id = m.mailbox_id WHERE m.mailbox_id = ? ORDER BY m.uid",
                              (box[0],)).fetchall()
        return [{
            "id": _message_id(r[0]), "user": r[1], "mailbox": r[2], "uid": r[3],
            "flags": r[4].split(), "internal_date": r[5], "size": r[6], "mail_from": r[7],
            "recipients": json.loads(r[8]), "helo": r[9], "queue_id": r[10], "subject": r[11],
            "content": bytes(r[12]),
        } for r in rows]

    def set_flags(self, user: str, mailbox: str, uid: int, flags: Iterable[str]) -> bool:
        """Replace one message's flags (IMAP STORE FLAGS); False if no message has that UID."""
        with self._transaction() as db:
            box = self._mailbox_row(db, user, mailbox)
            cur = db.execute("UPDATE messages SET flags = ? WHERE mailbox_id = ? AND uid = ?",
                             (_flags_text(flags), box[0], int(uid)))
            return cur.rowcount > 0

    def expunge(self, user: str, mailbox: str) -> list[int]:
        r"""Remove the folder's messages flagged \Deleted; return their UIDs in order."""
        with self._transaction() as db:
            box = self._mailbox_row(db, user, mailbox)
            gone = [uid for uid, flags in db.execute(
                "SELECT uid, flags FROM messages WHERE mailbox_id = ? ORDER BY uid", (box[0],))
                if "\\deleted" in flags.lower().split()]
            db.executemany("DELETE FROM messages WHERE mailbox_id = ? AND uid = ?",
                           [(box[0], uid) for uid in gone])
        return gone

    # -------------------------------------------------------------- helpers
    def _mailbox_row(self, db: sqlite3.Connection, user: str, mailbox: str,
                     create_user: bool = False) -> tuple:
        login = user.lower()
        name = normalize_mailbox(mailbox)
        row = db.execute("SELECT id, uidnext FROM mailboxes WHERE user = ? AND name = ?",
                         (login, name)).fetchone()
        if row is None and create_user and name == INBOX:
            # A user added to the world while this store was open.
            db.execute("INSERT OR IGNORE INTO users (login, name) VALUES (?, ?)", (login, login))
            self._insert_mailbox(db, login, INBOX)
            row = db.execute("SELECT id, uidnext FROM mailboxes WHERE user = ? AND name = ?",
                             (login, name)).fetchone()
        if row is None:
            raise NoSuchMailbox(f"no such mailbox: {user}/{mailbox}")
        return row

    @staticmethod
    def _insert_mailbox(db: sqlite3.Connection, login: str, name: str) -> None:
        # UIDVALIDITY: the clock in seconds, but always above every earlier one,
        # so a folder deleted and created again never repeats a (uidvalidity, uid) pair.
        row = db.execute("SELECT value FROM meta WHERE key = 'last_uidvalidity'").fetchone()
        uidvalidity = max(int(time.time()), (int(row[0]) + 1) if row else 1)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_uidvalidity', ?)", (str(uidvalidity),))
        db.execute("INSERT INTO mailboxes (user, name, uidvalidity, uidnext) VALUES (?, ?, ?, 1)",
                   (login, name, uidvalidity))

    @staticmethod
    def _insert_message(db: sqlite3.Connection, box: tuple, content: bytes, flags: Iterable[str],
                        internal_date: float, *, mail_from: str = "", recipients: Optional[list] = None,
                        helo: str = "", queue_id: str = "", subject: str = "") -> tuple[int, int]:
        box_id, uid = box[0], box[1]
        db.execute("UPDATE mailboxes SET uidnext = ? WHERE id = ?", (uid + 1, box_id))
        cur = db.execute(
            "INSERT INTO messages (mailbox_id, uid, flags, internal_date, size, mail_from, recipients, "
            "helo, queue_id, subject, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (box_id, uid, _flags_text(flags), float(internal_date), len(content), mail_from,
             json.dumps(recipients or []), helo, queue_id, subject, sqlite3.Binary(content)))
        return cur.lastrowid, uid


class _Transaction:
    """``with store._transaction() as db``: the lock, BEGIN IMMEDIATE, then COMMIT or ROLLBACK."""

    def __init__(self, store: MailStore):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        try:
            self.db = self.store._conn()
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._lock.release()
            raise
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()


_MESSAGE_COLUMNS = ("m.id, b.user, b.name, m.uid, m.flags, m.internal_date, m.size, m.mail_from, "
                    "m.recipients, m.helo, m.queue_id, m.subject, m.content")


def normalize_mailbox(name: str) -> str:
    """A folder name as stored: INBOX in any case is INBOX (RFC 3501 §5.1); no empty levels."""
    if not isinstance(name, str) or not name or any(not part for part in name.split(DELIMITER)):
        raise BadMailboxName(f"bad mailbox name: {name!r}")
    head, sep, rest = name.partition(DELIMITER)
    if head.upper() == INBOX:
        return INBOX + sep + rest
    return name


def _message_id(rowid: int) -> str:
    return f"{rowid:06d}"


def _flags_text(flags: Iterable[str]) -> str:
    seen: list[str] = []
    for flag in flags:
        if not isinstance(flag, str) or not flag or any(c.isspace() for c in flag):
            raise ValueError(f"bad flag: {flag!r}")
        if flag not in seen:
            seen.append(flag)
    return " ".join(seen)


def _subject(content: bytes) -> str:
    """The Subject header, decoded, or "" (a message need not have headers at all)."""
    try:
        end = content.find(b"\r\n\r\n")
        head = content if end < 0 else content[:end + 2]  # only the header block
        headers = BytesHeaderParser(policy=default_policy).parsebytes(head)
        return str(headers.get("Subject", "") or "")
    except Exception:  # a malformed header must never stop a delivery
        return ""
