"""Helpers shared by the transparency plugin's tests (imported, not a conftest:
each plugin's tests folder has no package, and conftest names would clash)."""

from __future__ import annotations

import itertools
import json
import sqlite3

import pytest

from hearthside.app import create_app
from tests.conftest import PASSWORD, Member, onboard_couple

SHARE = "transparency.share"
WALL = "dashboard.transparency"
API = "/api/v1/transparency"


def hs_of(app):
    return app.extensions["hearthside"]


def share(member, granted: bool = True) -> None:
    answer = member.put(f"/api/v1/consents/{SHARE}", json={"granted": granted})
    assert answer.status_code == 200, answer.json


def write(member, text: str = "Gym after work, home by 19:30.", kind: str = "plan", **fields):
    return member.post(f"{API}/entries", json={"kind": kind, "text": text, **fields})


def written(member, text: str = "Gym after work, home by 19:30.", kind: str = "plan", **fields) -> dict:
    answer = write(member, text, kind, **fields)
    assert answer.status_code == 201, answer.json
    return answer.json


def snapshot(app) -> dict:
    """Row counts of every transparency table and of the events: 'nothing was written' is equality."""
    with hs_of(app).storage.connection() as db:
        tables = [name for name in db.table_names() if name.startswith("transparency_")] + ["events"]
        return {name: db[name].count for name in tables}


def raw(app) -> sqlite3.Connection:
    """A separate plain sqlite3 connection to the database file: 'behind the server's back'."""
    conn = sqlite3.connect(hs_of(app).storage.path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def events_for(member, type_: str) -> list[dict]:
    return [e for e in member.get("/api/v1/events?limit=500").json["events"] if e["type"] == type_]


def couple_id_of(app, member) -> int:
    with hs_of(app).storage.connection() as db:
        return db["members"].get(member.id)["couple_id"]


def contains(data, needle: str) -> bool:
    return needle in json.dumps(data)


_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def tapp(tmp_path_factory):
    """One app per test module (building one takes about a second); each test gets its own couple in it."""
    app = create_app(None, env={}, flags={"data_dir": str(tmp_path_factory.mktemp("transparency") / "data")})
    yield app
    app.extensions["hearthside"].shutdown()


@pytest.fixture(scope="module")
def admin(tapp):
    """The server's first member, who can invite new couples."""
    return onboard_couple(tapp.test_client(), "admin", "admin-partner", "The admins")[0]


def new_couple(app, admin, sharing: bool = True, time_zone: str = "Europe/Berlin") -> tuple[Member, Member]:
    """A fresh couple on the module's app, through the real API (admin invite, then the partner's invite)."""
    n = next(_numbers)
    client = app.test_client()
    code = admin.post("/api/v1/admin/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept", json={
        "username": f"ann{n}", "password": PASSWORD, "display_name": "Ann",
        "couple": {"name": f"Couple {n}", "time_zone": time_zone}})
    assert answer.status_code == 201, answer.json
    ann = Member(client, answer.json["token"], answer.json["member"])
    code = ann.post("/api/v1/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": f"bob{n}", "password": PASSWORD, "display_name": "Bob"})
    assert answer.status_code == 201, answer.json
    bob = Member(client, answer.json["token"], answer.json["member"])
    if sharing:
        share(ann)
        share(bob)
    return ann, bob


@pytest.fixture
def pair(tapp, admin):
    """A new couple, Ann and Bob, both sharing what they write in the log."""
    return new_couple(tapp, admin)


@pytest.fixture
def shy_pair(tapp, admin):
    """A new couple where nobody has turned sharing on yet."""
    return new_couple(tapp, admin, sharing=False)


@pytest.fixture
def strangers(tapp, admin):
    """Another couple on the same server, both sharing."""
    return new_couple(tapp, admin)
