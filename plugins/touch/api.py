"""``/api/v1/touch``: the ladder, tonight's plan, private ceilings and "ready", sessions, reflections.

Members only (the wall reads nothing here; its one card comes through the
dashboard hook). Routes address "the couple's current X" - the ladder, the
open proposal, the running session - and take object ids in the body, so a
caller can only ever reach their own couple's rows: every lookup is by id
*and* the caller's couple, and an id of another couple answers exactly like
an id that does not exist.

Private answers (a ceiling, a "ready", a reflection) are returned only to the
member who gave them. No error message names or hints at the partner's
answers, and nothing here is logged.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hearthside.plugin_api import api_error, current_hs, get_db, is_active, json_body, require, require_active, text_value

from . import ladder as ladders
from . import model, progress, sessions

api = Blueprint("touch_api", __name__, url_prefix="/api/v1/touch")

MAX_REFLECTION_NOTE = 2000


def _needed() -> int:
    return sessions.settings(current_hs())["sessions_before_ready"]


def _ladder_view(db, couple_id: int) -> dict:
    current = model.state(db, couple_id)
    return {"version": current["version"], "phases": ladders.with_levels(current["phases"], current["unlocked_key"]),
            "unlocked": model.public_phase(current["phases"], current["unlocked_index"])}


def _plan_view(db, couple_id: int) -> dict:
    current = model.state(db, couple_id)
    return {"plan": model.plan(db, couple_id),
            "unlocked": model.public_phase(current["phases"], current["unlocked_index"])}


def _proposal(db, principal) -> dict | None:
    row = model.open_proposal(db, principal.couple_id)
    return model.proposal_view(db, row, principal.member_id) if row else None


# -- overview -----------------------------------------------------------------------------------


@api.get("")
@require()
def overview(principal):
    """Everything the touch page shows the caller, in one answer."""
    hs, db = current_hs(), get_db()
    couple_id = principal.couple_id
    return jsonify({
        "ladder": _ladder_view(db, couple_id),
        **_plan_view(db, couple_id),
        "ceiling": model.my_ceiling(db, couple_id, principal.member_id),
        "readiness": model.readiness(db, couple_id, principal.member_id, _needed()),
        "current": sessions.current(hs, db, couple_id),
        "upcoming": sessions.upcoming(db, couple_id),
        "proposal": _proposal(db, principal),
        "reflection_due": sessions.reflection_due(db, principal.couple_id, principal.member_id),
        "reflections_shared": is_active(db, couple_id, model.REFLECTIONS_SCOPE),
    })


# -- the ladder and its proposals -------------------------------------------------------------------


@api.get("/ladder")
@require()
def get_ladder(principal):
    return jsonify(_ladder_view(get_db(), principal.couple_id))


@api.get("/ladder/versions")
@require()
def ladder_versions(principal):
    """Every version of the couple's ladder, oldest first."""
    return jsonify({"versions": model.ladder_versions(get_db(), principal.couple_id)})


@api.get("/proposal")
@require()
def get_proposal(principal):
    return jsonify({"proposal": _proposal(get_db(), principal)})


@api.post("/proposal")
@require()
def make_proposal(principal):
    """Propose a new ladder (rename, add, remove, reorder, edit lists); it applies when everyone accepts."""
    body = json_body()
    db = get_db()
    row = model.propose(db, principal.couple_id, principal.member_id, body.get("phases"), body.get("note"))
    return jsonify({"proposal": model.proposal_view(db, row, principal.member_id),
                    "ladder": _ladder_view(db, principal.couple_id)}), 201


@api.post("/proposal/accept")
@require()
def accept_proposal(principal):
    body = json_body()
    db = get_db()
    row = model.accept(db, principal.couple_id, principal.member_id, body.get("proposal_id"))
    return jsonify({"proposal": model.proposal_view(db, row, principal.member_id),
                    "ladder": _ladder_view(db, principal.couple_id)})


