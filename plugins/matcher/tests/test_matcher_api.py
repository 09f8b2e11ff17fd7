"""The matcher's API: the contract routes, custom items, hiding, and every error path."""

from __future__ import annotations

from hearthside.plugins.matcher import model as matcher_store
from hearthside.testing import pair_device
from matcher_testing import (IDS, SCOPE, W, X, Y, Z, both_say_yes, events_after, last_event_id, matches, own, put,
                             reveal)

ROUTES = [
    ("GET", "/api/v1/matcher/items"), ("POST", "/api/v1/matcher/items"), ("GET", "/api/v1/matcher/hidden"),
    ("POST", "/api/v1/matcher/proposals"), ("DELETE", "/api/v1/matcher/proposals?item_id=" + X),
    ("GET", "/api/v1/matcher/answers"), ("PUT", "/api/v1/matcher/answers"), ("GET", "/api/v1/matcher/matches"),
]


# -- the contract -------------------------------------------------------------------------------


def test_items_have_the_contract_shape(pair):
    ann, _bob = pair
    answer = ann.get("/api/v1/matcher/items")
    assert answer.status_code == 200
    items = answer.json["items"]
    assert len(items) >= 120
    for item in items:
        assert isinstance(item["id"], str) and isinstance(item["category"], str) and item["title"]
    assert {c["id"] for c in answer.json["categories"]} >= {item["category"] for item in items}


def test_answers_round_trip_and_are_the_callers_own(pair):
    ann, bob = pair
    saved = put(ann, {X: "yes", Y: "maybe", Z: "no"}, notes={Y: "  maybe, if we go slowly "})
    assert saved.status_code == 200
    assert saved.json["answers"] == {X: "yes", Y: "maybe", Z: "no"}
    assert put(bob, {X: "no", W: "yes"}, notes={W: "bob's note"}).status_code == 200
    mine = own(ann)
    assert mine["answers"] == {X: "yes", Y: "maybe", Z: "no"}
    assert mine["notes"] == {Y: "maybe, if we go slowly"}
    assert own(bob)["answers"] == {X: "no", W: "yes"} and own(bob)["notes"] == {W: "bob's note"}
    # changing one answer keeps the others; a null note clears it
    put(ann, {X: "maybe"}, notes={Y: None})
    assert own(ann)["answers"] == {X: "maybe", Y: "maybe", Z: "no"} and own(ann)["notes"] == {}


def test_an_empty_batch_is_fine_and_writes_nothing(pair):
    ann, _bob = pair
    before = last_event_id(ann)
    assert put(ann, {}).status_code == 200
    assert events_after(ann, before) == []


def test_matches_are_403_until_everyone_consents(pair):
    ann, bob = pair
    put(ann, {X: "yes"})
    put(bob, {X: "yes"})
    for caller in (ann, bob):
        answer = matches(caller)
        assert answer.status_code == 403 and answer.json["error"]["code"] == "consent_required"
        assert SCOPE in answer.json["error"]["message"]
    reveal(ann)
    assert matches(bob).status_code == 403  # one is not enough
    reveal(bob)
    assert matches(ann).json == matches(bob).json == {"both_yes": [X], "worth_discussing": []}
    reveal(bob, granted=False)
    assert matches(ann).status_code == 403 and matches(bob).status_code == 403


CASES = [  # (ann, bob, tier): every pair of answers, unanswered included
    ("yes", "yes", "both_yes"), ("yes", "maybe", "worth_discussing"), ("maybe", "maybe", "worth_discussing"),
    ("maybe", "yes", "worth_discussing"), ("yes", "no", None), ("no", "yes", None), ("maybe", "no", None),
    ("no", "no", None), ("yes", None, None), (None, "maybe", None), (None, None, None), ("no", "maybe", None),
]


def test_the_lowest_answer_decides(pair):
    ann, bob = pair
    items = IDS[:len(CASES)]
    put(ann, {item: a for item, (a, _b, _t) in zip(items, CASES) if a})
    put(bob, {item: b for item, (_a, b, _t) in zip(items, CASES) if b})
    reveal(ann, bob)
    expected = {"both_yes": [item for item, case in zip(items, CASES) if case[2] == "both_yes"],
                "worth_discussing": [item for item, case in zip(items, CASES) if case[2] == "worth_discussing"]}
    assert matches(ann).json == matches(bob).json == expected
    assert len(expected["both_yes"]) == 1 and len(expected["worth_discussing"]) == 3


