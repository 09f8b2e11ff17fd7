"""A time-boxed call that overran can no longer touch its caller's database connection.

A hook on a request path gets the request's connection and runs on a time
box's helper thread while the request waits (:mod:`hearthside.timebox`);
connections are opened with ``check_same_thread=False`` for exactly that. If
the call overruns, the request goes on without it - and the call, still
running, must not go on with the request's connection: it could write into
the request's later transaction, commit or roll it back, or reach a later
request through a connection used again. :func:`call_fenced` prevents it:

* The call gets its own handle on each connection it is given (a copy of the
  caller's :class:`~hearthside.database.Database`, same connection, its own
  queue of events and commit actions): what it queues joins the caller's
  only when it answers in time, so a late call cannot add to or cut the
  caller's queue either.
* When the caller is in a transaction, the call runs inside a savepoint: if
  it overruns (or raises), what it wrote is undone, with the events it
  queued, and the caller's transaction goes on without it.
* Once it overran, an SQLite authorizer on every connection it could reach
  (the ones it was given, and the request's own, even one it opened itself)
  refuses every statement from its helper thread - reads, writes, BEGIN,
  COMMIT - until the call ends. Setting an authorizer makes SQLite prepare
  every statement again, so one the call had already prepared is refused too.
* A transaction the call opened on such a connection is rolled back.

Python cannot stop the thread itself. A call that hangs inside a write
transaction it opened keeps the process's write lock until it ends, so other
writes wait and are answered 503 after the busy timeout: hooks must not wait
on anything outside the database inside ``db.atomic()``.
"""

from __future__ import annotations

import contextlib
import copy
import sqlite3
import threading
import weakref
from typing import Any, Callable, Iterable

from .timebox import Outcome, Overran, TimeBox

# Per database object: the overran calls fenced off it (a sqlite3.Connection takes no weak reference).
_fenced: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_fenced_guard = threading.Lock()


def call_fenced(box: TimeBox, function: Callable[..., Any], args: Iterable[Any],
                reachable: Callable[[], list]) -> Any:
    """``box.call(function, *args)``, fencing the databases ``reachable()`` names if it overruns.

    ``reachable`` is asked before the call and again after an overrun (the call
    may have opened the request's connection itself).
    """
    before = {id(db): db.conn.in_transaction for db in reachable()}
    handles = {id(db): (db, _handle(db)) for db in reachable() if hasattr(db, "pending_events")}
    with contextlib.ExitStack() as savepoints:
        for db in reachable():
            if before[id(db)]:
                savepoints.enter_context(db.atomic())  # a savepoint inside the caller's transaction
        try:
            result = box.call(function, *[handles[id(arg)][1] if id(arg) in handles else arg for arg in args])
            for db, handle in handles.values():  # in time: what it queued joins the caller's queue
                db.pending_events.extend(handle.pending_events)
                db._on_commit.extend(handle._on_commit)
            return result
        except Overran as exc:
            for db in reachable():
                fence(db, exc.outcome)
                if not before.get(id(db)) and db.conn.in_transaction:
                    _roll_back_theirs(db)
            raise


def _handle(db):
    """The call's own handle on ``db``: the same connection, empty queues of its own."""
    handle = copy.copy(db)
    handle.pending_events, handle._on_commit = [], []
    return handle


def fence(db, outcome: Outcome) -> None:
    """Refuse every statement on ``db`` from the thread running ``outcome``'s call until it has ended."""
    with _fenced_guard:
        calls = _fenced.get(db)
        if calls is None:
            calls = _fenced[db] = []
        calls[:] = [call for call in calls if not call.finished] + [outcome]

    def authorize(*_action) -> int:
        me = threading.get_ident()
        refused = any(call.thread == me and not call.finished for call in calls)
        return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

    db.conn.set_authorizer(authorize)  # also expires every prepared statement: each is checked again


def _roll_back_theirs(db) -> None:
    """Undo the transaction the overran call opened, with what it queued for the commit."""
    abandon = getattr(db, "_abandon", None)  # hearthside.database.Database: its events and actions too
    if abandon is not None:
        abandon()
    else:
        db.conn.rollback()
