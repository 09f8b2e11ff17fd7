"""Recurrence: RFC 5545 RRULEs expanded in the couple's wall-clock time.

Why this is done in *local* time: a ritual is "Sunday at 19:00" for the
couple, whatever the UTC offset that Sunday has. So the rule is expanded with
python-dateutil over naive local datetimes (the wall clock) and only then is
each occurrence placed in the couple's time zone. A daylight-saving change
therefore never doubles or drops an occurrence, unlike a cron trigger that
fires on every matching UTC instant (APScheduler's CronTrigger fires twice on
a fall-back day for a time inside the repeated hour).

Two instants need a rule, and RFC 5545 (section 3.3.5) gives it:

* a local time that does not exist (inside the spring-forward gap, e.g.
  02:30 on the last Sunday of March in Berlin) is read with the offset from
  before the gap, so it happens at 03:30 summer time - once;
* a local time that happens twice (the fall-back hour) means the first of the
  two - once.

``zoneinfo`` with ``fold=0`` gives exactly these readings.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import date, datetime, time, timedelta, timezone
from itertools import takewhile
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
ALLOWED_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
ALLOWED_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS",
                 "BYYEARDAY", "BYWEEKNO", "WKST")
MAX_INTERVAL = 99
MAX_COUNT = 1000
PART_VALUE = re.compile(r"^[A-Z0-9,+\-]+$")


class RecurrenceError(ValueError):
    """A rule or a time the member sent that cannot be used; the message says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# -- local times -----------------------------------------------------------------


def format_local(moment: datetime) -> str:
    """A naive local datetime as the key used in URLs and tables: ``2024-03-10T19:00``."""
    return moment.strftime(LOCAL_FORMAT)


def parse_local(value, field: str, tz: ZoneInfo) -> datetime:
    """A wall-clock time in the couple's zone from ``YYYY-MM-DDTHH:MM``.

    A time with an offset or ``Z`` is converted into the couple's zone first,
    so clients in another zone can send what they have.
    """
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise RecurrenceError("invalid_field", f"'{field}' must be a date and time like 2024-03-10T19:00.")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RecurrenceError("invalid_field", f"'{field}' must be a date and time like 2024-03-10T19:00.") from None
    if not 1970 <= parsed.year <= 2200:  # before the zone conversion, which overflows near year 1 or 9999
        raise RecurrenceError("invalid_field", f"'{field}' must be between the years 1970 and 2200.")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(tz).replace(tzinfo=None)
    return parsed.replace(second=0, microsecond=0)


def parse_key(key: str) -> datetime | None:
    """An occurrence key back to its naive local start, or None if malformed."""
    try:
        parsed = datetime.strptime(key, LOCAL_FORMAT)
    except (TypeError, ValueError):
        return None
    return parsed if format_local(parsed) == key else None


def localize(moment: datetime, tz: ZoneInfo) -> datetime:
    """Place a wall-clock time in ``tz`` by RFC 5545's rules (see the module docstring).

    The result is normalised, so a time in the gap reads as the real instant
    (02:30 in the spring gap becomes 03:30 summer time).
    """
    aware = moment.replace(tzinfo=tz, fold=0)
    return aware.astimezone(timezone.utc).astimezone(tz)


def to_utc(moment: datetime, tz: ZoneInfo) -> datetime:
    return localize(moment, tz).astimezone(timezone.utc)


# -- rules -------------------------------------------------------------------------


def _split(text: str) -> list[tuple[str, str]]:
    parts = []
    for chunk in text.split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise RecurrenceError("invalid_rrule", f"The recurrence rule part {chunk.strip()!r} is not NAME=VALUE.")
        parts.append((name, value))
    return parts


