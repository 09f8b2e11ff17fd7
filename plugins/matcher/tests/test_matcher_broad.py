"""Saying yes to everything before comparing is announced to the partner first (issue 13, hole 10).

Under the lowest-answer rule, a member who answers yes to every item and then
compares gets back the partner's whole yes / maybe list, and the cool-down never
fires because nothing was raised. So an answer set that is yes or maybe for at
least ``broad_percent`` of the list closes the results until the partner has been
told and confirmed; the rule itself (both_yes / worth_discussing) is unchanged.
"""

from __future__ import annotations

import json
import math

from matcher_testing import IDS, X, Y, Z, W, events_after, last_event_id, matches, own, put, reveal

EVERYTHING_YES = {item_id: "yes" for item_id in IDS}
BOB = {X: "yes", Y: "maybe", Z: "no"}  # W unanswered
BOB_TIERS = {"both_yes": [X], "worth_discussing": [Y]}
REVEAL = "/api/v1/matcher/reveal"
CONFIRM = "/api/v1/matcher/reveal/confirmations"


def state(member) -> dict:
    answer = member.get(REVEAL)
    assert answer.status_code == 200, answer.json
    return answer.json


def confirm(member):
    return member.post(CONFIRM, json={"confirm": True})


def error_code(answer) -> str:
    assert answer.status_code == 403, answer.json
    return answer.json["error"]["code"]


def test_saying_yes_to_everything_shows_nothing_until_the_partner_is_told_and_confirms(pair):
    ann, bob = pair
    put(bob, BOB)
    reveal(ann, bob)
    put(ann, EVERYTHING_YES)

    assert error_code(matches(ann)) == "waiting_for_confirmation"
    refused = matches(bob)
    assert error_code(refused) == "confirmation_required"
    assert "at least 75% of the list" in refused.json["error"]["message"]
    assert state(bob) == {"active": True, "broad_percent": 75, "you_broad": False, "partner_broad": True,
                          "to_confirm": True, "waiting_for_partner": False, "results_visible": False}
    assert state(ann) == {"active": True, "broad_percent": 75, "you_broad": True, "partner_broad": False,
                          "to_confirm": False, "waiting_for_partner": True, "results_visible": False}
    assert own(ann)["compared"] is False  # nothing was seen, so nothing was compared

    confirmed = confirm(bob)
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["results_visible"] is True and confirmed.json["to_confirm"] is False
    assert matches(ann).json == BOB_TIERS  # the min-tier rule is unchanged once Bob agreed
    assert matches(bob).json == BOB_TIERS


def test_the_notice_and_its_errors_name_no_item_and_no_answer(pair):
    ann, bob = pair
    put(bob, BOB)
    reveal(ann, bob)
    put(ann, EVERYTHING_YES)
    for member in (ann, bob):
        said = json.dumps([matches(member).json, state(member)])
        assert not {X, Y, Z, W} & set(said.replace('"', " ").split()), said


def test_the_partner_is_told_only_once_the_broad_member_is_ready_to_compare(pair):
    """Filling in the list stays private; turning on "ready to compare" is what announces it."""
    ann, bob = pair
    put(ann, EVERYTHING_YES)
    reveal(bob)
    assert state(ann)["you_broad"] is True  # Ann sees it before she turns the switch on
    assert state(ann)["waiting_for_partner"] is False  # and Bob has not been told yet
    assert state(bob)["partner_broad"] is False and state(bob)["to_confirm"] is False
    assert confirm(bob).status_code == 409  # nothing announced, nothing to confirm blind
    reveal(ann)
    assert state(bob)["partner_broad"] is True and state(bob)["to_confirm"] is True


def test_all_maybe_is_broad_too_and_the_share_is_counted_over_the_visible_list(pair):
    ann, bob = pair
    put(bob, BOB)
    needed = math.ceil(len(IDS) * 75 / 100)
    put(ann, {item_id: "maybe" for item_id in IDS[:needed - 1]})
    reveal(ann, bob)
    assert state(bob)["partner_broad"] is False and state(ann)["results_visible"] is True
    put(ann, {IDS[needed - 1]: "maybe"})  # one more: three quarters of the list
    assert error_code(matches(ann)) == "waiting_for_confirmation"
    assert state(bob)["to_confirm"] is True


def test_the_broad_member_cannot_confirm_for_the_partner(pair):
    ann, bob = pair
    reveal(ann, bob)
    put(ann, EVERYTHING_YES)
    refused = confirm(ann)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "nothing_to_confirm"
    assert error_code(matches(ann)) == "waiting_for_confirmation"


def test_a_confirmation_must_say_so(pair):
    ann, bob = pair
    reveal(ann, bob)
    put(ann, EVERYTHING_YES)
    for body in ({}, {"confirm": "yes"}, {"confirm": 1}, {"confirm": False}):
        refused = bob.post(CONFIRM, json=body)
        assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_field", body
    assert state(bob)["to_confirm"] is True  # nothing was written


