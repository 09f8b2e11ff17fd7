"""The ``hearthside`` command line, run as a user runs it: a real process.

Commands that need no installed plugin also run in this process through
click's runner (``run_here``, tests/conftest.py): the same command objects, a third of a second
quicker each, which is most of this file's time.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hearthside import __version__
from hearthside.app import load_plugins_and_config
from hearthside.backups import open_bundle
from hearthside.events import emit
from hearthside.hookspecs import hookimpl
from hearthside.storage import DATABASE_NAME, validate_database_file
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def hearthside_plugins():
    """This file's apps also declare the event types its tests emit (tests/support/event_types.py)."""
    return dict(TEST_EVENT_TYPES)


@pytest.fixture
def run(tmp_path):
    """Run ``python -m hearthside ...`` in tmp_path with no HEARTHSIDE_* variables of the caller."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}

    def runner(*args, env=None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hearthside", *map(str, args)], capture_output=True,
                              text=True, cwd=tmp_path, env={**base_env, **(env or {})}, timeout=60)
    return runner


@pytest.fixture
def installed_plugin(tmp_path):
    """Install a plugin for child processes the way pip would: a module plus dist-info with an entry point.

    Returns a function (name, source, version) -> env to pass to ``run``.
    """
    site = tmp_path / "site"
    site.mkdir()

    def install(name: str, source: str, version: str = "1.2.3") -> dict:
        module = f"hs_test_{name}"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{module}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[hearthside.plugins]\n{name} = {module}\n")
        return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    return install


CANDLES = """
    import click
    from hearthside.plugin_api import Setting, hookimpl

    HEARTHSIDE_API = ">=1.0,<2"

    @hookimpl
    def hearthside_config_schema():
        return {"reminder_minutes": Setting("int", 30, "Minutes before a ritual to remind.")}

    @hookimpl
    def hearthside_cli_commands(cli):
        @cli.command("candles-hello")
        def hello():
            "Say hello from the candles plugin."
            click.echo("hello from candles")
