"""Config: precedence, every error message, the example file and the secret key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hearthside.app import load_plugins_and_config
from hearthside.config import CORE_SETTINGS, ConfigError, Setting, env_name, load, read_sources
from hearthside.hookspecs import hookimpl

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config.example.yaml"


class RitualsPlugin:
    """A stand-in plugin with one setting of its own."""

    @hookimpl
    def hearthside_config_schema(self):
        return {
            "reminder_minutes": Setting("int", 30, "Minutes before a ritual to remind."),
            "checkin_minutes": Setting("int", 20, "Length of a check-in.", 5, 120),
        }


def load_with_rituals(config_file=None, env=None, flags=None):
    config, plugins = load_plugins_and_config(config_file, env=env or {}, flags=flags,
                                              extra_plugins={"rituals": RitualsPlugin()},
                                              discover_installed=False)
    return config, plugins


def problems_of(config_file=None, env=None, flags=None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_with_rituals(config_file, env, flags)
    return caught.value.problems


@pytest.fixture
def write(tmp_path):
    def writer(text: str, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return writer


# -- precedence ---------------------------------------------------------------

def test_defaults_without_any_source():
    config, _ = load_with_rituals()
    assert config["port"] == 8321
    assert config["scheduler.enabled"] is True
    assert config.plugin("rituals") == {"enabled": True, "reminder_minutes": 30, "checkin_minutes": 20}


def test_each_layer_overrides_the_one_below(write):
    path = write("port: 9001\nscheduler:\n  enabled: false\nplugins:\n  rituals:\n    reminder_minutes: 10\n")
    keys = ("port", "scheduler.enabled", "plugins.rituals.reminder_minutes")

    config, _ = load_with_rituals(path)
    assert [config[key] for key in keys] == [9001, False, 10]

    env = {"HEARTHSIDE_PORT": "9002", "HEARTHSIDE_SCHEDULER__ENABLED": "yes",
           "HEARTHSIDE_PLUGINS__RITUALS__REMINDER_MINUTES": "20"}
    config, _ = load_with_rituals(path, env=env)
    assert [config[key] for key in keys] == [9002, True, 20]

    flags = {"port": 9003, "scheduler.enabled": False, "plugins.rituals.reminder_minutes": 40}
    config, _ = load_with_rituals(path, env=env, flags=flags)
    assert [config[key] for key in keys] == [9003, False, 40]


def test_env_alone_overrides_defaults_and_a_none_flag_does_not_override():
    config, _ = load_with_rituals(env={"HEARTHSIDE_PORT": "9100"}, flags={"port": None, "host": None})
    assert config["port"] == 9100
    assert config["host"] == "0.0.0.0"


def test_config_file_can_be_named_by_environment_variable(write):
    path = write("log_level: debug\n")
    config, _ = load_with_rituals(env={"HEARTHSIDE_CONFIG": str(path)})
    assert config["log_level"] == "debug"
    assert config.file == path


def test_key_without_value_means_default(write):
    path = write("port:\nscheduler:\n  enabled:\nplugins:\n  rituals:\n    reminder_minutes:\n")
    config, _ = load_with_rituals(path)
    assert config["port"] == 8321
    assert config["scheduler.enabled"] is True
    assert config["plugins.rituals.reminder_minutes"] == 30


@pytest.mark.parametrize("key", sorted(CORE_SETTINGS))
def test_every_core_setting_is_read_from_its_environment_variable(key):
    name = env_name(key)
    raw = read_sources(env={name: "x"})
    assert raw.values == {key: "x"}
    assert str(raw.sources[key]) == f"environment variable {name}"


def test_empty_file_is_all_defaults(write):
    config, _ = load_with_rituals(write("# nothing set yet\n"))
    assert config["port"] == 8321


# -- error messages -----------------------------------------------------------

def test_wrong_type_names_key_value_expectation_file_and_line(write):
    lines = ["# Our Hearthside"] + [f"# note {n}" for n in range(2, 11)] + [
        "plugins:",            # line 11
        "  rituals:",          # line 12
        "    enabled: true",   # line 13
        "    reminder_minutes: ten",  # line 14
    ]
    path = write("\n".join(lines) + "\n")
    assert problems_of(path) == [
        "plugins.rituals.reminder_minutes: expected a whole number, got 'ten' (config.yaml, line 14)"
    ]


# One bad setting each: the message names the key, what was expected, what it got, the file and the line.
ONE_PROBLEM = {
    "out_of_range": ("host: 127.0.0.1\nport: 70000\n",
        "port: expected a whole number from 1 to 65535, got 70000 (config.yaml, line 2)"),
    "plugin_setting_out_of_range": ("plugins:\n  rituals:\n    checkin_minutes: 4\n",
        "plugins.rituals.checkin_minutes: expected a whole number from 5 to 120, got 4 (config.yaml, line 3)"),
    "bad_bool": ("scheduler:\n  enabled: maybe\n",
        "scheduler.enabled: expected true or false, got 'maybe' (config.yaml, line 2)"),
    "bad_choice": ("log_level: loud\n",
        "log_level: expected one of debug, info, warning, error, got 'loud' (config.yaml, line 1)"),
    "bad_time_zone": ("time_zone: Europe/Atlantis\n",
        "time_zone: expected an IANA time zone such as Europe/Berlin, got 'Europe/Atlantis' (config.yaml, line 1)"),
    "unknown_core_key": ("port: 8321\nprot: 8322\n",
        "prot: unknown setting (config.yaml, line 2)"),
    "setting_for_a_plugin_that_is_not_installed": ("plugins:\n  matcher:\n    enabled: true\n",
        "plugins.matcher.enabled: there is no installed plugin named 'matcher' "
        "(installed: core, rituals) (config.yaml, line 3)"),
    "unknown_setting_of_an_installed_plugin": ("plugins:\n  rituals:\n    reminder_minute: 5\n",
        "plugins.rituals.reminder_minute: unknown setting (config.yaml, line 3)"),
    "file_that_is_not_a_mapping": ("- port\n- 8321\n",
        "the config file must be a mapping of settings, got list (config.yaml)"),
    "bad_enabled_value_is_an_error_not_a_silent_default": ("plugins:\n  rituals:\n    enabled: nope\n",
        "plugins.rituals.enabled: expected true or false, got 'nope' (config.yaml, line 3)"),
    "secret_key_cannot_be_set_in_the_config": ("secret_key: hunter2\n",
        "secret_key: unknown setting (config.yaml, line 1)"),
}


@pytest.mark.parametrize("text, problem", ONE_PROBLEM.values(), ids=ONE_PROBLEM)
def test_one_bad_setting_is_reported_alone(write, text, problem):
    assert problems_of(write(text)) == [problem]


def test_good_time_zone_is_accepted(write):
    config, _ = load_with_rituals(write("time_zone: Europe/Berlin\n"))
    assert config["time_zone"] == "Europe/Berlin"


def test_environment_variable_is_named_as_the_source():
    assert problems_of(env={"HEARTHSIDE_SCHEDULER__ENABLED": "maybe",
                            "HEARTHSIDE_PLUGINS__RITUALS__REMINDER_MINUTES": "ten"}) == [
        "scheduler.enabled: expected true or false, got 'maybe' "
        "(environment variable HEARTHSIDE_SCHEDULER__ENABLED)",
        "plugins.rituals.reminder_minutes: expected a whole number, got 'ten' "
        "(environment variable HEARTHSIDE_PLUGINS__RITUALS__REMINDER_MINUTES)",
    ]


def test_unknown_environment_variable_is_reported():
    assert problems_of(env={"HEARTHSIDE_PROT": "1"}) == ["prot: unknown setting (environment variable HEARTHSIDE_PROT)"]


def test_command_line_flag_is_named_as_the_source():
    assert problems_of(flags={"port": 0, "data_dir": ""}) == [
        "port: expected a whole number from 1 to 65535, got 0 (command line --port)",
        "data_dir: expected a folder path, got '' (command line --data-dir)",
    ]


def test_invalid_yaml_names_the_line(write):
    problems = problems_of(write("port: 8321\nhost: [127.0.0.1\nlog_level: info\n"))
    assert len(problems) == 1
    assert problems[0].startswith("the config file is not valid YAML: ")
    assert problems[0].endswith("(config.yaml, line 3)")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert problems_of(path) == [f"cannot read the config file {path}: No such file or directory"]


def test_unreadable_file(tmp_path):
    folder = tmp_path / "a-folder.yaml"  # readable by nobody as a file, even by root
    folder.mkdir()
    assert problems_of(folder) == [f"cannot read the config file {folder}: Is a directory"]


def test_file_that_is_not_utf8_text(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes("port: 8321\ndata_dir: /home/Jos\xe9\n".encode("latin-1"))
    assert problems_of(path) == ["the config file is not UTF-8 text (config.yaml, line 2)"]


def test_several_problems_are_reported_together(write):
    path = write("port: 0\nscheduler:\n  enabled: maybe\nlog_level: loud\nprot: 1\n"
                 "plugins:\n  rituals:\n    reminder_minutes: ten\n  matcher:\n    enabled: false\n")
    problems = problems_of(path, env={"HEARTHSIDE_BACKUPS__KEEP": "none"})
    assert [problem.split(":")[0] for problem in problems] == [
        "port", "scheduler.enabled", "log_level", "prot", "plugins.rituals.reminder_minutes",
        "plugins.matcher.enabled", "backups.keep",
    ]
    assert str(ConfigError(problems)).count("\n") == len(problems) - 1


def test_disabled_plugin_settings_are_kept_unchecked(write):
    path = write("plugins:\n  rituals:\n    enabled: false\n    reminder_minutes: ten\n")
    config, plugins = load_with_rituals(path)
    assert config.plugin("rituals") == {"enabled": False, "reminder_minutes": "ten"}  # raw, as written
    assert plugins.plugins["rituals"].state == "disabled"
    assert not plugins.plugins["rituals"].enabled
    assert "rituals" not in plugins.loaded()


def test_enabling_the_plugin_checks_its_settings_again(write):
    path = write("plugins:\n  rituals:\n    enabled: false\n    reminder_minutes: ten\n")
    assert problems_of(path, env={"HEARTHSIDE_PLUGINS__RITUALS__ENABLED": "true"}) == [
        "plugins.rituals.reminder_minutes: expected a whole number, got 'ten' (config.yaml, line 4)"
    ]


# -- the server refuses to start ---------------------------------------------

def test_serve_refuses_to_start_with_a_config_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("host: 127.0.0.1\nport: 8321\nscheduler:\n  enabled: maybe\n")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
    done = subprocess.run(
        [sys.executable, "-m", "hearthside", "serve", "--config", str(bad), "--data-dir", str(data)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "Config error: scheduler.enabled: expected true or false, got 'maybe' (bad.yaml, line 4)"
    )
    assert "Traceback" not in done.stderr
    assert not data.exists()  # refused before touching anything


# -- config.example.yaml --------------------------------------------------------

def test_example_config_validates_as_is():
    config = load(EXAMPLE, env={}, plugin_schemas={"core": {}})
    for key, setting in CORE_SETTINGS.items():
        assert config[key] == setting.default, key


def test_example_config_documents_every_core_setting():
    text = EXAMPLE.read_text(encoding="utf-8")
    raw = read_sources(EXAMPLE, env={})
    listed = set(raw.values)
    assert listed <= set(CORE_SETTINGS), "the example sets keys the core does not know"
    # time_zone stays commented: its default is the machine's own zone; plugins.allow: unset means "all".
    assert set(CORE_SETTINGS) - listed == {"time_zone", "plugins.allow"}
    assert "\n# time_zone: " in text
    assert "\n#   allow: [" in text
    for key, setting in CORE_SETTINGS.items():
        assert f"Env: {env_name(key)}" in text, f"{key}: its environment variable is not named"
        if key in listed:
            assert raw.values[key] == setting.default, f"{key}: the example does not show the default"
            # A comment (what it does, default, env name) right above each key.
            lines = text.splitlines()
            line = int(str(raw.sources[key]).rsplit("line ", 1)[1])
            assert lines[line - 2].lstrip().startswith("#"), f"{key}: no comment above it"


def test_example_config_documents_plugins_section():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "plugins.<name>.<setting>" in text
    assert "\n# plugins:\n" in text
    commented = "\n".join(line[2:] for line in text.splitlines() if line.startswith("# ") or line == "#")
    section = commented[commented.index("plugins:\n"):]
    parsed = yaml.safe_load(section)
    assert parsed["plugins"]["matcher"]["enabled"] is False
    assert parsed["plugins"]["allow"] == ["rituals", "transparency", "matcher", "touch"]
    assert "enabled" in parsed["plugins"]["rituals"]


# -- the secret key -------------------------------------------------------------

def test_secret_key_is_created_private_reused_and_never_in_the_config(make_app, data_dir):
    first = make_app()
    key_file = data_dir / "secret_key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32
    assert key_file.read_text().strip() == first.secret_key

    second = make_app()
    assert second.secret_key == first.secret_key

    config = first.extensions["hearthside"].config
    assert first.secret_key not in [str(value) for value in config.values()]
    assert not [key for key in config if "secret" in key]


def test_a_retired_setting_still_starts_and_says_what_replaced_it(caplog):
    """server.threads was in every copied config.example.yaml before server.live_connections."""
    config = load(None, env={"HEARTHSIDE_SERVER__THREADS": "256"}, plugin_schemas={"core": {}})
    assert config["server.live_connections"] == 1000
    assert "server.threads is no longer used" in caplog.text and "server.live_connections" in caplog.text
