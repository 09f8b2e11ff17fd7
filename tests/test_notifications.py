"""The member's notification choices, subscriptions and ntfy topic: the API, its errors, who may touch them,
export, forget, the backup of the push key, and the hook plugins say what notifies through.

What is actually sent is tests/test_push.py (a push service of our own on 127.0.0.1).
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from datetime import datetime, timezone

import pytest

from hearthside.hookspecs import hookimpl
from hearthside.hook_types import Notification
from hearthside.notify import in_quiet_hours
from hearthside.testing import PASSWORD, hs_of, join_new_couple, onboard_couple, pair_device
from hearthside.testing.push import BrowserSubscription, PushEndpoint
from hearthside.webpush import VAPID_KEY_FILE

API = "/api/v1/me/notifications"
# https on a closed loopback port: should anything be sent, it never leaves this machine.
ENDPOINT = "https://127.0.0.1:1/annika-phone-capability"


def phone(endpoint: str = ENDPOINT) -> dict:
    return BrowserSubscription("phone", endpoint).as_json()


@pytest.fixture
def world(make_app):
    app = make_app()
    client = app.test_client()
    ann, bob = onboard_couple(client, "annika", "bartholomew")
    cat, _dan = join_new_couple(client, ann)
    return app, ann, bob, cat, pair_device(ann)


def error_of(answer) -> str:
    return answer.json["error"]["code"]


# -- choices ------------------------------------------------------------------------------------------


def test_a_member_starts_content_free_with_everything_on_and_changes_only_what_they_send(world):
    _app, ann, bob, _cat, _wall = world
    first = ann.get(API).json
    assert first["choices"] == {"kinds": {"reminders": True, "checkins": True, "questions": True, "pause": True},
                                "channels": {"push": True, "ntfy": True}, "detail": "content_free",
                                "quiet_hours": None}
    assert [k["kind"] for k in first["kinds"]] == ["reminders", "checkins", "questions", "pause"]
    assert first["subscriptions"] == [] and first["ntfy"] is None and first["ntfy_server"] == ""
    assert len(first["push_key"]) == 87  # a P-256 point, base64url
    changed = ann.put(API, json={"kinds": {"pause": False}, "quiet_hours": {"start": "22:00", "end": "07:00"}})
    assert changed.status_code == 200
    assert changed.json["choices"]["kinds"]["pause"] is False and changed.json["choices"]["kinds"]["reminders"]
    again = ann.put(API, json={"detail": "detailed"}).json["choices"]
    assert again["quiet_hours"] == {"start": "22:00", "end": "07:00"} and again["kinds"]["pause"] is False
    assert ann.put(API, json={"quiet_hours": None}).json["choices"]["quiet_hours"] is None
    assert bob.get(API).json["choices"]["detail"] == "content_free"  # Ann's choices are hers alone


@pytest.mark.parametrize("body, code, field", [
    ({"detail": "everything"}, "invalid_field", "detail"),
    ({"kinds": {"gossip": True}}, "unknown_field", "gossip"),
    ({"kinds": {"pause": "yes"}}, "invalid_field", "pause"),
    ({"channels": {"sms": True}}, "unknown_field", "sms"),
    ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "invalid_field", "start"),
    ({"quiet_hours": {"start": "22:00"}}, "invalid_field", "end"),
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "invalid_field", "quiet_hours"),
    ({"sound": True}, "unknown_field", "sound"),
])
def test_bad_choices_are_a_400_naming_the_field_and_change_nothing(world, body, code, field):
    _app, ann, _bob, _cat, _wall = world
    before = ann.get(API).json["choices"]
    answer = ann.put(API, json=body)
    assert answer.status_code == 400 and error_of(answer) == code and field in answer.json["error"]["message"]
    assert ann.get(API).json["choices"] == before


def test_quiet_hours_span_midnight_in_the_couples_zone():
    quiet = {"start": "22:00", "end": "07:00"}
    at = lambda hour, minute=0: datetime(2024, 7, 1, hour, minute, tzinfo=timezone.utc)  # Berlin is UTC+2
    assert in_quiet_hours(quiet, "Europe/Berlin", at(20)) and in_quiet_hours(quiet, "Europe/Berlin", at(4, 59))
    assert not in_quiet_hours(quiet, "Europe/Berlin", at(5)) and not in_quiet_hours(quiet, "Europe/Berlin", at(19, 59))
    assert in_quiet_hours({"start": "09:00", "end": "17:00"}, "UTC", at(9))
    assert not in_quiet_hours({"start": "09:00", "end": "17:00"}, "UTC", at(17))
    assert not in_quiet_hours(None, "UTC", at(3))


# -- subscriptions and ntfy ---------------------------------------------------------------------------


def test_a_subscription_shows_its_push_service_never_its_endpoint_or_keys(world):
    _app, ann, _bob, _cat, _wall = world
    sent = phone()
    made = ann.post(f"{API}/subscriptions", json=sent)
    assert made.status_code == 201 and made.json["service"] == "127.0.0.1"
    again = ann.post(f"{API}/subscriptions", json=phone())  # the same browser again: replaced, not doubled
    assert again.status_code == 201
    listed = ann.get(API)
    assert [s["service"] for s in listed.json["subscriptions"]] == ["127.0.0.1"]
    body = listed.get_data(as_text=True)
    assert "annika-phone-capability" not in body and sent["keys"]["auth"] not in body
    assert ann.delete(f"{API}/subscriptions/{again.json['id']}").status_code == 204
    assert ann.get(API).json["subscriptions"] == []


@pytest.mark.parametrize("endpoint", [
    "http://push.invalid/x",  # plain http
    "http://192.168.1.1/admin",  # the router, over plain http
    "http://127.0.0.1:8080/x",  # loopback too, unless notifications.loopback_http
    "https://user:secret@push.invalid/x",
    "ftp://push.invalid/x",
    "push.invalid/x",
])
def test_an_endpoint_that_is_not_https_is_refused(world, endpoint):
    _app, ann, _bob, _cat, _wall = world
    answer = ann.post(f"{API}/subscriptions", json=phone(endpoint))
    assert answer.status_code == 400 and error_of(answer) == "invalid_field"
    assert "'endpoint'" in answer.json["error"]["message"] and ann.get(API).json["subscriptions"] == []


def test_loopback_http_is_accepted_only_when_the_setting_allows_it(make_app):
    app = make_app(flags={"notifications.loopback_http": True})
    ann, _bob = onboard_couple(app.test_client())
    assert ann.post(f"{API}/subscriptions", json=phone("http://127.0.0.1:9/push/x")).status_code == 201
    refused = ann.post(f"{API}/subscriptions", json=phone("http://192.168.1.1/push/x"))
    assert refused.status_code == 400  # the home network stays out, setting or not


@pytest.mark.parametrize("keys, field", [
    ({"p256dh": "not-a-key", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "keys.p256dh"),
    ({"p256dh": None, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "p256dh"),
    ({"auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "p256dh"),
    ("valid", "keys.auth"),
])
def test_keys_that_are_not_a_browsers_are_refused(world, keys, field):
    _app, ann, _bob, _cat, _wall = world
    body = phone()
    body["keys"] = {"p256dh": body["keys"]["p256dh"], "auth": "c2hvcnQ"} if keys == "valid" else keys
    answer = ann.post(f"{API}/subscriptions", json=body)
    assert answer.status_code == 400 and field in answer.json["error"]["message"]
    assert ann.get(API).json["subscriptions"] == []


def test_ten_browsers_at_most(world):
    _app, ann, _bob, _cat, _wall = world
    for number in range(10):
        assert ann.post(f"{API}/subscriptions", json=phone(f"{ENDPOINT}-{number}")).status_code == 201
    refused = ann.post(f"{API}/subscriptions", json=phone(f"{ENDPOINT}-10"))
    assert refused.status_code == 409 and error_of(refused) == "too_many_subscriptions"
    assert ann.post(f"{API}/subscriptions", json=phone(f"{ENDPOINT}-3")).status_code == 201  # one of the ten again


def test_a_browser_belongs_to_the_member_who_subscribed_it_last(world):
    """A tablet both use: Bob signs in and turns notifications on; Ann's subscription of it goes."""
    _app, ann, bob, _cat, _wall = world
    ann.post(f"{API}/subscriptions", json=phone())
    assert bob.post(f"{API}/subscriptions", json=phone()).status_code == 201
    assert ann.get(API).json["subscriptions"] == [] and len(bob.get(API).json["subscriptions"]) == 1


