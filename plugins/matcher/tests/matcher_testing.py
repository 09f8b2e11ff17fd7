"""Helpers shared by the matcher's tests (imported by name: this folder has no package)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hearthside.app import create_app
from hearthside.plugins.matcher import catalog, store
from hearthside.testing import join_new_couple, onboard_couple
from hearthside.testing import pair_device  # noqa: F401  (re-exported for the tests)

SCOPE = "matcher.reveal"
IDS = [item["id"] for item in catalog.builtin().items]
X, Y, Z, W = IDS[0], IDS[1], IDS[2], IDS[3]


def reveal(*members, granted: bool = True) -> None:
    for member in members:
        answer = member.put(f"/api/v1/consents/{SCOPE}", json={"granted": granted})
        assert answer.status_code == 200, answer.json


def put(member, answers: dict, notes: dict | None = None):
    body = {"answers": answers}
    if notes is not None:
        body["notes"] = notes
    return member.put("/api/v1/matcher/answers", json=body)


def own(member) -> dict:
    answer = member.get("/api/v1/matcher/answers")
    assert answer.status_code == 200, answer.json
    return answer.json


def matches(member):
    return member.get("/api/v1/matcher/matches")


def last_event_id(member) -> int:
    """The id of the newest event this member may see (paging forward: the API lists oldest first)."""
    newest = 0
    while True:
        events = member.get(f"/api/v1/events?after={newest}&limit=500").json["events"]
        if not events:
            return newest
        newest = events[-1]["id"]


def newest_event_id(app) -> int:
    """The newest event of the whole server, whoever may see it."""
    with app.extensions["hearthside"].storage.connection() as db:
        return db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


def events_after(member, after: int) -> list[dict]:
    return member.get(f"/api/v1/events?after={after}&limit=500").json["events"]


def couple_id_of(app, member_id: int) -> int:
    with app.extensions["hearthside"].storage.connection() as db:
        return db["members"].get(member_id)["couple_id"]


def connect(app, token: str):
    sio = app.extensions["hearthside"].live.socketio.test_client(app, auth={"token": token})
    assert sio.is_connected()
    sio.get_received()
    return sio


def received(sio) -> list[dict]:
    return [message["args"][0] for message in sio.get_received() if message["name"] == "event"]


class Clock:
    """The matcher's clock, moved by hand."""

    def __init__(self):
        self.now = datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def _memory_folder(fallback: Path):
    """A folder in /dev/shm when the machine has one (the same real SQLite files, but no
    disk syncs to wait for), else ``fallback``; and how to remove it afterwards."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return fallback, lambda: None
    folder = Path(tempfile.mkdtemp(prefix="hearthside-matcher-", dir=shm))
    return folder, lambda: shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def data_dir(tmp_path):
    """Overrides the shared ``data_dir`` in the matcher's tests (import it into a test module)."""
    folder, remove = _memory_folder(tmp_path)
    yield folder / "data"
    remove()


# -- one server per test module, a new couple per test ----------------------------------------------
#
# Building an app costs far more than a test's requests, and couples are the
# server's tenancy boundary: a fresh couple on a shared server is as isolated
# as a fresh server, and every test then also runs next to other couples.
# Import ``app``, ``client`` and ``couple`` from here to use them; tests that
# change the server itself (its config, its key, its clock for a job) build
# their own app with ``make_app``.

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    folder, remove = _memory_folder(tmp_path_factory.mktemp("matcher-shared"))
    app = create_app(None, env={}, flags={"data_dir": str(folder / "data")})
    admin, _ = onboard_couple(app.test_client(), "admin", "admin-partner", "Server admins")
    yield app, admin
    app.extensions["hearthside"].shutdown()
    remove()


@pytest.fixture
def app(shared_server):
    return shared_server[0]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def couple(shared_server, client):
    """A new couple on the module's server: ``ann, bob = couple`` (usernames annN, bobN)."""
    number = next(_numbers)
    ann, bob = join_new_couple(client, shared_server[1], first=f"ann{number}", second=f"bob{number}")
    assert bob.token, "the partner could not join"
    return ann, bob


@pytest.fixture
def other_couple(shared_server, client):
    """Another new couple on the same server: ``cat, dan = other_couple``."""
    number = next(_numbers)
    return join_new_couple(client, shared_server[1], first=f"cat{number}", second=f"dan{number}")


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(store, "utcnow", fake)
    return fake
