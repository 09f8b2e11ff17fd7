"""Sessions: planning (standalone and on a calendar plugin), the traffic light, red and the pause."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from touch_testing import API, events_after, last_event_id, ok, only_touch, refused, snapshot

from hearthside.plugin_api import hookimpl
from hearthside.testing import couple_id_of, hs_of, listen, onboard_couple


def tomorrow_evening(zone="Europe/Berlin") -> datetime:
    local = datetime.now(ZoneInfo(zone)) + timedelta(days=1)
    return local.replace(hour=20, minute=0, second=0, microsecond=0)


# -- planning -------------------------------------------------------------------------------


def test_planning_standalone_in_the_couples_time_zone(app, couple):
    ann, bob = couple
    when = tomorrow_evening()
    planned = ok(ann.post(f"{API}/sessions", json={"planned_for": when.strftime("%Y-%m-%dT%H:%M")}), 201)["session"]
    assert planned["status"] == "planned" and planned["on_calendar"] is False and planned["duration_minutes"] == 60
    assert datetime.fromisoformat(planned["planned_for"]) == when  # read in Europe/Berlin, stored in UTC
    with_offset = ok(bob.post(f"{API}/sessions", json={"planned_for": when.isoformat(), "duration_minutes": 45}),
                     201)["session"]
    assert with_offset["planned_for"] == planned["planned_for"]
    upcoming = ok(bob.get(f"{API}/sessions"))["upcoming"]
    assert [s["id"] for s in upcoming] == [planned["id"], with_offset["id"]]
    cancelled = ok(bob.post(f"{API}/sessions/cancel", json={"session_id": planned["id"]}))["session"]
    assert cancelled["status"] == "cancelled"
    assert [s["id"] for s in ok(ann.get(f"{API}/sessions"))["upcoming"]] == [with_offset["id"]]


def test_bad_plans_are_refused_and_nothing_is_stored(app, couple):
    ann, _bob = couple
    past = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    far = (datetime.now(timezone.utc) + timedelta(days=120)).isoformat()
    when = tomorrow_evening().isoformat()
    for body in ({}, {"planned_for": "tonight"}, {"planned_for": tomorrow_evening().date().isoformat()}, {"planned_for": 20},
                 {"planned_for": past}, {"planned_for": far},
                 {"planned_for": when, "duration_minutes": 5}, {"planned_for": when, "duration_minutes": "60"},
                 {"planned_for": when, "duration_minutes": 1000}):
        refused(app, lambda: ann.post(f"{API}/sessions", json=body), 400, "invalid_field")
    refused(app, lambda: ann.post(f"{API}/sessions"), 400, "body_required")
    refused(app, lambda: ann.post(f"{API}/sessions/cancel", json={"session_id": 999}), 404, "unknown_session")
    refused(app, lambda: ann.post(f"{API}/sessions/cancel", json={"session_id": "1"}), 400, "invalid_field")
    ok(ann.post(f"{API}/session", json={}), 201)
    running_id = ok(ann.get(f"{API}/session"))["session"]["id"]
    refused(app, lambda: ann.post(f"{API}/sessions/cancel", json={"session_id": running_id}), 409, "not_planned")


class FakeCalendar:
    """Stands in for the rituals plugin: implements hearthside_calendar_entry and remembers what it was told."""

    def __init__(self):
        self.entries = []

    @hookimpl
    def hearthside_calendar_entry(self, hs, db, couple_id, entry):
        with db.atomic():  # the documented way: a savepoint inside the caller's transaction
            self.entries.append((couple_id, dict(entry)))
        return True


def test_a_calendar_plugin_gets_each_plan_through_the_hook_with_a_discreet_title(make_app):
    calendar = FakeCalendar()
    app = make_app(extra_plugins={"fakecal": calendar}, flags=only_touch())
    ann, bob = onboard_couple(app.test_client())
    couple_id = couple_id_of(app, ann.id)
    when = tomorrow_evening()
    planned = ok(ann.post(f"{API}/sessions", json={"planned_for": when.isoformat()}), 201)["session"]
    assert planned["on_calendar"] is True
    (cid, entry), = calendar.entries
    assert cid == couple_id
    assert entry == {"source": "touch", "key": f"session-{planned['id']}", "status": "planned",
                     "title": "Time together", "start": planned["planned_for"], "duration_minutes": 60,
                     "participants": [ann.id, bob.id]}
    # Started and ended: the calendar hears it happened.
    ok(bob.post(f"{API}/session", json={"session_id": planned["id"]}), 201)
    ok(bob.delete(f"{API}/session"))
    assert calendar.entries[-1][1]["status"] == "done" and calendar.entries[-1][1]["key"] == entry["key"]
    # Cancelled: the calendar drops it.
    other = ok(ann.post(f"{API}/sessions", json={"planned_for": when.isoformat()}), 201)["session"]
    ok(bob.post(f"{API}/sessions/cancel", json={"session_id": other["id"]}))
    assert calendar.entries[-1][1]["status"] == "cancelled"
    assert calendar.entries[-1][1]["key"] == f"session-{other['id']}"
    # The title never carries the phase or anything intimate.
    assert {e["title"] for _c, e in calendar.entries} == {"Time together"}


def test_with_the_rituals_plugin_a_planned_session_is_on_the_couples_calendar(make_app):
    """The real thing: rituals implements the hook, so planned sessions carry its reminders and feed."""
    app = make_app()
    if "rituals" not in hs_of(app).plugins.implementers("hearthside_calendar_entry"):
        pytest.skip("the rituals plugin is not installed or does not implement hearthside_calendar_entry")
    ann, bob = onboard_couple(app.test_client())
    planned = ok(ann.post(f"{API}/sessions", json={"planned_for": tomorrow_evening().isoformat()}), 201)["session"]
    assert planned["on_calendar"] is True
    # In the calendar feed its alarms say what the event says - the discreet title - and nothing more.
    feed = ok(ann.post("/api/v1/rituals/feed"), 201)["path"]
    text = app.test_client().get(feed).get_data(as_text=True)
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Time together"
    assert {str(alarm["DESCRIPTION"]) for alarm in event.walk("VALARM")} == {"Time together"}
    assert "Being close" not in text and "touch" not in text.lower()
    assert ok(bob.post(f"{API}/sessions/cancel", json={"session_id": planned["id"]}))["session"]["on_calendar"] is True


def test_the_calendar_title_is_configurable(make_app):
    calendar = FakeCalendar()
    app = make_app(extra_plugins={"fakecal": calendar}, flags={**only_touch(), "plugins.touch.calendar_title": "Us"})
    ann, _bob = onboard_couple(app.test_client())
    ok(ann.post(f"{API}/sessions", json={"planned_for": tomorrow_evening().isoformat()}), 201)
    assert calendar.entries[0][1]["title"] == "Us"


# -- running --------------------------------------------------------------------------------


def test_start_a_planned_session_end_it_and_the_rules_around_it(app, couple):
    ann, bob = couple
    planned = ok(ann.post(f"{API}/sessions", json={"planned_for": tomorrow_evening().isoformat()}), 201)["session"]
    started = ok(bob.post(f"{API}/session", json={"session_id": planned["id"]}), 201)
    assert started["session"]["id"] == planned["id"] and started["session"]["status"] == "running"
    assert started["session"]["phase"] == {"key": "presence", "name": "Being close", "level": 1}
    assert started["signals"] == {str(ann.id): "green", str(bob.id): "green"}
    refused(app, lambda: ann.post(f"{API}/session", json={}), 409, "session_running")
    ended = ok(ann.delete(f"{API}/session"))["session"]
    assert ended["status"] == "ended" and ended["end_reason"] == "ended"
    assert ok(bob.get(f"{API}/session")) == {"session": None, "signals": {}}
    refused(app, lambda: ann.delete(f"{API}/session"), 409, "no_session")
    refused(app, lambda: ann.post(f"{API}/session/signal", json={"signal": "yellow"}), 409, "no_session")
    refused(app, lambda: ann.post(f"{API}/session", json={"session_id": planned["id"]}), 409, "not_planned")
    refused(app, lambda: ann.post(f"{API}/session", json={"session_id": 12345}), 404, "unknown_session")
    refused(app, lambda: ann.post(f"{API}/session", json={"session_id": True}), 400, "invalid_field")
    ok(ann.post("/api/v1/pause", json={"minutes": 5}))
    refused(app, lambda: ann.post(f"{API}/session", json={}), 409, "paused")


def test_bad_signals_are_refused(app, couple):
    ann, _bob = couple
    ok(ann.post(f"{API}/session"), 201)  # no body at all is fine for starting
    for body in ({}, {"signal": "blue"}, {"signal": 1}, {"signal": None}):
        refused(app, lambda: ann.post(f"{API}/session/signal", json=body), 400, "invalid_field")
    refused(app, lambda: ann.post(f"{API}/session/signal"), 400, "body_required")


def test_yellow_reaches_the_partner_at_once_and_the_session_goes_on(couple, sockets):
    ann, bob = couple
    ok(ann.post(f"{API}/session", json={}), 201)
    sockets.clear()
    answer = ok(ann.post(f"{API}/session/signal", json={"signal": "yellow"}))
    assert answer["session"]["status"] == "running" and answer["signals"][str(ann.id)] == "yellow"
    bob_got = sockets["bob"].received()
    assert [(e["type"], e["payload"]["signal"], e["payload"]["member_id"]) for e in bob_got] == \
        [("touch.signal", "yellow", ann.id)]
    assert [e["type"] for e in sockets["ann"].received()] == ["touch.signal"]
    assert sockets["wall"].received() == []  # the wall never hears a light
    assert ok(bob.get(f"{API}/session"))["signals"] == {str(ann.id): "yellow", str(bob.id): "green"}
    # The safeword "yellow" said as a word is the same light; green lifts it.
    ok(bob.post(f"{API}/session/signal", json={"signal": "Yellow "}))
    ok(ann.post(f"{API}/session/signal", json={"signal": "green"}))
    assert ok(bob.get(f"{API}/session"))["signals"] == {str(ann.id): "green", str(bob.id): "yellow"}


def red_ends_the_session_and_pauses_everyone(couple, wall, sockets, word):
    """Ann started a session and the three screens listen; Bob's ``word`` ends it and pauses everyone."""
    ann, bob = couple
    ok(ann.post(f"{API}/session", json={}), 201)
    sockets.clear()
    answer = ok(bob.post(f"{API}/session/signal", json={"signal": word}))
    assert answer["session"] is None and answer["pause"]["active"] is True
    assert 19 * 60 < answer["pause"]["seconds_left"] <= 20 * 60 + 1
    ann_got = [e["type"] for e in sockets["ann"].received()]
    assert ann_got[:2] == ["touch.signal", "touch.session_ended"] and ann_got[-1] == "pause.started"
    assert [e["type"] for e in sockets["wall"].received()] == ["pause.started"]
    assert "pause.started" in [e["type"] for e in sockets["bob"].received()]
    assert ok(ann.get("/api/v1/pause"))["active"] is True
    assert ok(wall.get("/api/v1/dashboard"))["pause"]["active"] is True
    past = ok(ann.get(f"{API}/sessions"))["past"]
    assert past[0]["status"] == "ended" and past[0]["end_reason"] == "red"


