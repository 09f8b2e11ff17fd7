"""Consent scopes declared with who="author": one-sided, each member for what they write."""

from __future__ import annotations

import pytest

from hearthside import consent
from hearthside.consent import Scope
from hearthside.errors import ConsentRequired
from hearthside.hookspecs import hookimpl
from tests.conftest import onboard_couple
from hearthside.testing import pair_device
from tests.test_devices import events_of

SCOPE = "diary.share"


class DiaryPlugin:
    @hookimpl
    def hearthside_consent_scopes(self, hs):
        return [Scope(SCOPE, "Share what I write in my diary with my partner.", who="author")]


@pytest.fixture
def diary_app(make_app):
    return make_app(extra_plugins={"diary": DiaryPlugin()})


@pytest.fixture
def couple(diary_app):
    return onboard_couple(diary_app.test_client())


def couple_id(app, member) -> int:
    with app.extensions["hearthside"].storage.connection() as db:
        return db["members"].get(member.id)["couple_id"]


def test_an_author_scope_is_listed_with_its_rule(couple):
    ann, bob = couple
    scope = next(s for s in ann.get("/api/v1/consents").json["scopes"] if s["scope"] == SCOPE)
    assert scope == {"scope": SCOPE, "description": "Share what I write in my diary with my partner.",
                     "who": "author", "members": {str(ann.id): False, str(bob.id): False}, "active": False,
                     "asked_again": False}


def test_each_members_grant_covers_only_their_own_data(diary_app, couple):
    ann, bob = couple
    answer = ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    assert answer.status_code == 200
    # One grant is enough for the author's data to cross; the partner is not asked.
    assert answer.json["members"] == {str(ann.id): True, str(bob.id): False}
    assert answer.json["active"] is True
    with diary_app.extensions["hearthside"].storage.connection() as db:
        cid = couple_id(diary_app, ann)
        assert consent.is_granted(db, cid, SCOPE, ann.id) is True
        assert consent.is_granted(db, cid, SCOPE, bob.id) is False  # ann's yes never shares bob's data
        consent.require_granted(db, cid, SCOPE, ann.id)
        with pytest.raises(ConsentRequired) as refused:
            consent.require_granted(db, cid, SCOPE, bob.id)
        assert refused.value.status == 403 and refused.value.code == "consent_required"
        assert "your consent" in refused.value.message and SCOPE in refused.value.message


def test_revoking_is_read_fresh_and_never_told_to_the_wall(diary_app, couple):
    ann, bob = couple
    wall = pair_device(ann)
    ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True})
    answer = ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": False})
    assert answer.json["active"] is False
    with diary_app.extensions["hearthside"].storage.connection() as db:
        assert consent.is_granted(db, couple_id(diary_app, ann), SCOPE, ann.id) is False
    # The partner is told (couple event); the wall is not: nothing on it depends on a one-sided scope.
    assert [e["payload"] for e in events_of(bob, "consent.changed")] == [
        {"scope": SCOPE, "active": True}, {"scope": SCOPE, "active": False}]
    assert events_of(ann, "consent.revoked") == []
    assert wall.get("/api/v1/events").json["events"] == []


def test_an_unknown_rule_is_still_refused():
    assert consent._well_formed(Scope("x.y", "d", who="author"))
    assert not consent._well_formed(Scope("x.y", "d", who="partner"))
