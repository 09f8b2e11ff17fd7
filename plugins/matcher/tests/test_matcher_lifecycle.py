"""A member's export and "forget me"."""

from __future__ import annotations

import json

from hearthside.testing import PASSWORD
from matcher_testing import X, Y, Z, events_after, last_event_id, matches, own, put, reveal


def export_of(member) -> dict:
    """The member's personal export (the core's endpoint), the matcher's part."""
    answer = member.get("/api/v1/me/export")
    assert answer.status_code == 200, answer.json
    return answer.json["plugins"]["matcher"]


def forget(member) -> None:
    answer = member.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert answer.status_code == 200 and "matcher" in answer.json["plugins"], answer.json


def test_the_export_holds_my_own_answers_and_never_my_partners(pair):
    ann, bob = pair
    put(ann, {X: "yes", Y: "maybe"}, notes={Y: "ANN-NOTE"})
    put(bob, {X: "no", Z: "yes"}, notes={Z: "BOB-NOTE"})
    bob_item = bob.post("/api/v1/matcher/items", json={"title": "Bob's idea"}).json["item"]
    ann.post("/api/v1/matcher/proposals", json={"item_id": Z, "action": "hide"})
    exported = export_of(ann)
    assert exported["your_answers"][X] == {"title": exported["your_answers"][X]["title"], "answer": "yes"}
    assert exported["your_answers"][Y]["note"] == "ANN-NOTE"
    assert set(exported["your_answers"]) == {X, Y}
    text = json.dumps(exported)
    assert "BOB-NOTE" not in text and Z not in exported["your_answers"]
    assert [item["title"] for item in exported["items_added_by_your_couple"]] == ["Bob's idea"]
    assert "proposer" not in text
    assert [set(item) for item in exported["items_added_by_your_couple"]] == [{"id", "category", "title", "custom"}]
    assert exported["open_proposals"] == [{"item_id": Z, "action": "hide", "you_agreed": True}]
    assert "mutual_results" not in exported  # the reveal is off
    assert bob_item["id"] in text
    reveal(ann, bob)
    assert "mutual_results" not in export_of(ann)  # nobody has looked yet: the export is no way to peek
    bob.get("/api/v1/matcher/matches")
    assert export_of(ann)["mutual_results"] == {"both_yes": [], "worth_discussing": []}
    bob_export = json.dumps(export_of(bob))
    assert "ANN-NOTE" not in bob_export and "BOB-NOTE" in bob_export
    whole = bob.get("/api/v1/me/export").get_data(as_text=True)  # the core's part carries none of it either
    assert "ANN-NOTE" not in whole


def test_forget_removes_what_i_own_and_keeps_my_partners(pair):
    ann, bob = pair
    put(ann, {X: "yes", Y: "yes"}, notes={X: "ANN-NOTE"})
    put(bob, {X: "yes", Y: "yes"}, notes={Y: "BOB-NOTE"})
    ann_item = ann.post("/api/v1/matcher/items", json={"title": "Ann's idea"}).json["item"]
    bob_item = bob.post("/api/v1/matcher/items", json={"title": "Bob's idea"}).json["item"]
    put(ann, {ann_item["id"]: "yes", bob_item["id"]: "yes"})
    put(bob, {ann_item["id"]: "maybe", bob_item["id"]: "yes"})
    ann.post("/api/v1/matcher/proposals", json={"item_id": Z, "action": "hide"})
    reveal(ann, bob)
    assert matches(bob).json == {"both_yes": [X, Y, bob_item["id"]], "worth_discussing": [ann_item["id"]]}
    marker = last_event_id(bob)
    forget(ann)
    assert own(ann)["answers"] == {} and own(ann)["notes"] == {}
    items = [item["id"] for item in bob.get("/api/v1/matcher/items").json["items"]]
    assert ann_item["id"] not in items and bob_item["id"] in items
    assert own(bob)["answers"] == {X: "yes", Y: "yes", bob_item["id"]: "yes"}  # Ann's item took its answers along
    assert own(bob)["notes"] == {Y: "BOB-NOTE"}
    assert next(i for i in bob.get("/api/v1/matcher/items").json["items"] if i["id"] == Z)["proposal"] is None
    assert matches(bob).json == {"both_yes": [], "worth_discussing": []}  # Ann's answers count as no now
    assert {e["type"] for e in events_after(bob, marker) if e["type"].startswith("matcher.")} == {
        "matcher.items.changed", "matcher.matches.changed"}