def test_red_ends_the_session_and_starts_the_pause_live_on_the_partner_and_the_wall(couple, wall, sockets):
    red_ends_the_session_and_pauses_everyone(couple, wall, sockets, "red")


def test_the_safeword_pause_is_red(couple, wall, sockets):
    red_ends_the_session_and_pauses_everyone(couple, wall, sockets, "pause")


def test_the_red_pause_length_is_configurable(make_app):
    app = make_app(flags={**only_touch(), "plugins.touch.red_pause_minutes": 45})
    ann, _bob = onboard_couple(app.test_client())
    ok(ann.post(f"{API}/session", json={}), 201)
    assert ok(ann.post(f"{API}/session/signal", json={"signal": "red"}))["pause"]["seconds_left"] > 44 * 60


def test_the_core_pause_ends_a_running_session(app, couple):
    ann, bob = couple
    ok(ann.post(f"{API}/session", json={}), 201)
    sio = listen(app, bob.token)
    ok(ann.post("/api/v1/pause", json={}))  # the Pause button in the top bar, on any page
    types = [e["type"] for e in sio.received()]
    assert types == ["pause.started", "touch.session_ended"]
    assert ok(bob.get(f"{API}/session"))["session"] is None
    assert ok(bob.get(f"{API}/sessions"))["past"][0]["end_reason"] == "pause"
    sio.disconnect()


