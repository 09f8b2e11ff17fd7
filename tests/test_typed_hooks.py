"""The typed hook contract: declared event types, ScheduledJob without APScheduler, and the pluggy
options the isolating caller honours (tryfirst/trylast, firstresult) or refuses (wrappers)."""

from __future__ import annotations

import types
from datetime import timedelta

import pluggy
import pytest
from apscheduler.triggers.interval import IntervalTrigger

from hearthside.events import EventType, EventTypes, UndeclaredEventType, emit
from hearthside.hookspecs import hookimpl
from hearthside.plugin_manager import BuiltinPluginFailed, Candidate, PluginManager
from hearthside.scheduler import TRIGGER_DEPRECATED, ScheduledJob, Scheduler


@pytest.fixture
def hearthside_discover_installed() -> bool:
    return False  # the core and each test's own plugins


def plugin_with(**hooks) -> types.ModuleType:
    module = types.ModuleType("plugin")
    for name, function in hooks.items():
        setattr(module, name, hookimpl(function))
    return module


def declaring(*event_types: EventType) -> types.ModuleType:
    return plugin_with(hearthside_event_types=lambda: list(event_types))


def state(plugins: PluginManager, name: str) -> dict:
    return {row["name"]: row for row in plugins.report()}[name]


# -- declared event types ---------------------------------------------------------------------------

def test_an_undeclared_type_is_refused_by_emit_naming_it_and_the_hook(hs):
    with hs.storage.connection() as db:
        with pytest.raises(UndeclaredEventType) as refused, db.atomic():
            emit(db, "journal.saved", 1, {}, visibility="couple")
        assert db["events"].count == 0
    assert "'journal.saved'" in str(refused.value) and "hearthside_event_types" in str(refused.value)


def test_a_declared_type_is_refused_with_a_visibility_it_was_not_declared_with(hs):
    with hs.storage.connection() as db:
        with pytest.raises(UndeclaredEventType, match="'pause.started' is declared dashboard, not couple"):
            with db.atomic():
                emit(db, "pause.started", 1, {}, visibility="couple")
        with db.atomic():
            emit(db, "pause.started", 1, {}, visibility="dashboard")  # as declared
        assert db["events"].count == 1


def test_a_type_declared_with_several_visibilities_takes_each(make_app):
    hs = make_app(extra_plugins={"notes": declaring(EventType("notes.told", ("private", "couple"), "Told."))}) \
        .extensions["hearthside"]
    with hs.storage.connection() as db, db.atomic():
        emit(db, "notes.told", 1, {}, visibility="couple")
        emit(db, "notes.told", 1, {}, visibility="private", audience_id=1)
        with pytest.raises(UndeclaredEventType):
            emit(db, "notes.told", 1, {}, visibility="dashboard")


def test_a_database_without_declared_types_emits_nothing(tmp_path):
    from hearthside.migrations import migrations
    from hearthside.storage import Storage

    storage = Storage(tmp_path)
    storage.apply_migrations([migrations])
    with storage.connection() as db, pytest.raises(UndeclaredEventType), db.atomic():
        emit(db, "pause.started", 1, {}, visibility="dashboard")
    storage.close()


@pytest.mark.parametrize("event_type, message", [
    (EventType("pause.started", "dashboard", "Again."),
     "declares the event type 'pause.started', which the core already declared"),
    (EventType("first.said", "couple", "Taken."),
     "declares the event type 'first.said', which the plugin 'first' already declared"),
    (EventType("third.said", "couple", "Foreign."),
     "declares the event type 'third.said', outside its own names: a plugin's event types are named second.<what>"),
    (EventType("pause.skipped", "couple", "A core family."),
     "declares the event type 'pause.skipped', outside its own names"),
    (EventType("second.said", "everyone", "Bad."), "with visibility 'everyone'"),
    ("second.said", "which is not an EventType"),
])
def test_a_duplicate_or_foreign_declaration_fails_the_plugin_at_load_naming_it(make_app, caplog, event_type, message):
    first = declaring(EventType("first.said", "couple", "Said."))
    second = declaring(EventType("second.fine", "couple", "Fine."), event_type)
    hs = make_app(extra_plugins={"first": first, "second": second}).extensions["hearthside"]
    report = state(hs.plugins, "second")
    assert report["state"] == "failed" and message in report["error"]
    assert any("'second'" in r.getMessage() and message in r.getMessage() for r in caplog.records)
    assert state(hs.plugins, "first")["state"] == "loaded"
    names = [t.name for _, t in hs.plugins.event_types]
    assert "first.said" in names and "second.fine" not in names  # a failed plugin declares nothing
    with hs.storage.connection() as db, pytest.raises(UndeclaredEventType), db.atomic():
        emit(db, "second.fine", 1, {}, visibility="couple")


def test_a_built_in_declaring_a_foreign_type_stops_the_start():
    plugins = PluginManager()
    bad = declaring(EventType("pause.started", "dashboard", "Taken from the core."))
    with pytest.raises(BuiltinPluginFailed, match="'rituals'.*'pause.started', which the core already declared"):
        plugins.load([Candidate("core", "1", lambda: __import__("hearthside.core_plugin").core_plugin, True),
                      Candidate("rituals", "1", lambda: bad, True)])


