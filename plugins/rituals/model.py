"""Rituals and their occurrences: reading, checking and changing them.

A ritual is a series (start, RRULE, duration) in the couple's time zone.
Occurrences are computed from the series; only those with something recorded
(done, skipped, moved, answered, homework) have a row, keyed by the original
wall-clock start. Every change is written in one transaction with the event
that describes it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hearthside.plugin_api import (Conflict, Invalid, NotFound, couple_members, emit, get_couple, one_row, row_or_none,
                                   utc_now)

from . import presets
from .checks import read_participants, read_prompts
from .recurrence import (LOCAL_FORMAT, RecurrenceError, Series, first_occurrence, format_local, localize,
                         normalise_rule, parse_key, parse_local)

STATUSES = ("active", "paused", "archived")
MAX_DURATION = 24 * 60


def iso(moment: datetime) -> str:
    """An instant for the API: ISO 8601 with its UTC offset in the couple's zone."""
    return moment.isoformat(timespec="minutes")


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def couple_tz(db, couple_id: int) -> ZoneInfo:
    return ZoneInfo(get_couple(db, couple_id)["time_zone"])


def recurrence_error(exc: RecurrenceError):
    raise Invalid(exc.code, exc.message)


class Ritual:
    """One ritual row with its series, in the couple's zone."""

    def __init__(self, row: dict, tz: ZoneInfo):
        self.row = row
        self.id = row["id"]
        self.couple_id = row["couple_id"]
        self.kind = row["kind"]
        self.title = row["title"]
        self.status = row["status"]
        self.rrule = row["rrule"]
        self.duration = row["duration_minutes"]
        self.tz = tz
        self.start = datetime.strptime(row["start_local"], LOCAL_FORMAT)
        self.participants: list[int] = json.loads(row["participants"])
        self.prompts: list[dict] = json.loads(row["prompts"])
        self.series = Series(self.start, self.rrule, tz)

    @property
    def created_local(self) -> datetime:
        created = datetime.fromisoformat(self.row["created_at"])
        return created.astimezone(self.tz).replace(tzinfo=None)

    def as_dict(self) -> dict:
        row = self.row
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "description": row["description"],
            "location": row["location"], "start": row["start_local"], "time_zone": self.tz.key,
            "duration_minutes": self.duration, "rrule": self.rrule, "participants": self.participants,
            "prompts": self.prompts, "status": self.status, "source": row["source"], "created_by": row["created_by"],
            "created_at": row["created_at"], "updated_at": row["updated_at"],
        }


# -- reading ---------------------------------------------------------------------


def rituals_of(db, couple_id: int, statuses: tuple[str, ...] = ("active",)) -> list[Ritual]:
    tz = couple_tz(db, couple_id)
    marks = ",".join("?" * len(statuses))
    rows = db.query(f"SELECT * FROM rituals_rituals WHERE couple_id = ? AND status IN ({marks}) ORDER BY id",
                    [couple_id, *statuses])
    return [Ritual(row, tz) for row in rows]


def get_ritual(db, couple_id: int, ritual_id: int) -> Ritual:
    """The couple's ritual, or 404: another couple's ritual does not exist for them."""
    row = one_row(db, "SELECT * FROM rituals_rituals WHERE id = ? AND couple_id = ?", [ritual_id, couple_id],
                  NotFound("ritual_not_found", "There is no ritual with that id."))
    return Ritual(row, couple_tz(db, couple_id))


def override_rows(db, ritual_id: int) -> dict[str, dict]:
    return {row["occurrence_key"]: row
            for row in db.query("SELECT * FROM rituals_occurrences WHERE ritual_id = ?", [ritual_id])}


def effective(ritual: Ritual, key: str, override: dict | None) -> tuple[datetime, int]:
    """The local start and duration an occurrence really has (after a move)."""
    if override and override["moved_start"]:
        return (datetime.strptime(override["moved_start"], LOCAL_FORMAT),
                override["moved_duration"] or ritual.duration)
    return datetime.strptime(key, LOCAL_FORMAT), ritual.duration