def _until_local(value: str, tz: ZoneInfo) -> datetime:
    """UNTIL as a naive local time: a date means the end of that day in the couple's zone."""
    try:
        if len(value) == 8:
            return datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59))
        if value.endswith("Z"):
            moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            return moment.astimezone(tz).replace(tzinfo=None)
        return datetime.strptime(value, "%Y%m%dT%H%M%S")
    except (ValueError, OverflowError):  # OverflowError: a UTC time near year 1 or 9999 moved into the zone
        raise RecurrenceError("invalid_rrule", "UNTIL must be a date like 20241231 or a time like "
                                               "20241231T180000Z.") from None


def normalise_rule(text, start: datetime, tz: ZoneInfo) -> str:
    """Check a member's RRULE and return it in the stored form; raise RecurrenceError.

    The stored form is upper case with UNTIL in UTC (``...Z``), which is what
    RFC 5545 requires next to a DTSTART with a TZID, so the calendar feed can
    use it as is. Rituals repeat at most daily: BYHOUR and friends are
    refused, the time of day comes from the start.
    """
    if not isinstance(text, str) or not text.strip():
        raise RecurrenceError("invalid_rrule", "'rrule' must be a recurrence rule such as FREQ=WEEKLY;BYDAY=SU, "
                                               "or null for a one-off ritual.")
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if len(text) > 300 or "\n" in text or "\r" in text:
        raise RecurrenceError("invalid_rrule", "'rrule' must be a single RRULE line of at most 300 characters.")
    parts = _split(text)
    names = [name for name, _ in parts]
    for name, value in parts:
        if name not in ALLOWED_PARTS:
            raise RecurrenceError("invalid_rrule", f"The recurrence rule part {name} is not supported here; "
                                                   f"use {', '.join(ALLOWED_PARTS)}.")
        if not PART_VALUE.match(value) and name != "UNTIL":
            raise RecurrenceError("invalid_rrule", f"The value of {name} is not valid.")
    if len(set(names)) != len(names):
        raise RecurrenceError("invalid_rrule", "Each part of the recurrence rule may appear only once.")
    values = dict(parts)
    if values.get("FREQ") not in ALLOWED_FREQS:
        raise RecurrenceError("invalid_rrule", f"FREQ must be one of {', '.join(ALLOWED_FREQS)} "
                                               "(rituals repeat at most daily).")
    if "COUNT" in values and "UNTIL" in values:
        raise RecurrenceError("invalid_rrule", "Use either COUNT or UNTIL, not both.")
    _check_number(values, "INTERVAL", MAX_INTERVAL)
    _check_number(values, "COUNT", MAX_COUNT)
    if "UNTIL" in values:
        until = _until_local(values["UNTIL"], tz)
        if until < start:
            raise RecurrenceError("end_before_start", "The recurrence ends (UNTIL) before the ritual starts.")
        values["UNTIL"] = localize(until, tz).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stored = ";".join(f"{name}={values[name]}" for name in names)
    rule = build_rule(stored, start, tz)
    if rule.after(start - timedelta(seconds=1), inc=True) is None:
        raise RecurrenceError("rrule_empty", "This recurrence rule never happens after the start "
                                             "(for example the 31st of February).")
    return stored


def _check_number(values: dict, name: str, maximum: int) -> None:
    if name in values and not (values[name].isdigit() and 1 <= int(values[name]) <= maximum):
        raise RecurrenceError("invalid_rrule", f"{name} must be a whole number from 1 to {maximum}.")


def build_rule(stored: str, start: datetime, tz: ZoneInfo) -> rrule:
    """A dateutil rule over naive local times (UNTIL converted back to local)."""
    parts = []
    for name, value in _split(stored):
        if name == "UNTIL":
            value = _until_local(value, tz).strftime("%Y%m%dT%H%M%S")
        parts.append(f"{name}={value}")
    try:
        return rrulestr(";".join(parts), dtstart=start)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RecurrenceError("invalid_rrule", f"The recurrence rule is not valid: {exc}.") from None


