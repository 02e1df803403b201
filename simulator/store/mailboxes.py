"""One realm's mailboxes: what the SMTP, POP3 and IMAP sessions and the viewer use.

A :class:`Mailboxes` view is bound to one realm of a
:class:`~simulator.store.db.MailStore` (the real ports' ``"server"`` realm
or one learner's private copy). Reads are synchronous queries. Writes are
only :meth:`Mailboxes.deliver` (SMTP, before the 250) and
:meth:`Mailboxes.apply` (the :class:`~simulator.protocols.base.Effect` list
a POP3 or IMAP engine returned): each is one transaction, committed when the
call returns, all or nothing.

Every change to a folder bumps its ``version``; an IMAP session compares it
before each command to see whether another session changed the folder.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from simulator.protocols.base import Delivery, Effect
from simulator.store.schema import (
    DELIMITER,
    INBOX,
    BadMailboxName,
    CannotDelete,
    MailboxExists,
    MailStoreError,
    NoSuchMailbox,
    NoSuchMessage,
    flags_text,
    insert_mailbox,
    insert_message,
    next_uidvalidity,
    normalize_mailbox,
    subject_of,
)

# How deep nested lists are followed; deeper nesting (or a loop) stops here.
MAX_LIST_DEPTH = 8


@dataclass(frozen=True)
class Folder:
    name: str
    uidvalidity: int
    uidnext: int
    subscribed: bool
    exists: int
    unseen: int
    version: int


@dataclass(frozen=True)
class MsgInfo:
    uid: int
    flags: tuple[str, ...]
    internal_date: float
    size: int


_FOLDER_SQL = ("SELECT b.name, b.uidvalidity, b.uidnext, b.subscribed, "
               "(SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = b.id), "
               "(SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = b.id "
               " AND (' ' || lower(m.flags) || ' ') NOT LIKE '% \\seen %'), b.version "
               "FROM mailboxes b WHERE b.realm = ? AND b.user = ?")
_HAS_MESSAGE_SQL = ("SELECT 1 FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
                    "WHERE b.realm = ? AND b.user = ? AND b.name = ? AND m.uid = ?")


class Mailboxes:
    """The mailboxes of one realm. See the module docstring."""

    def __init__(self, store: Any, realm: str, world=None):
        # ``store`` is the MailStore this view belongs to (simulator.store.db, which builds the views)
        self.store = store
        self.realm = realm
        self.world = world or store.world

    # --------------------------------------------------------------- reads
    def folders(self, user: str) -> list[Folder]:
        """``user``'s folders, INBOX first, then by name (empty for nobody)."""
        rows = self.store.read(lambda db: db.execute(
            _FOLDER_SQL + " ORDER BY b.name != 'INBOX', b.name", (self.realm, _login(user))).fetchall())
        return [Folder(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6]) for r in rows]

    def folder(self, user: str, name: str) -> Folder:
        name = normalize_mailbox(name)
        row = self.store.read(lambda db: db.execute(_FOLDER_SQL + " AND b.name = ?",
                                                    (self.realm, _login(user), name)).fetchone())
        if row is None:
            raise NoSuchMailbox(f"no such mailbox: {name}")
        return Folder(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])

    def version(self, user: str, name: str) -> int:
        name = normalize_mailbox(name)
        row = self.store.read(lambda db: db.execute(
            "SELECT version FROM mailboxes WHERE realm = ? AND user = ? AND name = ?",
            (self.realm, _login(user), name)).fetchone())
        if row is None:
            raise NoSuchMailbox(f"no such mailbox: {name}")
        return row[0]

    def listing(self, user: str, name: str) -> list[MsgInfo]:
        """The folder's messages in UID order: uid, flags, internal date, size."""
        def run(db: sqlite3.Connection):
            box = _box(db, self.realm, user, name)
            return db.execute("SELECT uid, flags, internal_date, size FROM messages WHERE mailbox_id = ? "
                              "ORDER BY uid", (box[0],)).fetchall()
        return [MsgInfo(r[0], tuple(r[1].split()), r[2], r[3]) for r in self.store.read(run)]

    def content(self, user: str, name: str, uid: int) -> bytes:
        name = normalize_mailbox(name)

        def run(db: sqlite3.Connection):
            row = db.execute("SELECT m.content FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
                             "WHERE b.realm = ? AND b.user = ? AND b.name = ? AND m.uid = ?",
                             (self.realm, _login(user), name, int(uid))).fetchone()
            if row is None:
                _box(db, self.realm, user, name)  # NoSuchMailbox if that is why
            return row
        row = self.store.read(run)
        if row is None:
            raise NoSuchMessage(f"no message with UID {uid} in {name}")
        return bytes(row[0])

    def write_mark(self) -> Any:
        """A value that changes whenever this process commits a write to the store; None if unknown.

        A reader that took the mark *before* a read and finds it unchanged later
        knows the store still reads the same. Counted: the commits of a store on
        disk, all of which this process makes on its writer thread (MailStore's
        ``stats()``); a store in memory gives None (ask it again each time).
        Another process writing the same file is not seen.
        """
        store = self.store
        if getattr(store, "path", None) is None:
            return None
        writer = getattr(store, "_writer", None)
        return writer, getattr(writer, "commits", 0)

    def has_message(self, user: str, name: str, uid: int) -> bool:
        """Whether the folder still holds the message ``uid`` (without reading its content)."""
        args = (self.realm, user.lower(), INBOX if name == INBOX else normalize_mailbox(name), int(uid))
        return self.store.read(lambda db: db.execute(_HAS_MESSAGE_SQL, args).fetchone()) is not None

    def messages(self, user: str, name: str = INBOX) -> list[dict]:
        """The folder's messages with their content and envelope, oldest first (empty for nobody)."""
        def run(db: sqlite3.Connection):
            return db.execute(
                "SELECT m.id, m.uid, m.flags, m.internal_date, m.size, m.mail_from, m.recipients, m.helo, "
                "m.queue_id, m.subject, m.content FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
                "WHERE b.realm = ? AND b.user = ? AND b.name = ? ORDER BY m.uid",
                (self.realm, _login(user), normalize_mailbox(name))).fetchall()
        return [{"id": f"{r[0]:06d}", "user": _login(user), "mailbox": normalize_mailbox(name), "uid": r[1],
                 "flags": r[2].split(), "internal_date": r[3], "size": r[4], "mail_from": r[5],
                 "recipients": json.loads(r[6]), "helo": r[7], "queue_id": r[8], "subject": r[9],
                 "content": bytes(r[10])} for r in self.store.read(run)]

    def count(self, user: Optional[str] = None) -> int:
        """Messages in ``user``'s INBOX, or in every folder of the realm."""
        args: tuple[str, ...]
        if user is not None:
            sql, args = ("SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
                         "WHERE b.realm = ? AND b.user = ? AND b.name = ?", (self.realm, _login(user), INBOX))
        else:
            sql, args = ("SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
                         "WHERE b.realm = ?", (self.realm,))
        return self.store.read(lambda db: db.execute(sql, args).fetchone()[0])

    # ------------------------------------------------------ POP3 maildrop lock
    def lock_maildrop(self, user: str, owner: str) -> bool:
        return self.store.lock_maildrop(self.realm, _login(user), owner)

    def unlock_maildrop(self, user: str, owner: str) -> None:
        self.store.unlock_maildrop(self.realm, _login(user), owner)

    # -------------------------------------------------------------- delivery
    def mailboxes_for(self, address: str) -> list[str]:
        """The logins whose INBOX a message to ``address`` lands in (lists expanded)."""
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
        """A copy of the message in each local recipient's INBOX, committed; returns the message ids."""
        run = self._delivery(delivery, internal_date)
        return self.store.write(run) if run is not None else []

    def _delivery(self, delivery: Delivery, internal_date: Optional[float] = None):
        logins: list[str] = []
        for rcpt in delivery.recipients:
            for login in self.mailboxes_for(rcpt):
                if login not in logins:
                    logins.append(login)
        if not logins:
            return None
        subject = subject_of(delivery.content)
        when = time.time() if internal_date is None else internal_date

        def run(db: sqlite3.Connection) -> list[str]:
            ids = []
            for login in logins:
                box = _box(db, self.realm, login, INBOX, create_user=True)
                rowid, _uid = insert_message(db, box, delivery.content, (), when, mail_from=delivery.mail_from,
                                             recipients=list(delivery.recipients), helo=delivery.helo,
                                             queue_id=delivery.queue_id, subject=subject)
                ids.append(f"{rowid:06d}")
            return ids
        return run

    # ------------------------------------------------------- sessions' writes
    def _commit_fn(self, deliveries: Iterable[Delivery], effects: Iterable[Effect]):
        runs = [r for r in (self._delivery(d) for d in deliveries) if r is not None]
        effects = list(effects)
        for effect in effects:
            if effect.op not in _OPS:
                raise ValueError(f"unknown effect {effect.op!r}")
        now = time.time()

        def run(db: sqlite3.Connection) -> list:
            for r in runs:
                r(db)
            return [_OPS[e.op](db, self.realm, now, *e.args) for e in effects]
        return run if runs or effects else None

    def commit(self, deliveries: Iterable[Delivery], effects: Iterable[Effect]) -> None:
        """A session's writes for one reply, in one transaction, committed when this returns."""
        run = self._commit_fn(deliveries, effects)
        if run is not None:
            self.store.write(run)

    def commit_async(self, deliveries: Iterable[Delivery], effects: Iterable[Effect],
                     done) -> None:
        """:meth:`commit` without waiting; ``done(error or None)`` once committed (any thread)."""
        try:
            run = self._commit_fn(deliveries, effects)
        except Exception as exc:  # noqa: BLE001
            done(exc)
            return
        if run is None:
            done(None)
        else:
            self.store.write_async(run, done)

    # ---------------------------------------------------------------- effects
    def apply(self, effects: Iterable[Effect]) -> list:
        """Apply an engine's effects in one transaction; the result of each, in order."""
        run = self._commit_fn((), effects)
        return self.store.write(run) if run is not None else []

    def clear(self) -> None:
        """Empty every folder of the realm (folders stay; UIDs are not reused)."""
        def run(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM messages WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE realm = ?)",
                       (self.realm,))
            db.execute("UPDATE mailboxes SET version = version + 1 WHERE realm = ?", (self.realm,))
        self.store.write(run)


