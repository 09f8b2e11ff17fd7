"""Events: one row per change, in the change's transaction, live after the commit."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from hearthside import events as events_module
from hearthside.events import Event, emit
from hearthside.hookspecs import hookimpl
from hearthside.hub import Hub
from hearthside.testing import FakeClock
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES


class EventRecorder:
    """A plugin that records every event it is told about, and reacts to one."""

    def __init__(self):
        self.events: list[Event] = []

    @hookimpl
    def hearthside_event(self, hs, db, event):
        self.events.append(event)
        if event.type == "pause.started":  # a reaction that itself emits
            with db.atomic():
                emit(db, "test.acknowledged", event.couple_id, {"of": event.id}, visibility="couple")


@pytest.fixture
def recorder():
    return EventRecorder()


@pytest.fixture
def hs(make_app, recorder):
    return make_app(extra_plugins={"recorder": recorder, **TEST_EVENT_TYPES}).extensions["hearthside"]


@pytest.fixture
def live(hs):
    """What the hub's subscribers receive: (event, rooms)."""
    received = []
    hs.hub.subscribe(lambda event: received.append((event, event.rooms())))
    return received


def test_event_row_is_written_in_the_callers_transaction(hs, live):
    with hs.storage.connection() as db:
        db.execute("CREATE TABLE test_changes (id INTEGER PRIMARY KEY, minutes INTEGER)")
        with pytest.raises(RuntimeError):
            with db.atomic():
                db["test_changes"].insert({"minutes": 20})
                emit(db, "test.started", 1, {"minutes": 20}, visibility="couple", actor_id=5)
                raise RuntimeError("the view failed after emitting")
        assert db["test_changes"].count == 0 and db["events"].count == 0
        assert live == []

        with db.atomic():
            db["test_changes"].insert({"minutes": 20})
            event = emit(db, "test.started", 1, {"minutes": 20}, visibility="couple", actor_id=5)
            with hs.storage.connection() as other:
                assert other["events"].count == 0  # invisible until COMMIT
            assert live == []  # and not yet live
        row = db["events"].get(event.id)
    assert row["type"] == "test.started" and row["actor_id"] == 5 and row["couple_id"] == 1
    assert Event.from_row(row) == event
    assert event.as_dict()["payload"] == {"minutes": 20}


def test_an_event_is_stamped_by_the_one_clock(hs):
    """created_at comes from hearthside.clock, so a test's clock (and a job's) dates events too."""
    with FakeClock(datetime(2024, 2, 29, 12, 30, tzinfo=timezone.utc)).as_now():
        with hs.storage.connection() as db, db.atomic():
            event = emit(db, "test.started", 1, {}, visibility="couple")
    assert event.created_at == "2024-02-29T12:30:00.000+00:00"


@pytest.mark.parametrize("visibility, audience, rooms", [
    ("private", 8, ["member:8"]),
    ("couple", None, ["couple:3"]),
    ("dashboard", None, ["couple:3", "dashboard:3"]),
])
def test_committed_event_reaches_hub_with_rooms_of_its_visibility(hs, live, visibility, audience, rooms):
    with hs.storage.connection() as db, db.atomic():
        event = emit(db, "test.note_added", 3, {"n": 1}, visibility=visibility, actor_id=8, audience_id=audience)
    assert live == [(event, rooms)]


def test_event_hook_is_called_with_the_event_and_may_emit_in_turn(hs, live, recorder):
    with hs.storage.connection() as db, db.atomic():
        started = emit(db, "pause.started", 2, {"minutes": 10}, visibility="dashboard")
    assert [event.type for event in recorder.events] == ["pause.started", "test.acknowledged"]
    assert recorder.events[0] == started
    assert recorder.events[1].payload == {"of": started.id}
    assert [event.type for event, _ in live] == ["pause.started", "test.acknowledged"]


