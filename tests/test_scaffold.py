"""``hearthside new-plugin``: what it writes, what it refuses, and that the result
installs with pip and passes its own tests in a fresh virtualenv.

The fresh-virtualenv test is the slow one of this file: a new virtualenv
(``python -m venv --without-pip``; this environment's pip installs into it with
``--python``), then ``pip install -e <this repository>`` and
``pip install -e '<plugin>[test]'`` - which resolve Hearthside's dependencies
from the package index (the pip cache makes that quick after the first time) -
then the generated tests run with that virtualenv's Python. Measured on the
2-core machine: about 32 s when it is idle, about 65 s under heavy load.

``HEARTHSIDE_SCAFFOLD_LAYERED_VENV=1`` skips installing this repository: the new
virtualenv reads Hearthside and its dependencies from this environment's
site-packages through a ``.pth`` layer (like ``--system-site-packages``, with
this virtualenv as the "system") and pip installs only the plugin. No index
needed but for the build backend; about 13 s idle.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from hearthside.plugin_scaffold import FILES, ScaffoldError, create, plugin_name

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYERED = os.environ.get("HEARTHSIDE_SCAFFOLD_LAYERED_VENV") == "1"


def run(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTHSIDE_", "PYTHONPATH", "PYTEST_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def new_plugin(*args, cwd=None) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "hearthside", "new-plugin", *args, cwd=cwd, timeout=60)


# -- what it writes and what it refuses -----------------------------------------------------------


def test_new_plugin_writes_a_complete_package(tmp_path):
    done = new_plugin("Kind-Words", "--dir", tmp_path)
    assert done.returncode == 0, done.stderr
    target = tmp_path / "kind-words"
    assert f"Created {target}" in done.stdout and "pip install -e" in done.stdout
    written = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert written == sorted([
        ".gitignore", "README.md", "pyproject.toml", "tests/conftest.py", "tests/test_kind_words.py",
        "hearthside_kind_words/__init__.py", "hearthside_kind_words/api.py", "hearthside_kind_words/migrations.py",
        "hearthside_kind_words/event_types.toml",
        "hearthside_kind_words/model.py", "hearthside_kind_words/data.py", "hearthside_kind_words/pages.py",
        "hearthside_kind_words/static/kind_words.js", "hearthside_kind_words/templates/kind_words/index.html"])
    assert len(written) == len(FILES)
    everything = "\n".join(p.read_text() for p in target.rglob("*") if p.is_file())
    assert "@@" not in everything  # every placeholder filled
    pyproject = (target / "pyproject.toml").read_text()
    assert '[project.entry-points."hearthside.plugins"]\nkind_words = "hearthside_kind_words"' in pyproject
    assert 'test = ["pytest>=8.0"]' in pyproject and 'hearthside_plugins = ["kind_words"]' in pyproject
    module = (target / "hearthside_kind_words" / "__init__.py").read_text()
    for hook in ("hearthside_migrations", "hearthside_blueprints", "hearthside_nav_items",
                 "hearthside_dashboard_cards", "hearthside_consent_scopes", "hearthside_scheduled_jobs",
                 "hearthside_config_schema", "hearthside_export", "hearthside_forget"):
        # written out, or the layout's standard one (hearthside_export = layout.export(__name__))
        assert f"def {hook}(" in module or f"{hook} = layout.{hook.removeprefix('hearthside_')}(__name__)" in module
    for name in target.rglob("*.py"):
        compile(name.read_text(), str(name), "exec")  # valid Python, whatever the name


def test_the_generated_plugin_registers_cleanly_in_process(tmp_path, make_app, monkeypatch):
    target = create("quiet_notes", tmp_path)
    monkeypatch.syspath_prepend(str(target))
    import hearthside_quiet_notes

    app = make_app(extra_plugins={"quiet_notes": hearthside_quiet_notes}, discover_installed=False)
    hs = app.extensions["hearthside"]
    assert {row["name"]: row["state"] for row in hs.plugins.report()} == {"core": "loaded", "quiet_notes": "loaded"}
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/quiet_notes/notes"]) == {"get", "post"}
    jobs = [job.id for jobs in hs.plugins.call("hearthside_scheduled_jobs", hs=hs) for job in jobs]
    assert jobs == ["quiet_notes.daily_prompt"]


@pytest.mark.parametrize("raw, says", [
    ("x", "cannot be a plugin name"),
    ("9lives", "cannot be a plugin name"),
    ("kind words!", "cannot be a plugin name"),
    ("a" * 41, "cannot be a plugin name"),
    ("matcher", "built-in part of Hearthside"),
    ("Core", "built-in part of Hearthside"),
])
def test_a_bad_name_is_refused_and_nothing_is_written(tmp_path, raw, says, run_here):
    done = run_here("new-plugin", raw, "--dir", tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("Not created: ") and says in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path, run_here):
    (tmp_path / "kind-words").mkdir()
    (tmp_path / "kind-words" / "mine.txt").write_text("keep me")
    done = run_here("new-plugin", "kind-words", "--dir", tmp_path)
    assert done.returncode == 1 and "already exists and is not empty" in done.stderr
    assert [p.name for p in (tmp_path / "kind-words").iterdir()] == ["mine.txt"]
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "kind-words").mkdir()
    assert run_here("new-plugin", "kind-words", "--dir", tmp_path / "empty").returncode == 0  # an empty folder is fine


def test_names_are_normalised():
    assert plugin_name("Kind-Words") == "kind_words"
    assert plugin_name("hearthside-kind-words") == "kind_words"
    with pytest.raises(ScaffoldError):
        plugin_name("touch")


def test_the_default_folder_is_the_current_one(tmp_path, run_here):
    assert run_here("new-plugin", "kind-words").returncode == 0  # run_here runs in tmp_path
    assert (tmp_path / "kind-words" / "pyproject.toml").is_file()


# -- pip install -e and its tests, in a fresh virtualenv ------------------------------------------------


def site_dirs() -> list[str]:
    """This environment's site-packages (where Hearthside, its dependencies and pytest live)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def make_venv(where: Path) -> Path:
    """A new virtualenv (no pip of its own: this environment's pip installs into it with --python)."""
    done = run(sys.executable, "-m", "venv", "--without-pip", where)
    assert done.returncode == 0, done.stderr
    python = where / "bin" / "python"
    if LAYERED:
        purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
        layer = "".join(f"import site; site.addsitedir({path!r})\n" for path in site_dirs())
        (Path(purelib) / "_hearthside_test_layer.pth").write_text(layer)
    return python


