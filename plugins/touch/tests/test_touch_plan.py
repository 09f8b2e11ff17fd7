"""Private ceilings, the shared plan: the plan is the minimum, capped, and names no one."""

from __future__ import annotations

from touch_testing import API, events_after, jump_to, last_event_id, ok, refused, set_ceiling, snapshot, text_of

from hearthside.plugins.touch import ladder


def test_the_default_ladder_has_at_least_six_plain_phases(couple):
    ann, _bob = couple
    phases = ok(ann.get(f"{API}/ladder"))["phases"]
    assert len(phases) >= 6
    assert [p["level"] for p in phases] == list(range(1, len(phases) + 1))
    for phase in phases:
        assert phase["name"] and phase["in"] and phase["out"] and len(phase["practice"]) > 40
        assert "hour" in phase["practice"] and "turns" in phase["practice"]
    names = " ".join(p["name"].lower() for p in phases)
    for step in ("close", "cuddling", "massage", "kissing", "skin", "intimate", "sexual"):
        assert step in names
    assert [p["unlocked"] for p in phases] == [True] + [False] * (len(phases) - 1)
    assert len({p["key"] for p in ladder.DEFAULT_PHASES}) == len(ladder.DEFAULT_PHASES)


def test_a_fresh_couple_plans_the_first_phase_and_writes_nothing_to_read(app, couple):
    ann, bob = couple
    before = snapshot(app)
    plan = ok(bob.get(f"{API}/plan"))
    assert plan["plan"]["level"] == 1 and plan["unlocked"]["level"] == 1
    assert ok(ann.get(f"{API}/ceiling"))["ceiling"] == {"key": "presence", "name": "Being close", "level": 1,
                                                       "set": False}
    ok(ann.get(API))
    assert snapshot(app)["touch_state"] == before["touch_state"] == []


def test_the_plan_is_the_lowest_ceiling_capped_at_the_unlocked_phase(app, couple):
    ann, bob = couple
    jump_to(app, ann, 5)
    set_ceiling(ann, 4)
    set_ceiling(bob, 2)
    assert ok(ann.get(f"{API}/plan"))["plan"]["level"] == 2
    set_ceiling(bob, 6)
    assert ok(ann.get(f"{API}/plan"))["plan"]["level"] == 4  # ann's 4 is now the lowest
    set_ceiling(ann, 7)
    plan = ok(bob.get(f"{API}/plan"))
    assert plan["plan"]["level"] == 5 and plan["unlocked"]["level"] == 5  # capped at the unlocked phase
    # A member who has not chosen counts as the first phase.
    assert ok(ann.get(API))["plan"]["level"] == 5


def without_ladders(data):
    """An answer minus the ladder listings (which name every phase anyway)."""
    if isinstance(data, dict):
        return {k: without_ladders(v) for k, v in data.items() if k not in ("ladder", "phases")}
    if isinstance(data, list):
        return [without_ladders(v) for v in data]
    return data


def test_the_plan_names_no_one_and_a_ceiling_is_only_ever_its_owners(app, couple):
    ann, bob = couple
    jump_to(app, ann, 4)
    set_ceiling(bob, 2)
    start = last_event_id(bob)
    answer = set_ceiling(ann, 6)  # "Intimate touch, no goal": a phase nobody has reached
    assert answer["ceiling"] == {"key": "intimate", "name": "Intimate touch, no goal", "level": 6, "set": True}
    set_ceiling(ann, 1)
    set_ceiling(ann, 6)
    # Bob sees the plan move (it dropped to ann's 1 and came back), and nothing else: no actor, no ceiling.
    bob_events = events_after(bob, start)
    assert [e["type"] for e in bob_events] == ["touch.plan_changed", "touch.plan_changed"]
    assert all(e["actor_id"] is None for e in bob_events)
    assert bob_events[1]["payload"] == {"phase": {"key": "cuddling", "name": "Cuddling, clothed", "level": 2}}
    # Ann's own devices hear of her ceiling, privately.
    ann_private = [e for e in events_after(ann, start) if e["visibility"] == "private"]
    assert {(e["type"], e["audience_id"]) for e in ann_private} == {("touch.ceiling_changed", ann.id)}
    # Nothing bob can read mentions ann's ceiling, outside the ladder listing every phase.
    for path in ("", "/plan", "/ladder", "/ready", "/session", "/sessions", "/progress", "/proposal",
                 "/reflections", "/ladder/versions"):
        text = text_of(without_ladders(ok(bob.get(API + path)))).lower()
        assert "intimate" not in text, path
    overview = ok(bob.get(API))
    assert overview["ceiling"] == {"key": "cuddling", "name": "Cuddling, clothed", "level": 2, "set": True}
    assert set(overview["plan"]) == {"key", "name", "in", "out", "practice", "level"}
    assert overview["plan"]["level"] == 2


def test_a_ceiling_change_that_leaves_the_plan_alone_tells_the_partner_nothing(app, couple):
    ann, bob = couple
    jump_to(app, ann, 3)
    set_ceiling(ann, 3)
    set_ceiling(bob, 2)
    start = last_event_id(bob)
    set_ceiling(ann, 5)  # the plan stays at bob's 2
    set_ceiling(ann, 2)  # still 2
    assert events_after(bob, start) == []


BAD_CEILINGS = [
    ({"phase": "nonsense"}, 400, "unknown_phase"),
    ({"phase": 3}, 400, "unknown_phase"),
    ({"level": 8}, 400, "above_ladder"),
    ({"level": 0}, 400, "invalid_field"),
    ({"level": "2"}, 400, "invalid_field"),
    ({"level": True}, 400, "invalid_field"),
    ({"level": 2, "phase": "massage"}, 400, "invalid_field"),
    ({}, 400, "invalid_field"),
]


def test_bad_ceilings_are_refused_and_change_nothing(app, couple):
    ann, _bob = couple
    set_ceiling(ann, 2)
    for body, status, code in BAD_CEILINGS:
        error = refused(app, lambda: ann.put(f"{API}/ceiling", json=body), status, code)
        assert "bob" not in error["message"].lower()
    assert ok(ann.get(f"{API}/ceiling"))["ceiling"]["level"] == 2


def test_a_ceiling_needs_a_json_body(app, couple):
    ann, _bob = couple
    refused(app, lambda: ann.put(f"{API}/ceiling"), 400, "body_required")
    refused(app, lambda: ann.put(f"{API}/ceiling", data="[1]", content_type="application/json"), 400,
            "invalid_json")
