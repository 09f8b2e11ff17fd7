"""What a member sends about a session, checked before anything is written: when, how long, which light, a rating.

Each answers the value to store, or raises ``Invalid`` (400) naming the field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hearthside.plugin_api import Invalid, get_couple, utc_now

SIGNALS = ("green", "yellow", "red")
SAFEWORDS = {"pause": "red", "stop": "red", "yellow": "yellow"}
MAX_AHEAD_DAYS = 90
MIN_MINUTES, MAX_MINUTES = 10, 240


def parse_when(db, couple_id: int, value) -> datetime:
    """A time with its offset, or the couple's wall-clock ``YYYY-MM-DDTHH:MM``; soon, not past."""
    message = ("'planned_for' must be a time such as 2025-05-01T20:00 (your couple's time zone) or with an "
               f"offset, from now to {MAX_AHEAD_DAYS} days ahead.")
    if not isinstance(value, str) or "T" not in value:  # a date alone is not a time to meet
        raise Invalid("invalid_field", message)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("invalid_field", message)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(get_couple(db, couple_id)["time_zone"]))
    now = utc_now()
    if not now - timedelta(minutes=5) <= moment <= now + timedelta(days=MAX_AHEAD_DAYS):
        raise Invalid("invalid_field", message)
    return moment


def parse_signal(value) -> str:
    """green, yellow or red - and the safewords: "pause" (or "stop") is red, "yellow" is yellow."""
    word = value.strip().lower() if isinstance(value, str) else None
    if word in SIGNALS:
        return word
    if word in SAFEWORDS:
        return SAFEWORDS[word]
    raise Invalid("invalid_field", "'signal' must be green, yellow or red (or the safeword pause).")
