"""Which plugins a test's apps run, and the migrated databases they start from.

Used by the fixtures in :mod:`hearthside.testing.plugin`; nothing here is a fixture.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any, Iterable

import pytest

INI_PLUGINS = "hearthside_plugins"
ENTRY_POINT_GROUP = "hearthside.plugins"


def load_plugins(specs: Iterable[str]) -> dict[str, Any]:
    """``{name: module}`` for entry-point names (``"gratitude_jar"``) or ``"name=module.path"``."""
    from importlib.metadata import entry_points

    plugins: dict[str, Any] = {}
    for spec in specs:
        spec = spec.strip()
        if not spec:
            continue
        if "=" in spec:
            name, module = (part.strip() for part in spec.split("=", 1))
            plugins[name] = importlib.import_module(module)
            continue
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == spec]
        if not found:
            raise pytest.UsageError(
                f"The plugin {spec!r} named in {INI_PLUGINS} is not installed. Install it with "
                f"`pip install -e .` in its folder (its pyproject.toml must list it under "
                f"[project.entry-points.\"{ENTRY_POINT_GROUP}\"]), or write {spec}=<module> to import it directly.")
        plugins[spec] = found[0].load()
    return plugins


class MigratedDatabases:
    """Databases the migrations made, one per plugin set, copied into each new data folder.

    A fresh app applies every migration of the core and its plugins, each in
    its own fsynced transaction - about a third of building an app. The first
    app of a kind in a session applies them for real; later apps of the same
    kind (same plugins, flags and environment) start from a copy of its
    freshly migrated database, which holds nothing but the schema and the
    migrations' own records. A data folder that already has a database, or
    one named by the test's flags or config, is never touched.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict[str, Path] = {}

    @staticmethod
    def kind(plugins: dict, installed: bool, flags: dict | None, env: dict | None) -> str:
        names = sorted(f"{name}={getattr(plugin, '__name__', type(plugin).__name__)}"
                       for name, plugin in plugins.items())
        return repr((names, installed, sorted((flags or {}).items(), key=repr), sorted((env or {}).items())))

    def copy_into(self, kind: str, data_dir: Path) -> bool:
        template = self.made.get(kind)
        database = data_dir / "hearthside.db"
        if template is None or database.exists():
            return False
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, database)
        return True

    def keep(self, kind: str, app) -> None:
        template = self.folder / f"migrated-{len(self.made)}.db"
        app.extensions["hearthside"].storage.backup(template)
        self.made[kind] = template


class CompiledTemplates:
    """Jinja's compiled templates, shared by every app a test process builds (a ``MemcachedBytecodeCache`` client).

    Each app has its own Jinja environment, so each compiled every template
    it rendered again: a twentieth of an in-process test's time. The cache is
    keyed by the template's name and a checksum of its source, so a changed
    template is compiled anew; what a page renders is the same.
    """

    def __init__(self):
        self._compiled: dict[str, bytes] = {}

    def get(self, key: str):
        return self._compiled.get(key)

    def set(self, key: str, value: bytes, timeout=None) -> None:
        self._compiled[key] = value

