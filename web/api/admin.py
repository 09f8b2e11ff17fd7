"""Server administration: several couples on one server (friends sharing a Pi).

The admin (the member who set the server up) can invite a new couple and see
which couples exist - a name and a member count, never who the members are or
anything they wrote: hosting a couple is not a licence to look at it.
"""

from __future__ import annotations

from flask import jsonify

from hearthside import accounts
from hearthside.app import current_hs, get_db
from hearthside.auth import require
from hearthside.errors import api_error

from . import api


def _require_admin(db, principal) -> dict:
    if not accounts.is_admin(db, principal.member_id):
        api_error(403, "admins_only", "Only the server's admin can do this.")
    return accounts.get_member(db, principal.member_id)


@api.post("/admin/invites")
@require()
def create_couple_invite(principal):
    """A one-time code whose acceptance starts a new couple on this server."""
    db = get_db()
    hours = current_hs().config["auth.invite_hours"]
    with db.atomic():
        admin = _require_admin(db, principal)
        code = accounts.create_invite(db, admin, hours, new_couple=True)
    return jsonify({"code": code, "expires_in_hours": hours}), 201


@api.get("/admin/couples")
@require()
def list_couples(principal):
    """Every couple on the server: id, name, how many members, since when."""
    db = get_db()
    _require_admin(db, principal)
    return jsonify({"couples": accounts.couples_overview(db)})
