"""Reviews together, the printable period, and the wall card (a count, never text)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from transparency_testing import API, WALL, events_for, snapshot, written

from hearthside.testing import PASSWORD, pair_device


def activity(ann, bob) -> dict:
    """A week of the log: entries of several kinds, a breach, receipts, replies and questions."""
    plan = written(ann, "Book club on Thursday, home by 22:00.", "plan")
    breach = written(ann, "I looked at Sam's profile. I'm telling you because we agreed.", "breach")
    written(ann, "Sam sent a birthday message; I did not reply.", "contact")
    bob.post(f"{API}/entries/{plan['id']}/acknowledge")
    bob.post(f"{API}/entries/{breach['id']}/acknowledge")
    bob.post(f"{API}/entries/{breach['id']}/replies", json={"text": "That hurt, and I'm glad you said it."})
    answered = bob.post(f"{API}/questions", json={"text": "Why did you look?"}).json
    bob.post(f"{API}/questions", json={"text": "Do you still think about Sam?"})
    ann.post(f"{API}/questions/{answered['id']}/answers", json={"text": "Curiosity, and I regret it."})
    return {"plan": plan, "breach": breach}


def test_a_review_sums_up_everything_since_the_last_one_in_counts(pair):
    ann, bob = pair
    activity(ann, bob)
    preview = bob.get(f"{API}/reviews").json["since_last"]
    started = ann.post(f"{API}/reviews")
    assert started.status_code == 201
    review = started.json
    assert review["summary"] == preview
    assert review["summary"] == {
        "from_seq": 1, "to_seq": 9, "records": 7, "entries": 3,
        "by_kind": {"plan": 1, "whereabouts": 0, "contact": 1, "disclosure": 0, "breach": 1, "note": 0,
                    "reply": 1, "question": 2, "answer": 1},
        "breaches": 1, "questions_opened": 2, "questions_answered": 1, "questions_still_open": 1,
        "acknowledged": {"count": 2, "of": 3, "rate": 0.67}, "entries_with_replies": 1,
        "sharing_changes": 2, "forgotten": 0,
    }
    assert "Sam" not in str(review)  # counts only: the summary never carries what was written
    assert review["completed"] is False and review["head_hash"] == ann.get(f"{API}/verify").json["head"]


def test_both_mark_it_reviewed_with_optional_notes_and_past_reviews_stay(shared_app, pair):
    ann, bob = pair
    activity(ann, bob)
    review = ann.post(f"{API}/reviews").json
    before = snapshot(shared_app)
    assert ann.post(f"{API}/reviews").json["error"]["code"] == "review_open"  # one at a time
    assert snapshot(shared_app) == before
    marked = ann.post(f"{API}/reviews/{review['id']}/mark", json={"note": "Hard, but honest. Thank you."}).json
    assert marked["completed"] is False
    again = ann.post(f"{API}/reviews/{review['id']}/mark", json={})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_marked"
    done = bob.post(f"{API}/reviews/{review['id']}/mark")  # no body: the note is optional
    assert done.status_code == 200 and done.json["completed"] is True
    assert [(m["member_id"], m["note"]) for m in done.json["marks"]] == [
        (ann.id, "Hard, but honest. Thank you."), (bob.id, None)]
    assert bob.get(f"{API}/reviews/{review['id']}").json == done.json  # past reviews stay readable
    assert [e["payload"]["completed"] for e in events_for(bob, "transparency.review_changed")] == [False, False, True]
    # The next review starts where this one ended.
    written(ann, "Quiet week.", "note")
    following = bob.post(f"{API}/reviews").json
    assert (following["from_seq"], following["to_seq"]) == (review["to_seq"] + 1, review["to_seq"] + 1)
    assert following["summary"]["entries"] == 1
    listing = ann.get(f"{API}/reviews").json
    assert listing["open"]["id"] == following["id"] and [r["id"] for r in listing["reviews"]] == [following["id"],
                                                                                                   review["id"]]


def test_bad_marks_are_refused_and_write_nothing(shared_app, pair, strangers):
    ann, _bob = pair
    cat, _dan = strangers
    review = ann.post(f"{API}/reviews").json
    before = snapshot(shared_app)
    for member, path, body, status, code in [
        (ann, review["id"], {"note": 5}, 400, "invalid_field"),
        (ann, review["id"], {"note": "n" * 2001}, 400, "invalid_field"),
        (ann, review["id"], {"note": "  "}, 400, "invalid_field"),
        (ann, 999999, {}, 404, "review_not_found"),
        (cat, review["id"], {}, 404, "review_not_found"),
    ]:
        answer = member.post(f"{API}/reviews/{path}/mark", json=body)
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body
    assert ann.post(f"{API}/reviews/{review['id']}/mark", data="[]", content_type="application/json").status_code == 400
    assert cat.get(f"{API}/reviews/{review['id']}").status_code == 404
    assert snapshot(shared_app) == before


def test_the_printable_page_shows_a_period_cleanly(shared_app, pair):
    ann, bob = pair
    entries = activity(ann, bob)
    written(ann, "<script>alert('x')</script> & more", "note")
    browser = shared_app.test_client()
    browser.post("/api/v1/auth/session", json={"username": bob.username, "password": PASSWORD})
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    page = browser.get(f"/transparency/print?from={today.isoformat()}&to={today.isoformat()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Book club on Thursday, home by 22:00." in html and "Breach (self-reported)" in html
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html  # escaped, never run
    assert "Read by Bob" in html and "chain of seals is intact" in html
    assert f"#{entries['breach']['seq']}" in html and "Reply to #" in html
    assert "@media print" in shared_app.test_client().get("/transparency/static/transparency.css").get_data(as_text=True)
    yesterday = (today - timedelta(days=1)).isoformat()
    assert "Nothing was written in this period." in browser.get(
        f"/transparency/print?from={yesterday}&to={yesterday}").get_data(as_text=True)
    assert "Dates must look like" in browser.get("/transparency/print?from=someday").get_data(as_text=True)
    assert shared_app.test_client().get("/transparency/print").status_code == 302  # members only: to sign-in


def test_the_wall_shows_a_count_only_and_only_while_both_agree(shared_app, pair):
    ann, bob = pair
    wall = pair_device(ann)
    written(ann, "Private words that must never reach the wall.")
    cards = lambda: [c for c in wall.get("/api/v1/dashboard").json["cards"] if c["plugin"] == "transparency"]  # noqa
    assert cards() == []
    ann.put(f"/api/v1/consents/{WALL}", json={"granted": True})
    assert cards() == []  # mutual: one yes is not enough
    bob.put(f"/api/v1/consents/{WALL}", json={"granted": True})
    card = cards()[0]
    assert card["body"] == {"text": "1 new entry - not reviewed together yet", "value": 1, "reviewed_together": 0}
    review = ann.post(f"{API}/reviews").json
    ann.post(f"{API}/reviews/{review['id']}/mark")
    bob.post(f"{API}/reviews/{review['id']}/mark")
    assert cards()[0]["body"]["text"] == "Nothing new since today's review"
    written(ann, "More private words.")
    written(ann, "And more.", "breach")
    card = cards()[0]
    assert card["body"] == {"text": "2 new entries since today's review", "value": 2, "reviewed_together": 1}
    wall_text = str(wall.get("/api/v1/dashboard").json) + str(wall.get("/api/v1/events?limit=500").json)
    assert "Private" not in wall_text and "breach" not in wall_text.lower()
    # The wall is nudged to re-read its cards (content-free) only while it may show them.
    nudges = [e for e in wall.get("/api/v1/events?limit=500").json["events"]
              if e["type"] == "transparency.wall_refresh"]
    assert nudges and all(e["payload"] == {} for e in nudges)
    bob.put(f"/api/v1/consents/{WALL}", json={"granted": False})
    assert cards() == []
    count = len([e for e in wall.get("/api/v1/events?limit=500").json["events"]
                 if e["type"] == "transparency.wall_refresh"])
    written(ann, "Written after the wall was turned off.")
    assert len([e for e in wall.get("/api/v1/events?limit=500").json["events"]
                if e["type"] == "transparency.wall_refresh"]) == count


def test_the_card_names_the_day_of_the_last_review():
    from hearthside.plugins.transparency.card import _day_name

    now = datetime(2024, 6, 14, 12, 0, tzinfo=ZoneInfo("UTC"))  # a Friday
    assert _day_name("2024-06-14T08:00:00+00:00", "Europe/Berlin", now) == "today's"
    assert _day_name("2024-06-13T08:00:00+00:00", "Europe/Berlin", now) == "yesterday's"
    assert _day_name("2024-06-09T08:00:00+00:00", "Europe/Berlin", now) == "Sunday's"
    assert _day_name("2024-05-20T08:00:00+00:00", "Europe/Berlin", now) == "the 20 May"
