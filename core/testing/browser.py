"""Real Chromium for page tests: a page per person, watched for what leaves the house.

The ``chromium`` fixture itself is in :mod:`hearthside.testing.plugin`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


CHROMIUM = os.environ.get("HEARTHSIDE_CHROMIUM", "/usr/bin/chromium")
# Headless, and quiet on a closed network: no background calls to Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1280, "height": 800}}
LIVE_TIMEOUT_MS = 5000  # "at once" on a page; the websocket itself takes milliseconds
SCREENSHOTS = Path(os.environ.get("HEARTHSIDE_SCREENSHOTS", "/tmp"))  # page tests leave pictures here for a human


def missing_browser() -> str | None:
    """Why page tests cannot run here, or None when Playwright and Chromium are both installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


class BrowserGuard:
    """Collects requests that leave the server and errors thrown in pages: both should stay empty.

    Nothing a page loads may come from outside the home server (cardinal: nothing
    leaves the house), and a script error is a broken page even when it looks fine.
    """

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.outside: list[str] = []
        self.errors: list[str] = []

    def watch(self, context):
        context.on("request", self._request)
        context.on("page", lambda page: page.on("pageerror", lambda exc: self.errors.append(str(exc))))
        return context

    def _request(self, request):
        url = request.url
        if not (url.startswith(self.base_url) or url.startswith(self.base_url.replace("http", "ws", 1))
                or url.startswith(("data:", "blob:", "about:"))):
            self.outside.append(url)


def new_page(chromium, guard: BrowserGuard, **options):
    """A page in a fresh browser context (its own cookies: one person's phone) watched by ``guard``."""
    context = guard.watch(chromium.new_context(base_url=guard.base_url, **options))
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def signed_in_page(chromium, guard: BrowserGuard, username: str, password: str | None = None, **options):
    """A fresh page (see :func:`new_page`) signed in as ``username`` through the API's browser session:
    the cookie a real sign-in sets, so pages and their live stream see that member."""
    from .members import PASSWORD

    page = new_page(chromium, guard, **options)
    answer = page.context.request.post(guard.base_url + "/api/v1/auth/session",
                                       data={"username": username, "password": password or PASSWORD})
    assert answer.ok, answer.text()
    return page


def sign_in_with_form(page, username: str, password: str | None = None, next_path: str | None = None) -> None:
    """Sign in the way a person does: the sign-in page's form, typed and sent (then on to ``next_path``).

    :func:`signed_in_page` is quicker where the form itself is not under test.
    """
    from .members import PASSWORD

    page.goto("/signin" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username", username)
    page.fill("#password", password or PASSWORD)
    page.click("button:has-text('Sign in')")


def wait_until_live(page, timeout_ms: int = 10000) -> None:
    """The page's Socket.IO connection is up, so events sent from now on reach it."""
    page.wait_for_function("() => window.Hearthside && Hearthside.socket && Hearthside.socket.connected",
                           timeout=timeout_ms)