def test_matches_follow_catalog_order_and_every_change(pair):
    ann, bob = pair
    put(ann, {Z: "yes", X: "yes", Y: "maybe"})
    put(bob, {Z: "yes", X: "yes", Y: "yes"})
    reveal(ann, bob)
    assert matches(ann).json == {"both_yes": [X, Z], "worth_discussing": [Y]}
    put(bob, {Z: "maybe"})  # lowering counts at once
    assert matches(ann).json == {"both_yes": [X], "worth_discussing": [Y, Z]}


# -- bad input: a clear 400 and nothing stored ------------------------------------------------------


def _unchanged(member, before_answers, before_event):
    assert own(member)["answers"] == before_answers
    assert own(member)["notes"] == {}
    assert events_after(member, before_event) == []


BAD_BATCHES = [
    (None, "body_required", "JSON object"),
    ([1, 2], "invalid_json", "JSON object"),
    ({}, "invalid_field", "'answers'"),
    ({"answers": ["yes"]}, "invalid_field", "'answers'"),
    ({"answers": {X: "YES"}}, "invalid_answer", '"yes", "no" or "maybe"'),
    ({"answers": {X: "yes", Y: "sure"}}, "invalid_answer", repr(Y)),
    ({"answers": {X: True}}, "invalid_answer", repr(X)),
    ({"answers": {X: None}}, "invalid_answer", repr(X)),
    ({"answers": {X: "yes", "made.up": "yes"}}, "unknown_item", "'made.up'"),
    ({"answers": {X: "yes"}, "notes": "text"}, "invalid_field", "'notes'"),
    ({"answers": {X: "yes"}, "notes": {"made.up": "hi"}}, "unknown_item", "'made.up'"),
    ({"answers": {X: "yes"}, "notes": {X: 5}}, "invalid_note", repr(X)),
    ({"answers": {X: "yes"}, "notes": {X: "a" * 501}}, "invalid_note", "500"),
]


def test_a_bad_batch_is_refused_whole(pair):
    ann, _bob = pair
    put(ann, {W: "maybe"})
    before = last_event_id(ann)
    for body, code, words in BAD_BATCHES:
        if body is None:
            answer = ann.put("/api/v1/matcher/answers")
        else:
            answer = ann.put("/api/v1/matcher/answers", json=body)
        assert answer.status_code == 400, body
        assert answer.json["error"]["code"] == code, body
        assert words in answer.json["error"]["message"], body
        _unchanged(ann, {W: "maybe"}, before)


def test_the_error_for_a_long_unknown_id_is_short(pair):
    ann, _bob = pair
    answer = put(ann, {"x" * 5000: "yes"})
    assert answer.status_code == 400 and len(answer.json["error"]["message"]) < 200


# -- custom items ------------------------------------------------------------------------------------


def test_a_custom_item_appears_for_both_without_its_author(pair):
    ann, bob = pair
    before = last_event_id(ann)
    added = bob.post("/api/v1/matcher/items", json={"title": "  Breakfast   in bed ", "explanation": "Sundays"})
    assert added.status_code == 201
    item = added.json["item"]
    assert item["title"] == "Breakfast in bed" and item["category"] == "ours" and item["custom"] is True
    assert str(bob.id) not in str(item.keys()) and "proposer" not in str(added.json)
    for member in (ann, bob):
        listed = [i for i in member.get("/api/v1/matcher/items").json["items"] if i["id"] == item["id"]]
        assert listed == [{**item, "proposal": None}]
    events = events_after(ann, before)
    assert [e["type"] for e in events] == ["matcher.items.changed"]
    assert events[0]["actor_id"] is None and events == events_after(bob, before)
    # it can be answered and matched like any other
    put(ann, {item["id"]: "yes"})
    put(bob, {item["id"]: "yes"})
    reveal(ann, bob)
    assert matches(ann).json["both_yes"] == [item["id"]]