# --------------------------------------------------------------------------
# Effect operations: (db, realm, now, *args) inside the writer's transaction.


def _append(db, realm, now, user, folder, content, flags=(), internal_date=None):
    box = _box(db, realm, user, folder)
    content = bytes(content)
    return insert_message(db, box, content, flags, now if internal_date is None else internal_date,
                          subject=subject_of(content))[1]


def _set_flags(db, realm, now, user, folder, uid, flags):
    box = _box(db, realm, user, folder)
    cur = db.execute("UPDATE messages SET flags = ? WHERE mailbox_id = ? AND uid = ?",
                     (flags_text(flags), box[0], int(uid)))
    _bump(db, box[0])
    return cur.rowcount > 0


def _delete(db, realm, now, user, folder, uids):
    box = _box(db, realm, user, folder)
    db.executemany("DELETE FROM messages WHERE mailbox_id = ? AND uid = ?", [(box[0], int(u)) for u in uids])
    _bump(db, box[0])
    return len(uids)


def _create(db, realm, now, user, folder):
    name = normalize_mailbox(folder)
    login = _login(user)
    if not db.execute("SELECT 1 FROM users WHERE realm = ? AND login = ?", (realm, login)).fetchone():
        raise NoSuchMailbox(f"no such user: {user}")
    if _exists(db, realm, login, name):
        raise MailboxExists(f"mailbox exists: {name}")
    parts = name.split(DELIMITER)
    for depth in range(1, len(parts) + 1):  # missing parents too (RFC 3501 §6.3.3)
        part = DELIMITER.join(parts[:depth])
        if not _exists(db, realm, login, part):
            insert_mailbox(db, realm, login, part)
    return name


