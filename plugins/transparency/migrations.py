"""The transparency log's tables (migration set ``transparency``).

Migrations are history: never edit one that has shipped, add the next number.

Why the triggers: the log is append-only (cardinal rule 3). The server has no
route that updates or deletes, and the triggers make the database refuse it
too, so a bug cannot quietly rewrite the record. The one exception is the
member's own "forget": their entries become tombstones (content gone, hashes
kept) and their read receipts go - allowed only for a member recorded in
``transparency_forgotten`` first. Someone holding the database file can drop
the triggers; that is what the hash chain is for.
"""

from sqlite_utils.migrations import Migrations

migrations = Migrations("transparency")

APPEND_ONLY = "the transparency log is append-only"


@migrations(name="0001_log")
def log_tables(db):
    # Members recorded here have confirmed "forget me"; only their rows may be tombstoned.
    db.execute("""CREATE TABLE transparency_forgotten (
        member_id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL,
        forgotten_at TEXT NOT NULL
    )""")

    # One row per record in a couple's chain: entries, replies, questions,
    # answers and the automatic "sharing turned on/off" notices.
    # kind, text, occurred_at and tags are the content (hashed into
    # content_hash); the rest is the chain's structure.
    db.execute("""CREATE TABLE transparency_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        couple_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        author_id INTEGER NOT NULL,
        refers_to INTEGER REFERENCES transparency_entries(id),
        relation TEXT,
        created_at TEXT NOT NULL,
        kind TEXT,
        text TEXT,
        occurred_at TEXT,
        tags TEXT,
        content_hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        forgotten_at TEXT,
        UNIQUE (couple_id, seq)
    )""")
    db["transparency_entries"].create_index(["refers_to"])
    db["transparency_entries"].create_index(["couple_id", "author_id", "seq"])
    db.execute(f"""CREATE TRIGGER transparency_entries_no_delete BEFORE DELETE ON transparency_entries
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")
    # The only update allowed: a forgotten member's entry becomes a tombstone.
    db.execute(f"""CREATE TRIGGER transparency_entries_no_update BEFORE UPDATE ON transparency_entries
        WHEN NOT (
            OLD.forgotten_at IS NULL AND NEW.forgotten_at IS NOT NULL
            AND OLD.author_id IN (SELECT member_id FROM transparency_forgotten)
            AND NEW.kind IS NULL AND NEW.text IS NULL AND NEW.occurred_at IS NULL AND NEW.tags IS NULL
            AND NEW.id = OLD.id AND NEW.couple_id = OLD.couple_id AND NEW.seq = OLD.seq
            AND NEW.author_id = OLD.author_id AND NEW.refers_to IS OLD.refers_to
            AND NEW.relation IS OLD.relation AND NEW.created_at = OLD.created_at
            AND NEW.content_hash = OLD.content_hash AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash)
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")

    # Read receipts: who acknowledged which entry, once.
    db.execute("""CREATE TABLE transparency_acks (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES transparency_entries(id),
        member_id INTEGER NOT NULL,
        acknowledged_at TEXT NOT NULL,
        UNIQUE (entry_id, member_id)
    )""")
    db["transparency_acks"].create_index(["member_id"])
    db.execute(f"""CREATE TRIGGER transparency_acks_no_update BEFORE UPDATE ON transparency_acks
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")
    db.execute(f"""CREATE TRIGGER transparency_acks_no_delete BEFORE DELETE ON transparency_acks
        WHEN OLD.member_id NOT IN (SELECT member_id FROM transparency_forgotten)
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")


@migrations(name="0002_ground_rules")
def ground_rules_tables(db):
    # A change of the ground rules is a proposal; it is adopted once every
    # member approved it. The text of a proposal never changes; only its
    # status moves on (open -> adopted / declined / withdrawn / superseded).
    db.execute("""CREATE TABLE transparency_rule_proposals (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL,
        proposed_by INTEGER NOT NULL,
        rules TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'adopted', 'declined', 'withdrawn', 'superseded')),
        decided_at TEXT,
        decided_by INTEGER
    )""")
    db["transparency_rule_proposals"].create_index(["couple_id", "id"])
    db.execute("""CREATE TABLE transparency_rule_approvals (
        id INTEGER PRIMARY KEY,
        proposal_id INTEGER NOT NULL REFERENCES transparency_rule_proposals(id),
        member_id INTEGER NOT NULL,
        approved_at TEXT NOT NULL,
        UNIQUE (proposal_id, member_id)
    )""")
    db.execute("""CREATE TRIGGER transparency_rules_text_is_kept BEFORE UPDATE OF rules, proposed_by, created_at
        ON transparency_rule_proposals
        BEGIN SELECT RAISE(ABORT, 'a ground-rules proposal is never rewritten'); END""")


@migrations(name="0003_agreements")
def agreement_tables(db):
    # Each version of the couple's transparency agreement is its own row and
    # its items are never rewritten; a change is a new version.
    db.execute("""CREATE TABLE transparency_agreements (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL,
        version INTEGER NOT NULL,
        items TEXT NOT NULL,
        review_on TEXT NOT NULL,
        proposed_by INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'proposed'
            CHECK (status IN ('proposed', 'active', 'declined', 'withdrawn', 'superseded', 'ended')),
        activated_at TEXT,
        review_due_at TEXT,
        closed_at TEXT,
        closed_by INTEGER,
        UNIQUE (couple_id, version)
    )""")
    db.execute("""CREATE TABLE transparency_agreement_signatures (
        id INTEGER PRIMARY KEY,
        agreement_id INTEGER NOT NULL REFERENCES transparency_agreements(id),
        member_id INTEGER NOT NULL,
        signed_at TEXT NOT NULL,
        UNIQUE (agreement_id, member_id)
    )""")
    db.execute("""CREATE TRIGGER transparency_agreement_is_kept BEFORE UPDATE OF items, review_on, version,
        proposed_by, created_at ON transparency_agreements
        BEGIN SELECT RAISE(ABORT, 'an agreement version is never rewritten'); END""")


@migrations(name="0004_reviews")
def review_tables(db):
    # A review covers the chain from from_seq to to_seq and anchors the head
    # hash it saw, so a later rewrite (or truncation) of what was reviewed
    # shows up in verify.
    db.execute("""CREATE TABLE transparency_reviews (
        id INTEGER PRIMARY KEY,
        couple_id INTEGER NOT NULL,
        started_by INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        from_seq INTEGER NOT NULL,
        to_seq INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        summary TEXT NOT NULL,
        completed_at TEXT
    )""")
    db["transparency_reviews"].create_index(["couple_id", "id"])
    db.execute("""CREATE TABLE transparency_review_marks (
        id INTEGER PRIMARY KEY,
        review_id INTEGER NOT NULL REFERENCES transparency_reviews(id),
        member_id INTEGER NOT NULL,
        marked_at TEXT NOT NULL,
        note TEXT,
        UNIQUE (review_id, member_id)
    )""")
    db.execute("""CREATE TRIGGER transparency_review_is_kept BEFORE UPDATE OF from_seq, to_seq, head_hash, summary,
        started_at ON transparency_reviews
        BEGIN SELECT RAISE(ABORT, 'a review summary is never rewritten'); END""")


@migrations(name="0005_salted_content")
def salted_content(db):
    # Each record's salt (hex), hashed into content_hash with the content and
    # deleted with it by "forget": a tombstone's seal then confirms no guess
    # of the forgotten words (chain.py). NULL for records older than this.
    # The tombstone rule is the one of 0001, plus: the salt goes too.
    db.execute("ALTER TABLE transparency_entries ADD COLUMN salt TEXT")
    db.execute("DROP TRIGGER transparency_entries_no_update")
    db.execute(f"""CREATE TRIGGER transparency_entries_no_update BEFORE UPDATE ON transparency_entries
        WHEN NOT (
            OLD.forgotten_at IS NULL AND NEW.forgotten_at IS NOT NULL
            AND OLD.author_id IN (SELECT member_id FROM transparency_forgotten)
            AND NEW.kind IS NULL AND NEW.text IS NULL AND NEW.occurred_at IS NULL AND NEW.tags IS NULL
            AND NEW.salt IS NULL
            AND NEW.id = OLD.id AND NEW.couple_id = OLD.couple_id AND NEW.seq = OLD.seq
            AND NEW.author_id = OLD.author_id AND NEW.refers_to IS OLD.refers_to
            AND NEW.relation IS OLD.relation AND NEW.created_at = OLD.created_at
            AND NEW.content_hash = OLD.content_hash AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash)
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")
