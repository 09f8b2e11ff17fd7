"""``/api/v1/touch``: the ladder, tonight's plan, private ceilings and "ready", sessions, reflections.

Members only (the wall reads nothing here; its one card comes through the
dashboard hook). Routes address "the couple's current X" - the ladder, the
open proposal, the running session - and take object ids in the body, so a
caller can only ever reach their own couple's rows: every lookup is by id
*and* the caller's couple, and an id of another couple answers exactly like
an id that does not exist.

Private answers (a ceiling, a "ready", a reflection) are returned only to the
member who gave them. No error message names or hints at the partner's
answers, and nothing here is logged. Each route declares what it accepts
and answers with ``@declare`` (the models and shapes are in schemas.py).
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hearthside.plugin_api import (UNSET, answer, api_error, current_hs, declare, error, get_db, is_active, obj,
                                   require, require_active)

from . import ladder as ladders
from . import model, progress, sessions
from .schemas import (BOOL, CEILING, CURRENT, INT, LADDER, PHASE, PHASE_REF, PLAN, PROPOSAL, READINESS, REFLECTION,
                      SESSION, STR, Ceiling, LadderProposal, PlannedSession, ProposalAnswer, Reflection, SessionRef,
                      SessionToStart, Signal)

api = Blueprint("touch_api", __name__, url_prefix="/api/v1/touch")
TAGS = ["touch"]
PROPOSAL_GONE = {"404": error("No proposal is waiting"), "409": error("A different proposal is waiting now")}


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
@declare("Everything the touch page shows me", tags=TAGS, responses={"200": answer("Ladder, plan, my ceiling and "
         "readiness, the session, plans, the open proposal", {"type": "object"})})
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
@declare("The couple's ladder (current version)", tags=TAGS, responses={"200": answer("The ladder", LADDER)})
def get_ladder(principal):
    return jsonify(_ladder_view(get_db(), principal.couple_id))


@api.get("/ladder/versions")
@require()
@declare("Every version of the ladder, oldest first", tags=TAGS,
         responses={"200": answer("Versions", obj({"versions": {"type": "array", "items": {"type": "object"}}}))})
def ladder_versions(principal):
    """Every version of the couple's ladder, oldest first."""
    return jsonify({"versions": model.ladder_versions(get_db(), principal.couple_id)})


@api.get("/proposal")
@require()
@declare("The ladder change waiting for agreement", tags=TAGS, responses={
    "200": answer("The proposal or null", obj({"proposal": {"oneOf": [PROPOSAL, {"type": "null"}]}}))})
def get_proposal(principal):
    return jsonify({"proposal": _proposal(get_db(), principal)})


@api.post("/proposal")
@require()
@declare("Propose a new ladder; it becomes the next version when everyone accepts", body=LadderProposal, tags=TAGS,
         responses={"201": answer("Proposed (you agree to it)", obj({"proposal": PROPOSAL, "ladder": LADDER})),
                    "400": error("A bad or unknown phase, or no change; nothing stored"),
                    "409": error("Another proposal is waiting")})
def make_proposal(principal, body: LadderProposal):
    """Propose a new ladder (rename, add, remove, reorder, edit lists); it applies when everyone accepts."""
    db = get_db()
    phases = [{"key": p.key, "name": p.name, "in": p.into, "out": p.out, "practice": p.practice} for p in body.phases]
    row = model.propose(db, principal.couple_id, principal.member_id, phases, body.note or "")
    return jsonify({"proposal": model.proposal_view(db, row, principal.member_id),
                    "ladder": _ladder_view(db, principal.couple_id)}), 201


@api.post("/proposal/accept")
@require()
@declare("Accept the waiting proposal", body=ProposalAnswer, tags=TAGS, responses={
    "200": answer("Accepted (applied once everyone accepted)", obj({"proposal": PROPOSAL, "ladder": LADDER})),
    **PROPOSAL_GONE})
def accept_proposal(principal, body: ProposalAnswer):
    db = get_db()
    row = model.accept(db, principal.couple_id, principal.member_id, body.proposal_id)
    return jsonify({"proposal": model.proposal_view(db, row, principal.member_id),
                    "ladder": _ladder_view(db, principal.couple_id)})


@api.post("/proposal/decline")
@require()
@declare("Decline the waiting proposal (or withdraw yours)", body=ProposalAnswer, tags=TAGS, responses={
    "200": answer("Declined", obj({"proposal": PROPOSAL})), **PROPOSAL_GONE})
def decline_proposal(principal, body: ProposalAnswer):
    """Decline the open proposal (or withdraw your own); no reason needed."""
    db = get_db()
    row = model.decline(db, principal.couple_id, body.proposal_id)
    return jsonify({"proposal": model.proposal_view(db, row, principal.member_id)})


# -- the plan, my ceiling, ready and stepping back -------------------------------------------------------


