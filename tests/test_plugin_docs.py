"""The plugin author docs stay true: the tutorial's code is the example's code, and the
fixtures and API names the docs teach exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hearthside import plugin_api, testing
from hearthside.testing import plugin as fixtures

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins"
EXAMPLE = ROOT / "examples" / "gratitude-jar"
BLOCK = re.compile(r"```(python|toml|js)\n(.*?)```", re.DOTALL)


def example_source() -> set[str]:
    lines = set()
    for path in EXAMPLE.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".toml", ".js", ".html"}:
            lines |= {strip(line) for line in path.read_text(encoding="utf-8").splitlines()}
    return lines


def strip(line: str) -> str:
    """A line without indentation or a comment at its end."""
    return re.sub(r"\s{2,}#.*$", "", line).strip()


def code_lines(text: str) -> list[str]:
    """Every meaningful line of the tutorial's code blocks (comments at the end of a line dropped)."""
    found = []
    for _language, block in BLOCK.findall(text):
        for line in block.splitlines():
            line = strip(line)
            if line and not line.startswith("#") and "..." not in line:
                found.append(line)
    return found


def test_the_tutorials_code_is_the_examples_code():
    source = example_source()
    lines = code_lines((DOCS / "tutorial.md").read_text(encoding="utf-8"))
    assert len(lines) > 150  # the walk covers the tutorial, not nothing
    drifted = [line for line in lines if line not in source]
    assert drifted == [], "docs/plugins/tutorial.md shows code that examples/gratitude-jar no longer has"


@pytest.mark.parametrize("name", ["app", "make_app", "hs", "client", "couple", "ann", "bob", "wall", "other_couple",
                                  "sockets", "clock", "scheduler", "privacy_matrix", "data_dir",
                                  "hearthside_plugins", "hearthside_discover_installed", "shared_app",
                                  "shared_admin", "shared_data_dir", "new_couple"])
def test_each_documented_fixture_exists(name):
    assert f"`{name}`" in (DOCS / "testing.md").read_text(encoding="utf-8")
    assert hasattr(getattr(fixtures, name), "_pytestfixturefunction") or "fixture" in repr(getattr(fixtures, name))


def test_the_documented_helpers_and_api_names_exist():
    text = (DOCS / "testing.md").read_text(encoding="utf-8")
    helpers = re.search(r"from hearthside.testing import (.*?)`", text, re.DOTALL).group(1)
    for name in re.findall(r"\w+", helpers):
        assert hasattr(testing, name), name
    privacy = (DOCS / "privacy.md").read_text(encoding="utf-8")
    for name in ("require", "require_active", "is_active", "require_granted", "is_granted", "emit", "api_error"):
        assert name in privacy and hasattr(plugin_api, name), name