@api.post("/proposal/decline")
@require()
def decline_proposal(principal):
    """Decline the open proposal (or withdraw your own); no reason needed."""
    body = json_body()
    db = get_db()
    row = model.decline(db, principal.couple_id, body.get("proposal_id"))
    return jsonify({"proposal": model.proposal_view(db, row, principal.member_id)})


# -- the plan, my ceiling, ready and stepping back -------------------------------------------------------


@api.get("/plan")
@require()
def get_plan(principal):
    """Tonight's plan: the lowest ceiling capped at the unlocked phase. It never says whose ceiling set it."""
    return jsonify(_plan_view(get_db(), principal.couple_id))


@api.get("/ceiling")
@require()
def get_ceiling(principal):
    """My own comfort ceiling (nobody else can read it)."""
    return jsonify({"ceiling": model.my_ceiling(get_db(), principal.couple_id, principal.member_id)})


@api.put("/ceiling")
@require()
def put_ceiling(principal):
    """Set my ceiling: ``{"phase": "<key>"}`` or ``{"level": n}`` (1 = the first phase)."""
    body = json_body()
    db = get_db()
    phases = model.state(db, principal.couple_id)["phases"]
    if ("phase" in body) == ("level" in body):
        api_error(400, "invalid_field", "Send either 'phase' (a phase key) or 'level' (its number), not both.")
    if "phase" in body:
        key = body["phase"]
        if not isinstance(key, str) or ladders.index_of(phases, key) < 0:
            api_error(400, "unknown_phase", "There is no phase with that key in your ladder.")
    else:
        level = body["level"]
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            api_error(400, "invalid_field", "'level' must be a whole number from 1 (the first phase).")
        if level > len(phases):
            api_error(400, "above_ladder", f"Your ladder has {len(phases)} phases; 'level' must be at most "
                                           f"{len(phases)}.")
        key = phases[level - 1]["key"]
    ceiling = model.set_ceiling(db, principal.couple_id, principal.member_id, key)
    return jsonify({"ceiling": ceiling, **_plan_view(db, principal.couple_id)})


@api.get("/ready")
@require()
def get_ready(principal):
    """Practice at the current phase and my own "ready" (never anyone else's)."""
    return jsonify(model.readiness(get_db(), principal.couple_id, principal.member_id, _needed()))


@api.put("/ready")
@require()
def put_ready(principal):
    """Say "ready" for the next phase. It unlocks when everyone has said it; until then nobody is told."""
    db = get_db()
    unlocked = model.say_ready(db, principal.couple_id, principal.member_id, _needed())
    return jsonify({"unlocked_now": unlocked,
                    "readiness": model.readiness(db, principal.couple_id, principal.member_id, _needed()),
                    **_plan_view(db, principal.couple_id)})


@api.delete("/ready")
@require()
def delete_ready(principal):
    """Take my "ready" back."""
    db = get_db()
    model.take_back_ready(db, principal.couple_id, principal.member_id)
    return jsonify(model.readiness(db, principal.couple_id, principal.member_id, _needed()))


@api.post("/step-back")
@require()
def step_back(principal):
    """One step back, at once, no reason asked; clears every pending "ready"."""
    db = get_db()
    model.step_back(db, principal.couple_id)
    return jsonify({**_plan_view(db, principal.couple_id),
                    "readiness": model.readiness(db, principal.couple_id, principal.member_id, _needed())})


# -- sessions ------------------------------------------------------------------------------------


@api.get("/sessions")
@require()
def list_sessions(principal):
    db = get_db()
    return jsonify({"upcoming": sessions.upcoming(db, principal.couple_id),
                    "past": sessions.past(db, principal.couple_id)})


@api.post("/sessions")
@require()
def plan_session(principal):
    """Plan a session: ``{"planned_for", "duration_minutes"?}``; on the rituals calendar when it is installed."""
    body = json_body()
    hs, db = current_hs(), get_db()
    when = sessions.parse_when(db, principal.couple_id, body.get("planned_for"))
    minutes = sessions.parse_minutes(body.get("duration_minutes"))
    session = sessions.plan_session(hs, db, principal.couple_id, principal.member_id, when, minutes)
    return jsonify({"session": session}), 201


