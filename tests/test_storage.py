"""Storage: pragmas, BEGIN IMMEDIATE, concurrent writers, migrations, backups,
and events that exist only when their transaction commits."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlite_utils.migrations import Migrations

from hearthside.errors import is_busy
from hearthside.events import emit
from hearthside.migrations import migrations as core_migrations
from hearthside.storage import Storage, StorageBusy, validate_database_file
from tests.support.event_types import declared


@pytest.fixture
def delivered():
    return []


@pytest.fixture
def storage(tmp_path, delivered) -> Storage:
    """A bare storage with the core tables, recording what after_commit receives."""
    storage = Storage(tmp_path / "data", after_commit=lambda db, events: delivered.extend(events),
                      event_types=declared())
    storage.apply_migrations([core_migrations])
    return storage


def counters_table(storage: Storage) -> None:
    with storage.connection() as db, db.atomic():
        db.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        db.execute("INSERT INTO counters VALUES ('shared', 0)")


# -- connections -----------------------------------------------------------


def pragmas(db) -> dict:
    return {name: db.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}


def test_every_connection_has_the_pragmas(tmp_path):
    storage = Storage(tmp_path / "data", busy_timeout_ms=2500)
    expected = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 2500, "synchronous": 2}  # 2 = FULL
    seen = []

    def in_thread():
        with storage.connection() as db:
            seen.append(pragmas(db))

    with storage.connection() as db:
        seen.append(pragmas(db))
    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [expected, expected]


def test_foreign_keys_are_enforced(storage):
    with storage.connection() as db:
        with db.atomic():
            db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            db.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            with db.atomic():
                db.execute("INSERT INTO child (parent_id) VALUES (42)")


# -- transactions ----------------------------------------------------------


def traced(db) -> list[str]:
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    return statements


def test_atomic_begins_immediate_and_nests_with_a_savepoint(storage):
    counters_table(storage)
    with storage.connection() as db:
        statements = traced(db)
        with db.atomic():
            db.execute("UPDATE counters SET value = 1")
            with db.atomic():
                db.execute("UPDATE counters SET value = 2")
        db.conn.set_trace_callback(None)
        assert statements[0] == "BEGIN IMMEDIATE"
        assert statements[-1] == "COMMIT"
        assert any(s.startswith("SAVEPOINT") for s in statements)
        assert any(s.startswith("RELEASE SAVEPOINT") for s in statements)
        assert statements.count("BEGIN IMMEDIATE") == 1
        assert not any(s.strip().upper() in ("BEGIN", "BEGIN DEFERRED", "BEGIN;") for s in statements)
        assert db.execute("SELECT value FROM counters").fetchone()[0] == 2


def test_sqlite_utils_own_writes_begin_immediate(storage):
    with storage.connection() as db:
        statements = traced(db)
        db["notes"].insert({"id": 1, "text": "hello"}, pk="id")
        db["notes"].upsert({"id": 1, "text": "hello again"}, pk="id")
        db.conn.set_trace_callback(None)
    begins = [s for s in statements if s.strip().upper().startswith("BEGIN")]
    assert begins and all(s == "BEGIN IMMEDIATE" for s in begins)


def test_failed_nested_block_rolls_back_only_its_savepoint(storage):
    counters_table(storage)
    with storage.connection() as db:
        with db.atomic():
            db.execute("UPDATE counters SET value = 1")
            with pytest.raises(ZeroDivisionError):
                with db.atomic():
                    db.execute("UPDATE counters SET value = 99")
                    1 / 0
        assert db.execute("SELECT value FROM counters").fetchone()[0] == 1


def test_concurrent_read_then_write_transactions_never_lock(storage):
    """8 threads x 50 read-then-write transactions: no "database is locked", no lost update."""
    counters_table(storage)
    threads, rounds = 8, 50
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def worker(n: int) -> None:
        mine = f"thread-{n}"
        try:
            with storage.connection() as db:  # one connection per thread, never shared
                with db.atomic():
                    db.execute("INSERT INTO counters VALUES (?, 0)", [mine])
                start.wait()
                for _ in range(rounds):
                    with db.atomic():
                        shared = db.execute("SELECT value FROM counters WHERE name = 'shared'").fetchone()[0]
                        own = db.execute("SELECT value FROM counters WHERE name = ?", [mine]).fetchone()[0]
                        db.execute("UPDATE counters SET value = ? WHERE name = 'shared'", [shared + 1])
                        db.execute("UPDATE counters SET value = ? WHERE name = ?", [own + 1, mine])
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    assert errors == []
    with storage.connection() as db:
        counts = dict(db.execute("SELECT name, value FROM counters").fetchall())
    assert counts.pop("shared") == threads * rounds
    assert counts == {f"thread-{n}": rounds for n in range(threads)}


def test_plain_deferred_begin_read_then_write_fails_at_once(storage):
    """Why atomic() uses BEGIN IMMEDIATE: a deferred reader cannot wait to become a writer."""
    counters_table(storage)
    first, second = storage.connect(), storage.connect()
    try:
        first.execute("BEGIN")  # deferred: takes the write lock only at the first write
        value = first.execute("SELECT value FROM counters WHERE name = 'shared'").fetchone()[0]
        with second.atomic():
            second.execute("UPDATE counters SET value = value + 1 WHERE name = 'shared'")
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            first.execute("UPDATE counters SET value = ? WHERE name = 'shared'", [value + 1])
        assert time.monotonic() - started < 1, "the busy timeout (5 s) cannot help a stale reader"
        first.rollback()
        # The same interleaving through atomic(): the second writer waits its turn.
        with first.atomic():
            value = first.execute("SELECT value FROM counters WHERE name = 'shared'").fetchone()[0]
            waiter = threading.Thread(target=lambda: _increment(storage))
            waiter.start()
            time.sleep(0.2)
            first.execute("UPDATE counters SET value = ? WHERE name = 'shared'", [value + 1])
        waiter.join(timeout=10)
        assert first.execute("SELECT value FROM counters WHERE name = 'shared'").fetchone()[0] == 3
    finally:
        first.close()
        second.close()


def _increment(storage: Storage) -> None:
    with storage.connection() as db, db.atomic():
        value = db.execute("SELECT value FROM counters WHERE name = 'shared'").fetchone()[0]
        db.execute("UPDATE counters SET value = ? WHERE name = 'shared'", [value + 1])


# -- migrations ------------------------------------------------------------


def notes_migrations(*extra: str, fail_at: str | None = None, calls: list | None = None) -> Migrations:
    """A plugin's migration set: 0001 creates ``notes``; each extra name adds a column."""
    calls = [] if calls is None else calls
    migrations = Migrations("notes")

    @migrations(name="0001_notes")
    def create(db):
        calls.append("0001_notes")
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")

    for name in extra:
        def add_column(db, name=name):
            calls.append(name)
            db.execute(f"ALTER TABLE notes ADD COLUMN c_{name} TEXT")
            if name == fail_at:
                raise RuntimeError(f"{name} is broken")
        migrations(name=name)(add_column)
    return migrations


