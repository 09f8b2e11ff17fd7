"""In real Chromium against a real ``hearthside serve``: the admin sees the last scheduled
backup (a failed one, with its plain reason) and the next, and downloads a bundle that
restores - on a phone and on a tablet.

Runs Debian's Chromium through Playwright (never a downloaded browser); skipped with
the reason where either is missing, except with REQUIRE_BROWSER_TESTS=1.
"""

from __future__ import annotations

import pytest
import requests

from hearthside.testing import PHONE, SCREENSHOTS, TABLET, BrowserGuard, new_page
from tests.conftest import PASSWORD, ServerProcess

SCOPE = "core.backup_download"


@pytest.fixture
def backup_server(data_dir):
    process = ServerProcess(data_dir)
    yield process
    process.stop_soon()


def sign_up(base: str, consent: bool) -> None:
    answer = requests.post(base + "/api/v1/onboarding", json={
        "couple": {"name": "Ann & Bob", "time_zone": "Europe/Berlin"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}}, timeout=10)
    ann = answer.json()["token"]
    code = requests.post(base + "/api/v1/invites", headers={"Authorization": f"Bearer {ann}"},
                         timeout=10).json()["code"]
    bob = requests.post(f"{base}/api/v1/invites/{code}/accept", json={
        "username": "bob", "password": PASSWORD, "display_name": "Bob"}, timeout=10).json()["token"]
    for token in (ann, bob) if consent else ():
        granted = requests.put(base + f"/api/v1/consents/{SCOPE}", json={"granted": True},
                               headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert granted.status_code == 200, granted.text


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


def signed_in(chromium, guard, options):
    page = new_page(chromium, guard, accept_downloads=True, **options)
    answer = page.context.request.post(guard.base_url + "/api/v1/auth/session",
                                       data={"username": "ann", "password": PASSWORD})
    assert answer.ok, answer.text()
    return page


@pytest.mark.parametrize("device", ["phone", "tablet"])
def test_the_admin_sees_a_failed_backup_and_downloads_a_bundle(chromium, backup_server, data_dir, tmp_path, device):
    from playwright.sync_api import expect

    from hearthside.backups import open_bundle

    base = backup_server.url
    sign_up(base, consent=True)
    a_scheduled_backup_fails(data_dir, tmp_path)
    guard = BrowserGuard(base)
    page = signed_in(chromium, guard, PHONE if device == "phone" else TABLET)

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


def test_without_both_consents_the_download_is_off_and_says_why(chromium, backup_server):
    from playwright.sync_api import expect

    sign_up(backup_server.url, consent=False)
    guard = BrowserGuard(backup_server.url)
    page = signed_in(chromium, guard, PHONE)
    page.goto("/admin")
    panel = page.locator("[data-backups]")
    expect(panel.locator("[data-backup-last]")).to_have_text("No scheduled backup has run yet.")
    expect(panel.locator("[data-backup-refusal]")).to_contain_text("both of you")
    expect(panel.locator("button:has-text('Download a backup')")).to_be_disabled()
    assert guard.errors == []
