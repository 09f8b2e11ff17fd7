"""The jar itself: dropping notes in, taking them back, the evening draw.

Privacy, in one place:

* a note is private to its author while it waits in the jar: only the
  author's own listing, export and private events ever carry it;
* a drawn note is shown on the wall and to both partners only while
  ``dashboard.gratitude_jar`` is active, checked every time it is read (the
  core hides the card by itself; :func:`drawn_notes` callers check the scope);
* nothing tells anybody how many notes the other partner wrote: the wall card
  and the shared list show drawn notes only, never counts of the jar.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from hearthside.plugin_api import DashboardCard, emit, get_couple, is_active, utc_now

PLUGIN = "gratitude_jar"
SCOPE = "dashboard.gratitude_jar"
MAX_LENGTH = 280
_random = random.SystemRandom()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _note(row: dict, drawn_on: str | None) -> dict:
    return {"id": row["id"], "text": row["text"], "created_at": row["created_at"], "drawn_on": drawn_on}


# -- a member's own notes -------------------------------------------------------------------


def drop(db, couple_id: int, member_id: int, text: str) -> dict:
    """Put a note in the jar; only its author hears about it (a private event without the text)."""
    with db.atomic():
        row = {"couple_id": couple_id, "author_id": member_id, "text": text,
               "created_at": _iso(utc_now())}
        row["id"] = db["gratitude_jar_notes"].insert(row).last_pk
        emit(db, "gratitude_jar.dropped", couple_id, {"note_id": row["id"]}, visibility="private",
             actor_id=member_id, audience_id=member_id)
    return _note(row, None)


def own_notes(db, member_id: int) -> list[dict]:
    """The member's own notes, newest first, each with the evening it was drawn (or None)."""
    rows = db.query(
        "SELECT n.id, n.text, n.created_at, d.drawn_on FROM gratitude_jar_notes n "
        "LEFT JOIN gratitude_jar_draws d ON d.note_id = n.id WHERE n.author_id = ? ORDER BY n.id DESC",
        [member_id])
    return [_note(row, row["drawn_on"]) for row in rows]


def take_back(db, member_id: int, note_id: int) -> bool:
    """Delete one of the member's own notes (drawn or not); False if it is not theirs.

    Stepping back never needs a reason. If the note had been drawn, the wall
    and the partner's page are told to look again (an event without the text),
    only while the draw is on: otherwise nobody is shown it, and nobody hears of it.
    """
    with db.atomic():
        row = db.execute("SELECT couple_id FROM gratitude_jar_notes WHERE id = ? AND author_id = ?",
                         [note_id, member_id]).fetchone()
        if row is None:
            return False
        couple_id = row[0]
        drawn = db.execute("SELECT drawn_on FROM gratitude_jar_draws WHERE note_id = ?", [note_id]).fetchone()
        db.execute("UPDATE gratitude_jar_draws SET note_id = NULL WHERE note_id = ?", [note_id])
        db.execute("DELETE FROM gratitude_jar_notes WHERE id = ?", [note_id])
        emit(db, "gratitude_jar.taken_back", couple_id, {"note_id": note_id}, visibility="private",
             actor_id=member_id, audience_id=member_id)
        if drawn is not None and is_active(db, couple_id, SCOPE):  # while off, nobody shows it: nothing to tell
            emit(db, "gratitude_jar.draw_removed", couple_id, {"drawn_on": drawn[0]}, visibility="dashboard")
    return True


# -- what was drawn ---------------------------------------------------------------------------


def drawn_notes(db, couple_id: int, viewer_id: int, limit: int = 60) -> list[dict]:
    """Drawn notes of the couple, newest first, marked ``mine`` for the viewer.

    The caller checks ``dashboard.gratitude_jar`` first: this returns both
    partners' drawn notes.
    """
    rows = db.query(
        "SELECT n.id, n.text, n.author_id, d.drawn_on FROM gratitude_jar_draws d "
        "JOIN gratitude_jar_notes n ON n.id = d.note_id WHERE d.couple_id = ? ORDER BY d.drawn_on DESC LIMIT ?",
        [couple_id, limit])
    return [{"id": row["id"], "text": row["text"], "drawn_on": row["drawn_on"], "mine": row["author_id"] == viewer_id}
            for row in rows]


def latest_drawn(db, couple_id: int) -> dict | None:
    rows = list(db.query(
        "SELECT n.text, d.drawn_on FROM gratitude_jar_draws d JOIN gratitude_jar_notes n ON n.id = d.note_id "
        "WHERE d.couple_id = ? ORDER BY d.drawn_on DESC LIMIT 1", [couple_id]))
    return rows[0] if rows else None


def dashboard_cards(db, couple_id: int) -> list[DashboardCard]:
    """The wall's card: the latest drawn note, without its author. The core shows it only
    while ``dashboard.gratitude_jar`` is active."""
    latest = latest_drawn(db, couple_id)
    if latest is None:
        return []
    return [DashboardCard("tonight", "From the gratitude jar", text=latest["text"],
                          facts={"drawn_on": latest["drawn_on"]})]


# -- the evening draw -----------------------------------------------------------------------


def draw_evening(hs) -> list[int]:
    """The scheduled job: draw one note for every couple whose evening has come.

    Runs every few minutes (so a couple in any time zone gets its draw close
    to its own evening, and a Pi that was off catches up once it is back).
    A couple gets at most one draw per local date, and only while every
    member consents to ``dashboard.gratitude_jar`` - read now, never cached.
    Returns the couples that got a draw.
    """
    now = utc_now(hs)
    draw_hour = hs.config.plugin(PLUGIN)["draw_hour"]
    drawn_for = []
    with hs.storage.connection() as db:
        couples = [row[0] for row in db.execute(
            "SELECT DISTINCT couple_id FROM gratitude_jar_notes WHERE id NOT IN "
            "(SELECT note_id FROM gratitude_jar_draws WHERE note_id IS NOT NULL)").fetchall()]
        for couple_id in couples:
            local = now.astimezone(ZoneInfo(get_couple(db, couple_id)["time_zone"]))
            if local.hour < draw_hour or not is_active(db, couple_id, SCOPE):
                continue
            if draw_one(db, couple_id, local.date().isoformat(), now):
                drawn_for.append(couple_id)
    return drawn_for


def draw_one(db, couple_id: int, drawn_on: str, now: datetime) -> bool:
    """Draw one waiting note at random for ``drawn_on``, unless that evening already had its draw."""
    with db.atomic():  # BEGIN IMMEDIATE: two runs at once cannot both draw
        if db.execute("SELECT 1 FROM gratitude_jar_draws WHERE couple_id = ? AND drawn_on = ?",
                      [couple_id, drawn_on]).fetchone():
            return False
        waiting = [row[0] for row in db.execute(
            "SELECT id FROM gratitude_jar_notes WHERE couple_id = ? AND id NOT IN "
            "(SELECT note_id FROM gratitude_jar_draws WHERE note_id IS NOT NULL)", [couple_id]).fetchall()]
        if not waiting:
            return False
        note_id = _random.choice(waiting)
        db["gratitude_jar_draws"].insert({"couple_id": couple_id, "drawn_on": drawn_on, "note_id": note_id,
                                          "drawn_at": _iso(now)})
        # Dashboard visibility: both phones and the wall look again; no text, no author.
        emit(db, "gratitude_jar.drawn", couple_id, {"drawn_on": drawn_on}, visibility="dashboard")
    return True
