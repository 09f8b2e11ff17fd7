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
from html import escape

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


COLOURS = ("#a85f41", "#5f7f66", "#2f6f8f", "#8a6fb0")
WIDTH, HEIGHT = 340, 170
LEFT, RIGHT, TOP, BOTTOM = 28, 12, 14, 40


def trend_svg(data: dict) -> str:
    """A plain SVG line chart of 1-5 ratings, drawn on the server (no script, no library)."""
    points, members = data["points"], data["members"]
    title = "Check-in ratings over the weeks"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" aria-labelledby="t d" font-family="system-ui, sans-serif" font-size="11">',
             f'<title id="t">{escape(title)}</title>', f'<desc id="d">{escape(_describe(data))}</desc>',
             f'<rect width="{WIDTH}" height="{HEIGHT}" rx="12" fill="#fffcf8"/>']
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    for level in range(1, 6):
        y = TOP + plot_h - (level - 1) * plot_h / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e6d9ca"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#76685e">{level}</text>')
    if not points:
        parts.append(f'<text x="{WIDTH / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" fill="#76685e">'
                     'No ratings yet</text></svg>')
        return "".join(parts)
    step = plot_w / max(len(points) - 1, 1)

    def x_of(index: int) -> float:
        return LEFT + (index * step if len(points) > 1 else plot_w / 2)

    for index, point in enumerate(points):
        if index % max(1, len(points) // 6) == 0 or index == len(points) - 1:
            day = datetime.fromisoformat(point["date"])
            anchor = "start" if index == 0 else "end" if index == len(points) - 1 else "middle"
            parts.append(f'<text x="{x_of(index):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}" '
                         f'fill="#76685e">{day.day} {day:%b}</text>')
    for number, member in enumerate(members):
        colour = COLOURS[number % len(COLOURS)]
        coords = [(x_of(i), TOP + plot_h - (p["ratings"][str(member["id"])] - 1) * plot_h / 4)
                  for i, p in enumerate(points) if str(member["id"]) in p["ratings"]]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                         'stroke-linejoin="round" stroke-linecap="round"/>')
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        legend_x = LEFT + number * 110
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10" rx="2" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{HEIGHT - 5}" fill="#352d29">'
                     f'{escape(member["display_name"][:16])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _describe(data: dict) -> str:
    if not data["points"]:
        return "No ratings yet."
    names = {str(m["id"]): m["display_name"] for m in data["members"]}
    lines = []
    for point in data["points"]:
        ratings = ", ".join(f"{names.get(mid, 'Someone')} {value}" for mid, value in point["ratings"].items())
        lines.append(f"{point['date']}: {ratings}")
    return "; ".join(lines)
