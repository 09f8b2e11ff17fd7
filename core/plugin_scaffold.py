"""``hearthside new-plugin NAME``: write a pip-installable plugin package.

The files come from the templates in ``scaffold/`` (package data of
``hearthside``), with ``@@name@@``-style placeholders filled in:

=====================  ==========================  ==========================
placeholder            meaning                     for ``new-plugin kind-words``
=====================  ==========================  ==========================
``@@name@@``           the plugin's name           ``kind_words``
``@@package@@``        its Python package          ``hearthside_kind_words``
``@@dist@@``           its distribution on PyPI    ``hearthside-kind-words``
``@@slug@@``           its page's URL              ``kind-words``
``@@title@@``          its name for people         ``Kind words``
=====================  ==========================  ==========================

The result is a complete small plugin - one migration, one API route, one
page in the menu, one dashboard card and its ``dashboard.<name>`` scope, one
more consent scope, one scheduled job, a config schema - whose tests pass as
generated (``tests/test_scaffold.py`` proves it in a fresh virtualenv).
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from . import __version__

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
BUILT_IN = {"core", "matcher", "rituals", "transparency", "touch", "dashboard", "consent", "pause", "admin", "api"}

# template file (under scaffold/) -> the generated file, both with placeholders
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "gitignore.tmpl": ".gitignore",
    "package/__init__.py.tmpl": "@@package@@/__init__.py",
    "package/event_types.toml.tmpl": "@@package@@/event_types.toml",
    "package/migrations.py.tmpl": "@@package@@/migrations.py",
    "package/model.py.tmpl": "@@package@@/model.py",
    "package/data.py.tmpl": "@@package@@/data.py",
    "package/api.py.tmpl": "@@package@@/api.py",
    "package/pages.py.tmpl": "@@package@@/pages.py",
    "package/templates/index.html.tmpl": "@@package@@/templates/@@name@@/index.html",
    "package/static/plugin.js.tmpl": "@@package@@/static/@@name@@.js",
    "tests/conftest.py.tmpl": "tests/conftest.py",
    "tests/test_plugin.py.tmpl": "tests/test_@@name@@.py",
}


class ScaffoldError(Exception):
    """A reason not to write anything, in words for the person at the terminal."""


def plugin_name(raw: str) -> str:
    """The plugin's name from what was typed: ``Kind-Words`` -> ``kind_words``, or a clear error."""
    name = raw.strip().lower().replace("-", "_").replace(" ", "_")
    if name.startswith("hearthside_"):
        name = name[len("hearthside_"):]
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"{raw!r} cannot be a plugin name: use 2 to 40 letters, digits, '-' or '_', starting with a letter "
            "(for example: kind-words).")
    if name in BUILT_IN:
        raise ScaffoldError(f"{name!r} is the name of a built-in part of Hearthside; choose another name.")
    return name


def placeholders(name: str) -> dict[str, str]:
    return {
        "@@name@@": name,
        "@@package@@": f"hearthside_{name}",
        "@@dist@@": f"hearthside-{name.replace('_', '-')}",
        "@@slug@@": name.replace("_", "-"),
        "@@title@@": name.replace("_", " ").capitalize(),
        "@@hearthside_version@@": __version__,
    }


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def create(raw_name: str, parent: Path) -> Path:
    """Write the plugin package into ``parent/<slug>``; returns that folder.

    Refuses (writing nothing) when the name is not usable or the folder
    already exists and is not empty.
    """
    name = plugin_name(raw_name)
    values = placeholders(name)
    target = Path(parent) / values["@@slug@@"]
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists and is not empty; nothing was written.")
    templates = files("hearthside") / "scaffold"
    rendered = {fill(out, values): fill(templates.joinpath(*source.split("/")).read_text(encoding="utf-8"), values)
                for source, out in FILES.items()}
    for relative, text in rendered.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target
