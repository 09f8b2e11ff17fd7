"""Adversarial privacy tests: nothing lets one partner learn the other's one-sided answer.

The partner probes through every channel the server offers - API answers,
the event history, the live stream, error messages, the wall - and must see
exactly the same whether the other's answers differ or not, as long as the
mutual tiers are the same.
"""

from __future__ import annotations

import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearthside.testing import listen, onboard_couple, pair_device
from matcher_testing import (IDS, SCOPE, X, Y, Z, both_say_yes, events_after, last_event_id, matches, newest_event_id,
                             own, put, reveal)

RANK = {"no": 0, "maybe": 1, "yes": 2}
VOLATILE = ("id", "created_at")


def stable(events: list[dict]) -> list[dict]:
    return [{key: value for key, value in event.items() if key not in VOLATILE} for event in events]


# -- the property ------------------------------------------------------------------------------------

ITEMS = IDS[:5]
ANSWER = st.sampled_from(["yes", "no", "maybe"])


def same_tier_choices(a: str, b: str, reveal_on: bool) -> list[str]:
    """Every answer B could give instead of ``b`` that leaves the tier of this item unchanged."""
    if not reveal_on:
        return ["yes", "no", "maybe"]  # with the reveal off there are no tiers to see at all
    tier = min(RANK[a], RANK[b])
    return [other for other in ("yes", "no", "maybe") if min(RANK[a], RANK[other]) == tier]


def observe(ann) -> dict:
    """Everything Ann can read now through the API."""
    result = matches(ann)
    return {
        "items": ann.get("/api/v1/matcher/items").json,
        "hidden": ann.get("/api/v1/matcher/hidden").json,
        "answers": own(ann),
        "matches": (result.status_code, result.json),
        "consents": ann.get("/api/v1/consents").json,
    }


def test_what_a_partner_can_read_depends_only_on_the_mutual_tiers(make_app):
    """Property: for any answers of Ann, changing Bob's answers without changing the tiers
    changes nothing Ann can read - responses, event history or live messages.

    With no cool-down, so that every change of Bob's counts at once (the hardest case)."""
    app = make_app(flags={"plugins.matcher.raise_cooldown_days": 0})
    ann, bob = onboard_couple(app.test_client())
    ann_socket = listen(app, ann.token)

    revealed = [False]

    def world(ann_answers, base, bob_answers, reveal_on):
        """Same starting point (Ann's answers, Bob's base, the reveal), then Bob's change; what Ann sees."""
        put(ann, ann_answers)
        put(bob, base)
        if revealed[0] != reveal_on:
            reveal(ann, bob, granted=reveal_on)
            revealed[0] = reveal_on
        marker = newest_event_id(app)
        ann_socket.received()
        assert put(bob, bob_answers).status_code == 200
        seen = observe(ann)
        seen["events"] = stable(events_after(ann, marker))
        seen["live"] = stable(ann_socket.received())
        return seen

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data(), reveal_on=st.booleans(),
           ann_answers=st.fixed_dictionaries({item: ANSWER for item in ITEMS}),
           base=st.fixed_dictionaries({item: ANSWER for item in ITEMS}),
           first=st.fixed_dictionaries({item: ANSWER for item in ITEMS}))
    def check(data, reveal_on, ann_answers, base, first):
        second = {item: data.draw(st.sampled_from(same_tier_choices(ann_answers[item], first[item], reveal_on)))
                  for item in ITEMS}
        one = world(ann_answers, base, first, reveal_on)
        two = world(ann_answers, base, second, reveal_on)
        assert one == two

    check()
    ann_socket.disconnect()


# -- specific probes ---------------------------------------------------------------------------------


def test_while_the_reveal_is_off_the_partner_hears_nothing_at_all(shared_app, pair):
    ann, bob = pair
    put(ann, {X: "yes", Y: "yes"})
    ann_socket = listen(shared_app, ann.token)
    marker = newest_event_id(shared_app)
    before = own(ann)
    put(bob, {X: "yes", Y: "no", Z: "maybe"}, notes={X: "BOB-NOTE"})
    put(bob, {X: "no"})
    assert events_after(ann, marker) == [] and ann_socket.received() == []
    assert own(ann) == before and matches(ann).status_code == 403
    ann_socket.disconnect()


def test_unanswered_and_no_look_the_same_to_the_partner(make_app, data_dir):
    """Two couples, identical but for one thing: Bob answered 'no' to Z, or never answered it."""
    seen = []
    for bob_says_no in (True, False):
        app = make_app(flags={"data_dir": str(data_dir.parent / f"data-{bob_says_no}")})
        ann, bob = onboard_couple(app.test_client())
        put(ann, {X: "yes", Z: "yes"})
        put(bob, {X: "yes", **({Z: "no"} if bob_says_no else {})})
        reveal(ann, bob)
        seen.append((matches(ann).json, own(ann), stable(ann.get("/api/v1/events").json["events"])))
    assert seen[0] == seen[1]


def test_answer_changes_reach_only_the_author_live(shared_app, pair):
    ann, bob = pair
    wall = pair_device(ann)
    sockets = {"ann": listen(shared_app, ann.token), "bob": listen(shared_app, bob.token),
               "wall": listen(shared_app, wall.token)}
    put(ann, {X: "maybe"}, notes={X: "ANN-NOTE"})
    got = {name: sio.received() for name, sio in sockets.items()}
    assert [e["type"] for e in got["ann"]] == ["matcher.answers.saved"]
    assert got["ann"][0]["visibility"] == "private" and got["ann"][0]["audience_id"] == ann.id
    assert got["ann"][0]["payload"] == {"count": 1, "summary": "You updated your yes / no / maybe list."}
    assert got["bob"] == [] and got["wall"] == []
    assert "matcher.answers.saved" not in [e["type"] for e in bob.get("/api/v1/events").json["events"]]
    for sio in sockets.values():
        sio.disconnect()


