"""Static files under URLs that carry their content hash (cached a year), and gzip only when asked and only for public answers."""

from __future__ import annotations

import gzip
import hashlib
import re

from flask import Flask, render_template_string

from hearthside.static_files import IMMUTABLE, file_version, install
from hearthside.testing import sign_in_browser

STATIC = __import__("hearthside.web", fromlist=["x"]).__path__[0] + "/static"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def sha12(path: str) -> str:
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:12]


def test_pages_link_static_files_by_their_content_hash(app, client, ann):
    page = sign_in_browser(app, ann).get("/").get_data(as_text=True)
    assert f'src="/static/app.js?v={sha12(STATIC + "/app.js")}"' in page
    assert f'/static/hearthside.css?v={sha12(STATIC + "/hearthside.css")}"' in page


def test_a_plugins_static_files_carry_their_hash_too(app, ann):
    page = sign_in_browser(app, ann).get("/touch").get_data(as_text=True)
    touch_js = re.search(r'/touch/static/touch\.js\?v=([0-9a-f]{12})"', page)
    assert touch_js, "touch.js is linked without its hash"
    assert sign_in_browser(app, ann).get(f"/touch/static/touch.js?v={touch_js.group(1)}").headers[
        "Cache-Control"] == IMMUTABLE


def test_the_current_hash_is_cached_for_a_year_anything_else_is_checked_each_time(client):
    current = client.get(f"/static/app.js?v={sha12(STATIC + '/app.js')}")
    assert current.status_code == 200 and current.headers["Cache-Control"] == IMMUTABLE
    for url in ("/static/app.js", "/static/app.js?v=000000000000"):
        answer = client.get(url)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-cache", url
    assert client.get("/static/no-such-file.js?v=000000000000").status_code == 404


def test_a_changed_file_changes_its_url(tmp_path):
    script = tmp_path / "app.js"
    script.write_text("one();")
    before = sha12(str(script))
    site = Flask("versioned", static_folder=str(tmp_path), static_url_path="/static")
    install(site)
    with site.test_request_context():
        first = render_template_string("{{ url_for('static', filename='app.js') }}")
        script.write_text("two(); // longer, so the size changes whatever the clock")
        second = render_template_string("{{ url_for('static', filename='app.js') }}")
        missing = render_template_string("{{ url_for('static', filename='gone.js') }}")
    assert first == f"/static/app.js?v={before}"
    assert second == f"/static/app.js?v={sha12(str(script))}" and second != first
    assert missing == "/static/gone.js"  # nothing to hash: the URL as it was
    assert file_version(str(tmp_path / "gone.js")) is None


def test_gzip_only_when_the_browser_asks_for_it(client):
    url = f"/static/hearthside.js?v={sha12(STATIC + '/hearthside.js')}"
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    zipped = client.get(url, headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data) / 2
    assert int(zipped.headers["Content-Length"]) == len(zipped.data)
    assert zipped.headers["Cache-Control"] == IMMUTABLE
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data


def test_a_compressed_file_still_revalidates_with_its_etag(client):
    zipped = client.get("/static/hearthside.css", headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.headers["ETag"].startswith('W/"')
    again = client.get("/static/hearthside.css", headers={**GZIP, "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_the_app_shell_is_compressed_small_answers_and_pages_with_a_secret_are_not(client, couple):
    worker = client.get("/sw.js", headers=GZIP)
    assert worker.headers["Content-Encoding"] == "gzip" and b"SHELL_VERSION" in gzip.decompress(worker.data)
    assert "Content-Encoding" not in client.get("/api/v1/health", headers=GZIP).headers  # under a KiB
    signin = client.get("/signin", headers=GZIP)  # sets the session's CSRF token: a secret in the page
    assert signin.status_code == 200 and len(signin.data) >= 1024 and "Content-Encoding" not in signin.headers


def test_answers_for_a_member_or_the_wall_are_never_compressed(app, couple, wall, other_couple):
    """Privacy (BREACH): a member's answer mixes their private text with the partner's; its length must tell nothing."""
    ann, bob = couple
    for _ in range(10):  # enough events that every answer below is well over the size gzip would start at
        assert ann.post("/api/v1/pause", json={"minutes": 20}).status_code == 200
    browser, anyone = sign_in_browser(app, bob), app.test_client()

    def bearer(holder, path):
        return anyone.get(path, headers={**GZIP, **holder.headers})

    answers = {
        "member, bearer": bearer(ann, "/api/v1/events?after=0"),
        "partner, bearer": bearer(bob, "/api/v1/events?after=0"),
        "member, browser page": browser.get("/", headers=GZIP),
        "member, browser API": browser.get("/api/v1/events?after=0", headers=GZIP),
        "wall": bearer(wall, "/api/v1/events?after=0"),
        "other couple": bearer(other_couple[0], "/api/v1/events?after=0"),
    }
    for who, answer in answers.items():
        assert answer.status_code == 200, who
        assert len(answer.data) >= 1024 or who == "other couple", (who, len(answer.data))
        assert "Content-Encoding" not in answer.headers, who
    nobody = app.test_client().get("/api/v1/events?after=0", headers=GZIP)
    assert nobody.status_code == 401 and "Content-Encoding" not in nobody.headers  # small, and says nothing
