"""The layers hold: the import-linter contracts in pyproject.toml, checked on the code as installed.

docs/architecture.md, "Layers": built-in plugins import only the plugin API
(their tests the test kit too), nothing outside the plugins imports a plugin,
only the core's own plugin (and the test kit) import the web shell, and the
core has no import cycle. import-linter reads imports through grimp, which finds
a package's modules in its folder; here the package ``hearthside`` is spread
over three folders (core/, plugins/, web/: see setup.py), so the contracts run
on a copy of their Python files laid out as one package, as a wheel installs
them. Plugin tests are no package (pytest imports them by file); in the copy
they are one, so their imports are checked too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import hearthside
import hearthside.plugins
import hearthside.web

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "pyproject.toml"
# Where each part of the package lives in this checkout (setup.py's ROOTS), as Python found it.
PARTS = {"": hearthside, "plugins": hearthside.plugins, "web": hearthside.web}
CONTRACTS = ("plugins-use-the-plugin-api", "the-core-imports-no-plugin", "the-web-shell-imports-no-plugin",
             "the-web-shell-sits-on-the-core", "no-import-cycles")
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _python_files(folder: str, names: list[str]) -> set[str]:
    """What copytree leaves out: everything but Python files and folders (templates, static files, caches)."""
    return {name for name in names
            if name == "__pycache__" or not (name.endswith(".py") or os.path.isdir(os.path.join(folder, name)))}


def installed_layout(target: Path) -> Path:
    """``target/hearthside``: the three folders' Python files as the one package a wheel installs."""
    package = target / "hearthside"
    for part, module in PARTS.items():
        shutil.copytree(Path(module.__path__[0]), package / part, ignore=_python_files, dirs_exist_ok=True)
    for tests in (package / "plugins").glob("*/tests"):
        (tests / "__init__.py").touch()
    return target


def lint(tree: Path, *contracts: str) -> tuple[int, str]:
    """``lint-imports`` with this repository's contracts (or some) on ``tree``: its exit code and report.

    It imports from its working folder, so ``hearthside`` is the copy there.
    """
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "250"}
    env.pop("PYTHONPATH", None)
    only = [option for contract in contracts for option in ("--contract", contract)]
    result = subprocess.run([sys.executable, "-c", LINT, str(CONFIG), "--no-cache", "--no-logo", *only], cwd=tree,
                            env=env, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def verdicts(report: str) -> dict[str, str]:
    """``{contract id: "KEPT" or "BROKEN"}`` from the report's summary lines."""
    declared = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    found = {}
    for contract in declared:
        verdict = re.search(rf"^{re.escape(contract['name'])} (KEPT|BROKEN)\b", report, re.M)
        if verdict:
            found[contract["id"]] = verdict[1]
    return found


def test_every_contract_is_declared_and_kept(tmp_path):
    code, report = lint(installed_layout(tmp_path))
    assert code == 0, report
    assert verdicts(report) == {contract: "KEPT" for contract in CONTRACTS}, report


# One import each contract forbids: (contract, file in the copy, line added to it).
FORBIDDEN = [
    ("plugins-use-the-plugin-api", "plugins/touch/model.py", "from hearthside.accounts import get_member"),
    ("plugins-use-the-plugin-api", "plugins/touch/tests/test_touch_plan.py", "from hearthside.auth import Principal"),
    ("the-core-imports-no-plugin", "pause.py", "from hearthside.plugins.touch import model"),
    ("the-web-shell-imports-no-plugin", "web/forget_notes.py", "from hearthside.plugins import rituals"),
    ("the-web-shell-sits-on-the-core", "member_pages.py", "from hearthside.web import forget_notes"),
    ("no-import-cycles", "events.py", "from hearthside import pause"),  # pause imports events
]


def test_every_contract_has_a_forbidden_import_below():
    assert {contract for contract, _path, _line in FORBIDDEN} == set(CONTRACTS)


@pytest.mark.parametrize("contract, path, line", FORBIDDEN)
def test_a_forbidden_import_breaks_its_contract(tmp_path, contract, path, line):
    tree = installed_layout(tmp_path)
    module = tree / "hearthside" / path
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    code, report = lint(tree, contract)
    assert code != 0, report
    assert verdicts(report) == {contract: "BROKEN"}, report


MAX_MODULE_LINES = 400  # docs/architecture.md: a module past this is split by role


def test_no_python_module_is_over_400_lines():
    """Small modules, one concept each: the core, the web shell, the plugins and the example (tests aside)."""
    modules = [path for folder in ("core", "web", "plugins", "examples") for path in (REPO / folder).rglob("*.py")
               if "tests" not in path.relative_to(REPO).parts and ".venv" not in path.parts]
    assert len(modules) > 100  # the walk found the code, not nothing
    too_long = {str(path.relative_to(REPO)): lines for path in modules
                if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert too_long == {}, f"split these by role: {too_long}"
