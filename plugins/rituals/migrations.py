"""The rituals plugin's tables. Append-only history: never edit a shipped
migration, add the next number instead.

Times are kept two ways, on purpose: a ritual's start and every occurrence
key are *wall-clock* times in the couple's zone (``2024-03-10T19:00``), which
is what a ritual means; instants that really happened (a reminder due, an
answer submitted) are UTC ISO strings.
"""

from sqlite_utils.migrations import Migrations

migrations = Migrations("rituals")


@migrations(name="0001_rituals")
def rituals_tables(db):
    # A ritual: the series. rrule is NULL for a one-off. source/source_key mark
    # a plan another plugin put on the calendar (it is changed there, not here). prompts (JSON) are the
    # check-in questions. participants (JSON list of member ids) must submit
    # before a check-in is revealed. uid is the stable iCalendar UID.
    db.execute("""CREATE TABLE rituals_rituals (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        uid TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('checkin', 'date', 'morning', 'review', 'therapy', 'custom')),
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        location TEXT NOT NULL DEFAULT '',
        start_local TEXT NOT NULL,
        duration_minutes INTEGER NOT NULL,
        rrule TEXT,
        participants TEXT NOT NULL,
        prompts TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
        source TEXT,
        source_key TEXT,
        created_by INTEGER REFERENCES members(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""")
    db["rituals_rituals"].create_index(["couple_id", "status"])
    # Entries another plugin put on the calendar (hearthside_calendar_entry): one per source and key.
    db.execute("CREATE UNIQUE INDEX rituals_rituals_source ON rituals_rituals (couple_id, source, source_key) "
               "WHERE source IS NOT NULL")

    # One row per occurrence that has something recorded: marked done or
    # skipped, moved, answered or given homework. Keyed by the original
    # wall-clock start (the iCalendar RECURRENCE-ID).
    db.execute("""CREATE TABLE rituals_occurrences (
        id INTEGER PRIMARY KEY,
        ritual_id INTEGER NOT NULL REFERENCES rituals_rituals(id) ON DELETE CASCADE,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        occurrence_key TEXT NOT NULL,
        status TEXT CHECK (status IN ('done', 'skipped')),
        marked_by INTEGER REFERENCES members(id),
        marked_at TEXT,
        moved_start TEXT,
        moved_duration INTEGER,
        revealed_at TEXT,
        UNIQUE (ritual_id, occurrence_key)
    )""")

    # Check-in answers: one row per member and occurrence, readable by the
    # other participants only after everyone submitted (revealed_at above)
    # and while the couple's rituals.checkin_reveal consent is active.
    db.execute("""CREATE TABLE rituals_answers (
        id INTEGER PRIMARY KEY,
        occurrence_id INTEGER NOT NULL REFERENCES rituals_occurrences(id) ON DELETE CASCADE,
        member_id INTEGER NOT NULL REFERENCES members(id),
        answers TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (occurrence_id, member_id)
    )""")

    db.execute("""CREATE TABLE rituals_homework (
        id INTEGER PRIMARY KEY,
        occurrence_id INTEGER NOT NULL REFERENCES rituals_occurrences(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        created_by INTEGER REFERENCES members(id),
        created_at TEXT NOT NULL,
        done_at TEXT,
        done_by INTEGER REFERENCES members(id)
    )""")
    db["rituals_homework"].create_index(["occurrence_id"])

    # Each member's own reminder offsets for a ritual (minutes before the
    # start). No row means the configured default.
    db.execute("""CREATE TABLE rituals_reminder_prefs (
        ritual_id INTEGER NOT NULL REFERENCES rituals_rituals(id) ON DELETE CASCADE,
        member_id INTEGER NOT NULL REFERENCES members(id),
        offsets TEXT NOT NULL,
        PRIMARY KEY (ritual_id, member_id)
    )""")

    # Per-member settings: quiet hours (wall-clock HH:MM in the couple's zone)
    # and the calendar feed's secret, stored only as a SHA-256 hash.
    db.execute("""CREATE TABLE rituals_member_settings (
        member_id INTEGER PRIMARY KEY REFERENCES members(id),
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        quiet_start TEXT,
        quiet_end TEXT,
        feed_hash TEXT UNIQUE,
        feed_created_at TEXT
    )""")

    # Every reminder the job has dealt with, so each fires once: sent, missed
    # (the server was off: goes into one summary) or dropped (it would only
    # have arrived after the ritual started, e.g. held by quiet hours).
    db.execute("""CREATE TABLE rituals_reminder_log (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        member_id INTEGER NOT NULL REFERENCES members(id),
        ritual_id INTEGER NOT NULL REFERENCES rituals_rituals(id) ON DELETE CASCADE,
        occurrence_key TEXT NOT NULL,
        start_at TEXT NOT NULL,
        offset_minutes INTEGER NOT NULL,
        due_at TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'missed', 'dropped')),
        handled_at TEXT NOT NULL,
        summarised_at TEXT,
        UNIQUE (member_id, ritual_id, occurrence_key, start_at, offset_minutes)
    )""")
    db["rituals_reminder_log"].create_index(["member_id", "outcome", "summarised_at"])

    # The reminder job's own clock: the instant up to which it has looked.
    db.execute("""CREATE TABLE rituals_job_state (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""")


@migrations(name="0002_occurrence_participants")
def occurrence_participants(db):
    # The participants of one check-in occurrence (JSON list of member ids),
    # frozen at its first answer: editing the ritual's participants afterwards
    # must not reveal answers to someone who never answered (docs/security.md).
    # Occurrences already answered are frozen with the ritual's participants now.
    db.execute("ALTER TABLE rituals_occurrences ADD COLUMN participants TEXT")
    db.execute("""UPDATE rituals_occurrences SET participants =
                  (SELECT r.participants FROM rituals_rituals r WHERE r.id = rituals_occurrences.ritual_id)
                  WHERE id IN (SELECT occurrence_id FROM rituals_answers)""")


@migrations(name="0003_reminder_prefs_changed_at")
def reminder_prefs_changed_at(db):
    # When a member last changed their reminders for a ritual: the alarms in their
    # calendar feed come from them, so the feed's LAST-MODIFIED moves with it
    # (a calendar app may keep an event whose stamp did not change).
    db.execute("ALTER TABLE rituals_reminder_prefs ADD COLUMN changed_at TEXT")
