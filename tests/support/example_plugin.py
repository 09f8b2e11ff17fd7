"""Install examples/gratitude-jar into this test environment, the way a user would: with pip.

The example is a third-party plugin with its own pyproject.toml; it reaches
Hearthside only through its ``hearthside.plugins`` entry point. The README's
test command stays one command: the first test session in a fresh virtualenv
runs ``pip install --no-deps -e examples/gratitude-jar`` once, before any test,
so every app of the session - and every server process - finds it the same way.
"""

from __future__ import annotations

import fcntl
import importlib
import site
import subprocess
import sys
import sysconfig
from importlib.metadata import entry_points
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "gratitude-jar"
NAME = "gratitude_jar"
MODULE = "hearthside_gratitude_jar"


def installed() -> bool:
    return any(ep.name == NAME for ep in entry_points(group="hearthside.plugins"))


def ensure_installed() -> bool:
    """Install the example unless its entry point is already there; returns True if it installed it.

    A lock keeps two test sessions on one virtualenv from running pip at once.
    Without build isolation when setuptools and wheel are at hand (no download), else
    with it (pip fetches setuptools from the package index).
    """
    if installed():
        return False
    purelib = Path(sysconfig.get_paths()["purelib"])
    with open(purelib / ".hearthside-example-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        importlib.invalidate_caches()
        if installed():
            return False
        command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", str(EXAMPLE)]
        if all(importlib.util.find_spec(name) is not None for name in ("setuptools", "wheel")):
            command.insert(5, "--no-build-isolation")
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"could not install {EXAMPLE}:\n{done.stdout}\n{done.stderr}")
    _activate(purelib)
    return True


def _activate(purelib: Path) -> None:
    """Make this running interpreter import what pip just installed.

    The new ``.pth`` file (an editable install) is read only when Python
    starts; process just that one now, as ``site`` would have.
    """
    importlib.invalidate_caches()
    known = set(sys.path)
    for pth in sorted(purelib.glob("*.pth")):
        if MODULE in pth.name or "gratitude_jar" in pth.name:
            site.addpackage(str(purelib), pth.name, known)
    importlib.invalidate_caches()
    importlib.import_module(MODULE)  # fails loudly here rather than as a "failed" plugin later