def applied_names(storage: Storage, set_name: str = "notes") -> list[str]:
    with storage.connection() as db:
        return [row["name"] for row in db.query(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", [set_name])]


def backups(storage: Storage) -> list[Path]:
    return sorted(storage.backups_dir.glob("*.db")) if storage.backups_dir.exists() else []


def test_fresh_database_gets_every_migration_and_no_backup(tmp_path):
    storage = Storage(tmp_path / "data")
    applied = storage.apply_migrations([core_migrations, notes_migrations("0002_mood")])
    assert applied[-2:] == ["notes:0001_notes", "notes:0002_mood"]
    assert applied[0] == "core:0001_events"
    with storage.connection() as db:
        assert {"events", "scheduler_runs", "notes"} <= set(db.table_names())
        assert "c_0002_mood" in db["notes"].columns_dict
    assert backups(storage) == []  # nothing to lose on a fresh database


def test_upgrade_runs_only_the_new_migration(tmp_path):
    storage = Storage(tmp_path / "data")
    calls: list[str] = []
    assert storage.apply_migrations([notes_migrations(calls=calls)]) == ["notes:0001_notes"]
    # The plugin's next release adds a migration.
    assert storage.apply_migrations([notes_migrations("0002_mood", calls=calls)]) == ["notes:0002_mood"]
    assert calls == ["0001_notes", "0002_mood"]
    assert applied_names(storage) == ["0001_notes", "0002_mood"]


def test_rerun_is_a_no_op(tmp_path):
    storage = Storage(tmp_path / "data")
    calls: list[str] = []
    storage.apply_migrations([notes_migrations("0002_mood", calls=calls)])
    with storage.connection() as db, db.atomic():
        db["notes"].insert({"text": "keep me"})
    assert storage.apply_migrations([notes_migrations("0002_mood", calls=calls)]) == []
    assert calls == ["0001_notes", "0002_mood"]
    assert backups(storage) == []  # nothing pending: no backup either
    with storage.connection() as db:
        assert [row["text"] for row in db["notes"].rows] == ["keep me"]


def test_failing_migration_rolls_back_and_stays_pending(tmp_path):
    storage = Storage(tmp_path / "data")
    failing = notes_migrations("0002_mood", "0003_broken", "0004_after", fail_at="0003_broken")
    with pytest.raises(RuntimeError, match="0003_broken is broken"):
        storage.apply_migrations([failing])
    assert applied_names(storage) == ["0001_notes", "0002_mood"]
    with storage.connection() as db:
        columns = set(db["notes"].columns_dict)
        assert "c_0002_mood" in columns
        assert "c_0003_broken" not in columns  # its ALTER TABLE was rolled back
        assert "c_0004_after" not in columns  # later migrations did not run
        assert [m.name for m in failing.pending(db)] == ["0003_broken", "0004_after"]
    # Once the plugin is fixed, the rest applies.
    fixed = notes_migrations("0002_mood", "0003_broken", "0004_after")
    assert storage.apply_migrations([fixed]) == ["notes:0003_broken", "notes:0004_after"]


def test_backup_is_written_before_migrations_on_a_database_with_data(tmp_path):
    storage = Storage(tmp_path / "data")
    storage.apply_migrations([notes_migrations()])
    with storage.connection() as db, db.atomic():
        db["notes"].insert({"text": "before the upgrade"})
    assert backups(storage) == []
    storage.apply_migrations([notes_migrations("0002_mood")])
    [backup] = backups(storage)
    assert backup.parent == tmp_path / "data" / "backups"
    assert validate_database_file(backup) is None
    saved = sqlite3.connect(backup)
    try:
        assert saved.execute("SELECT text FROM notes").fetchall() == [("before the upgrade",)]
        columns = [row[1] for row in saved.execute("PRAGMA table_info(notes)")]
        assert "c_0002_mood" not in columns  # the state before the migration
    finally:
        saved.close()


def test_old_automatic_backups_are_pruned_but_manual_ones_kept(tmp_path):
    storage = Storage(tmp_path / "data")
    storage.apply_migrations([notes_migrations()])
    manual = storage.backup(storage.backups_dir / "hearthside-20240101T000000Z-manual.db")
    names = []
    for n in range(2, 7):
        names.append(f"{n:04d}_step")
        storage.apply_migrations([notes_migrations(*names)], keep_backups=3)
    automatic = [path for path in backups(storage) if path != manual]
    assert len(automatic) == 3
    assert manual.exists()
    # the three kept are the newest: the last one predates only 0006_step
    newest = sqlite3.connect(automatic[-1])
    try:
        columns = [row[1] for row in newest.execute("PRAGMA table_info(notes)")]
    finally:
        newest.close()
    assert "c_0005_step" in columns and "c_0006_step" not in columns


# -- online backup ---------------------------------------------------------


def test_online_backup_while_a_write_transaction_is_open(storage, tmp_path):
    with storage.connection() as db, db.atomic():
        db["notes"].insert_all([{"id": n, "text": f"committed {n}"} for n in range(100)], pk="id")
    writer = storage.connect()
    try:
        with writer.atomic():
            writer["notes"].insert_all([{"id": n, "text": "not yet"} for n in range(100, 200)])
            started = time.monotonic()
            path = storage.backup(tmp_path / "out" / "copy.db")
            assert time.monotonic() - started < 2  # a reader never waits for the writer
        assert validate_database_file(path) is None
        copy = sqlite3.connect(path)
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("SELECT count(*) FROM notes").fetchone()[0] == 100
            assert copy.execute("SELECT count(*) FROM notes WHERE text = 'not yet'").fetchone()[0] == 0
        finally:
            copy.close()
        assert not (tmp_path / "out" / "copy.db.partial").exists()
    finally:
        writer.close()
    with storage.connection() as db:  # the writer's commit went through after the backup
        assert db["notes"].count == 200


# -- events only exist when their transaction commits ---------------------


def test_events_of_a_rolled_back_transaction_are_never_delivered(storage, delivered):
    with storage.connection() as db:
        with pytest.raises(RuntimeError):
            with db.atomic():
                emit(db, "test.started", 1, {"minutes": 20}, visibility="couple")
                raise RuntimeError("the change failed")
        with db.atomic():
            pass  # a later, empty commit must not deliver the earlier event
        assert db["events"].count == 0
    assert delivered == []


def test_events_of_a_rolled_back_savepoint_are_not_delivered(storage, delivered):
    with storage.connection() as db:
        with db.atomic():
            kept = emit(db, "test.ritual_done", 1, visibility="couple")
            with pytest.raises(RuntimeError):
                with db.atomic():
                    emit(db, "test.ritual_undone", 1, visibility="couple")
                    raise RuntimeError("inner step failed")
        assert [row["type"] for row in db["events"].rows] == ["test.ritual_done"]
    assert delivered == [kept]


def test_on_commit_runs_after_the_outermost_commit_and_never_after_a_rollback(storage):
    ran = []
    with storage.connection() as db:
        with db.atomic():
            with db.atomic():
                db.on_commit(lambda: ran.append("inner"))
            assert ran == []  # the savepoint released; the transaction has not committed yet
        assert ran == ["inner"]
        with pytest.raises(RuntimeError):
            with db.atomic():
                db.on_commit(lambda: ran.append("rolled back"))
                raise RuntimeError("the change failed")
        with db.atomic():
            with pytest.raises(RuntimeError):
                with db.atomic():
                    db.on_commit(lambda: ran.append("savepoint rolled back"))
                    raise RuntimeError("inner step failed")
            db.on_commit(lambda: ran.append("kept"))
        db.on_commit(lambda: ran.append("outside a transaction"))
    assert ran == ["inner", "kept", "outside a transaction"]


def test_events_are_delivered_only_after_commit(storage, delivered):
    seen_by_other_connection = []

    def check(db, events):
        with storage.connection() as other:  # committed: another connection sees the row
            seen_by_other_connection.append(other["events"].count)

    storage.after_commit = check
    with storage.connection() as db, db.atomic():
        emit(db, "test.started", 1, visibility="dashboard")
        with storage.connection() as other:
            assert other["events"].count == 0  # not before COMMIT
        assert seen_by_other_connection == []
    assert seen_by_other_connection == [1]


def test_failed_commit_delivers_nothing(storage, delivered):
    """A COMMIT that fails (here a deferred foreign key) rolls back and tells no one."""
    with storage.connection() as db:
        with db.atomic():
            db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            db.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                       "parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
        with pytest.raises(sqlite3.IntegrityError):
            with db.atomic():
                db.execute("INSERT INTO child (parent_id) VALUES (7)")
                emit(db, "test.child_added", 1, visibility="couple")
        assert not db.conn.in_transaction
        assert db["events"].count == 0
    assert delivered == []


def test_a_write_that_waited_past_the_busy_timeout_is_busy_by_sqlites_own_code():
    """errors.is_busy knows the queue's own timeout (a 503 to try again) without importing storage."""
    waited = StorageBusy("another write held the database for longer than the busy timeout")
    assert waited.sqlite_errorcode == sqlite3.SQLITE_BUSY and is_busy(waited)
    assert not is_busy(sqlite3.OperationalError("no such table: notes"))