"""


def table(output: str) -> dict[str, list[str]]:
    """``hearthside plugins`` output as {name: [version, enabled, state...]}, without the notes below it."""
    lines = output.strip().splitlines()
    assert lines[0].split() == ["PLUGIN", "VERSION", "ENABLED", "STATE"]
    return {line.split()[0]: line.split()[1:] for line in lines[1:] if not line.startswith("(")}


def add_event(app, kind: str) -> None:
    hs = app.extensions["hearthside"]
    with hs.storage.connection() as db, db.atomic():
        emit(db, kind, 1, {"note": kind}, visibility="couple")


def event_types(database: Path) -> list[str]:
    conn = sqlite3.connect(database)
    try:
        return [row[0] for row in conn.execute("SELECT type FROM events ORDER BY id")]
    finally:
        conn.close()


# -- --version and plugins -------------------------------------------------------

def test_version(run):
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"hearthside, version {__version__}"


def test_plugins_lists_core_loaded(run):
    done = run("plugins")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].index("VERSION") == lines[1].index(__version__)  # columns line up
    assert table(done.stdout)["core"] == [__version__, "yes", "loaded"]


def test_plugins_shows_installed_plugin_enabled_then_disabled(run, installed_plugin, tmp_path):
    env = installed_plugin("candles", CANDLES)
    done = run("plugins", env=env)
    assert done.returncode == 0, done.stderr
    rows = table(done.stdout)
    assert rows["core"] == [__version__, "yes", "loaded"]
    assert rows["candles"] == ["1.2.3", "yes", "loaded"]

    (tmp_path / "config.yaml").write_text("plugins:\n  candles:\n    enabled: false\n")
    done = run("plugins", "--config", "config.yaml", env=env)
    assert done.returncode == 0, done.stderr
    assert table(done.stdout)["candles"] == ["1.2.3", "no", "disabled"]


def test_plugins_shows_a_broken_plugin_as_failed_with_the_reason(run, installed_plugin):
    env = installed_plugin("broken", "raise ImportError('needs libfoo')\n")
    done = run("plugins", env=env)
    assert done.returncode == 0, done.stderr
    rows = table(done.stdout)
    assert rows["core"][2] == "loaded"
    assert rows["broken"][:3] == ["1.2.3", "yes", "failed:"]
    assert "needs libfoo" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_disabled_plugin_is_not_imported_in_process(tmp_path):
    imported = []

    class Plugin:
        @hookimpl
        def hearthside_config_schema(self):
            imported.append(True)
            return {}

    path = tmp_path / "config.yaml"
    path.write_text("plugins:\n  extra:\n    enabled: false\n")
    _config, plugins = load_plugins_and_config(path, env={}, extra_plugins={"extra": Plugin()},
                                               discover_installed=False)
    assert {row["name"]: (row["enabled"], row["state"]) for row in plugins.report()} == {
        "core": (True, "loaded"), "extra": (False, "disabled")}
    assert imported == []


# -- check-config ------------------------------------------------------------------

def test_check_config_accepts_the_example(run_here):
    done = run_here("check-config", "--config", REPO / "config.example.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Config OK (")
    assert done.stderr == ""


def test_check_config_without_a_file_uses_defaults(run_here, tmp_path):
    done = run_here("check-config")
    assert done.returncode == 0, done.stderr
    assert "built-in defaults" in done.stdout
    assert str(tmp_path / "hearthside-data") in done.stdout


def test_check_config_reports_each_problem_on_its_own_line(run, installed_plugin, tmp_path):
    env = installed_plugin("candles", CANDLES)
    (tmp_path / "config.yaml").write_text(textwrap.dedent("""\
        # Our Hearthside
        port: 99999
        log_level: loud
        plugins:
          candles:
            reminder_minutes: ten
          bingo:
            enabled: true
    """))
    done = run("check-config", "--config", "config.yaml", env={**env, "HEARTHSIDE_SCHEDULER__ENABLED": "maybe"})
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    unknown = lines.pop(3)
    assert lines == [
        "Config error: port: expected a whole number from 1 to 65535, got 99999 (config.yaml, line 2)",
        "Config error: log_level: expected one of debug, info, warning, error, got 'loud' (config.yaml, line 3)",
        "Config error: plugins.candles.reminder_minutes: expected a whole number, got 'ten' (config.yaml, line 6)",
        "Config error: scheduler.enabled: expected true or false, got 'maybe' "
        "(environment variable HEARTHSIDE_SCHEDULER__ENABLED)",
    ]
    installed = re.fullmatch(r"Config error: plugins\.bingo\.enabled: there is no installed plugin named 'bingo' "
                             r"\(installed: (.+)\) \(config\.yaml, line 8\)", unknown)
    assert installed, unknown
    assert {"candles", "core", "rituals"} <= set(installed.group(1).split(", "))


def test_check_config_with_a_missing_file(run_here):
    done = run_here("check-config", "--config", "nope.yaml")
    assert done.returncode == 2
    assert done.stderr.strip() == "Config error: cannot read the config file nope.yaml: No such file or directory"


# -- plugin commands -----------------------------------------------------------------

def test_installed_plugin_command_appears_in_help_and_runs(run, installed_plugin):
    env = installed_plugin("candles", CANDLES)
    done = run("--help", env=env)
    assert done.returncode == 0, done.stderr
    assert "candles-hello" in done.stdout
    assert "Say hello from the candles plugin." in done.stdout
    done = run("candles-hello", env=env)
    assert (done.returncode, done.stdout) == (0, "hello from candles\n")


def test_plugin_command_through_the_hook_in_process():
    class Plugin:
        @hookimpl
        def hearthside_cli_commands(self, cli):
            @cli.command("greet")
            @click.argument("name")
            def greet(name):
                """Greet someone kindly."""
                click.echo(f"hello {name}")

    group = click.Group("hearthside")
    _config, plugins = load_plugins_and_config(env={}, extra_plugins={"greeter": Plugin()},
                                               discover_installed=False)
    plugins.call("hearthside_cli_commands", cli=group)
    result = CliRunner().invoke(group, ["--help"])
    assert result.exit_code == 0
    assert "greet" in result.output and "Greet someone kindly." in result.output
    assert CliRunner().invoke(group, ["greet", "Sam"]).output == "hello Sam\n"


def test_plugin_whose_command_hook_raises_does_not_break_the_cli(run, installed_plugin):
    env = installed_plugin("clumsy", """
        from hearthside.plugin_api import hookimpl

        @hookimpl
        def hearthside_cli_commands(cli):
            raise RuntimeError("oops")
    """)
    done = run("--help", env=env)
    assert done.returncode == 0
    for command in ("serve", "plugins", "check-config", "backup", "restore"):
        assert command in done.stdout


# -- backup ------------------------------------------------------------------------

def test_backup_while_the_server_runs(run_here, server, data_dir, tmp_path):
    conn = sqlite3.connect(data_dir / DATABASE_NAME)
    with conn:
        conn.execute("INSERT INTO events (couple_id, type, visibility, payload, created_at) "
                     "VALUES (1, 'written.while.serving', 'couple', '{}', '2025-01-01T00:00:00Z')")
    conn.close()

    done = run_here("backup", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    written = Path(done.stdout.splitlines()[0].removeprefix("Backup written to "))
    assert written.parent == data_dir / "backups"
    assert written.name.endswith("-manual.hsb")
    assert "anyone who can read this file can read everything in it" in done.stdout
    with open_bundle(written, None, tmp_path) as opened:
        assert event_types(opened.database) == ["written.while.serving"]

    done = run_here("backup", "--data-dir", data_dir, "--out", "copies/ours.hsb")
    assert done.returncode == 0, done.stderr
    with open_bundle(tmp_path / "copies" / "ours.hsb", None, tmp_path) as opened:
        assert validate_database_file(opened.database) is None
    assert not list((tmp_path / "copies").glob("*.partial"))
    assert server.process.poll() is None  # the server kept running


def test_backup_of_an_empty_data_folder(run_here, tmp_path):
    done = run_here("backup", "--data-dir", "not-there")
    assert done.returncode == 1
    assert "nothing to back up" in done.stderr
    assert not (tmp_path / "not-there").exists()  # a mistyped folder is not created


def test_backup_of_a_fresh_database_without_tables(run_here, tmp_path):
    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / DATABASE_NAME).close()
    done = run_here("backup", "--data-dir", "data")
    assert done.returncode == 1
    assert "nothing to back up" in done.stderr
    assert not (tmp_path / "data" / "backups").exists()


# -- restore -----------------------------------------------------------------------

@pytest.fixture
def backed_up(make_app, data_dir, run_here, tmp_path):
    """A data folder with one event, and a backup bundle of it at tmp_path/at-backup.hsb."""
    app = make_app()
    add_event(app, "test.before_backup")
    done = run_here("backup", "--data-dir", data_dir, "--out", tmp_path / "at-backup.hsb")
    assert done.returncode == 0, done.stderr
    add_event(app, "test.after_backup")
    return tmp_path / "at-backup.hsb"


def test_restore_round_trip_keeps_the_previous_database(backed_up, run_here, data_dir):
    database = data_dir / DATABASE_NAME
    assert event_types(database) == ["test.before_backup", "test.after_backup"]

    done = run_here("restore", backed_up, "--force", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    assert event_types(database) == ["test.before_backup"]

    kept = [path for path in (data_dir / "backups").iterdir() if "before-restore" in path.name]
    assert len(kept) == 1
    assert str(kept[0]) in done.stdout
    assert event_types(kept[0]) == ["test.before_backup", "test.after_backup"]


def test_restore_into_an_empty_data_folder_needs_no_force(backed_up, run_here, tmp_path):
    done = run_here("restore", backed_up, "--data-dir", "fresh")
    assert done.returncode == 0, done.stderr
    assert event_types(tmp_path / "fresh" / DATABASE_NAME) == ["test.before_backup"]


def test_restore_refuses_to_overwrite_without_force(backed_up, run_here, data_dir):
    done = run_here("restore", backed_up, "--data-dir", data_dir)
    assert done.returncode == 1
    assert "--force" in done.stderr
    assert event_types(data_dir / DATABASE_NAME) == ["test.before_backup", "test.after_backup"]
    assert not list((data_dir / "backups").glob("*before-restore*"))


@pytest.mark.parametrize("kind, message", [
    ("text", "is not a Hearthside backup"),
    ("foreign", "is a SQLite database but not a Hearthside one"),
    ("missing", "does not exist"),
])
def test_restore_refuses_a_file_that_is_not_a_hearthside_backup(backed_up, run_here, data_dir, tmp_path, kind, message):
    candidate = tmp_path / f"{kind}.db"
    if kind == "text":
        candidate.write_text("these are our notes, not a database\n" * 20)
    elif kind == "foreign":
        conn = sqlite3.connect(candidate)
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.commit()
        conn.close()
    before = (data_dir / DATABASE_NAME).read_bytes()

    done = run_here("restore", candidate, "--force", "--data-dir", data_dir)
    assert done.returncode == 1
    assert done.stderr.startswith("Not restoring: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert (data_dir / DATABASE_NAME).read_bytes() == before
    assert event_types(data_dir / DATABASE_NAME) == ["test.before_backup", "test.after_backup"]
    assert not list((data_dir / "backups").glob("*before-restore*"))


HANGS_AT_IMPORT = """
    import time

    time.sleep(120)  # a plugin whose import never finishes (a network call at import, a lock)
"""


def test_safe_mode_keeps_a_hanging_plugin_from_freezing_check_config_and_backup(run, installed_plugin, make_app,
                                                                                  data_dir):
    env = installed_plugin("stuck", HANGS_AT_IMPORT)
    make_app().extensions["hearthside"].shutdown()
    done = run("check-config", "--safe-mode", env=env)
    assert done.returncode == 0, done.stderr
    done = run("backup", "--safe-mode", "--data-dir", data_dir, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Backup written to ")
    done = run("plugins", "--safe-mode", env=env)
    assert table(done.stdout)["stuck"][1:3] == ["no", "disabled"]


def test_restore_has_no_safe_mode_because_forgets_need_every_plugin(run_here):
    done = run_here("restore", "x.hsb", "--safe-mode")
    assert done.returncode == 2 and "No such option '--safe-mode'" in done.stderr
