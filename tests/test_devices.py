"""Wall-screen devices: pairing codes, claiming, listing, revoking, and the dashboard."""

from __future__ import annotations

import pytest

from hearthside.accounts import digest
from hearthside.consent import Scope
from hearthside.hookspecs import hookimpl
from hearthside.testing import pair_device
from tests.conftest import join_new_couple, onboard_couple
from tests.support import testcards as card_plugin


def events_of(member, type_: str) -> list[dict]:
    return [e for e in member.get("/api/v1/events?limit=500").json["events"] if e["type"] == type_]


# -- creating and claiming -----------------------------------------------------------


def test_create_device_returns_a_one_time_code_stored_only_as_a_hash(app, couple):
    ann, _bob = couple
    answer = ann.post("/api/v1/devices", json={"name": "  Kitchen tablet "})
    assert answer.status_code == 201
    body = answer.json
    assert set(body) >= {"id", "pairing_code", "expires_at"}
    assert len(body["pairing_code"]) == 8
    with app.extensions["hearthside"].storage.connection() as db:
        row = db["devices"].get(body["id"])
        dump = "\n".join(db.iterdump())
    assert row["name"] == "Kitchen tablet"
    assert row["pairing_code_hash"] == digest(body["pairing_code"])
    assert body["pairing_code"] not in dump


@pytest.mark.parametrize("body", [None, {}, {"name": ""}, {"name": "   "}, {"name": 7}, {"name": "x" * 61}, [1]])
def test_create_device_rejects_bad_input_and_writes_nothing(app, couple, body):
    ann, _bob = couple
    answer = ann.post("/api/v1/devices", json=body) if body is not None else ann.post("/api/v1/devices")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] in ("body_required", "invalid_json", "invalid_field")
    assert ann.get("/api/v1/devices").json["devices"] == []


def test_claim_gives_a_device_token_that_reads_only_the_wall(client, couple):
    ann, _bob = couple
    wall = pair_device(ann)
    assert wall.get("/api/v1/dashboard").status_code == 200
    assert wall.get("/api/v1/pause").status_code == 200
    assert wall.get("/api/v1/events").status_code == 200
    for path in ("/api/v1/me", "/api/v1/consents", "/api/v1/devices", "/api/v1/pause/history"):
        answer = wall.get(path)
        assert answer.status_code == 403, path
        assert answer.json["error"]["code"] == "members_only"
    assert wall.post("/api/v1/devices", json={"name": "another"}).status_code == 403
    assert wall.post("/api/v1/pause", json={}).status_code == 403


def test_claim_is_case_and_dash_insensitive(client, couple):
    ann, _bob = couple
    code = ann.post("/api/v1/devices", json={"name": "Wall"}).json["pairing_code"]
    spaced = f"{code[:4].lower()}-{code[4:].lower()}"
    assert client.post("/api/v1/devices/claim", json={"pairing_code": spaced}).status_code == 201


def test_a_pairing_code_works_once(client, couple):
    ann, _bob = couple
    code = ann.post("/api/v1/devices", json={"name": "Wall"}).json["pairing_code"]
    assert client.post("/api/v1/devices/claim", json={"pairing_code": code}).status_code == 201
    again = client.post("/api/v1/devices/claim", json={"pairing_code": code})
    assert again.status_code == 404
    assert again.json["error"]["code"] == "pairing_code_invalid"
    assert "used already or expired" in again.json["error"]["message"]


def test_unknown_and_expired_codes_are_refused(app, client, couple):
    ann, _bob = couple
    assert client.post("/api/v1/devices/claim", json={"pairing_code": "ABCDEFGH"}).status_code == 404
    created = ann.post("/api/v1/devices", json={"name": "Wall"}).json
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db["devices"].update(created["id"], {"pairing_expires_at": "2000-01-01T00:00:00+00:00"})
    answer = client.post("/api/v1/devices/claim", json={"pairing_code": created["pairing_code"]})
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "pairing_code_invalid"
    with app.extensions["hearthside"].storage.connection() as db:
        assert db["devices"].get(created["id"])["claimed_at"] is None
        assert db.execute("SELECT count(*) FROM tokens WHERE kind = 'device'").fetchone()[0] == 0


@pytest.mark.parametrize("body", [None, {}, {"pairing_code": 12345678}, {"pairing_code": ""}, "code"])
def test_claim_with_a_bad_body_is_a_400(client, couple, body):
    answer = client.post("/api/v1/devices/claim", json=body) if body is not None \
        else client.post("/api/v1/devices/claim")
    assert answer.status_code == 400


def test_guessing_pairing_codes_is_slowed_down(client, couple):
    ann, _bob = couple
    code = ann.post("/api/v1/devices", json={"name": "Wall"}).json["pairing_code"]
    for _ in range(5):
        assert client.post("/api/v1/devices/claim", json={"pairing_code": "WRONGONE"}).status_code == 404
    answer = client.post("/api/v1/devices/claim", json={"pairing_code": code})
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0


# -- listing and revoking -------------------------------------------------------------------


