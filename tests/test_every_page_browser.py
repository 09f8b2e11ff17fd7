"""Every member page of the core and of every built-in plugin, opened in real Chromium.

After the front end was split into a shared kit and a script per page, a page
that loads the wrong script, or a script that reaches for a helper it no longer
has, fails only in a browser: here each page must run its own script to the
end (``data-page-script="ran"``, set by hearthside-kit.js), throw nothing, break
no Content-Security-Policy rule and load nothing from outside this server.
The pages come from the URL map, so a page added later is opened too.
"""

from __future__ import annotations

import requests

from hearthside.app import create_app
from hearthside.testing import PASSWORD, PHONE, BrowserGuard, new_page
from tests.conftest import ServerProcess

SKIP = {"/welcome", "/signin", "/dashboard", "/dashboard/pair", "/logout"}
# Public pages and files of the installable app and of /trust: no member page (tests/test_app_shell.py,
# tests/test_tls.py open them).
PUBLIC_BLUEPRINTS = ("app_shell.", "trust.")


def member_pages(data_dir) -> list[str]:
    """Every GET page without a parameter in the URL map (not the API, a static file or the stream)."""
    app = create_app(flags={"data_dir": str(data_dir / "map")})
    try:
        return sorted(rule.rule for rule in app.url_map.iter_rules()
                      if "GET" in rule.methods and not rule.arguments and rule.rule not in SKIP
                      and not rule.rule.startswith(("/api/", "/static", "/socket.io", "/qr"))
                      and not rule.endpoint.endswith("static") and not rule.endpoint.startswith(PUBLIC_BLUEPRINTS))
    finally:
        app.extensions["hearthside"].shutdown()


def test_every_member_page_runs_its_script_cleanly(chromium, data_dir):
    paths = member_pages(data_dir)
    assert {"/", "/consent", "/matcher", "/rituals", "/touch", "/transparency"} <= set(paths), paths
    server = ServerProcess(data_dir)
    try:
        base = server.url
        answer = requests.post(f"{base}/api/v1/onboarding", timeout=10, json={
            "couple": {"name": "Ann & Bob"}, "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
        assert answer.status_code == 201, answer.text
        guard = BrowserGuard(base)
        page = new_page(chromium, guard, **PHONE)
        assert page.context.request.post(f"{base}/api/v1/auth/session",
                                         data={"username": "ann", "password": PASSWORD}).ok
        console_errors = []
        page.on("console", lambda message: console_errors.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text else None)
        not_run = []
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if page.get_attribute("body", "data-page-script") != "ran":
                not_run.append((path, page.get_attribute("body", "data-page")))
        assert not_run == [], "these pages' own scripts did not run to the end"
        assert guard.errors == [] and console_errors == [], (guard.errors, console_errors)
        assert guard.outside == []
    finally:
        server.stop_soon()
