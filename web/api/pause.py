"""The pause: ``/api/v1/pause`` (start, end, read) and its history.

``POST`` answers 200 with the running pause (it may replace one already
running, so it is not always a new resource). Any member may start or end it;
the wall screen may read it.
"""

from __future__ import annotations

from flask import jsonify

from hearthside import pause
from hearthside.declare import UNSET, Body, Moment, UnsetType, Whole, answer, declare, obj, ref
from hearthside.request_context import get_db
from hearthside.auth import require

from . import api

TAGS = ["pause"]


class PauseRequest(Body):
    """Send either minutes or resume_at (or nothing: 20 minutes)."""

    minutes: Whole(1, pause.MAX_MINUTES, says=f"a whole number from 1 to {pause.MAX_MINUTES} (24 hours)") | UnsetType = UNSET
    resume_at: Moment("With its offset; later than now and at most 24 hours away") | UnsetType = UNSET


@api.post("/pause")
@require()
@declare("Start (or replace) a pause; any member, no reason needed", body=PauseRequest, body_optional=True, tags=TAGS,
         responses={"200": answer("The running pause", ref("PauseState"))})
def start_pause(principal, body: PauseRequest):
    """Start (or replace) the pause: ``{"minutes"?: 1..1440}`` or ``{"resume_at"?: ISO time}``."""
    ends_at = pause.requested_end(*(None if value is UNSET else value for value in (body.minutes, body.resume_at)))
    return jsonify(pause.start(get_db(), principal.couple_id, principal.member_id, ends_at))


@api.delete("/pause")
@require()
@declare("End the pause; any member", tags=TAGS,
         responses={"200": answer("The pause state (not active)", ref("PauseState"))})
def end_pause(principal):
    """End the pause; ending when none runs is fine and changes nothing."""
    return jsonify(pause.end(get_db(), principal.couple_id, principal.member_id))


@api.get("/pause")
@require(device=True)
@declare("The pause now", tags=TAGS, responses={"200": answer("The pause state", ref("PauseState"))})
def get_pause(principal):
    return jsonify(pause.current_as_seen_by(get_db(), principal))


@api.get("/pause/history")
@require()
@declare("The couple's pauses, newest first", tags=TAGS, responses={"200": answer("History", obj(
    {"history": {"type": "array", "items": ref("PauseHistoryEntry")}}, ["history"]))})
def pause_history(principal):
    """The couple's pauses, newest first."""
    return jsonify({"history": pause.history(get_db(), principal.couple_id)})
