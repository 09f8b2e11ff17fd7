"""The rituals pages, phone first: upcoming, week, month, a ritual, an occurrence,
the editor and my settings.

Pages are rendered on the server from the same functions the API uses;
whatever a page changes, it changes through the JSON API (``rituals.js`` and a script per page),
so the browser goes through the same checks as any client. A check-in page
shows only the viewer's own answers; the others' are fetched from the reveal
endpoint, which checks the reveal and the consent on every read.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, request

from hearthside.plugin_api import (EARLIEST_DATE, LATEST_DATE, NotFound, current_hs, get_db, member_page,
                                   render_member_page, utc_now)

from . import checkin, homework, model, progress, reminders, settings
from .presets import TEMPLATES, template_list
from .recurrence import ORDINALS, WEEKDAYS, describe_rule, parse_key

pages = Blueprint("rituals_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/rituals/static")

REMINDER_CHOICES = [(10080, "1 week before"), (1440, "1 day before"), (120, "2 hours before"),
                    (60, "1 hour before"), (30, "30 minutes before"), (10, "10 minutes before"), (0, "At the start")]


def _config() -> dict:
    return current_hs().config.plugin("rituals")


def _today(db, couple_id: int) -> date:
    return utc_now().astimezone(model.couple_tz(db, couple_id)).date()


def _couple_today(viewer: dict):
    """The request's database, the viewer's couple and today's date in the couple's time zone: a calendar's start."""
    db = get_db()
    couple_id = viewer["couple"]["id"]
    return db, couple_id, _today(db, couple_id)


def _group_by_day(occurrences: list[dict]) -> list[tuple[date, list[dict]]]:
    days: dict[date, list[dict]] = {}
    for view in occurrences:
        days.setdefault(datetime.fromisoformat(view["start"]).date(), []).append(view)
    return sorted(days.items())


def _between(db, couple_id: int, first: date, days: int) -> list[dict]:
    after = datetime.combine(first, datetime.min.time())
    return model.occurrences_between(db, model.rituals_of(db, couple_id), after, after + timedelta(days=days))


# The editor's script words the repeat rule with the server's own weekday codes and names (no copy in JS).
EDITOR_DATA = {"weekday_codes": list(WEEKDAYS), "weekdays": WEEKDAYS, "ordinals": ORDINALS}


def _render(template: str, viewer: dict, **context):
    return render_member_page(template, viewer, page_time=datetime.fromisoformat, describe_rule=describe_rule,
                              **context)


@pages.get("/rituals")
@member_page
def index(viewer):
    db, couple_id, today = _couple_today(viewer)
    rituals = model.rituals_of(db, couple_id, ("active", "paused"))
    now = utc_now()
    summaries = [{"ritual": ritual, "progress": progress.progress(db, ritual, now, _config()["progress_window"])}
                 for ritual in rituals]
    return _render("rituals/index.html", viewer, today=today, rituals=summaries, templates=template_list(),
                   days=_group_by_day(_between(db, couple_id, today, 14)))


@pages.get("/rituals/week")
@member_page
def week(viewer):
    db, couple_id, today = _couple_today(viewer)
    day = _date_arg("date", today)
    monday = day - timedelta(days=day.weekday())
    grouped = dict(_group_by_day(_between(db, couple_id, monday, 7)))
    week_days = [(monday + timedelta(days=n), grouped.get(monday + timedelta(days=n), [])) for n in range(7)]
    return _render("rituals/week.html", viewer, monday=monday, week_days=week_days, today=today,
                   previous=monday - timedelta(days=7), following=monday + timedelta(days=7))


@pages.get("/rituals/month")
@member_page
def month(viewer):
    db, couple_id, today = _couple_today(viewer)
    raw = request.args.get("month", today.strftime("%Y-%m"))
    try:
        first = datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        first = today
    if not EARLIEST_DATE <= first <= LATEST_DATE:  # the previous and next months must exist too
        first = today
    first = first.replace(day=1)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    grouped = dict(_group_by_day(_between(db, couple_id, weeks[0][0], len(weeks) * 7)))
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return _render("rituals/month.html", viewer, first=first, weeks=weeks, grouped=grouped, today=today,
                   previous=previous, following=following)


def _date_arg(name: str, default: date) -> date:
    try:
        day = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default
    return day if EARLIEST_DATE <= day <= LATEST_DATE else default


