"""The pause: ``/api/v1/pause`` (start, end, read) and its history.

``POST`` answers 200 with the running pause (it may replace one already
running, so it is not always a new resource). Any member may start or end it;
the wall screen may read it.
"""

from __future__ import annotations

from flask import jsonify

from hearthside import inputs, pause
from hearthside.request_context import get_db
from hearthside.auth import require

from . import api


@api.post("/pause")
@require()
def start_pause(principal):
    """Start (or replace) the pause: ``{"minutes"?: 1..1440}`` or ``{"resume_at"?: ISO time}``."""
    ends_at = pause.requested_end(inputs.json_body(optional=True))
    return jsonify(pause.start(get_db(), principal.couple_id, principal.member_id, ends_at))


@api.delete("/pause")
@require()
def end_pause(principal):
    """End the pause; ending when none runs is fine and changes nothing."""
    return jsonify(pause.end(get_db(), principal.couple_id, principal.member_id))


@api.get("/pause")
@require(device=True)
def get_pause(principal):
    return jsonify(pause.current_as_seen_by(get_db(), principal))


@api.get("/pause/history")
@require()
def pause_history(principal):
    """The couple's pauses, newest first."""
    return jsonify({"history": pause.history(get_db(), principal.couple_id)})