def test_a_custom_item_can_go_in_a_catalog_category(pair):
    ann, _bob = pair
    added = ann.post("/api/v1/matcher/items", json={"title": "Dancing in the kitchen", "category": "affection"})
    assert added.status_code == 201 and added.json["item"]["category"] == "affection"


BAD_ITEMS = [
    ({}, "'title'"), ({"title": "   "}, "'title'"), ({"title": 7}, "'title'"), ({"title": "a" * 121}, "120"),
    ({"title": "ok", "explanation": 5}, "'explanation'"), ({"title": "ok", "explanation": "e" * 241}, "240"),
    ({"title": "ok", "category": "nope"}, "'category'"), ({"title": "ok", "category": ["ours"]}, "'category'"),
    (None, "JSON object"),
]


def test_bad_custom_items_are_refused(pair):
    ann, _bob = pair
    before_items = len(ann.get("/api/v1/matcher/items").json["items"])
    before = last_event_id(ann)
    for body, words in BAD_ITEMS:
        answer = ann.post("/api/v1/matcher/items", json=body) if body is not None else ann.post("/api/v1/matcher/items")
        assert answer.status_code == 400 and words in answer.json["error"]["message"], body
        assert len(ann.get("/api/v1/matcher/items").json["items"]) == before_items
        assert events_after(ann, before) == []


def test_custom_items_have_a_limit(pair, monkeypatch):
    ann, _bob = pair
    monkeypatch.setattr(matcher_store, "MAX_CUSTOM_ITEMS", 1)
    assert ann.post("/api/v1/matcher/items", json={"title": "one"}).status_code == 201
    answer = ann.post("/api/v1/matcher/items", json={"title": "two"})
    assert answer.status_code == 409 and answer.json["error"]["code"] == "too_many_items"
    assert [i["title"] for i in ann.get("/api/v1/matcher/items").json["items"] if i["custom"]] == ["one"]


def test_another_couple_never_sees_or_answers_our_items(pair, other_pair):
    ann, bob = pair
    cat, _dan = other_pair
    item = ann.post("/api/v1/matcher/items", json={"title": "Our secret picnic"}).json["item"]
    assert "Our secret picnic" not in cat.get("/api/v1/matcher/items").get_data(as_text=True)
    theirs = put(cat, {item["id"]: "yes"})
    made_up = put(cat, {"custom.0000000000": "yes"})
    assert theirs.status_code == made_up.status_code == 400
    assert theirs.json["error"]["message"].replace(item["id"], "ID") == \
        made_up.json["error"]["message"].replace("custom.0000000000", "ID")
    hide = cat.post("/api/v1/matcher/proposals", json={"item_id": item["id"], "action": "hide"})
    assert hide.status_code == 400 and hide.json["error"]["code"] == "unknown_item"


# -- hiding by mutual agreement ---------------------------------------------------------------------------


def test_hiding_needs_everyone(pair):
    ann, bob = pair
    both_say_yes(ann, bob)
    first = ann.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "hide"})
    assert first.status_code == 200 and first.json["done"] is False
    assert first.json["proposal"] == {"action": "hide", "you_agreed": True}
    # a repeat changes nothing
    before = last_event_id(ann)
    again = ann.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "hide"})
    assert again.status_code == 200 and again.json["done"] is False and events_after(ann, before) == []
    seen_by_bob = next(i for i in bob.get("/api/v1/matcher/items").json["items"] if i["id"] == X)
    assert seen_by_bob["proposal"] == {"action": "hide", "you_agreed": False}
    assert matches(bob).json["both_yes"] == [X]  # not hidden yet
    done = bob.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "hide"})
    assert done.json["done"] is True and done.json["proposal"] is None
    for member in (ann, bob):
        assert X not in [i["id"] for i in member.get("/api/v1/matcher/items").json["items"]]
        assert [i["id"] for i in member.get("/api/v1/matcher/hidden").json["items"]] == [X]
        assert matches(member).json == {"both_yes": [], "worth_discussing": []}
        assert X not in own(member)["answers"]
    refused = put(ann, {X: "no"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "unknown_item"
    # showing again needs everyone too, and the answers were kept
    ann.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "show"})
    assert X not in [i["id"] for i in bob.get("/api/v1/matcher/items").json["items"]]
    bob.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "show"})
    assert matches(ann).json["both_yes"] == [X]
    assert own(ann)["answers"] == {X: "yes"}


