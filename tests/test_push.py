"""Notifications end to end: real events, the real sender thread, and a push service of our own on 127.0.0.1.

The local endpoint (hearthside.testing.push) checks each push's VAPID token
against the server's public key and decrypts it with the subscription's own
keys, made here as a browser makes them. What it decrypts is what a phone
would show: content-free unless the member chose detailed notifications.
"""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timezone

import pytest

from hearthside.notify_send import Message
from hearthside.plugins.rituals.reminders import JOB_ID
from hearthside.testing import FakeClock, hs_of, onboard_couple
from hearthside.testing.push import BrowserSubscription, NtfyStandIn, PushEndpoint
from hearthside.webpush import PADDED_SIZE, encrypt

CONTENT_FREE = {"title": "Hearthside", "body": "Something is waiting in Hearthside", "url": "/", "tag": "hearthside"}
RITUAL = "Zephyr walk by the canal"
CHECKIN = "Zephyr check-in"
QUESTION = "Zephyr question nobody else should read"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def world(make_app):
    app = make_app(flags={"notifications.loopback_http": True})
    ann, bob = onboard_couple(app.test_client(), "annika", "bartholomew")
    hs = hs_of(app)
    key = ann.get("/api/v1/me/notifications").json["push_key"]
    with PushEndpoint(key) as push:
        for member, name in ((ann, "ann-phone"), (bob, "bob-phone")):
            made = member.post("/api/v1/me/notifications/subscriptions", json=push.subscribe(name).as_json())
            assert made.status_code == 201, made.json
        yield app, hs, ann, bob, push
        hs.notifier.stop()


def sent(hs, push) -> dict[str, list[dict]]:
    """Once the sender is done: what each subscription received, decrypted; no push failed its checks."""
    assert hs.notifier.wait()
    assert push.problems == []
    return {name: push.received(name) for name in push.subscriptions}


def reminder_due(hs, ann, title: str = RITUAL, day: int = 4) -> None:
    """A ritual for Ann alone on that day of March 2024, reminded 30 minutes before, and the scheduler then."""
    ritual = ann.post("/api/v1/rituals", json={"template": "custom", "title": title, "start": f"2024-03-{day:02}T19:00",
                                               "rrule": None, "participants": [ann.id]})
    assert ritual.status_code == 201, ritual.json
    assert ann.put(f"/api/v1/rituals/{ritual.json['id']}/reminders", json={"offsets": [30]}).status_code == 200
    clock = FakeClock(utc(2024, 3, day, 17, 0))
    scheduler = hs.start_scheduler(clock=clock)
    try:
        clock.now = utc(2024, 3, day, 17, 30)  # 18:30 in Berlin, half an hour before
        scheduler.run_job(JOB_ID)
    finally:
        hs.scheduler.shutdown()
        hs.scheduler = None


def test_a_reminder_reaches_only_its_member_and_says_nothing_by_default(world):
    _app, hs, ann, bob, push = world
    reminder_due(hs, ann)
    received = sent(hs, push)
    assert received == {"ann-phone": [CONTENT_FREE], "bob-phone": []}  # Bob's phone hears nothing of Ann's reminder
    pushed = push.pushed[0]
    assert pushed.claims["aud"] == push.base and pushed.claims["sub"] == "mailto:hearthside@home.arpa"
    assert RITUAL not in json.dumps(push.received("ann-phone"))


def test_detailed_notifications_say_what_is_waiting_only_for_who_chose_them(world):
    _app, hs, ann, bob, push = world
    assert ann.put("/api/v1/me/notifications", json={"detail": "detailed"}).status_code == 200
    reminder_due(hs, ann)
    [message] = sent(hs, push)["ann-phone"]
    assert RITUAL in message["body"] and message["url"].startswith("/rituals/") and message["tag"] == "reminders"


def test_every_push_has_the_same_size_whatever_it_says(world):
    _app, hs, ann, bob, push = world
    ann.put("/api/v1/me/notifications", json={"detail": "detailed"})
    reminder_due(hs, ann, title="A" * 80)
    bob.post("/api/v1/pause", json={"minutes": 5})  # Ann's detailed reminder, then a pause for her too
    sent(hs, push)
    ann.put("/api/v1/me/notifications", json={"detail": "content_free"})
    bob.delete("/api/v1/pause")
    sent(hs, push)
    assert len(push.pushed) == 3 and len({pushed.size for pushed in push.pushed}) == 1


