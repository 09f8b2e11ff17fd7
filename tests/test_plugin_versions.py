"""The versioned plugin API: declared ranges, hook deprecation, the allow list,
safe mode and name clashes - in process, and as a user sees them in
``hearthside plugins``."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
import types
import warnings
from pathlib import Path

import pytest
import requests

import hearthside
from hearthside import PLUGIN_API_VERSION, plugin_api
from hearthside.api_version import ApiRange, HookDeprecationWarning, deprecated_hookspec
from hearthside.app import load_plugins_and_config
from hearthside.config import ConfigError
from hearthside.hookspecs import hookimpl
from hearthside.plugin_manager import Candidate, PluginManager, discover
from hearthside.testing import free_port, onboard_couple, sign_in_browser
from tests.conftest import ServerProcess
from tests.test_cli import installed_plugin, run, table  # noqa: F401  (fixtures shared with the CLI tests)

ROOT = Path(__file__).resolve().parent.parent
HOOKS_DOC = ROOT / "docs" / "hooks.md"
TUTORIAL = ROOT / "docs" / "plugins" / "tutorial.md"


class Recorder:
    """A plugin that notes every call of its one hook; declares ``api`` when given."""

    def __init__(self, api: str | None = None):
        self.calls = []
        if api is not None:
            self.HEARTHSIDE_API = api

    @hookimpl
    def hearthside_config_schema(self):
        self.calls.append("hearthside_config_schema")
        return {}


def rows(plugins) -> dict[str, dict]:
    return {row["name"]: row for row in plugins.report()}


def load(**kwargs):
    kwargs.setdefault("env", {})
    kwargs.setdefault("discover_installed", False)
    return load_plugins_and_config(**kwargs)


# -- the version and ranges --------------------------------------------------------------

def test_the_api_version_is_major_minor_and_exported_in_both_places():
    assert re.fullmatch(r"\d+\.\d+", PLUGIN_API_VERSION)
    assert hearthside.PLUGIN_API_VERSION == plugin_api.PLUGIN_API_VERSION == PLUGIN_API_VERSION
    assert "PLUGIN_API_VERSION" in plugin_api.__all__


@pytest.mark.parametrize("text, inside, outside", [
    (">=1.0,<2", ["1.0", "1.7", "1.99"], ["0.9", "2.0", "3.1"]),
    (">=1.2", ["1.2", "4.0"], ["1.1"]),
    ("~=1.2", ["1.2", "1.9"], ["1.1", "2.0"]),
    ("==1.*", ["1.0", "1.5"], ["2.0", "0.9"]),
    ("==1.0", ["1.0"], ["1.1"]),
    (">1.0, !=1.3, <=1.5", ["1.1", "1.5"], ["1.0", "1.3", "1.6"]),
])
def test_ranges_read_like_pip_requirements(text, inside, outside):
    api_range = ApiRange(text)
    assert [version for version in inside if version in api_range] == inside
    assert [version for version in outside if version in api_range] == []


@pytest.mark.parametrize("text, inside, outside", [
    (">=1.0,<2.0a0", ["1.0", "1.9"], ["2.0", "0.9"]),  # a pre-release bound, as pip reads it
    ("~=1.2.3", ["1.2.3", "1.2.9"], ["1.2.2", "1.3"]),
    ("===1.1", ["1.1"], ["1.1.0", "1.2"]),  # arbitrary equality: the very string
])
def test_ranges_are_pep_440_specifiers_read_by_packaging(text, inside, outside):
    api_range = ApiRange(text)
    assert [version for version in inside if version in api_range] == inside
    assert [version for version in outside if version in api_range] == []


@pytest.mark.parametrize("text", ["", "1.0", "=>1.0", ">=one", "~=1", ">=1.*", ">=1.0;<2", None, 1.0])
def test_an_unreadable_range_is_a_clear_error(text):
    with pytest.raises(ValueError, match="version range|~=|'\\.\\*'"):
        ApiRange(text)


# -- a plugin's declared range --------------------------------------------------------------

def test_a_plugin_made_for_a_newer_api_is_refused_with_both_versions(caplog):
    future = Recorder(api=">=2.0,<3")
    with caplog.at_level(logging.ERROR, logger="hearthside.plugin_manager"):
        _config, plugins = load(extra_plugins={"future": future})
    row = rows(plugins)["future"]
    assert (row["state"], row["enabled"], row["api"]) == ("failed", True, ">=2.0,<3")
    assert f"supports plugin API >=2.0,<3 but this Hearthside provides plugin API {PLUGIN_API_VERSION}" in row["error"]
    assert "future" not in plugins.loaded()
    assert future.calls == []  # never registered: none of its hooks ran
    logged = [record.getMessage() for record in caplog.records]
    assert any("'future'" in line and ">=2.0,<3" in line and PLUGIN_API_VERSION in line for line in logged)


def test_a_plugin_whose_range_holds_this_api_loads_without_a_warning():
    current = Recorder(api=f">={PLUGIN_API_VERSION},<{int(PLUGIN_API_VERSION.split('.')[0]) + 1}")
    _config, plugins = load(extra_plugins={"current": current})
    row = rows(plugins)["current"]
    assert (row["state"], row["notes"]) == ("loaded", [])
    assert current.calls == ["hearthside_config_schema"]


def test_a_plugin_that_declares_nothing_loads_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="hearthside.plugin_manager"):
        _config, plugins = load(extra_plugins={"quiet": Recorder()})
    row = rows(plugins)["quiet"]
    assert row["state"] == "loaded" and row["api"] is None
    assert row["notes"] == ['declares no supported plugin API range: add HEARTHSIDE_API = ">=1.0,<2" '
                            '(or the range it was written for) to its module; loaded as if it did']
    assert any("'quiet' declares no supported plugin API range" in r.getMessage() for r in caplog.records)


def test_after_a_major_bump_a_plugin_that_declares_nothing_is_refused():
    plugins = PluginManager(api_version="2.0")
    plugins.register("quiet", Recorder())
    row = rows(plugins)["quiet"]
    assert row["state"] == "failed"
    assert "declares no supported plugin API range" in row["error"] and "plugin API 2.0" in row["error"]


def test_an_unreadable_declared_range_fails_the_plugin_with_the_value():
    _config, plugins = load(extra_plugins={"typo": Recorder(api="1.0+")})
    row = rows(plugins)["typo"]
    assert row["state"] == "failed"
    assert row["error"].startswith("declares HEARTHSIDE_API = '1.0+', which cannot be read")


def test_every_built_in_the_scaffold_and_the_example_declare_a_range_holding_this_api():
    built_ins = [candidate for candidate in discover() if candidate.builtin and candidate.name != "core"]
    assert {candidate.name for candidate in built_ins} >= {"rituals", "transparency", "matcher", "touch"}
    for candidate in built_ins:
        declared = getattr(candidate.load(), "HEARTHSIDE_API", None)
        assert declared and PLUGIN_API_VERSION in ApiRange(declared), candidate.name
    for path in [ROOT / "core" / "scaffold" / "package" / "__init__.py.tmpl",
                 ROOT / "examples" / "gratitude-jar" / "hearthside_gratitude_jar" / "__init__.py"]:
        match = re.search(r'^HEARTHSIDE_API = "([^"]+)"', path.read_text(encoding="utf-8"), re.MULTILINE)
        assert match and PLUGIN_API_VERSION in ApiRange(match.group(1)), path


# -- hook deprecation ---------------------------------------------------------------------

@deprecated_hookspec(since="1.0", removed_in="2.0", advice="return the cards from hearthside_dashboard_cards")
def hearthside_old_cards(hs):
    """A stand-in for a hook the core is phasing out (no real hook is deprecated). Not first-result."""


OLD_SPECS = types.ModuleType("old_specs")
OLD_SPECS.hearthside_old_cards = hearthside_old_cards


class OldCards:
    HEARTHSIDE_API = ">=1.0,<2"

    @hookimpl
    def hearthside_old_cards(self, hs):
        return [{"id": "old"}]


def manager_with_old_spec() -> PluginManager:
    plugins = PluginManager()
    plugins.pm.add_hookspecs(OLD_SPECS)
    return plugins


def test_implementing_a_deprecated_hook_warns_naming_plugin_hook_and_removal(caplog):
    plugins = manager_with_old_spec()
    with caplog.at_level(logging.WARNING, logger="hearthside.plugin_manager"), \
            pytest.warns(HookDeprecationWarning) as caught:
        plugins.register("oldie", OldCards())
    [warning] = [item.message for item in caught if isinstance(item.message, HookDeprecationWarning)]
    assert str(warning) == ("plugin 'oldie' implements hearthside_old_cards, deprecated since plugin API 1.0 "
                            "and removed in plugin API 2.0: return the cards from hearthside_dashboard_cards")
    assert caught[0].filename == __file__  # points at the plugin's own code, not at pluggy
    row = rows(plugins)["oldie"]
    assert row["state"] == "loaded"  # deprecated still works until the removal
    assert row["notes"] == ["implements hearthside_old_cards, deprecated since plugin API 1.0 and removed in "
                            "plugin API 2.0: return the cards from hearthside_dashboard_cards"]
    assert any(r.getMessage().startswith("Plugin 'oldie' implements hearthside_old_cards") for r in caplog.records)
    assert plugins.call("hearthside_old_cards", hs=None) == [[{"id": "old"}]]


def test_a_plugin_not_implementing_the_deprecated_hook_hears_nothing():
    plugins = manager_with_old_spec()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plugins.register("fresh", Recorder(api=">=1.0,<2"))
    assert rows(plugins)["fresh"]["notes"] == []


@pytest.mark.parametrize("since, removed_in", [("1.1", "1.2"), ("1.0", "1.0"), ("1.3", "2.1")])
def test_a_hook_is_removed_only_in_a_later_major_version(since, removed_in):
    with pytest.raises(ValueError, match="later major version"):
        deprecated_hookspec(since=since, removed_in=removed_in, advice="-")


# -- name clashes -------------------------------------------------------------------------

def test_a_third_party_plugin_cannot_take_a_built_ins_name():
    impostor = Recorder(api=">=1.0,<2")
    _config, plugins = load(extra_plugins={"rituals": impostor}, discover_installed=True)
    report = [row for row in plugins.report() if row["name"] == "rituals"]
    assert [(row["builtin"], row["state"]) for row in report] == [(True, "loaded"), (False, "failed")]
    assert "uses the name of the built-in plugin 'rituals'" in report[1]["error"]
    assert "never replace a built-in" in report[1]["error"]
    assert plugins.plugins["rituals"].module.__name__ == "hearthside.plugins.rituals"
    assert impostor.calls == []


def test_two_plugins_with_one_name_are_both_refused():
    first, second = Recorder(api=">=1.0"), Recorder(api=">=1.0")
    plugins = PluginManager()
    plugins.load([Candidate("candles", "1.0", lambda: first, origin="hearthside-candles 1.0"),
                  Candidate("candles", "2.0", lambda: second, origin="candles-deluxe 2.0")])
    report = [row for row in plugins.report() if row["name"] == "candles"]
    assert [row["state"] for row in report] == ["failed", "failed"]
    assert all("hearthside-candles 1.0 and candles-deluxe 2.0" in row["error"] for row in report)
    assert plugins.loaded() == [] and first.calls == second.calls == []


def test_the_name_of_the_allow_setting_is_reserved():
    _config, plugins = load(extra_plugins={"allow": Recorder()})
    [row] = [row for row in plugins.report() if row["name"] == "allow"]
    assert row["state"] == "failed" and "plugins.allow" in row["error"]


# -- plugins.allow ------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["file", "env", "short env", "flag"])
def test_only_allowed_plugins_load_and_the_core_always_does(source, tmp_path):
    kept, left = Recorder(api=">=1.0"), Recorder(api=">=1.0")
    config_file = env = flags = None
    if source == "file":
        config_file = tmp_path / "config.yaml"
        config_file.write_text("plugins:\n  allow: [kept]\n")
    elif source == "env":
        env = {"HEARTHSIDE_PLUGINS__ALLOW": "kept"}
    elif source == "short env":
        env = {"HEARTHSIDE_PLUGINS": " kept "}
    else:
        flags = {"plugins.allow": ["kept"]}
    config, plugins = load(config_file=config_file, env=env or {}, flags=flags,
                           extra_plugins={"kept": kept, "left": left}, discover_installed=True)
    assert config["plugins.allow"] == ["kept"]
    report = rows(plugins)
    assert plugins.loaded() == ["core", "kept"]
    assert report["left"]["state"] == "disabled" and report["left"]["notes"] == ["not in plugins.allow"]
    assert report["rituals"]["state"] == "disabled"  # built-ins are installed plugins too
    assert left.calls == []


def test_env_beats_the_file_for_the_allow_list(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text("plugins:\n  allow: [a]\n")
    config, plugins = load(config_file=config_file, env={"HEARTHSIDE_PLUGINS": "b"},
                           extra_plugins={"a": Recorder(api=">=1.0"), "b": Recorder(api=">=1.0")})
    assert config["plugins.allow"] == ["b"]
    assert plugins.loaded() == ["core", "b"]


def test_an_empty_allow_list_loads_the_core_alone(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text("plugins:\n  allow: []\n")
    _config, plugins = load(config_file=config_file, extra_plugins={"a": Recorder(api=">=1.0")})
    assert plugins.loaded() == ["core"]


def test_unknown_names_in_the_allow_list_are_a_config_error_naming_them(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text("port: 8321\nplugins:\n  allow: [a, candels, ritual]\n")
    with pytest.raises(ConfigError) as caught:
        load(config_file=config_file, extra_plugins={"a": Recorder(api=">=1.0")})
    assert caught.value.problems == ["plugins.allow: there is no installed plugin named 'candels', 'ritual' "
                                     "(installed: a, core) (config.yaml, line 3)"]


@pytest.mark.parametrize("value, shown", [("5", "5"), ("[a, 7]", "['a', 7]"), ("'a b'", "'a b'")])
def test_a_malformed_allow_list_is_a_config_error(tmp_path, value, shown):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"plugins:\n  allow: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load(config_file=config_file)
    assert caught.value.problems == [f"plugins.allow: expected a list of plugin names (comma-separated in an "
                                     f"environment variable), got {shown} (config.yaml, line 2)"]


# -- safe mode ----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["flag", "env", "file"])
def test_safe_mode_loads_the_built_ins_only(make_app, tmp_path, how):
    extra = Recorder(api=">=1.0")
    config_file = tmp_path / "config.yaml"
    config_file.write_text("safe_mode: true\n" if how == "file" else "")
    app = make_app(extra_plugins={"extra": extra}, config_file=config_file,
                   flags={"safe_mode": True} if how == "flag" else None,
                   env={"HEARTHSIDE_SAFE_MODE": "1"} if how == "env" else None)
    hs = app.extensions["hearthside"]
    report = rows(hs.plugins)
    assert report["extra"]["state"] == "disabled"
    assert report["extra"]["notes"] == ["safe mode: built-in plugins only"]
    assert extra.calls == []
    for name in ("core", "rituals", "transparency", "matcher", "touch"):
        assert report[name]["state"] == "loaded", name
    assert app.test_client().get("/api/v1/health").get_json()["safe_mode"] is True


def test_health_and_the_admin_page_say_when_safe_mode_is_on(make_app):
    normal = make_app()
    assert normal.test_client().get("/api/v1/health").get_json() == {
        "status": "ok", "version": hearthside.__version__, "plugin_api": PLUGIN_API_VERSION, "safe_mode": False,
        "failed_plugins": []}
    app = make_app(flags={"safe_mode": True})
    client = app.test_client()
    ann, _bob = onboard_couple(client)
    page = sign_in_browser(app, ann).get("/admin").get_data(as_text=True)
    assert "Safe mode: only the core and the built-in plugins are running" in page


# -- what `hearthside plugins` shows (a real process) ------------------------------------

FUTURE = """
    from hearthside.plugin_api import hookimpl

    HEARTHSIDE_API = ">=2.0,<3"

    @hookimpl
    def hearthside_startup(hs):
        raise SystemExit("a refused plugin must never run")