def test_members_list_their_couples_devices(client, couple):
    ann, bob = couple
    wall = pair_device(ann, "Hall")
    ann.post("/api/v1/devices", json={"name": "Not yet paired"})
    wall.get("/api/v1/dashboard")
    listed = bob.get("/api/v1/devices").json["devices"]
    assert [d["name"] for d in listed] == ["Hall", "Not yet paired"]
    hall, pending = listed
    assert set(hall) >= {"id", "name", "created_at", "claimed_at", "last_used_at", "revoked"}
    assert hall["claimed_at"] and hall["last_used_at"] and hall["revoked"] is False
    assert pending["claimed_at"] is None and pending["pairing_expires_at"]
    assert "pairing_code" not in str(listed) and "token" not in str(listed)


def test_revoking_a_device_stops_its_token_at_once(client, couple):
    ann, bob = couple
    wall = pair_device(ann)
    answer = bob.delete(f"/api/v1/devices/{wall.id}")
    assert answer.status_code == 200
    assert answer.json["revoked"] is True
    assert wall.get("/api/v1/dashboard").status_code == 401
    assert bob.delete(f"/api/v1/devices/{wall.id}").status_code == 200  # idempotent
    assert [e["payload"]["device"]["id"] for e in events_of(ann, "device.revoked")] == [wall.id]
    assert [e["payload"]["device"]["id"] for e in events_of(ann, "device.paired")] == [wall.id]


def test_revoking_an_unclaimed_device_kills_its_code(client, couple):
    ann, _bob = couple
    created = ann.post("/api/v1/devices", json={"name": "Wall"}).json
    assert ann.delete(f"/api/v1/devices/{created['id']}").status_code == 200
    assert client.post("/api/v1/devices/claim", json={"pairing_code": created["pairing_code"]}).status_code == 404


def test_another_couples_device_is_not_found(client, couple):
    ann, _bob = couple
    cat, _dan = join_new_couple(client, ann)
    wall = pair_device(ann)
    answer = cat.delete(f"/api/v1/devices/{wall.id}")
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "device_not_found"
    assert cat.get("/api/v1/devices").json["devices"] == []
    assert wall.get("/api/v1/dashboard").status_code == 200
    assert ann.delete("/api/v1/devices/999999").status_code == 404


# -- the dashboard ---------------------------------------------------------------------------


def test_dashboard_shows_a_plugins_cards_only_while_its_scope_is_active(card_couple):
    ann, bob = card_couple
    wall = pair_device(ann)
    assert wall.get("/api/v1/dashboard").json["cards"] == []
    ann.put("/api/v1/consents/dashboard.testcards", json={"granted": True})
    assert wall.get("/api/v1/dashboard").json["cards"] == []  # one yes is not enough
    bob.put("/api/v1/consents/dashboard.testcards", json={"granted": True})
    cards = wall.get("/api/v1/dashboard").json["cards"]
    assert cards == [{"id": "hello", "title": "A calm test card",
                      "body": {"text": "Shown only while both agree."}, "plugin": "testcards"}]
    assert ann.get("/api/v1/dashboard").json["cards"] == cards  # members see the wall too
    bob.put("/api/v1/consents/dashboard.testcards", json={"granted": False})
    assert wall.get("/api/v1/dashboard").json["cards"] == []


def test_dashboard_carries_the_pause_state(client, couple):
    ann, _bob = couple
    wall = pair_device(ann)
    assert wall.get("/api/v1/dashboard").json == {"cards": [], "pause": {"active": False}}
    ann.post("/api/v1/pause", json={"minutes": 5})
    paused = wall.get("/api/v1/dashboard").json["pause"]
    assert paused["active"] is True and "started_by" not in paused  # the wall never shows who asked
    assert ann.get("/api/v1/dashboard").json["pause"]["started_by"] == ann.id


class UndeclaredCards:
    """Offers cards but declares no dashboard scope: its cards can never be shown."""

    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        return [{"id": "sneaky", "title": "Never agreed to", "body": {}}]


class BrokenCards:
    """Declares its scope, then raises when asked for cards."""

    @hookimpl
    def hearthside_consent_scopes(self, hs):
        return [Scope("dashboard.broken", "Show the broken plugin's card on the wall.")]

    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        raise RuntimeError("boom")


def test_cards_without_a_declared_scope_or_from_a_failing_plugin_are_not_shown(make_app):
    app = make_app(extra_plugins={"undeclared": UndeclaredCards(), "broken": BrokenCards(),
                                  "testcards": card_plugin})
    ann, bob = onboard_couple(app.test_client())
    for member in (ann, bob):
        for scope in ("dashboard.broken", "dashboard.testcards"):
            assert member.put(f"/api/v1/consents/{scope}", json={"granted": True}).status_code == 200
    answer = ann.get("/api/v1/dashboard")
    assert answer.status_code == 200
    assert [card["plugin"] for card in answer.json["cards"]] == ["testcards"]
    assert app.extensions["hearthside"].plugins.plugins["broken"].state == "failed"
