"""Start-up tells the truth: a broken core or built-in plugin stops the start; an add-on is isolated.

Isolation exists so a third-party plugin cannot take the server down. It
must never hide a broken core: a wheel once left out ``hearthside.web.api``,
the core's blueprint hook raised, isolation swallowed it, and the server said
"ready" while answering 404 to everything.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from hearthside.app import create_app
from hearthside.hookspecs import hookimpl
from hearthside.plugin_manager import BuiltinPluginFailed, Candidate, PluginManager
from hearthside.testing import PASSWORD, free_port, onboard_couple
from tests.conftest import REPO_ROOT, ServerProcess
from tests.support.broken_builtin import raising_builtin
from tests.support.fresh_install import user_env

START_UP_HOOKS = ["hearthside_config_schema", "hearthside_migrations", "hearthside_blueprints",
                  "hearthside_consent_scopes", "hearthside_startup"]


@pytest.mark.parametrize("hook_name", START_UP_HOOKS)
def test_a_built_in_raising_in_a_start_up_hook_stops_the_start_naming_it(data_dir, hook_name):
    with pytest.raises(BuiltinPluginFailed) as failed:
        create_app(flags={"data_dir": str(data_dir)}, extra_plugins={
                       "fragile": raising_builtin(hook_name, LookupError("a member's words could be in here"))},
                   discover_installed=False)
    message = str(failed.value)
    assert message.startswith(f"the built-in plugin 'fragile' raised in {hook_name}: LookupError at ")
    assert "a member's words" not in message
    assert failed.value.plugin == "fragile"


def test_a_built_in_that_cannot_be_imported_stops_the_start_but_is_listed_when_reporting():
    def cannot_import():
        raise ModuleNotFoundError("No module named 'hearthside.web.api'", name="hearthside.web.api")

    candidate = Candidate("matcher", "0.1.0", cannot_import, builtin=True)
    with pytest.raises(BuiltinPluginFailed, match=r"^the built-in plugin 'matcher' could not be loaded: "
                                                  r"ModuleNotFoundError: No module named 'hearthside.web.api'$"):
        PluginManager().load([candidate])
    reporting = PluginManager(strict_builtins=False)
    reporting.load([candidate])
    assert reporting.failed() == ["matcher"] and reporting.plugins["matcher"].state == "failed"


def test_a_built_in_raising_while_running_is_an_error_for_its_caller_not_a_silent_isolation(make_app):
    app = make_app(extra_plugins={"fragile": raising_builtin("hearthside_dashboard_cards", LookupError("private"))})
    hs = app.extensions["hearthside"]
    assert hs.plugins.plugins["fragile"].builtin
    client = app.test_client()
    ann, _bob = onboard_couple(client)
    answer = ann.get("/api/v1/dashboard")
    assert answer.status_code == 500 and answer.json["error"]["code"] == "internal_error"
    assert hs.plugins.plugins["fragile"].state == "loaded"  # not isolated: the bug stays visible
    assert client.get("/api/v1/health").json["status"] == "ok"


def broken_command(target: str, *arguments: str, timeout: float = 60,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The ``hearthside`` command with one built-in broken (tests/support/broken_builtin.py)."""
    return subprocess.run([sys.executable, "-m", "tests.support.broken_builtin", target, "--", *arguments],
                          capture_output=True, text=True, env=user_env(PYTHONPATH=str(REPO_ROOT), **(env or {})),
                          timeout=timeout, cwd=REPO_ROOT)


