"""End to end in real Chromium against a real ``hearthside serve``: two phones in a session.

Ann starts a session; Bob's phone switches to the traffic light live. Ann taps
yellow: Bob's phone shows it at once. Bob taps red: the session ends and the
pause overlay covers both phones.

Debian's Chromium through Playwright (never a downloaded browser). Skipped,
with the reason, where either is missing - except with
``REQUIRE_BROWSER_TESTS=1``, where a missing browser fails.
"""

from __future__ import annotations

from hearthside.testing import (LIVE_TIMEOUT_MS, PHONE, SCREENSHOTS, BrowserGuard, HttpClient, onboard_couple,
                                signed_in_page)


def test_yellow_shows_on_the_partners_phone_and_red_pauses_both(chromium, server):
    from playwright.sync_api import expect

    base = server.url
    ann_api, _ = onboard_couple(HttpClient(base))
    guard, phones = BrowserGuard(base), {}
    for name in ("ann", "bob"):
        page = signed_in_page(chromium, guard, name, **PHONE)
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
    state = ann_api.get("/api/v1/touch/sessions").json
    assert state["past"][0]["end_reason"] == "red"
    assert guard.outside == [] and guard.errors == []
