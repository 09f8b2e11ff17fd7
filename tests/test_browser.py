"""End to end in real Chromium against a real ``hearthside serve``.

Onboarding in the browser -> invite -> the partner joins in a second browser
context through the link -> the wall tablet pairs in a third context with a
code made on a phone -> a pause started on a phone takes over the wall (and
the other phone) within seconds, and ending it lifts it -> revoking the
dashboard scope removes its card from the open wall, granting it again brings
it back at once. The kiosk on its own: it asks to keep the screen awake, dims
after five idle minutes (on a clock the test moves) and reconnects by itself.

Runs Debian's Chromium through Playwright (never a downloaded browser).
Skipped, with the reason, where either is missing - except in CI
(``REQUIRE_BROWSER_TESTS=1``), where a missing browser fails.
"""

from __future__ import annotations

import re

import pytest
import requests

from hearthside.testing import LIVE_TIMEOUT_MS, PHONE, SCREENSHOTS, TABLET, BrowserGuard, new_page, wait_until_live
from tests.conftest import ServerProcess

WALL = TABLET
PASSWORD = "a calm evening at home"
SCOPE = "dashboard.testcards"


@pytest.fixture
def wall_server(data_dir):
    """A real server with the test card plugin registered as ``testcards``."""
    process = ServerProcess(data_dir, plugins=["tests.support.testcards"])
    yield process
    process.stop_soon()


