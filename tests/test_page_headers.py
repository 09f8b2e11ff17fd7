"""Every HTML answer - the core's pages, every plugin's, error pages - carries the same page headers.

The core adds them in one place (``hearthside.page_headers``); no plugin keeps a
copy. The test walks the whole URL map as a signed-in member, so a page added
tomorrow is checked without being listed here.
"""

from __future__ import annotations

import pytest

from hearthside.page_headers import CONTENT_SECURITY_POLICY
from hearthside.testing import sign_in_browser

HOST = "localhost"  # the test client's, where the session cookie is sent
EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(
        "connect-src 'self'", f"connect-src 'self' ws://{HOST} wss://{HOST}"),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# Where a rule wants an argument, a value of the right kind: the page may well answer 404, which is HTML too.
SAMPLE_ARGUMENTS = {"int": "1", "default": "x", "path": "x", "string": "x"}


def page_urls(app) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route that is not the API, a static file or the live stream."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/socket.io")):
            continue
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            kind = type(converter).__name__.removesuffix("Converter").lower()
            value = SAMPLE_ARGUMENTS.get(kind, "x")
            path = path.replace(f"<{name}>", value)
            for spelled in (f"<{kind}:{name}>", f"<int:{name}>", f"<path:{name}>", f"<string:{name}>"):
                path = path.replace(spelled, value)
        assert "<" not in path, f"no sample argument for {rule.rule}"
        urls.append((rule.endpoint, path))
    return urls


def test_every_html_answer_carries_the_page_headers_with_the_websocket_fallback(app, ann):
    browser = sign_in_browser(app, ann)
    seen_by_blueprint: dict[str, int] = {}
    for endpoint, path in page_urls(app):
        answer = browser.get(path, headers={"Host": HOST})
        assert answer.status_code < 500, (path, answer.status_code)
        if answer.mimetype != "text/html":
            assert answer.headers.get("X-Content-Type-Options") == "nosniff", path
            continue
        for name, value in EXPECTED.items():
            assert answer.headers.get(name) == value, (path, name, answer.headers.get(name))
        if answer.status_code == 200:
            blueprint = endpoint.rpartition(".")[0]
            seen_by_blueprint[blueprint] = seen_by_blueprint.get(blueprint, 0) + 1
    # The walk reached real pages of the core and of every built-in plugin, not only 404s.
    for blueprint in ("pages", "matcher_pages", "rituals_pages", "touch_pages", "transparency_pages"):
        assert seen_by_blueprint.get(blueprint), (blueprint, seen_by_blueprint)


@pytest.mark.parametrize("path", ["/signin", "/no-such-page", "/touch/static/touch.js"])
def test_pages_nobody_signed_in_reaches_carry_them_too(client, couple, path):
    answer = client.get(path, headers={"Host": HOST})
    assert answer.status_code in (200, 404), answer.status_code
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    if answer.mimetype == "text/html":
        assert {name: answer.headers.get(name) for name in EXPECTED} == EXPECTED
    else:  # a plugin's script: nosniff, and cached like any static file
        assert "Content-Security-Policy" not in answer.headers


def test_a_host_that_is_not_a_plain_name_gets_the_policy_without_naming_it(client, couple):
    answer = client.get("/signin", headers={"Host": "evil.example/x y"})
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_named_host_is_the_one_the_page_was_asked_on(client, couple):
    answer = client.get("/signin", headers={"Host": "hearthside.local:8321"})
    assert "connect-src 'self' ws://hearthside.local:8321 wss://hearthside.local:8321;" in \
        answer.headers["Content-Security-Policy"]
