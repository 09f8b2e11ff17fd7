"""The transparency log's pages: phone first, fine on the tablet, calm.

The log, questions, agreement and review pages are shells filled in by
``static/transparency.js`` and a script per page through the JSON API (the same checks as any
client) and kept live by the Socket.IO stream. The print page is rendered on
the server, so "Print / Save as PDF" gives a clean document for a therapy
session. The core sends every page with its Content-Security-Policy: this
server's own scripts and styles only, nothing from the internet.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, request

from hearthside.plugin_api import EARLIEST_DATE, LATEST_DATE, get_db, member_page, render_member_page, utc_now

from . import chain, model, reviews, rules

pages = Blueprint("transparency_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/transparency/static")

TABS = [
    ("transparency_pages.log_page", "Log"),
    ("transparency_pages.questions_page", "Questions"),
    ("transparency_pages.agreement_page", "Agreement"),
    ("transparency_pages.reviews_page", "Reviews"),
]
TAB_TEMPLATES = {  # each tab's page is a shell its own script fills through the API
    "transparency_pages.log_page": "transparency/log.html",
    "transparency_pages.questions_page": "transparency/questions.html",
    "transparency_pages.agreement_page": "transparency/agreement.html",
    "transparency_pages.reviews_page": "transparency/reviews.html",
}
DEFAULT_PRINT_DAYS = 30


def _render(template: str, viewer: dict, **context):
    # page_data: the entry kinds reach transparency.js from here, so the script keeps no copy of the list.
    return render_member_page(template, viewer, tabs=TABS, kinds=model.ENTRY_KINDS,
                              page_data={"entry_kinds": list(model.ENTRY_KINDS)}, **context)


@pages.get("/transparency", endpoint="log_page")
@pages.get("/transparency/questions", endpoint="questions_page")
@pages.get("/transparency/agreement", endpoint="agreement_page")
@pages.get("/transparency/reviews", endpoint="reviews_page")
@member_page
def tab_page(viewer):
    """The four tabs (TABS), each its template (TAB_TEMPLATES)."""
    return _render(TAB_TEMPLATES[request.endpoint], viewer)


def _print_period(time_zone: str) -> tuple[date, date, str | None]:
    """The dates asked for (``from``/``to``, inclusive), or since the last review, or the last 30 days."""
    zone = ZoneInfo(time_zone)
    today = utc_now().astimezone(zone).date()
    raw_from, raw_to = request.args.get("from"), request.args.get("to")
    try:
        start = date.fromisoformat(raw_from) if raw_from else None
        end = date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        start = end = None
    if end is None or not all(EARLIEST_DATE <= day <= LATEST_DATE for day in (start or end, end)):
        return (today - timedelta(days=DEFAULT_PRINT_DAYS), today,
                f"Dates must look like 2024-06-30, from {EARLIEST_DATE} to {LATEST_DATE}; showing the last 30 days.")
    if start is not None and start > end:
        return end, end, "The start date was after the end date; showing one day."
    return start or today - timedelta(days=DEFAULT_PRINT_DAYS), end, None


@pages.get("/transparency/print")
@member_page
def print_page(viewer):
    """A period of the log with its summary, for printing or saving as PDF."""
    db = get_db()
    couple_id, time_zone = viewer["couple"]["id"], viewer["couple"]["time_zone"]
    start, end, problem = _print_period(time_zone)
    zone = ZoneInfo(time_zone)
    since = datetime.combine(start, time.min, zone).astimezone(ZoneInfo("UTC")).isoformat(timespec="milliseconds")
    until = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(ZoneInfo("UTC")).isoformat(
        timespec="milliseconds")
    span = model.seq_span(db, couple_id, since, until)
    items = model.records(db, couple_id, limit=-1, from_seq=span[0], to_seq=span[1], newest_first=False) \
        if span[0] is not None else []
    by_id = {item["id"]: item for item in items}
    names = {m["id"]: m["display_name"] for m in viewer["members"]}
    return _render(
        "transparency/print.html", viewer, items=items, by_id=by_id, names=names, start=start, end=end,
        problem=problem, zone=zone, summary=reviews.summarise(db, couple_id, span[0], span[1]) if span[0] else None,
        questions=[q for q in model.questions(db, couple_id, utc_now()) if q["id"] in by_id],
        ground_rules=rules.state(db, couple_id)["current"], chain=chain.verify(db, couple_id),
        generated=utc_now().astimezone(zone),
    )


@pages.app_template_filter("transparency_local")
def _local(moment: str | None, zone: ZoneInfo) -> str:
    """An ISO time as the couple's local "Mon 3 Jun 2024, 19:30" (for the print page)."""
    if not moment:
        return ""
    when = datetime.fromisoformat(moment).astimezone(zone)
    return f"{when.strftime('%a')} {when.day} {when.strftime('%b %Y, %H:%M')}"


@pages.app_template_filter("transparency_age")
def _age(seconds: int) -> str:
    """How long a question was (or has been) open, in the largest sensible unit."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"
