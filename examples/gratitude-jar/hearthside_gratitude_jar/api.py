"""The gratitude jar's JSON API, under ``/api/v1/gratitude_jar``.

Every route needs a signed-in member (``@require()``: the wall screen reads
the jar only through its dashboard card). Each route is declared with
``@declare``: what it accepts (a ``Body`` model, checked before the view runs,
a bad one a 400 that writes nothing) and what it answers; the OpenAPI
document is built from these declarations.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hearthside.plugin_api import (Body, Text, answer, api_error, current_hs, declare, error, get_db, is_active, obj,
                                   require, require_active)

from . import model

api = Blueprint("gratitude_jar_api", __name__, url_prefix="/api/v1/gratitude_jar")
TAGS = ["gratitude_jar"]

NOTE = obj({"id": {"type": "integer"}, "text": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "drawn_on": {"type": ["string", "null"], "format": "date",
                         "description": "The evening it was drawn; null while in the jar"}},
           ["id", "text", "created_at", "drawn_on"])
DRAWN = obj({"id": {"type": "integer"}, "text": {"type": "string"}, "drawn_on": {"type": "string", "format": "date"},
             "mine": {"type": "boolean", "description": "Whether the caller wrote it"}},
            ["id", "text", "drawn_on", "mine"])


class NewNote(Body):
    """One thing you appreciate: 1 to 280 characters, under Hearthside's one text rule."""

    text: Text(model.MAX_LENGTH, multiline=True)


@api.get("/notes")
@require()
@declare("My own notes (in the jar or drawn), and whether the evening draw is on", tags=TAGS, responses={
    "200": answer("My notes", obj({
        "notes": {"type": "array", "items": NOTE}, "drawing": {"type": "boolean"},
        "draw_hour": {"type": "integer", "description": "The hour of the evening draw, couple's time"},
    }, ["notes", "drawing", "draw_hour"]))})
def list_notes(principal):
    """The caller's own notes, and whether the evening draw is on for the couple."""
    db = get_db()
    return jsonify({
        "notes": model.own_notes(db, principal.member_id),
        "drawing": is_active(db, principal.couple_id, model.SCOPE),
        "draw_hour": current_hs().config.plugin(model.PLUGIN)["draw_hour"],
    })


@api.post("/notes")
@require()
@declare("Drop an appreciation in the jar (private to me until it is drawn)", body=NewNote, tags=TAGS, responses={
    "201": answer("In the jar", obj({"note": NOTE}, ["note"])),
    "400": error("No text, or too long; nothing was stored")})
def add_note(principal, body: NewNote):
    """Drop a note in the jar: private to the caller until it is drawn."""
    note = model.drop(get_db(), principal.couple_id, principal.member_id, body.text)
    return jsonify({"note": note}), 201


@api.delete("/notes/<int:note_id>")
@require()
@declare("Take one of my notes back (also off the wall if it was drawn)", tags=TAGS, responses={
    "200": answer("Deleted", obj({"taken_back": {"type": "integer"}}, ["taken_back"])),
    "404": error("No note of mine with that id")})
def take_back(principal, note_id: int):
    """Take one of my notes back, drawn or not: no reason needed."""
    if not model.take_back(get_db(), principal.member_id, note_id):
        api_error(404, "not_found", "You have no note with that id.")
    return jsonify({"taken_back": note_id})


@api.get("/drawn")
@require()
@declare("The notes drawn so far, from both of us, newest first", tags=TAGS,
         description="Only while dashboard.gratitude_jar is active for every member.", responses={
             "200": answer("Drawn notes", obj({"drawn": {"type": "array", "items": DRAWN}}, ["drawn"])),
             "403": error("dashboard.gratitude_jar is not active")})
def drawn(principal):
    """Both partners' drawn notes, only while everyone consents to the evening draw."""
    db = get_db()
    require_active(db, principal.couple_id, model.SCOPE)
    return jsonify({"drawn": model.drawn_notes(db, principal.couple_id, principal.member_id)})