def test_unsubscribing_by_endpoint_touches_only_the_callers_own(world):
    _app, ann, bob, _cat, _wall = world
    ann.post(f"{API}/subscriptions", json=phone())
    assert bob.post(f"{API}/unsubscribe", json={"endpoint": ENDPOINT}).json == {"removed": False}
    assert len(ann.get(API).json["subscriptions"]) == 1
    assert ann.post(f"{API}/unsubscribe", json={"endpoint": ENDPOINT}).json == {"removed": True}
    assert ann.post(f"{API}/unsubscribe", json={}).status_code == 400


def test_removing_a_subscription_that_is_not_yours_is_a_404(world):
    _app, ann, bob, cat, _wall = world
    mine = ann.post(f"{API}/subscriptions", json=phone()).json["id"]
    for caller in (bob, cat):
        answer = caller.delete(f"{API}/subscriptions/{mine}")
        assert answer.status_code == 404 and error_of(answer) == "no_such_subscription"
    assert ann.delete(f"{API}/subscriptions/{mine + 1}").status_code == 404
    assert len(ann.get(API).json["subscriptions"]) == 1


def test_ntfy_needs_the_servers_ntfy_and_a_topic_on_it(make_app):
    app = make_app(flags={"notifications.ntfy_server": "http://127.0.0.1:9"})
    ann, _bob = onboard_couple(app.test_client())
    for url in ("http://192.168.1.1/topic", "http://127.0.0.1:9/", "http://127.0.0.1:9/a/b",
                "http://127.0.0.1:9/topic?x=1", "http://127.0.0.1:99/topic"):
        answer = ann.put(f"{API}/ntfy", json={"topic_url": url})
        assert answer.status_code == 400 and "'topic_url'" in answer.json["error"]["message"], url
    bad_token = ann.put(f"{API}/ntfy", json={"topic_url": "http://127.0.0.1:9/t", "token": "tk zephyr"})
    assert bad_token.status_code == 400 and "'token'" in bad_token.json["error"]["message"]
    assert ann.put(f"{API}/ntfy", json={}).status_code == 400
    assert ann.get(API).json["ntfy"] is None
    made = ann.put(f"{API}/ntfy", json={"topic_url": "http://127.0.0.1:9/annika_1"})
    assert made.json == {"ntfy": {"topic_url": "http://127.0.0.1:9/annika_1", "has_token": False}}


