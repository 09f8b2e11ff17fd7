"""Consent: the registry, per-member grants, 'active only while everyone agrees', history."""

from __future__ import annotations

import sqlite3

import pytest

from hearthside import consent
from hearthside.accounts import create_couple, create_member
from hearthside.auth import Principal, issue_token
from hearthside.consent import Scope
from hearthside.errors import ConsentRequired
from hearthside.hookspecs import hookimpl
from tests.conftest import onboard_couple
from tests.support import lists_reveal
from tests.support import testcards as card_plugin
from hearthside.testing import invite_partner, onboard_alone, pair_device
from tests.test_devices import events_of

SCOPE = "dashboard.testcards"


def scope_of(member, name=SCOPE) -> dict:
    return next(s for s in member.get("/api/v1/consents").json["scopes"] if s["scope"] == name)


def grant_rows(app) -> int:
    with app.extensions["hearthside"].storage.connection() as db:
        return db["consent_grants"].count


def test_lists_every_declared_scope_in_plain_language(card_couple):
    ann, bob = card_couple
    answer = ann.get("/api/v1/consents")
    assert answer.status_code == 200
    assert [s for s in answer.json["scopes"] if s["scope"] == SCOPE] == [{
        "scope": SCOPE, "description": "Show the test card on the wall screen.", "who": "all",
        "members": {str(ann.id): False, str(bob.id): False}, "active": False, "asked_again": False,
    }]


def test_a_scope_is_active_only_while_every_member_grants_it(card_couple):
    ann, bob = card_couple
    answer = ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    assert answer.status_code == 200
    assert answer.json["members"] == {str(ann.id): True, str(bob.id): False}
    assert answer.json["active"] is False
    answer = bob.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    assert answer.json["active"] is True
    assert scope_of(ann)["active"] is True
    answer = ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": False})
    assert answer.json == {**answer.json, "active": False, "members": {str(ann.id): False, str(bob.id): True}}


def test_granting_and_revoking_are_events_and_revocation_reaches_the_wall(card_couple):
    ann, bob = card_couple
    wall = pair_device(ann)
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    bob.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    bob.put(f"/api/v1/consents/{SCOPE}", json={"granted": False})
    changed = events_of(ann, "consent.changed")
    assert [(e["payload"], e["actor_id"], e["visibility"]) for e in changed] == [
        ({"scope": SCOPE, "active": False}, ann.id, "couple"),
        ({"scope": SCOPE, "active": True}, bob.id, "couple"),
        ({"scope": SCOPE, "active": False}, bob.id, "couple"),
    ]
    # The wall hears that the scope went on and off - and nothing of who did what.
    switches = [e for e in wall.get("/api/v1/events").json["events"] if e["type"].startswith("consent.")]
    assert [(e["type"], e["payload"], e["visibility"], e["actor_id"]) for e in switches] == [
        ("consent.activated", {"scope": SCOPE}, "dashboard", None),
        ("consent.revoked", {"scope": SCOPE}, "dashboard", None),
    ]


def test_a_scope_that_is_not_the_walls_never_reaches_the_wall(make_app):
    """The wall is a shared screen: "they compared their lists" must not show up there."""
    app = make_app(extra_plugins={"testcards": card_plugin, "lists": lists_reveal})
    ann, bob = onboard_couple(app.test_client())
    wall = pair_device(ann)
    for member, granted in ((ann, True), (bob, True), (bob, False), (bob, True), (ann, False)):
        assert member.put("/api/v1/consents/lists.reveal", json={"granted": granted}).status_code == 200
    assert wall.get("/api/v1/events").json["events"] == []
    # The phones are told both ways, so open pages re-read at once.
    switches = [(e["type"], e["visibility"]) for e in bob.get("/api/v1/events").json["events"]
                if e["type"] in ("consent.activated", "consent.revoked")]
    assert switches == [("consent.activated", "couple"), ("consent.revoked", "couple"),
                        ("consent.activated", "couple"), ("consent.revoked", "couple")]


def test_a_newcomer_lapses_what_was_active_and_the_wall_is_told(card_app):
    ann = onboard_alone(card_app.test_client())
    wall = pair_device(ann)
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    invite_partner(ann, "bob")
    assert [e["type"] for e in wall.get("/api/v1/events").json["events"] if e["type"].startswith("consent.")] == [
        "consent.activated", "consent.revoked"]
    assert wall.get("/api/v1/dashboard").json["cards"] == []


def test_revoking_what_was_never_active_emits_no_revoked_event(card_couple):
    ann, _bob = card_couple
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": False})
    assert events_of(ann, "consent.revoked") == []


def test_repeating_ones_answer_writes_nothing(card_app, card_couple):
    ann, _bob = card_couple
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": False})
    assert grant_rows(card_app) == 0
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    assert grant_rows(card_app) == 1
    assert len(events_of(ann, "consent.changed")) == 1


def test_unknown_scope_is_a_404(card_app, card_couple):
    ann, _bob = card_couple
    answer = ann.put("/api/v1/consents/matcher.nope", json={"granted": True})
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "unknown_scope"
    assert grant_rows(card_app) == 0


