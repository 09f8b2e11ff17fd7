"""Practice sessions: planned, started, ended, and the traffic light in between.

* **Planning** is standalone here; when a calendar plugin (rituals) implements
  the ``hearthside_calendar_entry`` hook, each planned session is also put on
  the couple's calendar under a discreet title (calendar apps and the wall
  are seen by others), and updated when it is cancelled or has happened.
* **One running session per couple.** It practises tonight's plan as it was
  when it started, lowered at once if the plan drops while it runs.
* **The traffic light** is honoured at once: green (good), yellow (slow down:
  the partner's phone shows it immediately, the session goes on), red or the
  safeword "pause" (stop: the session ends and the core pause starts on every
  device). A pause started any other way ends a running session too.
* **Reflections** are private, 1-5 for how safe and how comfortable, with an
  optional note. Only counts of sessions where *everyone* felt safe (or
  comfortable) are ever shared, and only while ``touch.share_reflections`` is
  active; notes never are.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hearthside.plugin_api import (
    CalendarEntry, Conflict, Invalid, NotFound, emit, one_row, pause_state, row_or_none, start_pause, utc_now,
)

from . import model
# What a member sends, checked; the views reach the checks through here.
from .checks import MAX_MINUTES, MIN_MINUTES, parse_signal, parse_when  # noqa: F401

FELT_WELL = 4  # a 4 or 5 counts as "felt safe" / "felt comfortable" in the shared counts
MAX_UPCOMING = 20


def settings(hs) -> dict:
    return hs.config.plugin(model.PLUGIN)


def _session_card_changed(hs, db, couple_id: int) -> None:
    """Sessions change only the discreet wall card: with the phase name on the wall, a
    nudge at each session's plan, start and end would tell the wall when they happen."""
    if not settings(hs)["wall_shows_phase_name"]:
        model.card_changed(db, couple_id)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


# -- reading ----------------------------------------------------------------------------------


def view(row: dict) -> dict:
    """A session as both partners see it. Who ended it, or why, is not recorded."""
    return {
        "id": row["id"],
        "status": row["status"],
        "planned_for": row["planned_for"],
        "duration_minutes": row["duration_minutes"],
        "on_calendar": bool(row["calendar"]),
        "phase": ({"key": row["phase_key"], "name": row["phase_name"], "level": row["phase_level"]}
                  if row["phase_key"] else None),
        "started_at": row["started_at"],
        "ended_at": row["ended_at"],
        "end_reason": row["end_reason"],
        "created_by": row["created_by"],
    }


def find(db, couple_id: int, session_id) -> dict:
    """The couple's session with this id, or 404 - the same answer for another couple's id."""
    # Beyond SQLite's 8-byte integers no id exists, and the query would raise (a 500), so it is a bad id.
    if isinstance(session_id, bool) or not isinstance(session_id, int) or not -2**63 <= session_id < 2**63:
        raise Invalid("invalid_field", "'session_id' is required and must be a session's id (a number).")
    return one_row(db, "SELECT * FROM touch_sessions WHERE id = ? AND couple_id = ?", [session_id, couple_id],
                   NotFound("unknown_session", "There is no such session in your space."))


