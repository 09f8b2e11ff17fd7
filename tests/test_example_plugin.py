"""examples/gratitude-jar: a third-party plugin, installed with pip, found through its entry point.

The example is installed the way a user adds a plugin: ``pip install`` into
the ``.venv`` of a fresh install of Hearthside (``fresh_install``, the
README's ``pip install .``), never into the environment running these tests.
These tests then check the path a user takes: the entry point is there,
``hearthside plugins`` lists it as loaded, a real ``hearthside serve`` runs
it end to end over HTTP (including the evening draw caught up after a
restart), its page works in Chromium, and its own test suite passes.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.conftest import PASSWORD, ServerProcess
from tests.support.fresh_install import user_env

pytestmark = pytest.mark.slow

API = "/api/v1/gratitude_jar"
SCOPE = "dashboard.gratitude_jar"
JOB = "gratitude_jar.evening_draw"


@pytest.fixture(scope="module")
def installed(fresh_install):
    """The fresh install with the example pip-installed beside Hearthside (with its test extra)."""
    fresh_install.shell(".venv/bin/pip install -q './examples/gratitude-jar[test]'")
    return fresh_install


def serve(installed, data_dir, **kwargs) -> ServerProcess:
    return ServerProcess(data_dir, program=[installed.bin / "hearthside", "serve"], cwd=installed.folder, **kwargs)


def test_it_is_installed_as_its_own_third_party_distribution_with_an_entry_point(installed):
    probe = (
        "import json\n"
        "from importlib.metadata import entry_points\n"
        "from hearthside.plugin_manager import discover\n"
        "[entry] = [ep for ep in entry_points(group='hearthside.plugins') if ep.name == 'gratitude_jar']\n"
        "[candidate] = [c for c in discover() if c.name == 'gratitude_jar']\n"
        "print(json.dumps({'value': entry.value, 'dist': entry.dist.name, 'version': entry.dist.version,\n"
        "                  'file': entry.load().__file__, 'builtin': candidate.builtin, 'origin': candidate.origin}))\n"
    )
    found = json.loads(installed.shell(f".venv/bin/python -c \"{probe}\"").stdout)
    assert found["value"] == "hearthside_gratitude_jar"
    assert found["dist"] == "hearthside-gratitude-jar" and found["version"] == "1.0.0"
    assert "/site-packages/hearthside_gratitude_jar/" in found["file"]  # a real install, not the source folder
    assert found["builtin"] is False and found["origin"].startswith("hearthside-gratitude-jar 1.0.0")


def test_hearthside_plugins_lists_it_as_loaded(installed):
    done = installed.hearthside("plugins")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.strip().splitlines()[1:]}
    assert rows["gratitude_jar"] == ["1.0.0", "yes", "loaded"]


class Caller:
    def __init__(self, url: str, token: str):
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        return lambda path, **kw: requests.request(method.upper(), self.url + path, headers=self.headers,
                                                   timeout=10, **kw)


def sign_up(url: str) -> tuple[Caller, Caller, Caller]:
    answer = requests.post(url + "/api/v1/onboarding", timeout=10, json={
        "couple": {"name": "Jar Household", "time_zone": "Europe/Berlin"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}}).json()
    ann = Caller(url, answer["token"])
    code = ann.post("/api/v1/invites").json()["code"]
    bob = Caller(url, requests.post(url + f"/api/v1/invites/{code}/accept", timeout=10, json={
        "username": "bob", "password": PASSWORD, "display_name": "Bob"}).json()["token"])
    pairing = ann.post("/api/v1/devices", json={"name": "Hallway"}).json()["pairing_code"]
    wall = Caller(url, requests.post(url + "/api/v1/devices/claim", json={"pairing_code": pairing},
                                     timeout=10).json()["token"])
    return ann, bob, wall


def jar_cards(wall) -> list[dict]:
    return [card for card in wall.get("/api/v1/dashboard").json()["cards"] if card["plugin"] == "gratitude_jar"]


def test_it_works_end_to_end_in_a_real_server(installed, data_dir):
    server = serve(installed, data_dir)
    try:
        ann, bob, wall = sign_up(server.url)
        assert ann.post(API + "/notes", json={"text": "You fixed my bike"}).status_code == 201
        assert ann.post(API + "/notes", json={"text": ""}).status_code == 400
        assert [n["text"] for n in ann.get(API + "/notes").json()["notes"]] == ["You fixed my bike"]
        assert bob.get(API + "/notes").json()["notes"] == []  # private to its author
        assert bob.get(API + "/drawn").status_code == 403
        assert wall.get(API + "/notes").status_code == 403
        assert requests.get(server.url + API + "/notes", timeout=10).status_code == 401
        assert ann.put(f"/api/v1/consents/{SCOPE}", json={"granted": True}).json()["active"] is False
        assert bob.put(f"/api/v1/consents/{SCOPE}", json={"granted": True}).json()["active"] is True
        assert jar_cards(wall) == []  # both agree, but nothing has been drawn yet

        browser = requests.Session()
        assert browser.post(server.url + "/api/v1/auth/session", json={"username": "bob", "password": PASSWORD},
                            timeout=10).status_code == 200
        page = browser.get(server.url + "/gratitude-jar", timeout=10)
        assert page.status_code == 200 and "Drop it in the jar" in page.text and 'href="/gratitude-jar"' in page.text
        assert browser.get(server.url + "/gratitude-jar/static/gratitude_jar.js", timeout=10).status_code == 200
    finally:
        assert server.stop() == 0, server.output()

    # The Pi was off at draw time: its last run was a day ago. At start the scheduler catches up once.
    with sqlite3.connect(data_dir / "hearthside.db") as db:
        yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
        assert db.execute("UPDATE scheduler_runs SET last_run_at = ? WHERE job_id = ?", [yesterday, JOB]).rowcount == 1
    server = serve(installed, data_dir, env={"HEARTHSIDE_PLUGINS__GRATITUDE_JAR__DRAW_HOUR": "0"})
    for caller in (ann, bob, wall):
        caller.url = server.url  # a new port
    try:
        deadline = time.monotonic() + 20  # the catch-up runs beside serving, just after the server answers
        while not jar_cards(wall) and time.monotonic() < deadline:
            time.sleep(0.1)
        [card] = jar_cards(wall)
        assert card["body"]["text"] == "You fixed my bike" and card["title"] == "From the gratitude jar"
        [drawn] = bob.get(API + "/drawn").json()["drawn"]
        assert drawn["text"] == "You fixed my bike" and drawn["mine"] is False
        assert bob.put(f"/api/v1/consents/{SCOPE}", json={"granted": False}).status_code == 200
        assert jar_cards(wall) == [] and ann.get(API + "/drawn").status_code == 403
        assert "You fixed my bike" not in server.output()  # never in a log line
    finally:
        assert server.stop() == 0, server.output()


def test_its_own_test_suite_passes_with_hearthside_testing(installed):
    done = subprocess.run([str(installed.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], capture_output=True,
                          text=True, cwd=installed.folder / "examples" / "gratitude-jar", env=user_env(), timeout=300)
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary


def test_the_page_in_chromium(installed, chromium, data_dir):
    """On a phone: sign in, drop a note, see it waiting, take it back (the page's own JavaScript)."""
    from playwright.sync_api import expect

    from hearthside.testing import PHONE, BrowserGuard, new_page, sign_in_with_form

    server = serve(installed, data_dir)
    try:
        sign_up(server.url)
        guard = BrowserGuard(server.url)
        page = new_page(chromium, guard, **PHONE)
        sign_in_with_form(page, "ann", next_path="/gratitude-jar")
        expect(page.locator("main h1")).to_have_text("Gratitude jar")
        expect(page.locator("[data-gj-mine-empty]")).to_be_visible()
        expect(page.locator("[data-gj-off]")).to_be_visible()  # the draw waits for both consents
        page.click("text=Drop it in the jar")
        expect(page.locator("[data-gj-form-error]")).to_contain_text("Write one thing")  # nothing sent
        page.fill("#gj-text", "You walked the dog in the rain")
        expect(page.locator("[data-gj-count]")).to_have_text("30")
        page.click("text=Drop it in the jar")
        note = page.locator("[data-gj-mine] li")
        expect(note).to_have_count(1)
        expect(note).to_contain_text("You walked the dog in the rain")
        expect(note).to_contain_text("In the jar")
        page.screenshot(path=str(data_dir.parent / "gratitude-jar-phone.png"), full_page=True)
        note.locator("text=Take back").click()
        expect(page.locator("[data-gj-mine] li")).to_have_count(0)
        expect(page.locator("[data-gj-mine-empty]")).to_be_visible()
        assert guard.outside == [] and guard.errors == []
    finally:
        server.stop()