def test_a_session_nobody_ended_closes_itself_and_still_counts(app, couple):
    ann, bob = couple
    ok(ann.post(f"{API}/session", json={}), 201)
    long_ago = (datetime.now(timezone.utc) - timedelta(hours=5)).isoformat(timespec="seconds")
    with hs_of(app).storage.connection() as db, db.atomic():
        db.execute("UPDATE touch_sessions SET started_at = ?", [long_ago])
    assert ok(bob.get(f"{API}/session"))["session"] is None
    past = ok(bob.get(f"{API}/sessions"))["past"][0]
    assert past["end_reason"] == "time_up"
    assert datetime.fromisoformat(past["ended_at"]) == datetime.fromisoformat(long_ago) + timedelta(hours=4)
    assert ok(ann.get(f"{API}/ready"))["practised"] == 1
    ok(ann.post(f"{API}/session", json={}), 201)


def test_other_couples_hear_nothing_of_a_session(app, client, couple):
    from hearthside.testing import join_new_couple

    ann, bob = couple
    cat, _dan = join_new_couple(client, ann)
    sio = listen(app, cat.token)
    start = last_event_id(cat)
    ok(ann.post(f"{API}/session", json={}), 201)
    ok(ann.post(f"{API}/session/signal", json={"signal": "yellow"}))
    ok(bob.post(f"{API}/session/signal", json={"signal": "red"}))
    assert sio.received() == [] and events_after(cat, start) == []
    assert ok(cat.get(f"{API}/session"))["session"] is None
    assert ok(cat.get(f"{API}/sessions")) == {"upcoming": [], "past": []}
    sio.disconnect()
    assert snapshot(app)["touch_sessions"][0]["couple_id"] == couple_id_of(app, ann.id)
