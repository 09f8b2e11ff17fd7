"""``GET /api/v1/dashboard``: what the shared wall screen shows now."""

from __future__ import annotations

from flask import jsonify

from hearthside import devices, pause
from hearthside.declare import answer, declare, obj, ref
from hearthside.request_context import current_hs, get_db
from hearthside.auth import require

from . import api


@api.get("/dashboard")
@require(device=True)
@declare("What the shared wall screen shows now: consented cards and the pause", tags=["devices"], responses={
    "200": answer("Cards and pause", obj({"cards": {"type": "array", "items": ref("Card")}, "pause": ref("PauseState")},
                                         ["cards", "pause"]))})
def dashboard(principal):
    """The consented plugins' cards (each tagged with ``plugin``) and the pause state."""
    db = get_db()
    return jsonify({
        "cards": devices.dashboard_cards(current_hs(), db, principal.couple_id),
        "pause": pause.current_as_seen_by(db, principal),
    })

