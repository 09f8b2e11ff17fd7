"""One connection to the database: transactions, the process's write lock, events after the commit.

Split from :mod:`hearthside.storage`, which opens these connections with the
project's pragmas and owns the file. Choices, and why:

* **Every write transaction starts with BEGIN IMMEDIATE.** A plain ``BEGIN``
  takes the write lock only at the first write; if another connection wrote in
  between, SQLite cannot wait and fails at once with "database is locked".
  :meth:`Database.atomic` is the one helper that opens transactions, and
  sqlite-utils' own writes go through it too.
* **Writers queue on a lock in the process first.** SQLite's busy handler
  sleeps and retries, so under many writers a request can lose every retry
  and fail after the whole busy timeout while others get through ("database
  is locked": 14% of requests answered 500 under 50 writers, issue 16). A
  lock per database file in the process hands the write lock over in turn,
  first come first served (:class:`~hearthside.fair_lock.FairLock`); only a
  wait longer than the busy timeout fails, as :class:`StorageBusy`, which the
  API answers 503 with ``Retry-After`` - never 500.
* **Nothing but the transaction under the lock.** Events go to the live hub's
  queue under it (that keeps their order) and are sent to the sockets after
  it is released; plugins' reactions run after it too.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

from .errors import NotFound
from .fair_lock import FairLock

log = logging.getLogger(__name__)


class StorageBusy(sqlite3.OperationalError):
    """Another write held the database for longer than the busy timeout; nothing was written.

    It carries SQLite's own busy code, so whoever tells a busy database from
    other failures (:func:`hearthside.errors.is_busy`) knows it without
    importing this module.
    """

    sqlite_errorcode = sqlite3.SQLITE_BUSY
    sqlite_errorname = "SQLITE_BUSY"


_write_locks: dict[Path, FairLock] = {}
_write_locks_guard = threading.Lock()


def write_lock_for(path: Path) -> FairLock:
    """The one write lock of this process for the database file at ``path``.

    Re-entrant, so a thread that opens a second connection while writing
    waits in SQLite (as it did before) instead of on itself.
    """
    key = Path(path).resolve()
    with _write_locks_guard:
        return _write_locks.setdefault(key, FairLock())


class Database(sqlite_utils.Database):
    """A sqlite-utils database whose outermost transaction is ``BEGIN IMMEDIATE``.

    Events emitted inside a transaction are queued on the connection and handed
    on once the COMMIT succeeded, never before and never after a rollback, so
    nobody is told about a change that did not happen: first to ``in_order``
    while the write lock is still held - commits, and so event ids, follow the
    lock, so whatever ``in_order`` does (the live hub) sees ids in order across
    threads - then, with the lock released, to ``after_commit`` (plugins'
    reactions, which may take longer and write).
    """

    def __init__(self, conn: sqlite3.Connection, after_commit: Callable[["Database", list], None] | None = None,
                 write_lock: FairLock | None = None, lock_timeout: float = 5.0,
                 in_order: Callable[[list], None] | None = None, data_dir: Path | None = None,
                 event_types=None):
        super().__init__(conn, execute_plugins=False)
        self.after_commit = after_commit
        self.in_order = in_order
        # The data folder this database lives in (None for a file elsewhere, e.g. a backup
        # being cleared): where the forget ledger is kept (hearthside.ledger).
        self.data_dir = data_dir
        # The app's declared event types (hearthside.events.EventTypes): what emit() may write here.
        self.event_types = event_types
        self.pending_events: list = []
        self._on_commit: list[Callable[[], None]] = []
        self.write_lock = write_lock or FairLock()
        self.lock_timeout = lock_timeout
        # False once a time-boxed hook overran while holding it: it may still be using it, so the
        # pool (hearthside.storage.Storage.give_back) closes it instead of lending it again.
        self.reusable = True

    def query(self, sql: str, params=None):
        """Rows as dicts, like sqlite-utils' ``query``, but a ``SELECT`` runs as it is.

        sqlite-utils wraps every query in a savepoint, so that a statement
        which returns no rows can be rejected and rolled back: two statements
        more per read, and most reads of a request are SELECTs (issue 16,
        item 8: a pause request went from 32 statements to 14). Anything
        else still goes through sqlite-utils' guard.
        """
        if not sql.lstrip()[:6].upper() == "SELECT":
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = [column[0] for column in cursor.description]
        return (dict(zip(keys, row)) for row in cursor)

    @contextlib.contextmanager
    def atomic(self, wait: bool = True) -> Iterator["Database"]:
        """A transaction: ``BEGIN IMMEDIATE`` after this process's write lock, or a savepoint inside one.

        ``wait=False`` gives up at once if another write is under way (raising
        :class:`StorageBusy`): for writes that are worth skipping, not waiting for.
        """
        if self.conn.in_transaction:
            # A savepoint inside the outer transaction. If it rolls back, so do
            # the events emitted inside it: they describe changes undone.
            queued, waiting = len(self.pending_events), len(self._on_commit)
            try:
                with super().atomic():
                    yield self
            except BaseException:
                del self.pending_events[queued:]
                del self._on_commit[waiting:]
                raise
            return
        if not self.write_lock.acquire(timeout=self.lock_timeout if wait else 0):
            raise StorageBusy("another write held the database for longer than the busy timeout")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._abandon()
                raise
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                # e.g. SQLITE_FULL while writing the WAL: SQLite may already have
                # rolled back; either way nothing of this transaction stays.
                self._abandon()
                raise
            if self.pending_events and self.in_order is not None:
                self.in_order(self.pending_events)
        finally:
            self.write_lock.release()
        self._deliver_committed_events()
        self._run_on_commit()

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the outermost transaction has committed; never if it rolls back.

        For what must not outlive a rollback but cannot live in the database:
        the forget ledger is a file beside it. Outside a transaction, at once.
        """
        if self.conn.in_transaction:
            self._on_commit.append(action)
        else:
            action()

    def has_queued_actions(self) -> bool:
        return bool(self._on_commit)

    def _run_on_commit(self) -> None:
        actions, self._on_commit = self._on_commit, []
        for action in actions:
            action()

    def _abandon(self) -> None:
        """Roll back after a failure without hiding it: the caller re-raises the original error.

        On a full or failing disk the ROLLBACK itself can fail; the error that
        caused it is the one worth reporting, and SQLite rolls back on close.
        """
        self.pending_events.clear()
        self._on_commit.clear()
        try:
            self.rollback()
        except sqlite3.Error as exc:
            log.warning("Rolling back failed too (%s); the connection will roll back when closed", exc)

    def _deliver_committed_events(self) -> None:
        events, self.pending_events = self.pending_events, []
        if events and self.after_commit is not None:
            self.after_commit(self, events)


def row_or_none(db, sql: str, params=()) -> dict | None:
    """The first row the query answers, or None when it answers none.

    The one way to read "this row, if it exists"; add ``LIMIT 1`` or query a
    unique key so there is one to take.
    """
    return next(iter(db.query(sql, params)), None)


def one_row(db, sql: str, params, missing: NotFound) -> dict:
    """The first row the query answers, or raise ``missing`` (a :class:`~hearthside.errors.NotFound`).

    Query by the couple as well as the id, so another couple's id is missing too:
    ``one_row(db, "SELECT * FROM t WHERE id = ? AND couple_id = ?", [id, couple_id],
    NotFound("thing_not_found", "There is no thing with that id."))``.
    """
    row = row_or_none(db, sql, params)
    if row is None:
        raise missing
    return row
