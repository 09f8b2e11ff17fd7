"""Shared fixtures of this repository's tests.

The generic fixtures - ``make_app``, ``app``, ``client``, ``hs``, ``couple``,
``ann``, ``bob``, ``wall``, ``other_couple``, ``sockets``, ``clock``,
``scheduler``, ``privacy_matrix`` and ``data_dir`` - come from
:mod:`hearthside.testing`, the pytest plugin that plugin authors use too
(registered through the ``pytest11`` entry point; see docs/plugins/testing.md).
This file adds what only this repository needs: every installed plugin in each
app, real ``hearthside serve`` processes, and the names other test files import
from here (``from tests.conftest import Member, PASSWORD, ...``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hearthside.testing import PASSWORD, Member, free_port, join_new_couple, onboard_couple  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def fresh_install(tmp_path_factory):
    """A clean copy of this repository with the README's ``pip install .`` done in its ``.venv``.

    Built once per session (tests/support/fresh_install.py); the suite's own
    environment is never installed into, so what it finds is what it was given.
    """
    from tests.support.fresh_install import fresh_install as install

    return install(tmp_path_factory.mktemp("fresh-install"))


@pytest.fixture
def hearthside_discover_installed() -> bool:
    """This repository tests the core with every installed plugin: the built-ins (the suite installs nothing
    into its own environment; the example plugin is tried in a fresh install, tests/test_example_plugin.py)."""
    return True


class ServerProcess:
    """A real ``hearthside serve`` on a loopback port."""

    def __init__(self, data_dir: Path, extra_args=(), env=None, plugins=(), program=None, cwd=None):
        """``program`` is the command that serves (default: this interpreter's ``-m hearthside serve``),
        e.g. ``[".venv/bin/hearthside", "serve"]`` of a fresh install."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        clean_env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
        clean_env.update(env or {})
        if program is None:
            clean_env["PYTHONPATH"] = str(REPO_ROOT)
        self.log = open(self.log_path, "wb")
        # With test plugins, tests/support/launch.py starts the same server with them registered.
        if program is None:
            program = [sys.executable, "-m", "tests.support.launch",
                       *[arg for name in plugins for arg in ("--plugin", name)]] \
                if plugins else [sys.executable, "-m", "hearthside", "serve"]
        self.process = subprocess.Popen(
            [*map(str, program), "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir), *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=clean_env, cwd=cwd,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 20) -> None:
        self.log.flush()
        self.wait_until_healthy(self.url, self.process, self.log_path, timeout)

    @staticmethod
    def wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 20) -> None:
        """Wait for ``/api/v1/health`` to answer 200; fail with the server's log if it exits or never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                if requests.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{log_path.read_text(errors='replace')}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


@pytest.fixture
def server(data_dir):
    process = ServerProcess(data_dir)
    yield process
    process.stop()


@pytest.fixture
def card_server(data_dir):
    """A real server with the test card plugin (tests/support/testcards.py)."""
    process = ServerProcess(data_dir, plugins=["tests.support.testcards"])
    yield process
    process.stop()
