"""In real Chromium against a real ``hearthside serve``: the account page's password form
(``Hearthside.sendForm``) says what is wrong before anything is sent, shows the server's
refusal, and on success says so, empties the form and the new password is the one that works.

Runs Debian's Chromium through Playwright (never a downloaded browser); skipped with
the reason where either is missing, except with REQUIRE_BROWSER_TESTS=1.
"""

from __future__ import annotations

from hearthside.testing import PASSWORD, BrowserGuard, HttpClient, onboard_couple, signed_in_page

NEW_PASSWORD = "a quieter evening together"


def test_the_password_form_checks_refuses_and_changes(chromium, server):
    from playwright.sync_api import expect

    onboard_couple(HttpClient(server.url))
    guard = BrowserGuard(server.url)
    page = signed_in_page(chromium, guard, "ann")
    page.goto("/account")
    form = page.locator("[data-password-form]")
    error, success = form.locator("[data-error]"), form.locator("[data-success]")

    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", "short")
    form.locator("button[type=submit]").click()
    expect(error).to_contain_text("at least 10 characters")
    expect(success).to_be_hidden()

    page.fill("#current-password", "not my password at all")
    page.fill("#new-password", NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(error).to_be_visible()
    expect(error).not_to_contain_text("at least 10")
    expect(success).to_be_hidden()

    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(success).to_have_text("Your password is changed. Other browsers and apps have been signed out.")
    expect(error).to_be_hidden()
    expect(page.locator("#new-password")).to_have_value("")
    expect(form.locator("button[type=submit]")).to_be_enabled()

    client = HttpClient(server.url)
    assert client.post("/api/v1/auth/session", json={"username": "ann", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/session", json={"username": "ann", "password": NEW_PASSWORD}).status_code == 200
    assert guard.outside == [] and guard.errors == []
