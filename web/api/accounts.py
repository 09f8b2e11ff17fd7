"""Onboarding, sign-in (tokens and browser sessions), invites, ``/me`` and passwords."""

from __future__ import annotations

import functools

from flask import jsonify, request

from hearthside import accounts, auth
from hearthside.accounts import MIN_PASSWORD_LENGTH
from hearthside.declare import (INTEGER, STRING, TIMESTAMP, Body, Password, Text, TimeZone, answer, declare, error,
                                obj, ref)
from hearthside.request_context import current_hs, get_db
from hearthside.auth import issue_token, require
from hearthside.errors import api_error
from hearthside.ratelimit import invite_keys

from . import api

BAD_CREDENTIALS = "That username and password do not match."
TAGS = ["accounts"]
PUBLIC = {"tags": TAGS, "public": True}


class NewMember(Body):
    username: Text(40, min_length=2, pattern=r"[A-Za-z0-9._-]+",
                   pattern_says="may use letters, digits, '.', '_' and '-' only")
    password: Password(MIN_PASSWORD_LENGTH)
    display_name: Text(60)


class NewCouple(Body):
    name: Text(80)
    time_zone: TimeZone | None = None


class Onboarding(Body):
    couple: NewCouple
    member: NewMember


class CoupleOfInvite(Body):
    """An admin's invite starts a new couple: its name (the new member's name if left out) and time zone."""

    name: Text(80) | None = None
    time_zone: TimeZone | None = None


class Joining(NewMember):
    couple: CoupleOfInvite | None = None


class Credentials(Body):
    username: str
    password: str
    name: Text(60, description="A label for the token or session") | None = None


class PasswordChange(Body):
    current_password: Password(1)
    new_password: Password(MIN_PASSWORD_LENGTH)


def _time_zone(couple) -> str:
    return (couple and couple.time_zone) or current_hs().config["time_zone"]