"""

IMPOSTOR = """
    from hearthside.plugin_api import hookimpl

    HEARTHSIDE_API = ">=1.0,<2"
"""


def test_hearthside_plugins_shows_a_too_new_plugin_as_failed_with_both_versions(run, installed_plugin):
    env = installed_plugin("future", FUTURE, version="3.0.0")
    done = run("plugins", env=env)
    assert done.returncode == 0, done.stderr
    assert table(done.stdout)["future"][:3] == ["3.0.0", "yes", "failed:"]
    [line] = [line for line in done.stdout.splitlines() if line.startswith("future")]
    assert f"supports plugin API >=2.0,<3 but this Hearthside provides plugin API {PLUGIN_API_VERSION}" in line
    assert f"(plugin API {PLUGIN_API_VERSION})" in done.stdout
    checked = run("check-config", env=env)
    assert checked.returncode == 1
    assert "Plugin future failed: supports plugin API >=2.0,<3" in checked.stderr


def test_hearthside_plugins_shows_an_impostor_of_a_built_in_as_refused(run, installed_plugin):
    env = installed_plugin("rituals", IMPOSTOR, version="6.6.6")
    done = run("plugins", env=env)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.startswith("rituals ")]
    assert [line[1:4] for line in lines] == [[hearthside.__version__, "yes", "loaded"], ["6.6.6", "yes", "failed:"]]
    assert "hs_test_rituals 6.6.6 (hs_test_rituals) uses the name of the built-in plugin 'rituals'" in done.stdout


def test_hearthside_plugins_in_safe_mode_and_with_an_allow_list(run, installed_plugin):
    env = installed_plugin("candles", IMPOSTOR)
    done = run("plugins", "--safe-mode", env=env)
    assert done.returncode == 0, done.stderr
    assert table(done.stdout)["candles"] == ["1.2.3", "no", "disabled", "(safe", "mode:", "built-in", "plugins",
                                             "only)"]
    assert table(done.stdout)["rituals"][1:] == ["yes", "loaded"]
    assert "(safe mode: only the core and the built-in plugins are loaded)" in done.stdout

    done = run("plugins", env={**env, "HEARTHSIDE_PLUGINS": "candles,touch"})
    assert done.returncode == 0, done.stderr
    rows_ = table(done.stdout)
    assert rows_["candles"][1:] == ["yes", "loaded"] and rows_["touch"][1:] == ["yes", "loaded"]
    assert rows_["matcher"][1:] == ["no", "disabled", "(not", "in", "plugins.allow)"]
    assert "(plugins.allow: candles, touch)" in done.stdout

    done = run("plugins", env={**env, "HEARTHSIDE_PLUGINS": "candles,candels"})
    assert done.returncode == 2
    assert "Config error: plugins.allow: there is no installed plugin named 'candels'" in done.stderr
    assert "(environment variable HEARTHSIDE_PLUGINS)" in done.stderr


def serve_until_healthy(tmp_path, env: dict, *args: str) -> tuple[dict, str]:
    """Run ``hearthside serve`` with an installed test plugin until it answers; its health and log."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    base = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "hearthside", "serve", "--host", "127.0.0.1", "--port",
                                    str(port), "--data-dir", str(tmp_path / "data"), *args],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env={**base, **env})
        try:
            deadline = time.monotonic() + 20
            while True:
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
                try:
                    health = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).json()
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(timeout=15)
    return health, log_path.read_text()


