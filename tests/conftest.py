"""Shared fixtures: apps on a temporary data folder, and a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hearthside.app import create_app

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_app(data_dir):
    """Build apps on the test's data folder, isolated from the caller's environment."""
    built = []

    def factory(extra_plugins=None, flags=None, config_file=None, env=None):
        app = create_app(config_file, env=env or {}, flags={"data_dir": str(data_dir), **(flags or {})},
                         extra_plugins=extra_plugins)
        built.append(app)
        return app

    yield factory
    for app in built:
        app.extensions["hearthside"].shutdown()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


class ServerProcess:
    """A real ``hearthside serve`` on a loopback port."""

    def __init__(self, data_dir: Path, extra_args=(), env=None, plugins=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        clean_env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
        clean_env.update(env or {})
        clean_env["PYTHONPATH"] = str(REPO_ROOT)
        self.log = open(self.log_path, "wb")
        # With test plugins, tests/support/launch.py starts the same server with them registered.
        command = ["-m", "tests.support.launch", *[arg for name in plugins for arg in ("--plugin", name)]] \
            if plugins else ["-m", "hearthside", "serve"]
        self.process = subprocess.Popen(
            [sys.executable, *command, "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir), *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=clean_env,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.output()}")

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
    """A real server with the test card plugin (tests/support/card_plugin.py)."""
    process = ServerProcess(data_dir, plugins=["tests.support.card_plugin"])
    yield process
    process.stop()


class Member:
    """A signed-up member and a way to call the API as them."""

    def __init__(self, client, token: str, member: dict):
        self.client = client
        self.token = token
        self.id = member["id"]
        self.username = member["username"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(path, headers=self.headers, **kwargs)

    def put(self, path, **kwargs):
        return self.client.put(path, headers=self.headers, **kwargs)

    def delete(self, path, **kwargs):
        return self.client.delete(path, headers=self.headers, **kwargs)


PASSWORD = "correct horse battery"


def onboard_couple(client, first="ann", second="bob", couple_name="Ann & Bob"):
    """The first couple on a fresh server, through the real API: onboarding, invite, accept."""
    answer = client.post("/api/v1/onboarding", json={
        "couple": {"name": couple_name, "time_zone": "Europe/Berlin"},
        "member": {"username": first, "password": PASSWORD, "display_name": first.title()},
    })
    assert answer.status_code == 201, answer.json
    a = Member(client, answer.json["token"], answer.json["member"])
    code = a.post("/api/v1/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": second, "password": PASSWORD, "display_name": second.title()})
    assert answer.status_code == 201, answer.json
    return a, Member(client, answer.json["token"], answer.json["member"])


def join_new_couple(client, admin: Member, first="cat", second="dan"):
    """A second couple on the same server, through an admin's new-couple invite."""
    answer = admin.post("/api/v1/admin/invites")
    assert answer.status_code == 201, answer.json
    answer = client.post(f"/api/v1/invites/{answer.json['code']}/accept", json={
        "username": first, "password": PASSWORD, "display_name": first.title(),
        "couple": {"name": "Cat & Dan", "time_zone": "Europe/London"}})
    assert answer.status_code == 201, answer.json
    c = Member(client, answer.json["token"], answer.json["member"])
    code = c.post("/api/v1/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": second, "password": PASSWORD, "display_name": second.title()})
    return c, Member(client, answer.json["token"], answer.json["member"])


@pytest.fixture
def couple(client):
    """Two members of one couple: ``ann, bob = couple``."""
    return onboard_couple(client)