def plugin_with_table(folder, monkeypatch, name: str, table: str | None) -> types.ModuleType:
    """A package ``name`` on disk whose event types are ``layout.event_types``' table (None: no file)."""
    import importlib

    package = folder / name
    package.mkdir()
    (package / "__init__.py").write_text("from hearthside.plugin_api import layout\n\n"
                                         "hearthside_event_types = layout.event_types(__name__)\n")
    if table is not None:
        (package / "event_types.toml").write_text(table, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    return importlib.import_module(name)


def test_an_event_types_table_declares_each_line_with_its_visibilities(make_app, tmp_path, monkeypatch):
    table = ('"tablenotes.told" = { visibility = ["private", "couple"], about = "Told." }\n'
             '"tablenotes.shown" = { visibility = "dashboard", about = "On the wall." }\n')
    plugin = plugin_with_table(tmp_path, monkeypatch, "tablenotes", table)
    hs = make_app(extra_plugins={"tablenotes": plugin}).extensions["hearthside"]
    declared = {t.name: t for owner, t in hs.plugins.event_types if owner == "tablenotes"}
    assert declared == {"tablenotes.told": EventType("tablenotes.told", ("private", "couple"), "Told."),
                        "tablenotes.shown": EventType("tablenotes.shown", "dashboard", "On the wall.")}
    with hs.storage.connection() as db, db.atomic():
        emit(db, "tablenotes.told", 1, {}, visibility="private", audience_id=1)
        emit(db, "tablenotes.shown", 1, {}, visibility="dashboard")


@pytest.mark.parametrize("name, table, message", [
    ("tablemissing", '"tablemissing.told" = { visibility = "couple" }\n',
     "tablemissing/event_types.toml: 'tablemissing.told' needs exactly visibility and about"),
    ("tableextra", '"tableextra.told" = { visibility = "couple", about = "Told.", audience = "all" }\n',
     "tableextra/event_types.toml: 'tableextra.told' needs exactly visibility and about"),
    ("tablebare", '"tablebare.told" = "couple"\n', "tablebare/event_types.toml: 'tablebare.told' needs exactly"),
    ("tablebroken", '"tablebroken.told" = { visibility = "couple", about = \n', "tablebroken/event_types.toml cannot be read"),
    ("tableabsent", None, "tableabsent/event_types.toml cannot be read"),
])
def test_a_bad_event_types_table_fails_the_plugin_naming_file_and_type(make_app, tmp_path, monkeypatch, name, table,
                                                                       message):
    plugin = plugin_with_table(tmp_path, monkeypatch, name, table)
    hs = make_app(extra_plugins={name: plugin}).extensions["hearthside"]
    report = state(hs.plugins, name)
    assert report["state"] == "failed" and message in report["error"], report
    assert state(hs.plugins, "core")["state"] == "loaded"


def test_event_types_refuse_a_second_declaration_of_a_name():
    types_ = EventTypes()
    assert types_.declare("core", EventType("pause.started", "dashboard", "x")) is None
    assert "already declared" in types_.declare("notes", EventType("pause.started", "dashboard", "x"))


# -- scheduled jobs -------------------------------------------------------------------------------------

class Jobs:
    def __init__(self, *jobs):
        self.jobs, self.ran = jobs, []

    @hookimpl
    def hearthside_scheduled_jobs(self, hs):
        return [ScheduledJob(job.id, lambda hs, job_id=job.id: self.ran.append(job_id), job.trigger,
                             every=job.every, cron=job.cron) for job in self.jobs]


@pytest.fixture
def jobs():
    return Jobs(ScheduledJob("jobs.often", print, every=timedelta(minutes=30)),
                ScheduledJob("jobs.nightly", print, cron="0 3 * * *"),
                ScheduledJob("jobs.sundays", print, cron="0 18 * * sun"))


@pytest.fixture
def hearthside_plugins(jobs):
    return {"jobs": jobs}


def test_every_and_cron_jobs_run_on_the_test_schedulers_clock(jobs, scheduler, clock):
    from datetime import datetime, timezone

    clock.set(datetime(2024, 3, 2, 12, 0, tzinfo=timezone.utc))  # a Saturday noon (the server's zone: UTC)
    assert scheduler.run_due() == []  # first seen: records start now
    assert scheduler.advance(minutes=31) == ["jobs.often"]
    assert scheduler.advance(hours=15) == ["jobs.often", "jobs.nightly"]  # 03:31 on Sunday
    assert scheduler.advance(hours=15) == ["jobs.often", "jobs.sundays"]  # 18:31 on Sunday
    assert jobs.ran == ["jobs.often", "jobs.often", "jobs.nightly", "jobs.often", "jobs.sundays"]


@pytest.mark.parametrize("kwargs, message", [
    ({}, "needs one schedule"),
    ({"every": timedelta(hours=1), "cron": "0 3 * * *"}, "not every and cron"),
    ({"every": 60}, "positive timedelta"),
    ({"every": timedelta(0)}, "positive timedelta"),
    ({"cron": "0 3 * *"}, "five fields"),
    ({"cron": "0 3 * * 0"}, "by name"),
    ({"cron": "61 3 * * *"}, "cannot be read"),
])
def test_a_job_with_a_schedule_that_cannot_be_read_fails_where_it_is_written(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScheduledJob("jobs.bad", print, **kwargs)


def test_the_scheduler_builds_the_trigger_in_the_servers_zone(make_app):
    hs = make_app(flags={"time_zone": "Europe/Berlin"}).extensions["hearthside"]
    scheduler = Scheduler(hs, [ScheduledJob("jobs.nightly", print, cron="0 3 * * *"),
                               ScheduledJob("jobs.often", print, every=timedelta(minutes=5))])
    assert str(scheduler.triggers["jobs.nightly"].timezone) == "Europe/Berlin"
    assert scheduler.triggers["jobs.often"].interval == timedelta(minutes=5)


def test_a_deprecated_trigger_still_runs_with_one_warning_per_plugin(make_app, caplog, clock):
    old = Jobs(ScheduledJob("old.a", print, IntervalTrigger(hours=1)),
               ScheduledJob("old.b", print, IntervalTrigger(hours=2)))
    hs = make_app(extra_plugins={"old": old}).extensions["hearthside"]
    scheduler = hs.start_scheduler(clock=clock)
    try:
        assert sorted(scheduler.jobs) == ["jobs.nightly", "jobs.often", "jobs.sundays", "old.a", "old.b"]
        scheduler.run_job("old.a")
        assert old.ran == ["old.a"]
        hs.scheduler.shutdown()
        hs.scheduler = None
        hs.start_scheduler(clock=clock)  # a second start: still the one note
    finally:
        hs.shutdown()
    warned = [r.getMessage() for r in caplog.records if TRIGGER_DEPRECATED in r.getMessage()]
    assert warned == [f"Plugin 'old' {TRIGGER_DEPRECATED}"]
    assert state(hs.plugins, "old")["notes"][-1] == TRIGGER_DEPRECATED
    assert TRIGGER_DEPRECATED not in state(hs.plugins, "jobs")["notes"]


# -- pluggy options -------------------------------------------------------------------------------------

def ordered(calls: list, name: str, **options):
    def hearthside_startup(hs):
        calls.append(name)
    return types.SimpleNamespace(hearthside_startup=hookimpl(**options)(hearthside_startup))


def test_tryfirst_and_trylast_order_the_calls_like_pluggy():
    calls = []
    plugins = PluginManager()
    plugins.load([Candidate("late", "1", lambda: ordered(calls, "late", trylast=True)),
                  Candidate("plain", "1", lambda: ordered(calls, "plain")),
                  Candidate("early", "1", lambda: ordered(calls, "early", tryfirst=True)),
                  Candidate("plain2", "1", lambda: ordered(calls, "plain2"))])
    plugins.call("hearthside_startup", hs=None)
    assert calls == ["early", "plain", "plain2", "late"]


class FirstResultSpecs:
    @pluggy.HookspecMarker("hearthside")(firstresult=True)
    def hearthside_pick(self):
        """Test-only: the first answer wins."""


def answering(answer, calls, name):
    def hearthside_pick():
        calls.append(name)
        return answer
    return types.SimpleNamespace(hearthside_pick=hookimpl(hearthside_pick))


def test_a_firstresult_hook_stops_at_the_first_answer():
    calls = []
    plugins = PluginManager()
    plugins.pm.add_hookspecs(FirstResultSpecs)
    plugins.load([Candidate("none", "1", lambda: answering(None, calls, "none")),
                  Candidate("one", "1", lambda: answering(1, calls, "one")),
                  Candidate("two", "1", lambda: answering(2, calls, "two"))])
    assert plugins.call("hearthside_pick") == [1]
    assert calls == ["none", "one"]


@pytest.mark.parametrize("option", ["hookwrapper", "wrapper"])
def test_a_wrapper_is_refused_at_load_naming_plugin_hook_and_option(caplog, option):
    def hearthside_startup(hs):
        yield

    wrapping = types.SimpleNamespace(hearthside_startup=hookimpl(**{option: True})(hearthside_startup))
    calls = []
    plugins = PluginManager()
    plugins.load([Candidate("wrapping", "1", lambda: wrapping), Candidate("plain", "1", lambda: ordered(calls, "plain"))])
    report = state(plugins, "wrapping")
    assert report["state"] == "failed"
    assert f"implements hearthside_startup with hookimpl({option}=True), which Hearthside cannot honour" \
        in report["error"]
    assert plugins.loaded() == ["plain"]
    assert plugins.call("hearthside_startup", hs=None) == [] and calls == ["plain"]  # no generator counted


def test_a_built_in_with_a_wrapper_stops_the_start():
    def hearthside_startup(hs):
        yield

    wrapping = types.SimpleNamespace(hearthside_startup=hookimpl(hookwrapper=True)(hearthside_startup))
    with pytest.raises(BuiltinPluginFailed, match="hookwrapper"):
        PluginManager().load([Candidate("rituals", "1", lambda: wrapping, True)])
