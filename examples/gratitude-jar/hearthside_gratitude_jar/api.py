"""The gratitude jar's JSON API, under ``/api/v1/gratitude_jar``.

Every route needs a signed-in member (``@require()``: the wall screen reads
the jar only through its dashboard card). Every error is a 4xx JSON error
from ``api_error`` and writes nothing. Each view describes itself for the
OpenAPI document in its ``openapi`` attribute.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hearthside.plugin_api import api_error, current_hs, get_db, is_active, json_body, require, require_active, text_value

from . import model

api = Blueprint("gratitude_jar_api", __name__, url_prefix="/api/v1/gratitude_jar")

ERROR = {"$ref": "#/components/schemas/Error"}
NOTE = {"type": "object", "required": ["id", "text", "created_at", "drawn_on"], "properties": {
    "id": {"type": "integer"}, "text": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "drawn_on": {"type": ["string", "null"], "format": "date",
                 "description": "The evening it was drawn; null while in the jar"},
}}
DRAWN = {"type": "object", "required": ["id", "text", "drawn_on", "mine"], "properties": {
    "id": {"type": "integer"}, "text": {"type": "string"}, "drawn_on": {"type": "string", "format": "date"},
    "mine": {"type": "boolean", "description": "Whether the caller wrote it"},
}}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def note_text(body: dict) -> str:
    """The note's text by Hearthside's one text rule (``text_value``): 1 to 280 characters, or a clear 400.

    The friendlier message for an empty note is the jar's own; the rule then
    trims, normalises and refuses control and bidi override characters.
    """
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        api_error(400, "invalid_field", "'text' is required: write one thing you appreciate.")
    return text_value(text, "'text'", max_length=model.MAX_LENGTH, multiline=True)


@api.get("/notes")
@require()
def list_notes(principal):
    """The caller's own notes, and whether the evening draw is on for the couple."""
    db = get_db()
    return jsonify({
        "notes": model.own_notes(db, principal.member_id),
        "drawing": is_active(db, principal.couple_id, model.SCOPE),
        "draw_hour": current_hs().config.plugin(model.PLUGIN)["draw_hour"],
    })


list_notes.openapi = {"get": {
    "summary": "My own notes (in the jar or drawn), and whether the evening draw is on", "tags": ["gratitude_jar"],
    "responses": {"200": {"description": "My notes", "content": _json({"type": "object", "properties": {
        "notes": {"type": "array", "items": NOTE}, "drawing": {"type": "boolean"},
        "draw_hour": {"type": "integer", "description": "The hour of the evening draw, couple's time"},
    }, "required": ["notes", "drawing", "draw_hour"]})}},
}}


@api.post("/notes")
@require()
def add_note(principal):
    """Drop a note in the jar: private to the caller until it is drawn."""
    text = note_text(json_body())
    note = model.drop(get_db(), principal.couple_id, principal.member_id, text)
    return jsonify({"note": note}), 201


add_note.openapi = {"post": {
    "summary": "Drop an appreciation in the jar (private to me until it is drawn)", "tags": ["gratitude_jar"],
    "requestBody": {"required": True, "content": _json({"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": model.MAX_LENGTH}}})},
    "responses": {"201": {"description": "In the jar", "content": _json(
        {"type": "object", "properties": {"note": NOTE}, "required": ["note"]})},
        "400": {"description": "No text, or too long; nothing was stored", "content": _json(ERROR)}},
}}


@api.delete("/notes/<int:note_id>")
@require()
def take_back(principal, note_id: int):
    """Take one of my notes back, drawn or not: no reason needed."""
    if not model.take_back(get_db(), principal.member_id, note_id):
        api_error(404, "not_found", "You have no note with that id.")
    return jsonify({"taken_back": note_id})


take_back.openapi = {"delete": {
    "summary": "Take one of my notes back (also off the wall if it was drawn)", "tags": ["gratitude_jar"],
    "responses": {"200": {"description": "Deleted", "content": _json(
        {"type": "object", "properties": {"taken_back": {"type": "integer"}}, "required": ["taken_back"]})},
        "404": {"description": "No note of mine with that id", "content": _json(ERROR)}},
}}


@api.get("/drawn")
@require()
def drawn(principal):
    """Both partners' drawn notes, only while everyone consents to the evening draw."""
    db = get_db()
    require_active(db, principal.couple_id, model.SCOPE)
    return jsonify({"drawn": model.drawn_notes(db, principal.couple_id, principal.member_id)})


drawn.openapi = {"get": {
    "summary": "The notes drawn so far, from both of us, newest first", "tags": ["gratitude_jar"],
    "description": "Only while dashboard.gratitude_jar is active for every member.",
    "responses": {"200": {"description": "Drawn notes", "content": _json(
        {"type": "object", "properties": {"drawn": {"type": "array", "items": DRAWN}}, "required": ["drawn"]})},
        "403": {"description": "dashboard.gratitude_jar is not active", "content": _json(ERROR)}},
}}
