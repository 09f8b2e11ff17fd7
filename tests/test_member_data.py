"""Export and forget: the member's own data, all or nothing."""

import sqlite3

import pytest

from hearthside.consent import Scope
from hearthside.events import emit
from hearthside.hookspecs import hookimpl
from tests.conftest import PASSWORD, join_new_couple, onboard_couple
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES


@pytest.fixture
def hearthside_plugins():
    """This file's apps also declare the event types its tests emit (tests/support/event_types.py)."""
    return dict(TEST_EVENT_TYPES)


class NotesPlugin:
    """A plugin keeping one private note per member, to export and forget."""

    def __init__(self, fail_forget: Exception | bool = False, fail_export=False):
        self.fail_forget = fail_forget
        self.fail_export = fail_export

    @hookimpl
    def hearthside_migrations(self):
        from sqlite_utils.migrations import Migrations

        migrations = Migrations("notes")

        @migrations(name="0001")
        def create(db):
            db["notes_notes"].create({"id": int, "member_id": int, "text": str}, pk="id")

        return migrations

    @hookimpl
    def hearthside_consent_scopes(self, hs):
        return [Scope("notes.share", "Share notes.")]

    @hookimpl
    def hearthside_export(self, hs, db, member_id):
        if self.fail_export:
            raise RuntimeError("export broke")
        return {"notes": [r["text"] for r in db.query("SELECT text FROM notes_notes WHERE member_id = ?", [member_id])]}

    @hookimpl
    def hearthside_forget(self, hs, db, member_id):
        db.execute("DELETE FROM notes_notes WHERE member_id = ?", [member_id])
        if isinstance(self.fail_forget, Exception):
            raise self.fail_forget
        if self.fail_forget:
            raise RuntimeError("disk says no")


def _setup(make_app, plugin):
    app = make_app(extra_plugins={"notes": plugin})
    client = app.test_client()
    ann, bob = onboard_couple(client)
    storage = app.extensions["hearthside"].storage
    with storage.connection() as db, db.atomic():
        db["notes_notes"].insert_all([{"member_id": ann.id, "text": "ann's secret"},
                                      {"member_id": bob.id, "text": "bob's secret"}])
        emit(db, "test.note_reminder", 1, {"text": "for ann only"}, visibility="private", audience_id=ann.id)
    return app, storage, ann, bob


def _notes(storage):
    with storage.connection() as db:
        return [r["text"] for r in db.query("SELECT text FROM notes_notes ORDER BY id")]


def test_export_holds_own_data_and_never_the_partners(make_app):
    _app, _storage, ann, _bob = _setup(make_app, NotesPlugin())
    answer = ann.get("/api/v1/me/export")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    data = answer.json
    assert data["member"]["username"] == "ann"
    assert data["plugins"]["notes"] == {"notes": ["ann's secret"]}
    assert [e["payload"] for e in data["core"]["private_events"]] == [{"text": "for ann only"}]
    assert "bob's secret" not in answer.get_data(as_text=True)
    assert all("token_hash" not in token for token in data["core"]["tokens"])


def test_forget_deletes_only_the_callers_data(make_app):
    _app, storage, ann, bob = _setup(make_app, NotesPlugin())
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert answer.status_code == 200
    assert answer.json["forgotten"] is True
    assert "notes" in answer.json["plugins"]
    assert _notes(storage) == ["bob's secret"]
    assert ann.get("/api/v1/me/export").json["core"]["private_events"][-1]["type"] == "member.forgotten"
    assert bob.get("/api/v1/me/export").json["plugins"]["notes"] == {"notes": ["bob's secret"]}


@pytest.mark.parametrize("body, status, code", [
    ({"password": PASSWORD}, 400, "confirmation_required"),
    ({"confirm": "yes", "password": PASSWORD}, 400, "confirmation_required"),
    ({"confirm": "forget my data"}, 400, "invalid_field"),
    ({"confirm": "forget my data", "password": "wrong password"}, 403, "wrong_password"),
])
def test_forget_needs_the_confirmation_and_the_password(make_app, body, status, code):
    _app, storage, ann, _bob = _setup(make_app, NotesPlugin())
    answer = ann.post("/api/v1/me/forget", json=body)
    assert (answer.status_code, answer.json["error"]["code"]) == (status, code)
    assert _notes(storage) == ["ann's secret", "bob's secret"]


