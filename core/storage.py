"""The database: one SQLite file in the data folder, reached through sqlite-utils.

Choices, and why:

* **WAL journal** so the wall tablet's reads never wait for a phone's write.
* **synchronous=FULL**: a Raspberry Pi gets unplugged. In WAL mode ``NORMAL``
  survives a killed process but can lose the last commits on power loss;
  ``FULL`` adds one fsync per commit (well under a millisecond on an SSD, a few
  on an SD card) and keeps every commit the member saw succeed.
* **foreign_keys=ON** and a **busy timeout** on every connection.
* **secure_delete=ON** on every connection: a deleted row (a member's
  "forget") is zeroed in its page instead of lingering in free space, and
  :meth:`Storage.checkpoint` empties the WAL that still held it.
* **Private files** (:mod:`hearthside.datafolder`): the folder is tightened to
  0700/0600 at every start, and the database file is created 0600 before the
  first connect, so SQLite's ``-wal`` and ``-shm`` and every backup are too.
* **One connection per thread at a time**: a request borrows one from a small
  pool (:meth:`Storage.borrow`, :func:`hearthside.request_context.get_db`)
  and gives it back at its end; jobs and scripts open theirs with
  :meth:`Storage.connection`. Opening a connection costs a file open and four
  pragmas, on every request before the pool (issue 16, item 8). At most
  :data:`POOL_SIZE` idle connections are kept (each with SQLite's page cache,
  up to 2 MiB); never one that is in a transaction, has events or actions
  still queued, or that a time-boxed hook which overran may still be using.

The connection class itself - transactions, the write lock, events handed on
after the commit - is :mod:`hearthside.database`; ``Database``,
``StorageBusy``, ``row_or_none`` and ``one_row`` are importable from here too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlite_utils.migrations import Migrations

from .datafolder import FOLDER_MODE, DataFileDamaged, create_private_file, replacing, secure_data_folder
from .database import Database, StorageBusy, one_row, row_or_none, write_lock_for  # noqa: F401 - importable from here
from .errors import is_storage_full

log = logging.getLogger(__name__)

DATABASE_NAME = "hearthside.db"
POOL_SIZE = 8


class DatabaseDamaged(DataFileDamaged):
    """The database file has lost its data or fails SQLite's check: serving it would hide or spread the loss."""