def _delete_folder(db, realm, now, user, folder):
    name = normalize_mailbox(folder)
    if name == INBOX:
        raise CannotDelete("INBOX cannot be deleted")
    box = _box(db, realm, user, name)
    if db.execute("SELECT 1 FROM mailboxes WHERE realm = ? AND user = ? AND name LIKE ? ESCAPE '\\'",
                  (realm, _login(user), _like_prefix(name))).fetchone():
        raise CannotDelete(f"{name} has folders below it; delete them first")
    db.execute("DELETE FROM mailboxes WHERE id = ?", (box[0],))
    return name


def _rename(db, realm, now, user, old, new):
    old, new = normalize_mailbox(old), normalize_mailbox(new)
    login = _login(user)
    box = _box(db, realm, user, old)
    if _exists(db, realm, login, new):
        raise MailboxExists(f"mailbox exists: {new}")
    if new == old or new.startswith(old + DELIMITER):
        raise BadMailboxName(f"cannot rename {old} into itself")
    parts = new.split(DELIMITER)
    for depth in range(1, len(parts)):
        parent = DELIMITER.join(parts[:depth])
        if not _exists(db, realm, login, parent):
            insert_mailbox(db, realm, login, parent)
    if old == INBOX:  # RFC 3501 §6.3.5: INBOX's messages move to the new folder; INBOX stays, empty
        insert_mailbox(db, realm, login, new)
        target = _box(db, realm, user, new)
        _copy_rows(db, box, target, [r[0] for r in db.execute(
            "SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid", (box[0],))])
        db.execute("DELETE FROM messages WHERE mailbox_id = ?", (box[0],))
        _bump(db, box[0])
        return new
    children = db.execute("SELECT id, name FROM mailboxes WHERE realm = ? AND user = ? AND name LIKE ? ESCAPE '\\'",
                          (realm, login, _like_prefix(old))).fetchall()
    for box_id, name in [(box[0], old)] + children:
        # A new UIDVALIDITY: a client's cache for the new name must not trust old UIDs.
        uidvalidity = next_uidvalidity(db)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_uidvalidity', ?)", (str(uidvalidity),))
        db.execute("UPDATE mailboxes SET name = ?, uidvalidity = ?, version = version + 1 WHERE id = ?",
                   (new + name[len(old):], uidvalidity, box_id))
    return new


