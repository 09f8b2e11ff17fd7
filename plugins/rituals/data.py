"""A member's export and "forget me" for the rituals plugin.

Export: the couple's rituals and occurrences (both may read them), the
member's own answers, reminders and quiet hours, and the others' check-in
answers only where the member may read them right now (revealed, and the
reveal consent active). Never the feed secret (only its hash is kept).

Forget: everything the member owns goes - their answers, reminder offsets,
quiet hours, feed, reminder history and the homework items they wrote. The
shared rituals stay for the partner, without the member among the
participants; a ritual nobody else takes part in goes with them.
"""

from __future__ import annotations

import json

from hearthside.plugin_api import get_member

from . import homework, settings
from .checkin import readable_answers
from .model import override_rows, rituals_of


def export(db, member_id: int) -> dict | None:
    member = get_member(db, member_id)
    if member is None:
        return None
    rituals = rituals_of(db, member["couple_id"], ("active", "paused", "archived"))
    own_prefs = {row["ritual_id"]: json.loads(row["offsets"]) for row in db.query(
        "SELECT ritual_id, offsets FROM rituals_reminder_prefs WHERE member_id = ?", [member_id])}
    data = {"rituals": [], "settings": settings.describe(db, member_id)}
    for ritual in rituals:
        occurrences = []
        for key, row in sorted(override_rows(db, ritual.id).items()):
            entry = {"key": key, "status": row["status"], "moved_start": row["moved_start"],
                     "revealed_at": row["revealed_at"], "answers": [], "homework": []}
            if ritual.kind == "checkin":
                entry["answers"] = readable_answers(db, ritual, row, member_id)
            if ritual.kind == "therapy":
                entry["homework"] = homework.items(db, row)
            occurrences.append(entry)
        data["rituals"].append({**ritual.as_dict(), "occurrences": occurrences,
                                "my_reminders": own_prefs.get(ritual.id)})
    if not data["rituals"] and data["settings"]["quiet_hours"] is None and not data["settings"]["feed"]["active"]:
        return None
    return data


def forget(db, member_id: int) -> None:
    """Delete what the member owns; the caller holds the transaction."""
    for table in ("rituals_answers", "rituals_reminder_prefs", "rituals_reminder_log", "rituals_member_settings"):
        db.execute(f"DELETE FROM {table} WHERE member_id = ?", [member_id])
    db.execute("DELETE FROM rituals_homework WHERE created_by = ?", [member_id])
    db.execute("UPDATE rituals_homework SET done_by = NULL WHERE done_by = ?", [member_id])
    db.execute("UPDATE rituals_occurrences SET marked_by = NULL WHERE marked_by = ?", [member_id])
    db.execute("UPDATE rituals_rituals SET created_by = NULL WHERE created_by = ?", [member_id])
    for row in list(db.query("SELECT id, participants FROM rituals_rituals")):
        participants = json.loads(row["participants"])
        if member_id not in participants:
            continue
        remaining = [other for other in participants if other != member_id]
        if remaining:
            db["rituals_rituals"].update(row["id"], {"participants": json.dumps(remaining)})
        else:
            db.execute("DELETE FROM rituals_rituals WHERE id = ?", [row["id"]])
