"""The plugin manager: isolation of raising plugins, misspelt hooks, enabling and
disabling, tracing, and one manager per app."""

from __future__ import annotations

import inspect
import logging
import types
from datetime import timedelta

import click
import pytest
from flask import Blueprint, jsonify
from sqlite_utils.migrations import Migrations

from hearthside import consent, hookspecs
from hearthside.config import Setting
from hearthside.events import Event, EventType, emit
from hearthside.hookspecs import hookimpl
from hearthside.hook_types import Notification
from hearthside.plugin_manager import Candidate, PluginManager
from hearthside.scheduler import ScheduledJob

HOOKSPECS = sorted(name for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
                   if name.startswith("hearthside_"))
START_HOOKS = {"hearthside_config_schema", "hearthside_migrations", "hearthside_blueprints", "hearthside_startup"}
SAMPLE_EVENT = Event(1, 1, "good.happened", None, "couple", None, {}, "2024-01-01T00:00:00.000+00:00")


class Good:
    """A well-behaved plugin implementing every hook; records what it was asked."""

    def __init__(self, name: str = "good"):  # the name it is registered under: its event types' prefix
        self.name, self.calls = name, []

    @hookimpl
    def hearthside_config_schema(self):
        self.calls.append("hearthside_config_schema")
        return {"greeting": Setting("str", "hello", "What the plugin says.")}

    @hookimpl
    def hearthside_migrations(self):
        self.calls.append("hearthside_migrations")
        migrations = Migrations("good")

        @migrations(name="0001_things")
        def things(db):
            db["good_things"].create({"id": int, "name": str}, pk="id")

        return migrations

    @hookimpl
    def hearthside_startup(self, hs):
        self.calls.append("hearthside_startup")

    @hookimpl
    def hearthside_shutdown(self, hs):
        self.calls.append("hearthside_shutdown")

    @hookimpl
    def hearthside_blueprints(self, hs):
        self.calls.append("hearthside_blueprints")
        blueprint = Blueprint("good", __name__, url_prefix="/api/v1/good")
        blueprint.get("/ping")(lambda: jsonify({"pong": True}))
        return [blueprint]

    @hookimpl
    def hearthside_nav_items(self, hs, member):
        self.calls.append("hearthside_nav_items")
        return [{"label": "Good", "endpoint": "good.ping", "order": 10}]

    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        self.calls.append("hearthside_dashboard_cards")
        return [{"id": "good", "title": "Good things", "body": {"couple": couple_id}}]

    @hookimpl
    def hearthside_scheduled_jobs(self, hs):
        self.calls.append("hearthside_scheduled_jobs")
        return [ScheduledJob("good.tidy", lambda hs: None, every=timedelta(hours=1))]

    @hookimpl
    def hearthside_event_types(self):
        self.calls.append("hearthside_event_types")
        return [EventType(f"{self.name}.happened", "couple", "Something good happened.")]

    @hookimpl
    def hearthside_event(self, hs, db, event):
        self.calls.append("hearthside_event")

    @hookimpl
    def hearthside_consent_scopes(self, hs):
        self.calls.append("hearthside_consent_scopes")
        return [consent.Scope("good.share", "Share the good things.")]  # a Scope: anything else fails the plugin (1.3)

    @hookimpl
    def hearthside_export(self, hs, db, member_id):
        self.calls.append("hearthside_export")
        return {"things": [], "member": member_id}

    @hookimpl
    def hearthside_forget(self, hs, db, member_id):
        self.calls.append("hearthside_forget")
        db.execute("DELETE FROM good_things")

    @hookimpl
    def hearthside_cli_commands(self, cli):
        self.calls.append("hearthside_cli_commands")
        cli.add_command(click.Command("good-hello", callback=lambda: None))

    @hookimpl
    def hearthside_calendar_entry(self, hs, db, couple_id, entry):
        self.calls.append("hearthside_calendar_entry")
        return True

    @hookimpl
    def hearthside_backup_files(self, hs):
        self.calls.append("hearthside_backup_files")
        return ["good.key"]

    @hookimpl
    def hearthside_notifications(self, hs, db, event):
        self.calls.append("hearthside_notifications")
        return [Notification("questions", (1,), "Something good happened.")]


