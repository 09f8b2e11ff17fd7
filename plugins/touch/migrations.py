"""The touch plugin's tables. Never edit a shipped migration: add the next number.

Who may read what (the code enforces it; the columns make it possible):

* ``touch_ceilings``, ``touch_ready_votes`` and ``touch_reflections`` are one
  member's private answers. They are read back only by that member; the plan,
  the unlock and the shared reflection summary are computed from them and
  never say whose answer decided anything.
* The ladder, its versions, proposals, the level history and the sessions are
  the couple's shared records.
* ``touch_signals`` holds the traffic lights of sessions; a light is for the
  partner to see at once, but it is not kept as a record of who asked to slow
  down (the history shows none of it).

A couple with no ``touch_state`` row is on the default ladder, version 1,
with only its first phase unlocked: nothing is written until someone acts.
"""

from sqlite_utils.migrations import Migrations

migrations = Migrations("touch")


@migrations(name="0001_touch")
def touch_tables(db):
    # Every version of a couple's ladder, the phases as JSON, oldest first.
    # Version 1 is the default ladder; it is written the first time the couple
    # changes their ladder, so the history is complete.
    db.execute("""CREATE TABLE touch_ladders (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        version INTEGER NOT NULL,
        phases TEXT NOT NULL,
        proposal_id INTEGER,
        created_at TEXT NOT NULL,
        UNIQUE (couple_id, version)
    )""")

    # Where the couple is: the ladder version in use and the highest unlocked
    # phase (by its stable key, so reordering the ladder keeps its meaning).
    db.execute("""CREATE TABLE touch_state (
        couple_id INTEGER PRIMARY KEY REFERENCES couples(id),
        ladder_version INTEGER NOT NULL,
        unlocked_key TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""")

    # Append-only: each change of the unlocked phase (an unlock, a step back,
    # or a ladder change that moved it). No actor: nobody is named for a step.
    db.execute("""CREATE TABLE touch_level_history (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        kind TEXT NOT NULL CHECK (kind IN ('unlock', 'step_back', 'ladder')),
        from_key TEXT,
        to_key TEXT NOT NULL,
        from_level INTEGER,
        to_level INTEGER NOT NULL,
        to_name TEXT NOT NULL,
        ladder_version INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""")
    db["touch_level_history"].create_index(["couple_id", "id"])

    # Private: a member's comfort ceiling (the highest phase they are open to now).
    db.execute("""CREATE TABLE touch_ceilings (
        member_id INTEGER PRIMARY KEY REFERENCES members(id),
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        phase_key TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""")

    # Private: a member's "ready to move on" from one phase to the next.
    db.execute("""CREATE TABLE touch_ready_votes (
        member_id INTEGER PRIMARY KEY REFERENCES members(id),
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        from_key TEXT NOT NULL,
        to_key TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""")

    # A proposed new ladder; it becomes the next version when every member accepts.
    db.execute("""CREATE TABLE touch_proposals (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        base_version INTEGER NOT NULL,
        phases TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        proposed_by INTEGER REFERENCES members(id),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'declined')),
        result_version INTEGER,
        created_at TEXT NOT NULL,
        decided_at TEXT
    )""")
    db["touch_proposals"].create_index(["couple_id", "status"])

    db.execute("""CREATE TABLE touch_proposal_accepts (
        proposal_id INTEGER NOT NULL REFERENCES touch_proposals(id) ON DELETE CASCADE,
        member_id INTEGER NOT NULL REFERENCES members(id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (proposal_id, member_id)
    )""")

    # Practice sessions: planned, running, ended or cancelled. phase_key is the
    # phase practised (the plan when it started, lowered if the plan dropped).
    db.execute("""CREATE TABLE touch_sessions (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        status TEXT NOT NULL CHECK (status IN ('planned', 'running', 'ended', 'cancelled')),
        planned_for TEXT,
        duration_minutes INTEGER NOT NULL DEFAULT 60,
        calendar INTEGER NOT NULL DEFAULT 0,
        phase_key TEXT,
        phase_name TEXT,
        phase_level INTEGER,
        ladder_version INTEGER,
        started_at TEXT,
        ended_at TEXT,
        end_reason TEXT CHECK (end_reason IN ('ended', 'red', 'pause', 'time_up')),
        created_by INTEGER REFERENCES members(id),
        created_at TEXT NOT NULL
    )""")
    db["touch_sessions"].create_index(["couple_id", "status"])
    # At most one running session per couple, whatever races the phones run.
    db.execute("CREATE UNIQUE INDEX touch_one_running ON touch_sessions(couple_id) WHERE status = 'running'")

    db.execute("""CREATE TABLE touch_signals (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES touch_sessions(id) ON DELETE CASCADE,
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        member_id INTEGER NOT NULL REFERENCES members(id),
        signal TEXT NOT NULL CHECK (signal IN ('green', 'yellow', 'red')),
        created_at TEXT NOT NULL
    )""")
    db["touch_signals"].create_index(["session_id", "id"])

    # Private: how safe and how comfortable a member felt after a session.
    db.execute("""CREATE TABLE touch_reflections (
        session_id INTEGER NOT NULL REFERENCES touch_sessions(id) ON DELETE CASCADE,
        member_id INTEGER NOT NULL REFERENCES members(id),
        couple_id INTEGER NOT NULL REFERENCES couples(id),
        safe INTEGER NOT NULL CHECK (safe BETWEEN 1 AND 5),
        comfortable INTEGER NOT NULL CHECK (comfortable BETWEEN 1 AND 5),
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (session_id, member_id)
    )""")
