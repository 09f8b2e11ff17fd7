"""A member's own API tokens and browser sessions: list, create, revoke.

Only the caller's own tokens are ever visible. Another member's token id
answers 404 exactly like an id that does not exist, so ids reveal nothing.
Wall-screen tokens are managed with their devices, not here.
"""

from __future__ import annotations

from flask import jsonify, session

from hearthside import auth
from hearthside.declare import INTEGER, STRING, Body, Text, answer, declare, error, obj, ref
from hearthside.request_context import get_db
from hearthside.auth import require
from hearthside.errors import api_error

from . import api

TAGS = ["accounts"]


class NewToken(Body):
    name: Text(60)


@api.get("/tokens")
@require()
@declare("My API tokens and browser sessions", tags=TAGS, responses={"200": answer("Live tokens", obj(
    {"tokens": {"type": "array", "items": ref("Token")}}, ["tokens"]))})
def list_tokens(principal):
    """The caller's live tokens and sessions, ``current`` marking the one in use now."""
    tokens = [{**row, "current": row["id"] == principal.token_id}
              for row in auth.member_tokens(get_db(), principal.member_id)]
    return jsonify({"tokens": tokens})


@api.post("/tokens")
@require()
@declare("A new named API token", body=NewToken, tags=TAGS,
         responses={"201": answer("The token (its secret is shown only now)",
                                  obj({"id": INTEGER, "name": STRING, "token": STRING}, ["id", "name", "token"]))})
def create_token(principal, body: NewToken):
    """A new named bearer token; its secret is in this answer and nowhere else, ever."""
    name = body.name
    db = get_db()
    with db.atomic():
        token_id, secret = auth.new_token(db, kind="api", name=name, couple_id=principal.couple_id,
                                          member_id=principal.member_id)
    return jsonify({"id": token_id, "name": name, "token": secret}), 201


@api.delete("/tokens/<int:token_id>")
@require()
@declare("Revoke one of my tokens or sessions", tags=TAGS,
         responses={"204": answer("Revoked"), "404": error("No such token of yours")})
def delete_token(principal, token_id):
    """Revoke one of the caller's tokens; it stops working with the next request."""
    db = get_db()
    with db.atomic():
        if auth.find_member_token(db, principal.member_id, token_id) is None:
            api_error(404, "token_not_found", "You have no token with this id (it may be revoked already).")
        auth.revoke_member_tokens(db, principal, [token_id], "revoked")
    if token_id == principal.token_id and auth.authenticated_by() == "session":
        session.pop("token", None)
        session.pop("csrf", None)
    return "", 204
