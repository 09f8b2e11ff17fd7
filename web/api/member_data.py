"""``GET /api/v1/me/export`` and ``POST /api/v1/me/forget``: the member's own data."""

import logging

from flask import jsonify

from hearthside import member_data
from hearthside.declare import Body, Password, answer, declare, obj
from hearthside.accounts import get_member
from hearthside.request_context import current_hs, get_db
from hearthside.auth import require
from hearthside.errors import api_error, is_storage_full
from hearthside.plugin_manager import PluginError

from . import api
from .accounts import check_password, limiter_keys

log = logging.getLogger(__name__)

CONFIRMATION = "forget my data"


class Forgetting(Body):
    password: Password(1)
    confirm: str | None = None  # must read CONFIRMATION; anything else is a 400 confirmation_required


@api.get("/me/export")
@require()
@declare("Export everything the caller wrote or may read", responses={"200": answer(
    "The export: member, couple, core records and each plugin's part; `incomplete` names the plugins whose part "
    "is missing this time", obj({"incomplete": {"type": "array", "items": {"type": "string"}}},
                                ["exported_at", "member", "couple", "core", "plugins", "incomplete"]))})
def export_my_data(principal):
    """Everything the caller wrote or may read, as one JSON document."""
    response = jsonify(member_data.export(current_hs(), get_db(), principal.member_id))
    response.headers["Content-Disposition"] = "attachment; filename=hearthside-export.json"
    return response


@api.post("/me/forget")
@require()
@declare("Forget the caller's own data (confirmed with the password)", body=Forgetting, responses={
    "200": answer("Forgotten", obj({"forgotten": {"type": "boolean"},
                                    "plugins": {"type": "array", "items": {"type": "string"}}}))})
def forget_my_data(principal, body: Forgetting):
    """Delete the caller's own data everywhere; asks for the password and a typed confirmation."""
    if body.confirm != CONFIRMATION:
        api_error(400, "confirmation_required", f"To forget your data, send \"confirm\": \"{CONFIRMATION}\".")
    password = body.password
    db = get_db()
    member = get_member(db, principal.member_id)
    check_password(member, password, limiter_keys(member["username"]), 403, "wrong_password",
                   "The password is not correct, so nothing was deleted.")
    try:
        cleared = member_data.forget(current_hs(), db, principal.member_id)
    except PluginError as exc:
        if is_storage_full(exc):  # the disk, not the plugin: the one 507 answer (hearthside.errors)
            raise
        log.error("Forget for member %s stopped, nothing deleted: %s", principal.member_id, exc)
        api_error(500, "forget_failed",
                  f"Nothing was deleted: the {exc.plugin} feature could not clear its part. It has been logged.")
    return jsonify({"forgotten": True, "plugins": cleared})

