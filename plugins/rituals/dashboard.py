"""The wall screen's rituals card: today's rituals and the next one.

The core shows it only while both partners grant ``dashboard.rituals``.
It carries titles and times only: no description, no location (the
therapist's address is nobody's business in the living room) and never a
check-in answer.

Live: the wall re-reads its cards when it hears a dashboard event. After
every change, and every minute from the reminder job, :func:`refresh_wall`
compares the card with the last one announced and, only if it differs,
emits ``rituals.wall_refresh`` - an empty dashboard event that only tells the
wall to re-read its cards (the ``.wall_refresh`` convention of docs/hooks.md:
the members' "What's new" feed does not list it).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from hearthside.plugin_api import DashboardCard, FeedLine, emit, is_active, row_or_none

from .model import couple_tz, next_occurrence, occurrences_between, rituals_of

SCOPE = "dashboard.rituals"


def card(db, couple_id: int, now_utc: datetime) -> DashboardCard | None:
    """The card, or None when the couple has no active ritual."""
    rituals = rituals_of(db, couple_id)
    if not rituals:
        return None
    tz = couple_tz(db, couple_id)
    local = now_utc.astimezone(tz).replace(tzinfo=None)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = [view for view in occurrences_between(db, rituals, midnight, midnight + timedelta(days=1))
             if view["status"] != "skipped"]
    lines = tuple(FeedLine(datetime.fromisoformat(view["start"]).strftime("%H:%M"),
                           view["title"] + (" · done" if view["status"] == "done" else "")) for view in today)
    upcoming = [view for view in (next_occurrence(db, ritual, now_utc) for ritual in rituals)
                if view and datetime.fromisoformat(view["start"]) > now_utc]
    words = [] if lines else ["Nothing planned today."]
    if upcoming:
        nxt = min(upcoming, key=lambda view: datetime.fromisoformat(view["start"]))
        start = datetime.fromisoformat(nxt["start"])
        day = "today" if start.date() == local.date() else f"{start:%a} {start.day} {start:%b}"
        words.append(f"Next: {nxt['title']} · {day}, {start:%H:%M}")
    return DashboardCard("rituals.today", "Rituals", text=" ".join(words) or None, lines=lines)


def refresh_wall(db, couple_id: int, now_utc: datetime) -> bool:
    """Emit a content-free dashboard event if the card changed; call inside ``db.atomic()``."""
    if not is_active(db, couple_id, SCOPE):
        return False
    shown = card(db, couple_id, now_utc)
    signature = hashlib.sha256(json.dumps(shown and shown.as_json(), sort_keys=True).encode()).hexdigest()
    name = f"wall:{couple_id}"
    seen = row_or_none(db, "SELECT value FROM rituals_job_state WHERE name = ?", [name])
    if seen and seen["value"] == signature:
        return False
    db["rituals_job_state"].upsert({"name": name, "value": signature}, pk="name")
    emit(db, "rituals.wall_refresh", couple_id, {}, visibility="dashboard")
    return True
