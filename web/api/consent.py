"""Consent: ``/api/v1/consents`` - every scope, who granted it, and the history.

Members only: a wall screen never changes or reads anyone's consent.
"""

from __future__ import annotations

from flask import jsonify

from hearthside import consent
from hearthside.declare import Body, answer, declare, error, obj, ref
from hearthside.request_context import current_hs, get_db
from hearthside.auth import require

from . import api

TAGS = ["consent"]


class Grant(Body):
    granted: bool


@api.get("/consents")
@require()
@declare("Every consent scope in plain language, each member's grant, and whether it is active", tags=TAGS,
         responses={"200": answer("Scopes", obj({"scopes": {"type": "array", "items": ref("Scope")}}, ["scopes"]))})
def list_consents(principal):
    """Every declared scope in plain language, each member's grant, and whether it is active."""
    db = get_db()
    scopes = consent.registry(current_hs()).values()
    return jsonify({"scopes": [consent.describe(db, principal.couple_id, scope) for scope in scopes]})


@api.put("/consents/<scope>")
@require()
@declare("Grant or revoke a scope for myself", body=Grant, tags=TAGS,
         responses={"200": answer("The scope now", ref("Scope")), "404": error("No such scope")})
def put_consent(principal, scope, body: Grant):
    """Grant or revoke one scope for the caller: ``{"granted": bool}`` -> the scope."""
    declared = consent.get_scope(current_hs(), scope)
    granted = body.granted
    db = get_db()
    consent.set_grant(db, principal, declared.name, granted, who=declared.who)
    return jsonify(consent.describe(db, principal.couple_id, declared))


@api.get("/consents/history")
@require()
@declare("The couple's append-only consent history, oldest first", tags=TAGS,
         responses={"200": answer("History", obj({
             "history": {"type": "array", "items": ref("ConsentHistoryEntry")},
             "intact": {"type": "boolean", "description": "Whether the hash chain verifies"},
         }, ["history"]))})
def consent_history(principal):
    """The couple's append-only grant history, oldest first, and whether its chain is intact."""
    db = get_db()
    return jsonify({"history": consent.history(db, principal.couple_id),
                    "intact": consent.verify_history(db, principal.couple_id)})
