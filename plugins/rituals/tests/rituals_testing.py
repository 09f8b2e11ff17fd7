"""Helpers shared by the rituals tests (imported by name: this folder has no package)."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from hearthside.app import create_app
from tests.conftest import Member, onboard_couple  # noqa: F401  (re-exported for the tests)
from hearthside.testing import pair_device  # noqa: F401

REVEAL = "rituals.checkin_reveal"
WALL_SCOPE = "dashboard.rituals"


class FakeClock:
    """The scheduler's clock, moved by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def grant(scope: str, *members, granted: bool = True) -> None:
    for member in members:
        answer = member.put(f"/api/v1/consents/{scope}", json={"granted": granted})
        assert answer.status_code == 200, answer.json


def create(member, **body) -> dict:
    body.setdefault("template", "checkin")
    body.setdefault("start", "2024-03-03T19:00")
    answer = member.post("/api/v1/rituals", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def occ(ritual_id: int, key: str, tail: str = "") -> str:
    return f"/api/v1/rituals/{ritual_id}/occurrences/{key}{tail}"


def hs_of(app):
    return app.extensions["hearthside"]


def table_counts(app) -> dict:
    """Rows in every rituals table and in events: to prove an error wrote nothing."""
    with hs_of(app).storage.connection() as db:
        tables = [name for name in db.table_names() if name.startswith("rituals_")] + ["events"]
        return {name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables}


def events(member, type_: str | None = None) -> list[dict]:
    found = member.get("/api/v1/events?limit=500").json["events"]
    return [e for e in found if type_ is None or e["type"] == type_]


def live_client(app, token: str):
    sio = hs_of(app).live.socketio.test_client(app, auth={"token": token})
    assert sio.is_connected()
    sio.get_received()
    return sio


def received(sio) -> list[dict]:
    return [message["args"][0] for message in sio.get_received() if message["name"] == "event"]


def patch(member, path: str, **kwargs):
    """The shared Member helper has no PATCH: call its client directly."""
    return member.client.patch(path, headers=member.headers, **kwargs)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One app and one couple for a whole module: building an app costs about a second.

    Tests sharing it create their own rituals and look only at those.
    """
    app = create_app(None, env={}, flags={"data_dir": str(tmp_path_factory.mktemp("rituals") / "data")})
    client = app.test_client()
    ann, bob = onboard_couple(client)
    yield SimpleNamespace(app=app, client=client, ann=ann, bob=bob)
    app.extensions["hearthside"].shutdown()


def mine(items: list[dict], *ritual_ids: int) -> list[dict]:
    return [item for item in items if item.get("ritual_id", item.get("id")) in ritual_ids]