@api.get("/plan")
@require()
@declare("Tonight's plan (names no one)", tags=TAGS, responses={"200": answer("The plan", PLAN)})
def get_plan(principal):
    """Tonight's plan: the lowest ceiling capped at the unlocked phase. It never says whose ceiling set it."""
    return jsonify(_plan_view(get_db(), principal.couple_id))


@api.get("/ceiling")
@require()
@declare("My comfort ceiling (mine only)", tags=TAGS, responses={"200": answer("My ceiling", obj({"ceiling": CEILING}))})
def get_ceiling(principal):
    """My own comfort ceiling (nobody else can read it)."""
    return jsonify({"ceiling": model.my_ceiling(get_db(), principal.couple_id, principal.member_id)})


@api.put("/ceiling")
@require()
@declare("Set my comfort ceiling", body=Ceiling, tags=TAGS, responses={
    "200": answer("My ceiling and the plan now", obj({"ceiling": CEILING, "plan": PHASE, "unlocked": PHASE_REF})),
    "400": error("Unknown phase, or above the ladder; nothing stored")})
def put_ceiling(principal, body: Ceiling):
    """Set my ceiling: ``{"phase": "<key>"}`` or ``{"level": n}`` (1 = the first phase)."""
    db = get_db()
    phases = model.state(db, principal.couple_id)["phases"]
    if (body.phase is UNSET) == (body.level is UNSET):
        api_error(400, "invalid_field", "Send either 'phase' (a phase key) or 'level' (its number), not both.")
    if body.phase is not UNSET:
        key = body.phase
        if not isinstance(key, str) or ladders.index_of(phases, key) < 0:
            api_error(400, "unknown_phase", "There is no phase with that key in your ladder.")
    else:
        level = body.level
        if level > len(phases):
            api_error(400, "above_ladder", f"Your ladder has {len(phases)} phases; 'level' must be at most "
                                           f"{len(phases)}.")
        key = phases[level - 1]["key"]
    ceiling = model.set_ceiling(db, principal.couple_id, principal.member_id, key)
    return jsonify({"ceiling": ceiling, **_plan_view(db, principal.couple_id)})


@api.get("/ready")
@require()
@declare("Practice so far and my own 'ready'", tags=TAGS, responses={"200": answer("Readiness", READINESS)})
def get_ready(principal):
    """Practice at the current phase and my own "ready" (never anyone else's)."""
    return jsonify(model.readiness(get_db(), principal.couple_id, principal.member_id, _needed()))


@api.put("/ready")
@require()
@declare("Say 'ready' for the next phase", tags=TAGS, responses={
    "200": answer("Noted; 'unlocked_now' is true when everyone had said it",
                  obj({"unlocked_now": BOOL, "readiness": READINESS, "plan": PHASE, "unlocked": PHASE_REF})),
    "409": error("Not enough practice yet, or already at the last phase")})
def put_ready(principal):
    """Say "ready" for the next phase. It unlocks when everyone has said it; until then nobody is told."""
    db = get_db()
    unlocked = model.say_ready(db, principal.couple_id, principal.member_id, _needed())
    return jsonify({"unlocked_now": unlocked,
                    "readiness": model.readiness(db, principal.couple_id, principal.member_id, _needed()),
                    **_plan_view(db, principal.couple_id)})


@api.delete("/ready")
@require()
@declare("Take my 'ready' back", tags=TAGS, responses={"200": answer("Readiness", READINESS)})
def delete_ready(principal):
    """Take my "ready" back."""
    db = get_db()
    model.take_back_ready(db, principal.couple_id, principal.member_id)
    return jsonify(model.readiness(db, principal.couple_id, principal.member_id, _needed()))


@api.post("/step-back")
@require()
@declare("Step back one phase: any member, at once, no reason", tags=TAGS, responses={
    "200": answer("The plan now", obj({"plan": PHASE, "unlocked": PHASE_REF, "readiness": READINESS})),
    "409": error("Already at the first phase")})
def step_back(principal):
    """One step back, at once, no reason asked; clears every pending "ready"."""
    db = get_db()
    model.step_back(db, principal.couple_id)
    return jsonify({**_plan_view(db, principal.couple_id),
                    "readiness": model.readiness(db, principal.couple_id, principal.member_id, _needed())})


# -- sessions ------------------------------------------------------------------------------------


@api.get("/sessions")
@require()
@declare("Planned and past sessions", tags=TAGS, responses={"200": answer("Sessions", obj({
    "upcoming": {"type": "array", "items": SESSION}, "past": {"type": "array", "items": SESSION}}))})
def list_sessions(principal):
    db = get_db()
    return jsonify({"upcoming": sessions.upcoming(db, principal.couple_id),
                    "past": sessions.past(db, principal.couple_id)})


@api.post("/sessions")
@require()
@declare("Plan a session", body=PlannedSession, tags=TAGS, responses={
    "201": answer("Planned", obj({"session": SESSION})), "400": error("A bad time or length"),
    "409": error("Too many planned")})
