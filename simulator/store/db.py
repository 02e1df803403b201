"""Durable mailboxes: where SMTP deliveries land and POP3/IMAP read from.

The store is a SQLite database (stdlib :mod:`sqlite3`), normally
``<data dir>/mail.sqlite3``, in WAL mode with ``synchronous=FULL``: a write
has reached the disk when it returns, so a message whose 250 was sent
survives a kill -9 of the server (and a power cut). ``MailStore()`` with no
path keeps the same schema in memory, for tests and throw-away stores.

Realms
------
The database holds several independent copies of the world, called
*realms*: ``"server"`` is what the real TCP ports use; each browser learner
gets ``"learner:<id>"``, a private copy of the default world made on first
use (users, INBOXes, the sample folders and messages of ``data/seed.json``),
so nothing a learner does can spoil anyone else's mail. A realm is read and
changed through its view, :class:`~simulator.mailboxes.Mailboxes`
(``store.realm(name)``); ``store.reset_realm(name)`` restores the default.

Writing off the caller's thread, committed in groups
----------------------------------------------------
Every write (a delivery before its 250, the effects of a POP3 QUIT or an
IMAP STORE) is a function run by **one writer thread** that owns the only
writing connection. The writer takes every job waiting in its queue, runs
each in a SAVEPOINT of one transaction (a job that fails is rolled back
alone and gets its exception), commits once and only then wakes the
callers. Twenty SMTP sessions ending their messages together thus pay for
one fsync, not twenty; each caller still returns only once its own write is
on disk. Reads use a connection per thread (WAL lets them run beside the
writer). Both kinds of connection are opened lazily in the process that uses
them (``mailsim serve`` builds the store in gunicorn's master and forks the
worker; SQLite connections must not cross a fork).

Layout (:data:`simulator.store.schema.MAIL`): ``realms``; ``users`` and ``mailboxes`` per realm
(INBOX plus folders whose names use "/" as the IMAP hierarchy delimiter,
each with UIDVALIDITY, UIDNEXT and a ``version`` bumped by every change, so
an IMAP session notices another's changes with one cheap query) and
``messages`` (UID unique in its mailbox, flags, internal date, size,
envelope, subject, the raw content). ``meta`` holds each part's version
(:mod:`simulator.store.schema`); opening an older database applies the
missing migrations in order, so a data folder upgrades in place. Features
with tables of their own (lesson progress, quizzes) call :meth:`MailStore.ensure`
with their part when they start.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, Union

from simulator import paths
from simulator.mail.world import World
from simulator.store import realms
from simulator.store.mailboxes import Mailboxes
from simulator.store.schema import (
    DELIMITER,
    INBOX,
    MAIL,
    BadMailboxName,
    CannotDelete,
    MailboxExists,
    MailStoreError,
    NoSuchMailbox,
    NoSuchMessage,
    Schema,
    insert_mailbox,
    insert_message,
    migrate,
    normalize_mailbox,
)

DATA = paths.DATA
SEED_FILE = DATA / "seed.json"
# A realm's "used" time is written at most this often (seconds): reads stay reads.
TOUCH_EVERY = 3600.0
# The writer commits at most this many waiting jobs together.
MAX_GROUP = 512

PathLike = Union[str, "os.PathLike[str]"]


class LruCache:
    """A thread-safe least-recently-used cache bounded by entries and by bytes.

    Holds parsed messages for IMAP (as Dovecot keeps parsed headers in its
    index cache): the content of a (realm, user, folder, UIDVALIDITY, UID) never
    changes, so entries need no invalidation; they only age out.
    """

    def __init__(self, max_entries: int = 8192, max_bytes: int = 64 * 1024 * 1024):
        from collections import OrderedDict
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: "OrderedDict[Any, tuple[Any, int]]" = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        if size > self.max_bytes // 8:
            return  # a huge message would push everything else out
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)


class MailStore:
    """Every realm's mailboxes in SQLite, safe to use from many threads."""

    def __init__(self, world: Optional[World] = None, path: Optional[PathLike] = None,
                 *, seed_file: Optional[PathLike] = SEED_FILE):
        self.world = world or World.load()
        self.path: Optional[Path] = Path(path) if path is not None else None
        self.seed_file = Path(seed_file) if seed_file is not None else None
        self._views: dict[str, Any] = {}
        self._touched: dict[str, float] = {}
        self._views_lock = threading.Lock()
        self._locks: dict[tuple[str, str], str] = {}  # POP3 maildrop locks: (realm, login) -> owner
        self._locks_lock = threading.Lock()
        self.parsed = LruCache()  # parsed messages, shared by every IMAP session
        # In memory there is one connection, used under this lock; on disk see _Writer/_local.
        self._mem_lock = threading.RLock()
        self._mem: Optional[sqlite3.Connection] = None
        self._local = threading.local()
        self._pid = os.getpid()
        self._writer: Optional[_Writer] = None
        self._writer_lock = threading.Lock()
        if self.path is None:
            self._mem = self._connect()
            migrate(self._mem, MAIL, self.path)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._connect()
            try:
                migrate(db, MAIL, self.path)
            finally:
                db.close()

    def ensure(self, schema: Schema) -> None:
        """Create or upgrade one feature's part of the schema (and the parts it requires)."""
        if self._mem is not None:
            with self._mem_lock:
                migrate(self._mem, schema, self.path)
            return
        db = self._connect()
        try:
            migrate(db, schema, self.path)
        finally:
            db.close()

    # ------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=30)
        db.execute("PRAGMA foreign_keys = ON")
        if self.path is not None:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
        return db

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn(db)`` on a connection for reading (this thread's own, for a file)."""
        if self._mem is not None:
            with self._mem_lock:
                return fn(self._mem)
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            # A new thread, or a thread-local inherited across a fork: open our own
            # (never close an inherited one: that could unlock on the parent's behalf).
            local.db = self._connect()
            local.pid = os.getpid()
        return fn(local.db)

    def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn(db)`` in a transaction; return its result once committed (or raise its error)."""
        if self._mem is not None:
            with self._mem_lock:
                db = self._mem
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(db)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                return result
        return self._the_writer().submit(fn)

    def write_async(self, fn: Callable[[sqlite3.Connection], Any],
                    done: Callable[[Optional[BaseException]], Any]) -> None:
        """Like :meth:`write` without waiting: ``done(error or None)`` runs once committed.

        On disk ``done`` runs on the writer thread: keep it short (hand the
        rest to your own thread or loop)."""
        if self._mem is not None:
            try:
                self.write(fn)
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                done(exc)
            else:
                done(None)
            return
        self._the_writer().submit_async(fn, done)

    def _the_writer(self) -> "_Writer":
        with self._writer_lock:
            if self._writer is None or self._writer.pid != os.getpid():
                self._writer = _Writer(self._connect)
            return self._writer

    def stats(self) -> dict:
        """Writes so far in this process: jobs and the commits (fsyncs) they took."""
        writer = self._writer
        if writer is None or writer.pid != os.getpid():
            return {"jobs": 0, "commits": 0}
        return {"jobs": writer.jobs, "commits": writer.commits}

    def close(self) -> None:
        """Stop the writer (after what it was given) and close this thread's reader."""
        with self._writer_lock:
            if self._writer is not None and self._writer.pid == os.getpid():
                self._writer.stop()
                self._writer = None
        local = self._local
        if getattr(local, "pid", None) == os.getpid():
            local.db.close()
            local.pid = None

    # ----------------------------------------------------------------- realms
    def realm(self, name: str = realms.SERVER, *, seed: bool = True, world: Optional[World] = None):
        """The view of one realm, created (and seeded from the default world) on first use.

        ``world`` gives a realm other users than the store's world (the
        journey's sender domain, say); such a realm gets no sample mail.
        """
        if not isinstance(name, str) or not name or len(name) > realms.MAX_NAME:
            raise ValueError(f"bad realm name: {name!r}")
        with self._views_lock:
            view = self._views.get(name)
            now = time.time()
            if view is None:
                users = world or self.world
                self.write(lambda db: self._create_realm(db, name, seed and world is None, users))
                view = self._views[name] = Mailboxes(self, name, users)
                self._touched[name] = now
            elif now - self._touched.get(name, 0.0) > TOUCH_EVERY:
                self._touched[name] = now
                self.write(lambda db: db.execute("UPDATE realms SET used = ? WHERE name = ?", (now, name)))
            return view

    @property
    def server(self):
        """The realm the real TCP ports use."""
        return self.realm(realms.SERVER)

    def reset_realm(self, name: str, *, seed: bool = True) -> None:
        """Throw a realm's mail away and restore the default world (the learner's reset button)."""
        view = self._views.get(name)
        world = view.world if view is not None else self.world

        def reset(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM realms WHERE name = ?", (name,))
            self._create_realm(db, name, seed and world is self.world, world)
        self.write(reset)
        with self._locks_lock:
            for key in [k for k in self._locks if k[0] == name]:
                del self._locks[key]

    def drop_realm(self, name: str) -> None:
        """Forget a realm and all its mail (a connection's throw-away world)."""
        self.write(lambda db: db.execute("DELETE FROM realms WHERE name = ?", (name,)))
        with self._views_lock:
            self._views.pop(name, None)
        with self._locks_lock:
            for key in [k for k in self._locks if k[0] == name]:
                del self._locks[key]

    def expire_realms(self, prefix: str, unused_for: float, now: Optional[float] = None) -> list[str]:
        """Drop the realms named ``prefix...`` not used for ``unused_for`` seconds; returns their names.

        A classroom server lives for years and every new browser makes a
        learner copy; the ones nobody has opened for months go.
        """
        cutoff = (time.time() if now is None else now) - unused_for
        names = [r[0] for r in self.read(lambda db: db.execute(
            "SELECT name FROM realms WHERE used < ? AND substr(name, 1, ?) = ?",
            (cutoff, len(prefix), prefix)).fetchall())]
        for name in names:
            self.drop_realm(name)
        return names

    def realms(self) -> list[str]:
        return [r[0] for r in self.read(lambda db: db.execute("SELECT name FROM realms ORDER BY name").fetchall())]

    def _create_realm(self, db: sqlite3.Connection, name: str, seed: bool, world: World) -> None:
        if db.execute("SELECT 1 FROM realms WHERE name = ?", (name,)).fetchone():
            self._add_world_users(db, name, world)  # users added to the world since
            return
        db.execute("INSERT INTO realms (name, created, seeded, used) VALUES (?, ?, ?, ?)",
                   (name, time.time(), int(seed), time.time()))
        self._add_world_users(db, name, world)
        if seed and self.seed_file is not None and self.seed_file.exists():
            self._seed(db, name)

    def _add_world_users(self, db: sqlite3.Connection, realm: str, world: World) -> None:
        for login, user in world.users.items():
            db.execute("INSERT OR IGNORE INTO users (realm, login, name) VALUES (?, ?, ?)", (realm, login, user.name))
            if not db.execute("SELECT 1 FROM mailboxes WHERE realm = ? AND user = ? AND name = ?",
                              (realm, login, INBOX)).fetchone():
                insert_mailbox(db, realm, login, INBOX)

    def _seed(self, db: sqlite3.Connection, realm: str) -> None:
        """The sample folders and messages of seed.json (lecture section 6: MIME)."""
        assert self.seed_file is not None  # the caller checked
        seed = json.loads(self.seed_file.read_text(encoding="utf-8"))
        base = self.seed_file.parent
        for login, names in seed.get("folders", {}).items():
            if login not in self.world.users:
                continue
            for folder in names:
                for depth in range(1, len(folder.split(DELIMITER)) + 1):
                    part = DELIMITER.join(folder.split(DELIMITER)[:depth])
                    if not db.execute("SELECT 1 FROM mailboxes WHERE realm = ? AND user = ? AND name = ?",
                                      (realm, login, part)).fetchone():
                        insert_mailbox(db, realm, login, part)
        for item in seed.get("messages", []):
            login = item["user"]
            if login not in self.world.users:
                continue
            content = (base / item["file"]).read_bytes()
            box = db.execute("SELECT id, uidnext FROM mailboxes WHERE realm = ? AND user = ? AND name = ?",
                             (realm, login, normalize_mailbox(item.get("folder", INBOX)))).fetchone()
            when = datetime.fromisoformat(item["date"].replace("Z", "+00:00")).timestamp() if "date" in item \
                else time.time()
            insert_message(db, box, content, item.get("flags", ()), when,
                           mail_from=item.get("mail_from", ""), recipients=item.get("recipients"))

    # ------------------------------------------------------- POP3 maildrop locks
    def lock_maildrop(self, realm: str, login: str, owner: str) -> bool:
        with self._locks_lock:
            holder = self._locks.setdefault((realm, login), owner)
            return holder == owner

    def unlock_maildrop(self, realm: str, login: str, owner: str) -> None:
        with self._locks_lock:
            if self._locks.get((realm, login)) == owner:
                del self._locks[(realm, login)]


class _Writer:
    """The one thread that writes: runs jobs in groups, one commit per group."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]):
        self.pid = os.getpid()
        self._connect = connect
        self._queue: "queue.SimpleQueue[Optional[_Job]]" = queue.SimpleQueue()
        self.commits = 0  # transactions committed (each one fsync), for tests and benchmarks
        self.jobs = 0
        self._thread = threading.Thread(target=self._run, name="mailstore-writer", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        if threading.current_thread() is self._thread:  # a job that writes again: run it in place
            return fn(self._db)
        job = _Job(fn)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def submit_async(self, fn: Callable[[sqlite3.Connection], Any],
                     done: Callable[[Optional[BaseException]], Any]) -> None:
        job = _Job(fn)
        job.callback = done
        self._queue.put(job)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        self._db = db = self._connect()
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            jobs = [first]
            while len(jobs) < MAX_GROUP:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                jobs.append(job)
            self._run_group(db, jobs)
        db.close()

    def _run_group(self, db: sqlite3.Connection, jobs: list["_Job"]) -> None:
        try:
            db.execute("BEGIN IMMEDIATE")
            for job in jobs:
                db.execute("SAVEPOINT job")
                try:
                    job.result = job.fn(db)
                    db.execute("RELEASE job")
                except BaseException as exc:  # this job only: roll it back, keep the others
                    db.execute("ROLLBACK TO job")
                    db.execute("RELEASE job")
                    job.error = exc
            db.execute("COMMIT")
            self.commits += 1
            self.jobs += len(jobs)
        except BaseException as exc:  # the commit itself failed: nobody's write is on disk
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            for job in jobs:
                if job.error is None:
                    job.error = exc if isinstance(exc, Exception) else MailStoreError(str(exc))
        for job in jobs:
            job.done.set()
            if job.callback is not None:
                try:
                    job.callback(job.error)
                except Exception:  # noqa: BLE001 - one caller's bug must not stop the writer
                    logging.getLogger(__name__).exception("write callback failed")


class _Job:
    __slots__ = ("fn", "done", "result", "error", "callback")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any]):
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.callback: Optional[Callable[[Optional[BaseException]], Any]] = None


# The store's errors and folder names are defined with the schema; they are part of this module's interface too.
__all__ = ["MailStore", "LruCache", "MailStoreError", "NoSuchMailbox", "NoSuchMessage", "MailboxExists",
           "BadMailboxName", "CannotDelete", "INBOX", "DELIMITER"]
