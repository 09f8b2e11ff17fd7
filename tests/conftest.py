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

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from hearthside.testing import PASSWORD, Member, free_port, join_new_couple, onboard_couple, stop_server  # noqa: F401
from tests.support.bytecode import BYTECODE_CACHE

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _compiled_once_for_child_processes():
    """Python processes the tests start (servers, the CLI) keep their compiled bytecode in the run's cache folder.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (as on the CI machine), every
    ``hearthside serve`` a test starts would compile Hearthside from source
    again: 0.15 s of each start. The folder is the one the test run
    itself uses (tests/support/bytecode.py), kept between runs.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPYCACHEPREFIX", str(BYTECODE_CACHE))
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        yield


@pytest.fixture(scope="session")
def fresh_install(tmp_path_factory):
    """A clean copy of this repository with the README's ``pip install .`` done in its ``.venv``.

    Built once per session (tests/support/fresh_install.py); the suite's own
    environment is never installed into, so what it finds is what it was given.
    """
    from tests.support.fresh_install import fresh_install as install

    return install(tmp_path_factory.mktemp("fresh-install"))


@pytest.fixture(scope="session")
def hearthside_discover_installed() -> bool:
    """This repository tests the core with every installed plugin: the built-ins (the suite installs nothing
    into its own environment; the example plugin is tried in a fresh install, tests/test_example_plugin.py)."""
    return True


_stopping: list["ServerProcess"] = []


def pytest_sessionfinish(session, exitstatus) -> None:
    """Every server stopped in the background (:meth:`ServerProcess.stop_soon`) has exited before the run ends."""
    while _stopping:
        _stopping.pop().stop()


class ServerProcess:
    """A real ``hearthside serve`` on a loopback port."""

    _terminated = False
    ca: str | None = None  # the CA certificate of an HTTPS server, for ``verify=``

    def __init__(self, data_dir: Path, extra_args=(), env=None, plugins=(), program=None, cwd=None,
                 https: bool = False):
        """``program`` is the command that serves (default: this interpreter's ``-m hearthside serve``),
        e.g. ``[".venv/bin/hearthside", "serve"]`` of a fresh install. ``https`` serves with
        ``server.https: on``; then :attr:`ca` is the CA certificate it made, to pass as ``verify=``."""
        self.port = free_port()
        self.url = f"{'https' if https else 'http'}://127.0.0.1:{self.port}"
        if https:
            self.ca = str(data_dir / "tls" / "ca.crt")
            env = {**(env or {}), "HEARTHSIDE_SERVER__HTTPS": "on"}
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
        self.wait_until_healthy(self.url, self.process, self.log_path, timeout, verify=self.ca or True)

    @staticmethod
    def wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 20,
                           verify: str | bool = True) -> None:
        """Wait for ``/api/v1/health`` to answer 200; fail with the server's log if it exits or never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                if requests.get(url + "/api/v1/health", timeout=1, verify=verify).status_code == 200:
                    return
            except (requests.ConnectionError, OSError):  # OSError: the CA file is not made yet
                time.sleep(0.02)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{log_path.read_text(errors='replace')}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """Stop it as systemd does (SIGTERM), wait until it has, and return its exit code."""
        self._terminate()
        returncode = stop_server(self.process, timeout=15, asked=True)
        self.log.close()
        return returncode

    def stop_soon(self) -> None:
        """Ask it to stop and go on: a fixture's teardown need not wait the half second a stop takes.

        The run waits for every one of them before it ends (``pytest_sessionfinish`` below).
        """
        self._terminate()
        _stopping.append(self)

    def _terminate(self) -> None:
        if self.process.poll() is None and not self._terminated:
            self.process.terminate()
        self._terminated = True


@pytest.fixture
def card_app(make_app):
    """An app with the test card plugin (tests/support/testcards.py) registered as ``testcards``."""
    from tests.support import testcards

    return make_app(extra_plugins={"testcards": testcards})


@pytest.fixture
def card_couple(card_app):
    return onboard_couple(card_app.test_client())


@pytest.fixture
def server(data_dir):
    process = ServerProcess(data_dir)
    yield process
    process.stop_soon()


@pytest.fixture
def https_server(data_dir):
    """A real server with ``server.https: on``: ``https_server.ca`` is the CA it made, for ``verify=``."""
    process = ServerProcess(data_dir, https=True)
    yield process
    process.stop_soon()


@pytest.fixture
def card_server(data_dir):
    """A real server with the test card plugin (tests/support/testcards.py)."""
    process = ServerProcess(data_dir, plugins=["tests.support.testcards"])
    yield process
    process.stop_soon()


@pytest.fixture
def run_here(tmp_path, monkeypatch):
    """``hearthside ARGS`` run in this process through click's runner: cwd tmp_path, no HEARTHSIDE_* variables.

    The same command objects as ``python -m hearthside``, a third of a second
    quicker each (no interpreter to start). The core's commands only: a
    command added by an installed plugin needs a real process (tests/test_cli.py).
    Returns a ``subprocess.CompletedProcess``, as a real run would.
    """
    from hearthside.cli import cli

    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("HEARTHSIDE_")]:
        monkeypatch.delenv(name)

    def runner(*args) -> subprocess.CompletedProcess:
        result = CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    root = logging.getLogger()
    level = root.level
    yield runner
    root.setLevel(level)  # a command sets the level for its whole process (check-config: critical)
