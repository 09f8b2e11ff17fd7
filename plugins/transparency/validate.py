"""Reading the request body's fields, or a clear 400 that names the field.

Everything is checked before anything is written (cardinal rule 6), and no
message ever repeats what was sent: the text may be private.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hearthside.plugin_api import Invalid, text_value

MAX_TAGS = 10
MAX_TAG_LENGTH = 40
EARLIEST_YEAR = 2000
FURTHEST_DAYS_AHEAD = 400


def bad(message: str):
    raise Invalid("invalid_field", message)


def text(body: dict, field: str, max_length: int, *, required: bool = True) -> str | None:
    """Written text by the core's one text rule, line breaks allowed; never empty once given."""
    value = body.get(field)
    if value is None and not required:
        return None
    return text_value(value, f"'{field}'", max_length=max_length, multiline=True)


def choice(body: dict, field: str, choices: tuple[str, ...], *, required: bool = True) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if value not in choices:
        bad(f"'{field}' must be one of: {', '.join(choices)}.")
    return value


def whole_number(body: dict, field: str, *, required: bool = True) -> int | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 2**63:  # SQLite's integer range
        bad(f"'{field}' must be the id of an entry (a whole number).")
    return value


def tags(body: dict) -> list[str]:
    """Optional short labels: at most 10, each up to 40 characters, no duplicates."""
    value = body.get("tags")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        bad("'tags' must be a list of short texts.")
    cleaned: list[str] = []
    for tag in value:
        tag = text_value(tag, "each tag", max_length=MAX_TAG_LENGTH, required=False)
        if not tag:
            bad("'tags' must not contain empty tags.")
        if tag.casefold() not in {seen.casefold() for seen in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        bad(f"'tags' may hold at most {MAX_TAGS} tags.")
    return cleaned


def moment(body: dict, field: str, time_zone: str, now: datetime) -> str:
    """When something happened (or is planned), as ISO 8601 with its UTC offset.

    Accepts a full ISO 8601 time with an offset, or a local ``YYYY-MM-DDTHH:MM``
    (what a phone's date-and-time field sends), read in the couple's time zone.
    Missing means now. Plans lie ahead, so the future is allowed - up to 400 days.
    """
    zone = ZoneInfo(time_zone)
    value = body.get(field)
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


def day(value, field: str) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    bad(f"'{field}' must be a date such as 2024-06-30.")


def lines(body: dict, field: str, *, max_items: int, max_length: int) -> list[str]:
    """A list of 1..max_items short texts (ground rules, agreement items)."""
    value = body.get(field)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        bad(f"'{field}' is required and must be a list of texts.")
    if len(value) > max_items:
        bad(f"'{field}' may hold at most {max_items} texts.")
    cleaned = [text_value(item, f"each of '{field}'", max_length=max_length, required=False) for item in value]
    if not cleaned or any(not item for item in cleaned):
        bad(f"'{field}' must hold at least one text, and none may be empty.")
    return cleaned


def iso(moment_: datetime) -> str:
    return moment_.astimezone(timezone.utc).isoformat(timespec="milliseconds")
