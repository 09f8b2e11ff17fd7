"""The pause (the safeword): start, end, replace, time up, history, and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hearthside.testing import pair_device
from tests.test_devices import events_of


def pauses(app) -> list[dict]:
    with app.extensions["hearthside"].storage.connection() as db:
        return list(db.query("SELECT * FROM pauses ORDER BY id"))


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


def in_(**delta) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def test_default_pause_is_twenty_minutes_and_everyone_sees_it(client, couple):
    ann, bob = couple
    wall = pair_device(ann)
    answer = ann.post("/api/v1/pause")
    assert answer.status_code == 200
    state = answer.json
    assert state["active"] is True and state["started_by"] == ann.id
    assert (at(state["ends_at"]) - at(state["started_at"])).total_seconds() in (1200, 1201)
    assert 1195 <= state["seconds_left"] <= 1201
    for viewer in (ann, bob, wall):
        seen = viewer.get("/api/v1/pause").json
        assert seen["active"] is True and seen["ends_at"] == state["ends_at"] and seen["id"] == state["id"]
    assert bob.get("/api/v1/pause").json["started_by"] == ann.id
    started = [e for e in bob.get("/api/v1/events").json["events"] if e["type"] == "pause.started"]
    assert len(started) == 1 and started[0]["visibility"] == "dashboard" and started[0]["actor_id"] == ann.id
    assert started[0]["payload"]["ends_at"] == state["ends_at"]


def test_the_wall_shows_the_pause_but_never_who_asked_for_it(client, couple):
    ann, bob = couple
    wall = pair_device(ann)
    bob.post("/api/v1/pause", json={"minutes": 15})
    ann.delete("/api/v1/pause")
    bob.post("/api/v1/pause", json={"minutes": 15})
    assert "started_by" not in wall.get("/api/v1/pause").json
    assert "started_by" not in wall.get("/api/v1/dashboard").json["pause"]
    pause_events = [e for e in wall.get("/api/v1/events").json["events"] if e["type"].startswith("pause.")]
    assert [e["type"] for e in pause_events] == ["pause.started", "pause.ended", "pause.started"]
    for event in pause_events:
        assert event["actor_id"] is None
        assert not {"started_by", "ended_by"} & set(event["payload"])


@pytest.mark.parametrize("minutes", [1, 45, 1440])
def test_minutes_between_one_and_a_day(client, couple, minutes):
    ann, _bob = couple
    state = ann.post("/api/v1/pause", json={"minutes": minutes}).json
    assert abs((at(state["ends_at"]) - at(state["started_at"])).total_seconds() - minutes * 60) <= 1


def test_resume_at_a_given_time(client, couple):
    ann, _bob = couple
    target = datetime.now(timezone(timedelta(hours=2))) + timedelta(minutes=90)
    state = ann.post("/api/v1/pause", json={"resume_at": target.isoformat()}).json
    assert state["active"] is True
    assert 0 <= (at(state["ends_at"]) - target).total_seconds() < 1
    zulu = (datetime.now(timezone.utc) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ann.post("/api/v1/pause", json={"resume_at": zulu}).status_code == 200


@pytest.mark.parametrize("body", [
    {"minutes": 0}, {"minutes": 1441}, {"minutes": -5}, {"minutes": "20"}, {"minutes": 20.5}, {"minutes": True},
    {"minutes": None}, {"resume_at": "tomorrow"}, {"resume_at": 1700000000}, {"resume_at": "2020-01-01T10:00:00+00:00"},
    {"resume_at": "in-25-hours"}, {"resume_at": "2030-01-01T10:00:00"}, {"minutes": 20, "resume_at": "x"}, [20], "20",
])
def test_bad_pause_requests_are_400_and_change_nothing(app, client, couple, body):
    ann, bob = couple
    if body == {"resume_at": "in-25-hours"}:
        body = {"resume_at": in_(hours=25)}
    answer = ann.post("/api/v1/pause", json=body)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] in ("invalid_field", "invalid_json")
    assert answer.json["error"]["message"]
    assert pauses(app) == []
    assert bob.get("/api/v1/pause").json == {"active": False}
    assert events_of(ann, "pause.started") == []


def test_starting_while_paused_replaces_the_pause_without_a_come_back_prompt(app, client, couple):
    ann, bob = couple
    first = ann.post("/api/v1/pause", json={"minutes": 20}).json
    second = bob.post("/api/v1/pause", json={"minutes": 60}).json
    assert second["id"] != first["id"] and second["started_by"] == bob.id
    assert ann.get("/api/v1/pause").json["id"] == second["id"]
    rows = pauses(app)
    assert rows[0]["ended_at"] is not None and rows[0]["ended_by"] == bob.id
    assert rows[1]["ended_at"] is None
    assert events_of(ann, "pause.ended") == []
    started = events_of(ann, "pause.started")
    assert [e["payload"]["replaced"] for e in started] == [None, first["id"]]


def test_any_member_ends_it(app, client, couple):
    ann, bob = couple
    wall = pair_device(ann)
    started = ann.post("/api/v1/pause", json={"minutes": 30}).json
    answer = bob.delete("/api/v1/pause")
    assert answer.status_code == 200
    assert answer.json == {"active": False}
    assert wall.get("/api/v1/pause").json == {"active": False}
    ended = [e for e in wall.get("/api/v1/events").json["events"] if e["type"] == "pause.ended"]
    assert len(ended) == 1
    assert ended[0]["payload"] == {**ended[0]["payload"], "id": started["id"], "reason": "ended"}
    assert ended[0]["visibility"] == "dashboard"
    assert events_of(ann, "pause.ended")[0]["actor_id"] == bob.id  # the phones are told who ended it


def test_ending_when_nothing_runs_is_harmless(app, client, couple):
    ann, _bob = couple
    assert ann.delete("/api/v1/pause").json == {"active": False}
    assert events_of(ann, "pause.ended") == []


def test_a_pause_whose_time_is_up_counts_as_ended_when_read(app, client, couple):
    ann, bob = couple
    wall = pair_device(ann)
    started = ann.post("/api/v1/pause", json={"minutes": 5}).json
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="seconds")
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db["pauses"].update(started["id"], {"ends_at": past})
    assert wall.get("/api/v1/dashboard").json["pause"] == {"active": False}
    assert bob.get("/api/v1/pause").json == {"active": False}
    ended = events_of(ann, "pause.ended")
    assert len(ended) == 1  # emitted once, by the first read
    assert ended[0]["payload"] == {"id": started["id"], "ended_at": past, "reason": "time_up"}
    assert ended[0]["actor_id"] is None
    assert pauses(app)[0]["ended_at"] == past


def test_history_lists_every_pause_newest_first(app, client, couple):
    ann, bob = couple
    ann.post("/api/v1/pause", json={"minutes": 10})
    bob.delete("/api/v1/pause")
    bob.post("/api/v1/pause")
    answer = ann.get("/api/v1/pause/history")
    assert answer.status_code == 200
    history = answer.json["history"]
    assert [(h["started_by"], h["ended_by"]) for h in history] == [(bob.id, None), (ann.id, bob.id)]
    assert set(history[0]) == {"id", "started_by", "started_at", "ends_at", "ended_at", "ended_by"}


def test_devices_read_the_pause_but_never_start_or_end_it(client, couple):
    ann, _bob = couple
    wall = pair_device(ann)
    ann.post("/api/v1/pause")
    assert wall.post("/api/v1/pause").status_code == 403
    assert wall.delete("/api/v1/pause").status_code == 403
    assert wall.get("/api/v1/pause/history").status_code == 403
    assert wall.get("/api/v1/pause").json["active"] is True


def test_nobody_gets_401(client, couple):
    for method, path in (("post", "/api/v1/pause"), ("delete", "/api/v1/pause"), ("get", "/api/v1/pause"),
                         ("get", "/api/v1/pause/history")):
        answer = getattr(client, method)(path)
        assert answer.status_code == 401
