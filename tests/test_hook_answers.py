"""One policy for a bad hook answer: the plugin is failed, with a reason naming the hook and the field.

Every hook whose answer the core reads is checked against the type its spec
declares (``hearthside.hook_types``); the plugin API 1.x dicts are still
taken, converted, with a deprecation note.
"""

from __future__ import annotations

import inspect
import types
from datetime import datetime, timedelta, timezone

import pytest
from flask import Blueprint

from hearthside import hook_types, hookspecs
from hearthside.app import create_app
from hearthside.backups import backup_files
from hearthside.consent import Scope
from hearthside.hook_types import CalendarEntry, DashboardCard, FeedLine, NavItem
from hearthside.hookspecs import hookimpl
from hearthside.member_data import export
from hearthside.plugin_manager import BuiltinPluginFailed
from hearthside.scheduler import ScheduledJob, Scheduler
from hearthside.testing import onboard_couple
from tests.test_cli import installed_plugin, run  # noqa: F401  (fixtures shared with the CLI tests)
from tests.test_plugin_versions import serve_until_healthy

SPECS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("hearthside_")}
IGNORED = {name for name, fn in SPECS.items() if inspect.signature(fn).return_annotation == "None"}
CHECKED_AT_LOAD = {"hearthside_event_types"}  # each type is checked as it is declared (test_typed_hooks.py)
ENTRY = CalendarEntry("planner", "k-1", "planned", "Time together", datetime(2030, 1, 1, 19, tzinfo=timezone.utc))


@pytest.fixture
def hearthside_discover_installed() -> bool:
    return False  # the core and each test's own plugins


def answering(hook: str, answer) -> types.ModuleType:
    """A plugin module whose one hook answers ``answer``."""
    module = types.ModuleType("answering")
    module.HEARTHSIDE_API = ">=1.0,<2"
    setattr(module, hook, hookimpl(lambda: answer, specname=hook))
    return module


def row(hs, name: str) -> dict:
    return {row["name"]: row for row in hs.plugins.report()}[name]


def assert_failed_and_degraded(app, reason: str) -> None:
    hs = app.extensions["hearthside"]
    assert row(hs, "odd")["state"] == "failed" and row(hs, "odd")["error"] == f"gave a bad answer: {reason}"
    health = app.test_client().get("/api/v1/health").json
    assert health["status"] == "degraded" and health["failed_plugins"] == ["odd"]


# -- the contract itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hookspec_declares_its_types_and_each_answer_read_is_checked(name):
    signature = inspect.signature(SPECS[name])
    assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()), name
    assert signature.return_annotation is not inspect.Signature.empty, name
    assert (name in hook_types.CHECKS) == (name not in IGNORED | CHECKED_AT_LOAD), name


def test_a_card_is_sent_to_the_wall_in_the_shape_cards_always_had():
    card = DashboardCard("today", "Rituals", text="Next: tea", value=2, lines=(FeedLine("18:30", "Walk"),),
                         facts={"reviewed_together": 3})
    assert card.as_json() == {"id": "today", "title": "Rituals", "body": {
        "text": "Next: tea", "value": 2, "items": [{"label": "18:30", "value": "Walk"}], "reviewed_together": 3}}
    assert DashboardCard("x", "Quiet", text="Nothing").as_json()["body"] == {"text": "Nothing"}


def test_a_calendar_entry_checks_itself_and_reads_like_the_1x_dict():
    assert dict(ENTRY) == {"source": "planner", "key": "k-1", "status": "planned", "title": "Time together",
                           "start": "2030-01-01T19:00:00+00:00", "duration_minutes": 60, "participants": []}
    assert CalendarEntry.from_dict(dict(ENTRY)) == ENTRY
    with pytest.raises(ValueError, match="CalendarEntry whose 'status' is not one of planned, cancelled, done"):
        CalendarEntry("planner", "k", "maybe", "T", ENTRY.start)
    with pytest.raises(ValueError, match="CalendarEntry whose 'start' is not an aware datetime"):
        CalendarEntry("planner", "k", "done", "T", datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="CalendarEntry without 'title'"):
        CalendarEntry.from_dict({**dict(ENTRY), "title": "  "})