def plan_session(principal, body: PlannedSession):
    """Plan a session: ``{"planned_for", "duration_minutes"?}``; on the rituals calendar when it is installed."""
    hs, db = current_hs(), get_db()
    when = sessions.parse_when(db, principal.couple_id, body.planned_for)
    minutes = sessions.DEFAULT_MINUTES if body.duration_minutes is None else body.duration_minutes
    session = sessions.plan_session(hs, db, principal.couple_id, principal.member_id, when, minutes)
    return jsonify({"session": session}), 201


@api.post("/sessions/cancel")
@require()
@declare("Cancel a planned session", body=SessionRef, tags=TAGS, responses={
    "200": answer("Cancelled", obj({"session": SESSION})), "404": error("No such session"),
    "409": error("It is not planned any more")})
def cancel_session(principal, body: SessionRef):
    session = sessions.cancel_session(current_hs(), get_db(), principal.couple_id, body.session_id)
    return jsonify({"session": session})


@api.get("/session")
@require()
@declare("The running session and each light", tags=TAGS, responses={"200": answer("The session or null", CURRENT)})
def get_session(principal):
    """The running session and each member's light, or ``{"session": null}``."""
    return jsonify(sessions.current(current_hs(), get_db(), principal.couple_id))


@api.post("/session")
@require()
@declare("Start a session now, at tonight's plan", body=SessionToStart, body_optional=True, tags=TAGS, responses={
    "201": answer("Started", CURRENT), "404": error("No such planned session"),
    "409": error("One is running, a pause is on, or it is not planned")})
def start_session(principal, body: SessionToStart):
    """Start a session now, at tonight's plan: ``{"session_id"?}`` to start a planned one."""
    hs, db = current_hs(), get_db()
    sessions.start(hs, db, principal.couple_id, principal.member_id, body.session_id)
    return jsonify(sessions.current(hs, db, principal.couple_id)), 201


@api.delete("/session")
@require()
@declare("End the running session", tags=TAGS,
         responses={"200": answer("Ended", obj({"session": SESSION})), "409": error("No session is running")})
def end_session(principal):
    session = sessions.end(current_hs(), get_db(), principal.couple_id)
    return jsonify({"session": session})


@api.post("/session/signal")
@require()
@declare("Show a light: green, yellow, red (or the safeword 'pause')", body=Signal, tags=TAGS, responses={
    "200": answer("The lights now; red ends the session and starts the pause",
                  {"allOf": [CURRENT, obj({"pause": {"type": ["object", "null"]}})]}),
    "400": error("Not a light"), "409": error("No session is running")})
def send_signal(principal, body: Signal):
    """green / yellow / red, or a safeword ("pause" is red). Red ends the session and starts the pause."""
    light = sessions.parse_signal(body.signal)
    return jsonify(sessions.signal(current_hs(), get_db(), principal.couple_id, principal.member_id, light))


# -- reflections -------------------------------------------------------------------------------------


@api.get("/reflections")
@require()
@declare("My reflections (mine only)", tags=TAGS,
         responses={"200": answer("Reflections", obj({"reflections": {"type": "array", "items": REFLECTION}}))})
def my_reflections(principal):
    """My own reflections (the partner's are never readable)."""
    return jsonify({"reflections": sessions.my_reflections(get_db(), principal.member_id)})


@api.put("/reflections")
@require()
@declare("Record or edit my reflection on an ended session", body=Reflection, tags=TAGS, responses={
    "200": answer("Saved", obj({"reflection": REFLECTION})), "400": error("A bad rating or note; nothing stored"),
    "404": error("No such session"), "409": error("It has not ended")})
def put_reflection(principal, body: Reflection):
    """Record or edit my reflection on an ended session: ``{"session_id", "safe", "comfortable", "note"?}``."""
    reflection = sessions.save_reflection(get_db(), principal.couple_id, principal.member_id, body.session_id,
                                          body.safe, body.comfortable, body.note)
    return jsonify({"reflection": reflection})


@api.get("/reflections/shared")
@require()
@declare("How the last sessions felt, as counts for both (while touch.share_reflections is on)", tags=TAGS,
         responses={"200": answer("Counts, never notes", obj({
             "sessions": INT, "everyone_felt_safe": INT, "everyone_felt_comfortable": INT,
             "lines": {"type": "array", "items": STR}})),
             "403": error("touch.share_reflections is not on for everyone")})
def shared_reflections(principal):
    """Counts over the last sessions, while touch.share_reflections is on for everyone; never notes."""
    db = get_db()
    require_active(db, principal.couple_id, model.REFLECTIONS_SCOPE)
    return jsonify(sessions.shared_summary(db, principal.couple_id))


@api.get("/progress")
@require()
@declare("The path over the weeks: unlocked phase and sessions", tags=TAGS, responses={
    "200": answer("Timeline", obj({"phases": {"type": "array"}, "unlocked_level": INT, "steps": {"type": "array"},
                                   "sessions": {"type": "array"}}))})
def get_progress(principal):
    """The unlocked phase over time and the sessions, for the progress chart."""
    return jsonify(progress.timeline(get_db(), principal.couple_id))