def test_serve_refuses_a_too_new_plugin_at_start_and_stays_up(tmp_path, installed_plugin):
    health, log = serve_until_healthy(tmp_path, installed_plugin("future", FUTURE, version="3.0.0"))
    assert health["status"] == "degraded" and health["failed_plugins"] == ["future"] and health["safe_mode"] is False
    assert (f"Plugin 'future' supports plugin API >=2.0,<3 but this Hearthside provides plugin API "
            f"{PLUGIN_API_VERSION}; not loaded") in log
    assert "a refused plugin must never run" not in log


def test_serve_safe_mode_flag_is_logged_and_in_health(data_dir):
    server = ServerProcess(data_dir, extra_args=["--safe-mode"])
    try:
        assert requests.get(server.url + "/api/v1/health", timeout=5).json()["safe_mode"] is True
        assert "Safe mode: only the core and the built-in plugins are loaded" in server.output()
    finally:
        server.stop()


# -- the public API and its reference -----------------------------------------------------

def test_plugin_api_imports_no_private_names():
    source = (ROOT / "core" / "plugin_api.py").read_text(encoding="utf-8")
    assert not re.search(r"import[^\n]*\b_\w+", source), "plugin_api re-exports a private name"
    assert all(not name.startswith("_") for name in plugin_api.__all__)
    assert all(hasattr(plugin_api, name) for name in plugin_api.__all__)


def test_the_hook_reference_lists_exactly_what_plugin_api_exports():
    text = HOOKS_DOC.read_text(encoding="utf-8")
    section = text.split("### What `hearthside.plugin_api` exports", 1)[1].split("\n#", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)
    assert len(documented) == len(set(documented)), "a name is listed twice"
    assert sorted(documented) == sorted(plugin_api.__all__)


def test_the_docs_explain_versions_deprecation_allow_list_and_safe_mode():
    text = HOOKS_DOC.read_text(encoding="utf-8")
    for phrase in ["PLUGIN_API_VERSION", 'HEARTHSIDE_API = ">=1.0,<2"', "deprecated_hookspec",
                   "at least one minor version", "plugins.allow", "HEARTHSIDE_PLUGINS", "--safe-mode",
                   "HEARTHSIDE_SAFE_MODE", "declares no", "built-in"]:
        assert phrase in text, phrase
    assert 'HEARTHSIDE_API = ">=1.0,<2"' in TUTORIAL.read_text(encoding="utf-8")