def test_ntfy_is_refused_while_the_server_has_none(world):
    _app, ann, _bob, _cat, _wall = world
    answer = ann.put(f"{API}/ntfy", json={"topic_url": "http://127.0.0.1:9/t"})
    assert answer.status_code == 409 and error_of(answer) == "ntfy_not_configured"


def test_the_test_notification_needs_a_channel(world):
    _app, ann, _bob, _cat, _wall = world
    answer = ann.post(f"{API}/test")
    assert answer.status_code == 409 and error_of(answer) == "no_channel"
    ann.post(f"{API}/subscriptions", json=phone())
    ann.put(API, json={"channels": {"push": False}})
    assert ann.post(f"{API}/test").status_code == 409


# -- who may touch them -------------------------------------------------------------------------------


def test_nobody_and_the_wall_are_refused_every_route(world):
    app, ann, _bob, _cat, wall = world
    client = app.test_client()
    routes = [("GET", API), ("PUT", API), ("POST", f"{API}/subscriptions"), ("POST", f"{API}/unsubscribe"),
              ("DELETE", f"{API}/subscriptions/1"), ("PUT", f"{API}/ntfy"), ("DELETE", f"{API}/ntfy"),
              ("POST", f"{API}/test")]
    for method, path in routes:
        kwargs = {} if method == "GET" else {"json": {}}
        assert client.open(path, method=method, **kwargs).status_code == 401, (method, path)
        assert client.open(path, method=method, headers=wall.headers, **kwargs).status_code == 403, (method, path)


def test_the_partner_and_another_couple_see_only_their_own(world):
    _app, ann, bob, cat, _wall = world
    ann.put(API, json={"detail": "detailed", "quiet_hours": {"start": "21:13", "end": "06:47"}})
    ann.post(f"{API}/subscriptions", json=phone())
    for other in (bob, cat):
        seen = other.get(API)
        text = seen.get_data(as_text=True)
        assert seen.json["subscriptions"] == [] and seen.json["choices"]["detail"] == "content_free"
        assert "21:13" not in text and "annika-phone-capability" not in text


