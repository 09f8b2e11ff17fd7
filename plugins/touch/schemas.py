"""What the touch API accepts and answers, for its routes' ``@declare``.

The ``Body`` models at the end are checked before a view runs (types, the one
text rule, unknown fields refused) and are the OpenAPI request schemas; the
shapes above describe the answers. Rules that need the couple's data (a
phase key in their ladder, a session of theirs) stay in the domain modules.
"""

from __future__ import annotations

import msgspec

from hearthside.plugin_api import UNSET, Body, Many, Moment, Text, UnsetType, Whole

from . import ladder as ladders
from . import sessions

MAX_REFLECTION_NOTE = 2000

INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
PHASE_REF = {"type": "object", "properties": {"key": STR, "name": STR, "level": INT},
             "required": ["key", "name", "level"]}
PHASE = {"type": "object", "properties": {
    "key": STR, "name": STR, "level": INT, "practice": STR,
    "in": {"type": "array", "items": STR}, "out": {"type": "array", "items": STR},
    "unlocked": BOOL}, "required": ["key", "name", "level", "in", "out", "practice"]}
LADDER = {"type": "object", "properties": {"version": INT, "phases": {"type": "array", "items": PHASE},
                                           "unlocked": PHASE_REF}, "required": ["version", "phases", "unlocked"]}
PLAN = {"type": "object", "properties": {"plan": PHASE, "unlocked": PHASE_REF}, "required": ["plan", "unlocked"],
        "description": "Never says whose ceiling set the plan"}
CEILING = {"type": "object", "properties": {"key": STR, "name": STR, "level": INT,
                                            "set": {"type": "boolean", "description": "False until you choose one "
                                                                                      "(counts as the first phase)"}}}
READINESS = {"type": "object", "properties": {
    "current_phase": PHASE_REF, "next_phase": {"oneOf": [PHASE_REF, {"type": "null"}]}, "practised": INT,
    "needed": INT, "can_say_ready": BOOL, "i_am_ready": {"type": "boolean", "description": "Only your own"},
    "can_step_back": BOOL}}
SESSION = {"type": "object", "properties": {
    "id": INT, "status": {"type": "string", "enum": ["planned", "running", "ended", "cancelled"]},
    "planned_for": {"type": ["string", "null"], "format": "date-time"}, "duration_minutes": INT,
    "on_calendar": {"type": "boolean", "description": "Also on the rituals calendar"},
    "phase": {"oneOf": [PHASE_REF, {"type": "null"}]}, "started_at": {"type": ["string", "null"]},
    "ended_at": {"type": ["string", "null"]},
    "end_reason": {"type": ["string", "null"], "enum": ["ended", "red", "pause", "time_up", None]},
    "created_by": {"type": ["integer", "null"]}}}
CURRENT = {"type": "object", "properties": {
    "session": {"oneOf": [SESSION, {"type": "null"}]},
    "signals": {"type": "object", "additionalProperties": {"type": "string", "enum": ["green", "yellow", "red"]},
                "description": "Each member's light, keyed by member id"}}, "required": ["session", "signals"]}
PROPOSAL = {"type": "object", "properties": {
    "id": INT, "status": {"type": "string", "enum": ["open", "accepted", "declined"]}, "base_version": INT,
    "phases": {"type": "array", "items": PHASE}, "note": STR, "proposed_by": {"type": ["integer", "null"]},
    "changes": {"type": "array", "items": {"type": "object"}}, "unlocked_after": PHASE_REF,
    "accepted_by": {"type": "array", "items": INT}, "accepted_by_me": BOOL}}
RATING = {"type": "integer", "minimum": 1, "maximum": 5}
REFLECTION = {"type": "object", "properties": {"session_id": INT, "safe": RATING, "comfortable": RATING,
                                               "note": STR, "created_at": STR, "updated_at": STR}}


# -- what the routes accept (checked before the view runs, and the OpenAPI request schemas) ------


class Phase(Body):
    """One phase of a proposed ladder; a ``key`` keeps an existing phase (renamed, moved, edited)."""

    name: Text(ladders.MAX_NAME)
    key: str | None = None
    into: Many(Text(ladders.MAX_ITEM), most=ladders.MAX_ITEMS) = msgspec.field(default_factory=list, name="in")
    out: Many(Text(ladders.MAX_ITEM), most=ladders.MAX_ITEMS) = []
    practice: Text(ladders.MAX_PRACTICE, multiline=True) = ""


class LadderProposal(Body):
    phases: Many(Phase, least=1, most=ladders.MAX_PHASES)
    note: Text(ladders.MAX_NOTE, multiline=True) | None = None


class ProposalAnswer(Body):
    proposal_id: int


class Ceiling(Body):
    """Either a phase key or its number (1 = the first phase)."""

    phase: str | int | UnsetType = UNSET  # any key that is not in the ladder is unknown_phase, a number too
    level: Whole(1, says="a whole number from 1 (the first phase)") | UnsetType = UNSET


class PlannedSession(Body):
    planned_for: Moment("YYYY-MM-DDTHH:MM in the couple's zone, or with an offset")
    duration_minutes: Whole(sessions.MIN_MINUTES, sessions.MAX_MINUTES) | None = None


class SessionRef(Body):
    session_id: int


class SessionToStart(Body):
    session_id: int | None = None  # a planned one; none: start one now


class Signal(Body):
    signal: str  # a light or a safeword: sessions.parse_signal reads it


class Reflection(Body):
    session_id: int
    safe: Whole(1, 5)
    comfortable: Whole(1, 5)
    note: Text(MAX_REFLECTION_NOTE, multiline=True) = ""
