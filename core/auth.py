"""Who is asking: bearer tokens, browser sessions and the wall screen's token.

A request is made by a :class:`Principal`: a member (phone, browser) or a
paired dashboard device. Tokens are random, shown once, and stored only as
SHA-256 hashes. A browser session is a token of kind ``session`` whose secret
sits in Flask's signed cookie, so sessions are listed and revoked like tokens.

Views declare who may call them with :func:`require` - the one check: it
answers 401 for nobody and 403 for a device on a member-only route.

CSRF: a browser sends the session cookie with every request, including ones
another site makes it send. So a state-changing request (POST, PUT, PATCH,
DELETE) that is authenticated *by the cookie* must also carry the session's
CSRF token (header ``X-CSRF-Token``, or form field ``csrf_token``), which
another site cannot read. :func:`current_principal` checks it, so every route
behind :func:`require` is covered. A bearer token is never sent by a browser
on its own, so bearer requests need no CSRF token.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from .accounts import digest
from .request_context import get_db
from .errors import api_error, is_busy, is_storage_full
from .events import emit, now_iso
from .clock import utc_now

TOKEN_BYTES = 32
# Writing last_used_at on every request would turn every read into a write;
# once a minute per token is enough for "last used".
LAST_USED_RESOLUTION_SECONDS = 60
# A browser session unused for this long stops working (and its cookie expires).
SESSION_IDLE_DAYS = 30
MEMBER_TOKEN_KINDS = ("api", "session")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Principal:
    kind: str  # "member" or "device"
    couple_id: int
    token_id: int
    member_id: int | None = None
    device_id: int | None = None

    @property
    def is_member(self) -> bool:
        return self.kind == "member"


# -- tokens --------------------------------------------------------------------


def new_token(db, *, kind: str, name: str, couple_id: int, member_id: int | None = None,
              device_id: int | None = None) -> tuple[int, str]:
    """Create a token inside the caller's transaction: ``(id, secret)``; the secret is never stored."""
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    token_id = db["tokens"].insert({
        "token_hash": digest(secret), "kind": kind, "name": name, "member_id": member_id,
        "device_id": device_id, "couple_id": couple_id, "created_at": now_iso(),
    }).last_pk
    return token_id, secret


def issue_token(db, *, kind: str, name: str, couple_id: int, member_id: int | None = None,
                device_id: int | None = None) -> str:
    """Create a token inside the caller's transaction; the secret is returned once."""
    return new_token(db, kind=kind, name=name, couple_id=couple_id, member_id=member_id, device_id=device_id)[1]


def principal_for(db, secret: str | None) -> Principal | None:
    """The holder of a token secret, or None if it is unknown, revoked or an idle session."""
    if not secret:
        return None
    rows = list(db.query(
        "SELECT id, kind, member_id, device_id, couple_id, created_at, last_used_at FROM tokens "
        "WHERE token_hash = ? AND revoked_at IS NULL", [digest(secret)]))
    if not rows or _idle_session(rows[0]):
        return None
    row = rows[0]
    _touch(db, row)
    kind = "device" if row["kind"] == "device" else "member"
    return Principal(kind, row["couple_id"], row["id"], row["member_id"], row["device_id"])


def _idle_session(row: dict) -> bool:
    """A forgotten browser (a lost phone) should not stay signed in for ever."""
    last = row["last_used_at"] or row["created_at"]
    return row["kind"] == "session" and _age_seconds(last) > SESSION_IDLE_DAYS * 86400


def _touch(db, row: dict) -> None:
    """Note when a token was last used - unless that would wait for another write or the disk is full.

    It is a hint, not a record: a read must never queue behind writers, or fail,
    for its sake (docs/faults.md); it is tried again at the next request.
    """
    last = row["last_used_at"]
    if last is None or _age_seconds(last) > LAST_USED_RESOLUTION_SECONDS:
        try:
            with db.atomic(wait=False):  # plain SQL: sqlite-utils' update looks the schema up first
                db.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", [now_iso(), row["id"]])
        except sqlite3.OperationalError as exc:
            if not (is_storage_full(exc) or is_busy(exc)):
                raise


def _age_seconds(moment: str) -> float:
    return (utc_now() - datetime.fromisoformat(moment)).total_seconds()


def member_tokens(db, member_id: int) -> list[dict]:
    """A member's live API tokens and browser sessions (never the hashes, never devices)."""
    return list(db.query(
        "SELECT id, name, kind, created_at, last_used_at FROM tokens "
        "WHERE member_id = ? AND kind IN ('api', 'session') AND revoked_at IS NULL ORDER BY id",
        [member_id]))


def find_member_token(db, member_id: int, token_id: int) -> dict | None:
    """The member's own live token with this id; None for anyone else's, so nothing is revealed."""
    return next((t for t in member_tokens(db, member_id) if t["id"] == token_id), None)