def test_a_proposal_can_be_withdrawn_or_declined(pair):
    ann, bob = pair
    ann.post("/api/v1/matcher/proposals", json={"item_id": Y, "action": "hide"})
    declined = bob.delete("/api/v1/matcher/proposals?item_id=" + Y)
    assert declined.status_code == 200 and declined.json == {"item_id": Y, "proposal": None}
    assert next(i for i in ann.get("/api/v1/matcher/items").json["items"] if i["id"] == Y)["proposal"] is None
    # after a decline, agreeing alone hides nothing
    bob.post("/api/v1/matcher/proposals", json={"item_id": Y, "action": "hide"})
    assert Y in [i["id"] for i in ann.get("/api/v1/matcher/items").json["items"]]
    assert bob.delete("/api/v1/matcher/proposals?item_id=" + Y).status_code == 200  # withdrawn by its author


BAD_PROPOSALS = [
    (None, 400, "body_required"), ({}, 400, "invalid_field"), ({"item_id": X}, 400, "invalid_field"),
    ({"item_id": 5, "action": "hide"}, 400, "invalid_field"),
    ({"item_id": X, "action": "delete"}, 400, "invalid_field"),
    ({"item_id": "nope.nope", "action": "hide"}, 400, "unknown_item"),
    ({"item_id": X, "action": "show"}, 409, "not_hidden"),
]


def test_bad_proposals_are_refused(pair):
    ann, _bob = pair
    before = last_event_id(ann)
    for body, status, code in BAD_PROPOSALS:
        answer = ann.post("/api/v1/matcher/proposals", json=body) if body is not None \
            else ann.post("/api/v1/matcher/proposals")
        assert answer.status_code == status and answer.json["error"]["code"] == code, body
        assert events_after(ann, before) == []
        assert all(i["proposal"] is None for i in ann.get("/api/v1/matcher/items").json["items"])


def test_hiding_a_hidden_item_and_withdrawing_nothing_are_refused(pair):
    ann, bob = pair
    ann.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "hide"})
    bob.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "hide"})
    again = ann.post("/api/v1/matcher/proposals", json={"item_id": X, "action": "hide"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_hidden"
    missing = ann.delete("/api/v1/matcher/proposals")
    assert missing.status_code == 400 and "item_id" in missing.json["error"]["message"]
    nothing = ann.delete("/api/v1/matcher/proposals?item_id=" + Y)
    assert nothing.status_code == 404 and nothing.json["error"]["code"] == "no_proposal"


# -- who may call ---------------------------------------------------------------------------------------


def test_nobody_gets_401(shared_app, pair):
    client = shared_app.test_client()
    for method, path in ROUTES:
        answer = client.open(path, method=method, json={})
        assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized", path


def test_the_wall_gets_403_everywhere(shared_app, pair):
    client = shared_app.test_client()
    ann, bob = pair
    both_say_yes(ann, bob)
    wall = pair_device(ann)
    before = last_event_id(ann)
    for method, path in ROUTES:
        answer = client.open(path, method=method, headers=wall.headers,
                             json={"answers": {X: "no"}, "title": "t", "item_id": X, "action": "hide"})
        assert answer.status_code == 403 and answer.json["error"]["code"] == "members_only", path
    assert own(ann)["answers"] == {X: "yes"} and events_after(ann, before) == []
    assert "matcher" not in wall.client.get("/api/v1/dashboard", headers=wall.headers).get_data(as_text=True)


def test_another_couple_reads_only_its_own(pair, other_pair):
    ann, bob = pair
    cat, dan = other_pair
    put(ann, {X: "yes"}, notes={X: "ANN-NOTE"})
    put(bob, {X: "yes"})
    reveal(ann, bob)
    assert own(cat)["answers"] == {} and own(cat)["notes"] == {}
    assert matches(cat).status_code == 403
    reveal(cat, dan)
    assert matches(cat).json == {"both_yes": [], "worth_discussing": []}
    put(cat, {X: "no"})
    assert matches(ann).json["both_yes"] == [X]
    assert cat.delete("/api/v1/matcher/proposals?item_id=" + X).status_code == 404
    assert cat.get("/api/v1/matcher/hidden").json == {"items": []}
