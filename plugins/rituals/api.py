"""The rituals API under ``/api/v1/rituals``: members only, one couple's data each.

Every route but the calendar feed needs a member (``require()``; a wall
screen gets 403, nobody 401). Rituals, occurrences and homework belong to the
couple; check-in answers, reminder offsets, quiet hours and the feed belong
to one member. A ritual of another couple answers 404, as if it did not
exist. Bad input is a 400 naming the field, checked before anything is
written.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, jsonify, request

from hearthside.plugin_api import api_error, current_hs, log_exception, get_db, json_body, public_url, query_date, require

from . import checkin, fields, homework, ical, model, progress, reminders, settings
from .docs import (CHECKIN, HOMEWORK, INTEGER, LOCAL_TIME, OCCURRENCE, RITUAL, RITUAL_BODY, SETTINGS, STRING,
                   answer, describe, error)
from .presets import template_list
from .recurrence import RecurrenceError, parse_local

log = logging.getLogger(__name__)

api = Blueprint("rituals_api", __name__, url_prefix="/api/v1/rituals")

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
@describe("get", "The ritual templates to start from", {"200": answer("Templates", {"type": "object"})})
@require()
def templates(principal):
    return jsonify({"templates": template_list()})


@api.get("")
@describe("get", "The couple's rituals (active and paused; ?include=archived adds the archived)",
          {"200": answer("Rituals", {"type": "object", "properties": {"rituals": {"type": "array", "items": RITUAL}}})},
          parameters=[{"name": "include", "in": "query", "required": False,
                       "schema": {"type": "string", "enum": ["archived"]}}])
@require()
def list_rituals(principal):
    include = request.args.get("include")
    if include not in (None, "archived"):
        api_error(400, "invalid_parameter", "'include' may only be 'archived'.")
    statuses = ("active", "paused", "archived") if include else ("active", "paused")
    db = get_db()
    rituals = model.rituals_of(db, principal.couple_id, statuses)
    return jsonify({"rituals": [ritual_json(db, ritual, principal.member_id) for ritual in rituals]})


@api.post("")
@describe("post", "Create a ritual from a template", {"201": answer("The ritual", RITUAL),
                                                     "400": error("A bad field, RRULE or member; nothing was stored")},
          body=RITUAL_BODY)
@require()
def create_ritual(principal):
    db = get_db()
    columns = model.read_ritual(db, principal.couple_id, json_body())
    ritual = model.create_ritual(db, principal, columns)
    return jsonify(ritual_json(db, ritual, principal.member_id)), 201


@api.get("/<int:ritual_id>")
@describe("get", "One ritual, with its next occurrence and kind count",
          {"200": answer("The ritual", RITUAL), "404": error("No such ritual in your couple")})
@require()
def get_ritual(principal, ritual_id):
    db = get_db()
    return jsonify(ritual_json(db, model.get_ritual(db, principal.couple_id, ritual_id), principal.member_id))


@api.patch("/<int:ritual_id>")
@describe("patch", "Edit, pause, resume or archive a ritual (only the fields sent change)",
          {"200": answer("The ritual", RITUAL), "400": error("A bad field; nothing changed"),
           "404": error("No such ritual in your couple")}, body=RITUAL_BODY)
@require()
def edit_ritual(principal, ritual_id):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    columns = model.read_ritual(db, principal.couple_id, json_body(), existing=ritual)
    return jsonify(ritual_json(db, model.update_ritual(db, principal, ritual, columns), principal.member_id))


# -- occurrences -------------------------------------------------------------------------------


@api.get("/occurrences")
@describe("get", "Occurrences of the couple's active rituals between two dates (both included)",
          {"200": answer("Occurrences in order", {"type": "object", "properties": {
              "occurrences": {"type": "array", "items": OCCURRENCE}, "from": STRING, "to": STRING,
              "time_zone": STRING}}), "400": error("A bad date or a range over 62 days")},
          parameters=[{"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
                      {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}}])
@require()
def list_occurrences(principal):
    db = get_db()
    tz = model.couple_tz(db, principal.couple_id)
    today = model.utc_now().astimezone(tz).date()
    first = query_date("from", today)
    last = query_date("to", first + timedelta(days=13))
    if last < first:
        api_error(400, "end_before_start", "'to' must not be before 'from'.")
    if (last - first).days >= MAX_RANGE_DAYS:
        api_error(400, "range_too_long", f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
    after = datetime.combine(first, datetime.min.time())
    before = datetime.combine(last + timedelta(days=1), datetime.min.time())
    rituals = model.rituals_of(db, principal.couple_id)
    return jsonify({"occurrences": model.occurrences_between(db, rituals, after, before),
                    "from": first.isoformat(), "to": last.isoformat(), "time_zone": tz.key})


def _occurrence(db, principal, ritual_id: int, key: str):
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    return ritual, model.find_occurrence(db, ritual, key)


@api.get(OCC)
@describe("get", "One occurrence, with its homework if it is a therapy session",
          {"200": answer("The occurrence", OCCURRENCE), "404": error("No such ritual or occurrence")})
@require()
def get_occurrence(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual, override = _occurrence(db, principal, ritual_id, occurrence_key)
    view = model.occurrence_view(db, ritual, occurrence_key, override)
    if ritual.kind == "therapy":
        view["homework_items"] = homework.items(db, override)
    return jsonify(view)


@api.put(OCC + "/status")
@describe("put", "Mark an occurrence done or skipped, or upcoming again (either member)",
          {"200": answer("The occurrence", OCCURRENCE), "400": error("Not one of the statuses"),
           "404": error("No such ritual or occurrence")},
          body={"type": "object", "properties": {"status": {"type": "string", "enum": ["done", "skipped", "upcoming"]}},
                "required": ["status"]})
@require()
def put_status(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual, _ = _occurrence(db, principal, ritual_id, occurrence_key)
    body = json_body()
    fields.only_known(body, {"status"})
    status = fields.choice(body, "status", ("done", "skipped", "upcoming"))
    return jsonify(model.set_status(db, principal, ritual, occurrence_key, status))


@api.put(OCC + "/move")
@describe("put", "Move one occurrence to another time (the series stays as it is)",
          {"200": answer("The occurrence", OCCURRENCE), "400": error("A bad time, or the end before the start"),
           "404": error("No such ritual or occurrence")},
          body={"type": "object", "properties": {"start": LOCAL_TIME, "end": LOCAL_TIME,
                                                 "duration_minutes": INTEGER}, "required": ["start"]})
@require()
def put_move(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual, _ = _occurrence(db, principal, ritual_id, occurrence_key)
    body = json_body()
    fields.only_known(body, {"start", "end", "duration_minutes"})
    if "end" in body and "duration_minutes" in body:
        api_error(400, "invalid_field", "Send either 'end' or 'duration_minutes', not both.")
    try:
        start = parse_local(body.get("start"), "start", ritual.tz)
        duration = ritual.duration
        if "end" in body:
            end = parse_local(body["end"], "end", ritual.tz)
            if end <= start:
                api_error(400, "end_before_start", "'end' must be after 'start'.")
            duration = int((end - start).total_seconds() // 60)
            if duration > model.MAX_DURATION:
                api_error(400, "invalid_field", "An occurrence lasts at most 24 hours.")
        elif "duration_minutes" in body:
            duration = fields.integer(body, "duration_minutes", minimum=5, maximum=model.MAX_DURATION)
    except RecurrenceError as exc:
        model.recurrence_error(exc)
    return jsonify(model.move(db, principal, ritual, occurrence_key, start, duration))


@api.delete(OCC + "/move")
@describe("delete", "Put a moved occurrence back at its original time",
          {"200": answer("The occurrence", OCCURRENCE), "404": error("No such ritual or occurrence")})
@require()
def delete_move(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual, _ = _occurrence(db, principal, ritual_id, occurrence_key)
    return jsonify(model.move(db, principal, ritual, occurrence_key, None, None))


# -- check-ins -------------------------------------------------------------------------------------


@api.get(OCC + "/checkin")
@describe("get", "My answers to a check-in and who is ready (never the others' answers)",
          {"200": answer("The check-in as I may see it", CHECKIN), "400": error("Not a check-in"),
           "404": error("No such ritual or occurrence")})
@require()
def get_checkin(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    return jsonify(checkin.own_state(db, principal, ritual, occurrence_key))


@api.put(OCC + "/checkin")
@describe("put", "Submit or edit my answers (until everyone has submitted: then they are revealed and locked)",
          {"200": answer("The check-in as I may see it", CHECKIN),
           "400": error("An unknown prompt or a bad answer; nothing was stored"),
           "403": error("Not a participant"), "409": error("Already revealed, or the occurrence was skipped")},
          body={"type": "object", "properties": {"answers": {
              "type": "object", "description": "Prompt id -> text (at most 2000 characters) or a rating 1-5"}},
              "required": ["answers"]})
@require()
def put_checkin(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    checkin.require_checkin(ritual)
    answers = checkin.read_answers(ritual, json_body())
    state = checkin.submit(db, principal, ritual, occurrence_key, answers)
    if state["revealed"]:
        with db.atomic():
            model.after_change(db, principal.couple_id)  # revealed means done: the wall's card may change
    return jsonify(state)


@api.get(OCC + "/checkin/reveal")
@describe("get", "Everyone's answers, once all participants submitted and while rituals.checkin_reveal is active",
          {"200": answer("The answers, revealed together", {"type": "object"}),
           "403": error("Not a participant, or the reveal consent is off"),
           "409": error("Not everyone has submitted yet")})
@require()
def get_reveal(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    return jsonify(checkin.reveal(db, principal, ritual, occurrence_key))


# -- therapy homework ----------------------------------------------------------------------------------


@api.post(OCC + "/homework")
@describe("post", "Add a homework item to a therapy session",
          {"201": answer("The item", HOMEWORK), "400": error("Not a therapy session, or empty text")},
          body={"type": "object", "properties": {"text": {"type": "string", "maxLength": 300}}, "required": ["text"]})
@require()
def add_homework(principal, ritual_id, occurrence_key):
    db = get_db()
    ritual, _ = _occurrence(db, principal, ritual_id, occurrence_key)
    homework.require_therapy(ritual)
    body = json_body()
    fields.only_known(body, {"text"})
    text = fields.text(body, "text", max_length=300, required=True, multiline=True)
    return jsonify(homework.add(db, principal, ritual, occurrence_key, text)), 201


@api.put(OCC + "/homework/<int:homework_id>")
@describe("put", "Tick a homework item off (or reopen it)",
          {"200": answer("The item", HOMEWORK), "404": error("No such item")},
          body={"type": "object", "properties": {"done": {"type": "boolean"}}, "required": ["done"]})
@require()
def tick_homework(principal, ritual_id, occurrence_key, homework_id):
    db = get_db()
    ritual, override = _occurrence(db, principal, ritual_id, occurrence_key)
    homework.require_therapy(ritual)
    item = homework.get_item(db, override, homework_id)
    body = json_body()
    fields.only_known(body, {"done"})
    if not isinstance(body.get("done"), bool):
        api_error(400, "invalid_field", "'done' is required and must be true or false.")
    return jsonify(homework.tick(db, principal, ritual, occurrence_key, item, body["done"]))


@api.delete(OCC + "/homework/<int:homework_id>")
@describe("delete", "Remove a homework item", {"204": answer("Removed"), "404": error("No such item")})
@require()
def delete_homework(principal, ritual_id, occurrence_key, homework_id):
    db = get_db()
    ritual, override = _occurrence(db, principal, ritual_id, occurrence_key)
    homework.require_therapy(ritual)
    homework.remove(db, principal, ritual, occurrence_key, homework.get_item(db, override, homework_id))
    return "", 204


# -- reminders, trend ------------------------------------------------------------------------------------


REMINDERS = {"type": "object", "properties": {"offsets": {
    "type": "array", "items": {"type": "integer", "minimum": 0, "maximum": reminders.MAX_OFFSET_MINUTES},
    "maxItems": reminders.MAX_OFFSETS, "description": "Minutes before the start, e.g. [1440, 30]"}},
    "required": ["offsets"]}


@api.get("/<int:ritual_id>/reminders")
@describe("get", "My own reminder offsets for a ritual", {"200": answer("Offsets", REMINDERS)})
@require()
def get_reminders(principal, ritual_id):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    return jsonify({"offsets": reminders.offsets_for(db, ritual.id, principal.member_id, _default_offsets())})


@api.put("/<int:ritual_id>/reminders")
@describe("put", "Set my own reminder offsets for a ritual (private to me)",
          {"200": answer("Offsets", REMINDERS), "400": error("Bad offsets"), "403": error("Not a participant")},
          body=REMINDERS)
@require()
def put_reminders(principal, ritual_id):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    body = json_body()
    fields.only_known(body, {"offsets"})
    offsets = body.get("offsets")
    if (not isinstance(offsets, list) or len(offsets) > reminders.MAX_OFFSETS
            or not all(isinstance(o, int) and not isinstance(o, bool) and 0 <= o <= reminders.MAX_OFFSET_MINUTES
                       for o in offsets)):
        api_error(400, "invalid_field", f"'offsets' must be a list of at most {reminders.MAX_OFFSETS} whole numbers "
                                        f"of minutes from 0 to {reminders.MAX_OFFSET_MINUTES} (14 days).")
    if principal.member_id not in ritual.participants:
        api_error(403, "not_a_participant", "Reminders are for the participants of this ritual.")
    offsets = sorted(set(offsets), reverse=True)
    reminders.save_offsets(db, principal, ritual, offsets)
    return jsonify({"offsets": offsets})


TREND = {"type": "object", "properties": {"prompt": {"type": ["string", "null"]}, "points": {"type": "array"},
                                          "members": {"type": "array"}}}


@api.get("/<int:ritual_id>/trend")
@describe("get", "Check-in ratings over the weeks: mine, and the others' once revealed with consent",
          {"200": answer("Points", TREND)})
@require()
def get_trend(principal, ritual_id):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    return jsonify(progress.trend(db, ritual, principal.member_id))


@api.get("/<int:ritual_id>/trend.svg")
@describe("get", "The same trend as a plain SVG line chart",
          {"200": answer("An SVG image", {"type": "string"}, media="image/svg+xml")})
@require()
def get_trend_svg(principal, ritual_id):
    db = get_db()
    ritual = model.get_ritual(db, principal.couple_id, ritual_id)
    svg = progress.trend_svg(progress.trend(db, ritual, principal.member_id))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


# -- my settings and the calendar feed ---------------------------------------------------------------------


@api.get("/settings")
@describe("get", "My quiet hours and whether my calendar feed is on", {"200": answer("Settings", SETTINGS)})
@require()
def get_settings(principal):
    return jsonify(settings.describe(get_db(), principal.member_id))


@api.put("/settings")
@describe("put", "Set my quiet hours (null turns them off); reminders wait until they end",
          {"200": answer("Settings", SETTINGS), "400": error("Not HH:MM times, or start equals end")},
          body={"type": "object", "properties": {"quiet_hours": SETTINGS["properties"]["quiet_hours"]},
                "required": ["quiet_hours"]})
@require()
def put_settings(principal):
    body = json_body()
    fields.only_known(body, {"quiet_hours"})
    if "quiet_hours" not in body:
        api_error(400, "invalid_field", "'quiet_hours' is required: {\"start\": \"22:00\", \"end\": \"07:00\"} or null.")
    quiet = body["quiet_hours"]
    if quiet is not None:
        if not isinstance(quiet, dict):
            api_error(400, "invalid_field", "'quiet_hours' must be {\"start\": \"22:00\", \"end\": \"07:00\"} or null.")
        fields.only_known(quiet, {"start", "end"})
        quiet = {"start": fields.hhmm(quiet.get("start"), "quiet_hours.start"),
                 "end": fields.hhmm(quiet.get("end"), "quiet_hours.end")}
        if quiet["start"] == quiet["end"]:
            api_error(400, "invalid_field", "Quiet hours must start and end at different times.")
    return jsonify(settings.set_quiet_hours(get_db(), principal, quiet))


FEED_URL = {"type": "object", "properties": {"url": STRING, "webcal_url": STRING, "path": STRING},
            "required": ["url"]}


@api.get("/feed")
@describe("get", "Whether my calendar feed is on (the secret link is shown only when made)",
          {"200": answer("The feed", SETTINGS["properties"]["feed"])})
@require()
def get_feed(principal):
    return jsonify(settings.describe(get_db(), principal.member_id)["feed"])


@api.post("/feed")
@describe("post", "Make a new secret calendar feed link for me (any older link stops working)",
          {"201": answer("The link, shown only now", FEED_URL)})
@require()
def post_feed(principal):
    secret = settings.new_feed(get_db(), principal)
    path = f"{api.url_prefix}/feed/{secret}.ics"
    url = public_url(path)  # a calendar app will send the secret there: never a forged Host header's machine
    return jsonify({"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1], "path": path}), 201


@api.delete("/feed")
@describe("delete", "Turn my calendar feed off: its link stops working at once",
          {"200": answer("The feed", SETTINGS["properties"]["feed"])})
@require()
def delete_feed(principal):
    return jsonify(settings.revoke_feed(get_db(), principal)["feed"])


@api.get("/feed/<feed_secret>.ics")
@describe("get", "A member's rituals as an iCalendar feed (RFC 5545) for phone calendar apps; "
                 "the secret in the link is the only key", {
              "200": answer("The calendar", {"type": "string"}, media="text/calendar"),
              "404": error("Unknown or revoked link")}, security=[])
def feed(feed_secret):
    db = get_db()
    owner = settings.feed_owner(db, feed_secret)
    if owner is None:
        api_error(404, "feed_not_found", "This calendar link is not valid: it may have been turned off or replaced.")
    try:
        rituals = [ritual for ritual in model.rituals_of(db, owner["couple_id"])
                   if owner["member_id"] in ritual.participants]
        text = ical.calendar(db, rituals, model.couple_tz(db, owner["couple_id"]), model.utc_now())
    except Exception as exc:
        # Logged without the URL: the path holds the member's secret.
        log_exception(log, exc, "Building a rituals calendar feed failed")
        api_error(500, "feed_failed", "The calendar could not be built; it has been logged.")
    return Response(text, mimetype="text/calendar", headers={
        "Cache-Control": "no-cache, private", "Content-Disposition": 'inline; filename="hearthside-rituals.ics"',
        "Referrer-Policy": "no-referrer"})