class Storage:
    """Opens connections to the database file with the project's pragmas."""

    def __init__(self, data_dir: Path, busy_timeout_ms: int = 5000, after_commit: Callable | None = None,
                 in_order: Callable | None = None, event_types=None):
        self.data_dir = Path(data_dir)
        self.event_types = event_types
        self.in_order = in_order
        self.path = self.data_dir / DATABASE_NAME
        self.backups_dir = self.data_dir / "backups"
        self.busy_timeout_ms = busy_timeout_ms
        self.after_commit = after_commit
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        secure_data_folder(self.data_dir)
        # Found empty, not made empty here: SQLite would take it for a fresh install.
        self.found_empty = self.path.is_file() and self.path.stat().st_size == 0
        create_private_file(self.path)
        self.write_lock = write_lock_for(self.path)
        self._idle: list[Database] = []
        self._idle_lock = threading.Lock()
        self._idle_pid = os.getpid()  # a connection never crosses a fork (gunicorn builds the app first)
        self._keeper = None
        if self.found_empty:
            return  # left untouched: refuse_if_damaged says so before serving; a restore may fill it
        try:
            with self.connection() as db:
                db.execute("PRAGMA journal_mode=WAL")  # persistent: set once, kept in the file
        except sqlite3.OperationalError:
            raise  # not damage: a full disk, a read-only folder or a lock, each reported as such
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise DatabaseDamaged(f"{self.path} is not a SQLite database") from None
            raise DatabaseDamaged(f"{self.path} is damaged ({exc})") from None
        self._keeper = self._hold_wal_open()

    def refuse_if_damaged(self) -> None:
        """Raise :class:`DatabaseDamaged` for a database that lost its data or fails SQLite's quick check.

        Called before serving: a zero-byte file would otherwise be migrated
        into a fresh, empty install, and a damaged one served and written to,
        both hiding what was lost until someone looks for it.
        """
        if self.found_empty:
            raise DatabaseDamaged(f"{self.path} is empty (0 bytes)")
        try:
            with self.connection() as db:
                problem = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        except sqlite3.OperationalError:
            raise  # not damage: a full disk or a lock, reported as such by the caller
        except sqlite3.DatabaseError as exc:
            problem = str(exc)  # "database disk image is malformed": too damaged even to check
        if problem != "ok":
            problem = " ".join(problem.replace("*** in database main ***", "").split())  # one line
            raise DatabaseDamaged(f"{self.path} failed SQLite's quick check ({problem})")

    def _hold_wal_open(self) -> sqlite3.Connection:
        """Keep one idle connection open for as long as this storage lives.

        When the last connection to a WAL database closes, SQLite checkpoints and
        deletes the ``-wal`` and ``-shm`` files, and the next connection has to
        create them again. On a full disk it cannot, and then even *reads* fail
        ("disk I/O error"). With this connection open the files stay, so a full
        disk stops writes only (answered 507) while members can still read.
        It never holds a transaction, so it blocks neither writers nor checkpoints.
        """
        keeper = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        keeper.execute("PRAGMA secure_delete=ON")
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the WAL index
        return keeper

    def close(self) -> None:
        """Let go of the pooled connections and the one that keeps the WAL files (see :meth:`_hold_wal_open`)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()
        if self._keeper is not None:
            self._keeper.close()

    def borrow(self) -> Database:
        """A connection for one request: an idle one from the pool, or a new one. Give it back when done."""
        with self._idle_lock:
            if self._idle_pid != os.getpid():
                self._idle, self._idle_pid = [], os.getpid()  # the parent's: never used here
            if self._idle:
                return self._idle.pop()
        return self.connect()

    def give_back(self, db: Database) -> None:
        """Keep a request's connection for the next request if it is clean and the pool has room; else close it."""
        if db.reusable and not db.conn.in_transaction and not db.pending_events and not db.has_queued_actions():
            with self._idle_lock:
                if len(self._idle) < POOL_SIZE and self._idle_pid == os.getpid():
                    self._idle.append(db)
                    return
        db.close()

    def connect(self) -> Database:
        """A new connection for the calling thread; the caller closes it."""
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_ms / 1000,
            isolation_level=None,  # no implicit BEGINs: atomic() opens every transaction
            # A time-boxed plugin hook (hearthside.timebox) uses its caller's connection from a
            # helper thread while the caller waits; never two threads at once, unless one overran.
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA secure_delete=ON")
        return Database(conn, after_commit=self.after_commit, write_lock=self.write_lock,
                        lock_timeout=self.busy_timeout_ms / 1000, in_order=self.in_order, data_dir=self.data_dir,
                        event_types=self.event_types)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Database]:
        db = self.connect()
        try:
            yield db
        finally:
            db.close()

    def is_empty(self) -> bool:
        with self.connection() as db:
            return not db.table_names()

    def backup(self, destination: Path) -> Path:
        """Write a consistent copy while the server runs (SQLite's online backup API).

        The copy is written as ``<name>.partial``, flushed to the disk, and only
        then renamed: a backup that failed half-way (a full disk, a crash) never
        carries the real name, and the partial file is removed on failure.
        """
        destination = Path(destination)
        with replacing(destination) as partial, self.connection() as db:
            target = sqlite3.connect(partial)
            try:
                db.conn.backup(target)
            finally:
                target.close()
        return destination

    def checkpoint(self, attempts: int = 3, wait_ms: int = 1000) -> bool:
        """Copy the WAL into the database file and empty it (``wal_checkpoint(TRUNCATE)``).

        After a forget the WAL still holds the pages as they were before the
        deletion; truncating it leaves the member's words in no file. It needs
        no reader holding an older snapshot: the keeper connection never holds
        one, a request's may for a moment, so a busy answer is retried briefly.
        Returns whether the WAL was emptied; if not, says so in the log.
        """
        with self.connection() as db:
            db.execute(f"PRAGMA busy_timeout={int(wait_ms)}")  # a member is waiting for their answer
            for attempt in range(attempts):
                busy, _frames, _done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return True
                time.sleep(0.05 * (attempt + 1))
        log.warning("Could not empty the database's WAL file (%s-wal): another connection was reading. "
                    "It is emptied at the latest when the server stops", self.path.name)
        return False

    def automatic_backup(self, reason: str, keep: int) -> Path:
        """Back up before a risky step; only the newest ``keep`` automatic backups stay.

        Automatic backups are named ``hearthside-<UTC stamp>-auto-<reason>.db``;
        pruning never touches any other file (a member's manual backups are theirs).
        """
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.backup(self.backups_dir / f"{DATABASE_NAME[:-3]}-{stamp}-auto-{reason}.db")
        self._prune_backups(keep)
        return path

    def _prune_backups(self, keep: int) -> None:
        automatic = sorted(self.backups_dir.glob(f"{DATABASE_NAME[:-3]}-*-auto-*.db"))
        for old in automatic[:-keep]:
            old.unlink(missing_ok=True)

    def restore_from(self, source: Path, keep: int) -> Path | None:
        """Copy a validated backup over the database; the current one is kept first.

        Uses the backup API in reverse, so the WAL and the live file stay
        consistent. Returns where the previous database was kept, if it had data.
        """
        kept = None if self.is_empty() else self.automatic_backup("before-restore", keep)
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            with self.connection() as db:
                origin.backup(db.conn)
        finally:
            origin.close()
        return kept

    def _backup_before_migrations(self, keep: int) -> Path:
        """Never migrate without the backup: on failure say why plainly, and migrate nothing."""
        try:
            return self.automatic_backup("before-migrations", keep)
        except (sqlite3.Error, OSError) as exc:
            why = "there is not enough free space" if is_storage_full(exc) else f"it failed ({exc})"
            raise BackupFailed(
                f"Could not back up the database in {self.backups_dir} before applying migrations: {why}. "
                "No migration was applied and the database is unchanged; free some space and start again."
            ) from exc

    def pending_migrations(self, migration_sets: Iterable[Migrations]) -> list[tuple[Migrations, str]]:
        with self.connection() as db:
            return [(migrations, m.name) for migrations in migration_sets for m in migrations.pending(db)]

    def apply_migrations(self, migration_sets: Iterable[Migrations], keep_backups: int = 10) -> list[str]:
        """Apply every pending migration, each in its own transaction.

        When anything is pending and the database already holds data, an online
        backup is taken first, so an upgrade that goes wrong can be undone with
        ``hearthside restore``. Returns ``"set:name"`` for each migration applied.
        """
        migration_sets = list(migration_sets)
        pending = self.pending_migrations(migration_sets)
        if not pending:
            return []
        if not self.is_empty():
            backup = self._backup_before_migrations(keep_backups)
            log.info("Backed up the database to %s before applying %d migration(s)", backup, len(pending))
        applied = []
        with self.connection() as db:
            for index, (migrations, name) in enumerate(pending):
                # The list is in order: the same set's later entries are the ones still to run.
                later = [other for owner, other in pending[index + 1:] if owner is migrations]
                started = time.perf_counter()
                with db.atomic():
                    migrations.apply(db, stop_before=later)
                applied.append(f"{migrations.name}:{name}")
                log.info("Applied migration %s:%s in %.0f ms", migrations.name, name,
                         (time.perf_counter() - started) * 1000)
        return applied