def test_onboarding_invite_join_pair_pause_and_revoke(chromium, wall_server):
    from playwright.sync_api import expect

    base = wall_server.url
    guard = BrowserGuard(base)

    # -- ann sets the server up on her phone ------------------------------------------------
    ann = new_page(chromium, guard, **PHONE)
    ann.goto("/")
    expect(ann).to_have_url(re.compile(r"/welcome$"))
    ann.fill("#couple-name", "Ann & Bob")
    ann.fill("#display-name", "Ann")
    ann.fill("#username", "ann")
    ann.fill("#password", "short")
    ann.click("text=Create our space")
    expect(ann.locator("[data-error]")).to_contain_text("at least 10")  # checked before anything is sent
    ann.fill("#password", PASSWORD)
    ann.click("text=Create our space")

    # -- "invite your partner": code, link and QR ---------------------------------------------
    expect(ann).to_have_url(re.compile(r"/invite\?welcome=1$"))
    code_node = ann.locator("[data-invite-code]")
    expect(code_node).to_have_text(re.compile(r"^[A-Z0-9]{6,}$"))
    code = code_node.text_content()
    link = ann.locator("[data-invite-link]")
    expect(link).to_have_text(f"{base}/join/{code}")
    expect(ann.locator("[data-invite-qr] svg")).to_be_visible()

    # -- bob joins on his own phone through the link --------------------------------------------
    bob = new_page(chromium, guard, **PHONE)
    bob.goto(link.get_attribute("href"))
    bob.fill("#display-name", "Bob")
    bob.fill("#username", "bob")
    bob.fill("#password", PASSWORD)
    bob.click("button:has-text('Join')")
    expect(bob).to_have_url(f"{base}/")
    expect(bob.locator("#today-title")).to_contain_text("Bob")

    # -- both agree to show the test card on the wall -------------------------------------------
    for phone in (ann, bob):
        phone.goto("/consent")
        switch = phone.locator(f"[data-scope='{SCOPE}'] [data-toggle]")
        expect(switch).not_to_be_checked()
        switch.check()
        expect(phone.locator(f"[data-scope='{SCOPE}'] [data-toggle]")).to_be_checked()
    expect(bob.locator(f"[data-scope='{SCOPE}'] [data-who]")).to_contain_text("On for both of you")
    expect(bob.locator("[data-history] li")).to_have_count(2)

    # -- ann makes a pairing code; the wall tablet types it ------------------------------------------
    ann.goto("/devices")
    expect(ann.locator("[data-devices-empty]")).to_be_visible()
    ann.click("text=Get a pairing code")
    pairing_code = ann.locator("[data-pairing-code]")
    expect(pairing_code).to_have_text(re.compile(r"^[A-Z0-9]{6,}$"))
    expect(ann.locator("[data-pairing-qr] svg")).to_be_visible()

    wall = new_page(chromium, guard, **WALL)
    wall.goto("/dashboard")
    expect(wall.locator("[data-pair]")).to_be_visible()
    wall.fill("#pairing-code", pairing_code.text_content())
    wall.click("[data-pair-form] button")
    card = wall.locator("[data-plugin='testcards']")
    expect(card).to_contain_text("A calm test card")
    assert wall.evaluate("localStorage.getItem('hearthside.deviceToken')")
    assert wall.locator("a").count() == 0, "the wall links to nothing"
    expect(ann.locator("[data-devices] li")).to_have_count(1)

    # -- a pause started on bob's phone takes over the wall and ann's phone ---------------------------
    bob.goto("/")
    expect(bob.locator("[data-feed] li").first).to_be_visible()
    bob.screenshot(path=str(SCREENSHOTS / "hearthside-home-phone.png"), full_page=True)
    wait_until_live(wall)
    bob.click("[data-pause-start]")
    overlay = wall.locator("#pause-overlay")
    expect(overlay).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(overlay).to_contain_text("Taking a breath")
    expect(overlay.locator("[data-pause-left]")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    expect(ann.locator("#pause-overlay")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    wall.wait_for_timeout(700)  # let the calm fade-in finish for the picture
    wall.screenshot(path=str(SCREENSHOTS / "hearthside-dashboard-pause.png"))
    ann.screenshot(path=str(SCREENSHOTS / "hearthside-phone-pause.png"))

    # -- ann ends it: the overlay goes, a gentle "ready to come back?" ---------------------------------
    ann.click("#pause-overlay [data-pause-end]")
    expect(overlay).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    expect(wall.locator("#pause-return")).to_be_visible()
    expect(wall.locator("#pause-return")).to_contain_text("Ready to come back?")
    expect(bob.locator("#pause-overlay")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    wall.click("[data-return-ready]")
    expect(wall.locator("#pause-return")).to_be_hidden()

    # -- bob revokes the dashboard scope: the card leaves the open wall at once -----------------------
    bob.goto("/consent")
    bob.locator(f"[data-scope='{SCOPE}'] [data-toggle]").uncheck()
    expect(card).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(wall.locator("[data-cards-empty]")).to_be_visible()

    # -- and turns it on again: the card is back at once, not at the wall's next refresh (30 s) ---------
    bob.locator(f"[data-scope='{SCOPE}'] [data-toggle]").check()
    expect(card).to_contain_text("A calm test card", timeout=LIVE_TIMEOUT_MS)

    # -- ann removes the wall screen on her phone: the open wall goes back to pairing --------------------
    ann.goto("/devices")
    ann.once("dialog", lambda dialog: dialog.accept())
    ann.click("[data-devices] button:has-text('Remove')")
    expect(ann.locator("[data-devices-empty]")).to_be_visible()
    expect(wall.locator("[data-pair]")).to_be_visible(timeout=10000)  # the live stream drops it at once
    assert wall.evaluate("localStorage.getItem('hearthside.deviceToken')") is None
    expect(wall.locator("[data-card]")).to_have_count(0)

    # -- and nothing ever left the house -----------------------------------------------------------------
    assert guard.outside == [], f"requests outside the server: {guard.outside}"
    assert guard.errors == [], f"JavaScript errors: {guard.errors}"


def test_the_phone_pages_show_the_pause_overlay_too(chromium, server):
    """A pause started with the API (from any client) reaches a signed-in phone page."""
    from playwright.sync_api import expect

    http = requests.Session()
    answer = http.post(server.url + "/api/v1/onboarding", json={
        "couple": {"name": "Solo", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    guard = BrowserGuard(server.url)
    phone = new_page(chromium, guard, **PHONE)
    phone.goto("/signin")
    phone.fill("#username", "ann")
    phone.fill("#password", "wrong password here")
    phone.click("button:has-text('Sign in')")
    expect(phone.locator("[data-error]")).to_contain_text("do not match")
    phone.fill("#password", PASSWORD)
    phone.click("button:has-text('Sign in')")
    expect(phone).to_have_url(f"{server.url}/")
    expect(phone.locator("[data-feed-empty], [data-feed] li").first).to_be_visible()
    wait_until_live(phone)
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.post(server.url + "/api/v1/pause", json={"minutes": 5}, headers=headers).status_code == 200
    expect(phone.locator("#pause-overlay")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(phone.locator("[data-pause-left]")).to_have_text(re.compile(r"^(05:00|04:5\d)$"))
    requests.delete(server.url + "/api/v1/pause", headers=headers)
    expect(phone.locator("#pause-return")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    phone.click("[data-return-ready]")
    expect(phone.locator("#pause-return")).to_be_hidden()
    # Signing out works from the account page and lands on sign-in.
    phone.goto("/account")
    expect(phone.locator("[data-tokens] li")).to_have_count(2)  # this browser and the onboarding token
    phone.click("[data-signout]")
    expect(phone).to_have_url(re.compile(r"/signin$"))
    assert guard.outside == [] and guard.errors == [], (guard.outside, guard.errors)


def solo_member_and_a_paired_wall(chromium, server, before_pairing=None):
    """Ann alone on a fresh server, and a wall page paired through the page itself, live.

    Returns ``(http, headers, guard, wall)``: a session and Ann's auth headers for
    API calls, the page's guard and the wall page. ``before_pairing(wall)`` runs
    before the page loads (init scripts, a fake clock).
    """
    from playwright.sync_api import expect

    http = requests.Session()
    answer = http.post(server.url + "/api/v1/onboarding", json={
        "couple": {"name": "Solo", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    code = http.post(server.url + "/api/v1/devices", json={"name": "Hall"}, headers=headers).json()["pairing_code"]
    guard = BrowserGuard(server.url)
    wall = new_page(chromium, guard, **WALL)
    if before_pairing:
        before_pairing(wall)
    wall.goto(f"/dashboard/pair?code={code}")
    wall.click("[data-pair-form] button")
    expect(wall.locator("[data-cards-empty]")).to_be_visible()
    wait_until_live(wall)
    return http, headers, guard, wall


# Records the wall's screen wake-lock requests (headless Chromium may refuse them; the page copes).
WAKE_LOCK_PROBE = """
window.__wakeRequests = 0;
if (navigator.wakeLock) {
  const request = navigator.wakeLock.request.bind(navigator.wakeLock);
  navigator.wakeLock.request = (type) => { window.__wakeRequests += 1; return request(type); };
}
"""


def test_the_wall_keeps_awake_dims_when_idle_and_reconnects_by_itself(chromium, server):
    from playwright.sync_api import expect

    def before_pairing(wall):
        wall.context.add_init_script(WAKE_LOCK_PROBE)
        wall.clock.install()  # the page's timers run on a clock the test moves

    http, headers, guard, wall = solo_member_and_a_paired_wall(chromium, server, before_pairing)
    assert wall.evaluate("window.__wakeRequests") >= 1, "the wall never asked to keep the screen awake"

    # Idle for five minutes: the screen dims; a touch wakes it.
    expect(wall.locator("body")).not_to_have_class(re.compile(r"\bis-dim\b"))
    wall.clock.run_for("05:01")
    expect(wall.locator("body")).to_have_class(re.compile(r"\bis-dim\b"))
    wall.mouse.click(640, 400)
    expect(wall.locator("body")).not_to_have_class(re.compile(r"\bis-dim\b"))

    # The network drops: the wall reconnects by itself, and a pause still takes it over.
    wall.evaluate("Hearthside.socket.io.engine.close()")
    wall.wait_for_function("() => !Hearthside.socket.connected")
    wall.clock.run_for(6000)  # past the client's reconnection delay
    wait_until_live(wall)
    assert requests.post(server.url + "/api/v1/pause", json={"minutes": 5}, headers=headers).status_code == 200
    expect(wall.locator("#pause-overlay")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert guard.outside == [] and guard.errors == [], (guard.outside, guard.errors)


def test_a_slow_read_never_lifts_a_pause_that_started_meanwhile(chromium, server):
    """The wall re-reads its cards and pause state now and then; if that answer was
    computed before a pause started but arrives after the live event, it is stale
    and must not take the overlay down."""
    from playwright.sync_api import expect

    http, headers, guard, wall = solo_member_and_a_paired_wall(chromium, server)

    def answer_late(route):
        before = route.fetch()  # computed now: no pause yet
        assert before.json()["pause"] == {"active": False}
        assert http.post(server.url + "/api/v1/pause", json={"minutes": 5}, headers=headers).status_code == 200
        expect(wall.locator("#pause-overlay")).to_be_visible(timeout=LIVE_TIMEOUT_MS)  # the live event
        route.fulfill(response=before)

    wall.route("**/api/v1/dashboard", answer_late)
    wall.evaluate("() => Hearthside.pause.refresh()")
    wall.unroute("**/api/v1/dashboard")
    expect(wall.locator("#pause-overlay")).to_be_visible()
    assert wall.evaluate("Hearthside.pause.active") is True
    assert guard.outside == [] and guard.errors == [], (guard.outside, guard.errors)
