"""Onboarding, sign-in (tokens and browser sessions), invites, ``/me`` and passwords."""

from __future__ import annotations

from flask import jsonify, request

from hearthside import accounts, auth, inputs
from hearthside.accounts import MIN_PASSWORD_LENGTH
from hearthside.request_context import current_hs, get_db
from hearthside.auth import issue_token, require
from hearthside.errors import api_error
from hearthside.ratelimit import invite_keys

from . import api

BAD_CREDENTIALS = "That username and password do not match."


def _new_member_fields(body: dict) -> tuple[str, str, str]:
    username = inputs.username(body)
    password = inputs.password(body, "password", min_length=MIN_PASSWORD_LENGTH)
    display_name = inputs.text(body, "display_name", max_length=60)
    return username, password, display_name


def _couple_fields(couple: dict, default_name: str | None = None) -> tuple[str, str]:
    """Name and time zone of a new couple, validated before anything is written."""
    name = inputs.text(couple, "name", max_length=80, required=default_name is None, label="couple.name")
    time_zone = inputs.time_zone(couple.get("time_zone", current_hs().config["time_zone"]), "couple.time_zone")
    return name or default_name, time_zone


@api.post("/onboarding")
def onboarding():
    """Create the first couple and its first member (the server's admin).

    A set-up server answers 409 whatever the body, before validating it or
    spending a password hash; the check inside the transaction settles a race.
    """
    _refuse_if_onboarded(get_db())
    body = inputs.json_body()
    couple_name, time_zone = _couple_fields(inputs.obj(body, "couple"))
    username, password, display_name = _new_member_fields(inputs.obj(body, "member"))
    password_hash = accounts.hash_password(password)  # slow: outside the write transaction
    db = get_db()
    with db.atomic():
        _refuse_if_onboarded(db)
        couple_id = accounts.create_couple(db, couple_name, time_zone)
        row = accounts.create_member(db, couple_id, username, password_hash, display_name, is_admin=True)
        token = issue_token(db, kind="api", name="onboarding", couple_id=couple_id, member_id=row["id"])
    return jsonify({"token": token, "member": accounts.public_member(row)}), 201


def _refuse_if_onboarded(db) -> None:
    if accounts.member_count(db):
        api_error(409, "already_onboarded", "This server is already set up. Sign in, or ask for an invite.")


# -- signing in ------------------------------------------------------------------------


def limiter_keys(username: str) -> tuple[str, str]:
    return f"user:{username.lower()[:64]}", f"addr:{request.remote_addr}"


def _refuse_if_limited(keys: tuple[str, ...], what: str = "Too many failed sign-ins.") -> None:
    wait = current_hs().login_limiter.retry_after(*keys)
    if wait:
        api_error(429, "too_many_attempts", f"{what} Try again in {wait} seconds.", {"Retry-After": str(wait)})


def check_password(row: dict | None, password: str, keys: tuple[str, str], status: int, code: str,
                    message: str) -> None:
    """Verify under the rate limit; a failure counts against the username and the address.

    A success clears only the username's count: signing into one's own account
    must not reset the address's count for guesses at other accounts.
    """
    limiter = current_hs().login_limiter
    _refuse_if_limited(keys)
    if not accounts.verify_password(row["password_hash"] if row else None, password):
        limiter.failed(*keys)
        api_error(status, code, message)
    limiter.succeeded(keys[0])


def _signed_in_member(body: dict) -> dict:
    """The member whose username and password are in ``body``, or 400/401/429.

    The 401 is the same for an unknown username and a wrong password, and
    costs the same time, so it never tells whether a username exists.
    """
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        api_error(400, "invalid_field", "Send 'username' and 'password' as text.")
    db = get_db()
    row = accounts.find_member(db, username.strip())
    check_password(row, password, limiter_keys(username.strip()), 401, "invalid_credentials", BAD_CREDENTIALS)
    if accounts.password_needs_rehash(row["password_hash"]):  # tuning changed since it was set
        new_hash = accounts.hash_password(password)
        with db.atomic():
            accounts.set_password_hash(db, row["id"], new_hash)
    return row


@api.post("/auth/token")
def auth_token():
    """Exchange a username and password for a bearer token."""
    body = inputs.json_body()
    name = inputs.text(body, "name", max_length=60, required=False) or "API token"
    row = _signed_in_member(body)
    db = get_db()
    with db.atomic():
        token = issue_token(db, kind="api", name=name, couple_id=row["couple_id"], member_id=row["id"])
    return jsonify({"token": token})


@api.post("/auth/session")
def auth_session():
    """Sign a browser in: the session lives in an HttpOnly cookie, with a CSRF token.

    Only JSON is accepted: a cross-site page can post a form or text/plain
    without asking, but not application/json, so nobody can sign a visitor's
    browser into an account of theirs.
    """
    if not request.is_json:
        api_error(415, "json_required", "Send the sign-in as JSON (Content-Type: application/json).")
    body = inputs.json_body()
    name = inputs.text(body, "name", max_length=60, required=False) or "Browser session"
    row = _signed_in_member(body)
    db = get_db()
    with db.atomic():
        csrf = auth.start_session(db, row, name)
    return jsonify({"member": _member_view(row), "csrf_token": csrf})


