"""Several couples on one server: admin invites, the couples list, and isolation."""

from __future__ import annotations

import pytest

from hearthside.testing import mentions
from tests.conftest import PASSWORD, join_new_couple
from tests.test_accounts import counts, error_of

A_SECRETS = ("ann", "bob", "Ann", "Bob", "Ann & Bob")


@pytest.fixture
def couples(client, couple):
    ann, bob = couple
    cat, dan = join_new_couple(client, ann)
    return ann, bob, cat, dan


def leaks_couple_a(answer, ann, bob) -> bool:
    """True if an answer carries any name, username or token secret of couple A."""
    text = answer.get_data(as_text=True)
    words = {w.strip('"{}[],:') for w in text.replace(",", " ").split()}
    return bool(words & set(A_SECRETS)) or "Ann & Bob" in text or ann.token in text or bob.token in text


def test_a_second_couple_joins_through_an_admin_invite(couples):
    ann, bob, cat, dan = couples
    me = cat.get("/api/v1/me").json
    assert me["couple"]["name"] == "Cat & Dan" and me["couple"]["time_zone"] == "Europe/London"
    assert [m["username"] for m in me["couple"]["members"]] == ["cat", "dan"]
    assert me["couple"]["id"] != ann.get("/api/v1/me").json["couple"]["id"]
    assert me["member"]["is_admin"] is False  # the new couple's first member is not a server admin


def test_only_admins_create_new_couple_invites(client, couples):
    ann, bob, cat, dan = couples
    for member in (bob, cat, dan):
        error_of(member.post("/api/v1/admin/invites"), 403, "admins_only")
    error_of(client.post("/api/v1/admin/invites"), 401)
    assert ann.post("/api/v1/admin/invites").status_code == 201


def test_admin_couples_list_has_no_private_data(couples):
    ann, bob, cat, dan = couples
    answer = ann.get("/api/v1/admin/couples")
    assert answer.status_code == 200
    listed = answer.json["couples"]
    assert [(c["name"], c["members"]) for c in listed] == [("Ann & Bob", 2), ("Cat & Dan", 2)]
    assert all(set(c) == {"id", "name", "members", "created_at"} for c in listed)
    text = answer.get_data(as_text=True)
    for private in ('"cat"', '"dan"', '"Cat"', '"Dan"', '"Ann"', '"Bob"', "argon2", PASSWORD):
        assert private not in text


def test_non_admins_cannot_list_couples(client, couples):
    ann, bob, cat, dan = couples
    for member in (bob, cat, dan):
        error = error_of(member.get("/api/v1/admin/couples"), 403, "admins_only")
        assert not mentions(error["message"], "Ann")
    error_of(client.get("/api/v1/admin/couples"), 401)


def test_new_couple_invite_without_couple_fields_uses_the_display_name(client, couple):
    ann, _ = couple
    code = ann.post("/api/v1/admin/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": "eve", "password": PASSWORD, "display_name": "Eve"})
    assert answer.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['token']}"}).json
    assert me["couple"]["name"] == "Eve" and [m["username"] for m in me["couple"]["members"]] == ["eve"]


@pytest.mark.parametrize("couple_field, words", [
    ({"name": "New", "time_zone": "Nowhere/Land"}, "time zone"),
    ({"name": "x" * 81}, "couple.name"),
    ("Cat & Dan", "couple"),
])
def test_new_couple_invite_bad_couple_fields_write_nothing(app, client, couple, couple_field, words):
    ann, _ = couple
    code = ann.post("/api/v1/admin/invites").json["code"]
    before = counts(app)
    answer = client.post(f"/api/v1/invites/{code}/accept", json={
        "username": "eve", "password": PASSWORD, "display_name": "Eve", "couple": couple_field})
    assert words in error_of(answer, 400, "invalid_field")["message"]
    assert counts(app) == before
    assert client.post(f"/api/v1/invites/{code}/accept", json={
        "username": "eve", "password": PASSWORD, "display_name": "Eve"}).status_code == 201