@api.post("/sessions/cancel")
@require()
def cancel_session(principal):
    body = json_body()
    session = sessions.cancel_session(current_hs(), get_db(), principal.couple_id, body.get("session_id"))
    return jsonify({"session": session})


@api.get("/session")
@require()
def get_session(principal):
    """The running session and each member's light, or ``{"session": null}``."""
    return jsonify(sessions.current(current_hs(), get_db(), principal.couple_id))


@api.post("/session")
@require()
def start_session(principal):
    """Start a session now, at tonight's plan: ``{"session_id"?}`` to start a planned one."""
    body = json_body(optional=True)
    hs, db = current_hs(), get_db()
    session_id = body.get("session_id")
    sessions.start(hs, db, principal.couple_id, principal.member_id, session_id)
    return jsonify(sessions.current(hs, db, principal.couple_id)), 201


@api.delete("/session")
@require()
def end_session(principal):
    session = sessions.end(current_hs(), get_db(), principal.couple_id)
    return jsonify({"session": session})


@api.post("/session/signal")
@require()
def send_signal(principal):
    """green / yellow / red, or a safeword ("pause" is red). Red ends the session and starts the pause."""
    body = json_body()
    light = sessions.parse_signal(body.get("signal"))
    return jsonify(sessions.signal(current_hs(), get_db(), principal.couple_id, principal.member_id, light))


# -- reflections -------------------------------------------------------------------------------------


@api.get("/reflections")
@require()
def my_reflections(principal):
    """My own reflections (the partner's are never readable)."""
    return jsonify({"reflections": sessions.my_reflections(get_db(), principal.member_id)})


@api.put("/reflections")
@require()
def put_reflection(principal):
    """Record or edit my reflection on an ended session: ``{"session_id", "safe", "comfortable", "note"?}``."""
    body = json_body()
    safe = sessions.parse_rating(body, "safe")
    comfortable = sessions.parse_rating(body, "comfortable")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note.strip()) > MAX_REFLECTION_NOTE:
        api_error(400, "invalid_field", f"'note' must be text of at most {MAX_REFLECTION_NOTE} characters.")
    reflection = sessions.save_reflection(get_db(), principal.couple_id, principal.member_id,
                                          body.get("session_id"), safe, comfortable,
                                          text_value(note, "'note'", max_length=MAX_REFLECTION_NOTE, required=False,
                                                     multiline=True))
    return jsonify({"reflection": reflection})


@api.get("/reflections/shared")
@require()
def shared_reflections(principal):
    """Counts over the last sessions, while touch.share_reflections is on for everyone; never notes."""
    db = get_db()
    require_active(db, principal.couple_id, model.REFLECTIONS_SCOPE)
    return jsonify(sessions.shared_summary(db, principal.couple_id))


@api.get("/progress")
@require()
def get_progress(principal):
    """The unlocked phase over time and the sessions, for the progress chart."""
    return jsonify(progress.timeline(get_db(), principal.couple_id))


# -- the OpenAPI description (read by web/openapi.py from each view's ``openapi``) ------------------------

ERROR = {"$ref": "#/components/schemas/Error"}
INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
PHASE_REF = {"type": "object", "properties": {"key": STR, "name": STR, "level": INT},
             "required": ["key", "name", "level"]}
PHASE = {"type": "object", "properties": {
    "key": STR, "name": STR, "level": INT, "practice": STR,
    "in": {"type": "array", "items": STR}, "out": {"type": "array", "items": STR},
    "unlocked": BOOL}, "required": ["key", "name", "level", "in", "out", "practice"]}