# -- each hook's bad answer fails the plugin, naming the hook and the field ------------------------------

START_HOOKS = [
    ("hearthside_config_schema", ["greeting"], "hearthside_config_schema returned list, not a dict"),
    ("hearthside_config_schema", {"greeting": "hello"},
     "hearthside_config_schema returned a schema whose 'greeting' is a str, not a Setting"),
    ("hearthside_migrations", [], "hearthside_migrations returned list, not a Migrations set"),
    ("hearthside_blueprints", Blueprint("odd", __name__), "hearthside_blueprints returned Blueprint, not a list"),
    ("hearthside_blueprints", ["odd"], "hearthside_blueprints returned a str, not a Blueprint"),
    ("hearthside_consent_scopes", [Scope("odd.share", "Share", who="anyone")],
     "hearthside_consent_scopes returned a Scope whose 'who' is 'anyone', not one of 'all', 'author'"),
    ("hearthside_consent_scopes", ["odd.share"], "hearthside_consent_scopes returned a str, not a Scope"),
    ("hearthside_event_types", "odd.happened", "hearthside_event_types returned str, not a list"),
]


@pytest.mark.parametrize("hook, answer, reason", START_HOOKS)
def test_a_bad_answer_at_start_fails_the_plugin_and_the_server_says_degraded(make_app, hook, answer, reason):
    app = make_app(extra_plugins={"odd": answering(hook, answer)})
    assert_failed_and_degraded(app, reason)


NAV_ITEMS = [
    ([NavItem("", "pages.home")], "hearthside_nav_items returned a NavItem without 'label'"),
    ([NavItem("Odd", "pages.home", order="1")], "hearthside_nav_items returned a NavItem whose 'order' is str, not int"),
    ([{"endpoint": "pages.home"}], "hearthside_nav_items returned a NavItem without 'label'"),
    ([{"label": "Odd", "endpoint": "pages.home", "icon": "x"}],
     "hearthside_nav_items returned a NavItem with the unknown field 'icon'"),
    ({"label": "Odd"}, "hearthside_nav_items returned dict, not a list"),
    (["Odd"], "hearthside_nav_items returned a str, not a NavItem"),
]


@pytest.mark.parametrize("answer, reason", NAV_ITEMS)
def test_a_bad_nav_item_fails_the_plugin_and_the_page_still_renders(make_app, answer, reason):
    app = make_app(extra_plugins={"odd": answering("hearthside_nav_items", answer)})
    ann, _bob = onboard_couple(app.test_client())
    page = ann.get("/")
    assert page.status_code == 200 and "Odd" not in page.get_data(as_text=True)
    assert_failed_and_degraded(app, reason)


CARDS = [
    ([DashboardCard("", "Odd")], "hearthside_dashboard_cards returned a DashboardCard without 'id'"),
    ([DashboardCard("c", "Odd", value={"n": 1})],
     "hearthside_dashboard_cards returned a DashboardCard whose 'value' is dict, not str or int or float or bool "
     "or NoneType"),
    ([DashboardCard("c", "Odd", lines=("18:30",))],
     "hearthside_dashboard_cards returned a DashboardCard whose 'lines' hold a str, not a FeedLine"),
    ([DashboardCard("c", "Odd", lines=(FeedLine(""),))], "hearthside_dashboard_cards returned a FeedLine without 'label'"),
    ([DashboardCard("c", "Odd", facts={"who": ["ann"]})],
     "hearthside_dashboard_cards returned a DashboardCard whose fact 'who' is not a name with a number or text"),
    ([{"title": "Odd", "body": {}}], "hearthside_dashboard_cards returned a DashboardCard without 'id'"),
    ([{"id": "c", "title": "Odd", "body": ["x"]}],
     "hearthside_dashboard_cards returned a DashboardCard whose 'body' is list, not a dict"),
    ([{"id": "c", "title": "Odd", "body": {"nested": {"a": 1}}}],
     "hearthside_dashboard_cards returned a DashboardCard whose fact 'nested' is not a name with a number or text"),
]


