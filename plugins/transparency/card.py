"""The wall card: how many new entries since the last review - a count, never text.

Anyone in the room can read the wall, so the card shows one number and the
day of the last completed review. No kinds (a "breach" count on the wall
would shame), no questions, no names. The core shows it only while
``dashboard.transparency`` is active.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hearthside.plugin_api import DashboardCard

from . import reviews


def _day_name(moment: str, time_zone: str, now: datetime) -> str:
    zone = ZoneInfo(time_zone)
    when = datetime.fromisoformat(moment).astimezone(zone)
    today = now.astimezone(zone).date()
    if when.date() == today:
        return "today's"
    if when.date() == today - timedelta(days=1):
        return "yesterday's"
    if when.date() > today - timedelta(days=7):
        return f"{when.strftime('%A')}'s"
    return f"the {when.day} {when.strftime('%B')}"


def entries_phrase(count: int) -> str:
    return f"{count} new entr{'y' if count == 1 else 'ies'}"


def dashboard_card(db, couple_id: int, time_zone: str, now: datetime) -> DashboardCard:
    last = reviews.last_completed(db, couple_id)
    after = last["to_seq"] if last else 0
    new = db.execute("SELECT count(*) FROM transparency_entries WHERE couple_id = ? AND seq > ? "
                     "AND (kind IS NULL OR kind != 'sharing')", [couple_id, after]).fetchone()[0]
    done = db.execute("SELECT count(*) FROM transparency_reviews WHERE couple_id = ? AND completed_at IS NOT NULL",
                      [couple_id]).fetchone()[0]
    if last is None:
        text = f"{entries_phrase(new)} - not reviewed together yet" if new else "Nothing written yet"
    else:
        day = _day_name(last["completed_at"], time_zone, now)
        text = (f"{entries_phrase(new)} since {day} review" if new else f"Nothing new since {day} review")
    return DashboardCard("since-review", "Transparency log", text=text, value=new,
                         facts={"reviewed_together": done})
