"""The gratitude jar's tables. Never edit a migration that has shipped: add the next one."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

migrations = Migrations("gratitude_jar")


@migrations(name="0001_notes_and_draws")
def notes_and_draws(db):
    # One appreciation: private to its author until it is drawn.
    db["gratitude_jar_notes"].create({
        "id": int, "couple_id": int, "author_id": int, "text": str, "created_at": str,
    }, pk="id", not_null={"couple_id", "author_id", "text", "created_at"})
    db["gratitude_jar_notes"].create_index(["couple_id"])
    db["gratitude_jar_notes"].create_index(["author_id"])
    # One evening's draw. The evening stays "used" if its note is taken back later
    # (note_id becomes NULL), so taking one back never draws another that night.
    db["gratitude_jar_draws"].create({
        "id": int, "couple_id": int, "drawn_on": str, "note_id": int, "drawn_at": str,
    }, pk="id", not_null={"couple_id", "drawn_on", "drawn_at"})
    db["gratitude_jar_draws"].create_index(["couple_id", "drawn_on"], unique=True)
    db.execute("CREATE UNIQUE INDEX gratitude_jar_draws_note ON gratitude_jar_draws (note_id) "
               "WHERE note_id IS NOT NULL")