class BackupFailed(RuntimeError):
    """The backup before migrations could not be written, so no migration was applied."""


def newest_backup(backups_dir: Path) -> Path | None:
    """The most recently written backup in ``backups_dir`` (a bundle or an old .db), if any."""
    found = [path for pattern in ("*.hsb", "*.db") for path in Path(backups_dir).glob(pattern)]
    return max(found, key=lambda path: path.stat().st_mtime, default=None)


def set_aside_damaged(data_dir: Path) -> Path:
    """Move a damaged database (and its -wal and -shm) into ``backups/``, kept, out of the way of a restore."""
    backups = Path(data_dir) / "backups"
    backups.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    kept = backups / f"damaged-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(data_dir) / (DATABASE_NAME + suffix)
        if source.exists():
            source.rename(kept.with_name(kept.name + suffix))
    return kept


def validate_database_file(path: Path) -> str | None:
    """Why ``path`` is not a usable Hearthside database, or None if it is."""
    if not Path(path).is_file():
        return f"{path} does not exist or is not a file"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"{path} is not a SQLite database ({exc})"
    if result != "ok":
        return f"{path} failed SQLite's integrity check: {result}"
    if "_sqlite_migrations" not in tables:
        return f"{path} is a SQLite database but not a Hearthside one (it has no migrations table)"
    return None