@pytest.fixture
def hearthside_discover_installed() -> bool:
    """These tests are about the plugin manager itself: only the core and each test's own plugins load."""
    return False


def raising_plugin(hook_name: str) -> types.ModuleType:
    """A plugin module whose one hook, ``hook_name``, raises; counts its calls."""
    module = types.ModuleType("boom")
    module.calls = 0

    def broken():  # a hook implementation may accept fewer arguments than the spec
        module.calls += 1
        raise RuntimeError(f"boom in {hook_name}")

    setattr(module, hook_name, hookimpl(broken))
    return module


# How the core (or a caller the core will have) calls each hook, and what the
# well-behaved plugin's answer looks like when it comes back. Hooks called at
# start have already run while the app was built.

def _check_config_schema(hs, client, db, good):
    assert hs.config["plugins.good.greeting"] == "hello"


def _check_migrations(hs, client, db, good):
    assert "good_things" in db.table_names()


def _check_blueprints(hs, client, db, good):
    assert client.get("/api/v1/good/ping").get_json() == {"pong": True}


def _check_startup(hs, client, db, good):
    assert "hearthside_startup" in good.calls


def _check_shutdown(hs, client, db, good):
    hs.shutdown()
    assert "hearthside_shutdown" in good.calls


def _check_event_types(hs, client, db, good):
    assert [(plugin, t.name) for plugin, t in hs.plugins.event_types if plugin == "good"] == [("good", "good.happened")]


def _check_event(hs, client, db, good):
    with db.atomic():
        emit(db, "good.happened", 1, visibility="couple")
    assert "hearthside_event" in good.calls


def _check_scheduled_jobs(hs, client, db, good):
    scheduler = hs.start_scheduler()
    try:
        assert "good.tidy" in scheduler.jobs
    finally:
        hs.shutdown()


def _check_nav_items(hs, client, db, good):
    results = hs.plugins.call_by_plugin("hearthside_nav_items", hs=hs, member={"id": 1})
    assert ("good", [{"label": "Good", "endpoint": "good.ping", "order": 10}]) in results


def _check_dashboard_cards(hs, client, db, good):
    results = hs.plugins.call_by_plugin("hearthside_dashboard_cards", hs=hs, db=db, couple_id=1)
    assert ("good", [{"id": "good", "title": "Good things", "body": {"couple": 1}}]) in results


def _check_consent_scopes(hs, client, db, good):
    assert ["good.share"] in [[scope.name for scope in answer] for answer in hs.plugins.call("hearthside_consent_scopes", hs=hs)]


def _check_export(hs, client, db, good):
    results = dict(hs.plugins.call_by_plugin("hearthside_export", hs=hs, db=db, member_id=1))
    assert results["good"] == {"things": [], "member": 1}


def _check_forget(hs, client, db, good):
    with db.atomic():
        db["good_things"].insert({"id": 1, "name": "mine"})
    with db.atomic():
        hs.plugins.call("hearthside_forget", hs=hs, db=db, member_id=1)
    assert db["good_things"].count == 0


def _check_cli_commands(hs, client, db, good):
    cli = click.Group("hearthside")
    hs.plugins.call("hearthside_cli_commands", cli=cli)
    assert "good-hello" in cli.commands


SAMPLE_ENTRY = {"source": "test", "key": "k-1", "status": "planned", "title": "Time together",
                "start": "2030-01-01T19:00:00+00:00", "duration_minutes": 60, "participants": []}


def _check_calendar_entry(hs, client, db, good):
    with db.atomic():  # called inside the planning plugin's transaction
        results = hs.plugins.call_by_plugin("hearthside_calendar_entry", hs=hs, db=db, couple_id=1,
                                            entry=SAMPLE_ENTRY)
    assert ("good", True) in results


