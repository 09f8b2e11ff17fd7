"""One plugin layout, held by a test: the built-ins, the example and the scaffold are the same house.

A plugin author copies whichever plugin is closest to what they want; if the
four built-ins, ``examples/gratitude-jar`` and what ``hearthside new-plugin``
writes each had their own module names, each would teach a different layout.
So every one of them is read here (its source, with ``ast``: nothing is
imported) and held to the one layout that docs/plugins/tutorial.md and
docs/architecture.md ("Plugin layout") describe:

==================  =============================================================
``__init__.py``     hook implementations only (plus ``__version__``, ``HEARTHSIDE_API``, ``SEALED_ANSWERS``);
                    the standard ones as ``hearthside_<role> = layout.<role>(__name__)``
``api.py``          the JSON routes: ``api = Blueprint("<name>_api", ..., url_prefix="/api/v1/<name>")``
``pages.py``        the HTML pages: ``pages = Blueprint("<name>_pages", ...)``, static files at ``/<slug>/static``
``model.py``        the domain, where the other domain modules are reached from; no Flask
``data.py``         export and forget (``export(db, member_id)``, ``forget(db, member_id)``)
``migrations.py``   the tables
``event_types.toml``  the event types it emits (``hearthside_event_types = layout.event_types(__name__)``)
``static/``         the page's scripts and styles
``templates/<name>/``  the page's templates
``tests/conftest.py``  the plugin's own fixtures
==================  =============================================================
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_MODULES = ("__init__.py", "api.py", "pages.py", "model.py", "data.py", "migrations.py")
VIEW_MODULES = {"__init__.py", "api.py", "pages.py"}
METADATA = {"__version__", "HEARTHSIDE_API", "SEALED_ANSWERS"}  # SEALED_ANSWERS: for the privacy matrix
MAX_DOMAIN_LINES = 400


@dataclass
class Plugin:
    name: str  # the entry-point name: gratitude_jar
    package: Path  # the folder with __init__.py
    tests: Path  # the folder with the plugin's tests

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    def tree(self, module: str) -> ast.Module:
        return ast.parse((self.package / module).read_text(encoding="utf-8"), module)

    def domain_modules(self) -> list[Path]:
        return [path for path in sorted(self.package.rglob("*.py"))
                if path.name not in VIEW_MODULES and self.tests not in path.parents]


def built_in(name: str) -> Plugin:
    package = ROOT / "plugins" / name
    return Plugin(name, package, package / "tests")


def example() -> Plugin:
    project = ROOT / "examples" / "gratitude-jar"
    return Plugin("gratitude_jar", project / "hearthside_gratitude_jar", project / "tests")


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory) -> Plugin:
    """What ``hearthside new-plugin kind-words`` writes today, run as a member of the public would."""
    parent = tmp_path_factory.mktemp("scaffold")
    done = subprocess.run([sys.executable, "-m", "hearthside", "new-plugin", "kind-words", "--dir", str(parent)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    project = parent / "kind-words"
    return Plugin("kind_words", project / "hearthside_kind_words", project / "tests")


PLUGINS = ["matcher", "rituals", "touch", "transparency", "example", "scaffold"]


@pytest.fixture(params=PLUGINS)
def plugin(request) -> Plugin:
    if request.param == "example":
        return example()
    if request.param == "scaffold":
        return request.getfixturevalue("scaffolded")
    return built_in(request.param)


def blueprints(tree: ast.Module) -> dict[str, tuple[list, dict]]:
    """``variable -> (positional args, keyword args)`` of every ``x = Blueprint(...)`` at module level."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and getattr(node.value.func, "id", None) == "Blueprint":
            args = [arg.id if isinstance(arg, ast.Name) else ast.literal_eval(arg) for arg in node.value.args]
            keywords = {kw.arg: ast.literal_eval(kw.value) for kw in node.value.keywords}
            found |= {target.id: (args, keywords) for target in node.targets}
    return found


def layout_hook(node: ast.stmt) -> str | None:
    """The hook a ``hearthside_<role> = layout.<role>(__name__)`` line implements, or None for any other line.

    ``layout.export`` calls ``data.export(db, member_id)``, so that line keeps export in ``data.py`` too.
    """
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
            and isinstance(node.value, ast.Call) and calls_to(node.value.func, "layout") \
            and node.targets[0].id == f"hearthside_{node.value.func.attr}" \
            and [ast.unparse(arg) for arg in node.value.args] == ["__name__"]:
        return node.targets[0].id
    return None