def running_row(db, couple_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM touch_sessions WHERE couple_id = ? AND status = 'running'", [couple_id])


def overdue(hs, row: dict, now: datetime) -> datetime | None:
    """When a forgotten running session counts as over (it was never ended), or None."""
    limit = timedelta(minutes=settings(hs)["max_session_minutes"])
    ends = datetime.fromisoformat(row["started_at"]) + limit
    return ends if ends <= now else None


def running(hs, db, couple_id: int, *, close_overdue: bool = True) -> dict | None:
    """The running session, closing one left running past the limit (it still counts as practice).

    With ``close_overdue=False`` (a read-only connection, the wall) an overdue
    session is simply not running, and nothing is written.
    """
    row = running_row(db, couple_id)
    if row is None:
        return None
    ends = overdue(hs, row, utc_now())
    if ends is None:
        return row
    if close_overdue:
        with db.atomic():
            fresh = running_row(db, couple_id)
            if fresh is not None and fresh["id"] == row["id"]:
                _end(hs, db, row, "time_up", ended_at=ends)
    return None


def signals(db, session_id: int) -> dict[str, str]:
    """Each member's light in a session (green until they change it)."""
    lights: dict[str, str] = {}
    for row in db.query("SELECT member_id, signal FROM touch_signals WHERE session_id = ? ORDER BY id", [session_id]):
        lights[str(row["member_id"])] = row["signal"]
    return lights


def current(hs, db, couple_id: int) -> dict:
    row = running(hs, db, couple_id)
    if row is None:
        return {"session": None, "signals": {}}
    lights = {str(member_id): "green" for member_id in model.member_ids(db, couple_id)}
    lights.update(signals(db, row["id"]))
    return {"session": view(row), "signals": lights}


def upcoming(db, couple_id: int) -> list[dict]:
    """Planned sessions from twelve hours ago on (an evening's plan stays until it is started)."""
    since = iso(utc_now() - timedelta(hours=12))
    return [view(row) for row in db.query(
        "SELECT * FROM touch_sessions WHERE couple_id = ? AND status = 'planned' AND planned_for >= ? "
        "ORDER BY planned_for, id", [couple_id, since])]


def past(db, couple_id: int, limit: int = 100) -> list[dict]:
    return [view(row) for row in db.query(
        "SELECT * FROM touch_sessions WHERE couple_id = ? AND status = 'ended' ORDER BY ended_at DESC, id DESC "
        "LIMIT ?", [couple_id, limit])]


# -- planning ---------------------------------------------------------------------------------


DEFAULT_MINUTES = 60  # a planned session's length when none is given (MIN_MINUTES..MAX_MINUTES, declared in api.py)


def _calendar(hs, db, couple_id: int, row: dict, status: str) -> bool:
    """Tell a calendar plugin (rituals), if one is installed; True when one keeps it."""
    entry = CalendarEntry(model.PLUGIN, f"session-{row['id']}", status, settings(hs)["calendar_title"],
                          datetime.fromisoformat(row["planned_for"]), row["duration_minutes"],
                          tuple(model.member_ids(db, couple_id)))
    answers = hs.plugins.answers("hearthside_calendar_entry", hs=hs, db=db, couple_id=couple_id, entry=entry)
    return any(result is True for _plugin, result in answers)


def plan_session(hs, db, couple_id: int, member_id: int, when: datetime, minutes: int) -> dict:
    with db.atomic():
        count = db.execute("SELECT count(*) FROM touch_sessions WHERE couple_id = ? AND status = 'planned' "
                           "AND planned_for >= ?", [couple_id, iso(utc_now())]).fetchone()[0]
        if count >= MAX_UPCOMING:
            raise Conflict("too_many_planned", f"You already have {MAX_UPCOMING} sessions planned; that is "
                                               "plenty. Cancel one to plan another.")
        session_id = db["touch_sessions"].insert({
            "couple_id": couple_id, "status": "planned", "planned_for": iso(when), "duration_minutes": minutes,
            "created_by": member_id, "created_at": iso(utc_now()),
        }).last_pk
        row = db["touch_sessions"].get(session_id)
        if _calendar(hs, db, couple_id, row, "planned"):
            db["touch_sessions"].update(session_id, {"calendar": 1})
        emit(db, "touch.session_planned", couple_id, {"session_id": session_id, "planned_for": row["planned_for"]},
             visibility="couple", actor_id=member_id)
        _session_card_changed(hs, db, couple_id)
    return view(db["touch_sessions"].get(session_id))


def cancel_session(hs, db, couple_id: int, session_id) -> dict:
    """Either partner may cancel a planned session, with no reason asked."""
    with db.atomic():
        row = find(db, couple_id, session_id)
        if row["status"] != "planned":
            raise Conflict("not_planned", "Only a session that is still planned can be cancelled.")
        db["touch_sessions"].update(row["id"], {"status": "cancelled"})
        if row["calendar"]:
            _calendar(hs, db, couple_id, row, "cancelled")
        emit(db, "touch.session_cancelled", couple_id, {"session_id": row["id"]}, visibility="couple")
        _session_card_changed(hs, db, couple_id)
    return view(db["touch_sessions"].get(row["id"]))


# -- running ----------------------------------------------------------------------------------


def start(hs, db, couple_id: int, member_id: int, session_id=None) -> dict:
    """Start now at tonight's plan: the planned session given, else one planned around now, else a new one."""
    if running(hs, db, couple_id) is not None:
        raise Conflict("session_running", "A session is already running; end it first.")
    if pause_state(db, couple_id)["active"]:
        raise Conflict("paused", "A pause is on. Start the session when it is over and you both feel ready.")
    with db.atomic():
        if running_row(db, couple_id) is not None:
            raise Conflict("session_running", "A session is already running; end it first.")
        model.ensure_state(db, couple_id)
        phase = model.plan(db, couple_id)
        now = iso(utc_now())
        fields = {"status": "running", "phase_key": phase["key"], "phase_name": phase["name"],
                  "phase_level": phase["level"], "ladder_version": model.state(db, couple_id)["version"],
                  "started_at": now}
        if session_id is None:
            session_id = _planned_around_now(db, couple_id)
        if session_id is not None:
            row = find(db, couple_id, session_id)
            if row["status"] != "planned":
                raise Conflict("not_planned", "That session is not waiting to start (it has run or was cancelled).")
            db["touch_sessions"].update(row["id"], fields)
            new_id = row["id"]
        else:
            new_id = db["touch_sessions"].insert({"couple_id": couple_id, "duration_minutes": 60,
                                                  "created_by": member_id, "created_at": now, **fields}).last_pk
        emit(db, "touch.session_started", couple_id,
             {"session_id": new_id, "phase": model.public_phase_of(phase)}, visibility="couple", actor_id=member_id)
        _session_card_changed(hs, db, couple_id)
    return view(db["touch_sessions"].get(new_id))


def _planned_around_now(db, couple_id: int) -> int | None:
    """"Start now" on an evening with a plan starts that plan (the nearest within twelve hours),
    so it does not linger as planned after it has happened."""
    now = utc_now()
    rows = [(abs((datetime.fromisoformat(r["planned_for"]) - now).total_seconds()), r["id"])
            for r in db.query("SELECT id, planned_for FROM touch_sessions WHERE couple_id = ? AND status = 'planned' "
                              "AND planned_for BETWEEN ? AND ?",
                              [couple_id, iso(now - timedelta(hours=12)), iso(now + timedelta(hours=12))])]
    return min(rows)[1] if rows else None


def _end(hs, db, row: dict, reason: str, ended_at: datetime | None = None) -> None:
    """Close a running session (inside the caller's transaction); no one is named."""
    db["touch_sessions"].update(row["id"], {"status": "ended", "ended_at": iso(ended_at or utc_now()),
                                            "end_reason": reason})
    if row["calendar"]:
        _calendar(hs, db, row["couple_id"], row, "done")
    emit(db, "touch.session_ended", row["couple_id"], {"session_id": row["id"], "reason": reason},
         visibility="couple")
    _session_card_changed(hs, db, row["couple_id"])


def end(hs, db, couple_id: int) -> dict:
    with db.atomic():
        row = running(hs, db, couple_id)
        if row is None:
            raise Conflict("no_session", "No session is running.")
        _end(hs, db, row, "ended")
    return view(db["touch_sessions"].get(row["id"]))


def signal(hs, db, couple_id: int, member_id: int, light: str) -> dict:
    """Show a light. Red ends the session and starts the core pause for everyone, at once."""
    with db.atomic():
        row = running(hs, db, couple_id)
        if row is None:
            raise Conflict("no_session", "No session is running, so there is nothing to signal. "
                                         "The Pause button works any time.")
        db["touch_signals"].insert({"session_id": row["id"], "couple_id": couple_id, "member_id": member_id,
                                    "signal": light, "created_at": iso(utc_now())})
        emit(db, "touch.signal", couple_id, {"session_id": row["id"], "member_id": member_id, "signal": light},
             visibility="couple", actor_id=member_id)
        pause = None
        if light == "red":
            _end(hs, db, row, "red")
            minutes = settings(hs)["red_pause_minutes"]
            pause = start_pause(db, couple_id, member_id, utc_now() + timedelta(minutes=minutes))
    result = current(hs, db, couple_id)
    result["pause"] = pause
    return result


def on_pause_started(hs, db, couple_id: int) -> None:
    """The core pause (from any screen) ends a running session too.

    Read first, and open a write transaction only when a session runs: most
    pauses find none, and a write would queue behind every other writer for
    nothing (issue 16). Read again inside, in case it ended meanwhile.
    """
    if running_row(db, couple_id) is None:
        return
    with db.atomic():
        row = running_row(db, couple_id)
        if row is not None:
            _end(hs, db, row, "pause")


# -- reflections ------------------------------------------------------------------------------


def reflection_view(row: dict) -> dict:
    return {"session_id": row["session_id"], "safe": row["safe"], "comfortable": row["comfortable"],
            "note": row["note"], "created_at": row["created_at"], "updated_at": row["updated_at"]}


def save_reflection(db, couple_id: int, member_id: int, session_id, safe: int, comfortable: int, note: str) -> dict:
    with db.atomic():
        row = find(db, couple_id, session_id)
        if row["status"] != "ended":
            raise Conflict("not_ended", "You can reflect on a session once it has ended.")
        now = iso(utc_now())
        existing = list(db.query("SELECT created_at FROM touch_reflections WHERE session_id = ? AND member_id = ?",
                                 [row["id"], member_id]))
        db["touch_reflections"].upsert({
            "session_id": row["id"], "member_id": member_id, "couple_id": couple_id, "safe": safe,
            "comfortable": comfortable, "note": note, "created_at": existing[0]["created_at"] if existing else now,
            "updated_at": now,
        }, pk=("session_id", "member_id"))
        emit(db, "touch.reflection_saved", couple_id, {"session_id": row["id"]}, visibility="private",
             audience_id=member_id, actor_id=member_id)
    return my_reflection(db, member_id, row["id"])


def reflection_due(db, couple_id: int, member_id: int) -> dict | None:
    """The latest ended session the member has not reflected on yet, if it is recent (two days)."""
    since = iso(utc_now() - timedelta(days=2))
    row = row_or_none(
        db, "SELECT s.* FROM touch_sessions s WHERE s.couple_id = ? AND s.status = 'ended' "
        "AND s.ended_at >= ? AND NOT EXISTS (SELECT 1 FROM touch_reflections r "
        "WHERE r.session_id = s.id AND r.member_id = ?) ORDER BY s.ended_at DESC LIMIT 1",
        [couple_id, since, member_id])
    return view(row) if row else None


def my_reflection(db, member_id: int, session_id: int) -> dict | None:
    row = row_or_none(db, "SELECT * FROM touch_reflections WHERE session_id = ? AND member_id = ?",
                      [session_id, member_id])
    return reflection_view(row) if row else None


def my_reflections(db, member_id: int) -> list[dict]:
    return [reflection_view(row) for row in db.query(
        "SELECT * FROM touch_reflections WHERE member_id = ? ORDER BY session_id DESC", [member_id])]


def shared_summary(db, couple_id: int, last: int = 5) -> dict:
    """Counts only: of the last sessions everyone reflected on, in how many did everyone
    feel safe, and comfortable (a 4 or 5). No averages (with one's own scores
    known, an average would give the partner's away), no notes, no names."""
    members = model.member_ids(db, couple_id)
    placeholders = ",".join("?" for _ in members) or "NULL"
    rows = list(db.execute(
        f"""SELECT r.session_id, min(r.safe), min(r.comfortable), count(*) FROM touch_reflections r
            JOIN touch_sessions s ON s.id = r.session_id
            WHERE s.couple_id = ? AND s.status = 'ended' AND r.member_id IN ({placeholders})
            GROUP BY r.session_id HAVING count(*) = ? ORDER BY s.ended_at DESC, s.id DESC LIMIT ?""",
        [couple_id, *members, len(members), last]))
    sessions = len(rows)
    safe = sum(1 for row in rows if row[1] >= FELT_WELL)
    comfortable = sum(1 for row in rows if row[2] >= FELT_WELL)
    who = "Both of you" if len(members) == 2 else "Everyone"
    lines = []
    if sessions:
        lines = [f"{who} felt safe in {safe} of the last {sessions} sessions you reflected on.",
                 f"{who} felt comfortable in {comfortable} of the last {sessions} sessions you reflected on."]
    return {"sessions": sessions, "everyone_felt_safe": safe, "everyone_felt_comfortable": comfortable,
            "lines": lines}
