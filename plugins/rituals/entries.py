"""Plans other plugins put on the couple's calendar (``hearthside_calendar_entry``).

The touch plugin, for one, plans practice sessions; through the hook each
becomes a one-off ritual here, so it gets the members' reminders, shows in
the week and month views and in the calendar feed, under the discreet title
the caller chose. It is changed by its source only: the rituals API refuses
to edit it (409), and a "cancelled" entry is archived, not deleted.

A malformed entry is the caller's bug: it is logged and not kept (raising
would isolate the rituals plugin for another plugin's mistake).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime

from hearthside.plugin_api import utc_now

from . import checks, model
from .recurrence import format_local

log = logging.getLogger(__name__)

STATUSES = ("planned", "cancelled", "done")


def _read(db, couple_id: int, entry) -> dict | None:
    try:
        source, key, status = str(entry["source"]), str(entry["key"]), entry["status"]
        title = str(entry["title"]).strip()[:80]
        start = datetime.fromisoformat(str(entry["start"]).replace("Z", "+00:00"))
        duration = int(entry.get("duration_minutes", 60))
        participants = [int(m) for m in entry.get("participants") or []]
    except (KeyError, TypeError, ValueError, OverflowError):  # int(inf) overflows
        return None
    members = checks.member_ids(db, couple_id)
    participants = sorted({m for m in participants if m in members}) or members
    if status not in STATUSES or not source or not key or not title or start.tzinfo is None \
            or not 5 <= duration <= model.MAX_DURATION or not participants:
        return None
    try:
        local = start.astimezone(model.couple_tz(db, couple_id)).replace(tzinfo=None, second=0, microsecond=0)
    except OverflowError:  # year 1 or 9999 moved past the calendar's ends
        return None
    return {"source": source[:40], "key": key[:100], "status": status, "title": title,
            "start_local": format_local(local), "duration": duration, "participants": participants}


def keep(db, couple_id: int, entry) -> bool | None:
    """Create or update the entry's one-off ritual inside the caller's transaction."""
    read = _read(db, couple_id, entry)
    if read is None:
        log.warning("A calendar entry from another plugin was not kept: it is malformed")
        return None
    now = model.utc_iso(utc_now())
    with db.atomic():
        rows = list(db.query("SELECT id FROM rituals_rituals WHERE couple_id = ? AND source = ? AND source_key = ?",
                             [couple_id, read["source"], read["key"]]))
        columns = {"title": read["title"], "start_local": read["start_local"], "duration_minutes": read["duration"],
                   "participants": json.dumps(read["participants"]),
                   "status": "archived" if read["status"] == "cancelled" else "active", "updated_at": now}
        if rows:
            ritual_id = rows[0]["id"]
            db["rituals_rituals"].update(ritual_id, columns)
        else:
            ritual_id = db["rituals_rituals"].insert({
                **columns, "couple_id": couple_id, "uid": f"{uuid.uuid4()}@hearthside", "kind": "custom",
                "description": "", "location": "", "rrule": None, "prompts": "[]", "source": read["source"],
                "source_key": read["key"], "created_by": None, "created_at": now}).last_pk
        ritual = model.get_ritual(db, couple_id, ritual_id)
        if read["status"] == "done":
            row = model.ensure_row(db, ritual, read["start_local"])
            if row["status"] != "done":
                db["rituals_occurrences"].update(row["id"], {"status": "done", "marked_at": now, "marked_by": None})
        model.after_change(db, couple_id)
    return True
