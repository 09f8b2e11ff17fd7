"""The rituals API under ``/api/v1/rituals``: members only, one couple's data each.

Every route but the calendar feed needs a member (``require()``; a wall
screen gets 403, nobody 401). Rituals, occurrences and homework belong to the
couple; check-in answers, reminder offsets, quiet hours and the feed belong
to one member. A ritual of another couple answers 404, as if it did not
exist. Bad input is a 400 naming the field, checked before anything is
written: each route declares what it accepts and answers with ``@declare``
(the ``Body``/``Query`` models and the answer shapes are in schemas.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Blueprint, Response, jsonify

from hearthside.plugin_api import (UNSET, answer, api_error, current_hs, declare, error, get_db, log_exception, obj,
                                   public_url, require)

from . import checkin, homework, ical, model, progress, reminders, settings
from .schemas import (CHECKIN, FEED_URL, HOMEWORK, OCCURRENCE, REMINDERS, RITUAL, SETTINGS, STRING, TREND,
                      CheckinAnswers, HomeworkItem, Listing, Move, Offsets, Range, RitualFields, Settings, Status, Tick)
from .presets import template_list
from .recurrence import RecurrenceError, parse_local

log = logging.getLogger(__name__)

api = Blueprint("rituals_api", __name__, url_prefix="/api/v1/rituals")
TAGS = ["rituals"]
NO_OCCURRENCE = error("No such ritual or occurrence")

MAX_RANGE_DAYS = 62
OCC = "/<int:ritual_id>/occurrences/<occurrence_key>"


def _config() -> dict:
    return current_hs().config.plugin("rituals")


def _default_offsets() -> list[int]:
    return reminders.parse_default_offsets(_config()["default_reminders"])


def ritual_json(db, ritual: model.Ritual, member_id: int) -> dict:
    now = model.utc_now()
    return {**ritual.as_dict(),
            "next": model.next_occurrence(db, ritual, now) if ritual.status == "active" else None,
            "progress": progress.progress(db, ritual, now, _config()["progress_window"]),
            "my_reminders": reminders.offsets_for(db, ritual.id, member_id, _default_offsets())
            if member_id in ritual.participants else []}


# -- templates and rituals ---------------------------------------------------------------


@api.get("/templates")
@require()
@declare("The ritual templates to start from", tags=TAGS, responses={"200": answer("Templates", {"type": "object"})})
def templates(principal):
    return jsonify({"templates": template_list()})


@api.get("")
@require()
@declare("The couple's rituals (active and paused; ?include=archived adds the archived)", query=Listing, tags=TAGS,
         responses={"200": answer("Rituals", obj({"rituals": {"type": "array", "items": RITUAL}}))})
def list_rituals(principal, query: Listing):
    statuses = ("active", "paused", "archived") if query.include else ("active", "paused")
    db = get_db()
    rituals = model.rituals_of(db, principal.couple_id, statuses)
    return jsonify({"rituals": [ritual_json(db, ritual, principal.member_id) for ritual in rituals]})


@api.post("")
@require()
@declare("Create a ritual from a template", body=RitualFields, tags=TAGS, responses={
    "201": answer("The ritual", RITUAL), "400": error("A bad field, RRULE or member; nothing was stored")})
def create_ritual(principal, body: RitualFields):
    db = get_db()
    columns = model.read_ritual(db, principal.couple_id, body.given())
    ritual = model.create_ritual(db, principal, columns)
    return jsonify(ritual_json(db, ritual, principal.member_id)), 201


@api.get("/<int:ritual_id>")
@require()
@declare("One ritual, with its next occurrence and kind count", tags=TAGS, responses={
    "200": answer("The ritual", RITUAL), "404": error("No such ritual in your couple")})
def get_ritual(principal, ritual_id):
    db = get_db()
    return jsonify(ritual_json(db, model.get_ritual(db, principal.couple_id, ritual_id), principal.member_id))


@api.patch("/<int:ritual_id>")
@require()
@declare("Edit, pause, resume or archive a ritual (only the fields sent change)", body=RitualFields, tags=TAGS,
         responses={"200": answer("The ritual", RITUAL), "400": error("A bad field; nothing changed"),
                    "404": error("No such ritual in your couple")})
def edit_ritual(principal, ritual_id, body: RitualFields):
    db, ritual = _ritual(principal, ritual_id)
    columns = model.read_ritual(db, principal.couple_id, body.given(), existing=ritual)
    return jsonify(ritual_json(db, model.update_ritual(db, principal, ritual, columns), principal.member_id))


# -- occurrences -------------------------------------------------------------------------------


@api.get("/occurrences")
@require()
@declare("Occurrences of the couple's active rituals between two dates (both included)", query=Range, tags=TAGS,
         responses={"200": answer("Occurrences in order", obj({
             "occurrences": {"type": "array", "items": OCCURRENCE}, "from": STRING, "to": STRING,
             "time_zone": STRING})), "400": error("A bad date or a range over 62 days")})
def list_occurrences(principal, query: Range):
    db = get_db()
    tz = model.couple_tz(db, principal.couple_id)
    today = model.utc_now().astimezone(tz).date()
    first = query.from_ or today
    last = query.to or first + timedelta(days=13)
    if last < first:
        api_error(400, "end_before_start", "'to' must not be before 'from'.")
    if (last - first).days >= MAX_RANGE_DAYS:
        api_error(400, "range_too_long", f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
    after = datetime.combine(first, datetime.min.time())
    before = datetime.combine(last + timedelta(days=1), datetime.min.time())
    rituals = model.rituals_of(db, principal.couple_id)
    return jsonify({"occurrences": model.occurrences_between(db, rituals, after, before),
                    "from": first.isoformat(), "to": last.isoformat(), "time_zone": tz.key})


def _ritual(principal, ritual_id: int):
    """This request's database and the ritual, the caller's couple's only (404 for any other)."""
    db = get_db()
    return db, model.get_ritual(db, principal.couple_id, ritual_id)