def test_a_raising_hub_subscriber_does_not_stop_the_others(caplog):
    hub = Hub()
    received = []

    def broken(event):
        raise ValueError("socket gone")

    hub.subscribe(received.append)
    hub.subscribe(broken)
    hub.subscribe(lambda event: received.append(("second", event.id)))
    event = Event(7, 1, "pause.started", None, "dashboard", None, {}, "2024-01-01T00:00:00.000+00:00")
    with caplog.at_level(logging.ERROR, logger="hearthside.hub"):
        hub.publish(event)
    assert received == [event, ("second", 7)]
    assert "pause.started" in caplog.text and "socket gone" in caplog.text


def test_unsubscribed_listener_gets_nothing_more():
    hub = Hub()
    received = []
    unsubscribe = hub.subscribe(received.append)
    first = Event(1, 1, "a", None, "couple", None, {}, "t")
    hub.publish(first)
    unsubscribe()
    hub.publish(Event(2, 1, "b", None, "couple", None, {}, "t"))
    assert received == [first]


def test_a_raising_subscriber_in_the_app_still_lets_the_event_hook_run(hs, recorder):
    hs.hub.subscribe(lambda event: 1 / 0)
    with hs.storage.connection() as db, db.atomic():
        emit(db, "test.note_added", 1, visibility="couple")
    assert [event.type for event in recorder.events] == ["test.note_added"]


def test_emit_outside_a_transaction_raises(hs):
    with hs.storage.connection() as db:
        with pytest.raises(RuntimeError, match="inside db.atomic"):
            emit(db, "test.note_added", 1, visibility="couple")
        assert db["events"].count == 0


@pytest.mark.parametrize("visibility, audience, message", [
    ("private", None, "audience_id"),
    ("couple", 4, "audience_id"),
    ("dashboard", 4, "audience_id"),
    ("everyone", None, "visibility must be one of private, couple, dashboard"),
])
def test_emit_rejects_bad_visibility_and_audience(hs, live, visibility, audience, message):
    with hs.storage.connection() as db:
        with db.atomic():
            with pytest.raises(ValueError, match=message):
                emit(db, "test.note_added", 1, visibility=visibility, audience_id=audience)
        assert db["events"].count == 0
    assert live == []


# -- ids that tell nothing about hidden events ----------------------------------------------------

def emit_three(hs, couple_id=1):
    """A couple event, one private to member 8, another couple event: what member 9 sees is 1 and 3."""
    with hs.storage.connection() as db, db.atomic():
        first = emit(db, "test.note_shared", couple_id, visibility="couple")
        hidden = emit(db, "test.journal_saved", couple_id, visibility="private", audience_id=8)
        last = emit(db, "test.note_shared", couple_id, visibility="couple")
    return first, hidden, last


def test_event_ids_are_times_so_a_gap_counts_no_hidden_events(hs):
    """Counted ids (41, then 43) would tell the partner "the other did something private just then"."""
    first, hidden, last = emit_three(hs)
    assert first.id < hidden.id < last.id
    for event in (first, hidden, last):  # microseconds since 1970, matching the event's own time
        created_us = datetime.fromisoformat(event.created_at).timestamp() * 1_000_000
        assert abs(event.id - created_us) < 1_000_000
    assert last.id - first.id != 2


def test_a_clock_behind_the_newest_id_never_gives_counted_ids(hs, monkeypatch):
    """A Pi can boot with an old time: ids still grow, by elapsed time or a random step, never +1."""
    emit_three(hs)
    monkeypatch.setattr(events_module.time, "time_ns", lambda: 0)  # the clock jumped back to 1970
    steps = []
    monkeypatch.setattr(events_module.secrets, "randbelow", lambda n: steps.append(n) or 123_456)
    monkeypatch.setattr(events_module._Steady, "last_id", 0)  # as if the server had just started
    with hs.storage.connection() as db:
        newest = db.execute("SELECT max(id) FROM events").fetchone()[0]
    first, hidden, last = emit_three(hs)
    assert first.id == newest + 1 + 123_456 and steps == [events_module.RANDOM_STEP_US]
    assert first.id < hidden.id < last.id  # then at the pace of the monotonic clock
    assert steps == [events_module.RANDOM_STEP_US]

