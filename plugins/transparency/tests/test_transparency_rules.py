"""Ground rules beside the question box: changed only when both approve."""

from __future__ import annotations

import sqlite3

import pytest

from transparency_testing import API, events_for, snapshot

from hearthside.testing import hs_of

RULES = ["Honest, but no graphic detail.", "Either of us can say: I need a break from this."]


def propose(member, rules=RULES):
    answer = member.post(f"{API}/rules/proposals", json={"rules": rules})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_new_rules_apply_only_once_both_approved(pair):
    ann, bob = pair
    proposal = propose(ann)
    assert proposal["status"] == "open" and proposal["rules"] == RULES
    assert [a["member_id"] for a in proposal["approved_by"]] == [ann.id]  # proposing is approving
    assert bob.get(f"{API}/rules").json["current"] is None  # not yet: bob has not approved
    assert bob.get(f"{API}/rules").json["open"]["id"] == proposal["id"]
    approved = bob.post(f"{API}/rules/proposals/{proposal['id']}/approve")
    assert approved.status_code == 200 and approved.json["status"] == "adopted"
    current = ann.get(f"{API}/rules").json["current"]
    assert current["rules"] == RULES and current["id"] == proposal["id"]
    # Shown beside the question box.
    assert bob.get(f"{API}/questions").json["ground_rules"]["rules"] == RULES
    assert [e["payload"]["status"] for e in events_for(bob, "transparency.rules_changed")] == ["open", "adopted"]


def test_a_change_keeps_the_old_rules_until_both_agree(pair):
    ann, bob = pair
    first = propose(ann)
    bob.post(f"{API}/rules/proposals/{first['id']}/approve")
    change = propose(bob, ["Honest, always."])
    assert ann.get(f"{API}/rules").json["current"]["rules"] == RULES
    declined = ann.post(f"{API}/rules/proposals/{change['id']}/decline")
    assert declined.status_code == 200 and declined.json["status"] == "declined"
    assert ann.get(f"{API}/rules").json["current"]["rules"] == RULES
    withdrawn = propose(bob, ["Honest, always."])
    assert bob.post(f"{API}/rules/proposals/{withdrawn['id']}/decline").json["status"] == "withdrawn"
    # A newer proposal supersedes one still open; the history keeps every text as proposed.
    open_one = propose(ann, ["A"])
    newer = propose(bob, ["B"])
    history = {p["id"]: p for p in ann.get(f"{API}/rules").json["history"]}
    assert history[open_one["id"]]["status"] == "superseded" and history[open_one["id"]]["rules"] == ["A"]
    assert ann.get(f"{API}/rules").json["open"]["id"] == newer["id"]
    assert ann.post(f"{API}/rules/proposals/{newer['id']}/approve").json["status"] == "adopted"
    assert bob.get(f"{API}/rules").json["current"]["rules"] == ["B"]


def test_bad_proposals_and_wrong_decisions_are_refused_and_write_nothing(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    adopted = propose(ann)
    bob.post(f"{API}/rules/proposals/{adopted['id']}/approve")
    waiting = propose(ann, ["Only this."])
    before = snapshot(shared_app)
    for body in ({}, {"rules": []}, {"rules": "Be kind."}, {"rules": ["ok", ""]}, {"rules": [1]},
                 {"rules": ["x" * 201]}, {"rules": [f"rule {n}" for n in range(13)]}):
        answer = ann.post(f"{API}/rules/proposals", json=body)
        assert answer.status_code == 400 and "rules" in answer.json["error"]["message"], body
    for member, path, status, code in [
        (ann, f"{waiting['id']}/approve", 409, "already_approved"),
        (bob, f"{adopted['id']}/approve", 409, "proposal_closed"),
        (bob, f"{adopted['id']}/decline", 409, "proposal_closed"),
        (bob, "999999/approve", 404, "proposal_not_found"),
        (cat, f"{waiting['id']}/approve", 404, "proposal_not_found"),
        (cat, f"{waiting['id']}/decline", 404, "proposal_not_found"),
    ]:
        answer = member.post(f"{API}/rules/proposals/{path}")
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), path
    assert snapshot(shared_app) == before
    assert cat.get(f"{API}/rules").json == {"current": None, "open": None, "history": []}


def test_agreed_rules_are_never_rewritten(shared_app, pair):
    ann, bob = pair
    proposal = propose(ann)
    bob.post(f"{API}/rules/proposals/{proposal['id']}/approve")
    with hs_of(shared_app).storage.connection() as db:
        with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):
            db.execute("UPDATE transparency_rule_proposals SET rules = '[\"x\"]' WHERE id = ?", [proposal["id"]])
