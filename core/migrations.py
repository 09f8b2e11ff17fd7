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


@migrations(name="0003_accounts")
def accounts_tables(db):
    db.execute("""CREATE TABLE couples (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""")
    db.execute("""CREATE TABLE members (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )""")
    db.execute("""CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        name TEXT NOT NULL,
        created_by INTEGER NOT NULL REFERENCES members(id),
        pairing_code_hash TEXT UNIQUE,
        pairing_expires_at TEXT,
        claimed_at TEXT,
        revoked_at TEXT,
        created_at TEXT NOT NULL
    )""")
    # Tokens are stored only as SHA-256 hashes: a stolen database file or
    # backup does not let anyone sign in. kind: api (bearer), session
    # (browser cookie) or device (wall screen, dashboard scope only).
    db.execute("""CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('api', 'session', 'device')),
        name TEXT NOT NULL,
        member_id INTEGER REFERENCES members(id),
        device_id INTEGER REFERENCES devices(id),
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT,
        CHECK ((member_id IS NULL) != (device_id IS NULL))
    )""")
    db.execute("""CREATE TABLE invites (
        id INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL UNIQUE,
        couple_id INTEGER REFERENCES couples(id),
        created_by INTEGER NOT NULL REFERENCES members(id),
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by INTEGER REFERENCES members(id)
    )""")


@migrations(name="0004_consent")
def consent_tables(db):
    # Append-only history of every grant and revocation (cardinal rule 3):
    # the triggers refuse edits, and each row's hash covers the previous
    # row's, so a change made behind the server's back is detectable.
    db.execute("""CREATE TABLE consent_grants (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        member_id INTEGER NOT NULL REFERENCES members(id),
        scope TEXT NOT NULL,
        granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
        created_at TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""")
    # Serves "latest grant of each member for a scope" and the couple's history.
    db["consent_grants"].create_index(["couple_id", "scope", "member_id", "id"])
    db.execute("""CREATE TRIGGER consent_grants_no_update BEFORE UPDATE ON consent_grants
        BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END""")
    db.execute("""CREATE TRIGGER consent_grants_no_delete BEFORE DELETE ON consent_grants
        BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END""")


@migrations(name="0005_pauses")
def pauses_table(db):
    # One row per pause. ended_at is set when a member ends it, when a new
    # pause replaces it, or (lazily, at the next read) when its time is up.
    db.execute("""CREATE TABLE pauses (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        started_by INTEGER NOT NULL REFERENCES members(id),
        started_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        ended_at TEXT,
        ended_by INTEGER REFERENCES members(id)
    )""")
    db["pauses"].create_index(["couple_id", "id"])


@migrations(name="0006_events_by_visibility")
def events_by_visibility_index(db):
    # GET /api/v1/events walks one ordered range per visibility (see
    # web/api/events.py): with only (couple_id, id), a wall or a member paging
    # through a long run of the partner's private events read every one of
    # them to find the next page (tens of ms at a million events).
    db["events"].create_index(["couple_id", "visibility", "id"])


@migrations(name="0007_invites_revoked")
def invites_revoked(db):
    # A couple is two people: pending invites can be revoked, and all of them
    # die when the second member joins. Invites that were still pending in a
    # couple already complete are revoked now, so none of them can add a third.
    db.execute("ALTER TABLE invites ADD COLUMN created_at TEXT")
    db.execute("ALTER TABLE invites ADD COLUMN revoked_at TEXT")
    db.execute("""UPDATE invites SET revoked_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
        WHERE used_at IS NULL AND couple_id IN
            (SELECT couple_id FROM members GROUP BY couple_id HAVING count(*) >= 2)""")


@migrations(name="0008_devices_events_from")
def devices_events_from(db):
    # A wall reads dashboard events from its pairing on, never the couple's
    # past. Walls paired before this migration start at their own pairing
    # event, or - if it cannot be found - at the newest event now.
    db.execute("ALTER TABLE devices ADD COLUMN events_from INTEGER")
    db.execute("""UPDATE devices SET events_from = coalesce(
            (SELECT max(e.id) FROM events e WHERE e.type = 'device.paired'
             AND json_extract(e.payload, '$.device.id') = devices.id),
            (SELECT max(id) FROM events), 0)
        WHERE claimed_at IS NOT NULL""")


@migrations(name="0009_consent_terms")
def consent_terms(db):
    # What each scope showed when members agreed to it (a hash of its terms),
    # so a change that widens what a consent shows asks every member again
    # (hearthside.consent.ask_again_where_terms_changed). ``reason`` marks the
    # history rows the server wrote for that; it is covered by the row's hash.
    db.execute("""CREATE TABLE consent_terms (
        scope TEXT PRIMARY KEY,
        terms_hash TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""")
    db.execute("ALTER TABLE consent_grants ADD COLUMN reason TEXT")


@migrations(name="0010_backup_runs")
def backup_runs_table(db):
    # One row per scheduled backup, so the admin page shows the last one and
    # a failure is not only a log line. problem is a plain reason ("not
    # enough free space on /media/usb"), never anything a member wrote.
    db.execute("""CREATE TABLE backup_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        ok INTEGER NOT NULL DEFAULT 0 CHECK (ok IN (0, 1)),
        file TEXT,
        size INTEGER,
        copied_to TEXT,
        problem TEXT
    )""")


@migrations(name="0011_scheduler_run_state")
def scheduler_run_state(db):
    # A job's run under way (running_since, cleared when it ends or at the next
    # start) and the last time one ran past scheduler.job_seconds (overran_at):
    # a job that hangs is seen here, not only in the log.
    db.execute("ALTER TABLE scheduler_runs ADD COLUMN running_since TEXT")
    db.execute("ALTER TABLE scheduler_runs ADD COLUMN overran_at TEXT")


@migrations(name="0012_notifications")
def notifications_tables(db):
    # A member's own notification choices, push subscriptions and ntfy topic (core/notify.py). kinds and
    # channels are the names switched on, comma-separated; quiet hours are HH:MM in the couple's zone.
    db.execute("""CREATE TABLE notify_choices (
        member_id INTEGER PRIMARY KEY REFERENCES members(id),
        kinds TEXT NOT NULL,
        channels TEXT NOT NULL,
        detail TEXT NOT NULL CHECK (detail IN ('content_free', 'detailed')),
        quiet_start TEXT,
        quiet_end TEXT,
        updated_at TEXT NOT NULL
    )""")
    db.execute("""CREATE TABLE notify_push (
        id INTEGER PRIMARY KEY,
        member_id INTEGER NOT NULL REFERENCES members(id),
        endpoint TEXT NOT NULL UNIQUE,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""")
    db["notify_push"].create_index(["member_id"])
    db.execute("""CREATE TABLE notify_ntfy (
        member_id INTEGER PRIMARY KEY REFERENCES members(id),
        topic_url TEXT NOT NULL,
        token TEXT,
        created_at TEXT NOT NULL
    )""")
