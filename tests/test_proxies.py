"""``server.proxies``: X-Forwarded-* headers count only when a proxy the config names stands in front."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, onboard_couple

PROXY_SAYS = {"X-Forwarded-Proto": "https"}


def sign_in(client, username="ann", password=PASSWORD, forwarded_for="10.0.0.9"):
    return client.post("/api/v1/auth/session", json={"username": username, "password": password},
                       headers={**PROXY_SAYS, "X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": "127.0.0.1"})


@pytest.fixture
def proxied(make_app):
    """A server behind one trusted proxy (Caddy on the same Pi, talking to 127.0.0.1)."""
    app = make_app(flags={"server.proxies": 1})
    onboard_couple(app.test_client())
    return app


@pytest.fixture
def exposed(make_app):
    """The default: no proxy is trusted, whatever a request's headers claim."""
    app = make_app()
    onboard_couple(app.test_client())
    return app


def test_a_trusted_proxy_saying_https_makes_the_session_cookie_secure(proxied):
    answer = sign_in(proxied.test_client())
    assert answer.status_code == 200
    assert "Secure" in answer.headers["Set-Cookie"]


def test_an_untrusted_proxy_header_changes_nothing(exposed):
    answer = sign_in(exposed.test_client())
    assert answer.status_code == 200
    assert "Secure" not in answer.headers["Set-Cookie"]  # plain http stays plain http


def test_behind_a_trusted_proxy_each_visitor_has_their_own_sign_in_limit(proxied):
    client = proxied.test_client()
    for number in range(5):  # five wrong guesses from one visitor, at five usernames: that address waits
        assert sign_in(client, f"nobody{number}", "wrong password", forwarded_for="10.0.0.9").status_code == 401
    assert sign_in(client, "ann", forwarded_for="10.0.0.9").status_code == 429
    assert sign_in(client, "bob", forwarded_for="10.0.0.10").status_code == 200  # the partner's phone does not


def test_without_a_trusted_proxy_a_forged_address_does_not_escape_the_limit(exposed):
    client = exposed.test_client()
    for number in range(5):  # a guesser changing X-Forwarded-For every time is still one address
        answer = sign_in(client, f"nobody{number}", "wrong password", forwarded_for=f"10.0.0.{number}")
        assert answer.status_code == 401
    limited = sign_in(client, "bob", forwarded_for="10.0.0.200")
    assert limited.status_code == 429 and limited.json["error"]["code"] == "too_many_attempts"


def test_only_the_entry_the_proxy_added_counts(proxied):
    """A visitor's own X-Forwarded-For entries come first; with one proxy only the last entry is theirs."""
    client = proxied.test_client()
    for number in range(5):
        forged = f"192.0.2.{number}, 10.0.0.9"  # the visitor made up the first, Caddy appended the second
        assert sign_in(client, f"nobody{number}", "wrong password", forwarded_for=forged).status_code == 401
    assert sign_in(client, "ann", forwarded_for="192.0.2.99, 10.0.0.9").status_code == 429


def test_a_real_server_trusts_no_forwarded_header_unless_told(server):
    """gunicorn honours X-Forwarded-Proto from 127.0.0.1 by itself; Hearthside turns that off, so
    ``server.proxies`` is the one setting that decides (a local process must not pass for a proxy)."""
    import requests

    onboard_couple_over_http(server.url)
    answer = requests.post(server.url + "/api/v1/auth/session", json={"username": "ann", "password": PASSWORD},
                           headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"})
    assert answer.status_code == 200
    assert "Secure" not in answer.headers["Set-Cookie"]


def onboard_couple_over_http(url: str) -> None:
    import requests

    answer = requests.post(url + "/api/v1/onboarding", json={
        "couple": {"name": "Solo", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    assert answer.status_code == 201, answer.text