def _occurrence(principal, ritual_id: int, key: str):
    """As :func:`_ritual`, with the occurrence's override row (None if it is as planned; 404 if no such)."""
    db, ritual = _ritual(principal, ritual_id)
    return db, ritual, model.find_occurrence(db, ritual, key)


@api.get(OCC)
@require()
@declare("One occurrence, with its homework if it is a therapy session", tags=TAGS,
         responses={"200": answer("The occurrence", OCCURRENCE), "404": NO_OCCURRENCE})
def get_occurrence(principal, ritual_id, occurrence_key):
    db, ritual, override = _occurrence(principal, ritual_id, occurrence_key)
    view = model.occurrence_view(db, ritual, occurrence_key, override)
    if ritual.kind == "therapy":
        view["homework_items"] = homework.items(db, override)
    return jsonify(view)


@api.put(OCC + "/status")
@require()
@declare("Mark an occurrence done or skipped, or upcoming again (either member)", body=Status, tags=TAGS,
         responses={"200": answer("The occurrence", OCCURRENCE), "400": error("Not one of the statuses"),
                    "404": NO_OCCURRENCE})
def put_status(principal, ritual_id, occurrence_key, body: Status):
    db, ritual, _ = _occurrence(principal, ritual_id, occurrence_key)
    return jsonify(model.set_status(db, principal, ritual, occurrence_key, body.status))


@api.put(OCC + "/move")
@require()
@declare("Move one occurrence to another time (the series stays as it is)", body=Move, tags=TAGS, responses={
    "200": answer("The occurrence", OCCURRENCE), "400": error("A bad time, or the end before the start"),
    "404": NO_OCCURRENCE})
