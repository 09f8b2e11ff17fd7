"""Time-boxed agreements: signed by both, versioned, never rewritten; the review date asks both."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from transparency_testing import API, events_for, snapshot

from hearthside.testing import FakeClock, hs_of

BERLIN = ZoneInfo("Europe/Berlin")
ITEMS = ["Plans for evenings out, the day before.", "Any contact with Sam, the same day."]
JOB = "transparency.agreement_reviews"


def today() -> date:
    return datetime.now(BERLIN).date()


def propose(member, items=ITEMS, days: int = 30):
    review_on = (today() + timedelta(days=days)).isoformat()
    answer = member.post(f"{API}/agreements", json={"items": items, "review_on": review_on})
    assert answer.status_code == 201, answer.json
    return answer.json


def signed(ann, bob, items=ITEMS, days: int = 30) -> dict:
    version = propose(ann, items, days)
    answer = bob.post(f"{API}/agreements/{version['id']}/sign")
    assert answer.status_code == 200 and answer.json["status"] == "active"
    return answer.json


def test_an_agreement_is_in_force_once_both_signed(pair):
    ann, bob = pair
    version = propose(ann)
    assert (version["status"], version["version"], version["items"]) == ("proposed", 1, ITEMS)
    assert [s["member_id"] for s in version["signed_by"]] == [ann.id]
    assert bob.get(f"{API}/agreements").json["current"] is None
    assert bob.get(f"{API}/agreements").json["pending"]["id"] == version["id"]
    active = bob.post(f"{API}/agreements/{version['id']}/sign").json
    assert active["status"] == "active" and [s["member_id"] for s in active["signed_by"]] == [ann.id, bob.id]
    assert ann.get(f"{API}/agreements").json["current"]["id"] == version["id"]
    assert [e["payload"]["status"] for e in events_for(ann, "transparency.agreement_changed")] == ["proposed", "active"]


def test_a_change_is_a_new_version_and_the_old_one_is_kept_as_signed(pair):
    ann, bob = pair
    first = signed(ann, bob)
    change = propose(bob, ["Plans for evenings out."], days=60)
    assert change["version"] == 2
    assert ann.get(f"{API}/agreements").json["current"]["id"] == first["id"]  # in force until both sign
    ann.post(f"{API}/agreements/{change['id']}/sign")
    versions = {v["version"]: v for v in ann.get(f"{API}/agreements").json["versions"]}
    assert versions[1]["status"] == "superseded" and versions[1]["items"] == ITEMS
    assert versions[2]["status"] == "active" and versions[2]["items"] == ["Plans for evenings out."]
    # Declining (the partner) or withdrawing (the proposer) leaves the version in force as it is.
    third = propose(ann, ["Nothing."])
    assert bob.post(f"{API}/agreements/{third['id']}/decline").json["status"] == "declined"
    fourth = propose(ann, ["Nothing."])
    assert ann.post(f"{API}/agreements/{fourth['id']}/decline").json["status"] == "withdrawn"
    assert ann.get(f"{API}/agreements").json["current"]["version"] == 2


def test_either_member_may_end_it_alone(pair):
    ann, bob = pair
    version = signed(ann, bob)
    ended = bob.post(f"{API}/agreements/{version['id']}/end")
    assert ended.status_code == 200 and ended.json["status"] == "ended" and ended.json["closed_by"] == bob.id
    state = ann.get(f"{API}/agreements").json
    assert state["current"] is None and state["versions"][0]["items"] == ITEMS  # still readable


def test_bad_requests_are_refused_and_write_nothing(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    active = signed(ann, bob)
    waiting = propose(ann, ["Something new."])
    before = snapshot(shared_app)
    soon = (today() + timedelta(days=7)).isoformat()
    for body, field in [
        ({"review_on": soon}, "items"), ({"items": [], "review_on": soon}, "items"),
        ({"items": [""], "review_on": soon}, "items"), ({"items": "all of it", "review_on": soon}, "items"),
        ({"items": [f"i{n}" for n in range(21)], "review_on": soon}, "items"),
        ({"items": ITEMS}, "review_on"), ({"items": ITEMS, "review_on": today().isoformat()}, "review_on"),
        ({"items": ITEMS, "review_on": (today() - timedelta(days=1)).isoformat()}, "review_on"),
        ({"items": ITEMS, "review_on": (today() + timedelta(days=400)).isoformat()}, "review_on"),
        ({"items": ITEMS, "review_on": "next month"}, "review_on"),
        ({"items": ITEMS, "review_on": 20250101}, "review_on"),
    ]:
        answer = ann.post(f"{API}/agreements", json=body)
        assert answer.status_code == 400 and field in answer.json["error"]["message"], body
    for member, path, body, status, code in [
        (ann, f"{waiting['id']}/sign", None, 409, "already_signed"),
        (bob, f"{active['id']}/sign", None, 409, "agreement_not_proposed"),
        (bob, f"{active['id']}/decline", None, 409, "agreement_not_proposed"),
        (bob, f"{waiting['id']}/end", None, 409, "agreement_not_active"),
        (bob, f"{waiting['id']}/renew", {"review_on": soon}, 409, "agreement_not_active"),
        (bob, f"{active['id']}/renew", {"review_on": "soon"}, 400, "invalid_field"),
        (bob, f"{active['id']}/renew", {}, 400, "invalid_field"),
        (bob, "999999/sign", None, 404, "agreement_not_found"),
        (cat, f"{waiting['id']}/sign", None, 404, "agreement_not_found"),
        (cat, f"{active['id']}/end", None, 404, "agreement_not_found"),
    ]:
        answer = member.post(f"{API}/agreements/{path}", json=body)
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), path
    assert snapshot(shared_app) == before


def test_a_signed_version_is_never_rewritten(shared_app, pair):
    ann, bob = pair
    version = signed(ann, bob)
    with hs_of(shared_app).storage.connection() as db:
        with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):
            db.execute("UPDATE transparency_agreements SET items = '[]' WHERE id = ?", [version["id"]])


def local(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def test_the_review_date_asks_both_to_renew_change_or_end_on_the_schedulers_clock(shared_app, pair):
    ann, bob = pair
    version = signed(ann, bob, days=10)
    review_on = date.fromisoformat(version["review_on"])
    hs = hs_of(shared_app)
    clock = FakeClock(local(review_on - timedelta(days=1), 23, 30))
    scheduler = hs.start_scheduler(clock=clock)
    try:
        assert JOB in scheduler.jobs
        scheduler.run_job(JOB)  # the evening before, in the couple's own time zone: not yet
        assert ann.get(f"{API}/agreements").json["current"]["review_due"] is False
        assert events_for(ann, "transparency.agreement_review_due") == []
        clock.now = local(review_on, 0, 30)  # just after midnight in Berlin (still the day before in UTC)
        scheduler.run_job(JOB)
        current = bob.get(f"{API}/agreements").json["current"]
        assert current["review_due"] is True and current["status"] == "active"
        asked = events_for(bob, "transparency.agreement_review_due")
        assert len(asked) == 1 and asked[0]["visibility"] == "couple"  # both are asked
        assert "renew it, change it or end it" in asked[0]["payload"]["summary"]
        clock.now = local(review_on, 9, 0)
        scheduler.run_job(JOB)  # asked once, not every time the job runs
        assert len(events_for(ann, "transparency.agreement_review_due")) == 1
    finally:
        scheduler.shutdown()
        hs.scheduler = None
    # Renewing proposes the same items with a new date; once both sign, the new version is in force.
    renewed = ann.post(f"{API}/agreements/{version['id']}/renew",
                       json={"review_on": (today() + timedelta(days=90)).isoformat()})
    assert renewed.status_code == 201 and renewed.json["items"] == ITEMS and renewed.json["version"] == 2
    bob.post(f"{API}/agreements/{renewed.json['id']}/sign")
    state = ann.get(f"{API}/agreements").json
    assert state["current"]["version"] == 2 and state["current"]["review_due"] is False
    assert {v["version"]: v["status"] for v in state["versions"]} == {1: "superseded", 2: "active"}