def _check_backup_files(hs, client, db, good):
    import zipfile

    from hearthside.backups import write_bundle

    (hs.storage.data_dir / "good.key").write_text("good secret\n")
    bundle = write_bundle(hs, hs.storage.backups_dir / "check.hsb")  # a backup is still written
    with zipfile.ZipFile(bundle) as archive:
        assert archive.read("good.key") == b"good secret\n"


def _check_notifications(hs, client, db, good):
    results = hs.plugins.answers("hearthside_notifications", hs=hs, db=db, event=SAMPLE_EVENT)
    assert ("good", [Notification("questions", (1,), "Something good happened.")]) in results


def _check_restored(hs, client, db, good):
    from hearthside.restore import tell_plugins

    tell_plugins(hs)  # what hearthside restore does once the older database is back: it does not raise


CHECKS = {
    "hearthside_config_schema": _check_config_schema,
    "hearthside_migrations": _check_migrations,
    "hearthside_startup": _check_startup,
    "hearthside_shutdown": _check_shutdown,
    "hearthside_blueprints": _check_blueprints,
    "hearthside_nav_items": _check_nav_items,
    "hearthside_dashboard_cards": _check_dashboard_cards,
    "hearthside_scheduled_jobs": _check_scheduled_jobs,
    "hearthside_event": _check_event,
    "hearthside_event_types": _check_event_types,
    "hearthside_consent_scopes": _check_consent_scopes,
    "hearthside_export": _check_export,
    "hearthside_forget": _check_forget,
    "hearthside_cli_commands": _check_cli_commands,
    "hearthside_calendar_entry": _check_calendar_entry,
    "hearthside_backup_files": _check_backup_files,
    "hearthside_restored": _check_restored,
    "hearthside_notifications": _check_notifications,
}

CALL_AGAIN = {
    "hearthside_config_schema": lambda hs, db: {},
    "hearthside_migrations": lambda hs, db: {},
    "hearthside_startup": lambda hs, db: {"hs": hs},
    "hearthside_shutdown": lambda hs, db: {"hs": hs},
    "hearthside_blueprints": lambda hs, db: {"hs": hs},
    "hearthside_nav_items": lambda hs, db: {"hs": hs, "member": {"id": 1}},
    "hearthside_dashboard_cards": lambda hs, db: {"hs": hs, "db": db, "couple_id": 1},
    "hearthside_scheduled_jobs": lambda hs, db: {"hs": hs},
    "hearthside_event": lambda hs, db: {"hs": hs, "db": db, "event": SAMPLE_EVENT},
    "hearthside_event_types": lambda hs, db: {},
    "hearthside_consent_scopes": lambda hs, db: {"hs": hs},
    "hearthside_export": lambda hs, db: {"hs": hs, "db": db, "member_id": 1},
    "hearthside_forget": lambda hs, db: {"hs": hs, "db": db, "member_id": 1},
    "hearthside_cli_commands": lambda hs, db: {"cli": click.Group("again")},
    "hearthside_calendar_entry": lambda hs, db: {"hs": hs, "db": db, "couple_id": 1, "entry": SAMPLE_ENTRY},
    "hearthside_backup_files": lambda hs, db: {"hs": hs},
    "hearthside_restored": lambda hs, db: {"hs": hs, "db": db},
    "hearthside_notifications": lambda hs, db: {"hs": hs, "db": db, "event": SAMPLE_EVENT},
}


def test_every_hookspec_has_an_isolation_check():
    assert set(CHECKS) == set(HOOKSPECS) == set(CALL_AGAIN)


def state(hs, name: str) -> dict:
    return {row["name"]: row for row in hs.plugins.report()}[name]


