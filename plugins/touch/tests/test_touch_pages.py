"""The path over the weeks (data and SVG) and the phone pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from touch_testing import API, ok, practise, set_ceiling, unlock_up_to

from hearthside.plugins.touch import progress
from hearthside.testing import PASSWORD


def browser(app, username: str):
    """A test client signed in with a browser session (cookie + CSRF), like a phone."""
    client = app.test_client()
    answer = client.post("/api/v1/auth/session", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return client


def test_the_path_shows_steps_forward_and_back_alike(app, couple):
    ann, bob = couple
    unlock_up_to(ann, bob, 3)
    ok(bob.post(f"{API}/step-back"))
    practise(ann, 1)
    data = ok(ann.get(f"{API}/progress"))
    assert [(s["kind"], s["from_level"], s["to_level"]) for s in data["steps"]] == \
        [("unlock", 1, 2), ("unlock", 2, 3), ("step_back", 3, 2)]
    assert len(data["sessions"]) == 7 and data["sessions"][-1]["level"] == 2
    assert data["unlocked_level"] == 2 and "part of the path" in data["note"]
    with app.app_context():  # the chart is the core's Jinja macro
        svg = str(progress.svg(data, "Europe/Berlin"))
    assert svg.startswith("<svg") and svg.count("<polyline") == 1  # one path, forward and back the same
    assert svg.count("<circle") == 7
    assert "style=" not in svg and "<script" not in svg and "http" not in svg


def test_the_chart_escapes_names_the_couple_wrote(app, couple):
    ann, bob = couple
    phases = [{k: p[k] for k in ("key", "name", "in", "out", "practice")}
              for p in ok(ann.get(f"{API}/ladder"))["phases"]]
    phases[0]["name"] = "<b>Near</b> & calm"
    proposal = ok(ann.post(f"{API}/proposal", json={"phases": phases}), 201)["proposal"]
    ok(bob.post(f"{API}/proposal/accept", json={"proposal_id": proposal["id"]}))
    practise(ann, 1)
    data = ok(ann.get(f"{API}/progress"))
    with app.app_context():
        svg = str(progress.svg(data, "Europe/Berlin"))
    assert "<b>" not in svg and "&lt;b&gt;Near&lt;/b&gt; &amp; calm" in svg


def test_an_empty_path_draws_nothing(app, couple):
    ann, _bob = couple
    data = ok(ann.get(f"{API}/progress"))
    assert data["steps"] == [] and data["sessions"] == []
    with app.app_context():
        assert str(progress.svg(data, "UTC")) == ""
        assert str(progress.svg({**data, "sessions": [{"id": 1, "started_at": (datetime.now(timezone.utc)
                                                       - timedelta(days=30)).isoformat(), "level": 1,
                                                       "phase_name": "Being close"}]}, "UTC")).count("<circle") == 1


def test_the_pages_render_for_members_with_the_csp_and_send_others_to_sign_in(app, couple):
    ann, bob = couple
    set_ceiling(ann, 2)
    practise(ann, 1)
    phone = browser(app, "ann")
    for path, marker in (("/touch", 'data-page="touch"'), ("/touch/ladder", 'data-page="touch-ladder"'),
                         ("/touch/path", 'data-page="touch-path"')):
        page = phone.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert marker in html and ">Closeness<" in html  # the discreet menu entry
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert page.headers["Cache-Control"] == "no-store"
        assert "/touch/static/touch.js" in html and "http://" not in html and "https://" not in html
    path_html = phone.get("/touch/path").get_data(as_text=True)
    assert "<svg" in path_html and "Steps back are part of the path" in path_html
    assert "fail" not in path_html.lower()
    assert phone.get("/touch/static/touch.js").status_code == 200
    assert phone.get("/touch/static/touch.css").status_code == 200
    anonymous = app.test_client().get("/touch")
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]


def test_a_browser_write_needs_the_csrf_token(app, couple):
    phone = browser(app, "bob")
    refused = phone.put(f"{API}/ceiling", json={"level": 2})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    token = phone.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    assert phone.put(f"{API}/ceiling", json={"level": 2}, headers={"X-CSRF-Token": token}).status_code == 200