def occurrence_participants(ritual: Ritual, override: dict | None) -> list[int]:
    """Who takes part in this occurrence: frozen at its first check-in answer, else the ritual's.

    Freezing is what keeps an edit of the ritual's participants from
    completing (and so revealing) a check-in someone has already answered.
    """
    if override and override["participants"]:
        return json.loads(override["participants"])
    return ritual.participants


def status_of(override: dict | None) -> str:
    if override and override["status"]:
        return override["status"]
    if override and override["moved_start"]:
        return "moved"
    return "upcoming"


def occurrence_view(db, ritual: Ritual, key: str, override: dict | None) -> dict:
    """The JSON shape of one occurrence (never check-in answers)."""
    start_local, duration = effective(ritual, key, override)
    start = localize(start_local, ritual.tz)
    view = {
        "ritual_id": ritual.id, "key": key, "kind": ritual.kind, "title": ritual.title,
        "location": ritual.row["location"], "start": iso(start),
        "end": iso((start.astimezone(timezone.utc) + timedelta(minutes=duration)).astimezone(ritual.tz)),
        "original_start": iso(localize(datetime.strptime(key, LOCAL_FORMAT), ritual.tz)),
        "duration_minutes": duration, "status": status_of(override),
        "moved": bool(override and override["moved_start"]), "participants": occurrence_participants(ritual, override),
        "marked_by": override["marked_by"] if override else None,
    }
    if ritual.kind == "checkin":
        view["checkin"] = checkin_state(db, ritual, override)
    if ritual.kind == "therapy":
        view["homework"] = homework_counts(db, override)
    return view


def checkin_state(db, ritual: Ritual, override: dict | None) -> dict:
    """Who has submitted (not what) and whether the answers are revealed."""
    submitted = []
    if override:
        submitted = [row["member_id"] for row in db.query(
            "SELECT member_id FROM rituals_answers WHERE occurrence_id = ? ORDER BY member_id", [override["id"]])]
    return {"submitted": submitted, "revealed": bool(override and override["revealed_at"])}


def homework_counts(db, override: dict | None) -> dict:
    if not override:
        return {"total": 0, "done": 0}
    total, done = db.execute("SELECT count(*), count(done_at) FROM rituals_homework WHERE occurrence_id = ?",
                             [override["id"]]).fetchone()
    return {"total": total, "done": done}


def occurrences_between(db, rituals: list[Ritual], after: datetime, before: datetime) -> list[dict]:
    """Every occurrence whose effective local start is in ``[after, before)``, in order.

    Moved occurrences show where they were moved to; skipped ones stay in the
    list (with their status) so a calendar can show the day was let go kindly.
    """
    found = []
    for ritual in rituals:
        overrides = override_rows(db, ritual.id)
        keys = {format_local(moment) for moment in ritual.series.between(after, before)}
        keys |= {key for key, row in overrides.items() if row["moved_start"] and ritual.series.contains(
            datetime.strptime(key, LOCAL_FORMAT))}
        for key in keys:
            start, _ = effective(ritual, key, overrides.get(key))
            if after <= start < before:
                found.append(occurrence_view(db, ritual, key, overrides.get(key)))
    return sorted(found, key=lambda view: (datetime.fromisoformat(view["start"]), view["ritual_id"]))


def find_occurrence(db, ritual: Ritual, key: str) -> dict | None:
    """The override row of an occurrence that exists in the series; 404 otherwise."""
    moment = parse_key(key)
    overrides = override_rows(db, ritual.id)
    if moment is None or (key not in overrides and not ritual.series.contains(moment)):
        raise NotFound(
            "occurrence_not_found",
            "This ritual has no occurrence at that time (the key is its original start, like 2024-03-10T19:00).")
    return overrides.get(key)


