"""A busy or full database is a moment, not a broken plugin (issue 16, item 2).

Any exception used to switch a plugin off until the next restart: one
"database is locked" in an event hook and, from then on, a pause no longer
ended a touch session and exports silently left the plugin out. Now a
transient error skips that one call and the plugin stays on; an export says
which parts are missing; a built-in's transient error is the caller's 503.
"""

from __future__ import annotations

import sqlite3

from hearthside.hookspecs import hookimpl
from hearthside.testing import onboard_couple
from tests.support.broken_builtin import raising_builtin


class Flaky:
    """A third-party plugin whose hooks fail with ``error`` the first ``times`` calls."""

    HEARTHSIDE_API = ">=1.0,<2"

    def __init__(self, error: Exception, times: int = 1, name: str = "hearthside_flaky"):
        self.__name__ = name
        self.error, self.left = error, times
        self.events: list[str] = []

    def _maybe_fail(self):
        if self.left:
            self.left -= 1
            raise self.error

    @hookimpl
    def hearthside_export(self, hs, db, member_id):
        self._maybe_fail()
        return {"notes": ["kept by the add-on"]}

    @hookimpl
    def hearthside_event(self, hs, db, event):
        self._maybe_fail()
        self.events.append(event.type)


def locked() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("database is locked")


def test_an_export_during_a_busy_moment_says_what_is_missing_and_the_plugin_stays_on(make_app):
    flaky = Flaky(locked(), times=1)
    app = make_app(extra_plugins={"flaky": flaky})
    ann, _bob = onboard_couple(app.test_client())
    flaky.left = 1  # onboarding's events went through; the next call fails
    first = ann.get("/api/v1/me/export")
    assert first.status_code == 200 and first.json["incomplete"] == ["flaky"] and "flaky" not in first.json["plugins"]
    hs = app.extensions["hearthside"]
    assert hs.plugins.plugins["flaky"].state == "loaded"
    assert app.test_client().get("/api/v1/health").json["status"] == "ok"
    second = ann.get("/api/v1/me/export")
    assert second.json["incomplete"] == [] and second.json["plugins"]["flaky"] == {"notes": ["kept by the add-on"]}


def test_a_full_disk_in_an_event_hook_does_not_switch_the_plugin_off(make_app):
    full = sqlite3.OperationalError("database or disk is full")
    flaky = Flaky(full, times=0)
    app = make_app(extra_plugins={"flaky": flaky})
    ann, _bob = onboard_couple(app.test_client())
    flaky.left = 1
    assert ann.post("/api/v1/pause").status_code == 200  # the change itself was saved
    assert ann.delete("/api/v1/pause").status_code == 200
    assert app.extensions["hearthside"].plugins.plugins["flaky"].state == "loaded"
    assert flaky.events[-1] == "pause.ended"  # the next event reached it


def test_a_plugin_that_really_failed_is_named_in_every_export_until_restart(make_app):
    flaky = Flaky(ValueError("a bug"), times=0)
    app = make_app(extra_plugins={"flaky": flaky})
    ann, _bob = onboard_couple(app.test_client())
    flaky.left = 1
    assert ann.get("/api/v1/me/export").json["incomplete"] == ["flaky"]
    assert app.extensions["hearthside"].plugins.plugins["flaky"].state == "failed"
    assert ann.get("/api/v1/me/export").json["incomplete"] == ["flaky"]  # still missing, still said
    assert app.test_client().get("/api/v1/health").json == {**app.test_client().get("/api/v1/health").json,
                                                            "status": "degraded", "failed_plugins": ["flaky"]}


def test_a_built_in_meeting_a_busy_database_is_a_503_for_its_caller_and_stays_loaded(make_app):
    app = make_app(extra_plugins={"busy": raising_builtin("hearthside_dashboard_cards", locked(), name="busy")})
    ann, _bob = onboard_couple(app.test_client())
    answer = ann.get("/api/v1/dashboard")
    assert answer.status_code == 503 and answer.json["error"]["code"] == "busy"
    assert app.extensions["hearthside"].plugins.plugins["busy"].state == "loaded"
