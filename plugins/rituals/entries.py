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

from hearthside.plugin_api import CalendarEntry, utc_now

from . import checks, model
from .recurrence import format_local

log = logging.getLogger(__name__)


def _read(db, couple_id: int, entry: CalendarEntry | dict) -> dict | None:
    """The entry's row values, or None when it cannot be kept (a dict: a caller written for plugin API 1.x)."""
    try:
        entry = entry if isinstance(entry, CalendarEntry) else CalendarEntry.from_dict(entry)
    except (TypeError, ValueError, AttributeError):  # what CalendarEntry says is not an entry
        return None
    members = checks.member_ids(db, couple_id)
    participants = sorted({m for m in entry.participants if m in members}) or members
    title = entry.title.strip()[:80]
    if not 5 <= entry.duration_minutes <= model.MAX_DURATION or not participants:
        return None
    try:
        local = entry.start.astimezone(model.couple_tz(db, couple_id)).replace(tzinfo=None, second=0, microsecond=0)
    except OverflowError:  # year 1 or 9999 moved past the calendar's ends
        return None
    return {"source": entry.source[:40], "key": entry.key[:100], "status": entry.status, "title": title,
            "start_local": format_local(local), "duration": entry.duration_minutes, "participants": participants}


def keep(db, couple_id: int, entry: CalendarEntry | dict) -> bool | None:
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
