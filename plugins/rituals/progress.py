"""Small wins without pressure: kind counts and the check-in rating trend.

Counts, not streaks: "9 of the last 12 weekly check-ins" stays true and kind
after a skipped week, where a streak would break and start shaming. Nothing
here ever says what was *not* done: a count of zero reads as a fresh start.

Only occurrences since the ritual was created count, plus any older ones a
member marked on purpose: a ritual entered today with a start months ago
does not start with a row of empty weeks.
"""

from __future__ import annotations

import json
from datetime import datetime

from hearthside.plugin_api import line_chart

from . import presets
from .checkin import sees_others
from .model import Ritual, display_name, effective, override_rows
from .recurrence import LOCAL_FORMAT, format_local, localize

TREND_POINTS = 12


def progress(db, ritual: Ritual, now_utc: datetime, window: int) -> dict:
    """``{"done", "of", "text"}`` over the last ``window`` occurrences that have begun."""
    local_now = now_utc.astimezone(ritual.tz).replace(tzinfo=None)
    overrides = override_rows(db, ritual.id)
    keys = {format_local(moment) for moment in ritual.series.before(local_now, window + 5)}
    keys |= {key for key, row in overrides.items() if row["status"]}
    since = ritual.created_local
    counted = []
    for key in keys:
        override = overrides.get(key)
        start, _ = effective(ritual, key, override)
        if start < local_now and (start >= since or (override and override["status"])):
            counted.append((start, override["status"] if override else None))
    counted = sorted(counted, reverse=True)[:window]
    done = sum(1 for _, status in counted if status == "done")
    return {"done": done, "of": len(counted), "text": kind_words(done, len(counted), ritual)}


def kind_words(done: int, of: int, ritual: Ritual) -> str:
    noun = presets.noun_for(ritual.kind, ritual.rrule)
    if of == 0:
        return "Nothing to count yet: the first one is ahead of you."
    if done == 0:
        return "A fresh start: every one you keep counts."
    if of == 1:
        return "You kept the last one."
    if done == of:
        return f"You kept all of the last {of} {noun}."
    return f"{done} of the last {of} {noun}."


# -- the rating trend ----------------------------------------------------------------


def rating_prompt(ritual: Ritual) -> dict | None:
    return next((prompt for prompt in ritual.prompts if prompt["kind"] == "rating"), None)


def trend(db, ritual: Ritual, member_id: int) -> dict:
    """The last check-ins' ratings this member may see: their own always, the
    others' only where :func:`checkin.sees_others` allows it (revealed, the
    member answered that check-in too, the reveal consent active)."""
    prompt = rating_prompt(ritual)
    if prompt is None:
        return {"prompt": None, "points": [], "members": []}
    overrides = override_rows(db, ritual.id)
    shared = {key for key, row in overrides.items() if sees_others(db, ritual, row, member_id)}
    rows = db.query(
        """SELECT o.occurrence_key, a.member_id, a.answers FROM rituals_occurrences o
           JOIN rituals_answers a ON a.occurrence_id = o.id WHERE o.ritual_id = ? ORDER BY o.occurrence_key""",
        [ritual.id])
    points: dict[str, dict] = {}
    for row in rows:
        if row["member_id"] != member_id and row["occurrence_key"] not in shared:
            continue
        rating = json.loads(row["answers"]).get(prompt["id"])
        if isinstance(rating, int):
            key = row["occurrence_key"]
            point = points.setdefault(key, {"key": key, "date": localize(
                datetime.strptime(key, LOCAL_FORMAT), ritual.tz).date().isoformat(), "ratings": {}})
            point["ratings"][str(row["member_id"])] = rating
    recent = [points[key] for key in sorted(points)][-TREND_POINTS:]
    seen = sorted({int(mid) for point in recent for mid in point["ratings"]}, key=lambda mid: mid != member_id)
    members = [{"id": mid, "display_name": "You" if mid == member_id else display_name(db, ritual.couple_id, mid)}
               for mid in seen]
    return {"prompt": prompt["text"], "points": recent, "members": members}


def trend_svg(data: dict, standalone: bool = True):
    """The 1-5 ratings as the core's line chart, one line per member (no script, no library).

    Standalone (its own style sheet) for the API's image answer; the ritual
    page draws it inline (``standalone=False``), where it follows the page's
    light or dark theme.
    """
    points = data["points"]
    last = len(points) - 1

    def x_of(index: int) -> float:
        return index / last if last else 0.5

    ticks = []
    for index, point in enumerate(points):
        if index % max(1, len(points) // 6) == 0 or index == last:
            day = datetime.fromisoformat(point["date"])
            ticks.append({"x": x_of(index), "label": f"{day.day} {day:%b}",
                          "anchor": "start" if index == 0 else "end" if index == last else "middle"})
    series = [{"label": member["display_name"], "line": True, "dots": True,
               "points": [{"x": x_of(i), "y": p["ratings"][str(member["id"])]} for i, p in enumerate(points)
                          if str(member["id"]) in p["ratings"]]}
              for member in data["members"]]
    return line_chart(title="Check-in ratings over the weeks", description=_describe(data),
                      levels=["1", "2", "3", "4", "5"], ticks=ticks, series=series, empty="No ratings yet",
                      legend=True, chart_id="rit-trend", standalone=standalone)


def _describe(data: dict) -> str:
    if not data["points"]:
        return "No ratings yet."
    names = {str(m["id"]): m["display_name"] for m in data["members"]}
    lines = []
    for point in data["points"]:
        ratings = ", ".join(f"{names.get(mid, 'Someone')} {value}" for mid, value in point["ratings"].items())
        lines.append(f"{point['date']}: {ratings}")
    return "; ".join(lines)
