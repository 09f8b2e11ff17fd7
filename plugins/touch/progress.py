"""Progress over the weeks: the unlocked phase as a path, sessions as dots.

Drawn on the server as plain SVG (no script, no external file, no inline
style: the page's Content-Security-Policy forbids those), coloured by the
plugin's stylesheet so it follows light and dark mode. A step back is drawn
exactly like a step forward - same line, same colour - because it is part of
the path, not a failure on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from hearthside.plugin_api import utc_now

from . import model, phases

WIDTH, HEIGHT = 380, 250
LEFT, RIGHT, TOP, BOTTOM = 104, 14, 12, 30
MAX_DATE_LABELS = 5
MIN_SPAN = timedelta(days=14)


def timeline(db, couple_id: int) -> dict:
    """The data behind the chart (also the API's answer): steps and sessions, oldest first."""
    steps = phases.level_history(db, couple_id)
    sessions = [dict(row) for row in db.query(
        "SELECT id, started_at, ended_at, phase_level, phase_name FROM touch_sessions "
        "WHERE couple_id = ? AND status = 'ended' ORDER BY started_at", [couple_id])]
    current = model.state(db, couple_id)
    return {
        "phases": [{"level": i + 1, "name": phase["name"]} for i, phase in enumerate(current["phases"])],
        "unlocked_level": current["unlocked_index"] + 1,
        "steps": steps,
        "sessions": [{"id": s["id"], "started_at": s["started_at"], "level": s["phase_level"],
                      "phase_name": s["phase_name"]} for s in sessions],
        "note": "Steps back are part of the path: every session counts, whichever way the path goes.",
    }


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def svg(data: dict, time_zone: str, now: datetime | None = None) -> Markup:
    """The chart as an inline ``<svg>``; an empty Markup when there is nothing to draw yet."""
    steps, sessions = data["steps"], data["sessions"]
    if not steps and not sessions:
        return Markup("")
    now = now or utc_now()
    zone = ZoneInfo(time_zone)
    moments = [_when(s["created_at"]) for s in steps] + [_when(s["started_at"]) for s in sessions]
    start = min(moments) - timedelta(days=1)
    end = max(now, max(moments)) + timedelta(days=1)  # room for today's dots
    if end - start < MIN_SPAN:
        start = end - MIN_SPAN
    names = [phase["name"] for phase in data["phases"]]
    top_level = max([len(names), *[s["level"] or 1 for s in sessions], *[s["to_level"] for s in steps],
                     *[s["from_level"] or 1 for s in steps]])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: datetime) -> float:
        return LEFT + plot_w * (moment - start) / (end - start)

    def y(level: int) -> float:
        return TOP + plot_h - plot_h * (level - 0.5) / top_level

    parts = [f'<svg class="touch-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="touch-chart-title">',
             '<title id="touch-chart-title">Your path over the weeks: the unlocked phase as a line, '
             'each session as a dot</title>']
    for level in range(1, top_level + 1):
        label = names[level - 1] if level <= len(names) else f"Phase {level}"
        parts.append(f'<line class="touch-chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                     f'y1="{y(level):.1f}" y2="{y(level):.1f}"/>')
        parts.append(f'<text class="touch-chart__label" x="{LEFT - 8}" y="{y(level) + 4:.1f}" '
                     f'text-anchor="end">{escape(_short(label))}</text>')
    # A week line on each Monday (in the couple's zone), a date on a few of them.
    day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    day += timedelta(days=(7 - day.weekday()) % 7)
    mondays = []
    while day <= end:
        if x(day) >= LEFT:
            mondays.append(day)
        day += timedelta(days=7)
    every = max(1, -(-len(mondays) // MAX_DATE_LABELS))
    for i, monday in enumerate(mondays):
        px = x(monday)
        parts.append(f'<line class="touch-chart__week" x1="{px:.1f}" x2="{px:.1f}" y1="{TOP}" '
                     f'y2="{HEIGHT - BOTTOM}"/>')
        if i % every == 0:
            parts.append(f'<text class="touch-chart__date" x="{px:.1f}" y="{HEIGHT - 10}" '
                         f'text-anchor="middle">{monday.day} {monday.strftime("%b")}</text>')
    # The path of the unlocked phase: a step line, the same for forward and back.
    level = (steps[0]["from_level"] or steps[0]["to_level"]) if steps else data["unlocked_level"]
    points = [(x(start), y(level))]
    for step in steps:
        px = x(_when(step["created_at"]))
        points += [(px, y(level)), (px, y(step["to_level"]))]
        level = step["to_level"]
    points.append((x(end), y(level)))
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    parts.append(f'<polyline class="touch-chart__path" points="{path}"/>')
    for session in sessions:
        moment = _when(session["started_at"])
        label = moment.astimezone(zone).strftime("%-d %b")
        parts.append(f'<circle class="touch-chart__session" cx="{x(moment):.1f}" cy="{y(session["level"] or 1):.1f}" '
                     f'r="4"><title>{escape(label)}: {escape(session["phase_name"] or "")}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(name: str, limit: int = 16) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"
