"""End to end in real Chromium against a real ``hearthside serve``: two phones compare.

Ann and Bob each answer part of the list on their own phone (two browser
contexts). Both turn on "ready to compare"; both see the same mutual items,
live. Ann turns it off: the results vanish from Bob's open page at once.

Debian's Chromium through Playwright (never a downloaded browser). Skipped,
with the reason, where either is missing - except with
``REQUIRE_BROWSER_TESTS=1``, where a missing browser fails.
"""

from __future__ import annotations


from hearthside.testing import (LIVE_TIMEOUT_MS, PHONE, SCREENSHOTS, BrowserGuard, HttpClient, onboard_couple,
                                signed_in_page)

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}  # the narrowest phones in use


def _answer_touch_items(page, answers: list[str], note: str | None = None) -> None:
    from playwright.sync_api import expect

    page.goto("/matcher")
    page.click("[data-category='touch']")
    for number, value in enumerate(answers, start=1):
        expect(page.locator("[data-q-count]")).to_have_text(f"{number} of 26")
        if note and number == 1:
            page.click("[data-q-note-box] summary")
            page.fill("[data-q-note]", note)
        page.click(f"[data-question] [data-answer='{value}']")
    expect(page.locator("[data-q-count]")).to_have_text(f"{len(answers) + 1} of 26")
    page.click("[data-back]")  # back shows the last answer chosen
    expect(page.locator(f"[data-question] [data-answer='{answers[-1]}']")).to_have_attribute("aria-pressed", "true")
    page.click("[data-skip]")
    fits_a_small_phone(page)
    page.click("[data-question] [data-close]")
    expect(page.locator("[data-category='touch']")).to_contain_text(f"{len(answers)} of 26")
    expect(page.locator("[data-progress]")).not_to_have_attribute("aria-valuenow", "0")  # the progress bar moved
    fits_a_small_phone(page)


def fits_a_small_phone(page) -> None:
    """Nothing on the page is wider than the 360-pixel screen (no sideways scrolling)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the phone"


def test_two_phones_answer_compare_and_a_revocation_hides_the_results(server, chromium):
    from playwright.sync_api import expect

    base = server.url
    onboard_couple(HttpClient(base))
    guard = BrowserGuard(base)
    ann = signed_in_page(chromium, guard, "ann", **SMALL_PHONE)
    bob = signed_in_page(chromium, guard, "bob", **SMALL_PHONE)

    # each answers alone: holding hands (yes/yes), long hugs (yes/maybe), cuddling (maybe/no)
    _answer_touch_items(ann, ["yes", "yes", "maybe"], note="ANN-PRIVATE-NOTE")
    _answer_touch_items(bob, ["yes", "maybe", "no"])

    for phone in (ann, bob):
        phone.goto("/matcher/compare")
        expect(phone.locator("[data-ready]")).to_be_enabled()
        expect(phone.locator("[data-results]")).to_be_hidden()
    ann.locator("[data-ready]").check()
    expect(ann.locator("[data-reveal-state]")).to_contain_text("Results show once both of you are ready")
    expect(ann.locator("[data-results]")).to_be_hidden()

    bob.locator("[data-ready]").check()
    for phone in (bob, ann):  # ann's open page fills in live when bob agrees
        expect(phone.locator("[data-results]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(phone.locator("[data-both-yes] li")).to_have_text(["Holding hands"])
        expect(phone.locator("[data-worth] li")).to_have_text(["Long hugs"])
        expect(phone.locator("[data-reveal-state]")).to_have_text("On for both of you.")
    assert "ANN-PRIVATE-NOTE" not in bob.content()
    fits_a_small_phone(bob)
    assert "Cuddling" not in bob.locator("[data-results]").inner_text()
    bob.screenshot(path=str(SCREENSHOTS / "hearthside-matcher-compare.png"), full_page=True)

    # ann steps back: bob's open page drops the results at once
    ann.locator("[data-ready]").uncheck()
    expect(bob.locator("[data-results]")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator("[data-both-yes] li")).to_have_count(0)
    expect(bob.locator("[data-results-off]")).to_be_visible()
    expect(ann.locator("[data-results]")).to_be_hidden()
    assert guard.outside == [] and guard.errors == []


def test_saying_yes_to_everything_is_shown_to_the_partner_who_must_confirm_first(server, chromium):
    from playwright.sync_api import expect

    base = server.url
    ann_api, bob_api = onboard_couple(HttpClient(base))
    guard = BrowserGuard(base)
    ann = signed_in_page(chromium, guard, "ann", **SMALL_PHONE)
    bob = signed_in_page(chromium, guard, "bob", **SMALL_PHONE)
    items = ann_api.get("/api/v1/matcher/items").json["items"]
    touch = [item for item in items if item["category"] == "touch"]
    for who, answers in ((ann_api, {item["id"]: "yes" for item in items}),
                         (bob_api, {touch[0]["id"]: "yes", touch[1]["id"]: "maybe"})):
        saved = who.put("/api/v1/matcher/answers", json={"answers": answers})
        assert saved.status_code == 200, saved.json

    for phone in (ann, bob):
        phone.goto("/matcher/compare")
        expect(phone.locator("[data-ready]")).to_be_enabled()
    expect(ann.locator("[data-broad]")).to_contain_text("your partner is told that (never which items)")
    expect(bob.locator("[data-broad]")).to_be_hidden()
    bob.locator("[data-ready]").check()
    ann.locator("[data-ready]").check()

    expect(bob.locator("[data-broad]")).to_contain_text("Your partner answered yes or maybe to at least 75% "
                                                        "of the list", timeout=LIVE_TIMEOUT_MS)
    expect(ann.locator("[data-broad]")).to_contain_text("Results appear once they confirm")
    for phone in (ann, bob):
        expect(phone.locator("[data-results]")).to_be_hidden()
        expect(phone.locator("[data-error]")).to_be_hidden()
    fits_a_small_phone(bob)
    expect(ann.locator("[data-broad-confirm]")).to_be_hidden()  # Ann cannot wave it through herself

    bob.click("[data-broad-confirm]")
    for phone in (bob, ann):  # ann's open page fills in live once bob confirmed
        expect(phone.locator("[data-results]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(phone.locator("[data-both-yes] li")).to_have_text([touch[0]["title"]])
        expect(phone.locator("[data-worth] li")).to_have_text([touch[1]["title"]])
        expect(phone.locator("[data-broad]")).to_be_hidden()
    assert guard.outside == [] and guard.errors == []