def first_occurrence(stored: str | None, start: datetime, tz: ZoneInfo) -> datetime:
    """The series' real first occurrence: a start that the rule skips moves to the next match.

    RFC 5545 leaves a DTSTART that the rule does not produce undefined, and
    calendar apps disagree; storing the first real occurrence avoids that.
    """
    if stored is None:
        return start
    found = build_rule(stored, start, tz).after(start - timedelta(seconds=1), inc=True)
    return found or start


class Series:
    """One ritual's occurrences in wall-clock time."""

    def __init__(self, start: datetime, stored_rule: str | None, tz: ZoneInfo):
        self.start = start
        self.tz = tz
        self.rule = build_rule(stored_rule, start, tz) if stored_rule else None

    def between(self, after: datetime, before: datetime) -> list[datetime]:
        """Local starts with ``after <= start < before`` (naive local bounds)."""
        if self.rule is None:
            return [self.start] if after <= self.start < before else []
        return [moment for moment in self.rule.between(after, before, inc=True) if moment < before]

    def contains(self, moment: datetime) -> bool:
        if self.rule is None:
            return moment == self.start
        return self.rule.after(moment - timedelta(seconds=1), inc=True) == moment

    def before(self, moment: datetime, count: int) -> list[datetime]:
        """Up to ``count`` starts strictly before ``moment``, newest first.

        One walk from the series' start: dateutil's ``rule.before`` walks from
        the start on every call, so asking it ``count`` times cost ``count``
        walks (a daily ritual two years old: 30 x 730 steps for one page).
        """
        if self.rule is None:
            return [self.start][:count] if self.start < moment else []
        recent = deque(takewhile(lambda start: start < moment, self.rule), maxlen=count)
        return list(reversed(recent))

    def next_after(self, moment: datetime) -> datetime | None:
        if self.rule is None:
            return self.start if self.start >= moment else None
        return self.rule.after(moment, inc=True)


def local_now(now_utc: datetime, tz: ZoneInfo) -> datetime:
    """The couple's wall clock now, naive, to compare with occurrence keys."""
    return now_utc.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time())
    return start, start + timedelta(days=1)


WEEKDAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
            "SA": "Saturday", "SU": "Sunday"}
ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "-1": "last"}


def describe_rule(stored: str | None, start: datetime) -> str:
    """A rule in plain words for the common cases ("Every 2 weeks on Tuesday at 17:00")."""
    at = f"at {start:%H:%M}"
    if not stored:
        return f"Once, on {start:%A} {start.day} {start:%B %Y} {at}"
    parts = dict(part.split("=", 1) for part in stored.split(";"))
    interval = int(parts.get("INTERVAL", "1"))
    days = parts.get("BYDAY", "")
    simple = set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "WKST"}
    text = None
    if parts["FREQ"] == "DAILY" and simple and not days:
        text = "Every day" if interval == 1 else f"Every {interval} days"
    elif parts["FREQ"] == "WEEKLY" and simple:
        names = [WEEKDAYS.get(code) for code in days.split(",")] if days else [WEEKDAYS[start.strftime("%a")[:2].upper()]]
        if all(names):
            every = "Every week" if interval == 1 else f"Every {interval} weeks"
            text = f"{every} on {_join(names)}"
    elif parts["FREQ"] == "MONTHLY" and simple and interval == 1:
        match = re.fullmatch(r"([+-]?\d)([A-Z]{2})", days) if days else None
        if match and match.group(1).lstrip("+") in ORDINALS and match.group(2) in WEEKDAYS:
            text = f"Every month on the {ORDINALS[match.group(1).lstrip('+')]} {WEEKDAYS[match.group(2)]}"
        elif not days:
            text = f"Every month on day {parts.get('BYMONTHDAY', start.day)}"
    elif parts["FREQ"] == "YEARLY" and simple and not days and interval == 1:
        text = f"Every year on {start.day} {start:%B}"
    if text is None:
        return f"Repeats: {stored}, {at}"
    return f"{text} {at}"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
