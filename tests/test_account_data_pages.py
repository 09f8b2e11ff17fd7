"""The account page offers a member their own data: "Download my data" and "Forget me" (issue 14).

In real Chromium against a real ``hearthside serve``: Ann downloads her export
from the page (her words in it, none of Bob's private ones); she forgets her
data through the page - a wrong password is told in plain words and deletes
nothing, the right one clears her part while Bob's stays; the page fits a
phone and a tablet. Without a browser: the page tells Ann what is removed, per
plugin that takes part, and what Bob keeps, before anything is asked.

Skipped with the reason where Chromium or Playwright is missing (fails under REQUIRE_BROWSER_TESTS=1).
"""

from __future__ import annotations

import json
from html import unescape

import requests

from hearthside.plugin_manager import is_builtin_module
from hearthside.testing import PHONE, SCREENSHOTS, BrowserGuard, signed_in_page
from hearthside.web.forget_notes import BUILTIN
from tests.conftest import PASSWORD
from tests.test_pages import browser

TABLET_PORTRAIT = {"viewport": {"width": 820, "height": 1180}, "has_touch": True}
ANN_NOTE = "ann-note-lavender-fields"
ANN_ENTRY = "Ann's plan: choir practice, home by nine."
BOB_NOTE = "bob-private-note-harbour-lights"
BOB_ENTRY = "Bob's plan: lunch with my sister on Sunday."


# -- a couple with something to forget, through the API --------------------------------------------------------


class Api:
    """One member's bearer token on the real server."""

    def __init__(self, base: str, token: str):
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body=None) -> dict:
        answer = requests.request(method, self.base + path, json=body, headers=self.headers, timeout=10)
        assert answer.ok, answer.text
        return answer.json()


