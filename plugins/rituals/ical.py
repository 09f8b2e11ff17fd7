"""The calendar feed: one member's rituals as RFC 5545 iCalendar text.

Written by hand (about a hundred lines) rather than with a library, so the
server needs no extra dependency; the tests parse every feed with the
``icalendar`` library to hold it to the standard.

* Each ritual is one VEVENT with a stable UID (stored with the ritual), its
  first start as ``DTSTART;TZID=<couple's zone>`` and its RRULE (UNTIL is
  stored in UTC, as RFC 5545 requires next to a TZID).
* A skipped occurrence is an EXDATE; a moved one is an extra VEVENT with the
  same UID and a RECURRENCE-ID, so calendar apps move that one instance.
* The VTIMEZONE is computed from the system's tz database: the rule now in
  force as yearly RRULEs, older transitions listed one by one.
* Only what the member may see, and never a check-in answer or homework:
  titles, times, descriptions and locations of rituals they take part in.
* One VALARM per reminder the *member* chose (or the default), so the phone
  reminds even when Hearthside is not open. A lock screen shows an alarm's
  text, so it is the title and nothing else: the same discreet words as the
  SUMMARY (a touch session's is its ``calendar_title``), never the
  description or place. The partner's reminders are in the partner's feed.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .model import Ritual, override_rows
from .recurrence import LOCAL_FORMAT

PRODID = "-//Hearthside//Rituals 1.0//EN"
ICS_LOCAL = "%Y%m%dT%H%M%S"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# -- text ---------------------------------------------------------------------------


def escape(value: str) -> str:
    """TEXT values (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    pieces, current, limit = [], b"", 75
    for char in line:
        size = len(char.encode())
        if len(current) + size > limit:
            pieces.append(current.decode())
            current, limit = b"", 74  # continuation lines begin with a space
        current += char.encode()
    pieces.append(current.decode())
    return "\r\n ".join(pieces)


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


# -- the time zone ------------------------------------------------------------------


def transitions(tz: ZoneInfo, first_year: int, last_year: int) -> list[dict]:
    """Every UTC-offset change of ``tz`` in the years given, found by scanning then bisecting."""
    found = []
    moment = datetime(first_year, 1, 1, tzinfo=timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=timezone.utc)
    step = timedelta(days=1)
    while moment < end:
        nxt = moment + step
        if moment.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            low, high = moment, nxt
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            at = high.replace(second=0, microsecond=0)
            before, after = low.astimezone(tz), at.astimezone(tz)
            found.append({"at": at, "from": before.utcoffset(), "to": after.utcoffset(),
                          "dst": bool(after.dst()), "name": after.tzname() or "",
                          "local": (at + before.utcoffset()).replace(tzinfo=None)})
        moment = nxt
    return found


def _byday(day: date) -> str:
    """The weekday rule of a date: "-1SU" for the last Sunday, "2SU" for the second."""
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[day.weekday()]
    month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if day.day + 7 > month_end.day:
        return f"-1{weekday}"
    return f"{(day.day - 1) // 7 + 1}{weekday}"


def _rule_holds(group: list[dict]) -> bool:
    first = group[0]
    return all(t["local"].month == first["local"].month and t["local"].time() == first["local"].time()
               and _byday(t["local"].date()) == _byday(first["local"].date()) and t["from"] == first["from"]
               and t["to"] == first["to"] for t in group)


def vtimezone(tz: ZoneInfo, first_year: int, last_year: int) -> list[str]:
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz.key}"]
    found = transitions(tz, first_year, last_year)
    opening = datetime(first_year, 1, 1, tzinfo=timezone.utc).astimezone(tz)
    kind = "DAYLIGHT" if opening.dst() else "STANDARD"  # in force before the first change listed
    lines += [f"BEGIN:{kind}", f"DTSTART:{first_year}0101T000000", f"TZOFFSETFROM:{_offset(opening.utcoffset())}",
              f"TZOFFSETTO:{_offset(opening.utcoffset())}", f"TZNAME:{opening.tzname() or tz.key}", f"END:{kind}"]
    for dst in (True, False):
        series = [t for t in found if t["dst"] == dst]
        # The newest run of transitions that follow one yearly rule becomes an RRULE.
        tail = 0
        while tail < len(series) and _rule_holds(series[len(series) - tail - 1:]):
            tail += 1
        ruled = series[len(series) - tail:] if tail >= 2 else []
        for t in series[: len(series) - len(ruled)]:
            lines += _observance(t)
        if ruled:
            first = ruled[0]
            rule = f"RRULE:FREQ=YEARLY;BYMONTH={first['local'].month};BYDAY={_byday(first['local'].date())}"
            lines += _observance(first, rule)
    lines.append("END:VTIMEZONE")
    return lines


