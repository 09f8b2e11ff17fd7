"""Domain code says no with a domain error; the core alone turns it into an HTTP answer.

The functions behind the views also run from scheduled jobs, hooks and the
command line, where there is no request to answer: so they raise
``NotFound``, ``Conflict``, ``Forbidden``, ``Invalid``, ``ConsentRequired`` or
``Unavailable`` (plain exceptions) and never import Flask or ``api_error``.
One handler in ``hearthside.errors`` answers them with the JSON error shape.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from typing import Literal

import pytest
from flask import Blueprint, has_app_context

from hearthside import plugin_api
from hearthside.hookspecs import hookimpl
from hearthside.plugin_api import (
    Body, Conflict, ConsentRequired, DomainError, Forbidden, Invalid, NotFound, Scope, Unavailable, one_row, row_or_none,
)
from hearthside.plugins.transparency import model as transparency_log
from hearthside.validation import convert
from hearthside.testing import FakeClock, SchedulerDriver, onboard_couple

ROOT = Path(__file__).resolve().parent.parent
BUILT_IN_PLUGINS = ROOT / "plugins"
VIEW_MODULES = {"api.py", "pages.py", "__init__.py"}
# The core's own domain modules: called by views, jobs, hooks and the command line alike.
CORE_DOMAIN_MODULES = ["accounts.py", "consent.py", "devices.py", "pause.py", "storage.py"]
HTTP_NAMES = {"api_error", "APIError"}


def http_imports(source: str) -> list[str]:
    """What a module's source imports of HTTP: flask or werkzeug, or ``api_error``/``APIError``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] in ("flask", "werkzeug")]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in ("flask", "werkzeug"):
                found.append(node.module)
            found += [alias.name for alias in node.names if alias.name in HTTP_NAMES]
        elif isinstance(node, ast.Attribute) and node.attr in HTTP_NAMES:
            found.append(node.attr)
    return found


def domain_modules() -> list[Path]:
    """Every module of every built-in plugin except its views, its package file and its tests."""
    modules = []
    for plugin in sorted(path for path in BUILT_IN_PLUGINS.iterdir() if (path / "__init__.py").is_file()):
        modules += [path for path in sorted(plugin.rglob("*.py"))
                    if path.name not in VIEW_MODULES and "tests" not in path.relative_to(plugin).parts]
    return modules


def test_the_layout_check_sees_every_way_of_importing_http():
    assert http_imports("from flask import request") == ["flask"]
    assert http_imports("import flask.json") == ["flask.json"]
    assert http_imports("from werkzeug.exceptions import NotFound") == ["werkzeug.exceptions"]
    assert http_imports("from hearthside.plugin_api import emit, api_error") == ["api_error"]
    assert http_imports("from hearthside.errors import APIError") == ["APIError"]
    assert http_imports("from hearthside import plugin_api\nplugin_api.api_error(404, 'x', 'y')") == ["api_error"]
    assert http_imports("from hearthside.plugin_api import NotFound, emit") == []


def test_no_plugin_domain_module_imports_flask_or_api_error():
    modules = domain_modules()
    assert len(modules) > 30  # every plugin's modules, not none
    offenders = {str(path.relative_to(ROOT)): found for path in modules
                 if (found := http_imports(path.read_text(encoding="utf-8")))}
    assert offenders == {}, "domain modules raise hearthside.plugin_api's domain errors; only views use api_error"


