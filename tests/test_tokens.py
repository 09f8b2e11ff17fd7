"""Tokens (list, create, revoke), password change, browser sessions and CSRF."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import render_template_string, session

from tests.conftest import PASSWORD, Member
from tests.test_accounts import error_of

TOKEN_FIELDS = {"id", "name", "kind", "created_at", "last_used_at", "current"}
NEW_PASSWORD = "a brand new passphrase"


def db_rows(app, sql, params=()):
    with app.extensions["hearthside"].storage.connection() as db:
        return [dict(row) for row in db.query(sql, params)]


def db_write(app, sql, params=()):
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db.execute(sql, params)


def sign_in(client, username="ann", password=PASSWORD, **kwargs):
    return client.post("/api/v1/auth/session", json={"username": username, "password": password}, **kwargs)


def set_cookies(answer) -> list[str]:
    return answer.headers.getlist("Set-Cookie")


# -- tokens --------------------------------------------------------------------------


def test_list_shows_own_tokens_only_and_never_secrets(couple):
    ann, bob = couple
    tokens = ann.get("/api/v1/tokens").json["tokens"]
    assert len(tokens) == 1 and set(tokens[0]) == TOKEN_FIELDS
    assert tokens[0]["current"] is True and tokens[0]["kind"] == "api" and tokens[0]["name"] == "onboarding"
    text = ann.get("/api/v1/tokens").get_data(as_text=True)
    assert ann.token not in text and bob.token not in text and "hash" not in text


def test_create_use_and_revoke_a_token(client, couple):
    ann, _ = couple
    answer = ann.post("/api/v1/tokens", json={"name": "laptop script"})
    assert answer.status_code == 201 and {"id", "token"} <= set(answer.json)
    laptop = Member(client, answer.json["token"], {"id": ann.id, "username": "ann"})
    listed = {t["id"]: t for t in ann.get("/api/v1/tokens").json["tokens"]}
    assert listed[answer.json["id"]]["name"] == "laptop script"
    assert listed[answer.json["id"]]["last_used_at"] is None and listed[answer.json["id"]]["current"] is False
    assert laptop.get("/api/v1/me").status_code == 200
    listed = {t["id"]: t for t in ann.get("/api/v1/tokens").json["tokens"]}
    assert listed[answer.json["id"]]["last_used_at"] is not None
    assert answer.json["token"] not in ann.get("/api/v1/tokens").get_data(as_text=True)

    assert ann.delete(f"/api/v1/tokens/{answer.json['id']}").status_code == 204
    error_of(laptop.get("/api/v1/me"), 401)
    assert answer.json["id"] not in [t["id"] for t in ann.get("/api/v1/tokens").json["tokens"]]
    error_of(ann.delete(f"/api/v1/tokens/{answer.json['id']}"), 404, "token_not_found")


def test_revoking_the_current_token_ends_it(couple):
    ann, _ = couple
    current = ann.get("/api/v1/tokens").json["tokens"][0]["id"]
    assert ann.delete(f"/api/v1/tokens/{current}").status_code == 204
    error_of(ann.get("/api/v1/me"), 401)


def test_another_members_token_is_404_like_an_unknown_one(app, couple):
    ann, bob = couple
    bob_token = bob.get("/api/v1/tokens").json["tokens"][0]["id"]
    other = error_of(ann.delete(f"/api/v1/tokens/{bob_token}"), 404)
    unknown = error_of(ann.delete("/api/v1/tokens/999999"), 404)
    assert other == unknown
    assert bob.get("/api/v1/me").status_code == 200
    error_of(ann.delete("/api/v1/tokens/not-a-number"), 404)


def test_revocation_is_a_private_event_for_the_live_stream(app, couple):
    ann, bob = couple
    new = ann.post("/api/v1/tokens", json={"name": "x"}).json
    ann.delete(f"/api/v1/tokens/{new['id']}")
    rows = db_rows(app, "SELECT * FROM events WHERE type = 'tokens.revoked'")
    assert len(rows) == 1 and rows[0]["visibility"] == "private" and rows[0]["audience_id"] == ann.id


@pytest.mark.parametrize("kwargs, code", [
    ({}, "body_required"),
    ({"json": {}}, "invalid_field"),
    ({"json": {"name": ""}}, "invalid_field"),
    ({"json": {"name": "x" * 61}}, "invalid_field"),
    ({"json": {"name": 7}}, "invalid_field"),
    ({"data": "nope", "content_type": "application/json"}, "invalid_json"),
])
def test_create_token_bad_input_writes_nothing(app, couple, kwargs, code):
    ann, _ = couple
    before = db_rows(app, "SELECT count(*) AS n FROM tokens")
    error_of(ann.post("/api/v1/tokens", **kwargs), 400, code)
    assert db_rows(app, "SELECT count(*) AS n FROM tokens") == before


def test_token_routes_need_auth(client, couple):
    error_of(client.get("/api/v1/tokens"), 401)
    error_of(client.post("/api/v1/tokens", json={"name": "x"}), 401)
    error_of(client.delete("/api/v1/tokens/1"), 401)


def test_tokens_are_stored_only_as_hashes(app, couple):
    ann, bob = couple
    stored = str(db_rows(app, "SELECT * FROM tokens"))
    assert ann.token not in stored and bob.token not in stored


# -- password change ---------------------------------------------------------------------


def test_password_change_revokes_other_tokens_and_sessions(app, client, couple):
    ann, bob = couple
    other = client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD}).json["token"]
    browser = app.test_client()
    assert sign_in(browser).status_code == 200
    answer = ann.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert answer.status_code == 204
    assert ann.get("/api/v1/me").status_code == 200  # the caller's own token is kept
    error_of(client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}), 401)
    error_of(browser.get("/api/v1/me"), 401)
    assert bob.get("/api/v1/me").status_code == 200  # the partner is untouched
    assert [t["current"] for t in ann.get("/api/v1/tokens").json["tokens"]] == [True]
    error_of(client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD}), 401)
    assert client.post("/api/v1/auth/token", json={"username": "ann", "password": NEW_PASSWORD}).status_code == 200


def test_password_change_in_a_browser_keeps_that_session(app, couple):
    ann, _ = couple
    browser = app.test_client()
    csrf = sign_in(browser).json["csrf_token"]
    answer = browser.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                         headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 204
    assert browser.get("/api/v1/me").status_code == 200
    error_of(ann.get("/api/v1/me"), 401)


def test_password_change_wrong_current_is_403_and_changes_nothing(app, client, couple):
    ann, _ = couple
    before = db_rows(app, "SELECT password_hash, (SELECT count(*) FROM tokens WHERE revoked_at IS NULL) AS live "
                          "FROM members WHERE id = ?", [ann.id])
    error = error_of(ann.put("/api/v1/me/password", json={"current_password": "not my password",
                                                           "new_password": NEW_PASSWORD}), 403, "wrong_password")
    assert "current password" in error["message"]
    assert db_rows(app, "SELECT password_hash, (SELECT count(*) FROM tokens WHERE revoked_at IS NULL) AS live "
                        "FROM members WHERE id = ?", [ann.id]) == before


@pytest.mark.parametrize("body, words", [
    ({"current_password": PASSWORD, "new_password": "too short"}, "at least 10"),
    ({"current_password": PASSWORD}, "new_password"),
    ({"new_password": NEW_PASSWORD}, "current_password"),
    ({"current_password": PASSWORD, "new_password": 12345678901}, "new_password"),
])
def test_password_change_bad_input_is_400(client, couple, body, words):
    ann, _ = couple
    assert words in error_of(ann.put("/api/v1/me/password", json=body), 400, "invalid_field")["message"]
    assert client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD}).status_code == 200


def test_password_change_guessing_is_rate_limited(couple):
    ann, _ = couple
    for _ in range(5):
        error_of(ann.put("/api/v1/me/password", json={"current_password": "guess guess",
                                                       "new_password": NEW_PASSWORD}), 403)
    answer = ann.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    error_of(answer, 429)
    assert "Retry-After" in answer.headers


def test_password_change_needs_auth(client, couple):
    error_of(client.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
             401)


# -- browser sessions -------------------------------------------------------------------------


def test_session_sign_in_works_with_the_cookie(app, couple):
    browser = app.test_client()
    answer = sign_in(browser)
    assert answer.status_code == 200
    assert answer.json["member"]["username"] == "ann" and answer.json["csrf_token"]
    assert browser.get_cookie("hearthside_session") is not None
    me = browser.get("/api/v1/me")
    assert me.status_code == 200 and me.json["member"]["username"] == "ann"
    tokens = browser.get("/api/v1/tokens").json["tokens"]
    current = [t for t in tokens if t["current"]]
    assert len(current) == 1 and current[0]["kind"] == "session"


def test_session_cookie_flags(app, couple):
    browser = app.test_client()
    cookie = " ".join(set_cookies(sign_in(browser)))
    assert "hearthside_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on the home network: a Secure cookie would never come back


def test_session_cookie_is_secure_over_https(app, couple):
    browser = app.test_client()
    answer = sign_in(browser, base_url="https://localhost")
    assert answer.status_code == 200
    cookie = " ".join(set_cookies(answer))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_session_cookie_holds_no_readable_secret_of_the_member(app, couple):
    browser = app.test_client()
    sign_in(browser)
    value = browser.get_cookie("hearthside_session").value
    assert PASSWORD not in value and "argon2" not in value


def test_session_sign_in_bad_credentials_match_auth_token(app, couple):
    browser = app.test_client()
    wrong = error_of(sign_in(browser, password="wrong password"), 401, "invalid_credentials")
    unknown = error_of(sign_in(browser, username="nobody"), 401, "invalid_credentials")
    assert wrong == unknown
    assert browser.get_cookie("hearthside_session") is None


def test_session_sign_in_shares_the_rate_limit(app, client, couple):
    for _ in range(3):
        sign_in(client, password="wrong password")
    for _ in range(2):
        client.post("/api/v1/auth/token", json={"username": "ann", "password": "wrong password"})
    answer = sign_in(client)
    error_of(answer, 429, "too_many_attempts")
    assert int(answer.headers["Retry-After"]) > 0


def test_session_sign_in_needs_json(app, couple):
    browser = app.test_client()
    error_of(browser.post("/api/v1/auth/session", data={"username": "ann", "password": PASSWORD}), 415,
             "json_required")
    error_of(browser.post("/api/v1/auth/session", data='{"username": "ann", "password": "x"}',
                          content_type="text/plain"), 415)
    error_of(browser.post("/api/v1/auth/session", json={"username": "ann"}), 400)
    assert browser.get_cookie("hearthside_session") is None


def test_csrf_missing_or_wrong_is_403_and_right_is_ok(app, couple):
    browser = app.test_client()
    csrf = sign_in(browser).json["csrf_token"]
    before = db_rows(app, "SELECT count(*) AS n FROM tokens")
    error_of(browser.post("/api/v1/tokens", json={"name": "x"}), 403, "csrf_failed")
    error_of(browser.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "wrong"}), 403, "csrf_failed")
    error_of(browser.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "ü"}), 403, "csrf_failed")
    assert db_rows(app, "SELECT count(*) AS n FROM tokens") == before
    assert browser.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert browser.get("/api/v1/tokens").status_code == 200  # reading needs no CSRF token


def test_csrf_token_endpoint(app, couple):
    ann, _ = couple
    browser = app.test_client()
    csrf = sign_in(browser).json["csrf_token"]
    assert browser.get("/api/v1/auth/csrf").json == {"csrf_token": csrf}
    error_of(app.test_client().get("/api/v1/auth/csrf"), 401)
    error_of(ann.get("/api/v1/auth/csrf"), 400, "not_a_session")


def test_csrf_form_field_is_accepted(app, couple):
    browser = app.test_client()
    csrf = sign_in(browser).json["csrf_token"]
    new = browser.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}).json
    error_of(browser.delete(f"/api/v1/tokens/{new['id']}", data={"csrf_token": "wrong"}), 403, "csrf_failed")
    assert browser.delete(f"/api/v1/tokens/{new['id']}", data={"csrf_token": csrf}).status_code == 204


def test_csrf_template_global(app, couple):
    browser = app.test_client()
    csrf = sign_in(browser).json["csrf_token"]
    with browser.session_transaction() as stored:
        assert stored["csrf"] == csrf
    with app.test_request_context("/"):
        rendered = render_template_string('<input name="csrf_token" value="{{ csrf_token() }}">')
        assert session["csrf"] in rendered


def test_bearer_requests_need_no_csrf_even_with_a_cookie(app, couple):
    ann, _ = couple
    browser = app.test_client()
    sign_in(browser, username="bob")
    answer = browser.post("/api/v1/tokens", json={"name": "script"}, headers=ann.headers)
    assert answer.status_code == 201
    assert ann.post("/api/v1/tokens", json={"name": "plain"}).status_code == 201


def test_a_wrong_bearer_never_falls_back_to_the_cookie(app, couple):
    browser = app.test_client()
    sign_in(browser)
    error_of(browser.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}), 401)


def test_sign_out_needs_csrf_and_revokes(app, couple):
    browser = app.test_client()
    csrf = sign_in(browser).json["csrf_token"]
    error_of(browser.delete("/api/v1/auth/session"), 403, "csrf_failed")
    assert browser.get("/api/v1/me").status_code == 200
    answer = browser.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 204
    error_of(browser.get("/api/v1/me"), 401)
    sessions = db_rows(app, "SELECT revoked_at FROM tokens WHERE kind = 'session'")
    assert len(sessions) == 1 and sessions[0]["revoked_at"] is not None
    assert browser.delete("/api/v1/auth/session").status_code == 204  # signing out twice is harmless


def test_a_stolen_session_cookie_stops_working_after_sign_out(app, couple):
    browser = app.test_client()
    csrf = sign_in(browser).json["csrf_token"]
    stolen = browser.get_cookie("hearthside_session").value
    browser.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf})
    thief = app.test_client()
    thief.set_cookie("hearthside_session", stolen)
    error_of(thief.get("/api/v1/me"), 401)


def test_an_idle_session_expires(app, couple):
    browser = app.test_client()
    sign_in(browser)
    long_ago = (datetime.now(timezone.utc) - timedelta(days=31)).isoformat()
    db_write(app, "UPDATE tokens SET last_used_at = ? WHERE kind = 'session'", [long_ago])
    error_of(browser.get("/api/v1/me"), 401)


def test_revoking_a_session_from_another_device_signs_the_browser_out(app, couple):
    ann, _ = couple
    browser = app.test_client()
    sign_in(browser)
    session_id = [t["id"] for t in ann.get("/api/v1/tokens").json["tokens"] if t["kind"] == "session"][0]
    assert ann.delete(f"/api/v1/tokens/{session_id}").status_code == 204
    error_of(browser.get("/api/v1/me"), 401)
