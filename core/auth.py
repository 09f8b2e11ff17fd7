"""Who is asking: bearer tokens, browser sessions and the wall screen's token.

A request is made by a :class:`Principal`: a member (phone, browser) or a
paired dashboard device. Tokens are random, shown once, and stored only as
SHA-256 hashes. A browser session is a token of kind ``session`` whose secret
sits in Flask's signed cookie, so sessions are listed and revoked like tokens.

Views declare who may call them with :func:`require` - the one check: it
answers 401 for nobody and 403 for a device on a member-only route.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import g, request, session

from .accounts import digest
from .app import get_db
from .errors import api_error
from .events import now_iso

TOKEN_BYTES = 32
# Writing last_used_at on every request would turn every read into a write;
# once a minute per token is enough for "last used".
LAST_USED_RESOLUTION_SECONDS = 60


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


def issue_token(db, *, kind: str, name: str, couple_id: int, member_id: int | None = None,
                device_id: int | None = None) -> str:
    """Create a token inside the caller's transaction; the secret is returned once."""
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    db["tokens"].insert({
        "token_hash": digest(secret), "kind": kind, "name": name, "member_id": member_id,
        "device_id": device_id, "couple_id": couple_id, "created_at": now_iso(),
    })
    return secret


def principal_for(db, secret: str | None) -> Principal | None:
    if not secret:
        return None
    rows = list(db.query(
        "SELECT id, kind, member_id, device_id, couple_id, last_used_at FROM tokens "
        "WHERE token_hash = ? AND revoked_at IS NULL", [digest(secret)]))
    if not rows:
        return None
    row = rows[0]
    _touch(db, row)
    kind = "device" if row["kind"] == "device" else "member"
    return Principal(kind, row["couple_id"], row["id"], row["member_id"], row["device_id"])


def _touch(db, row: dict) -> None:
    last = row["last_used_at"]
    if last is None or _age_seconds(last) > LAST_USED_RESOLUTION_SECONDS:
        with db.atomic():
            db["tokens"].update(row["id"], {"last_used_at": now_iso()})


def _age_seconds(moment: str) -> float:
    return (datetime.now(timezone.utc) - datetime.fromisoformat(moment)).total_seconds()


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def current_principal(db) -> Principal | None:
    """The caller of this request: a bearer token first, else the session cookie."""
    if "principal" not in g:
        g.principal = principal_for(db, bearer_secret()) or principal_for(db, session.get("token"))
    return g.principal


def require(*, device: bool = False):
    """Decorate a view: callable by members, and by the wall screen if ``device``.

    The principal is passed as the view's first argument.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal(get_db())
            if principal is None:
                api_error(401, "unauthorized", "Sign in first: send 'Authorization: Bearer <token>'.")
            if not principal.is_member and not device:
                api_error(403, "members_only", "A dashboard device can only read what is shown on the wall.")
            return view(principal, *args, **kwargs)

        wrapper.allows_device = device
        return wrapper

    return decorator


def revoke_token(db, token_id: int) -> None:
    db["tokens"].update(token_id, {"revoked_at": now_iso()})
