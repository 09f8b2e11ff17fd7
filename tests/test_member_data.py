"""Export and forget: the member's own data, all or nothing."""

import pytest

from hearthside.consent import Scope
from hearthside.events import emit
from hearthside.hookspecs import hookimpl
from tests.conftest import PASSWORD, onboard_couple


class NotesPlugin:
    """A plugin keeping one private note per member, to export and forget."""

    def __init__(self, fail_forget=False):
        self.fail_forget = fail_forget

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
        return {"notes": [r["text"] for r in db.query("SELECT text FROM notes_notes WHERE member_id = ?", [member_id])]}

    @hookimpl
    def hearthside_forget(self, hs, db, member_id):
        db.execute("DELETE FROM notes_notes WHERE member_id = ?", [member_id])
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
        emit(db, "note.reminder", 1, {"text": "for ann only"}, visibility="private", audience_id=ann.id)
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