def ensure_row(db, ritual: Ritual, key: str) -> dict:
    """The occurrence's row, created on first use (inside the caller's transaction)."""
    row = row_or_none(db, "SELECT * FROM rituals_occurrences WHERE ritual_id = ? AND occurrence_key = ?",
                      [ritual.id, key])
    if row:
        return row
    row_id = db["rituals_occurrences"].insert({"ritual_id": ritual.id, "couple_id": ritual.couple_id,
                                               "occurrence_key": key}).last_pk
    return db["rituals_occurrences"].get(row_id)


def next_occurrence(db, ritual: Ritual, now_utc: datetime) -> dict | None:
    """The next occurrence that has not ended and is not skipped (looks ahead a year)."""
    local = now_utc.astimezone(ritual.tz).replace(tzinfo=None)
    for days in (3, 40, 400):  # widen step by step: a daily ritual is found in the first window
        for view in occurrences_between(db, [ritual], local - timedelta(days=1), local + timedelta(days=days)):
            if view["status"] != "skipped" and datetime.fromisoformat(view["end"]) > now_utc:
                return view
    return None


# -- checking what a member sent ------------------------------------------------------


def read_ritual(db, couple_id: int, body: dict, existing: Ritual | None = None) -> dict:
    """Every column of a ritual from the fields a create or edit sent; 400 before anything is written.

    ``body`` holds only the fields that were sent, each already checked by
    the route's declaration (types, the one text rule, bounds, choices).
    """
    tz = couple_tz(db, couple_id)
    if existing is None:
        kind = body.get("template", body.get("kind", "custom"))
        template = presets.TEMPLATES[kind]
        current = {"title": template["title"], "description": template["description"], "location": "",
                   "duration_minutes": template["duration_minutes"], "rrule": template["rrule"], "prompts": None,
                   "participants": None, "status": "active"}
        if "start" not in body:
            raise Invalid("invalid_field", "'start' is required: the first date and time, like 2024-03-10T19:00.")
    else:
        kind = existing.kind
        if existing.row["source"]:
            raise Conflict("managed_elsewhere", f"This entry was planned in {existing.row['source']}; change it there.")
        if "template" in body or "kind" in body:
            raise Invalid("invalid_field", "The kind of a ritual cannot change; create a new one instead.")
        current = {"title": existing.title, "description": existing.row["description"],
                   "location": existing.row["location"], "duration_minutes": existing.duration,
                   "rrule": existing.rrule, "prompts": existing.prompts, "participants": existing.participants,
                   "status": existing.status}
    merged = {**current, **{k: v for k, v in body.items() if k in current}}
    columns = {
        "kind": kind, "title": merged["title"], "description": merged["description"] or "",
        "location": merged["location"] or "", "duration_minutes": merged["duration_minutes"],
        "status": merged["status"],
    }
    columns["participants"] = read_participants(db, couple_id, body.get("participants", current["participants"]))
    columns["prompts"] = read_prompts(body["prompts"] if "prompts" in body else current["prompts"], kind)
    try:
        start = parse_local(body["start"], "start", tz) if "start" in body else existing.start
        rule = merged["rrule"]
        stored = None if rule is None else normalise_rule(rule, start, tz)
        start = first_occurrence(stored, start, tz)
    except RecurrenceError as exc:
        recurrence_error(exc)
    columns["start_local"] = format_local(start)
    columns["rrule"] = stored
    return columns


# -- writing ----------------------------------------------------------------------------


def display_name(db, couple_id: int, member_id: int | None) -> str:
    for row in couple_members(db, couple_id):
        if row["id"] == member_id:
            return row["display_name"]
    return "Someone"


def when_text(view: dict) -> str:
    """"Sun 10 Mar, 19:00": short, for summaries and reminders."""
    start = datetime.fromisoformat(view["start"])
    return f"{start:%a} {start.day} {start:%b}, {start:%H:%M}"


