"""A member's export and "forget me" for the touch plugin.

The export holds what the member gave (their ceiling, their "ready", their
reflections with notes, their lights) and the couple's shared records they
can read anyway (ladder versions, proposals, the path, sessions). It never
holds the partner's ceiling, "ready", reflections or notes.

Forget deletes what the member owns and takes their name off the shared
records (who planned a session, who proposed a ladder) without breaking them.
"""

from __future__ import annotations

import json

from hearthside.plugin_api import get_member

from . import model, phases, sessions


def export(db, member_id: int) -> dict | None:
    member = get_member(db, member_id)
    if member is None:
        return None
    couple_id = member["couple_id"]
    mine = lambda sql: [dict(row) for row in db.query(sql, [member_id])]  # noqa: E731
    proposals = []
    for row in db.query("SELECT * FROM touch_proposals WHERE couple_id = ? ORDER BY id", [couple_id]):
        accepted = [r[0] for r in db.execute("SELECT member_id FROM touch_proposal_accepts WHERE proposal_id = ?",
                                             [row["id"]])]
        proposals.append({"id": row["id"], "status": row["status"], "base_version": row["base_version"],
                          "phases": json.loads(row["phases"]), "note": row["note"],
                          "proposed_by": row["proposed_by"], "accepted_by": accepted,
                          "created_at": row["created_at"], "decided_at": row["decided_at"]})
    return {
        "my_ceiling": mine("SELECT phase_key, updated_at FROM touch_ceilings WHERE member_id = ?"),
        "my_ready": mine("SELECT from_key, to_key, created_at FROM touch_ready_votes WHERE member_id = ?"),
        "my_reflections": mine("SELECT session_id, safe, comfortable, note, created_at, updated_at "
                               "FROM touch_reflections WHERE member_id = ? ORDER BY session_id"),
        "my_signals": mine("SELECT session_id, signal, created_at FROM touch_signals WHERE member_id = ? ORDER BY id"),
        "ladder_versions": model.ladder_versions(db, couple_id),
        "proposals": proposals,
        "path": phases.level_history(db, couple_id),
        "sessions": [sessions.view(row) for row in db.query(
            "SELECT * FROM touch_sessions WHERE couple_id = ? ORDER BY id", [couple_id])],
    }


def forget(db, member_id: int) -> None:
    """Inside the core's forget transaction: raise to abort everything."""
    member = get_member(db, member_id)
    if member is None:
        return
    with model.watching_plan(db, member["couple_id"]):
        for table in ("touch_ceilings", "touch_ready_votes", "touch_reflections", "touch_signals",
                      "touch_proposal_accepts"):
            db.execute(f"DELETE FROM {table} WHERE member_id = ?", [member_id])
        db.execute("UPDATE touch_sessions SET created_by = NULL WHERE created_by = ?", [member_id])
        db.execute("UPDATE touch_proposals SET proposed_by = NULL WHERE proposed_by = ?", [member_id])
