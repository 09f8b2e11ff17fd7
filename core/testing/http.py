"""Talking to a real ``hearthside serve`` the way tests talk to an in-process app.

The member helpers (:func:`~hearthside.testing.onboard_couple`,
:class:`~hearthside.testing.Member`) take any client with Flask's test-client
calls, so :class:`HttpClient` lets the same set-up run against a server
process on a loopback port (:func:`free_port`, :func:`stop_server`).
"""

from __future__ import annotations

import socket
import subprocess


def free_port() -> int:
    """A free TCP port on the loopback interface (for a real server process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_server(process: subprocess.Popen, timeout: float = 15, asked: bool = False) -> int:
    """Stop a server process as systemd does (SIGTERM), kill it if it is not gone within ``timeout``
    seconds, and return its exit code. ``asked``: the SIGTERM was sent already (a second one is not)."""
    if not asked and process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return process.returncode


class HttpAnswer:
    """A ``requests`` response that reads like a Flask test response (``status_code``, ``json``)."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.json = response.json() if response.content else None

    def get_json(self):
        return self.json


class HttpClient:
    """Flask's test-client calls over real HTTP to a running ``hearthside serve``.

    So the same helpers (:func:`onboard_couple`, :func:`pair_device`,
    :class:`Member`) set up a couple on a real server as on an in-process app.
    """

    def __init__(self, base_url: str, timeout: float = 30):
        import requests  # a test dependency: only where a real server is used

        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()
        # A kept-alive connection holds a stopping server for gunicorn's linger
        # (2 s): tests that stop their server mid-test would wait for it.
        self.session.headers["Connection"] = "close"

    def _call(self, method, path, headers=None, json=None) -> HttpAnswer:
        return HttpAnswer(self.session.request(method, self.base_url + path, headers=headers, json=json,
                                               timeout=self.timeout))

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self._call("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self._call("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self._call("DELETE", path, **kwargs)
