"""Forward together (every member's private "ready"), back alone (one tap, no reason)."""

from __future__ import annotations

from touch_testing import (API, events_after, last_event_id, ok, practise, refused, set_ceiling, snapshot,
                           jump_to, only_touch, unlock_up_to)


def test_ready_opens_only_after_enough_practice(app, couple):
    ann, _bob = couple
    readiness = ok(ann.get(f"{API}/ready"))
    assert readiness["practised"] == 0 and readiness["needed"] == 3 and readiness["can_say_ready"] is False
    practise(ann, 2)
    error = refused(app, lambda: ann.put(f"{API}/ready"), 409, "not_yet")
    assert "3" in error["message"] and "2" in error["message"]
    practise(ann, 1)
    assert ok(ann.get(f"{API}/ready"))["can_say_ready"] is True


def test_the_number_of_practice_sessions_is_configurable(make_app):
    from hearthside.testing import onboard_couple

    app = make_app(flags={**only_touch(), "plugins.touch.sessions_before_ready": 1})
    ann, bob = onboard_couple(app.test_client())
    practise(bob, 1)
    assert ok(ann.get(f"{API}/ready"))["needed"] == 1
    ok(ann.put(f"{API}/ready"))
    assert ok(bob.put(f"{API}/ready"))["unlocked_now"] is True


def test_unlock_needs_every_member_and_reveals_no_vote_before_it(app, couple):
    ann, bob = couple
    practise(ann, 3)
    start = last_event_id(bob)
    answer = ok(ann.put(f"{API}/ready"))
    assert answer["unlocked_now"] is False and answer["readiness"]["i_am_ready"] is True
    assert answer["unlocked"]["level"] == 1
    # Bob can read nothing of ann's "ready": not in his readiness, not in any event he receives.
    assert ok(bob.get(f"{API}/ready"))["i_am_ready"] is False
    assert events_after(bob, start) == []
    assert ok(bob.get(API))["unlocked"]["level"] == 1
    # Ann changing her mind is hers alone, too.
    ok(ann.delete(f"{API}/ready"))
    assert events_after(bob, start) == [] and ok(ann.get(f"{API}/ready"))["i_am_ready"] is False
    ok(ann.put(f"{API}/ready"))
    # Bob's "ready" is the last one: the unlock is the reveal, and it names no one.
    answer = ok(bob.put(f"{API}/ready"))
    assert answer["unlocked_now"] is True and answer["unlocked"] == {"key": "cuddling", "name": "Cuddling, clothed",
                                                                     "level": 2}
    unlocked = [e for e in events_after(ann, start) if e["type"] == "touch.unlocked"]
    assert len(unlocked) == 1 and unlocked[0]["actor_id"] is None
    assert unlocked[0]["payload"] == {"phase": {"key": "cuddling", "name": "Cuddling, clothed", "level": 2}}
    # Votes are spent: the next step starts from nobody ready and no practice at the new phase.
    readiness = ok(ann.get(f"{API}/ready"))
    assert readiness["i_am_ready"] is False and readiness["practised"] == 0
    assert snapshot(app)["touch_ready_votes"] == []


def test_the_last_phase_has_nothing_to_unlock(app, couple):
    ann, _bob = couple
    jump_to(app, ann, 7)
    practise(ann, 3)
    assert ok(ann.get(f"{API}/ready"))["next_phase"] is None
    refused(app, lambda: ann.put(f"{API}/ready"), 409, "last_phase")


def test_stepping_back_is_one_tap_by_either_member_and_clears_pending_votes(app, couple):
    ann, bob = couple
    unlock_up_to(ann, bob, 3)
    practise(ann, 3)
    ok(ann.put(f"{API}/ready"))  # ann is ready for phase 4; bob has not said anything
    start = last_event_id(ann)
    answer = ok(bob.post(f"{API}/step-back"))  # no body, no reason
    assert answer["unlocked"]["level"] == 2 and answer["plan"]["level"] == 2
    # At once, for both; named for nobody; ann's pending "ready" is gone.
    assert ok(ann.get(API))["unlocked"]["level"] == 2
    assert ok(ann.get(f"{API}/ready"))["i_am_ready"] is False
    assert snapshot(app)["touch_ready_votes"] == []
    stepped = [e for e in events_after(ann, start) if e["type"] == "touch.stepped_back"]
    assert len(stepped) == 1 and stepped[0]["actor_id"] is None
    assert stepped[0]["payload"] == {"phase": {"key": "cuddling", "name": "Cuddling, clothed", "level": 2}}
    # It costs nothing: practice at the phase below still counts, so both may say "ready" again now.
    readiness = ok(bob.get(f"{API}/ready"))
    assert readiness["practised"] >= 3 and readiness["can_say_ready"] is True
    # Either member, one-sided, again.
    ok(ann.post(f"{API}/step-back", json={}))
    assert ok(bob.get(f"{API}/plan"))["unlocked"]["level"] == 1
    error = refused(app, lambda: bob.post(f"{API}/step-back"), 409, "first_phase")
    assert "enough" in error["message"]


def test_a_step_back_lowers_a_running_session_at_once(app, couple):
    ann, bob = couple
    jump_to(app, ann, 3)
    ok(ann.post(f"{API}/session", json={}), 201)
    assert ok(bob.get(f"{API}/session"))["session"]["phase"]["level"] == 3
    start = last_event_id(bob)
    ok(bob.post(f"{API}/step-back"))
    assert ok(ann.get(f"{API}/session"))["session"]["phase"] == {"key": "cuddling", "name": "Cuddling, clothed",
                                                                 "level": 2}
    assert "touch.session_changed" in [e["type"] for e in events_after(ann, start)]
    # A ceiling lowered during a session lowers it too.
    set_ceiling(ann, 1)
    assert ok(bob.get(f"{API}/session"))["session"]["phase"]["level"] == 1
    # ... and raising it again does not raise a session already under way.
    set_ceiling(ann, 7)
    assert ok(bob.get(f"{API}/session"))["session"]["phase"]["level"] == 1