@pages.get("/rituals/new")
@member_page
def new(viewer):
    kind = request.args.get("template", "checkin")
    if kind not in TEMPLATES:
        kind = "custom"
    db = get_db()
    template = TEMPLATES[kind]
    start_day = _today(db, viewer["couple"]["id"]) + timedelta(days=1)
    draft = {"kind": kind, "title": template["title"], "description": template["description"], "location": "",
             "start": f"{start_day.isoformat()}T{template['time']}", "duration_minutes": template["duration_minutes"],
             "rrule": template["rrule"], "participants": [m["id"] for m in viewer["members"]],
             "prompts": template["prompts"], "status": "active"}
    return _render("rituals/edit.html", viewer, draft=draft, ritual_id=None, templates=template_list(),
                   page_data=EDITOR_DATA)


def _ritual_or_404(viewer, ritual_id: int) -> model.Ritual:
    try:
        return model.get_ritual(get_db(), viewer["couple"]["id"], ritual_id)
    except NotFound:
        abort(404)  # a page answers with the page 404, not the API's JSON


@pages.get("/rituals/<int:ritual_id>/edit")
@member_page
def edit(viewer, ritual_id):
    ritual = _ritual_or_404(viewer, ritual_id)
    return _render("rituals/edit.html", viewer, draft=ritual.as_dict(), ritual_id=ritual.id,
                   templates=template_list(), page_data=EDITOR_DATA)


@pages.get("/rituals/<int:ritual_id>")
@member_page
def ritual_page(viewer, ritual_id):
    db = get_db()
    ritual = _ritual_or_404(viewer, ritual_id)
    member_id = viewer["member"]["id"]
    now = utc_now()
    local = now.astimezone(ritual.tz).replace(tzinfo=None)
    coming = [view for view in model.occurrences_between(db, [ritual], local - timedelta(days=1),
                                                          local + timedelta(days=120))
              if datetime.fromisoformat(view["end"]) > now][:6] if ritual.status == "active" else []
    recent = [model.occurrence_view(db, ritual, key, model.override_rows(db, ritual.id).get(key))
              for key in [m.strftime("%Y-%m-%dT%H:%M") for m in ritual.series.before(local, 4)]]
    offsets = reminders.offsets_for(db, ritual.id, member_id,
                                    reminders.parse_default_offsets(_config()["default_reminders"]))
    return _render("rituals/ritual.html", viewer, ritual=ritual, coming=coming, recent=recent,
                   progress=progress.progress(db, ritual, now, _config()["progress_window"]),
                   trend=_trend_chart(db, ritual, member_id), offsets=offsets,
                   reminder_choices=REMINDER_CHOICES, is_participant=member_id in ritual.participants)


def _trend_chart(db, ritual, member_id: int):
    """The rating trend drawn into the page (the theme's colours, dark mode too); None without a rating prompt."""
    if progress.rating_prompt(ritual) is None:
        return None
    return progress.trend_svg(progress.trend(db, ritual, member_id), standalone=False)


@pages.get("/rituals/<int:ritual_id>/occurrences/<occurrence_key>")
@member_page
def occurrence_page(viewer, ritual_id, occurrence_key):
    db = get_db()
    ritual = _ritual_or_404(viewer, ritual_id)
    if parse_key(occurrence_key) is None:
        abort(404)
    overrides = model.override_rows(db, ritual.id)
    if occurrence_key not in overrides and not ritual.series.contains(parse_key(occurrence_key)):
        abort(404)
    override = overrides.get(occurrence_key)
    view = model.occurrence_view(db, ritual, occurrence_key, override)
    context = {"ritual": ritual, "occurrence": view}
    if ritual.kind == "checkin":
        principal = _PagePrincipal(viewer)
        context["checkin"] = checkin.own_state(db, principal, ritual, occurrence_key)
    if ritual.kind == "therapy":
        context["homework"] = homework.items(db, override)
    return _render("rituals/occurrence.html", viewer, **context)


@pages.get("/rituals/settings")
@member_page
def settings_page(viewer):
    return _render("rituals/settings.html", viewer, settings=settings.describe(get_db(), viewer["member"]["id"]))


class _PagePrincipal:
    """The signed-in viewer in the shape the check-in functions read."""

    def __init__(self, viewer: dict):
        self.member_id = viewer["member"]["id"]
        self.couple_id = viewer["couple"]["id"]