@pytest.mark.parametrize("body", [None, {}, {"granted": "true"}, {"granted": 1}, {"granted": None}, [True]])
def test_bad_body_is_a_400_and_writes_nothing(card_app, card_couple, body):
    ann, _bob = card_couple
    path = f"/api/v1/consents/{SCOPE}"
    answer = ann.put(path, json=body) if body is not None else ann.put(path, data="not json")
    assert answer.status_code == 400
    assert answer.json["error"]["message"]
    assert grant_rows(card_app) == 0


def test_devices_may_not_read_or_change_consent(card_couple):
    ann, _bob = card_couple
    wall = pair_device(ann)
    assert wall.get("/api/v1/consents").status_code == 403
    assert wall.put(f"/api/v1/consents/{SCOPE}", json={"granted": True}).status_code == 403
    assert wall.get("/api/v1/consents/history").status_code == 403


def test_history_is_the_couples_append_only_record(card_app, card_couple):
    ann, bob = card_couple
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    bob.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": False})
    answer = bob.get("/api/v1/consents/history")
    assert answer.status_code == 200
    history = answer.json["history"]
    assert [(h["scope"], h["member_id"], h["granted"]) for h in history] == [
        (SCOPE, ann.id, True), (SCOPE, bob.id, True), (SCOPE, ann.id, False)]
    assert all(h["created_at"] for h in history)
    assert answer.json["intact"] is True
    with card_app.extensions["hearthside"].storage.connection() as db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE consent_grants SET granted = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM consent_grants")


def test_tampering_behind_the_servers_back_is_detected(card_app, card_couple):
    ann, bob = card_couple
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    bob.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    with card_app.extensions["hearthside"].storage.connection() as db:
        db.execute("DROP TRIGGER consent_grants_no_update")
        db.execute("UPDATE consent_grants SET granted = 0 WHERE member_id = ?", [bob.id])
    assert ann.get("/api/v1/consents/history").json["intact"] is False


def test_a_new_member_must_grant_before_a_scope_is_active_again(card_app):
    ann = onboard_alone(card_app.test_client())
    assert ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True}).json["active"] is True  # one member
    invite_partner(ann, "bob")
    assert scope_of(ann)["active"] is False


def test_couples_are_independent(card_app):
    hs = card_app.extensions["hearthside"]
    ann, bob = onboard_couple(card_app.test_client())
    for member in (ann, bob):
        member.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    with hs.storage.connection() as db, db.atomic():
        other = create_couple(db, "Other", "UTC")
        cat = create_member(db, other, "cat", "x", "Cat")
    with hs.storage.connection() as db:
        assert consent.is_active(db, ann_couple(db, ann.id), SCOPE) is True
        assert consent.is_active(db, other, SCOPE) is False
        assert consent.member_grants(db, other, SCOPE) == {cat["id"]: False}


def ann_couple(db, member_id: int) -> int:
    return db["members"].get(member_id)["couple_id"]


def test_require_active_is_the_one_check_with_a_plain_message(card_app, card_couple):
    ann, bob = card_couple
    hs = card_app.extensions["hearthside"]
    with hs.storage.connection() as db:
        couple_id = ann_couple(db, ann.id)
        with pytest.raises(ConsentRequired) as raised:
            consent.require_active(db, couple_id, SCOPE, hs=hs)
    assert raised.value.status == 403 and raised.value.code == "consent_required"
    assert "Show the test card on the wall screen" in raised.value.message and SCOPE in raised.value.message
    assert "bob" not in raised.value.message.lower() and "ann" not in raised.value.message.lower()
    for member in (ann, bob):
        member.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    with hs.storage.connection() as db:
        consent.require_active(db, couple_id, SCOPE, hs=hs)  # no error: everyone agreed
        with pytest.raises(ConsentRequired):
            consent.require_active(db, couple_id, "some.undeclared")


def test_set_grant_is_usable_from_plugin_code(card_app, card_couple):
    ann, bob = card_couple
    hs = card_app.extensions["hearthside"]
    with hs.storage.connection() as db:
        couple_id = ann_couple(db, ann.id)
        principal = Principal("member", couple_id, 0, member_id=ann.id)
        assert consent.set_grant(db, principal, SCOPE, True) is True
        assert consent.set_grant(db, principal, SCOPE, True) is False
        with db.atomic():
            issue_token(db, kind="api", name="x", couple_id=couple_id, member_id=bob.id)
        assert consent.is_active(db, couple_id, SCOPE) is False


class DuplicateScopes:
    """Declares a scope another plugin owns, a non-scope, and a rule that does not exist."""

    @hookimpl
    def hearthside_consent_scopes(self, hs):
        return [Scope(SCOPE, "A second declaration"), "not a scope", Scope("dup.bad_who", "x", who="any")]


def test_malformed_and_duplicate_declarations_are_skipped(make_app):
    app = make_app(extra_plugins={"testcards": card_plugin, "dup": DuplicateScopes()})
    registry = consent.registry(app.extensions["hearthside"])
    assert registry[SCOPE].description == "Show the test card on the wall screen."
    assert "dup.bad_who" not in registry and all(isinstance(scope, Scope) for scope in registry.values())
