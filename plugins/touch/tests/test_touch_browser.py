"""End to end in real Chromium against a real ``hearthside serve``: two phones in a session.

Ann starts a session; Bob's phone switches to the traffic light live. Ann taps
yellow: Bob's phone shows it at once. Bob taps red: the session ends and the
pause overlay covers both phones.

Debian's Chromium through Playwright (never a downloaded browser). Skipped,
with the reason, where either is missing - except with
``REQUIRE_BROWSER_TESTS=1``, where a missing browser fails.
"""

from __future__ import annotations

import pytest
import requests

from hearthside.testing import LIVE_TIMEOUT_MS, PHONE, SCREENSHOTS
from tests.conftest import PASSWORD, ServerProcess



@pytest.fixture
def touch_server(data_dir):
    process = ServerProcess(data_dir)
    yield process
    process.stop_soon()


def _couple(base: str) -> None:
    answer = requests.post(f"{base}/api/v1/onboarding", json={
        "couple": {"name": "Ann & Bob", "time_zone": "Europe/Berlin"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}}, timeout=10)
    assert answer.status_code == 201, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    code = requests.post(f"{base}/api/v1/invites", headers=headers, timeout=10).json()["code"]
    joined = requests.post(f"{base}/api/v1/invites/{code}/accept", timeout=10,
                           json={"username": "bob", "password": PASSWORD, "display_name": "Bob"})
    assert joined.status_code == 201, joined.text


def test_yellow_shows_on_the_partners_phone_and_red_pauses_both(chromium, touch_server):
    from playwright.sync_api import expect

    base = touch_server.url
    _couple(base)
    outside, errors, phones = [], [], {}
    for name in ("ann", "bob"):
        context = chromium.new_context(base_url=base, **PHONE)
        context.on("request", lambda request: None if request.url.startswith(
            (base, base.replace("http", "ws", 1), "data:", "blob:", "about:")) else outside.append(request.url))
        signed_in = context.request.post(f"{base}/api/v1/auth/session", data={"username": name, "password": PASSWORD})
        assert signed_in.ok, signed_in.text()
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/touch")
        expect(page.locator("body[data-touch-ready='1']")).to_be_attached()
        expect(page.locator("[data-plan-name]")).to_have_text("Being close")
        phones[name] = page
    ann, bob = phones["ann"], phones["bob"]

    # Ann starts; Bob's phone turns into the traffic light without a reload.
    ann.click("[data-session-start]")
    for phone in (ann, bob):
        expect(phone.locator("[data-session]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(phone.locator("[data-my-light]")).to_have_attribute("data-my-light", "green")
    expect(bob.locator("[data-partner-light]")).to_be_hidden()

    # Yellow on Ann's phone shows on Bob's at once; the session goes on.
    ann.click("[data-signal='yellow']")
    expect(ann.locator("[data-my-light]")).to_have_attribute("data-my-light", "yellow")
    expect(bob.locator("[data-partner-light]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator("[data-partner-light]")).to_contain_text("Ann asked to slow down")
    expect(bob.locator("[data-my-light]")).to_have_attribute("data-my-light", "yellow")  # the big light too
    expect(bob.locator("[data-session]")).to_be_visible()
    bob.screenshot(path=str(SCREENSHOTS / "touch-yellow-bob.png"))

    # Red on Bob's phone ends the session and the pause covers both phones.
    bob.click("[data-signal='red']")
    for phone in (bob, ann):
        expect(phone.locator("#pause-overlay")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(phone.locator("[data-session]")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    ann.screenshot(path=str(SCREENSHOTS / "touch-red-ann.png"))
    state = requests.get(f"{base}/api/v1/touch/sessions", timeout=10,
                         headers={"Authorization": "Bearer " + _token(base, "ann")}).json()
    assert state["past"][0]["end_reason"] == "red"
    assert outside == [] and errors == []


def _token(base: str, username: str) -> str:
    return requests.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                         timeout=10).json()["token"]
