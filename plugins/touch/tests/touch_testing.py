"""The touch plugin's own helper functions for its tests (imported by name: this folder has no package).

Its fixtures are in conftest.py; the generic ones come from hearthside.testing.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points

from hearthside.testing import hs_of

API = "/api/v1/touch"
TABLES = ("touch_ladders", "touch_state", "touch_level_history", "touch_ceilings", "touch_ready_votes",
          "touch_proposals", "touch_proposal_accepts", "touch_sessions", "touch_signals", "touch_reflections")


def only_touch() -> dict:
    """Flags that leave every other installed plugin (rituals, matcher, ...) switched off."""
    names = {ep.name for ep in entry_points(group="hearthside.plugins")} - {"core", "touch"}
    return {f"plugins.{name}.enabled": False for name in names}


def snapshot(app) -> dict:
    """Every touch row and every event row: compared before and after a refused request."""
    with hs_of(app).storage.connection() as db:
        tables = {table: [dict(row) for row in db.query(f"SELECT * FROM {table} ORDER BY rowid")] for table in TABLES}
        tables["events"] = [dict(row) for row in db.query("SELECT * FROM events ORDER BY id")]
    return tables


def ok(answer, status: int = 200):
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def refused(app, call, status: int, code: str) -> dict:
    """Make a call that must fail: the status, a JSON error with this code, and nothing written."""
    before = snapshot(app)
    answer = call()
    assert answer.status_code == status, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == code, error
    assert error["message"] and len(error["message"]) > 10
    assert snapshot(app) == before, "a refused request changed something"
    return error


def practise(member, times: int) -> None:
    """Run ``times`` sessions start to end at tonight's plan."""
    for _ in range(times):
        ok(member.post(f"{API}/session", json={}), 201)
        ok(member.delete(f"{API}/session"))


def set_ceiling(member, level: int) -> dict:
    return ok(member.put(f"{API}/ceiling", json={"level": level}))


def last_event_id(member) -> int:
    events = member.get("/api/v1/events?limit=500").json["events"]
    return events[-1]["id"] if events else 0


def events_after(member, after: int) -> list[dict]:
    return member.get(f"/api/v1/events?after={after}&limit=500").json["events"]


def text_of(value) -> str:
    return json.dumps(value, sort_keys=True)


def unlock_up_to(ann, bob, level: int) -> None:
    """Practise and both say ready until ``level`` is unlocked."""
    set_ceiling(ann, 7)
    set_ceiling(bob, 7)
    for _ in range(level - 1):
        practise(ann, 3)
        ok(ann.put(f"{API}/ready"))
        assert ok(bob.put(f"{API}/ready"))["unlocked_now"] is True


def jump_to(app, member, level: int) -> None:
    """Set the unlocked phase directly, with every member open to the whole ladder, as
    ``unlock_up_to`` leaves it (setup for tests about something else; the unlock itself
    is tested through the API in test_touch_ready.py)."""
    from hearthside.plugins.touch import model

    with hs_of(app).storage.connection() as db, db.atomic():
        couple_id = db["members"].get(member.id)["couple_id"]
        phases = model.ensure_state(db, couple_id)["phases"]
        db["touch_state"].update(couple_id, {"unlocked_key": phases[level - 1]["key"]})
        for row in list(db.query("SELECT id FROM members WHERE couple_id = ?", [couple_id])):  # open to all
            db["touch_ceilings"].upsert({"member_id": row["id"], "couple_id": couple_id,
                                         "phase_key": phases[-1]["key"], "updated_at": "2020-01-01T00:00:00+00:00"},
                                        pk="member_id")
