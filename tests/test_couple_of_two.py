"""Privacy holes found by attacking Hearthside as the other partner (issue 13, holes 2, 6 and 8).

* A couple is two people: no invite can bring in a third, pending invites are
  listed and revocable, and all of them die when the partner joins.
* Accepting an invite is no password-hashing oracle: the code is checked
  first, and wrong codes are rate limited like sign-ins (the join page too).
* A wall reads dashboard events from its pairing on, never the couple's past.

docs/security.md, "A couple is two people" and "The wall has no past".
"""

from __future__ import annotations

import logging

import pytest

from hearthside import accounts
from hearthside.testing import connect_socket, pair_device
from tests.conftest import PASSWORD
from tests.test_accounts import counts, error_of, onboard_first


def accept(client, code, username="bob"):
    return client.post(f"/api/v1/invites/{code}/accept",
                       json={"username": username, "password": PASSWORD, "display_name": username.title()})


def usernames(member) -> list[str]:
    return [m["username"] for m in member.get("/api/v1/me").json["couple"]["members"]]


# -- a couple is two people -------------------------------------------------------------------------


def test_a_complete_couple_can_invite_nobody(app, ann, bob):
    before = counts(app)
    for member in (ann, bob):
        error = error_of(member.post("/api/v1/invites"), 409, "couple_complete")
        assert "two people" in error["message"]
    assert counts(app) == before  # no invite row written


def test_an_invite_made_before_the_partner_joined_dies_when_they_join(app, client):
    ann = onboard_first(client)
    first, spare = (ann.post("/api/v1/invites").json["code"] for _ in range(2))
    bob = accept(client, first)
    assert bob.status_code == 201
    error_of(accept(client, spare, "eve"), 404, "invite_invalid")
    assert "can't be used" in app.test_client().get(f"/join/{spare}").get_data(as_text=True)
    assert usernames(ann) == ["ann", "bob"]
    assert ann.get("/api/v1/invites").json == {"invites": []}


def test_an_invite_left_pending_in_a_complete_couple_adds_nobody(app, ann, bob):
    """As in a database from before the limit: a pending invite row of a couple of two."""
    code = accounts.new_code()
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db["invites"].insert({"code_hash": accounts.digest(code), "couple_id": 1, "created_by": ann.id,
                              "expires_at": accounts.in_future(hours=1)})
    error_of(accept(app.test_client(), code, "eve"), 404, "invite_invalid")
    assert usernames(ann) == ["ann", "bob"]


def test_partners_accepting_different_codes_at_once_make_a_couple_of_two(app, client):
    from concurrent.futures import ThreadPoolExecutor

    ann = onboard_first(client)
    codes = [ann.post("/api/v1/invites").json["code"] for _ in range(4)]
    with ThreadPoolExecutor(len(codes)) as pool:
        statuses = list(pool.map(lambda n: accept(app.test_client(), codes[n], f"guest{n}").status_code,
                                 range(len(codes))))
    assert sorted(statuses) == [201, 404, 404, 404]
    assert len(usernames(ann)) == 2


def test_pending_invites_are_listed_without_their_codes_and_revocable(client):
    ann = onboard_first(client)
    codes = [ann.post("/api/v1/invites").json["code"] for _ in range(2)]
    answer = ann.get("/api/v1/invites")
    assert answer.status_code == 200
    listed = answer.json["invites"]
    assert [set(invite) for invite in listed] == [{"id", "created_by", "created_at", "expires_at"}] * 2
    assert all(invite["created_by"] == ann.id for invite in listed)
    assert not any(code in answer.get_data(as_text=True) for code in codes)

    assert ann.delete(f"/api/v1/invites/{codes[0].lower()}").status_code == 204  # by the code
    assert ann.delete(f"/api/v1/invites/{listed[1]['id']}").status_code == 204  # by the listed id
    assert ann.get("/api/v1/invites").json == {"invites": []}
    for code in codes:
        error_of(accept(client, code), 404, "invite_invalid")
    revoked = [e for e in ann.get("/api/v1/events").json["events"] if e["type"] == "invite.revoked"]
    assert [e["payload"]["invite"]["id"] for e in revoked] == [invite["id"] for invite in listed]


def test_revoking_what_is_not_a_pending_invite_of_ones_couple_is_404(app, client):
    ann = onboard_first(client)
    admin_code = ann.post("/api/v1/admin/invites").json["code"]
    cat_answer = accept(client, admin_code, "cat")
    cat = type(ann)(client, cat_answer.json["token"], cat_answer.json["member"])  # alone in couple B
    cats_code = cat.post("/api/v1/invites").json["code"]
    cats_id = cat.get("/api/v1/invites").json["invites"][0]["id"]
    used = ann.post("/api/v1/invites").json["code"]
    accept(client, used)
    for ref in (cats_code, str(cats_id), admin_code, used, "NOTACODE", "99999999999999999999", "²"):
        error_of(ann.delete(f"/api/v1/invites/{ref}"), 404, "invite_not_found")
    assert cat.get("/api/v1/invites").json["invites"][0]["id"] == cats_id  # still pending
    wall = pair_device(cat)
    error_of(wall.delete(f"/api/v1/invites/{cats_id}"), 403, "members_only")
    error_of(wall.get("/api/v1/invites"), 403, "members_only")
    error_of(client.delete(f"/api/v1/invites/{cats_id}"), 401, "unauthorized")
    error_of(client.get("/api/v1/invites"), 401, "unauthorized")
    assert accept(client, cats_code, "dan").status_code == 201


