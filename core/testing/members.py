"""Members, couples and walls, made through the real API as a person would.

Nothing here writes to the database behind the API's back: a couple made by
:func:`onboard_couple` went through onboarding, an invite and its acceptance,
so a test starts from what the product really builds.
"""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"


class Member:
    """A signed-up member and a way to call the API as them (a bearer token)."""

    def __init__(self, client, token: str, member: dict):
        self.client = client
        self.token = token
        self.id = member["id"]
        self.username = member["username"]
        self.display_name = member.get("display_name", self.username)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(path, headers=self.headers, **kwargs)

    def put(self, path, **kwargs):
        return self.client.put(path, headers=self.headers, **kwargs)

    def patch(self, path, **kwargs):
        return self.client.patch(path, headers=self.headers, **kwargs)

    def delete(self, path, **kwargs):
        return self.client.delete(path, headers=self.headers, **kwargs)

    def grant(self, scope: str, granted: bool = True):
        """Grant (or revoke) a consent scope for this member; fails the test if the API says no."""
        answer = self.put(f"/api/v1/consents/{scope}", json={"granted": granted})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


class Device(Member):
    """A paired dashboard device (the wall screen): it can read only dashboard-visible data."""

    def __init__(self, client, token: str, device_id: int, name: str):
        super().__init__(client, token, {"id": device_id, "username": name, "display_name": name})
        self.name = name


def onboard_couple(client, first="ann", second="bob", couple_name="Ann & Bob") -> tuple[Member, Member]:
    """The first couple on a fresh server, through the real API: onboarding, invite, accept."""
    a = onboard_alone(client, first, couple_name)
    return a, invite_partner(a, second)


def onboard_alone(client, first="ann", couple_name="Ann & Bob") -> Member:
    """The first member on a fresh server, through onboarding, before anyone is invited.

    For what a couple of one may do and what changes when the partner joins
    (:func:`invite_partner`).
    """
    answer = client.post("/api/v1/onboarding", json={
        "couple": {"name": couple_name, "time_zone": "Europe/Berlin"},
        "member": {"username": first, "password": PASSWORD, "display_name": first.title()},
    })
    assert answer.status_code == 201, answer.json
    return Member(client, answer.json["token"], answer.json["member"])


def invite_partner(member: Member, username: str, display_name: str | None = None) -> Member:
    """``username`` joins ``member``'s couple through an invite ``member`` makes, and accepts it."""
    code = member.post("/api/v1/invites").json["code"]
    answer = member.client.post(f"/api/v1/invites/{code}/accept", json={
        "username": username, "password": PASSWORD, "display_name": display_name or username.title()})
    assert answer.status_code == 201, answer.json
    return Member(member.client, answer.json["token"], answer.json["member"])


def mentions(text: str, word: str) -> bool:
    """Whether ``word`` appears in ``text`` as a word of its own.

    Use it to assert that a short name is *not* on a page: ``"Bob" not in html``
    fails now and then, because a page carries random tokens (CSRF, invite and
    pairing codes) that can spell any three letters. A token's characters
    around the match make it part of the token, not a mention.
    """
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(word)}(?![A-Za-z0-9_-])", text) is not None


def join_new_couple(client, admin: Member, first="cat", second="dan", *, couple_name="Cat & Dan",
                    time_zone="Europe/London", display_names: tuple[str, str] | None = None) -> tuple[Member, Member]:
    """A second couple on the same server, through an admin's new-couple invite.

    The display names are the usernames titled (``"Cat"``) unless ``display_names`` says otherwise.
    """
    first_name, second_name = display_names or (first.title(), second.title())
    answer = admin.post("/api/v1/admin/invites")
    assert answer.status_code == 201, answer.json
    answer = client.post(f"/api/v1/invites/{answer.json['code']}/accept", json={
        "username": first, "password": PASSWORD, "display_name": first_name,
        "couple": {"name": couple_name, "time_zone": time_zone}})
    assert answer.status_code == 201, answer.json
    c = Member(client, answer.json["token"], answer.json["member"])
    return c, invite_partner(c, second, second_name)


def pair_device(member: Member, name: str = "Living-room wall") -> Device:
    """Create a dashboard device as ``member``'s couple and claim it with its one-time code."""
    created = member.post("/api/v1/devices", json={"name": name})
    assert created.status_code == 201, created.json
    claimed = member.client.post("/api/v1/devices/claim", json={"pairing_code": created.json["pairing_code"]})
    assert claimed.status_code == 201, claimed.json
    return Device(member.client, claimed.json["token"], created.json["id"], name)


def sign_in_browser(app, member: Member, password: str = PASSWORD):
    """A new test client signed in as ``member`` with a browser session (to fetch pages)."""
    browser = app.test_client()
    answer = browser.post("/api/v1/auth/session", json={"username": member.username, "password": password})
    assert answer.status_code == 200, answer.get_json()
    return browser



def hs_of(app):
    """The runtime of ``app`` (what hooks receive as ``hs``), for tests holding only the app."""
    return app.extensions["hearthside"]


def couple_id_of(app, member) -> int:
    """The couple of ``member`` (a :class:`Member` or a member id), read from the database."""
    member_id = getattr(member, "id", member)
    with hs_of(app).storage.connection() as db:
        return db["members"].get(member_id)["couple_id"]
