"""The core's own tables. Each plugin keeps its migrations beside its code.

Migrations are append-only history: never edit one that has shipped, add the
next number instead.
"""

from sqlite_utils.migrations import Migrations

migrations = Migrations("core")


@migrations(name="0001_events")
def events_table(db):
    # AUTOINCREMENT: an id is never reused after a "forget", so a client that
    # resumes with after=<last id> can never skip a newer event.
    db.execute(
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            couple_id INTEGER NOT NULL,
            type TEXT NOT NULL,
            actor_id INTEGER,
            visibility TEXT NOT NULL CHECK (visibility IN ('private', 'couple', 'dashboard')),
            audience_id INTEGER,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    # Paging (after=<id>) walks the primary key; these serve the per-couple reads.
    db["events"].create_index(["couple_id", "id"])
    db["events"].create_index(["audience_id", "id"])


@migrations(name="0002_scheduler_runs")
def scheduler_runs_table(db):
    db["scheduler_runs"].create({"job_id": str, "last_run_at": str}, pk="job_id", not_null={"last_run_at"})
