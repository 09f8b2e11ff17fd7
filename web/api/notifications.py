"""``/api/v1/me/notifications``: the member's own notification choices, push subscriptions and ntfy topic.

Only the member reads or changes any of it: every route acts on the caller's
own rows (there is no member id in any URL), the wall screen is refused, and
a subscription id of someone else's is a 404 like one that does not exist.
The domain is :mod:`hearthside.notify`; sending is :mod:`hearthside.notify_send`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from flask import jsonify

from hearthside import notify
from hearthside.auth import require
from hearthside.declare import (BOOLEAN, INTEGER, STRING, TIMESTAMP, UNSET, Body, Text, UnsetType, answer, declare,
                                error, obj)
from hearthside.errors import Conflict
from hearthside.notify_send import Message, ntfy_server, targets
from hearthside.request_context import current_hs, get_db
from hearthside.webpush import b64url, public_key_bytes

from . import api

TAGS = ["notifications"]
HHMM = Text(5, pattern=r"([01]\d|2[0-3]):[0-5]\d", pattern_says="must be a time of day like 22:00")
SWITCHES = {"type": "object", "additionalProperties": BOOLEAN}
CHOICES = obj({"kinds": SWITCHES, "channels": SWITCHES, "detail": {"type": "string", "enum": list(notify.DETAILS)},
               "quiet_hours": {"type": ["object", "null"], "properties": {"start": STRING, "end": STRING}}},
              ["kinds", "channels", "detail", "quiet_hours"])
SUBSCRIPTION = obj({"id": INTEGER, "service": STRING, "created_at": TIMESTAMP}, ["id", "service", "created_at"])
NTFY = {"type": ["object", "null"], "properties": {"topic_url": STRING, "has_token": BOOLEAN}}
SETTINGS = obj({"choices": CHOICES, "kinds": {"type": "array", "items": obj({"kind": STRING, "label": STRING})},
                "subscriptions": {"type": "array", "items": SUBSCRIPTION}, "ntfy": NTFY,
                "ntfy_server": STRING, "push_key": STRING},
               ["choices", "kinds", "subscriptions", "ntfy", "ntfy_server", "push_key"])
MEMBER_ONLY = error("Not signed in (401), or a wall screen (403)")


class Kinds(Body):
    reminders: bool | UnsetType = UNSET
    checkins: bool | UnsetType = UNSET
    questions: bool | UnsetType = UNSET
    pause: bool | UnsetType = UNSET


class Channels(Body):
    push: bool | UnsetType = UNSET
    ntfy: bool | UnsetType = UNSET


class QuietHours(Body):
    """From ``start`` to ``end`` (22:00 to 07:00 spans midnight), in the couple's time zone."""

    start: HHMM
    end: HHMM


class Choices(Body):
    """Change any of the choices; what is left out stays. ``quiet_hours: null`` turns them off."""

    kinds: Kinds | UnsetType = UNSET
    channels: Channels | UnsetType = UNSET
    detail: Literal[notify.DETAILS] | UnsetType = UNSET
    quiet_hours: QuietHours | None | UnsetType = UNSET


class SubscriptionKeys(Body):
    p256dh: Annotated[str, msgspec.Meta(max_length=200)]
    auth: Annotated[str, msgspec.Meta(max_length=100)]


class Subscription(Body):
    """What ``PushSubscription.toJSON()`` gives (``expirationTime`` is accepted and not kept)."""

    endpoint: Annotated[str, msgspec.Meta(min_length=1, max_length=notify.MAX_ENDPOINT)]
    keys: SubscriptionKeys
    expirationTime: int | None = None


class Endpoint(Body):
    endpoint: Annotated[str, msgspec.Meta(min_length=1, max_length=notify.MAX_ENDPOINT)]


class NtfyTopic(Body):
    topic_url: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    token: Text(200, pattern=r"[A-Za-z0-9_.-]+", pattern_says="must be an ntfy access token (tk_...)") | None = None


def settings(member_id: int) -> dict:
    db, hs = get_db(), current_hs()
    return {"choices": notify.choices(db, member_id),
            "kinds": [{"kind": kind, "label": notify.KIND_LABELS[kind]} for kind in notify.KINDS],
            "subscriptions": notify.subscriptions(db, member_id), "ntfy": notify.ntfy_view(db, member_id),
            "ntfy_server": ntfy_server(hs), "push_key": b64url(public_key_bytes(hs.notifier.public_key()))}


def _given(value) -> dict:
    return {} if value is UNSET else {name: on for name, on in msgspec.structs.asdict(value).items()
                                      if on is not UNSET}