@pytest.mark.parametrize("answer, reason", CARDS)
def test_a_bad_card_fails_the_plugin_and_the_wall_still_answers(make_app, answer, reason):
    app = make_app(extra_plugins={"odd": answering("hearthside_dashboard_cards", answer)})
    ann, _bob = onboard_couple(app.test_client())
    answer = ann.get("/api/v1/dashboard")
    assert answer.status_code == 200 and answer.json["cards"] == []
    assert_failed_and_degraded(app, reason)


def read_jobs(hs, member_id):
    return Scheduler.jobs_of(hs)


def read_backup_files(hs, member_id):
    return backup_files(hs)


def read_export(hs, member_id):
    with hs.storage.connection() as db:
        return export(hs, db, member_id)


def read_calendar(hs, member_id):
    with hs.storage.connection() as db, db.atomic():
        return hs.plugins.answers("hearthside_calendar_entry", hs=hs, db=db, couple_id=1, entry=ENTRY)


LATER_HOOKS = [
    ("hearthside_scheduled_jobs", ScheduledJob("odd.job", lambda hs: None, every=timedelta(hours=1)), read_jobs,
     "hearthside_scheduled_jobs returned ScheduledJob, not a list"),
    ("hearthside_scheduled_jobs", [ScheduledJob("", lambda hs: None, every=timedelta(hours=1))], read_jobs,
     "hearthside_scheduled_jobs returned a ScheduledJob without 'id'"),
    ("hearthside_backup_files", "odd.key", read_backup_files, "hearthside_backup_files returned str, not a list"),
    ("hearthside_backup_files", [7], read_backup_files, "hearthside_backup_files returned an int, not a str"),
    ("hearthside_export", ["a note"], read_export, "hearthside_export returned list, not a dict"),
    ("hearthside_calendar_entry", "yes", read_calendar, "hearthside_calendar_entry returned str, not True or None"),
]


@pytest.mark.parametrize("hook, answer, read, reason", LATER_HOOKS)
def test_a_bad_answer_while_serving_fails_the_plugin(make_app, hook, answer, read, reason):
    app = make_app(extra_plugins={"odd": answering(hook, answer)})
    hs = app.extensions["hearthside"]
    ann, _bob = onboard_couple(app.test_client())
    read(hs, ann.id)  # the reader goes on without the plugin's answer
    assert_failed_and_degraded(app, reason)


def test_an_export_says_it_is_incomplete_when_a_plugin_answered_nonsense(make_app):
    app = make_app(extra_plugins={"odd": answering("hearthside_export", ["a note"])})
    hs = app.extensions["hearthside"]
    ann, _bob = onboard_couple(app.test_client())
    exported = read_export(hs, ann.id)
    assert "odd" not in exported.get("plugins", {}) and exported["incomplete"] == ["odd"]


# -- plugin API 1.x dicts: taken, converted, with one deprecation note -----------------------------------


class OldStyle:
    """A plugin written for plugin API 1.2: its menu entry and card are dicts."""

    HEARTHSIDE_API = ">=1.0,<2"

    @hookimpl
    def hearthside_consent_scopes(self, hs):
        return [Scope("dashboard.old", "Show the old plugin's card on the wall.")]

    @hookimpl
    def hearthside_nav_items(self, hs, member):
        return [{"label": "Old style", "endpoint": "pages.consent", "order": 99}]

    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        return [{"id": "old", "title": "Old", "body": {"text": "Still here", "items": ["one", {"label": "two",
                                                                                              "value": 2}],
                                                       "count": 3}}]


