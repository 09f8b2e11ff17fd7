"""Plans from other plugins (hearthside_calendar_entry) land on the couple's calendar."""

from __future__ import annotations

from hearthside.testing import hs_of


def announce(shared, couple_id: int, **entry):
    hs = hs_of(shared.app)
    base = {"source": "touch", "key": "session-1", "status": "planned", "title": "A quiet evening",
            "start": "2024-05-03T18:00:00+00:00", "duration_minutes": 60, "participants": [shared.ann.id, shared.bob.id]}
    with hs.storage.connection() as db, db.atomic():
        return dict(hs.plugins.call_by_plugin("hearthside_calendar_entry", hs=hs, db=db, couple_id=couple_id,
                                              entry={**base, **entry}))


def entry_occurrences(member):
    found = member.get("/api/v1/rituals/occurrences?from=2024-05-01&to=2024-05-10").json["occurrences"]
    return [o for o in found if o["title"] == "A quiet evening"]


def test_a_planned_session_becomes_a_one_off_with_reminders_and_a_feed_entry(shared):
    ann, bob = shared.ann, shared.bob
    couple_id = ann.get("/api/v1/me").json["couple"]["id"]
    assert announce(shared, couple_id) == {"rituals": True}
    listed = entry_occurrences(bob)
    assert [(o["start"], o["status"]) for o in listed] == [("2024-05-03T20:00+02:00", "upcoming")]
    ritual = ann.get(f"/api/v1/rituals/{listed[0]['ritual_id']}").json
    assert ritual["source"] == "touch" and ritual["my_reminders"] == [1440, 30]
    edit = ann.patch(f"/api/v1/rituals/{ritual['id']}", json={"title": "Renamed"})
    assert edit.status_code == 409 and edit.json["error"]["code"] == "managed_elsewhere"
    assert announce(shared, couple_id, start="2024-05-04T18:30:00+00:00") == {"rituals": True}  # same key: moved
    assert [o["start"] for o in entry_occurrences(ann)] == ["2024-05-04T20:30+02:00"]
    feed = shared.client.get(ann.post("/api/v1/rituals/feed").json["path"]).get_data(as_text=True)
    assert "SUMMARY:A quiet evening" in feed
    announce(shared, couple_id, start="2024-05-04T18:30:00+00:00", status="done")
    assert [o["status"] for o in entry_occurrences(ann)] == ["done"]
    announce(shared, couple_id, status="cancelled", start="2024-05-04T18:30:00+00:00")
    assert entry_occurrences(ann) == []
    assert len([r for r in ann.get("/api/v1/rituals?include=archived").json["rituals"] if r["source"]]) == 1


def test_a_malformed_entry_is_not_kept_and_the_plugin_stays_up(shared):
    couple_id = shared.ann.get("/api/v1/me").json["couple"]["id"]
    for bad in ({"start": "tomorrow"}, {"status": "maybe"}, {"title": ""}, {"start": "2024-05-03T18:00:00"},
                {"duration_minutes": 0}, {"duration_minutes": float("inf")},
                {"start": "0001-01-01T00:00:00+14:00"}, {"start": "9999-12-31T23:59:00-14:00"}):
        assert announce(shared, couple_id, key="bad", **bad) == {}
    assert hs_of(shared.app).plugins.plugins["rituals"].state == "loaded"