def revoke_token(db, token_id: int) -> None:
    db["tokens"].update(token_id, {"revoked_at": now_iso()})


def revoke_member_tokens(db, principal: Principal, token_ids: list[int], reason: str) -> None:
    """Revoke a member's tokens inside the caller's transaction and say so on the live stream.

    The private ``tokens.revoked`` event lets the live hub close websockets
    opened with these tokens, so a revoked phone stops receiving at once.
    """
    if not token_ids:
        return
    for token_id in token_ids:
        revoke_token(db, token_id)
    emit(db, "tokens.revoked", principal.couple_id, {"token_ids": token_ids, "reason": reason},
         visibility="private", audience_id=principal.member_id, actor_id=principal.member_id)


def other_token_ids(db, principal: Principal) -> list[int]:
    """Every live token and session of the member except the one making this request."""
    return [t["id"] for t in member_tokens(db, principal.member_id) if t["id"] != principal.token_id]


# -- who is asking -----------------------------------------------------------------


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def current_principal(db) -> Principal | None:
    """The caller of this request: a bearer token if one is sent, else the session cookie.

    A request authenticated by the cookie that changes state must pass the
    CSRF check, or this raises 403 ``csrf_failed``.
    """
    if "principal" not in g:
        principal, via = _authenticate(db)
        if principal is not None and via == "session":
            check_csrf()
        g.principal = principal
        g.principal_via = via if principal is not None else None
    return g.principal


def authenticated_by() -> str | None:
    """``"bearer"`` or ``"session"`` for the current request's principal, else None."""
    return g.get("principal_via")


def _authenticate(db) -> tuple[Principal | None, str]:
    """An explicit bearer token is final: a wrong one never falls back to the cookie."""
    secret = bearer_secret()
    if secret is not None:
        return principal_for(db, secret), "bearer"
    secret = session.get("token")
    principal = principal_for(db, secret)
    if secret and principal is None:  # revoked or idle: forget it in the browser too
        session.pop("token", None)
        session.pop("csrf", None)
    return principal, "session"


def require(*, device: bool = False):
    """Decorate a view: callable by members, and by the wall screen if ``device``.

    The principal is passed as the view's first argument.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal(get_db())
            if principal is None:
                api_error(401, "unauthorized", "Sign in first, or send 'Authorization: Bearer <token>'.")
            if not principal.is_member and not device:
                api_error(403, "members_only", "A dashboard device can only read what is shown on the wall.")
            return view(principal, *args, **kwargs)

        wrapper.allows_device = device
        return wrapper

    return decorator


# -- browser sessions and CSRF ---------------------------------------------------------


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use); also the Jinja global ``csrf_token()``."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(TOKEN_BYTES)
    return session["csrf"]


def check_csrf() -> None:
    """403 unless a state-changing request carries the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or _form_csrf()
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        api_error(403, "csrf_failed",
                  f"This browser request is missing a valid CSRF token: send header '{CSRF_HEADER}' "
                  "with the value from GET /api/v1/auth/csrf (or reload the page and try again).")


def _form_csrf() -> str | None:
    """The ``csrf_token`` field of a classic form post; JSON bodies are never parsed as forms."""
    return request.form.get(CSRF_FIELD) if request.mimetype in FORM_TYPES else None


def start_session(db, member: dict, name: str = "Browser session") -> str:
    """Sign this browser in as ``member``: a session token in the cookie, and a fresh CSRF token.

    Call inside ``db.atomic()``; returns the new CSRF token.
    """
    secret = issue_token(db, kind="session", name=name, couple_id=member["couple_id"], member_id=member["id"])
    session["token"] = secret
    session["csrf"] = secrets.token_urlsafe(TOKEN_BYTES)
    session.permanent = True
    return session["csrf"]


def end_session(db) -> None:
    """Sign this browser out: revoke its session token and forget it in the cookie."""
    principal = principal_for(db, session.get("token"))
    if principal is not None and principal.is_member:
        with db.atomic():
            revoke_member_tokens(db, principal, [principal.token_id], "signed_out")
    session.pop("token", None)
    session.pop("csrf", None)


class SameSchemeSessionInterface(SecureCookieSessionInterface):
    """Marks the cookie ``Secure`` exactly when the request came over HTTPS.

    A Pi on the home network is usually reached over plain http, where a
    Secure cookie would never be sent back; behind a TLS proxy (with ProxyFix)
    or with SESSION_COOKIE_SECURE set, the cookie never travels in clear.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def configure_sessions(app: Flask) -> None:
    """Cookie settings, the session interface and the ``csrf_token()`` template global."""
    app.session_interface = SameSchemeSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="hearthside_session",  # other apps on the same Pi may use "session"
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=SESSION_IDLE_DAYS),
    )
    app.jinja_env.globals["csrf_token"] = csrf_token