def create_ritual(db, principal, columns: dict) -> Ritual:
    now = utc_iso(utc_now())
    with db.atomic():
        row = {**columns, "participants": json.dumps(columns["participants"]),
               "prompts": json.dumps(columns["prompts"]), "couple_id": principal.couple_id,
               "uid": f"{uuid.uuid4()}@hearthside", "created_by": principal.member_id,
               "created_at": now, "updated_at": now}
        ritual_id = db["rituals_rituals"].insert(row).last_pk
        ritual = get_ritual(db, principal.couple_id, ritual_id)
        name = display_name(db, principal.couple_id, principal.member_id)
        emit(db, "rituals.ritual_created", principal.couple_id,
             {"ritual_id": ritual_id, "title": ritual.title, "summary": f"{name} added the ritual “{ritual.title}”."},
             visibility="couple", actor_id=principal.member_id)
        after_change(db, principal.couple_id)
    return ritual


def update_ritual(db, principal, ritual: Ritual, columns: dict) -> Ritual:
    with db.atomic():
        row = {**columns, "participants": json.dumps(columns["participants"]),
               "prompts": json.dumps(columns["prompts"]), "updated_at": utc_iso(utc_now())}
        db["rituals_rituals"].update(ritual.id, row)
        updated = get_ritual(db, principal.couple_id, ritual.id)
        name = display_name(db, principal.couple_id, principal.member_id)
        words = {"paused": "paused", "archived": "archived"}.get(updated.status, "updated")
        if ritual.status != "active" and updated.status == "active":
            words = "resumed"
        emit(db, "rituals.ritual_updated", principal.couple_id,
             {"ritual_id": ritual.id, "title": updated.title, "status": updated.status,
              "summary": f"{name} {words} the ritual “{updated.title}”."},
             visibility="couple", actor_id=principal.member_id)
        after_change(db, principal.couple_id)
    return updated


def set_status(db, principal, ritual: Ritual, key: str, status: str) -> dict:
    """Mark an occurrence done, skipped or (again) upcoming; either member may."""
    with db.atomic():
        row = ensure_row(db, ritual, key)
        marked = status if status in ("done", "skipped") else None
        db["rituals_occurrences"].update(row["id"], {
            "status": marked, "marked_by": principal.member_id if marked else None,
            "marked_at": utc_iso(utc_now()) if marked else None})
        view = occurrence_view(db, ritual, key, db["rituals_occurrences"].get(row["id"]))
        name = display_name(db, principal.couple_id, principal.member_id)
        summary = {
            "done": f"{name} marked “{ritual.title}” ({when_text(view)}) as done. Well kept.",
            "skipped": f"{name} let “{ritual.title}” ({when_text(view)}) go this time. "
                       "Rest is part of the rhythm too.",
        }.get(marked, f"“{ritual.title}” ({when_text(view)}) is planned again.")
        emit(db, "rituals.occurrence_updated", principal.couple_id,
             {"ritual_id": ritual.id, "key": key, "status": view["status"], "summary": summary},
             visibility="couple", actor_id=principal.member_id)
        after_change(db, principal.couple_id)
    return view


def move(db, principal, ritual: Ritual, key: str, start: datetime | None, duration: int | None) -> dict:
    """Move one occurrence (or, with ``start=None``, put it back); the series is untouched."""
    with db.atomic():
        row = ensure_row(db, ritual, key)
        db["rituals_occurrences"].update(row["id"], {
            "moved_start": format_local(start) if start else None,
            "moved_duration": duration if start else None})
        view = occurrence_view(db, ritual, key, db["rituals_occurrences"].get(row["id"]))
        name = display_name(db, principal.couple_id, principal.member_id)
        summary = (f"{name} moved “{ritual.title}” to {when_text(view)}." if start
                   else f"{name} put “{ritual.title}” back to {when_text(view)}.")
        emit(db, "rituals.occurrence_updated", principal.couple_id,
             {"ritual_id": ritual.id, "key": key, "status": view["status"], "summary": summary},
             visibility="couple", actor_id=principal.member_id)
        after_change(db, principal.couple_id)
    return view


def after_change(db, couple_id: int) -> None:
    """Keep the wall's card live: tell the wall when what it shows has changed."""
    from .dashboard import refresh_wall

    refresh_wall(db, couple_id, utc_now())