def test_a_failing_plugin_means_nothing_is_forgotten(make_app, caplog):
    _app, storage, ann, _bob = _setup(make_app, NotesPlugin(fail_forget=True))
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert answer.status_code == 500
    assert answer.json["error"]["code"] == "forget_failed"
    assert "notes" in answer.json["error"]["message"]
    assert _notes(storage) == ["ann's secret", "bob's secret"]
    assert ann.get("/api/v1/me/export").json["core"]["private_events"][0]["payload"] == {"text": "for ann only"}
    assert "nothing deleted" in caplog.text


@pytest.mark.parametrize("method, path", [("get", "/api/v1/me/export"), ("post", "/api/v1/me/forget")])
def test_export_and_forget_are_for_members_only(client, method, path):
    ann, _bob = onboard_couple(client)
    assert getattr(client, method)(path, json={}).status_code == 401
    device = ann.post("/api/v1/devices", json={"name": "Wall"}).json
    token = client.post("/api/v1/devices/claim", json={"pairing_code": device["pairing_code"]}).json["token"]
    answer = getattr(client, method)(path, json={}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def _with_more_private_data(app, ann, bob):
    """Bob's own private event, and a second couple with private data of its own."""
    cat, dan = join_new_couple(ann.client, ann)
    ours, theirs = (m.get("/api/v1/me").json["couple"]["id"] for m in (bob, cat))
    storage = app.extensions["hearthside"].storage
    with storage.connection() as db, db.atomic():
        emit(db, "test.note_reminder", ours, {"text": "for bob only"}, visibility="private",
             audience_id=bob.id)
        emit(db, "test.note_reminder", theirs, {"text": "for cat only"}, visibility="private",
             audience_id=cat.id)
        db["notes_notes"].insert({"member_id": cat.id, "text": "cat's secret"})
    return cat, dan


def test_export_leaves_out_the_partners_and_other_couples_private_events(make_app):
    app, _storage, ann, bob = _setup(make_app, NotesPlugin())
    cat, _dan = _with_more_private_data(app, ann, bob)
    text = ann.get("/api/v1/me/export").get_data(as_text=True)
    assert "for ann only" in text
    for other in ("for bob only", "bob's secret", "for cat only", "cat's secret"):
        assert other not in text
    assert "for cat only" in cat.get("/api/v1/me/export").get_data(as_text=True)


def test_forget_leaves_the_partners_and_other_couples_data_and_logs_nothing_private(make_app, caplog):
    app, storage, ann, bob = _setup(make_app, NotesPlugin())
    cat, _dan = _with_more_private_data(app, ann, bob)
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert answer.status_code == 200
    assert _notes(storage) == ["bob's secret", "cat's secret"]
    bobs = bob.get("/api/v1/me/export").json["core"]["private_events"]
    assert {"text": "for bob only"} in [e["payload"] for e in bobs]
    assert "for cat only" in cat.get("/api/v1/me/export").get_data(as_text=True)
    for secret in (PASSWORD, "ann's secret", "for ann only"):
        assert secret not in caplog.text


def test_a_plugin_that_failed_earlier_stops_the_forget(make_app):
    """Skipped as failed, its table would keep the member's data while the answer says "forgotten"."""
    app, storage, ann, _bob = _setup(make_app, NotesPlugin(fail_export=True))
    assert "notes" not in ann.get("/api/v1/me/export").json["plugins"]  # the failure switches it off
    assert app.extensions["hearthside"].plugins.plugins["notes"].state == "failed"
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert (answer.status_code, answer.json["error"]["code"]) == (500, "forget_failed")
    assert "notes" in answer.json["error"]["message"]
    assert _notes(storage) == ["ann's secret", "bob's secret"]
    assert ann.get("/api/v1/me/export").json["core"]["private_events"][0]["payload"] == {"text": "for ann only"}


def test_a_full_disk_while_forgetting_is_the_storage_full_answer_and_nothing_is_deleted(make_app):
    full = sqlite3.OperationalError("database or disk is full")
    _app, storage, ann, _bob = _setup(make_app, NotesPlugin(fail_forget=full))
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert (answer.status_code, answer.json["error"]["code"]) == (507, "storage_full")
    assert _notes(storage) == ["ann's secret", "bob's secret"]
