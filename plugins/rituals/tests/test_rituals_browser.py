"""In real Chromium against a real ``hearthside serve``: Ann creates a weekly check-in
in the editor on her phone, both partners answer on their own phones, and both see
the reveal arrive live - without reloading, and not a moment before both answered.

Runs Debian's Chromium through Playwright (never a downloaded browser); skipped with
the reason where either is missing, except with REQUIRE_BROWSER_TESTS=1.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from rituals_testing import create

from hearthside.testing import (LIVE_TIMEOUT_MS, PHONE, SCREENSHOTS, BrowserGuard, HttpClient, onboard_couple,
                                signed_in_page, wait_until_live)

ANN_ANSWER = "Your patience on Tuesday meant a lot"
BOB_ANSWER = "A quiet walk, just us"


def sign_up(base: str):
    """Ann and Bob, through the real API, with the reveal consent on for both."""
    ann, bob = onboard_couple(HttpClient(base))
    for member in (ann, bob):
        member.grant("rituals.checkin_reveal")
    return ann, bob


def test_weekly_checkin_both_answer_both_see_the_reveal_live(chromium, server):
    from playwright.sync_api import expect

    base = server.url
    sign_up(base)
    guard = BrowserGuard(base)
    ann = signed_in_page(chromium, guard, "ann", **PHONE)
    bob = signed_in_page(chromium, guard, "bob", **PHONE)

    # -- Ann creates a weekly check-in from the template, in the editor --------------------------
    ann.goto("/rituals")
    expect(ann.locator("text=No rituals yet")).to_be_visible()
    ann.click("[data-template='checkin']")
    expect(ann).to_have_url(re.compile(r"/rituals/new\?template=checkin$"))
    day = (datetime.now() + timedelta(days=2)).date()
    ann.fill("#rit-date", day.isoformat())
    ann.fill("#rit-time", "19:00")
    expect(ann.locator("#rit-repeat")).to_have_value("weekly")
    expect(ann.locator("[data-prompts] li")).to_have_count(6)
    ann.screenshot(path=str(SCREENSHOTS / "hearthside-rituals-editor.png"), full_page=True)
    ann.click("button:has-text('Create ritual')")
    expect(ann).to_have_url(re.compile(r"/rituals/\d+$"))
    expect(ann.locator("main h1")).to_have_text("Weekly check-in")
    expect(ann.locator("main .lead")).to_contain_text("Every week on " + day.strftime("%A") + " at 19:00")
    occurrence = ann.locator("#coming-title ~ .rit-occs a").first
    href = occurrence.get_attribute("href")
    assert href.endswith(f"/occurrences/{day.isoformat()}T19:00")

    # -- both open this week's check-in on their phones ---------------------------------------------
    ann.goto(href)
    bob.goto("/rituals")
    expect(bob.locator(".rit-occ__title").first).to_have_text("Weekly check-in")
    bob.goto(href)
    for phone in (ann, bob):
        wait_until_live(phone)
        expect(phone.locator("[data-reveal]")).to_be_hidden()

    # -- Ann answers first: Bob sees that she is ready, never what she wrote ---------------------------
    ann.fill("textarea[name='appreciation']", ANN_ANSWER)
    ann.check("input[name='rating'][value='4']", force=True)
    ann.click("[data-submit]")
    expect(ann.locator("[data-saved]")).to_contain_text("Only you can read it")
    expect(bob.locator(f"[data-ready] li:has-text('Ann')")).to_contain_text("ready", timeout=LIVE_TIMEOUT_MS)
    assert ANN_ANSWER not in bob.content()
    expect(bob.locator("[data-reveal]")).to_be_hidden()

    # -- Bob answers: the reveal appears on both phones at once ---------------------------------------
    bob.fill("textarea[name='need']", BOB_ANSWER)
    bob.check("input[name='rating'][value='5']", force=True)
    bob.click("[data-submit]")
    for phone in (ann, bob):
        reveal = phone.locator("[data-reveal-answers]")
        expect(reveal).to_contain_text(ANN_ANSWER, timeout=LIVE_TIMEOUT_MS)
        expect(reveal).to_contain_text(BOB_ANSWER)
        expect(reveal).to_contain_text("4 of 5")
        expect(phone.locator("[data-checkin-form]")).to_be_hidden()
    ann.screenshot(path=str(SCREENSHOTS / "hearthside-rituals-reveal.png"), full_page=True)
    assert guard.outside == [], f"requests left the server: {guard.outside}"
    assert guard.errors == [], f"page errors: {guard.errors}"


def test_wall_refresh_signals_are_not_news_on_the_home_page(chromium, server):
    """With the rituals card on the wall, adding a ritual also emits ``rituals.wall_refresh``
    (the wall re-reads its card); the "What's new" feed lists the ritual, never the signal."""
    from playwright.sync_api import expect

    base = server.url
    ann, bob = sign_up(base)
    for member in (ann, bob):
        member.grant("dashboard.rituals")
    made = ann.post("/api/v1/rituals", json={"template": "date", "title": "Picnic by the river",
                                             "start": (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT18:00")})
    assert made.status_code == 201, made.json
    history = bob.get("/api/v1/events?limit=500").json["events"]
    assert "rituals.wall_refresh" in [event["type"] for event in history]  # the signal exists...

    guard = BrowserGuard(base)
    phone = signed_in_page(chromium, guard, "bob", **PHONE)
    phone.goto("/")
    feed = phone.locator("[data-feed] li")
    expect(feed.filter(has_text="Picnic by the river")).to_have_count(1)
    # The signal came last; the newest item shown is the ritual, and no item is the signal.
    expect(feed.first).to_contain_text("Ann added the ritual “Picnic by the river”.")
    assert not [text for text in feed.all_inner_texts() if "wall refresh" in text.lower()]
    assert guard.errors == [], f"page errors: {guard.errors}"


def test_the_status_buttons_pause_a_ritual_and_mark_an_occurrence_done(chromium, server):
    """A status button sends its status, and the page shows the new state once the server took it."""
    from playwright.sync_api import expect

    ann, _bob = sign_up(server.url)
    ritual = create(ann, template="date", title="Dinner out", start="2030-03-08T19:30")
    guard = BrowserGuard(server.url)
    phone = signed_in_page(chromium, guard, "ann", **PHONE)

    phone.goto(f"/rituals/{ritual['id']}")
    phone.click("[data-set-status='paused']")
    expect(phone.locator("[data-set-status='active']")).to_have_text("Resume")  # the page came back paused
    assert ann.get(f"/api/v1/rituals/{ritual['id']}").json["status"] == "paused"

    phone.goto(f"/rituals/{ritual['id']}/occurrences/2030-03-08T19:30")
    phone.click("[data-mark='done']")
    expect(phone.locator("[data-mark='upcoming']")).to_be_visible()  # "Plan it again": it is done
    assert guard.outside == [], f"requests left the server: {guard.outside}"
    assert guard.errors == [], f"page errors: {guard.errors}"