# -- export, forget, backup ---------------------------------------------------------------------------


def test_export_carries_the_choices_and_forget_erases_them(world):
    app, ann, bob, _cat, _wall = world
    ann.put(API, json={"kinds": {"questions": False}})
    ann.post(f"{API}/subscriptions", json=phone())
    bob.post(f"{API}/subscriptions", json=phone("https://127.0.0.1:1/bob"))
    exported = ann.get("/api/v1/me/export").json["core"]["notifications"]
    assert exported["choices"]["kinds"]["questions"] is False
    assert [s["service"] for s in exported["subscriptions"]] == ["127.0.0.1"]
    assert "annika-phone-capability" not in json.dumps(exported)
    forgot = ann.post("/api/v1/me/forget", json={"password": PASSWORD,
                                                  "confirm": "forget my data"})
    assert forgot.status_code == 200, forgot.json
    with hs_of(app).storage.connection() as db:
        for table in ("notify_choices", "notify_push", "notify_ntfy"):
            assert db.execute(f"SELECT count(*) FROM {table} WHERE member_id = ?", [ann.id]).fetchone()[0] == 0
    assert len(bob.get(API).json["subscriptions"]) == 1


def test_the_push_key_is_private_and_goes_into_backup_bundles(world, data_dir, tmp_path):
    from hearthside.backups import write_bundle

    app, ann, _bob, _cat, _wall = world
    key = ann.get(API).json["push_key"]
    path = data_dir / VAPID_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert ann.get(API).json["push_key"] == key  # made once
    bundle = write_bundle(hs_of(app), tmp_path / "b.hsb")
    with zipfile.ZipFile(bundle) as archive:
        assert json.loads(archive.read("manifest.json"))["keys"][VAPID_KEY_FILE] == "core"
        assert archive.read(VAPID_KEY_FILE) == path.read_bytes()


# -- the hook -----------------------------------------------------------------------------------------


class Telling:
    """A third-party plugin that asks to tell both members of the couple about a private event."""

    HEARTHSIDE_API = ">=1.5,<2"

    @hookimpl
    def hearthside_notifications(self, hs, db, event):
        if event.type != "tokens.revoked":
            return []
        couple = [m["id"] for m in db.query("SELECT id FROM members WHERE couple_id = ?", [event.couple_id])]
        return [Notification("reminders", tuple(couple), "Zephyr private text")]


class Careless:
    HEARTHSIDE_API = ">=1.5,<2"

    @hookimpl
    def hearthside_notifications(self, hs, db, event):
        return [Notification("gossip", (1,), "x")] if event.type == "tokens.revoked" else []


def revoke_a_token(member) -> None:
    made = member.post("/api/v1/tokens", json={"name": "old laptop"}).json["id"]
    assert member.delete(f"/api/v1/tokens/{made}").status_code == 204


def test_a_plugin_cannot_notify_a_member_who_may_not_see_the_event(make_app, caplog):
    app = make_app(flags={"notifications.loopback_http": True}, extra_plugins={"telling": Telling()})
    ann, bob = onboard_couple(app.test_client())
    hs = hs_of(app)
    with PushEndpoint(ann.get(API).json["push_key"]) as push:
        for member, name in ((ann, "ann"), (bob, "bob")):
            member.post(f"{API}/subscriptions", json=push.subscribe(name).as_json())
            member.put(API, json={"detail": "detailed"})
        with caplog.at_level("WARNING"):
            revoke_a_token(ann)  # tokens.revoked: private to Ann
            assert hs.notifier.wait()
        assert push.problems == [] and push.received("bob") == []
        assert [m["body"] for m in push.received("ann")] == ["Zephyr private text"]
        assert any("may not see its tokens.revoked event" in r.getMessage() for r in caplog.records)
        assert "Zephyr" not in caplog.text
        hs.notifier.stop()


def test_a_notification_of_an_unknown_kind_fails_the_plugin(make_app):
    app = make_app(extra_plugins={"careless": Careless()})
    ann, _bob = onboard_couple(app.test_client())
    revoke_a_token(ann)
    report = {row["name"]: row for row in hs_of(app).plugins.report()}
    assert report["careless"]["state"] == "failed"
    assert "hearthside_notifications returned a Notification whose 'kind'" in report["careless"]["error"]
