"""In real Chromium against a real ``hearthside serve``: an entry written on Ann's phone appears
live on Bob's, Bob acknowledges it, and Ann's phone shows "Read by Bob" - then an edit of the
database file behind the server's back makes the page warn.

Skipped with the reason where Chromium or Playwright is missing (fails under REQUIRE_BROWSER_TESTS=1).
"""

from __future__ import annotations

import re
import sqlite3

from hearthside.testing import LIVE_TIMEOUT_MS, PHONE, BrowserGuard, HttpClient, onboard_couple, signed_in_page

API = "/api/v1/transparency"
TEXT = "Dinner with my brother at Luigi's, home by 22:00."
REPLY = "Say hello to him from me."


def sharing_phones(chromium, server):
    """Ann (onboarding) and Bob (invited) in one couple, both sharing their log, each signed in on a phone.

    Returns the guard that watched both phones and the two pages.
    """
    for member in onboard_couple(HttpClient(server.url)):
        member.grant("transparency.share")
    guard = BrowserGuard(server.url)
    return guard, signed_in_page(chromium, guard, "ann", **PHONE), signed_in_page(chromium, guard, "bob", **PHONE)


def test_an_entry_appears_live_is_acknowledged_and_the_author_sees_the_receipt(chromium, server, data_dir):
    from playwright.sync_api import expect

    guard, ann_phone, bob_phone = sharing_phones(chromium, server)
    for phone in (ann_phone, bob_phone):
        phone.goto("/transparency")
        expect(phone.locator("[data-sharing-you]")).to_contain_text("You are sharing")
    expect(bob_phone.locator("[data-sharing-partner]")).to_contain_text("Ann is sharing with you")

    # Ann writes on her phone.
    ann_phone.locator("label.tp-kind", has_text="Plan").click()
    ann_phone.fill("#tp-text", TEXT)
    ann_phone.fill("#tp-tags", "evening, family")
    ann_phone.click("text=Share entry")
    mine = ann_phone.locator(".tp-entry", has_text=TEXT)
    expect(mine.locator("[data-receipt], .tp-receipt").first).to_contain_text("not read yet")

    # It appears on Bob's phone by itself (live), unread.
    theirs = bob_phone.locator(".tp-entry", has_text=TEXT)
    expect(theirs).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(theirs).to_have_class(re.compile(r"tp-entry--unread"))
    expect(bob_phone.locator("[data-unread]")).to_have_text("1 unread")
    expect(theirs.locator(".tp-tags")).to_contain_text("family")

    # Bob acknowledges; Ann's phone shows the receipt by itself.
    theirs.get_by_role("button", name="Mark as read").click()
    expect(theirs.locator("[data-acknowledged]")).to_contain_text("You read this")
    expect(bob_phone.locator("[data-unread]")).to_be_hidden()
    expect(mine.locator("[data-receipt]")).to_contain_text("Read by Bob", timeout=LIVE_TIMEOUT_MS)
    bob_phone.screenshot(path=str(data_dir.parent / "transparency-bob.png"), full_page=True)

    # Bob replies: an empty reply is refused on the page, a written one reaches Ann's phone by itself.
    theirs.get_by_role("button", name="Reply").click()
    theirs.get_by_role("button", name="Send reply").click()
    expect(theirs.locator(".tp-reply [role=alert]")).to_have_text("Write your reply first.")
    theirs.locator(".tp-reply textarea").fill(REPLY)
    theirs.get_by_role("button", name="Send reply").click()
    expect(bob_phone.locator(".tp-reply")).to_have_count(0)
    expect(ann_phone.get_by_text(REPLY)).to_be_visible(timeout=LIVE_TIMEOUT_MS)

    # Someone edits the database file behind the server's back: the page warns.
    conn = sqlite3.connect(data_dir / "hearthside.db", isolation_level=None)
    conn.execute("DROP TRIGGER transparency_entries_no_update")
    conn.execute("UPDATE transparency_entries SET text = 'Home by 20:00.' WHERE text = ?", [TEXT])
    conn.close()
    ann_phone.reload()
    warning = ann_phone.locator("[data-chain-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(re.compile(r"Entry #\d+ was changed after it was written"))

    # The edit is undone, but the database loses its newest record (a damaged WAL): the anchor kept
    # outside the database finds it, and the page says what happened, in seq numbers only.
    conn = sqlite3.connect(data_dir / "hearthside.db", isolation_level=None)
    conn.execute("UPDATE transparency_entries SET text = ? WHERE text = 'Home by 20:00.'", [TEXT])
    conn.execute("DROP TRIGGER transparency_entries_no_delete")
    newest = conn.execute("DELETE FROM transparency_entries WHERE seq = (SELECT max(seq) FROM transparency_entries) "
                          "RETURNING seq").fetchone()[0]
    conn.close()
    ann_phone.reload()
    expect(warning.locator("h2")).to_have_text("This log lost entries")
    expect(warning).to_contain_text(f"Entries up to #{newest} were written and are no longer all in the log")

    assert guard.outside == [], f"requests left the server: {guard.outside}"
    assert guard.errors == [], f"page errors: {guard.errors}"


def test_a_question_stays_open_beside_the_ground_rules_until_it_is_answered_live(chromium, server):
    """Ground rules change only when both approve; Bob's question shows on Ann's phone as open
    with its age, next to the rules; her answer closes it on Bob's phone without a reload."""
    from playwright.sync_api import expect

    guard, ann_phone, bob_phone = sharing_phones(chromium, server)
    for phone in (ann_phone, bob_phone):
        phone.goto("/transparency/questions")
        expect(phone.locator("[data-rules-empty]")).to_be_visible()

    # Ann proposes a ground rule; it applies only once Bob approves it on his phone.
    ann_phone.click("text=Propose a change")
    ann_phone.fill("#tp-rules-text", "Honest, but no graphic detail\nEither of us can say: I need a break")
    ann_phone.click("[data-rules-form] button[type=submit]")
    expect(ann_phone.locator("[data-rules-open-status]")).to_contain_text("Waiting for Bob")
    expect(ann_phone.locator("[data-rules] li")).to_have_count(0)
    expect(bob_phone.locator("[data-rules-open]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    bob_phone.click("[data-rules-approve]")
    for phone in (ann_phone, bob_phone):
        expect(phone.locator("[data-rules] li")).to_have_text(
            ["Honest, but no graphic detail", "Either of us can say: I need a break"], timeout=LIVE_TIMEOUT_MS)

    # Bob asks; Ann sees it open, with its age, and answers.
    bob_phone.fill("#tp-question", "Did you reply to her message last week?")
    bob_phone.click("[data-ask-form] button[type=submit]")
    asked = bob_phone.locator("[data-open-questions] li", has_text="Did you reply")
    expect(asked).to_contain_text("Waiting for Ann to answer.")
    open_on_ann = ann_phone.locator("[data-open-questions] li", has_text="Did you reply")
    expect(open_on_ann).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(open_on_ann.locator(".tp-age")).to_contain_text("open for")
    open_on_ann.locator("textarea").fill("No. I blocked her number that evening.")
    open_on_ann.get_by_role("button", name="Answer").click()
    expect(ann_phone.locator("[data-open-empty]")).to_be_visible()
    answered = bob_phone.locator("[data-answered-questions] li", has_text="Did you reply")
    expect(answered).to_contain_text("I blocked her number", timeout=LIVE_TIMEOUT_MS)
    expect(answered).to_contain_text("Ann answered")
    expect(bob_phone.locator("[data-open-questions] li")).to_have_count(0)
    assert guard.outside == [], f"requests left the server: {guard.outside}"
    assert guard.errors == [], f"page errors: {guard.errors}"
