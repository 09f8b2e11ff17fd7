"""Reminders: per member and ritual, on time, once, and kind about downtime.

One scheduled job runs every minute. It keeps no timers of its own: each run
computes which reminders fell due since the previous run from the rituals'
tables and the scheduler's clock, so nothing is lost across a restart and a
daylight-saving change cannot double a reminder (the times come from the
wall-clock recurrence, see :mod:`recurrence`).

* **Once.** Every reminder dealt with is a row in ``rituals_reminder_log``
  (unique per member, occurrence, start and offset): a second run, a second
  process or a restart never sends it again. Moving an occurrence gives it a
  new start, so its reminders are computed afresh.
* **Quiet hours.** A reminder that falls due in the member's quiet hours
  waits until they end. If the ritual has begun by then it is dropped
  quietly: a reminder after the fact helps nobody.
* **While I was off.** A reminder whose moment passed more than
  ``reminder_grace_minutes`` ago (the Pi was off or asleep) is not replayed
  late. Each member gets one ``rituals.missed_summary`` listing them instead,
  at the first run outside their quiet hours. The job looks back at most a
  week. If the clock was wrong ahead and is corrected, reminders it counted as
  missed that are still to come are sent on time after all.
* **Private.** Reminders and summaries are ``private`` events for the one
  member, who chose the offsets; the partner's devices never hear them.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, time, timedelta, timezone

from hearthside.plugin_api import emit, row_or_none, utc_now

from .dashboard import refresh_wall
from .model import couple_tz, occurrences_between, rituals_of, utc_iso, when_text
from .recurrence import localize

log = logging.getLogger(__name__)

JOB_ID = "rituals.reminders"
STATE_KEY = "reminders.scanned_until"
LOOK_BACK = timedelta(days=7)
MAX_OFFSETS = 5
MAX_OFFSET_MINUTES = 14 * 24 * 60
SUMMARY_ITEMS = 12


# -- settings ------------------------------------------------------------------------


def parse_default_offsets(value: str) -> list[int]:
    """The ``default_reminders`` setting ("1440,30") as minutes; nonsense means none (and a warning)."""
    try:
        offsets = sorted({int(part) for part in str(value).split(",") if part.strip()}, reverse=True)
    except ValueError:
        offsets = None
    if offsets is None or len(offsets) > MAX_OFFSETS or any(not 0 <= o <= MAX_OFFSET_MINUTES for o in offsets):
        log.warning("plugins.rituals.default_reminders must be up to %d comma-separated minute counts "
                    "from 0 to %d; using no default reminders", MAX_OFFSETS, MAX_OFFSET_MINUTES)
        return []
    return offsets


def offsets_for(db, ritual_id: int, member_id: int, default: list[int]) -> list[int]:
    row = row_or_none(db, "SELECT offsets FROM rituals_reminder_prefs WHERE ritual_id = ? AND member_id = ?",
                      [ritual_id, member_id])
    return json.loads(row["offsets"]) if row else list(default)


def feed_alarms(db, member_id: int, rituals, default: list[int]) -> dict[int, tuple[list[int], str | None]]:
    """For the member's calendar feed: each ritual's offsets of *this member* and when they chose
    them (None: the configured default). The partner's choices never enter it."""
    chosen = {row["ritual_id"]: row for row in db.query(
        "SELECT ritual_id, offsets, changed_at FROM rituals_reminder_prefs WHERE member_id = ?", [member_id])}
    return {ritual.id: (json.loads(chosen[ritual.id]["offsets"]), chosen[ritual.id]["changed_at"])
            if ritual.id in chosen else (list(default), None) for ritual in rituals}


def quiet_hours(db, member_id: int) -> tuple[time, time] | None:
    row = row_or_none(db, "SELECT quiet_start, quiet_end FROM rituals_member_settings WHERE member_id = ?",
                      [member_id])
    if not row or not row["quiet_start"] or not row["quiet_end"]:
        return None
    return time.fromisoformat(row["quiet_start"]), time.fromisoformat(row["quiet_end"])


