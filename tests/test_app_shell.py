"""The installable app (issue 17, item 2): manifest, icons, offline page, and a worker that stores nothing private."""

from __future__ import annotations

import json
import re
import struct

import pytest
import requests

from hearthside import tls
from hearthside.testing import PHONE, BrowserGuard, new_page, sign_in_browser, sign_in_with_form
from tests.conftest import PASSWORD, onboard_couple

PUBLIC_PATHS = ("/manifest.webmanifest", "/sw.js", "/offline", "/trust", "/favicon.ico")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def shell_of(text: str) -> list[str]:
    """The list of what the worker may store, as the server writes it into /sw.js."""
    return json.loads(re.search(r"^const SHELL = (.*);$", text, re.M).group(1))


def test_the_manifest_makes_the_app_installable(client):
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    manifest = answer.get_json(force=True)
    assert manifest["name"] == "Hearthside" and manifest["short_name"] == "Hearthside"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"]) and manifest["background_color"]
    purposes = {icon["purpose"] for icon in manifest["icons"]}
    assert purposes == {"any", "maskable"}
    for icon in manifest["icons"]:
        data = client.get(icon["src"]).data
        if icon["type"] == "image/png":
            width, height = map(int, icon["sizes"].split("x"))
            assert png_size(data) == (width, height), icon["src"]
        else:
            assert icon["sizes"] == "any" and b"<svg" in data
    assert {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"} >= {"192x192", "512x512"}


def test_every_page_links_the_manifest_the_icons_and_the_worker(app, client, ann):
    member_browser = sign_in_browser(app, ann)
    for browser, path in ((client, "/signin"), (member_browser, "/"), (member_browser, "/account"),
                          (client, "/dashboard"), (client, "/trust")):
        page = browser.get(path).get_data(as_text=True)
        for link in ('rel="manifest" href="/manifest.webmanifest"', 'rel="apple-touch-icon"',
                     'src="/static/app.js?v=', 'rel="icon"'):  # versioned: hearthside.static_files
            assert link in page, (path, link)
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and png_size(favicon.data) == (32, 32)


def test_the_worker_may_store_only_public_shell_files(app, client, ann):
    """The list is fixed and every entry answers the same to nobody as to a member: nothing private can be in it."""
    shell = shell_of(client.get("/sw.js").get_data(as_text=True))
    assert shell[0] == "/offline" and "/static/hearthside.css" in [url.split("?v=")[0] for url in shell]
    member_browser = sign_in_browser(app, ann)
    for url in shell:
        assert not url.startswith("/api/"), url
        anonymous = client.get(url)
        assert anonymous.status_code == 200, url
        assert member_browser.get(url).data == anonymous.data, url
    worker = client.get("/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Cache-Control"] == "no-cache"
    assert re.match(r'const SHELL_VERSION = "[0-9.]+-[0-9a-f]{12}";', worker.get_data(as_text=True))
    assert "cache.put" not in worker.get_data(as_text=True)  # nothing is added after the install


@pytest.mark.parametrize("who", ["nobody", "member", "partner", "wall", "other_couple"])
def test_the_new_public_answers_are_the_same_whoever_asks(app, client, couple, wall, other_couple, who):
    """Privacy: the manifest, worker, offline and trust pages carry nobody's data, so they are identical for all."""
    ann, bob = couple
    asking = {"nobody": client, "member": sign_in_browser(app, ann), "partner": sign_in_browser(app, bob),
              "other_couple": sign_in_browser(app, other_couple[0]), "wall": app.test_client()}[who]
    headers = {"Authorization": f"Bearer {wall.token}"} if who == "wall" else {}
    fresh = app.test_client()
    for path in PUBLIC_PATHS:
        answer = asking.get(path, headers=headers)
        assert answer.status_code == 200, path
        if path != "/trust":  # a signed-in browser's /trust carries its own csrf meta, like every page
            assert answer.data == fresh.get(path).data, path
        for member in (ann, bob, *other_couple):
            assert member.display_name.encode() not in answer.data, (path, member.display_name)


def test_trust_says_plainly_when_there_is_no_certificate(client):
    page = client.get("/trust")
    assert page.status_code == 200 and "This server does not use HTTPS" in page.get_data(as_text=True)
    for download in ("/trust/hearthside-ca.crt", "/trust/hearthside-ca.pem", "/trust/hearthside.mobileconfig"):
        assert client.get(download).status_code == 404, download


def test_trust_offers_each_platform_its_file_once_the_ca_exists(app, client, data_dir):
    tls.ensure_certificates(data_dir, ["localhost"], ["127.0.0.1"])
    page = client.get("/trust").get_data(as_text=True)
    ca = tls.ca_certificate(data_dir)
    assert tls.fingerprint(ca) in page
    for href in ("/trust/hearthside.mobileconfig", "/trust/hearthside-ca.crt", "/trust/hearthside-ca.pem"):
        assert f'href="{href}"' in page
    assert client.get("/trust/hearthside.mobileconfig").mimetype == "application/x-apple-aspen-config"
    assert client.get("/trust/hearthside-ca.crt").headers["Content-Disposition"] == \
        'attachment; filename="hearthside-ca.crt"'
    assert client.get("/trust").headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_first_pages_a_device_sees_point_to_trust_over_https_only(client, make_app):
    def hint(page, **options):
        answer = client.get(page, **options)
        assert answer.status_code == 200, page
        return 'data-trust-hint>Did the browser warn' in answer.get_data(as_text=True) and 'href="/trust"' in \
            answer.get_data(as_text=True)

    assert hint("/welcome", base_url="https://localhost") and not hint("/welcome")
    onboard_couple(client)
    assert hint("/signin", base_url="https://localhost") and not hint("/signin")


# -- in Chromium ---------------------------------------------------------------------------------------------

def onboard(server) -> None:
    answer = requests.post(server.url + "/api/v1/onboarding", json={
        "couple": {"name": "Solo", "time_zone": "UTC"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann Private-Name"}})
    assert answer.status_code == 201, answer.text


def sign_in_page(page, server) -> None:
    from playwright.sync_api import expect

    sign_in_with_form(page, "ann")
    expect(page).to_have_url(f"{server.url}/")


WORKER_ACTIVE = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return {state: registration.active.state, scope: registration.scope};
}"""

CACHED = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) found.push(new URL(request.url).pathname + new URL(request.url).search);
  }
  return found;
}"""


@pytest.mark.browser
def test_chromium_installs_the_app_and_offline_shows_the_offline_page_with_nothing_private_cached(chromium, server):
    from playwright.sync_api import expect

    onboard(server)
    guard = BrowserGuard(server.url)
    page = new_page(chromium, guard, **PHONE)
    sign_in_page(page, server)
    worker = page.evaluate(WORKER_ACTIVE)
    assert worker == {"state": "activated", "scope": server.url + "/"}
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    manifest = page.evaluate("async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json()")
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    cdp = page.context.new_cdp_session(page)
    # Chromium's own install check. Playwright's contexts are incognito, which Chromium never installs into;
    # every other reason (no manifest, no icon, no worker, not secure, ...) would be listed here.
    errors = [error["errorId"] for error in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    assert errors in ([], ["in-incognito"]), errors
    assert cdp.send("Page.getAppManifest")["errors"] == []

    for path in ("/", "/account", "/consent", "/devices"):  # private pages, with their API calls
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert page.evaluate("async () => (await fetch('/api/v1/me')).status") == 200

    page.context.set_offline(True)
    page.goto("/account")
    expect(page.locator("[data-offline]")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Hearthside can't be reached")
    assert "Ann Private-Name" not in page.content()
    cached = page.evaluate(CACHED)
    shell = set(shell_of(requests.get(server.url + "/sw.js").text))
    assert cached and set(cached) <= shell, set(cached) - shell
    assert not [path for path in cached if path.startswith("/api/") or path in ("/", "/account", "/consent")]
    page.context.set_offline(False)
    page.goto("/")
    expect(page.locator("[data-offline]")).to_have_count(0)
    assert guard.outside == [] and guard.errors == [], (guard.outside, guard.errors)