@api.delete("/auth/session")
def end_auth_session():
    """Sign this browser out (its session token is revoked); harmless when already out."""
    db = get_db()
    auth.current_principal(db)  # a signed-in cookie must pass the CSRF check
    auth.end_session(db)
    return "", 204


@api.get("/auth/csrf")
@require()
def auth_csrf(principal):
    """The CSRF token that browser code sends as ``X-CSRF-Token`` on writes."""
    if auth.authenticated_by() != "session":
        api_error(400, "not_a_session",
                  "CSRF tokens belong to browser sessions; requests with a bearer token do not need one.")
    return jsonify({"csrf_token": auth.csrf_token()})


# -- invites ---------------------------------------------------------------------------


@api.post("/invites")
@require()
def create_invite(principal):
    """A one-time, expiring code for the partner to join this couple; 409 once the couple is complete."""
    db = get_db()
    hours = current_hs().config["auth.invite_hours"]
    with db.atomic():
        member = accounts.get_member(db, principal.member_id)
        code = accounts.create_invite(db, member, hours)
    return jsonify({"code": code, "expires_in_hours": hours}), 201


@api.get("/invites")
@require()
def list_invites(principal):
    """The couple's pending invites (id, who made it, when it expires); never their codes."""
    return jsonify({"invites": accounts.pending_invites(get_db(), principal.couple_id)})


@api.delete("/invites/<code>")
@require()
def revoke_invite(principal, code):
    """Revoke a pending invite by its code or its listed id; 404 for anything else, another couple's too."""
    db = get_db()
    with db.atomic():
        invite = accounts.find_pending_invite(db, principal.couple_id, code)
        if invite is None:
            api_error(404, "invite_not_found", "There is no pending invite like that in your couple.")
        accounts.revoke_invite(db, principal.couple_id, invite["id"], principal.member_id)
    return "", 204


def _optional_couple(body: dict, display_name: str) -> tuple[str, str]:
    """The new couple's fields for an admin's new-couple invite ("couple" is optional)."""
    couple = body.get("couple", {})
    if not isinstance(couple, dict):
        api_error(400, "invalid_field", "'couple' must be a JSON object with 'name' and 'time_zone'.")
    return _couple_fields(couple, default_name=display_name)


def check_invite_code(db, code: str) -> None:
    """404 for an unusable code, under the sign-in rate limit (429 after repeated misses).

    Called before the password is hashed: a wrong code must cost the server
    nothing, or accepts with made-up codes would queue up real sign-ins
    behind argon2 (hearthside.accounts.MAX_CONCURRENT_HASHES).
    """
    keys = invite_keys(request.remote_addr)
    _refuse_if_limited(keys, "Too many invite codes that did not work.")
    if accounts.usable_invite(db, code) is None:
        current_hs().login_limiter.failed(*keys)
        accounts.invalid_invite()


@api.post("/invites/<code>/accept")
def accept_invite(code):
    """Join with an invite: the inviter's couple, or a new couple for an admin's invite."""
    body = inputs.json_body()
    username, password, display_name = _new_member_fields(body)
    couple_name, time_zone = _optional_couple(body, display_name)
    db = get_db()
    check_invite_code(db, code)
    password_hash = accounts.hash_password(password)  # slow: outside the write transaction
    with db.atomic():
        invite = accounts.take_invite(db, code)  # again: another accept may have used it meanwhile
        couple_id = invite["couple_id"]
        if couple_id is None:  # an admin's invite that starts a new couple
            couple_id = accounts.create_couple(db, couple_name, time_zone)
        row = accounts.create_member(db, couple_id, username, password_hash, display_name)
        accounts.mark_invite_used(db, invite["id"], row["id"])
        token = issue_token(db, kind="api", name="invite", couple_id=couple_id, member_id=row["id"])
    return jsonify({"token": token, "member": accounts.public_member(row)}), 201


# -- me ----------------------------------------------------------------------------------


def _member_view(row: dict) -> dict:
    return {**accounts.public_member(row), "is_admin": bool(row["is_admin"])}


@api.get("/me")
@require()
def me(principal):
    db = get_db()
    member = accounts.get_member(db, principal.member_id)
    couple = accounts.get_couple(db, principal.couple_id)
    members = [accounts.public_member(row) for row in accounts.couple_members(db, principal.couple_id)]
    return jsonify({
        "member": _member_view(member),
        "couple": {"id": couple["id"], "name": couple["name"], "time_zone": couple["time_zone"], "members": members},
    })


@api.put("/me/password")
@require()
def change_password(principal):
    """Change the caller's password; every other token and session of theirs stops working.

    The current password is asked (and rate limited like a sign-in) so that a
    phone left unlocked is not enough to take the account over.
    """
    body = inputs.json_body()
    current = inputs.password(body, "current_password", min_length=1)
    new = inputs.password(body, "new_password", min_length=MIN_PASSWORD_LENGTH)
    db = get_db()
    member = accounts.get_member(db, principal.member_id)
    check_password(member, current, limiter_keys(member["username"]), 403, "wrong_password",
                    "The current password is not correct, so the password was not changed.")
    new_hash = accounts.hash_password(new)  # slow: outside the write transaction
    with db.atomic():
        accounts.set_password_hash(db, member["id"], new_hash)
        auth.revoke_member_tokens(db, principal, auth.other_token_ids(db, principal), "password_changed")
    return "", 204
