"""This repository installed the way a user installs it: the README's ``pip install .``.

A clean copy of the tree (the files git tracks, plus new files not ignored)
goes to a temporary folder; there the README's own "Run it" command, minus
its final ``hearthside serve``, creates ``.venv`` and installs Hearthside
into it - not editable, so the wheel is exactly what a user gets. Tests then
start ``.venv/bin/hearthside`` from that folder. One install serves the whole
test session (``fresh_install`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
PI_GUIDE = REPO_ROOT / "docs" / "install-pi.md"
SERVE_SUFFIX = " && .venv/bin/hearthside serve"
UNTRACKED_NOISE = (".venv", ".git", "__pycache__", "build", "dist", "hearthside-data", ".pytest_cache")


def run_command(readme: Path = README) -> str:
    """The README's "Run it" command: the first ``sh`` block on the page."""
    return shell_blocks(readme)[0]


def shell_blocks(markdown: Path) -> list[str]:
    """The lines of every ```sh block of a Markdown file, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", markdown.read_text(), re.S)
    return [line for block in blocks for line in block.strip().splitlines()]


def install_command(readme: Path = README) -> str:
    """The "Run it" command without the final ``hearthside serve`` (the tests start it themselves)."""
    command = run_command(readme)
    assert command.endswith(SERVE_SUFFIX), f"the README's run command no longer ends by serving: {command}"
    return command[: -len(SERVE_SUFFIX)]


def source_files(root: Path = REPO_ROOT) -> list[Path]:
    """What a clean clone holds: tracked files and new ones git does not ignore (relative paths)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=root, capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an unpacked sdist): walk it
        return sorted(path.relative_to(root) for path in root.rglob("*")
                      if path.is_file() and not set(path.relative_to(root).parts) & set(UNTRACKED_NOISE))
    return sorted({Path(name) for name in listed.decode().split("\0") if name and (root / name).is_file()})


def clean_copy(destination: Path, root: Path = REPO_ROOT) -> Path:
    """Copy the tree as a fresh clone would have it; returns ``destination``."""
    for relative in source_files(root):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    return destination


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: none of this test session's Hearthside or pytest settings."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HEARTHSIDE_", "PYTEST_", "VIRTUAL_ENV", "PYTHONPATH"))}
    return {**env, **extra}


@dataclass
class FreshInstall:
    """A clean copy of the repository with the README's ``.venv`` installed inside it."""

    folder: Path

    @property
    def bin(self) -> Path:
        return self.folder / ".venv" / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def shell(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run a command line from the docs in the copy's folder, as a user's shell would."""
        done = subprocess.run(["bash", "-c", command], cwd=self.folder, capture_output=True, text=True,
                              env=user_env(), timeout=timeout)
        assert done.returncode == 0, f"`{command}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        return done

    def hearthside(self, *args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "hearthside"), *args], cwd=self.folder, capture_output=True,
                              text=True, env=user_env(), timeout=timeout, **kwargs)


def fresh_install(base: Path) -> FreshInstall:
    """Copy the tree to ``base/hearthside`` and run the README's install command there."""
    installed = FreshInstall(clean_copy(base / "hearthside"))
    installed.shell(install_command())
    return installed
