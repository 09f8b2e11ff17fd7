"""Keeps the hook API honest: every hookspec is documented, in its docstring and
in docs/hooks.md with its exact signature, and exercised by at least one test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from hearthside import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS_DOC = ROOT / "docs" / "hooks.md"
SPECS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if name.startswith("hearthside_")}
HEADING = re.compile(r"^#{2,4}\s+`?(hearthside_\w+)(\([^)]*\)(?: -> [^`\n]+)?)`?\s*$", re.MULTILINE)


def signature(name: str) -> str:
    """The spec's signature with its types, as the reference writes it (annotations are text: no quotes)."""
    return f"{name}{inspect.signature(SPECS[name])}".replace("'", "")


def test_hookspecs_are_found():
    assert len(SPECS) >= 13  # the hooks the foundation issue requires
    for name, fn in SPECS.items():
        assert hasattr(fn, "hearthside_spec"), f"{name} is not marked @hookspec"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_has_a_docstring_saying_whether_first_result(name):
    doc = inspect.getdoc(SPECS[name]) or ""
    assert len(doc) > 40, f"{name} needs a docstring: when it is called, arguments, return value"
    assert "first-result" in doc.lower(), f"{name}'s docstring must say whether it is first-result"
    is_first_result = SPECS[name].hearthside_spec.get("firstresult", False)
    assert ("not first-result" not in doc.lower()) == is_first_result, (
        f"{name}'s docstring disagrees with its firstresult={is_first_result}")


def test_every_hookspec_is_exercised_by_a_test():
    sources = [path for folder in (ROOT / "tests", ROOT / "plugins") for path in folder.rglob("*.py")
               if (path.name.startswith("test_") or path.name.endswith("_test.py"))
               and path.resolve() != Path(__file__).resolve()]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    untested = [name for name in SPECS if not re.search(rf"\b{name}\b", text)]
    assert untested == [], f"no test calls these hooks: {', '.join(untested)}"


def test_every_hookspec_is_in_the_hook_reference_with_its_exact_signature():
    documented = {name: name + args for name, args in HEADING.findall(HOOKS_DOC.read_text(encoding="utf-8"))}
    missing = [signature(name) for name in SPECS if name not in documented]
    assert missing == [], f"docs/hooks.md has no heading for: {', '.join(missing)}"
    wrong = [f"{documented[name]} should be {signature(name)}" for name in SPECS
             if documented[name] != signature(name)]
    assert wrong == [], "docs/hooks.md has stale signatures: " + "; ".join(wrong)
    stale = sorted(set(documented) - set(SPECS))
    assert stale == [], f"docs/hooks.md documents hooks that do not exist: {', '.join(stale)}"


def test_the_hook_reference_explains_registration_and_isolation():
    text = HOOKS_DOC.read_text(encoding="utf-8")
    assert '[project.entry-points."hearthside.plugins"]' in text
    assert "Isolation" in text


def test_the_event_types_listed_in_the_reference_are_exactly_the_ones_the_app_declares():
    from hearthside.plugin_manager import PluginManager, discover

    plugins = PluginManager()
    plugins.load(discover())  # the core and the built-in plugins, as installed
    declared = [(t.name, ", ".join(t.visibilities), plugin, t.description) for plugin, t in plugins.event_types]
    text = HOOKS_DOC.read_text(encoding="utf-8").split("#### Every declared event type", 1)[1].split("\n#", 1)[0]
    listed = [(name, visibility, plugin, description) for name, visibility, plugin, description
              in re.findall(r"^\| `([\w.]+)` \| ([\w, ]+) \| (\w+) \| (.*) \|$", text, re.MULTILINE)]
    assert len(declared) > 50
    assert listed == declared