def calls_to(tree: ast.AST, module: str) -> set[str]:
    """The names a function body reaches through ``module.<name>``."""
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == module}


# -- the checks, each with the way it catches what it is for ---------------------------------------


def test_the_required_modules_and_folders_are_there(plugin):
    missing = [name for name in REQUIRED_MODULES if not (plugin.package / name).is_file()]
    missing += [] if (plugin.package / "event_types.toml").is_file() else ["event_types.toml"]
    missing += [f"{folder}/" for folder in ("static", f"templates/{plugin.name}") if not (plugin.package / folder).is_dir()]
    missing += [] if (plugin.tests / "conftest.py").is_file() else ["tests/conftest.py"]
    assert missing == [], f"{plugin.name} lacks {missing}"


def test_the_package_module_holds_only_hook_implementations(plugin):
    """Anything else in ``__init__`` (a job, a helper, a constant) belongs to a module with a role."""
    strays = []
    for index, node in enumerate(plugin.tree("__init__.py").body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Assign) and {getattr(t, "id", None) for t in node.targets} <= METADATA:
            continue
        if isinstance(node, ast.FunctionDef) and node.name.startswith("hearthside_") \
                and [getattr(d, "id", None) for d in node.decorator_list] == ["hookimpl"]:
            continue
        if layout_hook(node):
            continue
        strays.append(getattr(node, "name", None) or ast.unparse(node).splitlines()[0])
    assert strays == [], f"{plugin.name}/__init__.py defines more than hooks: {strays}"


def test_export_and_forget_are_the_data_modules(plugin):
    tree = plugin.tree("data.py")
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"export", "forget"} <= defined, f"{plugin.name}/data.py defines {sorted(defined)}"
    hooks = {node.name: node for node in plugin.tree("__init__.py").body if isinstance(node, ast.FunctionDef)}
    hooks |= {hook: node for node in plugin.tree("__init__.py").body if (hook := layout_hook(node))}
    assert "export" in calls_to(hooks["hearthside_export"], "data") | calls_to(hooks["hearthside_export"], "layout")
    assert "forget" in calls_to(hooks["hearthside_forget"], "data") | calls_to(hooks["hearthside_forget"], "layout")


def test_one_blueprint_naming_and_one_way_to_mount_static_files(plugin):
    api = blueprints(plugin.tree("api.py"))
    assert list(api) == ["api"], f"{plugin.name}/api.py names its blueprints {list(api)}"
    args, keywords = api["api"]
    assert args == [f"{plugin.name}_api", "__name__"] and keywords == {"url_prefix": f"/api/v1/{plugin.name}"}

    pages = blueprints(plugin.tree("pages.py"))
    assert list(pages) == ["pages"], f"{plugin.name}/pages.py names its blueprints {list(pages)}"
    args, keywords = pages["pages"]
    assert args == [f"{plugin.name}_pages", "__name__"]
    assert keywords == {"template_folder": "templates", "static_folder": "static",
                        "static_url_path": f"/{plugin.slug}/static"}, plugin.name


def test_domain_modules_import_no_flask_and_stay_small(plugin):
    modules = plugin.domain_modules()
    assert plugin.package / "model.py" in modules
    flask = {}
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            flask |= {path.name: name for name in names if name.split(".")[0] in ("flask", "werkzeug")}
    assert flask == {}, f"{plugin.name}: domain modules import {flask}"
    long = {path.name: n for path in modules if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_DOMAIN_LINES}
    assert long == {}, f"{plugin.name}: split these by role: {long}"


def test_one_clock(plugin):
    """Now comes from ``hearthside.plugin_api.utc_now``, which tests move; a plugin keeps no clock of its own."""
    own = []
    for path in plugin.package.rglob("*.py"):
        if plugin.tests in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today") \
                    and getattr(node.value, "id", None) in ("datetime", "date"):
                own.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.FunctionDef) and node.name.lstrip("_") in ("now", "utcnow", "utc_now"):
                own.append(f"{path.name}:{node.lineno} def {node.name}")
    assert own == [], f"{plugin.name} reads the time itself: {own}"