def sql_in(source: str) -> list[str]:
    """The SQL a module runs itself: ``db.query``/``db.execute`` calls and ``db["table"]`` lookups."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("query", "execute", "executemany"):
            found.append(f"line {node.lineno}: .{node.func.attr}(...)")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "db":
            found.append(f"line {node.lineno}: db[...]")
    return found


def test_the_sql_check_sees_queries_and_tables():
    assert sql_in("db.query('SELECT 1')") == ["line 1: .query(...)"]
    assert sql_in("get_db().execute('DELETE FROM t')") == ["line 1: .execute(...)"]
    assert sql_in("db['t'].insert({})") == ["line 1: db[...]"]
    assert sql_in("store.propose(hs, db, 1, 2, 'x', 'hide')") == []


def test_plugin_views_leave_sql_to_their_domain_modules():
    views = [path for path in sorted(BUILT_IN_PLUGINS.glob("*/*.py")) if path.name in ("api.py", "pages.py")]
    assert len(views) == 8
    offenders = {str(path.relative_to(ROOT)): found for path in views if (found := sql_in(path.read_text("utf-8")))}
    assert offenders == {}, "a view calls the domain module that owns the tables; it runs no SQL itself"


@pytest.mark.parametrize("name", CORE_DOMAIN_MODULES)
def test_the_cores_domain_modules_raise_domain_errors_too(name):
    assert http_imports((ROOT / "core" / name).read_text(encoding="utf-8")) == []


# -- the one handler -----------------------------------------------------------------------------

RAISED = {
    "not_found": (NotFound("thing_not_found", "There is no thing with that id."), 404),
    "conflict": (Conflict("already_done", "That was done already."), 409),
    "forbidden": (Forbidden("not_a_participant", "Only the participants may do this."), 403),
    "invalid": (Invalid("invalid_field", "'title' must be text.", field="title"), 400),
    "consent": (ConsentRequired("This needs the consent \"Show it\" (raiser.show)."), 403),
    "unavailable": (Unavailable("key_unavailable", "The key is missing."), 503),
}


class Raiser:
    """A plugin whose views, wall cards and scheduled job raise domain errors."""

    HEARTHSIDE_API = ">=1.0,<2"

    def __init__(self):
        self.api = Blueprint("raiser", __name__, url_prefix="/api/v1/raiser")
        self.api.get("/<kind>")(self.raise_one)

    @staticmethod
    def raise_one(kind):
        raise RAISED[kind][0]

    @hookimpl
    def hearthside_blueprints(self, hs):
        return [self.api]

    @hookimpl
    def hearthside_consent_scopes(self, hs):
        return [Scope("dashboard.raiser", "Show the raiser's card on the wall.")]

    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        raise Conflict("card_conflict", "No card today.")

    @hookimpl
    def hearthside_scheduled_jobs(self, hs):
        def job(hs):
            raise NotFound("job_thing_not_found", "A job looked for something that is gone.")

        return [plugin_api.ScheduledJob(id="raiser.job", func=job, trigger=_daily())]


def _daily():
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger(hour=3)


@pytest.fixture
def raiser_app(make_app):
    return make_app(extra_plugins={"raiser": Raiser()})


@pytest.mark.parametrize("kind", sorted(RAISED))
def test_the_core_answers_each_domain_error_with_its_status_code_and_message(raiser_app, kind):
    raised, status = RAISED[kind]
    answer = raiser_app.test_client().get(f"/api/v1/raiser/{kind}")
    assert answer.status_code == status == raised.status
    assert answer.json == {"error": {"code": raised.code, "message": raised.message}}


def test_consent_required_is_the_forbidden_consent_answer():
    refused = ConsentRequired("It is off right now.")
    assert isinstance(refused, Forbidden) and isinstance(refused, DomainError)
    assert (refused.status, refused.code, refused.message) == (403, "consent_required", "It is off right now.")


class Kind(Body):
    kind: Literal["date", "checkin"]


def test_invalid_names_the_field_at_fault():
    assert Invalid("invalid_field", "'title' must be text.", field="title").field == "title"
    assert Invalid("invalid_field", "Send a title.").field is None
    with pytest.raises(Invalid) as raised:  # a declared model refuses a field with it, in a request or not
        convert(Kind, {"kind": "dance"})
    assert (raised.value.code, raised.value.field) == ("invalid_field", "kind")


def test_existing_answers_keep_their_status_code_and_message(client, couple):
    ann, _bob = couple
    missing = ann.get("/api/v1/transparency/entries/999999")
    assert missing.status_code == 404
    assert missing.json == {"error": {"code": "entry_not_found", "message": "There is no entry with that id in your log."}}
    ladder = ann.post("/api/v1/touch/step-back", json={})
    assert ladder.status_code == 409 and ladder.json["error"]["code"] == "first_phase"


# -- outside a request a domain error is just an exception -----------------------------------------


def test_a_domain_function_raises_a_plain_exception_outside_any_request(raiser_app):
    hs = raiser_app.extensions["hearthside"]
    assert not has_app_context()
    with hs.storage.connection() as db, pytest.raises(NotFound) as raised:
        transparency_log.find(db, 1, 999999)
    assert (raised.value.status, raised.value.code) == (404, "entry_not_found")
    assert not hasattr(raised.value, "get_response")  # nothing of HTTP to answer with


def test_a_domain_error_from_a_scheduled_job_is_a_failed_job_not_an_answer(raiser_app, caplog):
    hs = raiser_app.extensions["hearthside"]
    driver = SchedulerDriver(hs, FakeClock())
    with caplog.at_level(logging.DEBUG, logger="hearthside.scheduler"):
        driver.run("raiser.job")
    failed = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(failed) == 1 and "Scheduled job raiser.job failed" in failed[0].getMessage()
    assert "NotFound at" in failed[0].getMessage()
    assert driver.scheduler.last_run("raiser.job") is not None  # recorded like any failed run


def test_a_domain_error_from_an_add_ons_hook_isolates_it_like_any_exception(raiser_app):
    ann, bob = onboard_couple(raiser_app.test_client())
    for member in (ann, bob):
        member.grant("dashboard.raiser")
    answer = ann.get("/api/v1/dashboard")
    assert answer.status_code == 200 and answer.json["cards"] == []  # not a 409 for the dashboard
    assert raiser_app.extensions["hearthside"].plugins.plugins["raiser"].state == "failed"


# -- one row, or none ----------------------------------------------------------------------------


def test_row_or_none_and_one_row(raiser_app):
    hs = raiser_app.extensions["hearthside"]
    missing = NotFound("member_not_found", "There is no such member.")
    with hs.storage.connection() as db:
        db.execute("CREATE TEMP TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO things (id, name) VALUES (1, 'one'), (2, 'two')")
        assert row_or_none(db, "SELECT * FROM things WHERE id = ?", [2]) == {"id": 2, "name": "two"}
        assert row_or_none(db, "SELECT * FROM things WHERE id = ?", [3]) is None
        assert one_row(db, "SELECT name FROM things WHERE id = ?", [1], missing) == {"name": "one"}
        with pytest.raises(NotFound) as raised:
            one_row(db, "SELECT * FROM things WHERE id = ?", [3], missing)
    assert raised.value is missing