def _unless_onboarded(view):
    """A set-up server answers 409 whatever the body, before validating it or spending a password hash."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        _refuse_if_onboarded(get_db())
        return view(*args, **kwargs)

    return wrapper


@api.post("/onboarding")
@_unless_onboarded
@declare("Set up the server: the first couple and its first member (the admin)", body=Onboarding, **PUBLIC,
         responses={"201": answer("Created; the token is shown only now", ref("TokenAndMember")),
                    "409": error("The server is already set up")})
def onboarding(body: Onboarding):
    """Create the first couple and its first member (the server's admin); the check inside the
    transaction settles a race."""
    member = body.member
    password_hash = accounts.hash_password(member.password)  # slow: outside the write transaction
    db = get_db()
    with db.atomic():
        _refuse_if_onboarded(db)
        couple_id = accounts.create_couple(db, body.couple.name, _time_zone(body.couple))
        row = accounts.create_member(db, couple_id, member.username, password_hash, member.display_name,
                                     is_admin=True)
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


def _signed_in_member(body: Credentials) -> dict:
    """The member whose username and password are in ``body``, or 401/429.

    The 401 is the same for an unknown username and a wrong password, and
    costs the same time, so it never tells whether a username exists.
    """
    username, password = body.username, body.password
    db = get_db()
    row = accounts.find_member(db, username.strip())
    check_password(row, password, limiter_keys(username.strip()), 401, "invalid_credentials", BAD_CREDENTIALS)
    if accounts.password_needs_rehash(row["password_hash"]):  # tuning changed since it was set
        new_hash = accounts.hash_password(password)
        with db.atomic():
            accounts.set_password_hash(db, row["id"], new_hash)
    return row


@api.post("/auth/token")
@declare("Exchange a username and password for a bearer token", body=Credentials, **PUBLIC,
         responses={"200": answer("The token (shown only now)", obj({"token": STRING}, ["token"])),
                    "401": error("The username and password do not match"),
                    "429": error("Too many failed attempts; see Retry-After")})
def auth_token(body: Credentials):
    """Exchange a username and password for a bearer token."""
    name = body.name or "API token"
    row = _signed_in_member(body)
    db = get_db()
    with db.atomic():
        token = issue_token(db, kind="api", name=name, couple_id=row["couple_id"], member_id=row["id"])
    return jsonify({"token": token})


def _json_only(view):
    """A sign-in must be sent as JSON, checked before the body is read."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not request.is_json:
            api_error(415, "json_required", "Send the sign-in as JSON (Content-Type: application/json).")
        return view(*args, **kwargs)

    return wrapper


@api.post("/auth/session")
@_json_only
@declare("Sign a browser in (sets the HttpOnly session cookie)", body=Credentials, **PUBLIC,
         responses={"200": answer("Signed in", obj({"member": ref("MemberSelf"), "csrf_token": STRING},
                                                   ["member", "csrf_token"])),
                    "401": error("The username and password do not match"),
                    "415": error("Not sent as JSON"),
                    "429": error("Too many failed attempts; see Retry-After")})
def auth_session(body: Credentials):
    """Sign a browser in: the session lives in an HttpOnly cookie, with a CSRF token.

    Only JSON is accepted: a cross-site page can post a form or text/plain
    without asking, but not application/json, so nobody can sign a visitor's
    browser into an account of theirs.
    """
    name = body.name or "Browser session"
    row = _signed_in_member(body)
    db = get_db()
    with db.atomic():
        csrf = auth.start_session(db, row, name)
    return jsonify({"member": _member_view(row), "csrf_token": csrf})


@api.delete("/auth/session")
@declare("Sign this browser out (harmless when already signed out)", **PUBLIC,
         responses={"204": answer("Signed out")})
def end_auth_session():
    """Sign this browser out (its session token is revoked); harmless when already out."""
    db = get_db()
    auth.current_principal(db)  # a signed-in cookie must pass the CSRF check
    auth.end_session(db)
    return "", 204


@api.get("/auth/csrf")
@require()
@declare("The CSRF token browser code sends as X-CSRF-Token on writes", tags=TAGS,
         responses={"200": answer("The token", obj({"csrf_token": STRING}, ["csrf_token"])),
                    "400": error("Not a browser session")})
def auth_csrf(principal):
    """The CSRF token that browser code sends as ``X-CSRF-Token`` on writes."""
    if auth.authenticated_by() != "session":
        api_error(400, "not_a_session",
                  "CSRF tokens belong to browser sessions; requests with a bearer token do not need one.")
    return jsonify({"csrf_token": auth.csrf_token()})


# -- invites ---------------------------------------------------------------------------


@api.post("/invites")
@require()
@declare("A one-time, expiring invite code for the partner", tags=TAGS,
         responses={"201": answer("The code", ref("Invite")),
                    "409": error("couple_complete: the couple already has its two members")})
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
@declare("The couple's pending partner invites (never their codes)", tags=TAGS,
         responses={"200": answer("Pending invites", obj({"invites": {"type": "array", "items": obj(
             {"id": INTEGER, "created_by": INTEGER, "created_at": {"type": ["string", "null"]},
              "expires_at": TIMESTAMP}, ["id", "created_by", "expires_at"])}}, ["invites"]))})
def list_invites(principal):
    """The couple's pending invites (id, who made it, when it expires); never their codes."""
    return jsonify({"invites": accounts.pending_invites(get_db(), principal.couple_id)})


@api.delete("/invites/<code>")
@require()
@declare("Revoke a pending invite, by its code or its id from the list", tags=TAGS,
         responses={"204": answer("Revoked"), "404": error("No such pending invite in your couple")})
def revoke_invite(principal, code):
    """Revoke a pending invite by its code or its listed id; 404 for anything else, another couple's too."""
    db = get_db()
    with db.atomic():
        invite = accounts.find_pending_invite(db, principal.couple_id, code)
        if invite is None:
            api_error(404, "invite_not_found", "There is no pending invite like that in your couple.")
        accounts.revoke_invite(db, principal.couple_id, invite["id"], principal.member_id)
    return "", 204


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
@declare("Join with an invite code (the partner, or a new couple for an admin's invite)", body=Joining, **PUBLIC,
         responses={"201": answer("Joined; the token is shown only now", ref("TokenAndMember")),
                    "404": error("The code is unknown, used, revoked or expired, or its couple is complete"),
                    "409": error("The username is taken"),
                    "429": error("Too many codes that did not work; see Retry-After")})
def accept_invite(code, body: Joining):
    """Join with an invite: the inviter's couple, or a new couple for an admin's invite."""
    db = get_db()
    check_invite_code(db, code)
    password_hash = accounts.hash_password(body.password)  # slow: outside the write transaction
    with db.atomic():
        invite = accounts.take_invite(db, code)  # again: another accept may have used it meanwhile
        couple_id = invite["couple_id"]
        if couple_id is None:  # an admin's invite that starts a new couple
            couple_id = accounts.create_couple(db, (body.couple and body.couple.name) or body.display_name,
                                               _time_zone(body.couple))
        row = accounts.create_member(db, couple_id, body.username, password_hash, body.display_name)
        accounts.mark_invite_used(db, invite["id"], row["id"])
        token = issue_token(db, kind="api", name="invite", couple_id=couple_id, member_id=row["id"])
    return jsonify({"token": token, "member": accounts.public_member(row)}), 201


# -- me ----------------------------------------------------------------------------------


def _member_view(row: dict) -> dict:
    return {**accounts.public_member(row), "is_admin": bool(row["is_admin"])}


@api.get("/me")
@require()
@declare("Who am I, and my couple", tags=TAGS, responses={"200": answer("The caller and their couple", obj({
    "member": ref("MemberSelf"),
    "couple": obj({"id": INTEGER, "name": STRING, "time_zone": STRING,
                   "members": {"type": "array", "items": ref("Member")}}, ["id", "name", "members"]),
}, ["member", "couple"]))})
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
@declare("Change my password (signs out every other session and token of mine)", body=PasswordChange, tags=TAGS,
         responses={"204": answer("Changed"), "403": error("The current password is not correct"),
                    "429": error("Too many wrong passwords; see Retry-After")})
def change_password(principal, body: PasswordChange):
    """Change the caller's password; every other token and session of theirs stops working.

    The current password is asked (and rate limited like a sign-in) so that a
    phone left unlocked is not enough to take the account over.
    """
    current, new = body.current_password, body.new_password
    db = get_db()
    member = accounts.get_member(db, principal.member_id)
    check_password(member, current, limiter_keys(member["username"]), 403, "wrong_password",
                    "The current password is not correct, so the password was not changed.")
    new_hash = accounts.hash_password(new)  # slow: outside the write transaction
    with db.atomic():
        accounts.set_password_hash(db, member["id"], new_hash)
        auth.revoke_member_tokens(db, principal, auth.other_token_ids(db, principal), "password_changed")
    return "", 204