def _observance(t: dict, rule: str | None = None) -> list[str]:
    kind = "DAYLIGHT" if t["dst"] else "STANDARD"
    lines = [f"BEGIN:{kind}", f"DTSTART:{t['local'].strftime(ICS_LOCAL)}", f"TZOFFSETFROM:{_offset(t['from'])}",
             f"TZOFFSETTO:{_offset(t['to'])}", f"TZNAME:{t['name']}"]
    if rule:
        lines.append(rule)
    return lines + [f"END:{kind}"]


# -- events -------------------------------------------------------------------------


def _local(key: str) -> str:
    return datetime.strptime(key, LOCAL_FORMAT).strftime(ICS_LOCAL)


def _stamp(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def trigger(minutes: int) -> str:
    """A relative TRIGGER (RFC 5545 3.3.6) ``minutes`` before the start: 30 -> "-PT30M", 1440 -> "-P1D"."""
    if minutes == 0:
        return "PT0M"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    time = ("T" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")) if rest else ""
    return "-P" + (f"{days}D" if days else "") + time


def alarms(ritual: Ritual, offsets: list[int]) -> list[str]:
    """One DISPLAY alarm per offset; its text is the title alone (what a lock screen shows)."""
    lines = []
    for minutes in offsets:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{escape(ritual.title)}",
                  f"TRIGGER:{trigger(minutes)}", "END:VALARM"]
    return lines


def _common(ritual: Ritual, changed_at: str | None) -> list[str]:
    revised = max(_stamp(ritual.row["updated_at"]), _stamp(changed_at) if changed_at else "")
    lines = [f"UID:{ritual.row['uid']}", f"DTSTAMP:{revised}", f"LAST-MODIFIED:{revised}",
             f"SUMMARY:{escape(ritual.title)}"]
    if ritual.row["description"]:
        lines.append(f"DESCRIPTION:{escape(ritual.row['description'])}")
    if ritual.row["location"]:
        lines.append(f"LOCATION:{escape(ritual.row['location'])}")
    return lines


def ritual_events(db, ritual: Ritual, offsets: list[int], changed_at: str | None = None) -> list[str]:
    """The ritual's VEVENTs, each with the member's alarms (``offsets``, chosen at ``changed_at``)."""
    tzid = ritual.tz.key
    common, alarm = _common(ritual, changed_at), alarms(ritual, offsets)
    overrides = override_rows(db, ritual.id)
    if ritual.rrule is None:
        override = overrides.get(ritual.row["start_local"])
        if override and override["status"] == "skipped":
            return []
        start = override["moved_start"] if override and override["moved_start"] else ritual.row["start_local"]
        duration = (override["moved_duration"] if override and override["moved_start"] else None) or ritual.duration
        return ["BEGIN:VEVENT", *common, f"DTSTART;TZID={tzid}:{_local(start)}",
                f"DURATION:PT{duration}M", *alarm, "END:VEVENT"]
    lines = ["BEGIN:VEVENT", *common, f"DTSTART;TZID={tzid}:{_local(ritual.row['start_local'])}",
             f"DURATION:PT{ritual.duration}M", f"RRULE:{ritual.rrule}"]
    skipped = sorted(key for key, row in overrides.items() if row["status"] == "skipped")
    if skipped:
        lines.append(f"EXDATE;TZID={tzid}:" + ",".join(_local(key) for key in skipped))
    lines += [*alarm, "END:VEVENT"]
    for key, row in sorted(overrides.items()):
        if row["moved_start"] and row["status"] != "skipped":
            lines += ["BEGIN:VEVENT", *common, f"RECURRENCE-ID;TZID={tzid}:{_local(key)}",
                      f"DTSTART;TZID={tzid}:{_local(row['moved_start'])}",
                      f"DURATION:PT{row['moved_duration'] or ritual.duration}M", *alarm, "END:VEVENT"]
    return lines


def calendar(db, rituals: list[Ritual], tz: ZoneInfo, now: datetime,
             reminders: dict[int, tuple[list[int], str | None]]) -> str:
    """The whole feed, CRLF-terminated and folded; ``reminders`` maps each ritual to the feed
    owner's offsets and when they chose them (:func:`reminders.feed_alarms`)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             "X-WR-CALNAME:Hearthside rituals", f"X-WR-TIMEZONE:{tz.key}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    years = [ritual.start.year for ritual in rituals] + [now.year]
    last = max(years) + 1
    lines += vtimezone(tz, max(min(years), last - 40), last)  # older years: the opening observance
    for ritual in rituals:
        lines += ritual_events(db, ritual, *reminders[ritual.id])
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