def couple_with_data(base: str) -> tuple[Api, Api, str]:
    """Ann and Bob, each with a matcher answer and private note on the same item and a shared log entry."""
    answer = requests.post(base + "/api/v1/onboarding", timeout=10, json={
        "couple": {"name": "Ann & Bob", "time_zone": "Europe/Berlin"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    assert answer.status_code == 201, answer.text
    ann = Api(base, answer.json()["token"])
    code = ann.call("POST", "/api/v1/invites")["code"]
    joined = requests.post(f"{base}/api/v1/invites/{code}/accept", timeout=10,
                           json={"username": "bob", "password": PASSWORD, "display_name": "Bob"})
    assert joined.status_code == 201, joined.text
    bob = Api(base, joined.json()["token"])
    item = ann.call("GET", "/api/v1/matcher/items")["items"][0]["id"]
    for member, note, entry in ((ann, ANN_NOTE, ANN_ENTRY), (bob, BOB_NOTE, BOB_ENTRY)):
        member.call("PUT", "/api/v1/matcher/answers", {"answers": {item: "yes"}, "notes": {item: note}})
        member.call("PUT", "/api/v1/consents/transparency.share", {"granted": True})
        member.call("POST", "/api/v1/transparency/entries", {"kind": "plan", "text": entry})
    return ann, bob, item


def log_text(member: Api) -> str:
    return json.dumps(member.call("GET", "/api/v1/transparency/entries?limit=100"))


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


# -- without a browser: what the page says ------------------------------------------------------------------


def test_the_account_page_offers_the_download_and_tells_what_a_forget_removes_and_keeps(app, couple):
    html = browser(app, "ann").get("/account").get_data(as_text=True)
    text = " ".join(unescape(html).split())
    assert 'href="/api/v1/me/export"' in html and "Download my data" in text
    assert "hearthside-export.json" in text
    assert "It never holds Bob's private data" in text
    assert "Forget me" in text and "data-forget-form" in html
    assert "What Bob keeps" in text
    assert "Consent history:" in text
    assert "You can keep using Hearthside" in text
    assert "backup kept elsewhere (a downloaded copy, a USB stick) still holds it" in text
    # One line per plugin that takes part, in its own plain words.
    hs = app.extensions["hearthside"]
    for name in hs.plugins.implementers("hearthside_forget"):
        assert f'data-forget-part="{name}"' in html
    assert "your answers and private notes" in text  # the matcher's part
    assert "marked as forgotten" in text  # the transparency log keeps tombstones
    # The form asks for the phrase the API wants and the password, and is closed until asked for.
    assert 'data-phrase="forget my data"' in html
    assert 'id="forget-form" class="form" data-forget-form data-phrase="forget my data" hidden' in html
    assert 'autocomplete="current-password"' in html.split("data-forget-form", 1)[1]


def test_every_builtin_plugin_that_forgets_has_plain_words_on_the_page(app):
    hs = app.extensions["hearthside"]
    builtins = [name for name in hs.plugins.implementers("hearthside_forget")
                if is_builtin_module(hs.plugins.plugins[name].module.__name__)]
    assert builtins, "the built-in plugins take part in a forget"
    assert [name for name in builtins if name not in BUILTIN] == []


# -- in Chromium --------------------------------------------------------------------------------------------


def test_ann_downloads_her_data_from_the_account_page(chromium, server, tmp_path):
    base = server.url
    couple_with_data(base)
    guard = BrowserGuard(base)
    page = signed_in_page(chromium, guard, "ann", **PHONE)
    page.goto("/account")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert download.suggested_filename == "hearthside-export.json"
    target = tmp_path / "export.json"
    download.save_as(target)
    raw = target.read_text(encoding="utf-8")
    export = json.loads(raw)
    assert export["member"]["username"] == "ann"
    assert ANN_NOTE in raw and ANN_ENTRY in raw
    assert BOB_NOTE not in raw  # Bob's private note never leaves with Ann's data
    assert guard.outside == [], f"requests left the server: {guard.outside}"
    assert guard.errors == [], f"page errors: {guard.errors}"


def test_ann_forgets_her_data_wrong_password_first_then_for_real(chromium, server):
    from playwright.sync_api import expect

    base = server.url
    ann, bob, item = couple_with_data(base)
    guard = BrowserGuard(base)
    page = signed_in_page(chromium, guard, "ann", **PHONE)
    page.goto("/account")
    form = page.locator("[data-forget-form]")
    expect(form).to_be_hidden()

    # The first click only opens the form.
    page.get_by_role("button", name="Forget my data…").click()
    expect(form).to_be_visible()
    assert ann.call("GET", "/api/v1/matcher/answers")["answers"] == {item: "yes"}

    # A phrase that is not the phrase: told here, nothing sent.
    page.get_by_label("Type “forget my data” to confirm").fill("forget it")
    page.get_by_label("Your password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(form.locator("[data-error]")).to_contain_text("exactly")
    expect(page.get_by_role("button", name="Yes, forget my data")).to_be_hidden()

    # The right phrase (as a phone types it) but the wrong password: the API's plain words, nothing deleted.
    page.get_by_label("Type “forget my data” to confirm").fill("Forget my data")
    page.get_by_label("Your password", exact=True).fill("not my password at all")
    page.get_by_role("button", name="Continue").click()
    expect(form.locator("[data-error]")).to_be_hidden()
    page.get_by_role("button", name="Yes, forget my data").click()
    expect(form.locator("[data-error]")).to_contain_text("password is not correct")
    expect(form.locator("[data-error]")).to_contain_text("nothing was deleted")
    expect(page.locator("[data-forget-done]")).to_be_hidden()
    assert ann.call("GET", "/api/v1/matcher/answers")["answers"] == {item: "yes"}
    assert ANN_ENTRY in log_text(ann)

    # The right password: cleared, and the page says what.
    page.get_by_label("Your password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Yes, forget my data").click()
    done = page.locator("[data-forget-done]")
    expect(done).to_be_visible()
    expect(done).to_contain_text("Yes / no / maybe")
    expect(done).to_contain_text("Transparency log")
    expect(done).to_contain_text("Your account stays")
    expect(form).to_be_hidden()
    page.screenshot(path=str(SCREENSHOTS / "hearthside-account-forgotten-phone.png"), full_page=True)

    mine = ann.call("GET", "/api/v1/matcher/answers")
    assert mine["answers"] == {} and ANN_NOTE not in json.dumps(mine)
    assert ANN_ENTRY not in log_text(bob)
    # Bob's own data stays: his answer and private note, his entry in the shared log.
    his = bob.call("GET", "/api/v1/matcher/answers")
    assert his["answers"] == {item: "yes"} and his["notes"] == {item: BOB_NOTE}
    assert BOB_ENTRY in log_text(bob) and BOB_ENTRY in log_text(ann)
    # Ann's account stays: she is still signed in on the page.
    page.goto("/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert guard.outside == [], f"requests left the server: {guard.outside}"
    assert guard.errors == [], f"page errors: {guard.errors}"


def test_the_account_page_fits_a_phone_and_a_tablet_at_every_forget_step(chromium, server):
    from playwright.sync_api import expect

    base = server.url
    couple_with_data(base)
    guard = BrowserGuard(base)
    for name, device in (("phone", PHONE), ("tablet", TABLET_PORTRAIT)):
        page = signed_in_page(chromium, guard, "ann", **device)
        page.goto("/account")
        no_sideways_scroll(page)
        page.get_by_role("button", name="Forget my data…").click()
        page.get_by_label("Type “forget my data” to confirm").fill("forget my data")
        page.get_by_label("Your password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("button", name="Yes, forget my data")).to_be_visible()
        no_sideways_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / f"hearthside-account-forget-{name}.png"), full_page=True)
        page.context.close()
    assert guard.errors == [], f"page errors: {guard.errors}"
