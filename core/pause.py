"""The pause (the safeword): any member stops everything, for a while.

Rules, and why:

* **Any member may start or end it, never with a reason.** Stepping back is
  one tap (cardinal rule 4).
* **Default 20 minutes**, the minimum break for emotional flooding; at most
  24 hours, or until a given time within the next 24 hours.
* **Starting while a pause is active replaces it**: the new end time counts
  from now (longer or shorter), the earlier row is closed in the history, and
  only ``pause.started`` is emitted - the screens never flash a "ready to come
  back?" prompt between the two.
* **Time is computed when read.** A pause whose end time has passed counts as
  ended at once; the row is closed (``ended_at = ends_at``, ``ended_by`` null)
  and ``pause.ended`` emitted lazily by the next read, so plugins hear of it too.
* Events ``pause.started`` / ``pause.ended`` have ``dashboard`` visibility:
  the wall takes the pause over as soon as a phone starts it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from .clock import utc_now
from .errors import Invalid
from .events import emit
from .storage import row_or_none

DEFAULT_MINUTES = 20
MAX_MINUTES = 24 * 60


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _iso_ceil(moment: datetime) -> str:
    """Rounded up to the second, so a pause never ends before the time asked for."""
    if moment.microsecond:
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return _iso(moment)


# -- reading the request --------------------------------------------------------


def requested_end(minutes: int | None = None, resume_at: str | None = None, now: datetime | None = None) -> datetime:
    """When a pause asked for with ``minutes`` (1..MAX_MINUTES, checked by the request's
    declaration) or ``resume_at`` ends; 400 if unclear."""
    now = now or utc_now()
    if minutes is not None and resume_at is not None:
        raise Invalid("invalid_field", "Send either 'minutes' or 'resume_at', not both.")
    if resume_at is not None:
        return _resume_at(resume_at, now)
    return now + timedelta(minutes=DEFAULT_MINUTES if minutes is None else minutes)


def _resume_at(value, now: datetime) -> datetime:
    message = "'resume_at' must be a time with its offset, e.g. 2025-05-01T21:30:00+02:00, " \
              "later than now and at most 24 hours away."
    if not isinstance(value, str):
        raise Invalid("invalid_field", message)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("invalid_field", message)
    if moment.tzinfo is None:  # a bare time is ambiguous across the couple's devices
        raise Invalid("invalid_field", message)
    if not now < moment <= now + timedelta(minutes=MAX_MINUTES):
        raise Invalid("invalid_field", message)
    return moment


# -- state ------------------------------------------------------------------------


def state(row: dict | None, now: datetime | None = None) -> dict:
    """The pause state JSON: ``{"active": false}`` or the running pause (with who started it)."""
    now = now or utc_now()
    if row is None or row["ended_at"] is not None or datetime.fromisoformat(row["ends_at"]) <= now:
        return {"active": False}
    ends_at = datetime.fromisoformat(row["ends_at"])
    return {
        "active": True, "id": row["id"], "started_at": row["started_at"], "ends_at": row["ends_at"],
        "started_by": row["started_by"], "seconds_left": max(0, math.ceil((ends_at - now).total_seconds())),
    }


def _open_row(db, couple_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM pauses WHERE couple_id = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
                           [couple_id])


def for_wall(pause_state: dict) -> dict:
    """The pause state as the wall shows it: the time left, never who asked for it."""
    return {key: value for key, value in pause_state.items() if key != "started_by"}


def current_as_seen_by(db, principal) -> dict:
    """The pause state for this caller: the partners see who started it, the wall does not."""
    pause_state = current(db, principal.couple_id)
    return pause_state if principal.is_member else for_wall(pause_state)


def current(db, couple_id: int) -> dict:
    """The couple's pause state now, closing a pause whose time ran out."""
    row = _open_row(db, couple_id)
    if row is not None and datetime.fromisoformat(row["ends_at"]) <= utc_now():
        close_expired(db, couple_id)
        return {"active": False}
    return state(row)


def close_expired(db, couple_id: int) -> None:
    """Close open pauses whose time is up and tell everyone (``pause.ended``, time_up).

    Looks before it writes: a read (the history, the wall) that finds nothing
    expired never queues for the write lock.
    """
    if not _expired(db, couple_id):
        return
    with db.atomic():
        for row in _expired(db, couple_id):
            db.execute("UPDATE pauses SET ended_at = ? WHERE id = ?", [row["ends_at"], row["id"]])
            emit(db, "pause.ended", couple_id, {"id": row["id"], "ended_at": row["ends_at"], "reason": "time_up"},
                 visibility="dashboard")


def _expired(db, couple_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM pauses WHERE couple_id = ? AND ended_at IS NULL AND ends_at <= ?",
                         [couple_id, _iso(utc_now())]))


# -- changing it ------------------------------------------------------------------


def start(db, couple_id: int, member_id: int, ends_at: datetime) -> dict:
    """Start a pause (replacing a running one) and emit ``pause.started``."""
    with db.atomic():
        close_expired(db, couple_id)
        now = utc_now()
        replaced = _open_row(db, couple_id)
        # Plain SQL: sqlite-utils' table helpers look the schema up on every
        # call (a dozen queries), and a pause is the one write whose event
        # must reach the wall at once (benchmarks/README.md, live path).
        if replaced is not None:
            db.execute("UPDATE pauses SET ended_at = ?, ended_by = ? WHERE id = ?",
                       [_iso(now), member_id, replaced["id"]])
        row = {"couple_id": couple_id, "started_by": member_id, "started_at": _iso(now), "ends_at": _iso_ceil(ends_at),
               "ended_at": None, "ended_by": None}
        row["id"] = db.execute("INSERT INTO pauses (couple_id, started_by, started_at, ends_at) "
                               "VALUES (:couple_id, :started_by, :started_at, :ends_at)", row).lastrowid
        result = state(row, now)
        # The event reaches the wall too: who started it is its actor_id, which the wall never gets.
        payload = {**for_wall(result), "replaced": replaced["id"] if replaced else None}
        emit(db, "pause.started", couple_id, payload, visibility="dashboard", actor_id=member_id)
    return result


def end(db, couple_id: int, member_id: int) -> dict:
    """End the running pause, if any; ending when none runs changes nothing."""
    with db.atomic():
        close_expired(db, couple_id)
        row = _open_row(db, couple_id)
        if row is not None:
            ended_at = _iso(utc_now())
            db.execute("UPDATE pauses SET ended_at = ?, ended_by = ? WHERE id = ?", [ended_at, member_id, row["id"]])
            emit(db, "pause.ended", couple_id, {"id": row["id"], "ended_at": ended_at, "reason": "ended"},
                 visibility="dashboard", actor_id=member_id)
    return {"active": False}


def history(db, couple_id: int, limit: int = 200) -> list[dict]:
    """The couple's pauses, newest first (closing an expired one first)."""
    close_expired(db, couple_id)
    rows = db.query("SELECT id, started_by, started_at, ends_at, ended_at, ended_by FROM pauses "
                    "WHERE couple_id = ? ORDER BY id DESC LIMIT ?", [couple_id, limit])
    return [dict(row) for row in rows]
