"""A member's notification choices, their phones' push subscriptions and their ntfy topic.

Everything here is the member's own: only they read or change it (the API is
under ``/api/v1/me/notifications``), their export carries it and "forget me"
erases it (:func:`forget`, called by :func:`hearthside.erasure.erase`).

* **Choices**: which kinds of notification (:data:`KINDS`), through which
  channels (:data:`CHANNELS`), how much they say (:data:`DETAILS`: content-free
  unless the member chose ``detailed``) and quiet hours. A member who never
  chose gets :data:`DEFAULTS`: every kind, both channels, content-free, no
  quiet hours - and nothing is sent until they subscribe a phone or set a topic.
* **Push subscriptions**: what a browser's ``PushManager.subscribe()`` gave
  (endpoint, P-256 key, auth secret). The endpoint must be ``https``: a member
  must not be able to make the server POST to any address of the home network
  over plain http. ``notifications.loopback_http`` lets tests use
  ``http://127.0.0.1``. An endpoint belongs to one member: the browser that
  subscribes it last owns it (a tablet both partners use notifies whoever
  subscribed on it last).
* **ntfy**: a topic on the one ntfy server the admin configured
  (``notifications.ntfy_server``), with an optional access token that is
  stored but never shown again.

Quiet hours are read in the couple's time zone; a notification that falls in
them is **dropped**, not held (docs/notifications.md says why).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .database import one_row, row_or_none
from .errors import Conflict, Invalid, NotFound
from .events import now_iso
from .hook_types import NOTIFICATION_KINDS
from .webpush import check_subscription_keys

KINDS = NOTIFICATION_KINDS
KIND_LABELS = {"reminders": "Reminders of rituals", "checkins": "Check-ins ready to read together",
               "questions": "New questions on the yes / no / maybe list", "pause": "A pause starts or ends"}
DETAILS = ("content_free", "detailed")
CHANNELS = ("push", "ntfy")
DEFAULTS = {"kinds": {kind: True for kind in KINDS}, "channels": {channel: True for channel in CHANNELS},
            "detail": "content_free", "quiet_hours": None}
MAX_SUBSCRIPTIONS = 10
MAX_ENDPOINT = 1024
NTFY_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


# -- choices ------------------------------------------------------------------------------------------


def choices(db, member_id: int) -> dict:
    row = row_or_none(db, "SELECT kinds, channels, detail, quiet_start, quiet_end FROM notify_choices "
                          "WHERE member_id = ?", [member_id])
    if row is None:
        return {**DEFAULTS, "kinds": dict(DEFAULTS["kinds"]), "channels": dict(DEFAULTS["channels"])}
    on_kinds, on_channels = set(row["kinds"].split(",")), set(row["channels"].split(","))
    return {"kinds": {kind: kind in on_kinds for kind in KINDS},
            "channels": {channel: channel in on_channels for channel in CHANNELS},
            "detail": row["detail"],
            "quiet_hours": {"start": row["quiet_start"], "end": row["quiet_end"]} if row["quiet_start"] else None}


def set_choices(db, member_id: int, kinds: dict | None = None, channels: dict | None = None,
                detail: str | None = None, quiet_hours: dict | None | bool = False) -> dict:
    """Change what was given (``quiet_hours=None`` turns them off; ``False``: leave them); the new choices."""
    now = choices(db, member_id)
    now["kinds"].update(kinds or {})
    now["channels"].update(channels or {})
    if detail is not None:
        now["detail"] = detail
    if quiet_hours is not False:
        if quiet_hours and quiet_hours["start"] == quiet_hours["end"]:
            raise Invalid("invalid_field", "'quiet_hours' must end at another time than it starts.",
                          field="quiet_hours")
        now["quiet_hours"] = quiet_hours
    quiet = now["quiet_hours"] or {"start": None, "end": None}
    with db.atomic():
        db.execute("INSERT INTO notify_choices (member_id, kinds, channels, detail, quiet_start, quiet_end, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET "
                   "kinds = excluded.kinds, channels = excluded.channels, detail = excluded.detail, "
                   "quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, "
                   "updated_at = excluded.updated_at",
                   [member_id, _on(now["kinds"]), _on(now["channels"]), now["detail"], quiet["start"],
                    quiet["end"], now_iso()])
    return now


def _on(switches: dict) -> str:
    return ",".join(name for name, on in switches.items() if on)


def in_quiet_hours(quiet: dict | None, time_zone: str, now: datetime) -> bool:
    """Whether ``now`` falls in the quiet hours (start inclusive, end exclusive; 22:00-07:00 spans midnight)."""
    if not quiet:
        return False
    local = now.astimezone(ZoneInfo(time_zone)).time().replace(second=0, microsecond=0)
    start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    return start <= local < end if start < end else local >= start or local < end


# -- push subscriptions -------------------------------------------------------------------------------


def check_endpoint(endpoint: str, loopback_http: bool) -> None:
    """Invalid unless ``endpoint`` is an https URL (or, when allowed, http on a loopback address)."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if parts.scheme == "http" and loopback_http and _loopback(host):
        return
    if parts.scheme != "https" or not host or parts.username or parts.password:
        raise Invalid("invalid_field", "'endpoint' must be an https address of a push service, as the browser "
                                       "gives it.", field="endpoint")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def subscribe(db, member_id: int, endpoint: str, p256dh: str, auth: str, loopback_http: bool) -> dict:
    """Keep a browser's subscription for the member (the same endpoint again replaces its keys)."""
    check_endpoint(endpoint, loopback_http)
    try:
        check_subscription_keys(p256dh, auth)
    except ValueError as exc:
        raise Invalid("invalid_field", f"'{exc}' is not the key the browser's subscription holds.",
                      field=str(exc)) from None
    with db.atomic():
        mine = db.execute("SELECT count(*) FROM notify_push WHERE member_id = ? AND endpoint != ?",
                          [member_id, endpoint]).fetchone()[0]
        if mine >= MAX_SUBSCRIPTIONS:
            raise Conflict("too_many_subscriptions", f"You already receive notifications on {MAX_SUBSCRIPTIONS} "
                                                     "browsers; remove one you no longer use first.")
        db.execute("DELETE FROM notify_push WHERE endpoint = ?", [endpoint])  # one browser, one member
        row_id = db.execute("INSERT INTO notify_push (member_id, endpoint, p256dh, auth, created_at) "
                            "VALUES (?, ?, ?, ?, ?)", [member_id, endpoint, p256dh, auth, now_iso()]).lastrowid
    return subscription_view(one_row(db, "SELECT * FROM notify_push WHERE id = ?", [row_id], _no_subscription()))