PHASE_INPUT = {"type": "object", "properties": {
    "key": {"type": "string", "description": "An existing phase's key to keep it (renamed, moved, edited); "
                                             "leave out for a new phase"},
    "name": {"type": "string", "minLength": 1, "maxLength": ladders.MAX_NAME},
    "in": {"type": "array", "maxItems": ladders.MAX_ITEMS, "items": {"type": "string", "maxLength": ladders.MAX_ITEM}},
    "out": {"type": "array", "maxItems": ladders.MAX_ITEMS, "items": {"type": "string", "maxLength": ladders.MAX_ITEM}},
    "practice": {"type": "string", "maxLength": ladders.MAX_PRACTICE}}, "required": ["name"]}
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


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _op(summary: str, ok: str, schema: dict, status: str = "200", body: dict | None = None,
        errors: dict | None = None, body_required: bool = True) -> dict:
    operation = {"summary": summary, "tags": ["touch"],
                 "responses": {status: {"description": ok, "content": _json(schema)},
                               **{code: {"description": text, "content": _json(ERROR)}
                                  for code, text in (errors or {}).items()}}}
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": _json(body)}
    return operation


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


overview.openapi = {"get": _op("Everything the touch page shows me", "Ladder, plan, my ceiling and readiness, "
                                                                     "the session, plans, the open proposal",
                               {"type": "object"})}
get_ladder.openapi = {"get": _op("The couple's ladder (current version)", "The ladder", LADDER)}
ladder_versions.openapi = {"get": _op("Every version of the ladder, oldest first", "Versions",
                                      _obj({"versions": {"type": "array", "items": {"type": "object"}}}))}
get_proposal.openapi = {"get": _op("The ladder change waiting for agreement", "The proposal or null",
                                   _obj({"proposal": {"oneOf": [PROPOSAL, {"type": "null"}]}}))}
make_proposal.openapi = {"post": _op(
    "Propose a new ladder; it becomes the next version when everyone accepts", "Proposed (you agree to it)",
    _obj({"proposal": PROPOSAL, "ladder": LADDER}), "201",
    _obj({"phases": {"type": "array", "minItems": 1, "maxItems": ladders.MAX_PHASES, "items": PHASE_INPUT},
          "note": {"type": "string", "maxLength": ladders.MAX_NOTE}}, ["phases"]),
    {"400": "A bad or unknown phase, or no change; nothing stored", "409": "Another proposal is waiting"})}
accept_proposal.openapi = {"post": _op(
    "Accept the waiting proposal", "Accepted (applied once everyone accepted)",
    _obj({"proposal": PROPOSAL, "ladder": LADDER}), body=_obj({"proposal_id": INT}, ["proposal_id"]),
    errors={"404": "No proposal is waiting", "409": "A different proposal is waiting now"})}
decline_proposal.openapi = {"post": _op(
    "Decline the waiting proposal (or withdraw yours)", "Declined", _obj({"proposal": PROPOSAL}),
    body=_obj({"proposal_id": INT}, ["proposal_id"]),
    errors={"404": "No proposal is waiting", "409": "A different proposal is waiting now"})}
get_plan.openapi = {"get": _op("Tonight's plan (names no one)", "The plan", PLAN)}
get_ceiling.openapi = {"get": _op("My comfort ceiling (mine only)", "My ceiling", _obj({"ceiling": CEILING}))}
put_ceiling.openapi = {"put": _op(
    "Set my comfort ceiling", "My ceiling and the plan now", _obj({"ceiling": CEILING, "plan": PHASE,
                                                                    "unlocked": PHASE_REF}),
    body=_obj({"phase": {"type": "string", "description": "A phase key"},
               "level": {"type": "integer", "minimum": 1, "description": "Or its number (1 = first)"}}),
    errors={"400": "Unknown phase, or above the ladder; nothing stored"})}