def test_admin_invites_for_a_new_couple_still_work_from_a_complete_couple(client, ann, bob):
    code = ann.post("/api/v1/admin/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept", json={
        "username": "cat", "password": PASSWORD, "display_name": "Cat", "couple": {"name": "Cat & Dan"}})
    assert answer.status_code == 201
    assert usernames(ann) == ["ann", "bob"]


def test_a_couple_of_more_than_two_is_reported_at_start_and_kept(make_app, app, ann, bob, caplog):
    with app.extensions["hearthside"].storage.connection() as db, db.atomic():
        db["members"].insert({"couple_id": 1, "username": "eve", "display_name": "Eve", "password_hash": "x",
                              "created_at": "2024-01-01T00:00:00+00:00"})
    with caplog.at_level(logging.WARNING, logger="hearthside.accounts"):
        make_app()
    assert "Couple 1 ('Ann & Bob') has 3 members, but a couple is two people" in caplog.text
    assert "Nothing was deleted" in caplog.text
    assert usernames(ann) == ["ann", "bob", "eve"]


# -- accepting an invite is no hashing oracle ------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password hashed from now on (the real hasher still runs)."""
    made: list[str] = []
    real = accounts.hash_password

    def counting(password: str) -> str:
        made.append(password)
        return real(password)

    monkeypatch.setattr(accounts, "hash_password", counting)
    return made


def test_a_wrong_invite_code_is_refused_before_any_password_is_hashed(client, hashes):
    onboard_first(client)
    hashes.clear()
    error_of(accept(client, "WRONGCDE"), 404, "invite_invalid")
    assert hashes == []


def test_wrong_invite_codes_are_rate_limited_like_sign_ins(client, hashes):
    ann = onboard_first(client)
    good = ann.post("/api/v1/invites").json["code"]
    hashes.clear()
    for _ in range(5):
        error_of(accept(client, "WRONGCDE"), 404, "invite_invalid")
    answer = accept(client, good)  # even the right code waits now
    error_of(answer, 429, "too_many_attempts")
    assert int(answer.headers["Retry-After"]) > 0
    assert hashes == []
    assert usernames(ann) == ["ann"]
    # counted apart from sign-ins: the household can still sign in
    assert client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD}).status_code == 200


def test_the_join_page_is_rate_limited_too(app, client):
    ann = onboard_first(client)
    good = ann.post("/api/v1/invites").json["code"]
    browser = app.test_client()
    for _ in range(5):
        page = browser.get("/join/WRONGCDE")
        assert page.status_code == 200 and "can't be used" in page.get_data(as_text=True)
    page = browser.get(f"/join/{good}")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    html = page.get_data(as_text=True)
    assert "Please wait a moment" in html and "data-join-form" not in html
    error_of(accept(client, good), 429, "too_many_attempts")  # the same counter as accepting


def test_a_valid_code_on_the_join_page_is_not_counted(app, client):
    ann = onboard_first(client)
    good = ann.post("/api/v1/invites").json["code"]
    browser = app.test_client()
    for _ in range(8):
        assert browser.get(f"/join/{good}").status_code == 200
    assert accept(client, good).status_code == 201


# -- the wall has no past -------------------------------------------------------------------------------


def test_a_new_wall_reads_no_event_from_before_its_pairing(app, ann, bob):
    ann.post("/api/v1/pause", json={"minutes": 20})
    bob.delete("/api/v1/pause")
    assert ann.get("/api/v1/events").json["events"]  # there is a past
    wall = pair_device(ann)
    live = connect_socket(app, wall.token)
    assert wall.get("/api/v1/events?after=0").json == {"events": []}
    assert live.events() == []
    ann.post("/api/v1/pause", json={"minutes": 5})
    read = wall.get("/api/v1/events?after=0").json["events"]
    assert [e["type"] for e in read] == ["pause.started"]
    assert [e["type"] for e in live.events()] == ["pause.started"]
    assert wall.get(f"/api/v1/events?after={read[0]['id']}").json == {"events": []}
    live.disconnect()


def test_an_earlier_wall_keeps_its_own_history(ann, bob, wall):
    ann.post("/api/v1/pause", json={"minutes": 20})
    late = pair_device(bob, "Kitchen")
    assert [e["type"] for e in wall.get("/api/v1/events").json["events"]] == ["pause.started"]
    assert late.get("/api/v1/events").json == {"events": []}


