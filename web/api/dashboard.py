"""``GET /api/v1/dashboard``: what the shared wall screen shows now."""

from __future__ import annotations

from flask import jsonify

from hearthside import devices, pause
from hearthside.request_context import current_hs, get_db
from hearthside.auth import require

from . import api


@api.get("/dashboard")
@require(device=True)
def dashboard(principal):
    """The consented plugins' cards (each tagged with ``plugin``) and the pause state."""
    db = get_db()
    return jsonify({
        "cards": devices.dashboard_cards(current_hs(), db, principal.couple_id),
        "pause": pause.current_as_seen_by(db, principal),
    })

