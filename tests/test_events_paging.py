"""Paging ``GET /api/v1/events?after=`` across a mix of visibilities.

The member's page is built from one ordered range per visibility, merged
(web/api/events.py); these check that the merge gives exactly the events the
caller may see, oldest first, with no gap and no repeat at page boundaries,
however the hidden events (the partner's private ones, another couple's) are
interleaved.
"""

from __future__ import annotations

import pytest

from hearthside.events import emit
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES


@pytest.fixture
def hearthside_plugins():
    """This file's apps also declare the event types its tests emit (tests/support/event_types.py)."""
    return dict(TEST_EVENT_TYPES)


def _emit_mix(hs, ann, bob, cat, rounds: int) -> None:
    """Couple, dashboard and private events of both partners, and the other couple's, interleaved."""
    with hs.storage.connection() as db, db.atomic():
        couple_id = _couple_id(ann)
        other_id = _couple_id(cat)
        for n in range(rounds):
            emit(db, "test.couple", couple_id, {"n": n}, visibility="couple")
            emit(db, "test.private", couple_id, {"n": n, "for": "bob"}, visibility="private", audience_id=bob.id)
            emit(db, "test.private", couple_id, {"n": n, "for": "bob"}, visibility="private", audience_id=bob.id)
            emit(db, "test.other", other_id, {"n": n}, visibility="dashboard")
            if n % 3 == 0:
                emit(db, "test.dashboard", couple_id, {"n": n}, visibility="dashboard")
            if n % 4 == 0:
                emit(db, "test.private", couple_id, {"n": n, "for": "ann"}, visibility="private", audience_id=ann.id)


def _couple_id(member) -> int:
    return member.get("/api/v1/me").json["couple"]["id"]


def _all_pages(reader, limit: int) -> list[dict]:
    seen, after = [], 0
    while True:
        page = reader.get(f"/api/v1/events?after={after}&limit={limit}").json["events"]
        if not page:
            return seen
        assert len(page) <= limit
        seen += page
        after = page[-1]["id"]


def _visible_to(events: list[dict], member_id: int | None, couple_id: int) -> list[dict]:
    return [e for e in events if e["couple_id"] == couple_id and (
        e["visibility"] == "dashboard" or (member_id is not None and (
            e["visibility"] == "couple" or (e["visibility"] == "private" and e["audience_id"] == member_id))))]


@pytest.mark.parametrize("limit", [1, 2, 7, 100])
def test_pages_in_any_size_give_each_caller_exactly_their_events_in_order(hs, ann, bob, wall, other_couple, limit):
    cat, _dan = other_couple
    _emit_mix(hs, ann, bob, cat, rounds=12)
    with hs.storage.connection() as db:
        every = [dict(row, payload=None) for row in db.query("SELECT * FROM events ORDER BY id")]
    couple_id = _couple_id(ann)
    for reader, member_id in ((ann, ann.id), (bob, bob.id), (wall, None)):
        pages = _all_pages(reader, limit)
        ids = [e["id"] for e in pages]
        assert ids == sorted(set(ids)), "pages overlap or go back in time"
        assert ids == [e["id"] for e in _visible_to(every, member_id, couple_id)]


def test_a_long_run_of_the_partners_private_events_does_not_hide_the_next_shared_one(hs, ann, bob, wall, other_couple):
    cat, _dan = other_couple
    with hs.storage.connection() as db, db.atomic():
        couple_id = _couple_id(ann)
        first = emit(db, "test.couple", couple_id, {"n": 0}, visibility="couple")
        for n in range(300):
            emit(db, "test.private", couple_id, {"n": n}, visibility="private", audience_id=bob.id)
        shared = emit(db, "test.dashboard", couple_id, {"n": 1}, visibility="dashboard")
    for reader in (ann, wall):
        page = reader.get(f"/api/v1/events?after={first.id}&limit=5").json["events"]
        assert [e["id"] for e in page] == [shared.id]
        assert all(e["type"] != "test.private" for e in page)


@pytest.mark.parametrize("query", ["after=-1", "after=1.5", "after=abc", "after=%201", "after=" + "9" * 20,
                                   "limit=0", "limit=501", "limit=-5", "limit=ten", "limit="])
def test_a_bad_after_or_limit_is_a_clear_400(ann, wall, query):
    name = query.split("=")[0]
    for reader in (ann, wall):
        answer = reader.get(f"/api/v1/events?{query}")
        assert answer.status_code == 400
        assert answer.json["error"]["code"] == "invalid_parameter"
        assert f"'{name}'" in answer.json["error"]["message"]


def test_the_wall_gets_dashboard_events_without_who_did_them(hs, ann, wall):
    with hs.storage.connection() as db, db.atomic():
        emit(db, "test.dashboard", _couple_id(ann), {"n": 1}, visibility="dashboard", actor_id=ann.id)
    seen_by_ann = [e for e in ann.get("/api/v1/events").json["events"] if e["type"] == "test.dashboard"]
    seen_by_wall = [e for e in wall.get("/api/v1/events").json["events"] if e["type"] == "test.dashboard"]
    assert [e["actor_id"] for e in seen_by_ann] == [ann.id]
    assert [e["actor_id"] for e in seen_by_wall] == [None]