def in_quiet(local: datetime, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    moment = local.time()
    return start <= moment < end if start < end else (moment >= start or moment < end)


def delivery_time(due_utc: datetime, quiet, tz) -> datetime:
    """When a reminder due at ``due_utc`` may be delivered: at once, or when quiet hours end."""
    local = due_utc.astimezone(tz).replace(tzinfo=None)
    if not in_quiet(local, quiet):
        return due_utc
    end = datetime.combine(local.date(), quiet[1])
    if end <= local:
        end += timedelta(days=1)
    return localize(end, tz).astimezone(timezone.utc)


def lead_text(minutes: int) -> str:
    """"in 30 minutes", "in 2 hours", "tomorrow": how far off the ritual is."""
    if minutes <= 1:
        return "now"
    if minutes < 90:
        return f"in {minutes} minutes"
    if minutes < 20 * 60:
        hours = round(minutes / 60)
        return f"in {hours} hours"
    if minutes < 36 * 60:
        return "tomorrow"
    return f"in {round(minutes / 1440)} days"


# -- the job ----------------------------------------------------------------------------


def run_job(hs) -> None:
    run(hs, utc_now(hs))  # the scheduler's clock: a test's scheduler moves it


def run(hs, now: datetime) -> dict:
    """Deal with every reminder due up to ``now``; returns counts (for logs and tests)."""
    settings = hs.config.plugin("rituals")
    grace = timedelta(minutes=settings["reminder_grace_minutes"])
    default = parse_default_offsets(settings["default_reminders"])
    counts = {"sent": 0, "missed": 0, "dropped": 0, "summaries": 0}
    with hs.storage.connection() as db:
        last = _scanned_until(db)
        if last is not None and last > now:
            _rearm_after_clock_went_back(db, now)
        window_start = now - grace if last is None else max(min(last, now), now - LOOK_BACK)
        couples = [row[0] for row in db.execute("SELECT DISTINCT couple_id FROM rituals_rituals").fetchall()]
        for couple_id in couples:
            with db.atomic():
                for outcome in _couple_reminders(db, couple_id, window_start, now, grace, default):
                    counts[outcome] += 1
        with db.atomic():
            counts["summaries"] = _summaries(db, now)
            for couple_id in couples:
                refresh_wall(db, couple_id, now)
            db["rituals_job_state"].upsert({"name": STATE_KEY, "value": utc_iso(now)}, pk="name")
    if counts["missed"] or counts["summaries"]:
        log.info("Rituals reminders: %(sent)d sent, %(missed)d missed while the server was off, "
                 "%(summaries)d summaries", counts)
    return counts


def _rearm_after_clock_went_back(db, now: datetime) -> None:
    """The clock was wrong ahead and has been corrected: reminders it counted as missed
    (or dropped) for a moment still to come were never delivered, so they are sent on
    time after all. Reminders actually sent stay in the log: never twice."""
    with db.atomic():
        db.execute("DELETE FROM rituals_reminder_log WHERE outcome IN ('missed', 'dropped') AND due_at > ?",
                   [utc_iso(now)])


def _scanned_until(db) -> datetime | None:
    row = row_or_none(db, "SELECT value FROM rituals_job_state WHERE name = ?", [STATE_KEY])
    return datetime.fromisoformat(row["value"]) if row else None


def _couple_reminders(db, couple_id: int, window_start: datetime, now: datetime, grace: timedelta,
                      default: list[int]):
    tz = couple_tz(db, couple_id)
    for ritual in rituals_of(db, couple_id):
        wanted = {member_id: offsets_for(db, ritual.id, member_id, default) for member_id in ritual.participants}
        longest = max((max(offsets) for offsets in wanted.values() if offsets), default=None)
        if longest is None:
            continue
        # Quiet hours can hold a reminder back by up to a day; look that far behind the window.
        low = (window_start - timedelta(days=1)).astimezone(tz).replace(tzinfo=None)
        high = (now + timedelta(minutes=longest + 1)).astimezone(tz).replace(tzinfo=None)
        views = [view for view in occurrences_between(db, [ritual], low, high)
                 if view["status"] in ("upcoming", "moved")]
        for member_id, offsets in wanted.items():
            quiet = quiet_hours(db, member_id)
            for view in views:
                start = datetime.fromisoformat(view["start"]).astimezone(timezone.utc)
                for offset in offsets:
                    outcome = _one(db, ritual, view, member_id, offset, start, quiet, tz, window_start, now, grace)
                    if outcome:
                        yield outcome


def _one(db, ritual, view, member_id, offset, start, quiet, tz, window_start, now, grace) -> str | None:
    deliver = delivery_time(start - timedelta(minutes=offset), quiet, tz)
    if not window_start < deliver <= now:
        return None
    key = [member_id, ritual.id, view["key"], utc_iso(start), offset]
    if db.execute("SELECT 1 FROM rituals_reminder_log WHERE member_id = ? AND ritual_id = ? AND occurrence_key = ? "
                  "AND start_at = ? AND offset_minutes = ?", key).fetchone():
        return None
    if deliver > start:
        outcome = "dropped"
    elif deliver < now - grace:
        outcome = "missed"
    else:
        outcome = "sent"
        minutes = round((start - now).total_seconds() / 60)
        emit(db, "rituals.reminder", ritual.couple_id, {
            "ritual_id": ritual.id, "key": view["key"], "title": ritual.title, "start": view["start"],
            "offset_minutes": offset,
            "summary": f"Reminder: “{ritual.title}” {lead_text(minutes)} ({when_text(view)}).",
        }, visibility="private", audience_id=member_id)
    db["rituals_reminder_log"].insert({
        "couple_id": ritual.couple_id, "member_id": member_id, "ritual_id": ritual.id, "occurrence_key": view["key"],
        "start_at": utc_iso(start), "offset_minutes": offset, "due_at": utc_iso(deliver), "outcome": outcome,
        "handled_at": utc_iso(now)})
    return outcome


def _summaries(db, now: datetime) -> int:
    """One "while I was off" summary per member with missed reminders, outside their quiet hours."""
    sent = 0
    members = db.execute("SELECT DISTINCT member_id, couple_id FROM rituals_reminder_log "
                         "WHERE outcome = 'missed' AND summarised_at IS NULL").fetchall()
    for member_id, couple_id in members:
        tz = couple_tz(db, couple_id)
        if in_quiet(now.astimezone(tz).replace(tzinfo=None), quiet_hours(db, member_id)):
            continue
        rows = list(db.query(
            """SELECT l.id, l.ritual_id, l.occurrence_key, l.start_at, r.title FROM rituals_reminder_log l
               JOIN rituals_rituals r ON r.id = l.ritual_id
               WHERE l.member_id = ? AND l.outcome = 'missed' AND l.summarised_at IS NULL ORDER BY l.start_at""",
            [member_id]))
        items, seen = [], set()
        for row in rows:  # several offsets of one occurrence are one line
            if (row["ritual_id"], row["start_at"]) in seen:
                continue
            seen.add((row["ritual_id"], row["start_at"]))
            start = datetime.fromisoformat(row["start_at"]).astimezone(tz)
            items.append({"ritual_id": row["ritual_id"], "key": row["occurrence_key"], "title": row["title"],
                          "start": start.isoformat(timespec="minutes"), "upcoming": start > now})
        listed = "; ".join(f"{item['title']} ({when_text(item)})" for item in items[:SUMMARY_ITEMS])
        more = f" and {len(items) - SUMMARY_ITEMS} more" if len(items) > SUMMARY_ITEMS else ""
        emit(db, "rituals.missed_summary", couple_id, {
            "count": len(items), "items": items[:SUMMARY_ITEMS],
            "summary": f"While Hearthside was off, {_reminders(len(items))} could not be sent on time: {listed}{more}.",
        }, visibility="private", audience_id=member_id)
        marks = ",".join("?" * len(rows))
        db.execute(f"UPDATE rituals_reminder_log SET summarised_at = ? WHERE id IN ({marks})",
                   [utc_iso(now), *[row["id"] for row in rows]])
        sent += 1
    return sent


def _reminders(count: int) -> str:
    return "1 reminder" if count == 1 else f"{count} reminders"


def save_offsets(db, principal, ritual, offsets: list[int]) -> None:
    with db.atomic():
        db["rituals_reminder_prefs"].upsert({"ritual_id": ritual.id, "member_id": principal.member_id,
                                             "offsets": json.dumps(offsets), "changed_at": utc_iso(utc_now())},
                                            pk=("ritual_id", "member_id"))
        emit(db, "rituals.reminders_changed", principal.couple_id,
             {"ritual_id": ritual.id, "offsets": offsets,
              "summary": f"Your reminders for “{ritual.title}” are saved."},
             visibility="private", audience_id=principal.member_id, actor_id=principal.member_id)
