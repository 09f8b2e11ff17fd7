"""Each member's own rituals settings: quiet hours and the calendar feed's secret.

Both are private to the member: the partner never sees when the other's
quiet hours are, nor their feed. The feed secret is shown once when made and
stored only as a SHA-256 hash (like the core's tokens), so a copied database
or backup does not open anyone's calendar.
"""

from __future__ import annotations

import secrets

from hearthside.plugin_api import emit, row_or_none, utc_now

from .ical import digest
from .model import utc_iso


def _row(db, member_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM rituals_member_settings WHERE member_id = ?", [member_id])


def _ensure(db, principal) -> None:
    if _row(db, principal.member_id) is None:
        db["rituals_member_settings"].insert({"member_id": principal.member_id, "couple_id": principal.couple_id})


def describe(db, member_id: int) -> dict:
    row = _row(db, member_id) or {}
    quiet = ({"start": row["quiet_start"], "end": row["quiet_end"]}
             if row.get("quiet_start") and row.get("quiet_end") else None)
    return {"quiet_hours": quiet,
            "feed": {"active": bool(row.get("feed_hash")), "created_at": row.get("feed_created_at")}}


def set_quiet_hours(db, principal, quiet: dict | None) -> dict:
    with db.atomic():
        _ensure(db, principal)
        db["rituals_member_settings"].update(principal.member_id, {
            "quiet_start": quiet["start"] if quiet else None, "quiet_end": quiet["end"] if quiet else None})
        text = (f"Your quiet hours are {quiet['start']}–{quiet['end']}: reminders wait until they end."
                if quiet else "Your quiet hours are off.")
        emit(db, "rituals.settings_changed", principal.couple_id, {"summary": text}, visibility="private",
             audience_id=principal.member_id, actor_id=principal.member_id)
    return describe(db, principal.member_id)


def new_feed(db, principal) -> str:
    """Make (or remake) the member's feed secret; any earlier URL stops working at once."""
    secret = secrets.token_urlsafe(32)
    with db.atomic():
        _ensure(db, principal)
        db["rituals_member_settings"].update(principal.member_id, {
            "feed_hash": digest(secret), "feed_created_at": utc_iso(utc_now())})
        emit(db, "rituals.feed_changed", principal.couple_id,
             {"active": True, "summary": "You made a new calendar feed link; any older link stopped working."},
             visibility="private", audience_id=principal.member_id, actor_id=principal.member_id)
    return secret


def revoke_feed(db, principal) -> dict:
    with db.atomic():
        _ensure(db, principal)
        db["rituals_member_settings"].update(principal.member_id, {"feed_hash": None, "feed_created_at": None})
        emit(db, "rituals.feed_changed", principal.couple_id,
             {"active": False, "summary": "You turned your calendar feed off; its link no longer works."},
             visibility="private", audience_id=principal.member_id, actor_id=principal.member_id)
    return describe(db, principal.member_id)


def feed_owner(db, secret: str) -> dict | None:
    """The member whose feed this secret opens (member_id, couple_id), or None."""
    if not secret or len(secret) > 100:
        return None
    return row_or_none(db, "SELECT member_id, couple_id FROM rituals_member_settings WHERE feed_hash = ?",
                           [digest(secret)])
