"""The Caddyfile of docs/install-pi.md ("Caddy in front instead"), run with Caddy 2 against a real server.

Skipped, with the reason, where Caddy is not installed (``apt-get install caddy``, or
``CADDY_BIN=/path/to/caddy``). The documented Caddyfile is used as written, with the
test's own addresses in place of ``hearth.local`` and port 8321, and global options that keep
this Caddy to loopback and to its own folders.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading

import pytest
import requests
import socketio

from hearthside.testing import free_port
from tests.conftest import PASSWORD, REPO_ROOT, ServerProcess

pytestmark = pytest.mark.slow
CADDY = shutil.which(os.environ.get("CADDY_BIN", "caddy"))
# The test's Caddy: loopback only, no admin port, no redirect listener on :80, no system trust store.
TEST_OPTIONS = """{{
	admin off
	default_bind 127.0.0.1
	auto_https disable_redirects
	skip_install_trust
	https_port {port}
	storage file_system {storage}
}}
"""


def documented(language: str) -> str:
    text = (REPO_ROOT / "docs" / "install-pi.md").read_text(encoding="utf-8")
    section = text[text.index("**Caddy in front instead**"):]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def behind_caddy(tmp_path, data_dir):
    if CADDY is None:
        pytest.skip("Caddy is not installed (apt-get install caddy, or set CADDY_BIN)")
    port = free_port()
    url = f"https://localhost:{port}"
    server = ServerProcess(data_dir, env={"HEARTHSIDE_SERVER__PROXIES": "1", "HEARTHSIDE_SERVER__BASE_URL": url})
    caddyfile = tmp_path / "Caddyfile"
    site = documented("caddyfile").replace("hearth.local", f"localhost:{port}") \
        .replace("127.0.0.1:8321", f"127.0.0.1:{server.port}")
    caddyfile.write_text(TEST_OPTIONS.format(port=port, storage=tmp_path / "caddy") + site)
    log = open(tmp_path / "caddy.log", "wb")
    caddy = subprocess.Popen([CADDY, "run", "--config", str(caddyfile), "--adapter", "caddyfile"], stdout=log,
                             stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(tmp_path)})
    root = tmp_path / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        ServerProcess.wait_until_healthy(url, caddy, tmp_path / "caddy.log", verify=str(root))
        yield url, str(root), server
    finally:
        caddy.terminate()
        caddy.wait(timeout=10)
        log.close()
        server.stop_soon()


def test_the_documented_hearthside_settings_are_the_ones_tested():
    settings = documented("yaml")
    assert "host: 127.0.0.1" in settings and "proxies: 1" in settings and "base_url: https://hearth.local" in settings


def test_through_caddy_the_cookie_is_secure_and_the_live_stream_runs(behind_caddy):
    url, root, server = behind_caddy
    answer = requests.post(url + "/api/v1/onboarding", verify=root, json={
        "couple": {"name": "Solo", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    signed_in = requests.post(url + "/api/v1/auth/session", json={"username": "ann", "password": PASSWORD},
                              verify=root)
    assert "Secure" in signed_in.headers["Set-Cookie"]  # Caddy said https, and Caddy is trusted

    session = requests.Session()
    session.verify = root
    arrived = threading.Event()
    client = socketio.Client(reconnection=False, http_session=session)
    client.on("event", lambda data: arrived.set())
    client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    try:
        requests.post(url + "/api/v1/pause", json={"minutes": 5}, verify=root,
                      headers={"Authorization": f"Bearer {token}"})
        assert arrived.wait(5)
    finally:
        client.disconnect()
