"""Package discovery for the ``hearthside`` distribution.

Everything else is declared in ``pyproject.toml``. This file exists because
the import names differ from the folder names (``core/`` is ``hearthside``,
``plugins/`` is ``hearthside.plugins``, ``web/`` is ``hearthside.web``) and
setuptools' declarative ``packages.find`` cannot discover packages across
such a mapping. A hand-kept list could (and once did) forget a folder, leaving
a wheel without its API; here nothing is listed:

* every folder with an ``__init__.py`` under the three roots is a package;
* every other file under a package - templates, static files, catalogs, the
  plugin scaffold, a plugin's tests - ships as that package's data.

``tests/test_install.py`` builds the wheel and the sdist and fails if any
tracked file under the three roots is missing from them.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup

ROOTS = {"hearthside": "core", "hearthside.plugins": "plugins", "hearthside.web": "web"}
HERE = Path(__file__).resolve().parent
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def discover_packages(roots: dict[str, str]) -> dict[str, Path]:
    """``{dotted name: folder}`` for every folder holding an ``__init__.py`` under the roots."""
    found = {}
    for name, folder in roots.items():
        root = HERE / folder
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
            if "__init__.py" in filenames:
                relative = Path(dirpath).relative_to(root).parts
                found[".".join((name, *relative))] = Path(dirpath)
    return found


def discover_package_data(packages: dict[str, Path]) -> dict[str, list[str]]:
    """Each package's files that are not its own modules, nor inside a subpackage."""
    package_dirs = set(packages.values())
    data = {}
    for name, folder in packages.items():
        files = []
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".")
                                 and here / d not in package_dirs)
            for filename in sorted(filenames):
                own_module = here == folder and filename.endswith(".py")
                if own_module or filename.endswith(SKIPPED_SUFFIXES) or filename.startswith("."):
                    continue
                files.append((here / filename).relative_to(folder).as_posix())
        if files:
            data[name] = files
    return data


PACKAGES = discover_packages(ROOTS)

setup(
    packages=sorted(PACKAGES),
    package_dir={name: folder.relative_to(HERE).as_posix() for name, folder in PACKAGES.items()},
    package_data=discover_package_data(PACKAGES),
)
