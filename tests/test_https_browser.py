"""A phone-sized Chromium over HTTPS with the server's own CA trusted: it signs in, the home page is live,
and the app is installable there (issue 17).

How the CA is trusted headless: Chromium's ``--ignore-certificate-errors-spki-list`` takes base64
SHA-256 hashes of public keys and accepts a chain that holds one of them - here the CA's, which
the server sends after its own certificate - so the browser trusts exactly this CA, as a phone
that installed it does. (An NSS database in a temporary $HOME would work as well, but needs
``certutil``, which Debian's Chromium does not bring.) Without the flag the same page fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from hearthside import tls
from hearthside.testing import CHROMIUM, LIVE_TIMEOUT_MS, PHONE, BrowserGuard, new_page, wait_until_live
from hearthside.testing.browser import CHROMIUM_ARGS, missing_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def launch(playwright, *extra_args):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args])


@pytest.fixture
def playwright():
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


def test_chromium_trusting_the_ca_signs_in_over_https_the_home_page_is_live_and_the_app_installable(playwright, https_server):
    from playwright.sync_api import Error, expect

    ca = tls.ca_certificate(Path(https_server.ca).parent.parent)
    answer = requests.post(https_server.url + "/api/v1/onboarding", verify=https_server.ca, json={
        "couple": {"name": "Solo", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    untrusting = launch(playwright)
    try:
        page = untrusting.new_page()
        with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
            page.goto(https_server.url + "/signin")
    finally:
        untrusting.close()

    browser = launch(playwright, f"--ignore-certificate-errors-spki-list={tls.spki_hash(ca)}")
    try:
        guard = BrowserGuard(https_server.url)
        phone = new_page(browser, guard, **PHONE)
        phone.goto("/signin")
        assert phone.evaluate("() => window.isSecureContext && location.protocol") == "https:"
        phone.fill("#username", "ann")
        phone.fill("#password", PASSWORD)
        phone.click("button:has-text('Sign in')")
        expect(phone).to_have_url(f"{https_server.url}/")
        cookie = next(c for c in phone.context.cookies() if c["name"] == "hearthside_session")
        assert cookie["secure"] and cookie["httpOnly"]
        wait_until_live(phone)
        phone.wait_for_function("() => Hearthside.socket.io.engine.transport.name === 'websocket'")  # wss://
        assert requests.post(https_server.url + "/api/v1/pause", json={"minutes": 5}, headers=headers,
                             verify=https_server.ca).status_code == 200
        expect(phone.locator("#pause-overlay")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(phone.locator("[data-pause-left]")).to_have_text(re.compile(r"^(05:00|04:5\d)$"))
        # Installable over HTTPS: the worker runs, and Chromium's own check finds nothing missing (the
        # one reason it lists is Playwright's incognito context, which Chromium never installs into).
        worker = phone.evaluate("async () => (await navigator.serviceWorker.ready).active.state")
        assert worker == "activated"
        errors = phone.context.new_cdp_session(phone).send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert [error["errorId"] for error in errors] in ([], ["in-incognito"]), errors
        assert guard.outside == [] and guard.errors == [], (guard.outside, guard.errors)
    finally:
        browser.close()
