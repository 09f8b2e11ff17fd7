"""Editing the ladder: only by a proposal everyone accepts; every version kept."""

from __future__ import annotations

from touch_testing import API, events_after, jump_to, last_event_id, ok, refused, set_ceiling, snapshot


def current(member) -> list[dict]:
    return ok(member.get(f"{API}/ladder"))["phases"]


def editable(phases: list[dict]) -> list[dict]:
    return [{key: phase[key] for key in ("key", "name", "in", "out", "practice")} for phase in phases]


def propose(member, phases, note=None, status=201):
    body = {"phases": phases}
    if note is not None:
        body["note"] = note
    return ok(member.post(f"{API}/proposal", json=body), status)


def test_a_change_applies_only_when_both_accept_and_every_version_is_kept(app, couple):
    ann, bob = couple
    phases = editable(current(ann))
    phases[0]["name"] = "Sitting close"                               # rename
    phases[1]["in"].append("Watching a film under one blanket")       # edit a list
    phases.insert(2, {"name": "Breathing together", "in": ["Lying side by side, clothed, breathing slowly"],
                      "out": ["Anything more"], "practice": "Ten minutes, then talk about it."})  # add
    phases = [p for p in phases if p.get("key") != "intimate"]       # remove
    phases[3], phases[4] = phases[4], phases[3]                       # reorder massage / kissing
    start = last_event_id(bob)
    answer = propose(ann, phases, note="A gentler start, I think")
    proposal = answer["proposal"]
    assert proposal["accepted_by"] == [ann.id] and proposal["accepted_by_me"] is True
    kinds = sorted((c["kind"], c["name"]) for c in proposal["changes"])
    assert ("renamed", "Sitting close") in kinds and ("edited", "Cuddling, clothed") in kinds
    assert ("added", "Breathing together") in kinds and ("removed", "Intimate touch, no goal") in kinds
    assert ("moved", "Kissing and caressing, clothed") in kinds or ("moved", "Massage") in kinds
    # Nothing changed yet: bob sees the proposal, the ladder is still version 1.
    assert ok(bob.get(f"{API}/ladder"))["version"] == 1
    seen = ok(bob.get(f"{API}/proposal"))["proposal"]
    assert seen["id"] == proposal["id"] and seen["accepted_by_me"] is False
    assert seen["note"] == "A gentler start, I think"
    assert [e["type"] for e in events_after(bob, start)] == ["touch.proposal_opened"]
    # Bob accepts: version 2 is the proposal, keys kept for kept phases, a new key for the new one.
    accepted = ok(bob.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"]}))
    assert accepted["proposal"]["status"] == "accepted"
    ladder = accepted["ladder"]
    assert ladder["version"] == 2
    assert [p["name"] for p in ladder["phases"]][:5] == ["Sitting close", "Cuddling, clothed", "Breathing together",
                                                          "Kissing and caressing, clothed", "Massage"]
    assert ladder["phases"][0]["key"] == "presence" and ladder["phases"][2]["key"].startswith("c")
    assert "intimate" not in {p["key"] for p in ladder["phases"]}
    versions = ok(ann.get(f"{API}/ladder/versions"))["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["phases"][0]["name"] == "Being close" and versions[1]["proposal_id"] == proposal["id"]
    assert ok(ann.get(f"{API}/proposal"))["proposal"] is None
    types = [e["type"] for e in events_after(bob, start)]
    assert types == ["touch.proposal_opened", "touch.proposal_accepted", "touch.proposal_closed",
                     "touch.ladder_changed", "touch.plan_changed"]  # the plan's phase was renamed


def test_unlocked_phase_and_ceilings_follow_their_phase_and_never_move_up_when_removed(app, couple):
    ann, bob = couple
    jump_to(app, ann, 3)              # unlocked: massage (3)
    set_ceiling(ann, 6)               # intimate
    set_ceiling(bob, 3)               # massage
    phases = editable(current(ann))
    kept = [p for p in phases if p["key"] not in ("massage", "intimate")]
    proposal = propose(ann, kept)["proposal"]
    assert proposal["unlocked_after"]["key"] == "cuddling"   # the nearest lower kept phase
    ok(bob.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"]}))
    overview = ok(ann.get(API))
    assert overview["unlocked"] == {"key": "cuddling", "name": "Cuddling, clothed", "level": 2}
    assert overview["ceiling"]["key"] == "skin"              # ann's intimate -> skin (below it, kept)
    assert ok(bob.get(f"{API}/ceiling"))["ceiling"]["key"] == "cuddling"
    # Moving a kept phase keeps it unlocked wherever it goes.
    phases = editable(current(ann))
    phases.insert(0, phases.pop(1))   # cuddling first
    proposal = propose(bob, phases)["proposal"]
    ok(ann.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"]}))
    assert ok(ann.get(f"{API}/ladder"))["unlocked"] == {"key": "cuddling", "name": "Cuddling, clothed", "level": 1}


def test_declining_or_withdrawing_changes_nothing_in_the_ladder(app, couple):
    ann, bob = couple
    phases = editable(current(ann))
    phases[0]["name"] = "Closeness"
    proposal = propose(ann, phases)["proposal"]
    declined = ok(bob.post(f"{API}/proposal/decline", json={"proposal_id": proposal["id"]}))
    assert declined["proposal"]["status"] == "declined"
    assert current(ann)[0]["name"] == "Being close"
    proposal = propose(bob, phases)["proposal"]
    ok(bob.post(f"{API}/proposal/decline", json={"proposal_id": proposal["id"]}))  # withdrawn by its author
    assert ok(ann.get(f"{API}/ladder"))["version"] == 1 and ok(ann.get(f"{API}/proposal"))["proposal"] is None


def test_bad_proposals_are_refused_with_a_clear_error_and_nothing_stored(app, couple):
    ann, bob = couple
    good = editable(current(ann))
    cases = [
        ({}, "invalid_field"),
        ({"phases": []}, "invalid_field"),
        ({"phases": "all of them"}, "invalid_field"),
        ({"phases": good + [{"key": "made-up", "name": "X", "in": [], "out": []}]}, "unknown_phase"),
        ({"phases": good + [dict(good[0])]}, "invalid_field"),                      # a phase twice
        ({"phases": [{**good[0], "name": "  "}] + good[1:]}, "invalid_field"),      # empty name
        ({"phases": [{**good[0], "in": "hands"}] + good[1:]}, "invalid_field"),     # a list that is not a list
        ({"phases": [{**good[0], "in": [""]}] + good[1:]}, "invalid_field"),        # an empty line
        ({"phases": [{**good[0], "name": "x" * 61}] + good[1:]}, "invalid_field"),
        ({"phases": [{"name": good[1]["name"].upper()}] + good}, "invalid_field"),  # two phases, one name
        ({"phases": [{"name": f"P{i}"} for i in range(21)]}, "invalid_field"),
        ({"phases": good}, "no_change"),
        ({"phases": good[:-1], "note": 5}, "invalid_field"),
    ]
    for body, code in cases:
        refused(app, lambda: ann.post(f"{API}/proposal", json=body), 400, code)
    proposal = propose(ann, good[:-1])["proposal"]
    refused(app, lambda: bob.post(f"{API}/proposal", json={"phases": good[1:]}), 409, "proposal_open")
    refused(app, lambda: bob.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"] + 1}), 409,
            "proposal_changed")
    refused(app, lambda: bob.post(f"{API}/proposal/accept", json={}), 400, "invalid_field")
    refused(app, lambda: bob.post(f"{API}/proposal/decline", json={"proposal_id": "1"}), 400, "invalid_field")
    ok(bob.post(f"{API}/proposal/decline", json={"proposal_id": proposal["id"]}))
    refused(app, lambda: bob.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"]}), 404, "no_proposal")
    refused(app, lambda: bob.post(f"{API}/proposal/decline", json={"proposal_id": proposal["id"]}), 404,
            "no_proposal")


def test_accepting_twice_is_harmless_and_one_acceptance_is_not_enough(app, couple):
    ann, bob = couple
    phases = editable(current(ann))[:-1]
    proposal = propose(ann, phases)["proposal"]
    again = ok(ann.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"]}))
    assert again["proposal"]["status"] == "open" and again["ladder"]["version"] == 1
    before = snapshot(app)["touch_proposal_accepts"]
    ok(ann.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"]}))
    assert snapshot(app)["touch_proposal_accepts"] == before