def put_move(principal, ritual_id, occurrence_key, body: Move):
    db, ritual, _ = _occurrence(principal, ritual_id, occurrence_key)
    if body.end is not UNSET and body.duration_minutes is not UNSET:
        api_error(400, "invalid_field", "Send either 'end' or 'duration_minutes', not both.")
    try:
        start = parse_local(body.start, "start", ritual.tz)
        duration = ritual.duration
        if body.end is not UNSET:
            end = parse_local(body.end, "end", ritual.tz)
            if end <= start:
                api_error(400, "end_before_start", "'end' must be after 'start'.")
            duration = int((end - start).total_seconds() // 60)
            if duration > model.MAX_DURATION:
                api_error(400, "invalid_field", "An occurrence lasts at most 24 hours.")
        elif body.duration_minutes is not UNSET:
            duration = body.duration_minutes
    except RecurrenceError as exc:
        model.recurrence_error(exc)
    return jsonify(model.move(db, principal, ritual, occurrence_key, start, duration))


@api.delete(OCC + "/move")
@require()
@declare("Put a moved occurrence back at its original time", tags=TAGS,
         responses={"200": answer("The occurrence", OCCURRENCE), "404": NO_OCCURRENCE})
def delete_move(principal, ritual_id, occurrence_key):
    db, ritual, _ = _occurrence(principal, ritual_id, occurrence_key)
    return jsonify(model.move(db, principal, ritual, occurrence_key, None, None))


# -- check-ins -------------------------------------------------------------------------------------


@api.get(OCC + "/checkin")
@require()
@declare("My answers to a check-in and who is ready (never the others' answers)", tags=TAGS, responses={
    "200": answer("The check-in as I may see it", CHECKIN), "400": error("Not a check-in"), "404": NO_OCCURRENCE})
def get_checkin(principal, ritual_id, occurrence_key):
    db, ritual = _ritual(principal, ritual_id)
    return jsonify(checkin.own_state(db, principal, ritual, occurrence_key))


@api.put(OCC + "/checkin")
@require()
@declare("Submit or edit my answers (until everyone has submitted: then they are revealed and locked)",
         body=CheckinAnswers, tags=TAGS, responses={
             "200": answer("The check-in as I may see it", CHECKIN),
             "400": error("An unknown prompt or a bad answer; nothing was stored"),
             "403": error("Not a participant"), "409": error("Already revealed, or the occurrence was skipped")})
def put_checkin(principal, ritual_id, occurrence_key, body: CheckinAnswers):
    db, ritual = _ritual(principal, ritual_id)
    checkin.require_checkin(ritual)
    answers = checkin.read_answers(ritual, body.answers)
    state = checkin.submit(db, principal, ritual, occurrence_key, answers)
    if state["revealed"]:
        with db.atomic():
            model.after_change(db, principal.couple_id)  # revealed means done: the wall's card may change
    return jsonify(state)


@api.get(OCC + "/checkin/reveal")
@require()
@declare("Everyone's answers, once all participants submitted and while rituals.checkin_reveal is active", tags=TAGS,
         responses={"200": answer("The answers, revealed together", {"type": "object"}),
                    "403": error("Not a participant, or the reveal consent is off"),
                    "409": error("Not everyone has submitted yet")})
def get_reveal(principal, ritual_id, occurrence_key):
    db, ritual = _ritual(principal, ritual_id)
    return jsonify(checkin.reveal(db, principal, ritual, occurrence_key))


# -- therapy homework ----------------------------------------------------------------------------------


@api.post(OCC + "/homework")
@require()
@declare("Add a homework item to a therapy session", body=HomeworkItem, tags=TAGS, responses={
    "201": answer("The item", HOMEWORK), "400": error("Not a therapy session, or empty text")})
def add_homework(principal, ritual_id, occurrence_key, body: HomeworkItem):
    db, ritual, _ = _occurrence(principal, ritual_id, occurrence_key)
    homework.require_therapy(ritual)
    return jsonify(homework.add(db, principal, ritual, occurrence_key, body.text)), 201


@api.put(OCC + "/homework/<int:homework_id>")
@require()
@declare("Tick a homework item off (or reopen it)", body=Tick, tags=TAGS,
         responses={"200": answer("The item", HOMEWORK), "404": error("No such item")})
def tick_homework(principal, ritual_id, occurrence_key, homework_id, body: Tick):
    db, ritual, override = _occurrence(principal, ritual_id, occurrence_key)
    homework.require_therapy(ritual)
    item = homework.get_item(db, override, homework_id)
    return jsonify(homework.tick(db, principal, ritual, occurrence_key, item, body.done))


@api.delete(OCC + "/homework/<int:homework_id>")
@require()
@declare("Remove a homework item", tags=TAGS, responses={"204": answer("Removed"), "404": error("No such item")})
def delete_homework(principal, ritual_id, occurrence_key, homework_id):
    db, ritual, override = _occurrence(principal, ritual_id, occurrence_key)
    homework.require_therapy(ritual)
    homework.remove(db, principal, ritual, occurrence_key, homework.get_item(db, override, homework_id))
    return "", 204


# -- reminders, trend ------------------------------------------------------------------------------------


@api.get("/<int:ritual_id>/reminders")
@require()
@declare("My own reminder offsets for a ritual", tags=TAGS, responses={"200": answer("Offsets", REMINDERS)})
def get_reminders(principal, ritual_id):
    db, ritual = _ritual(principal, ritual_id)
    return jsonify({"offsets": reminders.offsets_for(db, ritual.id, principal.member_id, _default_offsets())})


@api.put("/<int:ritual_id>/reminders")
@require()
@declare("Set my own reminder offsets for a ritual (private to me)", body=Offsets, tags=TAGS, responses={
    "200": answer("Offsets", REMINDERS), "400": error("Bad offsets"), "403": error("Not a participant")})
def put_reminders(principal, ritual_id, body: Offsets):
    db, ritual = _ritual(principal, ritual_id)
    offsets = body.offsets
    if principal.member_id not in ritual.participants:
        api_error(403, "not_a_participant", "Reminders are for the participants of this ritual.")
    offsets = sorted(set(offsets), reverse=True)
    reminders.save_offsets(db, principal, ritual, offsets)
    return jsonify({"offsets": offsets})


@api.get("/<int:ritual_id>/trend")
@require()
@declare("Check-in ratings over the weeks: mine, and the others' once revealed with consent", tags=TAGS,
         responses={"200": answer("Points", TREND)})
def get_trend(principal, ritual_id):
    db, ritual = _ritual(principal, ritual_id)
    return jsonify(progress.trend(db, ritual, principal.member_id))


@api.get("/<int:ritual_id>/trend.svg")
@require()
@declare("The same trend as a plain SVG line chart", tags=TAGS,
         responses={"200": answer("An SVG image", {"type": "string"}, media="image/svg+xml")})
def get_trend_svg(principal, ritual_id):
    db, ritual = _ritual(principal, ritual_id)
    svg = progress.trend_svg(progress.trend(db, ritual, principal.member_id))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


# -- my settings and the calendar feed ---------------------------------------------------------------------


@api.get("/settings")
@require()
@declare("My quiet hours and whether my calendar feed is on", tags=TAGS, responses={"200": answer("Settings", SETTINGS)})
def get_settings(principal):
    return jsonify(settings.describe(get_db(), principal.member_id))


@api.put("/settings")
@require()
@declare("Set my quiet hours (null turns them off); reminders wait until they end", body=Settings, tags=TAGS,
         responses={"200": answer("Settings", SETTINGS), "400": error("Not HH:MM times, or start equals end")})
def put_settings(principal, body: Settings):
    quiet = body.quiet_hours
    if quiet is not None:
        quiet = {"start": quiet.start, "end": quiet.end}
        if quiet["start"] == quiet["end"]:
            api_error(400, "invalid_field", "Quiet hours must start and end at different times.")
    return jsonify(settings.set_quiet_hours(get_db(), principal, quiet))


@api.get("/feed")
@require()
@declare("Whether my calendar feed is on (the secret link is shown only when made)", tags=TAGS,
         responses={"200": answer("The feed", SETTINGS["properties"]["feed"])})
def get_feed(principal):
    return jsonify(settings.describe(get_db(), principal.member_id)["feed"])


@api.post("/feed")
@require()
@declare("Make a new secret calendar feed link for me (any older link stops working)", tags=TAGS,
         responses={"201": answer("The link, shown only now", FEED_URL)})
def post_feed(principal):
    secret = settings.new_feed(get_db(), principal)
    path = f"{api.url_prefix}/feed/{secret}.ics"
    url = public_url(path)  # a calendar app will send the secret there: never a forged Host header's machine
    return jsonify({"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1], "path": path}), 201


@api.delete("/feed")
@require()
@declare("Turn my calendar feed off: its link stops working at once", tags=TAGS,
         responses={"200": answer("The feed", SETTINGS["properties"]["feed"])})
def delete_feed(principal):
    return jsonify(settings.revoke_feed(get_db(), principal)["feed"])


@api.get("/feed/<feed_secret>.ics")
@declare("A member's rituals as an iCalendar feed (RFC 5545) for phone calendar apps; the secret in the link is "
         "the only key", tags=TAGS, public=True, responses={
             "200": answer("The calendar", {"type": "string"}, media="text/calendar"),
             "404": error("Unknown or revoked link")})
def feed(feed_secret):
    db = get_db()
    owner = settings.feed_owner(db, feed_secret)
    if owner is None:
        api_error(404, "feed_not_found", "This calendar link is not valid: it may have been turned off or replaced.")
    try:
        rituals = [ritual for ritual in model.rituals_of(db, owner["couple_id"])
                   if owner["member_id"] in ritual.participants]
        alarms = reminders.feed_alarms(db, owner["member_id"], rituals, _default_offsets())
        text = ical.calendar(db, rituals, model.couple_tz(db, owner["couple_id"]), model.utc_now(), alarms)
    except Exception as exc:
        # Logged without the URL: the path holds the member's secret.
        log_exception(log, exc, "Building a rituals calendar feed failed")
        api_error(500, "feed_failed", "The calendar could not be built; it has been logged.")
    return Response(text, mimetype="text/calendar", headers={
        "Cache-Control": "no-cache, private", "Content-Disposition": 'inline; filename="hearthside-rituals.ics"',
        "Referrer-Policy": "no-referrer"})
