"""In real Chromium against a real ``hearthside serve``: the admin sees the last scheduled
backup (a failed one, with its plain reason) and the next, and downloads a bundle that
restores - on a phone and on a tablet.

Runs Debian's Chromium through Playwright (never a downloaded browser); skipped with
the reason where either is missing, except with REQUIRE_BROWSER_TESTS=1.
"""

from __future__ import annotations

import pytest

from hearthside.testing import PHONE, SCREENSHOTS, TABLET, BrowserGuard, HttpClient, onboard_couple, signed_in_page

SCOPE = "core.backup_download"


def sign_up(base: str, consent: bool) -> None:
    """Ann and Bob through the real API; with ``consent``, both have agreed to downloadable backups."""
    for member in onboard_couple(HttpClient(base)):
        if consent:
            member.grant(SCOPE)


def a_scheduled_backup_fails(data_dir, tmp_path) -> None:
    """The scheduled job, run against the server's data folder with a USB stick that is not plugged in."""
    from hearthside import backup_schedule
    from hearthside.app import Hearthside, load_plugins_and_config

    config, plugins = load_plugins_and_config(env={}, flags={"data_dir": str(data_dir),
                                                             "backups.copy_to": str(tmp_path / "usb-unplugged")})
    hs = Hearthside(config, plugins)
    try:
        run = backup_schedule.run_scheduled_backup(hs)
    finally:
        hs.storage.close()
    assert run["ok"] == 0


@pytest.mark.parametrize("device", ["phone", "tablet"])
def test_the_admin_sees_a_failed_backup_and_downloads_a_bundle(chromium, server, data_dir, tmp_path, device):
    from playwright.sync_api import expect

    from hearthside.backups import open_bundle

    base = server.url
    sign_up(base, consent=True)
    a_scheduled_backup_fails(data_dir, tmp_path)
    guard = BrowserGuard(base)
    page = signed_in_page(chromium, guard, "ann", accept_downloads=True, **(PHONE if device == "phone" else TABLET))

    page.goto("/admin")
    panel = page.locator("[data-backups]")
    expect(panel.locator("[data-backup-state]")).to_have_text("failed")
    expect(panel.locator("[data-backup-problem]")).to_contain_text("is the USB stick plugged in?")
    expect(panel.locator("[data-backup-next]")).to_contain_text("daily at 03:30")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the panel overflows"
    page.screenshot(path=str(SCREENSHOTS / f"hearthside-admin-backups-{device}.png"), full_page=True)

    with page.expect_download() as download_info:
        panel.locator("button:has-text('Download a backup')").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-download.hsb")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    expect(panel.locator("[data-success]")).to_contain_text("Saved")
    with open_bundle(saved, None, tmp_path) as opened:
        assert opened.manifest["tables"]["members"] == 2

    page.fill("#backup-passphrase", "short")
    panel.locator("button:has-text('Download a backup')").click()
    expect(panel.locator("[data-error]")).to_contain_text("at least 8")
    assert guard.outside == [] and guard.errors == []


def test_without_both_consents_the_download_is_off_and_says_why(chromium, server):
    from playwright.sync_api import expect

    sign_up(server.url, consent=False)
    guard = BrowserGuard(server.url)
    page = signed_in_page(chromium, guard, "ann", accept_downloads=True, **PHONE)
    page.goto("/admin")
    panel = page.locator("[data-backups]")
    expect(panel.locator("[data-backup-last]")).to_have_text("No scheduled backup has run yet.")
    expect(panel.locator("[data-backup-refusal]")).to_contain_text("both of you")
    expect(panel.locator("button:has-text('Download a backup')")).to_be_disabled()
    assert guard.errors == []