@pytest.mark.parametrize("hook_name", HOOKSPECS)
def test_a_plugin_raising_in_a_hook_is_isolated(make_app, caplog, hook_name):
    caplog.set_level(logging.DEBUG, logger="hearthside.plugin_manager")
    boom, good = raising_plugin(hook_name), Good()
    app = make_app(extra_plugins={"boom": boom, "good": good})  # boom is called before good
    hs = app.extensions["hearthside"]
    client = app.test_client()
    with hs.storage.connection() as db:
        CHECKS[hook_name](hs, client, db, good)  # the other plugin's answer still comes back
        assert boom.calls == 1
        report = state(hs, "boom")
        assert report["state"] == "failed"
        assert report["error"] == f"raised in {hook_name}: RuntimeError at tests/test_plugins.py:140"
        assert state(hs, "good")["state"] == "loaded"
        assert state(hs, "core")["state"] == "loaded"
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
        assert any("'boom'" in message and hook_name in message and "RuntimeError at tests/test_plugins.py:140"
                   in message for message in errors), errors
        # The message can carry what a member wrote: only at debug level, never in what is shown.
        assert not any(f"boom in {hook_name}" in message for message in errors), errors
        assert f"boom in {hook_name}" not in str(hs.plugins.report())
        assert any(f"boom in {hook_name}" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
        # a failed plugin is skipped from then on
        hs.plugins.call(hook_name, **CALL_AGAIN[hook_name](hs, db))
        assert boom.calls == 1
    answer = client.get("/api/v1/health")  # the server stays up, and says it runs without the plugin
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "degraded" and answer.get_json()["failed_plugins"] == ["boom"]


def test_a_misspelt_hook_fails_the_plugin_by_name(make_app, caplog):
    caplog.set_level(logging.ERROR, logger="hearthside.plugin_manager")
    typo = types.ModuleType("typo")
    typo.started = False

    @hookimpl
    def hearthside_dashbord_cards(hs, db, couple_id):
        return [{"id": "typo", "title": "never", "body": {}}]

    @hookimpl
    def hearthside_startup(hs):
        typo.started = True

    typo.hearthside_dashbord_cards = hearthside_dashbord_cards
    typo.hearthside_startup = hearthside_startup
    app = make_app(extra_plugins={"typo": typo})
    hs = app.extensions["hearthside"]
    report = state(hs, "typo")
    assert report["state"] == "failed"
    assert "hearthside_dashbord_cards" in report["error"] and "not a Hearthside hook" in report["error"]
    assert any("'typo'" in r.getMessage() and "hearthside_dashbord_cards" in r.getMessage()
               for r in caplog.records)
    assert typo.started is False  # none of a failed plugin's hooks run
    assert app.test_client().get("/api/v1/health").status_code == 200


def test_a_misspelt_hook_on_a_bare_manager_does_not_raise_but_fails_the_plugin():
    typo = types.ModuleType("typo")
    typo.hearthside_event_hook = hookimpl(lambda event: None)
    pm = PluginManager()
    pm.register("typo", typo)
    assert pm.plugins["typo"].state == "failed"
    assert "'hearthside_event_hook'" in pm.plugins["typo"].error
    assert pm.loaded() == []


def test_a_hook_with_an_unknown_argument_fails_the_plugin_at_load(make_app):
    odd = types.ModuleType("odd")
    odd.hearthside_startup = hookimpl(lambda hs, flask_app: None)
    hs = make_app(extra_plugins={"odd": odd}).extensions["hearthside"]
    report = state(hs, "odd")
    assert report["state"] == "failed"
    assert report["error"].startswith("could not be loaded") and "flask_app" in report["error"]


def test_a_plugin_that_cannot_be_imported_is_failed_not_fatal():
    def broken_import():
        raise ImportError("No module named 'numpyy'")

    pm = PluginManager()
    pm.load([Candidate("heavy", "2.0", broken_import)])
    assert pm.report() == [{"name": "heavy", "version": "2.0", "enabled": True, "state": "failed",
                            "error": "could not be loaded: ImportError: No module named 'numpyy'",
                            "builtin": False, "api": None, "notes": []}]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_disabled_plugin_is_not_registered(make_app, how):
    good = Good()
    if how == "env":
        app = make_app(extra_plugins={"good": good}, env={"HEARTHSIDE_PLUGINS__GOOD__ENABLED": "false"})
    else:
        app = make_app(extra_plugins={"good": good}, flags={"plugins.good.enabled": False})
    hs = app.extensions["hearthside"]
    assert state(hs, "good") == {"name": "good", "version": "0", "enabled": False, "state": "disabled",
                                 "error": None, "builtin": False, "api": None, "notes": []}
    assert "good" not in hs.plugins.loaded()
    assert good.calls == []
    assert hs.plugins.call("hearthside_consent_scopes", hs=hs) == []
    assert app.test_client().get("/api/v1/good/ping").status_code == 404


def test_a_disabled_plugin_is_never_imported():
    imported = []
    pm = PluginManager()
    pm.load([Candidate("lazy", "1.0", lambda: imported.append(True))], is_enabled=lambda name: False)
    assert imported == []
    assert pm.plugins["lazy"].state == "disabled"


def test_the_core_plugin_cannot_be_disabled(make_app):
    app = make_app(flags={"plugins.core.enabled": False})
    assert state(app.extensions["hearthside"], "core")["state"] == "loaded"
    assert app.test_client().get("/api/v1/health").status_code == 200


def test_trace_plugins_logs_every_hook_call(make_app, caplog):
    caplog.set_level(logging.INFO, logger="hearthside.plugin_manager")
    hs = make_app(extra_plugins={"good": Good()}, env={"HEARTHSIDE_TRACE_PLUGINS": "1"}).extensions["hearthside"]
    hs.plugins.call("hearthside_consent_scopes", hs=hs)
    traced = [r.getMessage() for r in caplog.records if r.getMessage().startswith("hook ")]
    for hook in ("hearthside_config_schema", "hearthside_migrations", "hearthside_blueprints",
                 "hearthside_startup", "hearthside_consent_scopes"):
        assert any(message.startswith(f"hook {hook} -> good") for message in traced), (hook, traced)
    assert any(message.startswith("hook hearthside_migrations -> core") for message in traced)


def test_without_trace_hook_calls_are_not_logged(make_app, caplog):
    caplog.set_level(logging.INFO, logger="hearthside.plugin_manager")
    hs = make_app(extra_plugins={"good": Good()}).extensions["hearthside"]
    hs.plugins.call("hearthside_consent_scopes", hs=hs)
    assert not [r for r in caplog.records if r.getMessage().startswith("hook ")]


def test_a_call_missing_an_argument_is_the_callers_bug_not_the_plugins(make_app):
    hs = make_app(extra_plugins={"good": Good()}).extensions["hearthside"]
    with pytest.raises(TypeError, match="hearthside_dashboard_cards called without db, couple_id"):
        hs.plugins.call("hearthside_dashboard_cards", hs=hs)
    assert state(hs, "good")["state"] == "loaded"


def test_two_apps_in_one_process_have_independent_plugin_managers(make_app, tmp_path):
    flaky = types.ModuleType("flaky")

    @hookimpl
    def hearthside_dashboard_cards(couple_id):
        if couple_id == 1:
            raise RuntimeError("no cards for couple 1")
        return [{"id": "flaky", "title": "Flaky", "body": {}}]

    flaky.hearthside_dashboard_cards = hearthside_dashboard_cards
    first = make_app(extra_plugins={"flaky": flaky, "only_here": Good("only_here")}).extensions["hearthside"]
    second = make_app(extra_plugins={"flaky": flaky},
                      flags={"data_dir": str(tmp_path / "second")}).extensions["hearthside"]
    assert first.plugins is not second.plugins and first.plugins.pm is not second.plugins.pm
    assert "only_here" in first.plugins.plugins and "only_here" not in second.plugins.plugins
    with first.storage.connection() as db:
        assert first.plugins.call("hearthside_dashboard_cards", hs=first, db=db, couple_id=1) == [
            [{"id": "good", "title": "Good things", "body": {"couple": 1}}]]
    assert state(first, "flaky")["state"] == "failed"
    # the same plugin module is still healthy in the other app
    assert state(second, "flaky")["state"] == "loaded"
    with second.storage.connection() as db:
        assert second.plugins.call("hearthside_dashboard_cards", hs=second, db=db, couple_id=2) == [
            [{"id": "flaky", "title": "Flaky", "body": {}}]]