def test_match_changes_are_announced_only_while_revealed_and_only_when_they_move(shared_app, pair):
    ann, bob = pair
    sockets = {"ann": listen(shared_app, ann.token), "bob": listen(shared_app, bob.token)}
    put(ann, {X: "yes"})
    put(bob, {X: "yes"})
    for sio in sockets.values():
        sio.received()
    reveal(ann, bob)
    for sio in sockets.values():
        assert "matcher.matches.changed" not in [e["type"] for e in sio.received()]
    put(bob, {X: "maybe"})  # moves X from both_yes to worth_discussing
    ann_got, bob_got = sockets["ann"].received(), sockets["bob"].received()
    assert [e["type"] for e in ann_got] == ["matcher.matches.changed"]
    assert ann_got[0]["actor_id"] is None and ann_got[0]["payload"] == {
        "summary": "Your shared yes / no / maybe results changed."}
    assert [e["type"] for e in bob_got] == ["matcher.answers.saved", "matcher.matches.changed"]
    put(bob, {Y: "yes"})  # Ann never answered Y: nothing mutual moves
    assert sockets["ann"].received() == []
    for sio in sockets.values():
        sio.disconnect()


def test_revoking_drops_the_results_at_once_on_every_screen(shared_app, pair):
    ann, bob = pair
    wall = pair_device(ann)
    both_say_yes(ann, bob)
    assert matches(bob).json["both_yes"] == [X]
    sockets = {"bob": listen(shared_app, bob.token), "wall": listen(shared_app, wall.token)}
    reveal(ann, granted=False)
    bob_got = sockets["bob"].received()
    assert {"type": "consent.changed", "payload": {"scope": SCOPE, "active": False}}.items() <= \
        {"type": bob_got[0]["type"], "payload": bob_got[0]["payload"]}.items()
    assert matches(bob).status_code == 403 and matches(ann).status_code == 403
    wall_got = sockets["wall"].received()
    assert not any(e["type"].startswith("matcher.") for e in wall_got)
    assert X not in str(wall_got)
    for sio in sockets.values():
        sio.disconnect()


def test_error_messages_do_not_depend_on_the_partner(pair):
    ann, bob = pair
    errors = []
    for ann_says in ("yes", "no", "maybe"):
        put(ann, {X: ann_says, Y: ann_says})
        for bad in ({X: "yes", "made.up": "yes"}, {X: "yes", Y: "perhaps"}, {Y: 1}):
            answer = put(bob, bad)
            errors.append((ann_says, answer.status_code, answer.json))
    by_partner = {}
    for ann_says, status, body in errors:
        by_partner.setdefault(ann_says, []).append((status, body))
    assert by_partner["yes"] == by_partner["no"] == by_partner["maybe"]


def test_my_own_answers_do_not_depend_on_the_partner(pair):
    """Bob's writes and reads answer the same whatever Ann said (with the reveal on and off)."""
    ann, bob = pair
    seen = []
    for reveal_on in (False, True):
        for ann_says in ("yes", "no"):
            put(ann, {X: ann_says})
            reveal(ann, bob, granted=reveal_on)
            if reveal_on:
                bob.get("/api/v1/matcher/matches")  # compared: a look at the tiers is allowed now
            response = put(bob, {X: "maybe", Y: "yes"}, notes={X: "if"}).json
            seen.append((reveal_on, response, own(bob), bob.get("/api/v1/matcher/items").json))
    assert seen[0][1:] == seen[1][1:] and seen[2][1:] == seen[3][1:]


def test_the_wall_shows_nothing_from_the_matcher_ever(shared_app, pair):
    ann, bob = pair
    wall = pair_device(ann)
    both_say_yes(ann, bob)
    scopes = [s["scope"] for s in ann.get("/api/v1/consents").json["scopes"]]
    assert SCOPE in scopes and "dashboard.matcher" not in scopes
    assert ann.put("/api/v1/consents/dashboard.matcher", json={"granted": True}).status_code == 404
    dashboard = wall.client.get("/api/v1/dashboard", headers=wall.headers)
    assert dashboard.status_code == 200 and "matcher" not in dashboard.get_data(as_text=True)
    wall_events = wall.client.get("/api/v1/events", headers=wall.headers).json["events"]
    assert not any(e["type"].startswith("matcher.") for e in wall_events)
    assert X not in str(wall_events)


def test_another_couple_hears_nothing(shared_app, pair, other_pair):
    ann, bob = pair
    cat, _dan = other_pair
    cat_socket = listen(shared_app, cat.token)
    marker = last_event_id(cat)
    both_say_yes(ann, bob)
    put(bob, {X: "maybe"})
    ann.post("/api/v1/matcher/items", json={"title": "A weekend away"})
    assert cat_socket.received() == [] and events_after(cat, marker) == []
    cat_socket.disconnect()


def test_nothing_private_reaches_the_log(shared_app, pair, caplog):
    ann, bob = pair
    caplog.set_level(logging.DEBUG)
    put(ann, {X: "yes", Y: "maybe"}, notes={X: "LOG-NOTE-MARKER"})
    put(bob, {X: "yes", "made.up": "maybe"})
    put(bob, {X: "perhaps"})
    ann.post("/api/v1/matcher/items", json={"title": "LOG-TITLE-MARKER"})
    reveal(ann, bob)
    matches(ann)
    put(bob, {X: "maybe"})
    text = caplog.text
    for secret in ("LOG-NOTE-MARKER", "LOG-TITLE-MARKER", X, Y, "made.up", "perhaps"):
        assert secret not in text