def subscriptions(db, member_id: int) -> list[dict]:
    return [subscription_view(row) for row in db.query(
        "SELECT * FROM notify_push WHERE member_id = ? ORDER BY id", [member_id])]


def push_targets(db, member_id: int) -> list[dict]:
    """Every subscription of the member with its keys: for the sender only, never for an answer."""
    return list(db.query("SELECT id, endpoint, p256dh, auth FROM notify_push WHERE member_id = ? ORDER BY id",
                         [member_id]))


def subscription_view(row: dict) -> dict:
    """What the member sees of a subscription: its push service's host tells their devices apart."""
    return {"id": row["id"], "service": urlsplit(row["endpoint"]).hostname, "created_at": row["created_at"]}


def unsubscribe(db, member_id: int, subscription_id: int) -> None:
    with db.atomic():
        one_row(db, "SELECT id FROM notify_push WHERE id = ? AND member_id = ?", [subscription_id, member_id],
                _no_subscription())
        db.execute("DELETE FROM notify_push WHERE id = ?", [subscription_id])


def unsubscribe_endpoint(db, member_id: int, endpoint: str) -> bool:
    """Drop the member's subscription of this browser, if they hold it (the page's "turn off")."""
    with db.atomic():
        return db.execute("DELETE FROM notify_push WHERE member_id = ? AND endpoint = ?",
                          [member_id, endpoint]).rowcount > 0


def drop_gone(db, subscription_id: int) -> None:
    """The push service answered 404/410: that subscription is gone for good."""
    with db.atomic():
        db.execute("DELETE FROM notify_push WHERE id = ?", [subscription_id])


def _no_subscription() -> NotFound:
    return NotFound("no_such_subscription", "You have no push subscription with that id.")


# -- ntfy ---------------------------------------------------------------------------------------------


def ntfy_topic(db, member_id: int) -> dict | None:
    """``{"topic_url", "token"}`` for the sender, or None."""
    return row_or_none(db, "SELECT topic_url, token FROM notify_ntfy WHERE member_id = ?", [member_id])


def ntfy_view(db, member_id: int) -> dict | None:
    topic = ntfy_topic(db, member_id)
    return None if topic is None else {"topic_url": topic["topic_url"], "has_token": bool(topic["token"])}


def set_ntfy(db, member_id: int, server: str, topic_url: str, token: str | None) -> dict:
    """Keep the member's topic, which must be ``<notifications.ntfy_server>/<topic>``."""
    if not server:
        raise Conflict("ntfy_not_configured", "This server has no ntfy server set up: the admin sets "
                                              "notifications.ntfy_server first (docs/notifications.md).")
    prefix = server.rstrip("/") + "/"
    if not topic_url.startswith(prefix) or not NTFY_TOPIC.match(topic_url[len(prefix):]):
        raise Invalid("invalid_field", f"'topic_url' must be {prefix}<topic>, the topic being 1 to 64 letters, "
                                       "digits, - or _.", field="topic_url")
    with db.atomic():
        db.execute("INSERT INTO notify_ntfy (member_id, topic_url, token, created_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (member_id) DO UPDATE SET topic_url = excluded.topic_url, token = excluded.token",
                   [member_id, topic_url, token or None, now_iso()])
    return ntfy_view(db, member_id)


def clear_ntfy(db, member_id: int) -> None:
    with db.atomic():
        db.execute("DELETE FROM notify_ntfy WHERE member_id = ?", [member_id])


# -- export and forget --------------------------------------------------------------------------------


def export(db, member_id: int) -> dict:
    """The member's choices, subscriptions (with the push service they go to) and topic, tokens left out."""
    return {"choices": choices(db, member_id), "subscriptions": subscriptions(db, member_id),
            "ntfy": ntfy_view(db, member_id)}


def forget(db, member_id: int) -> None:
    """Inside the caller's transaction (:func:`hearthside.erasure.erase`)."""
    for table in ("notify_choices", "notify_push", "notify_ntfy"):
        db.execute(f"DELETE FROM {table} WHERE member_id = ?", [member_id])
