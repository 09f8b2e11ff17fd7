"""Onboarding, sign-in, rate limiting, invites, /me and password hashing."""

from __future__ import annotations

import threading
import time

import pytest

from hearthside import accounts
from tests.conftest import PASSWORD, Member, onboard_couple

ONBOARDING = {
    "couple": {"name": "Ann & Bob", "time_zone": "Europe/Berlin"},
    "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"},
}


def error_of(answer, status: int, code: str | None = None) -> dict:
    """Assert the contract's error shape and return the error."""
    assert answer.status_code == status, (answer.status_code, answer.get_data(as_text=True))
    error = answer.get_json()["error"]
    assert set(error) == {"code", "message"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def with_changes(changes: dict) -> dict:
    """ONBOARDING with ``{"member.password": ...}``-style changes (None deletes a key)."""
    body = {"couple": dict(ONBOARDING["couple"]), "member": dict(ONBOARDING["member"])}
    for path, value in changes.items():
        part, _, key = path.partition(".")
        target = body[part] if key else body
        key = key or part
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return body


def counts(app) -> tuple[int, int, int, int]:
    with app.extensions["hearthside"].storage.connection() as db:
        return tuple(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                     for table in ("couples", "members", "tokens", "invites"))


# -- onboarding ----------------------------------------------------------------


def test_onboarding_works_once_then_409(client):
    answer = client.post("/api/v1/onboarding", json=ONBOARDING)
    assert answer.status_code == 201
    assert set(answer.json) == {"token", "member"}
    assert answer.json["member"] == {"id": answer.json["member"]["id"], "username": "ann", "display_name": "Ann"}
    again = client.post("/api/v1/onboarding", json=with_changes({"member.username": "zed"}))
    error_of(again, 409, "already_onboarded")
    # a set-up server says so first, whatever the body: no validation chatter, no password hash spent
    for body in ({}, with_changes({"member.username": "x", "member.password": "short"})):
        error_of(client.post("/api/v1/onboarding", json=body), 409, "already_onboarded")


def test_onboarding_token_works(client):
    token = client.post("/api/v1/onboarding", json=ONBOARDING).json["token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("changes, words", [
    ({"couple": None}, "couple"),
    ({"member": None}, "member"),
    ({"couple": "Ann & Bob"}, "couple"),
    ({"couple.name": None}, "couple.name"),
    ({"couple.name": "   "}, "couple.name"),
    ({"couple.name": "x" * 81}, "couple.name"),
    ({"couple.time_zone": "Mars/Olympus"}, "time zone"),
    ({"couple.time_zone": 5}, "time zone"),
    ({"member.username": None}, "username"),
    ({"member.username": "ann smith"}, "username"),
    ({"member.username": "ann@home"}, "username"),
    ({"member.username": "a"}, "username"),
    ({"member.username": "a" * 41}, "username"),
    ({"member.password": None}, "password"),
    ({"member.password": "short pw"}, "at least 10"),
    ({"member.password": 1234567890}, "password"),
    ({"member.password": "x" * 1025}, "password"),
    ({"member.display_name": None}, "display_name"),
    ({"member.display_name": "x" * 61}, "display_name"),
])
def test_onboarding_rejects_bad_input_and_writes_nothing(app, client, changes, words):
    before = counts(app)
    error = error_of(client.post("/api/v1/onboarding", json=with_changes(changes)), 400, "invalid_field")
    assert words in error["message"]
    assert counts(app) == before == (0, 0, 0, 0)


def test_onboarding_missing_body_and_non_json(app, client):
    error_of(client.post("/api/v1/onboarding"), 400, "body_required")
    error_of(client.post("/api/v1/onboarding", data="{not json", content_type="application/json"), 400, "invalid_json")
    error_of(client.post("/api/v1/onboarding", json=["a", "list"]), 400, "invalid_json")
    assert counts(app) == (0, 0, 0, 0)


def test_onboarding_again_with_a_bad_body_is_409_and_changes_nothing(app, client):
    client.post("/api/v1/onboarding", json=ONBOARDING)
    before = counts(app)
    error_of(client.post("/api/v1/onboarding", json=with_changes({"member.password": "short"})), 409)
    assert counts(app) == before


def test_password_is_kept_exactly_as_typed(client):
    spaced = "  spaces around  "
    client.post("/api/v1/onboarding", json=with_changes({"member.password": spaced}))
    assert client.post("/api/v1/auth/token", json={"username": "ann", "password": spaced}).status_code == 200
    answer = client.post("/api/v1/auth/token", json={"username": "ann", "password": spaced.strip()})
    error_of(answer, 401)


# -- signing in and rate limiting -------------------------------------------------------