def test_a_pause_tells_the_other_partner_and_names_nobody(world):
    _app, hs, ann, bob, push = world
    bob.put("/api/v1/me/notifications", json={"detail": "detailed"})
    assert ann.post("/api/v1/pause", json={"minutes": 10}).status_code == 200
    assert ann.delete("/api/v1/pause").status_code == 200
    received = sent(hs, push)
    assert received["ann-phone"] == []  # she paused and resumed it herself
    assert [m["body"] for m in received["bob-phone"]] == ["A pause has started: take the time you need.",
                                                          "The pause is over; come back when you are ready."]
    assert not any(name in json.dumps(received) for name in ("Annika", "annika"))


def test_a_checkin_reveal_tells_the_participant_who_waited(world):
    _app, hs, ann, bob, push = world
    ann.put("/api/v1/me/notifications", json={"detail": "detailed"})
    ritual = ann.post("/api/v1/rituals", json={"template": "checkin", "title": CHECKIN, "start": "2024-03-03T19:00"})
    key = f"/api/v1/rituals/{ritual.json['id']}/occurrences/2024-03-03T19:00/checkin"
    assert ann.put(key, json={"answers": {"hard": "Zephyr answer of Annika"}}).status_code == 200
    assert bob.put(key, json={"answers": {"hard": "Zephyr answer of Bartholomew"}}).json["revealed"]
    received = sent(hs, push)
    assert received["bob-phone"] == []  # his answer completed it: he knows
    [message] = received["ann-phone"]
    assert CHECKIN in message["body"] and message["tag"] == "checkins"
    assert "answer of" not in json.dumps(received)  # the answers are read in the app, never pushed


def test_a_new_question_is_content_free_and_detailed_never_quotes_it(world):
    _app, hs, ann, bob, push = world
    bob.put("/api/v1/me/notifications", json={"detail": "detailed"})
    assert ann.post("/api/v1/matcher/items", json={"title": QUESTION}).status_code == 201
    received = sent(hs, push)
    assert received["ann-phone"] == [CONTENT_FREE]
    assert [m["body"] for m in received["bob-phone"]] == ["The yes / no / maybe list changed."]
    assert QUESTION not in json.dumps(received)


def test_a_kind_switched_off_and_a_channel_switched_off_send_nothing(world):
    _app, hs, ann, bob, push = world
    ann.put("/api/v1/me/notifications", json={"kinds": {"reminders": False}})
    bob.put("/api/v1/me/notifications", json={"channels": {"push": False}})
    reminder_due(hs, ann)
    ann.post("/api/v1/pause", json={"minutes": 10})
    assert sent(hs, push) == {"ann-phone": [], "bob-phone": []}
    ann.put("/api/v1/me/notifications", json={"kinds": {"reminders": True}})
    reminder_due(hs, ann, title="Second walk", day=5)
    assert sent(hs, push)["ann-phone"] == [CONTENT_FREE]


def test_quiet_hours_drop_a_notification_rather_than_hold_it(world):
    """18:30 in Berlin is inside 18:00-08:00: dropped, and not sent later when the hours end."""
    _app, hs, ann, bob, push = world
    ann.put("/api/v1/me/notifications", json={"quiet_hours": {"start": "18:00", "end": "08:00"}})
    reminder_due(hs, ann)
    assert sent(hs, push)["ann-phone"] == []
    ann.put("/api/v1/me/notifications", json={"quiet_hours": {"start": "08:00", "end": "18:00"}})
    reminder_due(hs, ann, title="Second walk", day=5)  # only this one: the first was not held back
    assert sent(hs, push)["ann-phone"] == [CONTENT_FREE]


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed_after_its_404_or_410(world, status):
    _app, hs, ann, bob, push = world
    push.answer("ann-phone", status)
    reminder_due(hs, ann)
    sent(hs, push)
    assert ann.get("/api/v1/me/notifications").json["subscriptions"] == []
    reminder_due(hs, ann, title="Second walk", day=5)
    assert len(sent(hs, push)["ann-phone"]) == 1  # the 404/410 was the last push it got
    assert len(bob.get("/api/v1/me/notifications").json["subscriptions"]) == 1


def test_a_failing_push_service_is_logged_without_anything_private(world, caplog):
    _app, hs, ann, bob, push = world
    ann.put("/api/v1/me/notifications", json={"detail": "detailed"})
    push.answer("ann-phone", 500)
    with caplog.at_level("INFO"):
        reminder_due(hs, ann)
        sent(hs, push)
    lines = [r.getMessage() for r in caplog.records if r.name == "hearthside.notify_send"]
    assert lines == ["Push to 127.0.0.1 failed (HTTP 500)"]
    assert len(ann.get("/api/v1/me/notifications").json["subscriptions"]) == 1  # a 500 is not "gone"