def test_a_1x_plugin_answering_dicts_keeps_working_with_one_deprecation_note(make_app):
    app = make_app(extra_plugins={"old": OldStyle()})
    hs = app.extensions["hearthside"]
    ann, bob = onboard_couple(app.test_client())
    for member in (ann, bob):
        assert member.put("/api/v1/consents/dashboard.old", json={"granted": True}).status_code == 200
    assert "Old style" in ann.get("/").get_data(as_text=True)
    ann.get("/consent")  # read again: still one note per hook
    cards = ann.get("/api/v1/dashboard").json["cards"]
    assert cards == [{"id": "old", "title": "Old", "plugin": "old", "body": {
        "text": "Still here", "items": [{"label": "one", "value": None}, {"label": "two", "value": 2}], "count": 3}}]
    report = row(hs, "old")
    assert report["state"] == "loaded"
    assert report["notes"] == [
        "returns hearthside_nav_items as dicts, deprecated since plugin API 1.3 and refused from 2.0: "
        "return NavItem(...) from hearthside.plugin_api instead (docs/hooks.md)",
        "returns hearthside_dashboard_cards as dicts, deprecated since plugin API 1.3 and refused from 2.0: "
        "return DashboardCard(...) from hearthside.plugin_api instead (docs/hooks.md)"]


def test_a_nav_item_whose_endpoint_does_not_exist_is_left_out_with_a_note(make_app):
    app = make_app(extra_plugins={"odd": answering("hearthside_nav_items", [NavItem("Nowhere", "odd.nowhere"),
                                                                            NavItem("Odd", "pages.consent")])})
    ann, _bob = onboard_couple(app.test_client())
    html = ann.get("/").get_data(as_text=True)
    assert "Nowhere" not in html and "Odd" in html
    report = row(app.extensions["hearthside"], "odd")
    assert report["state"] == "loaded" and report["notes"] == [
        "hearthside_nav_items returned a NavItem whose 'endpoint' 'odd.nowhere' does not exist; it is not shown"]


# -- a built-in answering nonsense stops the start, like one that raises ---------------------------------


def test_a_built_in_answering_nonsense_at_start_stops_the_start_naming_the_hook_and_field(data_dir):
    fragile = answering("hearthside_consent_scopes", [Scope("fragile.x", "X", who="nobody")])
    fragile.__name__ = "hearthside.plugins.fragile"
    with pytest.raises(BuiltinPluginFailed) as failed:
        create_app(flags={"data_dir": str(data_dir)}, extra_plugins={"fragile": fragile}, discover_installed=False)
    assert str(failed.value) == ("the built-in plugin 'fragile' gave a bad answer: hearthside_consent_scopes returned "
                                 "a Scope whose 'who' is 'nobody', not one of 'all', 'author'")


# -- `hearthside plugins` shows it -----------------------------------------------------------------------

ODD_SCHEMA = """
    from hearthside.plugin_api import hookimpl

    HEARTHSIDE_API = ">=1.0,<2"

    @hookimpl
    def hearthside_config_schema():
        return {"greeting": "hello"}
"""


def test_hearthside_plugins_shows_a_bad_answer_naming_the_hook_and_the_field(run, installed_plugin):
    done = run("plugins", env=installed_plugin("odd", ODD_SCHEMA))
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("odd ")]
    assert line.split()[1:4] == ["1.2.3", "yes", "failed:"]
    assert line.endswith("failed: gave a bad answer: hearthside_config_schema returned a schema whose 'greeting' is "
                         "a str, not a Setting")


ODD_SCOPES = """
    from hearthside.plugin_api import hookimpl

    HEARTHSIDE_API = ">=1.0,<2"

    @hookimpl
    def hearthside_consent_scopes(hs):
        return ["odd.share"]
"""


def test_a_real_server_with_a_plugin_answering_nonsense_serves_degraded_and_logs_why(tmp_path, installed_plugin):
    health, log = serve_until_healthy(tmp_path, installed_plugin("odd", ODD_SCOPES))
    assert health["status"] == "degraded" and health["failed_plugins"] == ["odd"]
    assert "Plugin 'odd' gave a bad answer: hearthside_consent_scopes returned a str, not a Scope" in log


def test_a_well_formed_answer_comes_back_as_it_was_given(make_app):
    app = make_app(extra_plugins={"odd": answering("hearthside_calendar_entry", True)})
    assert read_calendar(app.extensions["hearthside"], member_id=None) == [("odd", True)]
    assert row(app.extensions["hearthside"], "odd")["state"] == "loaded"