# -- the invite page in real Chromium ---------------------------------------------------------------------


def test_the_invite_page_lists_and_revokes_codes_then_says_the_couple_is_complete(chromium, server):
    import re

    import requests
    from playwright.sync_api import expect

    from hearthside.testing import PHONE, SCREENSHOTS, BrowserGuard, new_page, sign_in_with_form, wait_until_live

    answer = requests.post(server.url + "/api/v1/onboarding", timeout=10, json={
        "couple": {"name": "Ann & Bob", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    assert answer.status_code == 201, answer.text
    guard = BrowserGuard(server.url)
    phone = new_page(chromium, guard, **PHONE)
    sign_in_with_form(phone, "ann", next_path="/invite")
    expect(phone).to_have_url(f"{server.url}/invite")
    expect(phone.locator("[data-pending-empty]")).to_be_visible()

    rows = phone.locator("[data-pending-list] li")
    phone.click("[data-invite-create]")
    expect(rows).to_have_count(1)
    first_code = phone.locator("[data-invite-code]").text_content()
    phone.click("[data-invite-create]")
    expect(rows).to_have_count(2)
    expect(rows.first).not_to_contain_text("Works until Today")  # it expires in days, not today
    shown_code = phone.locator("[data-invite-code]").text_content()
    assert re.fullmatch(r"[A-Z0-9]{8}", shown_code) and shown_code != first_code
    phone.screenshot(path=str(SCREENSHOTS / "hearthside-invite-pending.png"), full_page=True)

    rows.first.locator("button:has-text('Revoke')").click()  # the older code
    expect(rows).to_have_count(1)
    expect(phone.locator("[data-invite-box]")).to_be_visible()  # the newest code is still shown
    join = lambda code, name: requests.post(  # noqa: E731
        f"{server.url}/api/v1/invites/{code}/accept", timeout=10,
        json={"username": name, "password": PASSWORD, "display_name": name.title()})
    assert join(first_code, "eve").status_code == 404

    wait_until_live(phone)
    assert join(shown_code, "bob").status_code == 201
    complete = phone.locator("[data-couple-complete]")
    expect(complete).to_contain_text("Your couple is complete", timeout=10000)
    expect(complete).to_contain_text("You and Bob")
    expect(phone.locator("[data-invite-create]")).to_have_count(0)
    phone.screenshot(path=str(SCREENSHOTS / "hearthside-invite-complete.png"), full_page=True)
    assert guard.outside == [] and guard.errors == [], (guard.outside, guard.errors)


# -- upgrading a database from before these rules -------------------------------------------------------


def test_an_upgrade_revokes_stale_invites_and_starts_old_walls_at_their_pairing(make_app, data_dir):
    from hearthside.migrations import migrations as core_migrations
    from hearthside.storage import Storage

    storage = Storage(data_dir)
    when = "2024-01-01T00:00:00+00:00"
    with storage.connection() as db, db.atomic():
        core_migrations.apply(db, stop_before=["0007_invites_revoked", "0008_devices_events_from"])
        db["couples"].insert({"id": 1, "name": "Ann & Bob", "time_zone": "UTC", "created_at": when})
        for member_id, name in ((1, "ann"), (2, "bob")):
            db["members"].insert({"id": member_id, "couple_id": 1, "username": name, "display_name": name.title(),
                                  "password_hash": "x", "is_admin": int(member_id == 1), "created_at": when})
        stale = accounts.new_code()
        db["invites"].insert({"code_hash": accounts.digest(stale), "couple_id": 1, "created_by": 1,
                              "expires_at": "2999-01-01T00:00:00+00:00"})
        db["devices"].insert({"id": 1, "couple_id": 1, "name": "Hall", "created_by": 1, "claimed_at": when,
                              "created_at": when})
        db["tokens"].insert({"token_hash": accounts.digest("old-wall-secret"), "kind": "device", "name": "Hall",
                             "device_id": 1, "couple_id": 1, "created_at": when})
        for event_id, type, visibility in ((1000, "pause.started", "dashboard"), (2000, "device.paired", "couple"),
                                           (3000, "pause.ended", "dashboard")):
            payload = '{"device":{"id":1,"name":"Hall"}}' if type == "device.paired" else "{}"
            db.execute("INSERT INTO events (id, couple_id, type, visibility, payload, created_at) "
                       "VALUES (?, 1, ?, ?, ?, ?)", [event_id, type, visibility, payload, when])
    storage.close()

    app = make_app()
    client = app.test_client()
    old_wall = {"Authorization": "Bearer old-wall-secret"}
    assert [e["id"] for e in client.get("/api/v1/events?after=0", headers=old_wall).json["events"]] == [3000]
    error_of(accept(client, stale, "eve"), 404, "invite_invalid")
    with app.extensions["hearthside"].storage.connection() as db:
        assert db["invites"].get(1)["revoked_at"] is not None
        assert db["devices"].get(1)["events_from"] == 2000