def test_the_test_button_sends_a_content_free_push(world):
    _app, hs, ann, bob, push = world
    answer = ann.post("/api/v1/me/notifications/test")
    assert answer.status_code == 202 and answer.json == {"push": 1, "ntfy": False}
    assert sent(hs, push) == {"ann-phone": [CONTENT_FREE], "bob-phone": []}


def test_ntfy_gets_the_same_content_free_text(make_app):
    with NtfyStandIn() as ntfy:
        app = make_app(flags={"notifications.ntfy_server": ntfy.base,
                              "server.base_url": "https://hearth.example:8321"})
        ann, bob = onboard_couple(app.test_client(), "annika", "bartholomew")
        hs = hs_of(app)
        topic = f"{ntfy.base}/annika-secret-topic"
        made = ann.put("/api/v1/me/notifications/ntfy", json={"topic_url": topic, "token": "tk_zephyr"})
        assert made.status_code == 200 and made.json == {"ntfy": {"topic_url": topic, "has_token": True}}
        bob.post("/api/v1/pause", json={"minutes": 5})
        assert hs.notifier.wait()
        [message] = ntfy.published
        assert message["headers"]["Authorization"] == "Bearer tk_zephyr"
        assert message["body"] == {"topic": "annika-secret-topic", "title": "Hearthside",
                                   "message": "Something is waiting in Hearthside", "tags": ["house"],
                                   "click": "https://hearth.example:8321/"}
        ann.put("/api/v1/me/notifications", json={"detail": "detailed"})
        bob.delete("/api/v1/pause")
        assert hs.notifier.wait()
        # Plain http crosses the Wi-Fi readable by anyone on it: detailed text goes to an https ntfy only.
        assert ntfy.published[1]["body"]["message"] == "Something is waiting in Hearthside"
        assert ann.delete("/api/v1/me/notifications/ntfy").status_code == 204
        bob.post("/api/v1/pause", json={"minutes": 5})
        assert hs.notifier.wait() and len(ntfy.published) == 2
        hs.notifier.stop()


def test_detailed_text_goes_to_ntfy_only_over_https():
    from hearthside.notify_send import Message, over_the_wire

    detailed = Message("Hearthside", "Weekly check-in at 19:00", "/rituals/1", "reminders")
    assert over_the_wire("https://ntfy.hearth.example/annika-7f3k2q", detailed) == detailed
    assert over_the_wire("http://hearth.local:8080/annika-7f3k2q", detailed) == Message.content_free()


@pytest.mark.parametrize("detail", ["🌙" * 300, "x" * 1500, "\u00e9" * 700])
def test_a_long_detail_is_shortened_to_fit_the_one_padded_size(detail):
    """However the detail is spelt, the payload stays under the padded size and still encrypts."""
    message = Message("Hearthside", detail, "/" + "r" * 300, "reminders")
    payload = message.push_payload()
    decoded = json.loads(payload)
    assert len(payload) < PADDED_SIZE and decoded["body"].endswith("…") and decoded["url"] == "/"
    browser = BrowserSubscription("phone", "https://127.0.0.1:1/x")
    keys = browser.as_json()["keys"]
    assert browser.decrypt(encrypt(payload, keys["p256dh"], keys["auth"])) == payload


class SilentService:
    """A push service on 127.0.0.1 that takes the connection and never answers (until released)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}/push/silent"
        self.holding, self.release = threading.Event(), threading.Event()
        threading.Thread(target=self._hold, daemon=True).start()

    def _hold(self):
        connection, _ = self.listener.accept()
        self.holding.set()
        self.release.wait()
        connection.close()

    def close(self):
        self.release.set()
        self.listener.close()


def test_sending_is_off_the_request_and_a_silent_push_service_times_out(make_app, caplog):
    app = make_app(flags={"notifications.loopback_http": True, "notifications.timeout_seconds": 2})
    ann, bob = onboard_couple(app.test_client(), "annika", "bartholomew")
    hs, silent = hs_of(app), SilentService()
    try:
        ann.post("/api/v1/me/notifications/subscriptions", json=BrowserSubscription("a", silent.endpoint).as_json())
        with caplog.at_level("WARNING"):
            assert bob.post("/api/v1/pause", json={"minutes": 5}).status_code == 200
            # Answered while the delivery is still the sender's (it cannot end before the 2 s timeout).
            assert hs.notifier.queue.unfinished_tasks == 1 and silent.holding.wait(10)
            assert hs.notifier.wait()  # the sender gives up after notifications.timeout_seconds
        assert [r.getMessage() for r in caplog.records if r.name == "hearthside.notify_send"] == \
            ["Push to 127.0.0.1 failed (TimeoutError)"]
        assert len(ann.get("/api/v1/me/notifications").json["subscriptions"]) == 1  # a timeout is not "gone"
    finally:
        silent.close()
        hs.notifier.stop()
