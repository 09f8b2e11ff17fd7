"""Onboarding, sign-in, invites and ``/me``."""

from __future__ import annotations

from flask import jsonify, request

from hearthside import accounts, inputs
from hearthside.accounts import MIN_PASSWORD_LENGTH
from hearthside.app import current_hs, get_db
from hearthside.auth import issue_token, require
from hearthside.errors import api_error

from . import api


def _new_member_fields(body: dict) -> tuple[str, str, str]:
    username = inputs.username(body)
    password = inputs.text(body, "password", min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    display_name = inputs.text(body, "display_name", max_length=60)
    return username, password, display_name


@api.post("/onboarding")
def onboarding():
    """Create the first couple and its first member (the server's admin)."""
    body = inputs.json_body()
    couple = inputs.obj(body, "couple")
    member = inputs.obj(body, "member")
    couple_name = inputs.text(couple, "name", max_length=80, label="couple.name")
    time_zone = inputs.time_zone(couple.get("time_zone", current_hs().config["time_zone"]), "couple.time_zone")
    username, password, display_name = _new_member_fields(member)
    password_hash = accounts.hash_password(password)  # slow: outside the write transaction
    db = get_db()
    with db.atomic():
        if accounts.member_count(db):
            api_error(409, "already_onboarded", "This server is already set up. Sign in, or ask for an invite.")
        couple_id = accounts.create_couple(db, couple_name, time_zone)
        row = accounts.create_member(db, couple_id, username, password_hash, display_name, is_admin=True)
        token = issue_token(db, kind="api", name="onboarding", couple_id=couple_id, member_id=row["id"])
    return jsonify({"token": token, "member": accounts.public_member(row)}), 201


@api.post("/auth/token")
def auth_token():
    """Exchange a username and password for a bearer token."""
    body = inputs.json_body()
    username = body.get("username")
    password = body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        api_error(400, "invalid_field", "Send 'username' and 'password' as text.")
    limiter = current_hs().login_limiter
    keys = (f"user:{username.lower()}", f"addr:{request.remote_addr}")
    wait = limiter.retry_after(*keys)
    if wait:
        api_error(429, "too_many_attempts", f"Too many failed sign-ins. Try again in {wait} seconds.",
                  {"Retry-After": str(wait)})
    db = get_db()
    row = accounts.find_member(db, username)
    if not accounts.verify_password(row["password_hash"] if row else None, password):
        limiter.failed(*keys)
        api_error(401, "invalid_credentials", "That username and password do not match.")
    limiter.succeeded(*keys)
    name = inputs.text(body, "name", max_length=60, required=False) or "API token"
    with db.atomic():
        token = issue_token(db, kind="api", name=name, couple_id=row["couple_id"], member_id=row["id"])
    return jsonify({"token": token})


@api.post("/invites")
@require()
def create_invite(principal):
    """A one-time, expiring code for the partner to join this couple."""
    db = get_db()
    with db.atomic():
        member = accounts.get_member(db, principal.member_id)
        code = accounts.create_invite(db, member, current_hs().config["auth.invite_hours"])
    return jsonify({"code": code, "expires_in_hours": current_hs().config["auth.invite_hours"]}), 201


@api.post("/invites/<code>/accept")
def accept_invite(code):
    body = inputs.json_body()
    username, password, display_name = _new_member_fields(body)
    password_hash = accounts.hash_password(password)  # slow: outside the write transaction
    db = get_db()
    with db.atomic():
        invite = accounts.take_invite(db, code)
        couple_id = invite["couple_id"]
        if couple_id is None:  # an admin's invite that starts a new couple
            couple = body.get("couple") if isinstance(body.get("couple"), dict) else {}
            name = inputs.text(couple, "name", max_length=80, required=False, label="couple.name") or display_name
            time_zone = inputs.time_zone(couple.get("time_zone", current_hs().config["time_zone"]), "couple.time_zone")
            couple_id = accounts.create_couple(db, name, time_zone)
        row = accounts.create_member(db, couple_id, username, password_hash, display_name)
        accounts.mark_invite_used(db, invite["id"], row["id"])
        token = issue_token(db, kind="api", name="invite", couple_id=couple_id, member_id=row["id"])
    return jsonify({"token": token, "member": accounts.public_member(row)}), 201


@api.get("/me")
@require()
def me(principal):
    db = get_db()
    member = accounts.get_member(db, principal.member_id)
    couple = accounts.get_couple(db, principal.couple_id)
    members = [accounts.public_member(row) for row in accounts.couple_members(db, principal.couple_id)]
    return jsonify({
        "member": {**accounts.public_member(member), "is_admin": bool(member["is_admin"])},
        "couple": {"id": couple["id"], "name": couple["name"], "time_zone": couple["time_zone"], "members": members},
    })
