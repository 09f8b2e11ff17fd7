"""OpenAPI descriptions of the rituals routes, attached to each view as ``openapi``.

The core builds ``/api/v1/openapi.json`` from the URL map and reads a
plugin's operations from this attribute (see ``web/openapi.py``); path
parameters, security and the JSON error response are filled in by the core.
"""

from __future__ import annotations

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ERROR = {"$ref": "#/components/schemas/Error"}
LOCAL_TIME = {"type": "string", "description": "Wall-clock time in the couple's zone, like 2024-03-10T19:00 "
                                               "(a time with an offset is converted)"}
# Minute precision, so not RFC 3339's "date-time" (which wants seconds).
OFFSET_TIME = {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?([+-]\\d{2}:\\d{2}|Z)$",
               "description": "Time with the zone's offset, to the minute, like 2024-03-10T19:00+01:00"}

PROMPT = {"type": "object", "properties": {"id": STRING, "kind": {"type": "string", "enum": ["text", "rating"]},
                                           "text": STRING}, "required": ["text"]}
PROGRESS = {"type": "object", "properties": {"done": INTEGER, "of": INTEGER, "text": STRING},
            "description": "A kind count (\"9 of the last 12 weekly check-ins\"), never a streak"}
OCCURRENCE = {"type": "object", "properties": {
    "ritual_id": INTEGER, "key": {"type": "string", "description": "The original wall-clock start: its id"},
    "kind": STRING, "title": STRING, "location": STRING, "start": OFFSET_TIME, "end": OFFSET_TIME,
    "original_start": OFFSET_TIME,
    "duration_minutes": INTEGER, "status": {"type": "string", "enum": ["upcoming", "done", "skipped", "moved"]},
    "moved": BOOLEAN, "participants": {"type": "array", "items": INTEGER},
    "checkin": {"type": "object", "description": "Check-ins: who has submitted (never what) and whether revealed"},
    "homework": {"type": "object", "description": "Therapy sessions: how many items, how many done"},
}, "required": ["ritual_id", "key", "start", "end", "status"]}
RITUAL = {"type": "object", "properties": {
    "id": INTEGER, "kind": {"type": "string", "enum": ["checkin", "date", "morning", "review", "therapy", "custom"]},
    "title": STRING, "description": STRING, "location": STRING, "start": LOCAL_TIME, "time_zone": STRING,
    "duration_minutes": INTEGER, "rrule": {"type": ["string", "null"], "description": "RFC 5545 RRULE, or null"},
    "participants": {"type": "array", "items": INTEGER}, "prompts": {"type": "array", "items": PROMPT},
    "status": {"type": "string", "enum": ["active", "paused", "archived"]},
    "next": {"oneOf": [OCCURRENCE, {"type": "null"}]}, "progress": PROGRESS,
    "my_reminders": {"type": "array", "items": INTEGER, "description": "The caller's own offsets in minutes"},
}, "required": ["id", "kind", "title", "start", "status"]}
RITUAL_BODY = {"type": "object", "properties": {
    "template": {"type": "string", "enum": ["checkin", "date", "morning", "review", "therapy", "custom"],
                 "description": "Create only; fills in what is left out"},
    "title": {"type": "string", "maxLength": 80}, "description": {"type": "string", "maxLength": 1000},
    "location": {"type": "string", "maxLength": 120}, "start": LOCAL_TIME,
    "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
    "rrule": {"type": ["string", "null"], "description": "e.g. FREQ=WEEKLY;BYDAY=SU or FREQ=MONTHLY;BYDAY=2SU"},
    "participants": {"type": "array", "items": INTEGER}, "prompts": {"type": "array", "items": PROMPT},
    "status": {"type": "string", "enum": ["active", "paused", "archived"]},
}}
CHECKIN = {"type": "object", "properties": {
    "occurrence": OCCURRENCE, "prompts": {"type": "array", "items": PROMPT}, "is_participant": BOOLEAN,
    "mine": {"type": ["object", "null"], "description": "The caller's own answers"},
    "participants": {"type": "array", "items": {"type": "object", "properties": {
        "id": INTEGER, "display_name": STRING, "submitted": BOOLEAN}}},
    "revealed": BOOLEAN, "reveal_consent": BOOLEAN,
}}
HOMEWORK = {"type": "object", "properties": {"id": INTEGER, "text": STRING, "done": BOOLEAN,
                                             "done_at": {"type": ["string", "null"]}}}
SETTINGS = {"type": "object", "properties": {
    "quiet_hours": {"type": ["object", "null"], "properties": {"start": STRING, "end": STRING}},
    "feed": {"type": "object", "properties": {"active": BOOLEAN, "created_at": {"type": ["string", "null"]}}},
}}


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def answer(description: str, schema: dict | None = None, media: str = "application/json") -> dict:
    response: dict = {"description": description}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
    return response


def error(description: str) -> dict:
    return answer(description, ERROR)


def describe(method: str, summary: str, responses: dict, body: dict | None = None, **extra):
    """Decorator: set ``view.openapi[method]`` (stacks for views serving several methods)."""

    def decorator(view):
        operation = {"summary": summary, "tags": ["rituals"], "responses": responses, **extra}
        if body is not None:
            operation["requestBody"] = json_body(body)
        view.openapi = {**getattr(view, "openapi", {}), method.lower(): operation}
        return view

    return decorator
