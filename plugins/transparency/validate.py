"""The transparency log's own rules for what a request sent, past what its declaration checks.

The routes declare their bodies (api.py): types, the one text rule, lengths.
What needs the couple's time zone or more than one field is here, checked
before anything is written (cardinal rule 6); no message ever repeats what
was sent: the text may be private.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hearthside.plugin_api import Invalid

MAX_TAGS = 10
MAX_TAG_LENGTH = 40
EARLIEST_YEAR = 2000
FURTHEST_DAYS_AHEAD = 400


def bad(message: str):
    raise Invalid("invalid_field", message)


def distinct_tags(tags: list[str]) -> list[str]:
    """The entry's tags (each already clean by the one text rule), each once whatever its case; at most 10."""
    cleaned: list[str] = []
    for tag in tags:
        if tag.casefold() not in {seen.casefold() for seen in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        bad(f"'tags' may hold at most {MAX_TAGS} tags.")
    return cleaned


def moment(value: str | None, field: str, time_zone: str, now: datetime) -> str:
    """When something happened (or is planned), as ISO 8601 with its UTC offset.

    Accepts a full ISO 8601 time with an offset, or a local ``YYYY-MM-DDTHH:MM``
    (what a phone's date-and-time field sends), read in the couple's time zone.
    Missing means now. Plans lie ahead, so the future is allowed - up to 400 days.
    """
    zone = ZoneInfo(time_zone)
    if value is None:
        return now.astimezone(zone).isoformat(timespec="minutes")
    parsed = None
    if isinstance(value, str) and 10 < len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        bad(f"'{field}' must be a date and time such as 2024-05-01T19:30 (or with an offset, +02:00).")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if parsed.year < EARLIEST_YEAR or parsed > now + timedelta(days=FURTHEST_DAYS_AHEAD):
        bad(f"'{field}' must be after {EARLIEST_YEAR} and at most {FURTHEST_DAYS_AHEAD} days ahead.")
    return parsed.astimezone(zone).isoformat(timespec="minutes")




def iso(moment_: datetime) -> str:
    return moment_.astimezone(timezone.utc).isoformat(timespec="milliseconds")