def test_new_couple_invite_works_once_and_expires(app, client, couple):
    ann, _ = couple
    code = ann.post("/api/v1/admin/invites").json["code"]
    body = {"username": "eve", "password": PASSWORD, "display_name": "Eve"}
    assert client.post(f"/api/v1/invites/{code}/accept", json=body).status_code == 201
    error_of(client.post(f"/api/v1/invites/{code}/accept", json={**body, "username": "fay"}), 404)
    code = ann.post("/api/v1/admin/invites").json["code"]
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db.execute("UPDATE invites SET expires_at = '2000-01-01T00:00:00+00:00' WHERE used_at IS NULL")
    error_of(client.post(f"/api/v1/invites/{code}/accept", json={**body, "username": "fay"}), 404)


def test_couple_b_is_complete_so_it_can_invite_nobody(client, couples):
    """A couple is two people, in every couple on the server (tests/test_couple_of_two.py)."""
    ann, bob, cat, dan = couples
    error_of(dan.post("/api/v1/invites"), 409, "couple_complete")
    assert [m["username"] for m in cat.get("/api/v1/me").json["couple"]["members"]] == ["cat", "dan"]


def test_couple_b_cannot_read_or_change_couple_a_through_any_account_route(app, client, couples):
    """Every members-only route of accounts, tokens and admin, called by couple B with A's ids."""
    ann, bob, cat, dan = couples
    a_token_ids = [t["id"] for m in (ann, bob) for t in m.get("/api/v1/tokens").json["tokens"]]
    browser = app.test_client()
    csrf = browser.post("/api/v1/auth/session", json={"username": "cat", "password": PASSWORD}).json["csrf_token"]
    calls = [("get", "/api/v1/me", None), ("get", "/api/v1/tokens", None),
             ("post", "/api/v1/tokens", {"name": "mine"}), ("post", "/api/v1/invites", None),
             ("get", "/api/v1/admin/couples", None), ("post", "/api/v1/admin/invites", None),
             ("get", "/api/v1/auth/csrf", None)]
    calls += [("delete", f"/api/v1/tokens/{token_id}", None) for token_id in a_token_ids]
    # the browser first: a password change below would (rightly) end cat's session
    for method, path, body in calls:
        answer = getattr(browser, method)(path, json=body, headers={"X-CSRF-Token": csrf})
        assert answer.status_code not in (401, 500), (method, path)
        assert not leaks_couple_a(answer, ann, bob), (method, path)
    calls.append(("put", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": PASSWORD}))
    for caller in (cat, dan):
        for method, path, body in calls:
            answer = getattr(caller, method)(path, json=body) if body else getattr(caller, method)(path)
            assert answer.status_code not in (401, 500), (method, path)
            assert not leaks_couple_a(answer, ann, bob), (method, path, answer.get_data(as_text=True))
            if path.startswith("/api/v1/tokens/"):
                error_of(answer, 404)
            if path.startswith("/api/v1/admin/"):
                error_of(answer, 403)
    # couple A is untouched: every token still works, nothing was revoked
    assert ann.get("/api/v1/me").status_code == 200 and bob.get("/api/v1/me").status_code == 200
    assert sorted(t["id"] for m in (ann, bob) for t in m.get("/api/v1/tokens").json["tokens"]) == sorted(a_token_ids)


def test_a_password_change_in_couple_b_leaves_couple_a_alone(client, couples):
    ann, bob, cat, dan = couples
    assert cat.put("/api/v1/me/password", json={"current_password": PASSWORD,
                                                 "new_password": "cats new password"}).status_code == 204
    for name in ("ann", "bob", "dan"):
        assert client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD}).status_code == 200


def test_revoke_events_stay_with_their_member(app, couples):
    ann, bob, cat, dan = couples
    new = cat.post("/api/v1/tokens", json={"name": "x"}).json
    cat.delete(f"/api/v1/tokens/{new['id']}")
    with app.extensions["hearthside"].storage.connection() as db:
        rows = list(db.query("SELECT couple_id, audience_id FROM events WHERE type = 'tokens.revoked'"))
    cat_couple = cat.get("/api/v1/me").json["couple"]["id"]
    assert rows == [{"couple_id": cat_couple, "audience_id": cat.id}]
