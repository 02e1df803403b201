"""The store's schema: tables in parts, each part's migrations, and the rows every part shares.

A *part* (:class:`Schema`) is a feature's tables with their own ordered
migrations: ``MAIL`` here (realms, users, mailboxes, messages); lesson
progress in :mod:`simulator.course.progress` and quizzes in
:mod:`simulator.quiz.attempts`, beside the queries that use them. A feature
asks the store for its part when it starts (``store.ensure(SCHEMA)``);
each part's version is kept in ``meta`` as ``schema_version:<part>``, so a
part is added, or a migration appended to one, without renumbering the
others, and a second database backend needs only its own DDL per part.

Before parts, one global list numbered every migration (``meta``'s
``schema_version`` 1-6: mail 1-4, progress 5, quizzes 6). A data folder from
then is converted once, in place (:data:`_LEGACY`), and its
``schema_version`` set to :data:`PARTS_MARK`, which a MailSim from before
parts refuses as newer than it understands rather than migrating again.

Also here: the store's errors (which engines see as
:class:`~simulator.protocols.base.StoreRefused`), folder names, and the row
helpers shared by the store and the mailbox views.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Iterable, Optional

from simulator.protocols.base import StoreRefused

INBOX = "INBOX"
DELIMITER = "/"  # the IMAP hierarchy delimiter of folder names

# ``meta``'s ``schema_version`` once versions are kept per part (any value above
# the last global version, 6, makes an older MailSim refuse the file).
PARTS_MARK = 1000
# The global versions before parts, as (part, first global version, migrations it covered).
_LEGACY = (("mail", 1, 4), ("progress", 5, 1), ("quizzes", 6, 1))


@dataclass(frozen=True)
class Schema:
    """One part of the schema: ``migrations[i]`` takes the part from version i to i + 1.

    Append new migrations; never edit a released one. ``requires`` are parts
    whose tables this one references (created first)."""

    part: str
    migrations: tuple[tuple[str, ...], ...]
    requires: tuple["Schema", ...] = ()

    @property
    def version(self) -> int:
        return len(self.migrations)


MAIL = Schema("mail", (
    # 1: users, mailboxes, messages (one world)
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
    # 3: realms (the real ports' world and each learner's private copy) and a
    # change counter per folder. Tables are rebuilt (SQLite cannot change a
    # primary key); what was there becomes the "server" realm.
    (
        """CREATE TABLE realms (
               name    TEXT PRIMARY KEY,
               created REAL NOT NULL,
               seeded  INTEGER NOT NULL DEFAULT 0
           )""",
        # Only a database that already had mail: a new one gets its server realm,
        # sample messages included, when the realm is first used.
        "INSERT INTO realms (name, created, seeded) SELECT 'server', strftime('%s', 'now'), 1 "
        "WHERE EXISTS (SELECT 1 FROM users)",
        """CREATE TABLE users_v3 (
               realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
               login TEXT NOT NULL,
               name  TEXT NOT NULL DEFAULT '',
               PRIMARY KEY (realm, login)
           )""",
        "INSERT INTO users_v3 (realm, login, name) SELECT 'server', login, name FROM users",
        """CREATE TABLE mailboxes_v3 (
               id          INTEGER PRIMARY KEY,
               realm       TEXT NOT NULL,
               user        TEXT NOT NULL,
               name        TEXT NOT NULL,
               uidvalidity INTEGER NOT NULL,
               uidnext     INTEGER NOT NULL DEFAULT 1,
               subscribed  INTEGER NOT NULL DEFAULT 1,
               version     INTEGER NOT NULL DEFAULT 0,
               UNIQUE (realm, user, name),
               FOREIGN KEY (realm, user) REFERENCES users_v3(realm, login) ON DELETE CASCADE
           )""",
        "INSERT INTO mailboxes_v3 (id, realm, user, name, uidvalidity, uidnext, subscribed) "
        "SELECT id, 'server', user, name, uidvalidity, uidnext, subscribed FROM mailboxes",
        "DROP TABLE mailboxes",
        "DROP TABLE users",
        "ALTER TABLE users_v3 RENAME TO users",
        "ALTER TABLE mailboxes_v3 RENAME TO mailboxes",
    ),
    # 4: when each realm was last used, so learners' copies nobody uses any more can expire
    (
        "ALTER TABLE realms ADD COLUMN used REAL NOT NULL DEFAULT 0",
        "UPDATE realms SET used = created",
    ),
))


class MailStoreError(StoreRefused):
    """A mailbox operation that cannot be done (the IMAP/POP3 engines turn these into NO/-ERR)."""


class NoSuchMailbox(MailStoreError, KeyError):
    """The user or the folder does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NoSuchMessage(MailStoreError, KeyError):
    """No message with that UID in the folder."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MailboxExists(MailStoreError):
    """CREATE or RENAME to a folder that is already there."""


class BadMailboxName(MailStoreError, ValueError):
    """An empty name, or one with an empty hierarchy level ("a//b", "/a", "a/")."""


class CannotDelete(MailStoreError):
    """DELETE of INBOX, or of a folder that still has folders below it."""


def _meta(db: sqlite3.Connection, key: str) -> Optional[str]:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _convert_legacy(db: sqlite3.Connection, path: Optional[Path]) -> None:
    """A database numbered globally (before parts) gets per-part versions, once."""
    legacy = int(_meta(db, "schema_version") or 0)
    if legacy >= PARTS_MARK:
        return
    if legacy > _LEGACY[-1][1]:
        raise MailStoreError(f"{path}: schema version {legacy} is newer than this MailSim understands")
    for part, first, count in _LEGACY:
        if legacy >= first and _meta(db, f"schema_version:{part}") is None:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                       (f"schema_version:{part}", str(min(legacy - first + 1, count))))
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(PARTS_MARK),))


def part_version(db: sqlite3.Connection, part: str) -> int:
    """The version of one part in this database (0: not there yet)."""
    return int(_meta(db, f"schema_version:{part}") or 0)


def migrate(db: sqlite3.Connection, schema: Schema, path: Optional[Path] = None) -> None:
    """Bring one part (and the parts it requires) up to date, one migration per transaction."""
    for required in schema.requires:
        migrate(db, required, path)
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    if int(_meta(db, "schema_version") or 0) < PARTS_MARK:
        db.execute("BEGIN IMMEDIATE")
        try:
            _convert_legacy(db, path)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    elif int(_meta(db, "schema_version") or 0) > PARTS_MARK:
        raise MailStoreError(f"{path}: schema version {_meta(db, 'schema_version')} is newer than this "
                             f"MailSim understands ({PARTS_MARK})")
    version = part_version(db, schema.part)
    if version > schema.version:
        raise MailStoreError(f"{path}: the {schema.part} tables are at version {version}, newer than this "
                             f"MailSim understands ({schema.version})")
    if version == schema.version:
        return
    # Table rebuilds must not cascade deletes through the foreign keys meanwhile.
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        for number in range(version, schema.version):
            db.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the write lock: another process may have migrated meanwhile.
                if part_version(db, schema.part) == number:
                    for statement in schema.migrations[number]:
                        db.execute(statement)
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                               (f"schema_version:{schema.part}", str(number + 1)))
                    problems = db.execute("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise MailStoreError(f"{path}: {schema.part} migration {number + 1} broke references: "
                                             f"{problems[:3]}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def insert_mailbox(db: sqlite3.Connection, realm: str, login: str, name: str) -> None:
    # UIDVALIDITY: the clock in seconds, but always above every earlier one,
    # so a folder deleted (or renamed) and made again never repeats a (uidvalidity, uid) pair.
    uidvalidity = next_uidvalidity(db)
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_uidvalidity', ?)", (str(uidvalidity),))
    db.execute("INSERT INTO mailboxes (realm, user, name, uidvalidity, uidnext) VALUES (?, ?, ?, ?, 1)",
               (realm, login, name, uidvalidity))


def next_uidvalidity(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'last_uidvalidity'").fetchone()
    return max(int(time.time()), (int(row[0]) + 1) if row else 1)


def normalize_mailbox(name: str) -> str:
    """A folder name as stored: INBOX in any case is INBOX (RFC 3501 §5.1); no empty levels."""
    if not isinstance(name, str) or not name or any(not part for part in name.split(DELIMITER)):
        raise BadMailboxName(f"bad mailbox name: {name!r}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name) or len(name) > 200:
        raise BadMailboxName(f"bad mailbox name: {name!r}")
    head, sep, rest = name.partition(DELIMITER)
    if head.upper() == INBOX:
        return INBOX + sep + rest
    return name


def insert_message(db: sqlite3.Connection, box: tuple, content: bytes, flags: Iterable[str],
                   internal_date: float, *, mail_from: str = "", recipients: Optional[list] = None,
                   helo: str = "", queue_id: str = "", subject: Optional[str] = None) -> tuple[int, int]:
    """Store a message in a folder with the next UID; returns (row id, uid)."""
    box_id = box[0]
    uid = db.execute("SELECT uidnext FROM mailboxes WHERE id = ?", (box_id,)).fetchone()[0]
    db.execute("UPDATE mailboxes SET uidnext = ?, version = version + 1 WHERE id = ?", (uid + 1, box_id))
    cur = db.execute(
        "INSERT INTO messages (mailbox_id, uid, flags, internal_date, size, mail_from, recipients, "
        "helo, queue_id, subject, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (box_id, uid, flags_text(flags), float(internal_date), len(content), mail_from,
         json.dumps(recipients or []), helo, queue_id, subject_of(content) if subject is None else subject,
         sqlite3.Binary(content)))
    assert cur.lastrowid is not None  # set by the INSERT
    return cur.lastrowid, uid


def flags_text(flags: Iterable[str]) -> str:
    seen: list[str] = []
    for flag in flags:
        if not isinstance(flag, str) or not flag or any(c.isspace() for c in flag):
            raise MailStoreError(f"bad flag: {flag!r}")
        if flag.lower() == "\\recent":
            continue  # session state, never stored (RFC 3501 §2.3.2)
        if flag not in seen:
            seen.append(flag)
    return " ".join(seen)


_SUBJECT = re.compile(rb"^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def subject_of(content: bytes) -> str:
    """The Subject header, decoded, or "" (a message need not have headers at all)."""
    end = content.find(b"\r\n\r\n")
    head = content if end < 0 else content[:end + 2]
    found = _SUBJECT.search(head)
    if found is None:
        return ""
    value = found.group(1)
    if value.isascii() and b"=?" not in value:  # the common case, without the email package
        return " ".join(value.decode("ascii").split())
    try:
        end = content.find(b"\r\n\r\n")
        head = content if end < 0 else content[:end + 2]  # only the header block
        headers = BytesHeaderParser(policy=default_policy).parsebytes(head)
        return str(headers.get("Subject", "") or "")
    except Exception:  # a malformed header must never stop a delivery
        return ""