def pip_install(python: Path, *args: str) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "pip", "--python", python, "install", "-q", *args, timeout=600)


@pytest.mark.slow
def test_pip_install_and_the_generated_tests_pass_in_a_fresh_venv(tmp_path):
    started = time.monotonic()
    assert new_plugin("kind-words", "--dir", tmp_path).returncode == 0
    plugin = tmp_path / "kind-words"
    python = make_venv(tmp_path / "venv")
    if not LAYERED:
        done = pip_install(python, "-e", REPO_ROOT)
        assert done.returncode == 0, done.stdout + done.stderr
    done = pip_install(python, "-e", f"{plugin}[test]")
    assert done.returncode == 0, done.stdout + done.stderr
    installed_at = time.monotonic() - started

    # Installed into the new virtualenv, not this one.
    where = run(python, "-c", "import importlib.metadata as m, sys; "
                "print(m.distribution('hearthside-kind-words').locate_file('')); print(sys.prefix)").stdout.split()
    assert where[0].startswith(str(tmp_path / "venv")) and where[1] == str(tmp_path / "venv")
    assert not any(ep.name == "kind_words" for ep in entry_points(group="hearthside.plugins"))

    done = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=plugin, timeout=600)
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary
    kind = "layered" if LAYERED else "fresh"
    print(f"\nscaffold venv ({kind}): install {installed_at:.1f} s, "
          f"total {time.monotonic() - started:.1f} s ({summary})")
