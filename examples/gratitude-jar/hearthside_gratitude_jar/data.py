"""A member's export and "forget me" for the jar.

Export: the member's own notes, and their partner's drawn ones only while
the draw is on (``dashboard.gratitude_jar``): what the member may read today.
Forget: every note the member wrote goes; a drawn one leaves the wall.
"""

from __future__ import annotations

from hearthside.plugin_api import emit, get_member, is_active

from .model import SCOPE, drawn_notes, own_notes


def export(db, member_id: int) -> dict | None:
    """The member's own notes, and the partner's drawn ones only while the scope is active."""
    member = get_member(db, member_id)
    mine = own_notes(db, member_id)
    shared = drawn_notes(db, member["couple_id"], member_id, limit=10_000) \
        if is_active(db, member["couple_id"], SCOPE) else []
    partners = [note for note in shared if not note["mine"]]
    if not mine and not partners:
        return None
    return {"my_notes": mine, "drawn_from_my_partner": partners}


def forget(db, member_id: int) -> None:
    """Delete every note the member wrote (inside the caller's transaction)."""
    member = get_member(db, member_id)
    drawn = db.execute(
        "SELECT count(*) FROM gratitude_jar_draws WHERE note_id IN "
        "(SELECT id FROM gratitude_jar_notes WHERE author_id = ?)", [member_id]).fetchone()[0]
    db.execute("UPDATE gratitude_jar_draws SET note_id = NULL WHERE note_id IN "
               "(SELECT id FROM gratitude_jar_notes WHERE author_id = ?)", [member_id])
    db.execute("DELETE FROM gratitude_jar_notes WHERE author_id = ?", [member_id])
    if drawn and is_active(db, member["couple_id"], SCOPE):
        emit(db, "gratitude_jar.draw_removed", member["couple_id"], {}, visibility="dashboard")