def _subscribe(db, realm, now, user, folder, on):
    box = _box(db, realm, user, folder)
    db.execute("UPDATE mailboxes SET subscribed = ? WHERE id = ?", (1 if on else 0, box[0]))
    return bool(on)


def _copy(db, realm, now, user, src, uids, dst):
    source = _box(db, realm, user, src)
    target = _box(db, realm, user, dst)
    return _copy_rows(db, source, target, uids)


_OPS: dict[str, Callable[..., Any]] = {
    "append": _append, "set_flags": _set_flags, "delete": _delete, "create": _create,
    "delete_folder": _delete_folder, "rename": _rename, "subscribe": _subscribe, "copy": _copy}


# --------------------------------------------------------------------------
# Helpers


def _login(user: str) -> str:
    return user.lower()


def _exists(db: sqlite3.Connection, realm: str, login: str, name: str) -> bool:
    return db.execute("SELECT 1 FROM mailboxes WHERE realm = ? AND user = ? AND name = ?",
                      (realm, login, name)).fetchone() is not None


def _like_prefix(name: str) -> str:
    return name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + DELIMITER + "%"


def _box(db: sqlite3.Connection, realm: str, user: str, mailbox: str, create_user: bool = False) -> tuple:
    """(id, uidnext) of a folder; raises NoSuchMailbox."""
    login = _login(user)
    name = normalize_mailbox(mailbox)
    sql = "SELECT id, uidnext FROM mailboxes WHERE realm = ? AND user = ? AND name = ?"
    row = db.execute(sql, (realm, login, name)).fetchone()
    if row is None and create_user and name == INBOX:
        # A user added to the world while this store was open.
        db.execute("INSERT OR IGNORE INTO users (realm, login, name) VALUES (?, ?, ?)", (realm, login, login))
        insert_mailbox(db, realm, login, INBOX)
        row = db.execute(sql, (realm, login, name)).fetchone()
    if row is None:
        raise NoSuchMailbox(f"no such mailbox: {mailbox}")
    return row


def _bump(db: sqlite3.Connection, box_id: int) -> None:
    db.execute("UPDATE mailboxes SET version = version + 1 WHERE id = ?", (box_id,))


def _copy_rows(db: sqlite3.Connection, source: tuple, target: tuple, uids: Iterable[int]) -> list[int]:
    new = []
    for uid in uids:
        row = db.execute("SELECT flags, internal_date, mail_from, recipients, helo, queue_id, subject, content "
                         "FROM messages WHERE mailbox_id = ? AND uid = ?", (source[0], int(uid))).fetchone()
        if row is None:
            raise NoSuchMessage(f"no message with UID {uid}")
        flags, date, mail_from, rcpts, helo, queue_id, subject, content = row
        _rowid, new_uid = insert_message(db, target, bytes(content), flags.split(), date, mail_from=mail_from,
                                         recipients=json.loads(rcpts), helo=helo, queue_id=queue_id,
                                         subject=subject)
        new.append(new_uid)
    return new


__all__ = ["Mailboxes", "Folder", "MsgInfo", "MailStoreError", "NoSuchMailbox", "NoSuchMessage",
           "MailboxExists", "BadMailboxName", "CannotDelete", "insert_message"]