def test_a_wholesale_raise_after_comparing_closes_the_results_when_it_starts_to_count(pair, matcher_clock):
    ann, bob = pair
    put(bob, BOB)
    put(ann, {X: "yes"})
    reveal(ann, bob)
    assert matches(bob).json == {"both_yes": [X], "worth_discussing": []}
    put(ann, EVERYTHING_YES)  # every raise waits the cool-down
    assert matches(bob).status_code == 200 and state(bob)["partner_broad"] is False
    matcher_clock.advance(days=7)
    assert error_code(matches(bob)) == "confirmation_required"
    assert error_code(matches(ann)) == "waiting_for_confirmation"
    assert confirm(bob).status_code == 200
    assert matches(ann).json == BOB_TIERS


def test_becoming_broad_again_is_announced_again(pair, matcher_clock):
    ann, bob = pair
    put(bob, BOB)
    reveal(ann, bob)
    put(ann, EVERYTHING_YES)
    confirm(bob)
    assert matches(ann).json == BOB_TIERS
    put(ann, {item_id: "no" for item_id in IDS[1:]})  # lowering counts at once: no longer broad
    assert matches(ann).json == {"both_yes": [X], "worth_discussing": []}
    put(ann, EVERYTHING_YES)
    matcher_clock.advance(days=7)
    assert error_code(matches(bob)) == "confirmation_required"


def test_a_live_page_is_told_when_the_results_close_for_a_confirmation(pair):
    ann, bob = pair
    put(bob, BOB)
    put(ann, {X: "yes"})
    reveal(ann, bob)  # nobody looked yet: Ann's answers still count at once
    since = last_event_id(bob)
    put(ann, EVERYTHING_YES)
    assert "matcher.matches.changed" in [e["type"] for e in events_after(bob, since)]
    since = last_event_id(ann)
    confirm(bob)
    assert "matcher.matches.changed" in [e["type"] for e in events_after(ann, since)]


def test_an_export_is_no_way_around_the_confirmation(pair, matcher_clock):
    ann, bob = pair
    put(bob, BOB)
    put(ann, {X: "yes"})
    reveal(ann, bob)
    matches(ann)  # compared
    assert "mutual_results" in ann.get("/api/v1/me/export").json["plugins"]["matcher"]
    put(ann, EVERYTHING_YES)
    matcher_clock.advance(days=7)
    for member in (ann, bob):
        assert "mutual_results" not in member.get("/api/v1/me/export").json["plugins"]["matcher"]
    confirm(bob)
    assert ann.get("/api/v1/me/export").json["plugins"]["matcher"]["mutual_results"] == BOB_TIERS


def test_the_privacy_matrix_holds_the_matcher_to_the_saying_yes_rule(shared_app, pair, other_pair):
    from hearthside.plugins import matcher
    from hearthside.testing import PrivacyMatrix, pair_device

    ann, bob = pair
    put(bob, BOB)
    reveal(ann, bob)
    matrix = PrivacyMatrix(shared_app, ["matcher"], [matcher], ann, bob, pair_device(ann), other_pair[0])
    matrix.run_probe_by_saying_yes("/api/v1/matcher/matches", lambda member: put(member, EVERYTHING_YES),
                                   confirm=confirm)


def test_the_probe_catches_a_matcher_without_the_notice(shared_app, pair, other_pair, monkeypatch):
    """The matrix rule itself: with the notice switched off (today's main), the probe reports the hole."""
    from hearthside.plugins import matcher
    from hearthside.plugins.matcher import model
    from hearthside.testing import PrivacyMatrix, pair_device

    monkeypatch.setattr(model, "pending", lambda *args, **kwargs: set())
    ann, bob = pair
    put(bob, BOB)
    reveal(ann, bob)
    matrix = PrivacyMatrix(shared_app, ["matcher"], [matcher], ann, bob, pair_device(ann), other_pair[0])
    problems = matrix.probe_by_saying_yes("/api/v1/matcher/matches", lambda member: put(member, EVERYTHING_YES))
    assert [line.split(":")[0] for line in problems] == ["ann", "bob"]


def test_when_both_answered_broadly_each_confirms_the_other(pair):
    ann, bob = pair
    put(ann, EVERYTHING_YES)
    put(bob, {item_id: "maybe" for item_id in IDS})
    reveal(ann, bob)
    for member in (ann, bob):
        assert error_code(matches(member)) == "confirmation_required"
        assert state(member)["partner_broad"] is True and state(member)["waiting_for_partner"] is True
    assert confirm(ann).status_code == 200
    assert error_code(matches(ann)) == "waiting_for_confirmation"  # Bob has not confirmed Ann's yet
    assert confirm(bob).status_code == 200
    assert matches(ann).json == {"both_yes": [], "worth_discussing": IDS}


def test_the_consent_itself_says_a_broad_answer_set_is_announced_first(pair):
    ann, _bob = pair
    scopes = {scope["scope"]: scope for scope in ann.get("/api/v1/consents").json["scopes"]}
    description = scopes["matcher.reveal"]["description"]
    assert "nearly everything" in description and "wait until they agree" in description