get_ready.openapi = {"get": _op("Practice so far and my own 'ready'", "Readiness", READINESS)}
put_ready.openapi = {"put": _op(
    "Say 'ready' for the next phase", "Noted; 'unlocked_now' is true when everyone had said it",
    _obj({"unlocked_now": BOOL, "readiness": READINESS, "plan": PHASE, "unlocked": PHASE_REF}),
    errors={"409": "Not enough practice yet, or already at the last phase"})}
delete_ready.openapi = {"delete": _op("Take my 'ready' back", "Readiness", READINESS)}
step_back.openapi = {"post": _op(
    "Step back one phase: any member, at once, no reason", "The plan now", _obj({"plan": PHASE, "unlocked": PHASE_REF,
                                                                                 "readiness": READINESS}),
    errors={"409": "Already at the first phase"})}
list_sessions.openapi = {"get": _op("Planned and past sessions", "Sessions", _obj({
    "upcoming": {"type": "array", "items": SESSION}, "past": {"type": "array", "items": SESSION}}))}
plan_session.openapi = {"post": _op(
    "Plan a session", "Planned", _obj({"session": SESSION}), "201",
    _obj({"planned_for": {"type": "string", "description": "YYYY-MM-DDTHH:MM in the couple's zone, or with an offset"},
          "duration_minutes": {"type": "integer", "minimum": sessions.MIN_MINUTES, "maximum": sessions.MAX_MINUTES,
                               "default": 60}}, ["planned_for"]),
    {"400": "A bad time or length", "409": "Too many planned"})}
cancel_session.openapi = {"post": _op(
    "Cancel a planned session", "Cancelled", _obj({"session": SESSION}), body=_obj({"session_id": INT}, ["session_id"]),
    errors={"404": "No such session", "409": "It is not planned any more"})}
get_session.openapi = {"get": _op("The running session and each light", "The session or null", CURRENT)}
start_session.openapi = {"post": _op(
    "Start a session now, at tonight's plan", "Started", CURRENT, "201", _obj({"session_id": INT}),
    {"404": "No such planned session", "409": "One is running, a pause is on, or it is not planned"},
    body_required=False)}
end_session.openapi = {"delete": _op("End the running session", "Ended", _obj({"session": SESSION}),
                                     errors={"409": "No session is running"})}
send_signal.openapi = {"post": _op(
    "Show a light: green, yellow, red (or the safeword 'pause')", "The lights now; red ends the session and "
    "starts the pause", {"allOf": [CURRENT, _obj({"pause": {"type": ["object", "null"]}})]},
    body=_obj({"signal": {"type": "string", "enum": ["green", "yellow", "red", "pause", "stop"]}}, ["signal"]),
    errors={"400": "Not a light", "409": "No session is running"})}
my_reflections.openapi = {"get": _op("My reflections (mine only)", "Reflections",
                                     _obj({"reflections": {"type": "array", "items": REFLECTION}}))}
put_reflection.openapi = {"put": _op(
    "Record or edit my reflection on an ended session", "Saved", _obj({"reflection": REFLECTION}),
    body=_obj({"session_id": INT, "safe": {"type": "integer", "minimum": 1, "maximum": 5},
               "comfortable": {"type": "integer", "minimum": 1, "maximum": 5},
               "note": {"type": "string", "maxLength": MAX_REFLECTION_NOTE}}, ["session_id", "safe", "comfortable"]),
    errors={"400": "A bad rating or note; nothing stored", "404": "No such session", "409": "It has not ended"})}
shared_reflections.openapi = {"get": _op(
    "How the last sessions felt, as counts for both (while touch.share_reflections is on)", "Counts, never notes",
    _obj({"sessions": INT, "everyone_felt_safe": INT, "everyone_felt_comfortable": INT,
          "lines": {"type": "array", "items": STR}}),
    errors={"403": "touch.share_reflections is not on for everyone"})}
get_progress.openapi = {"get": _op("The path over the weeks: unlocked phase and sessions", "Timeline",
                                   _obj({"phases": {"type": "array"}, "unlocked_level": INT,
                                         "steps": {"type": "array"}, "sessions": {"type": "array"}}))}