def test_auth_token_gives_a_working_token(client, couple):
    answer = client.post("/api/v1/auth/token", json={"username": "ANN", "password": PASSWORD})
    assert answer.status_code == 200 and set(answer.json) == {"token"}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['token']}"})
    assert me.json["member"]["username"] == "ann"


def test_bad_credentials_do_not_say_whether_the_username_exists(client, couple):
    wrong = error_of(client.post("/api/v1/auth/token", json={"username": "ann", "password": "wrong password"}), 401)
    unknown = error_of(client.post("/api/v1/auth/token", json={"username": "nobody", "password": PASSWORD}), 401)
    assert wrong == unknown
    assert "nobody" not in unknown["message"] and "ann" not in wrong["message"]


@pytest.mark.parametrize("body", [None, {"username": "ann"}, {"password": PASSWORD}, {"username": 1, "password": 2}])
def test_auth_token_bad_input(client, couple, body):
    answer = client.post("/api/v1/auth/token", json=body) if body is not None else client.post("/api/v1/auth/token")
    error_of(answer, 400)


def test_repeated_failures_for_a_username_answer_429(client, couple):
    for _ in range(5):
        error_of(client.post("/api/v1/auth/token", json={"username": "ann", "password": "wrong guess"}), 401)
    answer = client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "127.0.0.9"})  # even the right password, from elsewhere
    error_of(answer, 429, "too_many_attempts")
    assert 0 < int(answer.headers["Retry-After"]) <= 300
    # the partner is not locked out
    assert client.post("/api/v1/auth/token", json={"username": "bob", "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "127.0.0.9"}).status_code == 200


def test_repeated_failures_from_an_address_answer_429(client, couple):
    here = {"REMOTE_ADDR": "127.0.0.5"}
    for name in ("u1", "u2", "u3", "u4", "u5"):
        error_of(client.post("/api/v1/auth/token", json={"username": name, "password": "guess guess"},
                             environ_base=here), 401)
    answer = client.post("/api/v1/auth/token", json={"username": "bob", "password": PASSWORD}, environ_base=here)
    error_of(answer, 429)
    assert int(answer.headers["Retry-After"]) > 0
    # another address still signs in
    assert client.post("/api/v1/auth/token", json={"username": "bob", "password": PASSWORD}).status_code == 200


def test_a_success_clears_only_the_usernames_count(app):
    limiter = app.extensions["hearthside"].login_limiter
    for _ in range(4):
        limiter.failed("user:x", "addr:a")
    limiter.succeeded("user:x")
    assert limiter.retry_after("user:x") == 0
    limiter.failed("user:y", "addr:a")
    assert limiter.retry_after("addr:a") > 0


# -- invites -----------------------------------------------------------------------------


def onboard_first(client) -> Member:
    """Ann alone: the server's first member, her partner not invited yet."""
    answer = client.post("/api/v1/onboarding", json=ONBOARDING)
    return Member(client, answer.json["token"], answer.json["member"])


@pytest.fixture
def ann(client):
    return onboard_first(client)


def join(client, code, username="bob", **extra):
    return client.post(f"/api/v1/invites/{code}/accept",
                       json={"username": username, "password": PASSWORD, "display_name": username.title(), **extra})


def test_invite_code_works_once(client, ann):
    answer = ann.post("/api/v1/invites")
    assert answer.status_code == 201
    code = answer.json["code"]
    first = join(client, code)
    assert first.status_code == 201 and set(first.json) == {"token", "member"}
    error_of(join(client, code, "carl"), 404, "invite_invalid")


def test_invite_code_is_forgiving_about_case_and_dashes(client, ann):
    code = ann.post("/api/v1/invites").json["code"]
    assert join(client, code[:4].lower() + "-" + code[4:]).status_code == 201


def test_expired_invite_is_404(app, client, ann):
    code = ann.post("/api/v1/invites").json["code"]
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db.execute("UPDATE invites SET expires_at = ?", ["2000-01-01T00:00:00+00:00"])
    error_of(join(client, code), 404, "invite_invalid")


def test_invalid_invite_code_is_404(client, ann):
    error_of(join(client, "NOTACODE"), 404, "invite_invalid")


def test_accept_with_taken_username_is_409_and_keeps_the_invite(client, ann):
    code = ann.post("/api/v1/invites").json["code"]
    error_of(join(client, code, "ANN"), 409, "username_taken")
    assert join(client, code, "bob").status_code == 201  # the failed try did not use the code


@pytest.mark.parametrize("body", [
    {"username": "bob", "password": "short", "display_name": "Bob"},
    {"username": "b o b", "password": PASSWORD, "display_name": "Bob"},
    {"username": "bob", "password": PASSWORD, "display_name": "x" * 61},
    {"username": "bob", "password": PASSWORD},
])
def test_accept_bad_input_is_400_and_keeps_the_invite(app, client, ann, body):
    code = ann.post("/api/v1/invites").json["code"]
    before = counts(app)
    error_of(client.post(f"/api/v1/invites/{code}/accept", json=body), 400, "invalid_field")
    assert counts(app) == before
    assert join(client, code).status_code == 201


def test_accept_missing_body_is_400(client, ann):
    code = ann.post("/api/v1/invites").json["code"]
    error_of(client.post(f"/api/v1/invites/{code}/accept"), 400, "body_required")


def test_invites_need_auth(client, ann):
    error_of(client.post("/api/v1/invites"), 401, "unauthorized")
    error_of(client.post("/api/v1/invites", headers={"Authorization": "Bearer nonsense"}), 401)


# -- /me ------------------------------------------------------------------------------------


def test_me_shape(client, couple):
    ann, bob = couple
    body = ann.get("/api/v1/me").json
    assert {"member", "couple"} <= set(body)
    assert {"id", "username", "display_name"} <= set(body["member"])
    assert body["member"]["id"] == ann.id and body["member"]["username"] == "ann"
    assert body["member"]["display_name"] == "Ann"
    assert {"id", "name", "members"} <= set(body["couple"]) and body["couple"]["name"] == "Ann & Bob"
    assert body["couple"]["members"] == [
        {"id": ann.id, "username": "ann", "display_name": "Ann"},
        {"id": bob.id, "username": "bob", "display_name": "Bob"},
    ]
    assert "password" not in str(body) and "hash" not in str(body)


def test_me_needs_auth(client, couple):
    error_of(client.get("/api/v1/me"), 401)


# -- password hashing -------------------------------------------------------------------------


@pytest.mark.real_password_hashing
def test_password_hash_is_argon2id_at_owasps_floor(app, client, couple):
    with app.extensions["hearthside"].storage.connection() as db:
        hashes = [row[0] for row in db.execute("SELECT password_hash FROM members")]
    assert len(hashes) == 2 and all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)
    assert PASSWORD not in "".join(hashes)


def test_no_more_than_max_concurrent_hashes_run_at_once(monkeypatch):
    """Many threads hash at once; a counting stand-in for the hasher records the peak."""
    lock = threading.Lock()
    state = {"running": 0, "peak": 0}
    full = threading.Event()

    class CountingHasher:
        def hash(self, password):
            with lock:
                state["running"] += 1
                state["peak"] = max(state["peak"], state["running"])
                if state["running"] >= accounts.MAX_CONCURRENT_HASHES:
                    full.set()
            full.wait(2)  # hold the slot until all slots are taken: the peak is reached, not guessed
            time.sleep(0.005)
            with lock:
                state["running"] -= 1
            return "$argon2id$stand-in"

        def verify(self, password_hash, password):
            self.hash(password)
            return True

    monkeypatch.setattr(accounts, "_hasher", CountingHasher())
    workers = [threading.Thread(target=accounts.hash_password if i % 2 else
                                (lambda _: accounts.verify_password("$argon2id$x", "pw")), args=("pw",))
               for i in range(4 * accounts.MAX_CONCURRENT_HASHES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert state["peak"] == accounts.MAX_CONCURRENT_HASHES
    assert state["running"] == 0


@pytest.mark.real_password_hashing
def test_old_hash_parameters_are_upgraded_at_sign_in(app, client, couple):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db.execute("UPDATE members SET password_hash = ? WHERE username = 'ann'", [weak])
    assert client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD}).status_code == 200
    with app.extensions["hearthside"].storage.connection() as db:
        upgraded = db.execute("SELECT password_hash FROM members WHERE username = 'ann'").fetchone()[0]
    assert upgraded != weak and not accounts.password_needs_rehash(upgraded)


def test_real_server_onboarding_and_sign_in(server, data_dir):
    """A real server hashes at the production cost whatever the test kit does in process."""
    import sqlite3

    import requests

    answer = requests.post(server.url + "/api/v1/onboarding", json=ONBOARDING, timeout=10)
    assert answer.status_code == 201
    answer = requests.post(server.url + "/api/v1/auth/token", json={"username": "ann", "password": PASSWORD},
                           timeout=10)
    assert answer.status_code == 200
    me = requests.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {answer.json()['token']}"},
                      timeout=10)
    assert me.json()["member"]["username"] == "ann"
    with sqlite3.connect(data_dir / "hearthside.db") as db:
        stored = db.execute("SELECT password_hash FROM members WHERE username = 'ann'").fetchone()[0]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_onboard_couple_helper_gives_two_members(client):
    ann, bob = onboard_couple(client)
    assert ann.get("/api/v1/me").json["couple"]["id"] == bob.get("/api/v1/me").json["couple"]["id"]