@pytest.mark.parametrize("target", ["core:hearthside_blueprints", "matcher:import", "rituals:hearthside_migrations"])
def test_serve_with_a_broken_built_in_exits_non_zero_with_one_plain_sentence(tmp_path, target):
    plugin, how = target.split(":")
    done = broken_command(target, "serve", "--host", "127.0.0.1", "--port", str(free_port()),
                          "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ready" not in (done.stdout + done.stderr).lower()
    [sentence] = [line for line in done.stderr.splitlines() if line.startswith("Cannot start:")]
    what = "the core" if plugin == "core" else f"the built-in plugin '{plugin}'"
    cause = "could not be loaded" if how == "import" else f"raised in {how}"
    assert sentence.startswith(f"Cannot start: {what} {cause}: ModuleNotFoundError")
    assert "No module named 'hearthside.web.missing_api'" in sentence
    assert "Traceback" not in done.stderr


def test_hearthside_plugins_lists_a_broken_built_in_as_failed_with_the_reason():
    done = broken_command("matcher:import", "plugins")
    assert done.returncode == 0, done.stderr
    [row] = [line for line in done.stdout.splitlines() if line.startswith("matcher ")]
    assert "failed: could not be loaded: ModuleNotFoundError" in row and "missing_api" in row


def test_the_admin_page_and_the_ready_line_say_which_add_on_failed(data_dir):
    server = ServerProcess(data_dir, plugins=["tests.support.failing_addon"])
    try:
        assert "Hearthside is ready, 1 plugin failed: failing_addon — see `hearthside plugins`." in server.output()
        browser = requests.Session()
        browser.headers["Connection"] = "close"  # an idle kept-alive one holds a stopping server 2 s
        health = browser.get(server.url + "/api/v1/health", timeout=5).json()
        assert health == {**health, "status": "degraded", "failed_plugins": ["failing_addon"]}
        assert "deliberately" not in browser.get(server.url + "/api/v1/health", timeout=5).text  # names only
        browser.post(server.url + "/api/v1/onboarding", timeout=10, json={
            "couple": {"name": "Home"}, "member": {"username": "ann", "password": PASSWORD,
                                                   "display_name": "Ann"}}).raise_for_status()
        browser.post(server.url + "/api/v1/auth/session", timeout=10,
                     json={"username": "ann", "password": PASSWORD}).raise_for_status()
        admin = browser.get(server.url + "/admin", timeout=10).text
        assert "1 plugin failed: failing_addon. The server runs without it" in admin
    finally:
        assert server.stop() == 0, server.output()


def test_a_backup_can_still_be_taken_with_a_broken_built_in(tmp_path, make_app, data_dir):
    """Before reinstalling a broken Hearthside, a user takes a backup: that must still work."""
    onboard_couple(make_app().test_client())
    done = broken_command("matcher:import", "backup", "--data-dir", str(data_dir), "--out", str(tmp_path / "b.db"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "b.db").stat().st_size > 0


def test_an_unexpected_error_logs_type_place_and_frames_but_never_its_message(make_app, caplog):
    """Exceptions in request handling can carry members' words; the log gets them only at debug level."""
    import logging

    class Leaky:
        HEARTHSIDE_API = ">=1.0,<2"

        @hookimpl
        def hearthside_dashboard_cards(self, hs, db, couple_id):
            raise ValueError("Bob's private answer: " + "ZEP" + "HYR")  # as data, not in the source line

    leaky = Leaky()
    leaky.__name__ = "hearthside.plugins.leaky"  # built in: not isolated, so the request's handler logs it
    app = make_app(extra_plugins={"leaky": leaky})
    ann, _bob = onboard_couple(app.test_client())
    caplog.set_level(logging.DEBUG)
    assert ann.get("/api/v1/dashboard").status_code == 500
    shown = "\n".join(record.getMessage() for record in caplog.records if record.levelno >= logging.INFO)
    assert "Unhandled error on GET /api/v1/dashboard" in shown and "ValueError at " in shown
    assert "ZEPHYR" not in shown and "Traceback (most recent call last)" in shown
    assert any("ZEPHYR" in record.getMessage() for record in caplog.records if record.levelno == logging.DEBUG)


def test_no_code_logs_an_exception_any_other_way():
    """``logger.exception`` writes the exception's message, which can carry members' words: log_exception only."""
    offenders = [f"{path.relative_to(REPO_ROOT)}:{number}"
                 for folder in ("core", "web", "plugins") for path in (REPO_ROOT / folder).rglob("*.py")
                 if "tests" not in path.parts
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if ".exception(" in line or "exc_info=True" in line]
    assert offenders == [], "use hearthside.errors.log_exception instead"
