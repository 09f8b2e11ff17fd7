"""config.example.yaml documents every setting of the built-in plugins, and the block works as written.

The plugins section is commented out in the example (no config is needed to
start). Uncommented, it must be a valid config that sets each built-in
plugin's every setting to its default, each with its environment variable named.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from hearthside.app import load_plugins_and_config
from hearthside.config import env_name

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"
BUILT_INS = ("rituals", "transparency", "matcher", "touch")


def schema_of(name: str) -> dict:
    return importlib.import_module(f"hearthside.plugins.{name}").hearthside_config_schema()


def plugins_block() -> str:
    """The commented ``plugins:`` section of the example, uncommented."""
    text = EXAMPLE.read_text(encoding="utf-8")
    commented = "\n".join(line[2:] for line in text.splitlines() if line.startswith("# ") or line == "#")
    return commented[commented.index("plugins:\n"):]


@pytest.mark.parametrize("name", BUILT_INS)
def test_every_setting_of_each_built_in_plugin_is_shown_at_its_default(name):
    listed = yaml.safe_load(plugins_block())["plugins"][name]
    schema = schema_of(name)
    assert set(listed) - {"enabled"} == set(schema), f"plugins.{name}: the example must list exactly its settings"
    for key, setting in schema.items():
        assert listed[key] == setting.default, f"plugins.{name}.{key}: the example does not show the default"


@pytest.mark.parametrize("name", BUILT_INS)
def test_each_plugin_setting_has_a_comment_and_names_its_variable(name):
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    for key in [*schema_of(name), "enabled"]:
        assert f"Env: {env_name(f'plugins.{name}.{key}')}" in text, f"plugins.{name}.{key}: no variable named"
    for key in schema_of(name):
        line = next(i for i, line in enumerate(lines) if line.startswith(f"#     {key}: "))
        assert lines[line - 1].startswith("#     # "), f"plugins.{name}.{key}: no comment above it"


def test_the_uncommented_block_is_a_valid_config(tmp_path):
    """What a member gets by uncommenting it: the server would start with it, as documented."""
    config_file = tmp_path / "config.yaml"
    config_file.write_text(plugins_block(), encoding="utf-8")
    config, plugins = load_plugins_and_config(config_file, env={}, flags={"data_dir": str(tmp_path / "data")})
    for name in ("rituals", "transparency", "touch"):
        for key, setting in schema_of(name).items():
            assert config[f"plugins.{name}.{key}"] == setting.default
    assert plugins.plugins["matcher"].state != "loaded"  # switched off in the example