@api.get("/me/notifications")
@require()
@declare("The caller's notification choices, subscriptions, ntfy topic and the server's push key", tags=TAGS,
         responses={"200": answer("Everything the Notifications page shows", SETTINGS), "401": MEMBER_ONLY})
def my_notifications(principal):
    return jsonify(settings(principal.member_id))


@api.put("/me/notifications")
@require()
@declare("Change the caller's notification choices", body=Choices, tags=TAGS,
         responses={"200": answer("The choices now", obj({"choices": CHOICES}, ["choices"])),
                    "400": error("A bad value (the message names the field)"), "401": MEMBER_ONLY})
def change_my_notifications(principal, body: Choices):
    quiet = False if body.quiet_hours is UNSET else (
        None if body.quiet_hours is None else {"start": body.quiet_hours.start, "end": body.quiet_hours.end})
    chosen = notify.set_choices(get_db(), principal.member_id, kinds=_given(body.kinds),
                                channels=_given(body.channels), detail=None if body.detail is UNSET else body.detail,
                                quiet_hours=quiet)
    return jsonify({"choices": chosen})


@api.post("/me/notifications/subscriptions")
@require()
@declare("Receive Web Push notifications on this browser", body=Subscription, tags=TAGS,
         responses={"201": answer("The subscription", SUBSCRIPTION),
                    "400": error("An endpoint that is not https, or keys that are not a browser's"),
                    "409": error("Already ten browsers"), "401": MEMBER_ONLY})
def subscribe(principal, body: Subscription):
    loopback = current_hs().config["notifications.loopback_http"]
    made = notify.subscribe(get_db(), principal.member_id, body.endpoint, body.keys.p256dh, body.keys.auth, loopback)
    return jsonify(made), 201


@api.post("/me/notifications/unsubscribe")
@require()
@declare("Stop Web Push notifications on the browser with this endpoint", body=Endpoint, tags=TAGS,
         responses={"200": answer("Whether the caller had it", obj({"removed": BOOLEAN}, ["removed"])),
                    "401": MEMBER_ONLY})
def unsubscribe_browser(principal, body: Endpoint):
    return jsonify({"removed": notify.unsubscribe_endpoint(get_db(), principal.member_id, body.endpoint)})


@api.delete("/me/notifications/subscriptions/<int:subscription_id>")
@require()
@declare("Remove one of the caller's push subscriptions", tags=TAGS,
         responses={"204": answer("Removed"), "404": error("No such subscription of the caller's"),
                    "401": MEMBER_ONLY})
def remove_subscription(principal, subscription_id: int):
    notify.unsubscribe(get_db(), principal.member_id, subscription_id)
    return "", 204


@api.put("/me/notifications/ntfy")
@require()
@declare("Send the caller's notifications to a topic on the house's ntfy server", body=NtfyTopic, tags=TAGS,
         responses={"200": answer("The topic (the token is never shown again)", obj({"ntfy": NTFY}, ["ntfy"])),
                    "400": error("A topic URL outside notifications.ntfy_server"),
                    "409": error("No ntfy server is set up"), "401": MEMBER_ONLY})
def set_ntfy(principal, body: NtfyTopic):
    topic = notify.set_ntfy(get_db(), principal.member_id, ntfy_server(current_hs()), body.topic_url, body.token)
    return jsonify({"ntfy": topic})


@api.delete("/me/notifications/ntfy")
@require()
@declare("Stop sending the caller's notifications to ntfy", tags=TAGS,
         responses={"204": answer("No topic any more"), "401": MEMBER_ONLY})
def clear_ntfy(principal):
    notify.clear_ntfy(get_db(), principal.member_id)
    return "", 204


@api.post("/me/notifications/test")
@require()
@declare("Send a content-free test notification to every channel of the caller's", tags=TAGS,
         responses={"202": answer("Queued", obj({"push": INTEGER, "ntfy": BOOLEAN}, ["push", "ntfy"])),
                    "409": error("No channel set up and switched on"), "401": MEMBER_ONLY})
def test_notification(principal):
    hs = current_hs()
    delivery = targets(hs, get_db(), principal.member_id, Message.content_free())
    if delivery is None:
        raise Conflict("no_channel", "Nothing to send to: turn notifications on in a browser, or set an ntfy "
                                     "topic, and leave that channel switched on.")
    hs.notifier.put(delivery)
    return jsonify({"push": len(delivery.push), "ntfy": delivery.ntfy is not None}), 202
