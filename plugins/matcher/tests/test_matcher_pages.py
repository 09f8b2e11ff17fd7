"""The matcher's pages: for signed-in members, strict headers, honest words."""

from __future__ import annotations

from hearthside.testing import PASSWORD

PAGES = ("/matcher", "/matcher/compare", "/matcher/list")


def signed_in(app, member):
    username = member.username
    client = app.test_client()
    answer = client.post("/api/v1/auth/session", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.json
    return client


def test_pages_are_for_signed_in_members_only(shared_app, pair):
    anonymous = shared_app.test_client()
    for path in PAGES:
        answer = anonymous.get(path)
        assert answer.status_code == 302 and "/signin" in answer.headers["Location"]
    browser = signed_in(shared_app, pair[0])
    for path in PAGES:
        answer = browser.get(path)
        assert answer.status_code == 200, path
        assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["Cache-Control"] == "no-store"
        text = answer.get_data(as_text=True)
        assert "matcher.js" in text and "matcher.css" in text
    assert browser.get("/matcher/static/matcher.js").status_code == 200


def test_the_menu_links_to_the_matcher(shared_app, pair):
    text = signed_in(shared_app, pair[0]).get("/").get_data(as_text=True)
    assert 'href="/matcher"' in text and "Yes / no / maybe" in text


def test_the_pages_say_what_the_results_tell_and_what_they_do_not(shared_app, pair):
    browser = signed_in(shared_app, pair[0])
    answer_page = " ".join(browser.get("/matcher").get_data(as_text=True).split())
    assert "your partner never sees them" in answer_page and "only you will ever see it" in answer_page
    assert "Skip" in answer_page and "Back" in answer_page and "data-progress" in answer_page
    compare = " ".join(browser.get("/matcher/compare").get_data(as_text=True).split())
    assert "I'm ready to compare" in compare
    assert "your partner is not open to it right now" in compare
    assert "<strong>invitation to talk</strong>, never a permission" in compare
    assert "either of you can say no, and that always wins" in compare
    manage = " ".join(browser.get("/matcher/list").get_data(as_text=True).split())
    assert "never says who added it" in manage and "only when both of you agree" in manage
