"""What the rituals API accepts and answers, for its routes' ``@declare``.

The ``Body``/``Query`` models at the end are checked before a view runs
(types, the one text rule, unknown fields refused) and are the OpenAPI
request schemas; the shapes above describe the answers. Rules that need the
couple's data (its members, its time zone, a ritual's prompts) stay in the
domain modules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from hearthside.plugin_api import UNSET, Body, Day, Many, Query, Text, UnsetType, Whole

from . import checks, model, presets, reminders

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
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


REMINDERS = {"type": "object", "properties": {"offsets": {
    "type": "array", "items": {"type": "integer", "minimum": 0, "maximum": reminders.MAX_OFFSET_MINUTES},
    "maxItems": reminders.MAX_OFFSETS, "description": "Minutes before the start, e.g. [1440, 30]"}},
    "required": ["offsets"]}
TREND = {"type": "object", "properties": {"prompt": {"type": ["string", "null"]}, "points": {"type": "array"},
                                          "members": {"type": "array"}}}
FEED_URL = {"type": "object", "properties": {"url": STRING, "webcal_url": STRING, "path": STRING},
            "required": ["url"]}


# -- what the routes accept (checked before the view runs, and the OpenAPI request schemas) ------


Kind = Literal[presets.KINDS]
LocalTime = Annotated[str, msgspec.Meta(description=LOCAL_TIME["description"])]  # read by recurrence.parse_local
HHMM = Text(5, pattern=r"([01]\d|2[0-3]):[0-5]\d", pattern_says="must be a time of day like 22:00")


class Prompt(Body):
    text: Text(200)
    kind: Literal[checks.PROMPT_KINDS] = "text"
    id: str | UnsetType = UNSET  # lower-case letters, digits or _, unique: checks.read_prompts checks


class RitualFields(Body):
    """A ritual to create (a template fills in what is left out) or the fields of one to change."""

    template: Kind | UnsetType = msgspec.field(default=UNSET)  # create only
    kind: Kind | UnsetType = UNSET  # the same as template, for a create
    title: Text(80, allow_empty=False) | UnsetType = UNSET
    description: Text(1000, multiline=True) | None | UnsetType = UNSET
    location: Text(120) | None | UnsetType = UNSET
    start: LocalTime | UnsetType = UNSET
    duration_minutes: Whole(5, model.MAX_DURATION) | UnsetType = UNSET
    rrule: Annotated[str, msgspec.Meta(description="e.g. FREQ=WEEKLY;BYDAY=SU or FREQ=MONTHLY;BYDAY=2SU")] | None \
        | UnsetType = UNSET
    participants: list[int] | None | UnsetType = UNSET
    prompts: list[Prompt] | None | UnsetType = UNSET
    status: Literal[model.STATUSES] | UnsetType = UNSET

    def given(self) -> dict:
        """The fields that were sent (prompts as plain objects), for model.read_ritual."""
        sent = {name: value for name, value in msgspec.structs.asdict(self).items() if value is not UNSET}
        if sent.get("prompts") is not None:
            sent["prompts"] = [{name: value for name, value in msgspec.structs.asdict(prompt).items()
                                if value is not UNSET} for prompt in sent["prompts"]]
        return sent


class Listing(Query):
    include: Literal["archived"] | None = None


class Range(Query):
    from_: Day() | None = msgspec.field(default=None, name="from")
    to: Day() | None = None


class Status(Body):
    status: Literal["done", "skipped", "upcoming"]


class Move(Body):
    """Either an end or a duration (or neither: the ritual's own)."""

    start: LocalTime
    end: LocalTime | UnsetType = UNSET
    duration_minutes: Whole(5, model.MAX_DURATION) | UnsetType = UNSET


class CheckinAnswers(Body):
    # Each answer is checked against the ritual's prompts by checkin.read_answers (its own codes).
    answers: Annotated[dict[str, Any], msgspec.Meta(description="Prompt id -> text (at most 2000 characters) or a "
                                                                "rating 1-5")]


class HomeworkItem(Body):
    text: Text(300, multiline=True)


class Tick(Body):
    done: bool


class Offsets(Body):
    offsets: Many(Whole(0, reminders.MAX_OFFSET_MINUTES), most=reminders.MAX_OFFSETS,
                  description="Minutes before the start, e.g. [1440, 30]")


class QuietHours(Body):
    start: HHMM
    end: HHMM


class Settings(Body):
    quiet_hours: QuietHours | None  # null turns them off
