"""A real ``hearthside serve`` over HTTPS with the certificate authority it made itself (issue 17)."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
import requests
import socketio
from cryptography import x509

from hearthside import tls
from tests.conftest import PASSWORD, ServerProcess


@pytest.fixture(scope="module")
def read_only_server(tmp_path_factory):
    """One HTTPS server for the tests that only read from it (nobody signs up, nothing is renewed).

    Each start makes a certificate authority and a certificate; the tests that
    sign up, restart or renew have a server of their own (``https_server``).
    """
    process = ServerProcess(tmp_path_factory.mktemp("https") / "data", https=True)
    yield process
    process.stop_soon()


def onboard(server) -> dict:
    answer = requests.post(server.url + "/api/v1/onboarding", verify=server.ca, json={
        "couple": {"name": "Solo", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_with_the_ca_requests_succeed_and_without_it_they_fail(read_only_server):
    assert requests.get(read_only_server.url + "/api/v1/health", verify=read_only_server.ca).json()["status"] == "ok"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(read_only_server.url + "/api/v1/health")  # the public CAs know nothing of this server
    assert f"https://127.0.0.1:{read_only_server.port}/" in read_only_server.output()
    fingerprint = tls.fingerprint(tls.ca_certificate(Path(read_only_server.ca).parent.parent))
    assert fingerprint in read_only_server.output()  # the log line a member compares /trust with


def test_the_certificate_covers_localhost_and_the_loopback_addresses(read_only_server):
    for host in ("127.0.0.1", "localhost"):
        url = f"https://{host}:{read_only_server.port}/api/v1/health"
        assert requests.get(url, verify=read_only_server.ca).status_code == 200, host
    leaf = x509.load_pem_x509_certificates((Path(read_only_server.ca).parent / tls.SERVER_CERT).read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1", "::1"}


def test_keys_are_0600_and_a_restart_reuses_the_ca(data_dir):
    first = ServerProcess(data_dir, https=True)
    folder = data_dir / "tls"
    ca_before = (folder / tls.CA_CERT).read_bytes(), (folder / tls.CA_KEY).read_bytes()
    for name in (tls.CA_KEY, tls.SERVER_KEY):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert first.stop() == 0
    second = ServerProcess(data_dir, https=True)  # the same CA file still verifies it
    try:
        assert ((folder / tls.CA_CERT).read_bytes(), (folder / tls.CA_KEY).read_bytes()) == ca_before
        assert requests.get(second.url + "/api/v1/health", verify=second.ca).status_code == 200
        assert "certificate authority (" not in second.output()  # nothing made again
    finally:
        second.stop_soon()


def test_the_live_stream_runs_over_wss_with_the_ca(https_server):
    headers = onboard(https_server)
    token = headers["Authorization"].split()[1]
    session = requests.Session()
    session.verify = https_server.ca
    arrived, events = threading.Event(), []
    client = socketio.Client(reconnection=False, http_session=session)
    client.on("event", lambda data: (events.append(data), arrived.set()))
    client.connect(https_server.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    try:
        assert client.transport() == "websocket"
        assert requests.post(https_server.url + "/api/v1/pause", json={"minutes": 5}, headers=headers,
                             verify=https_server.ca).status_code == 200
        assert arrived.wait(5) and events[0]["type"] == "pause.started"
    finally:
        client.disconnect()
    untrusting = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        untrusting.connect(https_server.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)


def test_trust_serves_the_public_certificate_only(read_only_server):
    ca = tls.ca_certificate(Path(read_only_server.ca).parent.parent)
    answers = {path: requests.get(read_only_server.url + path, verify=read_only_server.ca)
               for path in ("/trust", "/trust/hearthside-ca.crt", "/trust/hearthside-ca.pem",
                            "/trust/hearthside.mobileconfig", "/manifest.webmanifest", "/sw.js", "/offline",
                            "/signin", "/welcome", "/api/v1/health", "/trust/ca.key", "/static/../tls/ca.key")}
    folder = Path(read_only_server.ca).parent
    key_bodies = [b"".join((folder / name).read_bytes().splitlines()[1:-1]) for name in (tls.CA_KEY, tls.SERVER_KEY)]
    for path, answer in answers.items():
        assert b"PRIVATE KEY" not in answer.content, path
        assert not any(body[:40] in answer.content.replace(b"\n", b"") for body in key_bodies), path
    assert answers["/trust/ca.key"].status_code == 404
    assert x509.load_der_x509_certificate(answers["/trust/hearthside-ca.crt"].content) == ca
    assert x509.load_pem_x509_certificate(answers["/trust/hearthside-ca.pem"].content) == ca
    page = answers["/trust"].text
    assert tls.fingerprint(ca) in page and "<svg" in page  # the fingerprint to compare and the QR code


def test_the_session_cookie_is_secure_over_https(https_server):
    onboard(https_server)
    answer = requests.post(https_server.url + "/api/v1/auth/session", verify=https_server.ca,
                           json={"username": "ann", "password": PASSWORD})
    assert answer.status_code == 200
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" not in answer.headers  # no HSTS: a home setup must stay recoverable


def served_serial(server) -> int:
    context = ssl.create_default_context(cafile=server.ca)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as secure:
            return x509.load_der_x509_certificate(secure.getpeercert(binary_form=True)).serial_number


def test_a_renewed_certificate_is_served_from_the_next_connection_without_a_restart(https_server):
    """What the daily renewal job relies on: gunicorn reads the certificate files for each new connection."""
    data_dir = Path(https_server.ca).parent.parent
    before = served_serial(https_server)
    tls.ensure_certificates(data_dir, ["localhost"], ["127.0.0.1", "::1", "10.9.8.7"])  # a new address: renewed
    after = served_serial(https_server)
    assert after != before
    assert after == x509.load_pem_x509_certificates((data_dir / "tls" / tls.SERVER_CERT).read_bytes())[0].serial_number
