"""Who may reach what: every touch route as nobody, the wall, another couple and the partner;
the wall card; export and forget."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from touch_testing import API, events_after, last_event_id, ok, practise, set_ceiling, snapshot, text_of, unlock_up_to

from hearthside.testing import PASSWORD, listen, onboard_couple, pair_device, privacy_cast

NOTE = "ZEPHYR-NOTE-only-annika-may-read"
PROPOSAL_NOTE = "annika-suggests-a-softer-start"


@pytest.fixture
def app(make_app):
    """Every installed plugin, not conftest.py's lean app: privacy holds next to the others too."""
    return make_app()


def touch_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule == API or rule.rule.startswith(API + "/"):
            routes += [(method, rule.rule) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(routes)


@pytest.fixture
def world(make_app):
    """Couple A (annika, bartholomew) with a wall and private touch data; couple B (cat, dan)."""
    app = make_app()
    client = app.test_client()
    ann, bob, cat, dan, wall = privacy_cast(client, "Zephyr hallway")
    set_ceiling(ann, 5)            # annika's private ceiling: "skin"
    practise(ann, 3)
    ok(ann.put(f"{API}/ready"))    # annika's private "ready"
    session = ok(ann.get(f"{API}/sessions"))["past"][0]["id"]
    ok(ann.put(f"{API}/reflections", json={"session_id": session, "safe": 2, "comfortable": 1, "note": NOTE}))
    phases = [{k: p[k] for k in ("key", "name", "in", "out", "practice")}
              for p in ok(ann.get(f"{API}/ladder"))["phases"]][:-1]
    ok(ann.post(f"{API}/proposal", json={"phases": phases, "note": PROPOSAL_NOTE}), 201)
    ok(ann.post(f"{API}/sessions", json={"planned_for": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()}),
       201)
    return {"app": app, "client": client, "ann": ann, "bob": bob, "cat": cat, "dan": dan, "wall": wall,
            "session": session}


def call(client, method, path, headers):
    return client.open(path, method=method, headers=headers, json={} if method != "GET" else None)


def test_every_route_refuses_nobody_and_the_wall(world):
    app, client = world["app"], world["client"]
    routes = touch_routes(app)
    assert len(routes) >= 24
    for method, path in routes:
        anonymous = call(client, method, path, {})
        assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized", path
        wall = call(client, method, path, world["wall"].headers)
        assert wall.status_code == 403 and wall.get_json()["error"]["code"] == "members_only", (method, path)
    assert snapshot(app)["touch_sessions"][0]["status"] == "ended"


def test_another_couple_never_reaches_couple_as_data(world):
    app, client, cat, ann = world["app"], world["client"], world["cat"], world["ann"]
    a_ids = {ann.id, world["bob"].id}
    for method, path in touch_routes(app):
        if method != "GET":
            continue
        answer = call(client, method, path, cat.headers)
        assert answer.status_code in (200, 403), (path, answer.get_json())
        text = text_of(answer.get_json())
        for secret in (NOTE, PROPOSAL_NOTE, "annika", "Zephyr"):
            assert secret not in text, path
        for key in ("created_by", "proposed_by", "member_id", "accepted_by"):
            for value in re.findall(rf'"{key}": (\[[^\]]*\]|\d+)', text):
                assert not a_ids & set(map(int, re.findall(r"\d+", value))), (path, key)
    # Couple A's objects, addressed by id from couple B: "no such" - and nothing changes.
    before = snapshot(app)
    proposal_id = ok(ann.get(f"{API}/proposal"))["proposal"]["id"]
    planned_id = ok(ann.get(f"{API}/sessions"))["upcoming"][0]["id"]
    assert cat.post(f"{API}/proposal/accept", json={"proposal_id": proposal_id}).status_code == 404
    assert cat.post(f"{API}/proposal/decline", json={"proposal_id": proposal_id}).status_code == 404
    assert cat.post(f"{API}/sessions/cancel", json={"session_id": planned_id}).status_code == 404
    assert cat.put(f"{API}/reflections", json={"session_id": world["session"], "safe": 5,
                                               "comfortable": 5}).status_code == 404
    started = cat.post(f"{API}/session", json={"session_id": planned_id})
    assert started.status_code == 404
    assert snapshot(app) == before


def test_the_partner_never_reads_annikas_ceiling_ready_or_reflection(world):
    app, client, bob = world["app"], world["client"], world["bob"]
    for method, path in touch_routes(app):
        if method != "GET":
            continue
        answer = call(client, method, path, bob.headers)
        text = text_of(answer.get_json())
        assert NOTE not in text, path
        assert '"safe": 2' not in text and '"comfortable": 1' not in text, path
    assert ok(bob.get(f"{API}/ceiling"))["ceiling"]["set"] is False
    assert ok(bob.get(f"{API}/ready"))["i_am_ready"] is False
    assert ok(bob.get(f"{API}/reflections"))["reflections"] == []
    events = bob.get("/api/v1/events?limit=500").get_json()["events"]
    assert NOTE not in text_of(events)
    assert not [e for e in events if e["type"] in ("touch.ceiling_changed", "touch.ready_changed",
                                                     "touch.reflection_saved")]
    # The proposal note is shared on purpose: it is written for the partner.
    assert ok(bob.get(f"{API}/proposal"))["proposal"]["note"] == PROPOSAL_NOTE


def test_every_partner_write_is_the_partners_own(world):
    """Writes by bob touch only bob's private rows, never annika's."""
    app, bob, ann = world["app"], world["bob"], world["ann"]
    before = snapshot(app)
    for method, path in touch_routes(app):
        if method != "GET":
            call(world["client"], method, path, bob.headers)
    after = snapshot(app)
    assert [r for r in after["touch_ceilings"] if r["member_id"] == ann.id] == \
        [r for r in before["touch_ceilings"] if r["member_id"] == ann.id]
    assert [r for r in after["touch_reflections"] if r["member_id"] == ann.id] == \
        [r for r in before["touch_reflections"] if r["member_id"] == ann.id]
    assert ok(ann.get(f"{API}/ceiling"))["ceiling"]["key"] == "skin"


# -- the wall -----------------------------------------------------------------------------------


def cards(wall) -> list[dict]:
    return [c for c in ok(wall.get("/api/v1/dashboard"))["cards"] if c["plugin"] == "touch"]


def test_the_wall_card_names_tonights_phase_only_while_both_consent_and_follows_live(app, couple):
    ann, bob = couple
    wall = pair_device(ann)
    sio = listen(app, wall.token)
    assert cards(wall) == []                      # no consent yet
    ok(ann.put("/api/v1/consents/dashboard.touch", json={"granted": True}))
    assert cards(wall) == []                      # one of two is not enough
    assert sio.received() == []
    ok(bob.put("/api/v1/consents/dashboard.touch", json={"granted": True}))
    first = ok(ann.get(f"{API}/plan"))["plan"]["name"]
    assert cards(wall) == [{"id": "touch.tonight", "title": "Tonight", "body": {"text": first}, "plugin": "touch"}]
    sio.received()
    unlock_up_to(ann, bob, 2)                     # both open to more, the next phase unlocked: the plan moves
    second = ok(bob.get(f"{API}/plan"))["plan"]["name"]
    assert second != first
    assert "touch.wall_refresh" in [e["type"] for e in sio.received()]  # the wall re-reads its card at once
    assert cards(wall)[0]["body"] == {"text": second}
    ok(ann.post(f"{API}/session", json={}), 201)
    ok(ann.post(f"{API}/session/signal", json={"signal": "yellow"}))
    assert cards(wall)[0]["body"] == {"text": second}  # nothing of the session, the lights or who set what
    wall_text = text_of(ok(wall.get("/api/v1/dashboard"))) + text_of(wall.get("/api/v1/events?limit=500").json)
    assert "yellow" not in wall_text and "ready" not in wall_text and "ceiling" not in wall_text
    ok(ann.delete(f"{API}/session"))
    ok(bob.put("/api/v1/consents/dashboard.touch", json={"granted": False}))
    assert cards(wall) == []
    sio.received()
    ok(bob.post(f"{API}/step-back"))              # the plan moves, but the wall may not show it now
    assert [e for e in sio.received() if e["type"].startswith("touch.")] == []
    sio.disconnect()


def test_with_the_phase_name_on_the_wall_sessions_send_the_wall_nothing(app, couple):
    """The named card follows the plan only: a nudge at each session would time them for the room."""
    ann, bob = couple
    wall = pair_device(ann)
    ok(ann.put("/api/v1/consents/dashboard.touch", json={"granted": True}))
    ok(bob.put("/api/v1/consents/dashboard.touch", json={"granted": True}))
    sio = listen(app, wall.token)
    sio.received()
    planned = ok(ann.post(f"{API}/sessions", json={"planned_for": datetime.now(timezone.utc).isoformat()}), 201)
    ok(ann.post(f"{API}/sessions/cancel", json={"session_id": planned["session"]["id"]}))
    ok(bob.post(f"{API}/session", json={}), 201)
    ok(bob.delete(f"{API}/session"))
    assert [e["type"] for e in sio.received() if e["type"].startswith("touch.")] == []
    assert cards(wall)[0]["body"] == {"text": ok(ann.get(f"{API}/plan"))["plan"]["name"]}
    sio.disconnect()


def test_the_discreet_wall_card_only_says_an_evening_is_planned_and_follows_live(make_app):
    app = make_app(flags={"plugins.touch.wall_shows_phase_name": False})
    ann, bob = onboard_couple(app.test_client())
    wall = pair_device(ann)
    sio = listen(app, wall.token)
    ok(ann.post(f"{API}/sessions", json={"planned_for": datetime.now(timezone.utc).isoformat()}), 201)
    assert cards(wall) == []                      # no consent yet
    assert sio.received() == []                    # and the wall heard nothing of the plan
    ok(ann.put("/api/v1/consents/dashboard.touch", json={"granted": True}))
    assert cards(wall) == []                      # one of two is not enough
    ok(bob.put("/api/v1/consents/dashboard.touch", json={"granted": True}))
    assert cards(wall) == [{"id": "touch.tonight", "title": "This evening",
                            "body": {"text": "A quiet evening planned"}, "plugin": "touch"}]
    sio.received()
    ok(bob.post(f"{API}/session", json={}), 201)
    wall_events = sio.received()
    assert [(e["type"], e["payload"]) for e in wall_events] == [("touch.wall_refresh", {})]  # a content-free nudge
    assert cards(wall)[0]["body"] == {"text": "A quiet evening together"}
    set_ceiling(ann, 3)
    ok(ann.post(f"{API}/session/signal", json={"signal": "yellow"}))
    assert [e["type"] for e in sio.received()] == []  # lights and ceilings never reach the wall
    ok(ann.delete(f"{API}/session"))
    assert [e["type"] for e in sio.received()] == ["touch.wall_refresh"]
    assert cards(wall) == []                       # the evening's session has happened
    for text in (text_of(ok(wall.get("/api/v1/dashboard"))), text_of(wall.get("/api/v1/events?limit=500").json)):
        assert "Being close" not in text and "presence" not in text and "yellow" not in text
    sio.disconnect()
    scopes = {s["scope"]: s["description"] for s in ok(ann.get("/api/v1/consents"))["scopes"]}
    assert scopes["dashboard.touch"].endswith("(nothing more)")


def test_the_consent_says_what_the_wall_will_show(couple):
    ann, _bob = couple
    scopes = {s["scope"]: s["description"] for s in ok(ann.get("/api/v1/consents"))["scopes"]}
    assert "name of tonight's touch phase" in scopes["dashboard.touch"]


# -- export and forget ------------------------------------------------------------------------------


def test_export_holds_my_private_answers_and_none_of_my_partners(world):
    ann, bob = world["ann"], world["bob"]
    set_ceiling(bob, 2)
    ok(bob.put(f"{API}/reflections", json={"session_id": world["session"], "safe": 4, "comfortable": 4,
                                           "note": "BOB-OWN-NOTE"}))
    mine = ok(ann.get("/api/v1/me/export"))["plugins"]["touch"]
    assert mine["my_ceiling"][0]["phase_key"] == "skin"
    assert mine["my_ready"][0]["to_key"] == "cuddling"
    assert [r["note"] for r in mine["my_reflections"]] == [NOTE]
    assert mine["proposals"][0]["note"] == PROPOSAL_NOTE and len(mine["sessions"]) == 4
    assert "BOB-OWN-NOTE" not in text_of(mine)
    theirs = ok(bob.get("/api/v1/me/export"))["plugins"]["touch"]
    assert NOTE not in text_of(theirs) and theirs["my_ready"] == []
    assert theirs["my_ceiling"][0]["phase_key"] == "cuddling"


def test_forget_deletes_what_i_own_and_keeps_shared_records_without_my_name(world):
    app, ann, bob = world["app"], world["ann"], world["bob"]
    start = last_event_id(bob)
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    rows = snapshot(app)
    for table in ("touch_ceilings", "touch_ready_votes", "touch_reflections", "touch_signals",
                  "touch_proposal_accepts"):
        assert [r for r in rows[table] if r["member_id"] == ann.id] == [], table
    assert len(rows["touch_sessions"]) == 4 and {r["created_by"] for r in rows["touch_sessions"]} == {None}
    assert rows["touch_proposals"][0]["proposed_by"] is None
    assert NOTE not in text_of(rows)
    assert ok(ann.get(f"{API}/ceiling"))["ceiling"]["set"] is False
    assert not [e for e in events_after(bob, start) if e["type"].startswith("touch.") and e["visibility"] == "private"]
