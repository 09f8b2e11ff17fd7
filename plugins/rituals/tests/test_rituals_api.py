"""The rituals API: rituals from templates, occurrences, homework, settings - and
every bad input answered with a clear 4xx JSON error that writes nothing."""

from __future__ import annotations

import pytest
from rituals_testing import create, events, mine, occ, table_counts

from hearthside.testing import join_new_couple


def test_templates_cover_the_couples_rhythms(shared_couple):
    ann, _ = shared_couple
    kinds = [t["kind"] for t in ann.get("/api/v1/rituals/templates").json["templates"]]
    assert kinds == ["checkin", "date", "morning", "review", "therapy", "custom"]


def test_create_from_a_template_fills_in_the_rest(shared_couple):
    ann, bob = shared_couple
    ritual = create(ann, template="checkin", start="2024-03-03T19:00")
    assert ritual["title"] == "Weekly check-in" and ritual["rrule"] == "FREQ=WEEKLY;BYDAY=SU"
    assert ritual["participants"] == [ann.id, bob.id] and ritual["time_zone"] == "Europe/Berlin"
    assert any(p["kind"] == "rating" for p in ritual["prompts"])
    assert ritual["status"] == "active" and ritual["next"] is not None
    assert ritual["my_reminders"] == [1440, 30]
    assert bob.get(f"/api/v1/rituals/{ritual['id']}").json["title"] == "Weekly check-in"  # shared with the couple
    created = events(bob, "rituals.ritual_created")
    assert created and created[-1]["visibility"] == "couple" and "Weekly check-in" in created[-1]["payload"]["summary"]


def test_custom_ritual_with_every_field(shared_couple):
    ann, bob = shared_couple
    ritual = create(ann, template="custom", title="Walk by the river", description="No phones.", location="The river",
                    start="2024-04-02T18:00", duration_minutes=40, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
                    participants=[bob.id])
    assert ritual["participants"] == [bob.id] and ritual["duration_minutes"] == 40
    assert ritual["rrule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH" and ritual["my_reminders"] == []
    one_off = create(ann, template="date", start="2024-05-10T19:30", rrule=None)
    assert one_off["rrule"] is None


BAD_CREATES = [
    ({"template": "checkin"}, "invalid_field"),  # no start
    ({"template": "checkin", "start": "next sunday"}, "invalid_field"),
    ({"template": "séance", "start": "2024-03-03T19:00"}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "rrule": "FREQ=SECONDLY"}, "invalid_rrule"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "rrule": "FREQ=WEEKLY;BYDAY=FUNDAY"}, "invalid_rrule"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "rrule": "FREQ=WEEKLY;UNTIL=20240201"}, "end_before_start"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "participants": [999]}, "unknown_member"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "participants": []}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "duration_minutes": 0}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "duration_minutes": "long"}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "title": ""}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "title": "x" * 81}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "prompts": []}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "prompts": [{"text": "ok", "kind": "essay"}]}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "prompts": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]},
     "invalid_field"),
    ({"template": "date", "start": "2024-03-03T19:00", "prompts": [{"text": "Why?"}]}, "invalid_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "colour": "blue"}, "unknown_field"),
    ({"template": "checkin", "start": "2024-03-03T19:00", "status": "deleted"}, "invalid_field"),
]


@pytest.mark.parametrize("body, code", BAD_CREATES)
def test_bad_creates_are_refused_and_write_nothing(shared_app, shared_couple, body, code):
    ann, _ = shared_couple
    before = table_counts(shared_app)
    answer = ann.post("/api/v1/rituals", json=body)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == code and answer.json["error"]["message"]
    assert table_counts(shared_app) == before


def test_a_member_of_another_couple_is_an_unknown_member(shared, shared_couple):
    ann, _ = shared_couple
    cat, _dan = join_new_couple(shared.client, ann)
    answer = ann.post("/api/v1/rituals", json={"template": "date", "start": "2024-03-03T19:00",
                                                "participants": [ann.id, cat.id]})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "unknown_member"


def test_bodies_that_are_not_objects_are_refused(shared_couple):
    ann, _ = shared_couple
    assert ann.post("/api/v1/rituals", data="[1]", content_type="application/json").status_code == 400
    assert ann.post("/api/v1/rituals").json["error"]["code"] == "body_required"


def test_edit_pause_resume_archive(shared_couple):
    ann, bob = shared_couple
    ritual = create(ann)
    rid = ritual["id"]
    edited = bob.patch(f"/api/v1/rituals/{rid}", json={"title": "Sunday talk", "start": "2024-03-03T18:30",
                                                      "rrule": "FREQ=WEEKLY;BYDAY=SA"})
    assert edited.status_code == 200, edited.json
    assert edited.json["title"] == "Sunday talk" and edited.json["start"] == "2024-03-09T18:30"  # first Saturday
    paused = ann.patch(f"/api/v1/rituals/{rid}", json={"status": "paused"}).json
    assert paused["status"] == "paused" and paused["next"] is None
    assert mine(ann.get("/api/v1/rituals/occurrences?from=2024-03-01&to=2024-03-31").json["occurrences"], rid) == []
    assert ann.patch(f"/api/v1/rituals/{rid}", json={"status": "active"}).json["next"] is not None
    ann.patch(f"/api/v1/rituals/{rid}", json={"status": "archived"})
    assert mine(ann.get("/api/v1/rituals").json["rituals"], rid) == []
    assert [r["id"] for r in mine(ann.get("/api/v1/rituals?include=archived").json["rituals"], rid)] == [rid]
    summaries = [e["payload"]["summary"] for e in events(ann, "rituals.ritual_updated")]
    assert any("paused" in s for s in summaries) and any("resumed" in s for s in summaries)


@pytest.mark.parametrize("body, code", [
    ({"template": "date"}, "invalid_field"),
    ({"rrule": "FREQ=MINUTELY"}, "invalid_rrule"),
    ({"participants": [12345]}, "unknown_member"),
    ({"start": "2024-13-45T19:00"}, "invalid_field"),
    ({"nickname": "x"}, "unknown_field"),
])
def test_bad_edits_change_nothing(shared_app, shared_couple, body, code):
    ann, _ = shared_couple
    ritual = create(ann)
    before = table_counts(shared_app)
    answer = ann.patch(f"/api/v1/rituals/{ritual['id']}", json=body)
    assert answer.status_code == 400 and answer.json["error"]["code"] == code
    assert table_counts(shared_app) == before
    assert ann.get(f"/api/v1/rituals/{ritual['id']}").json == {**ritual, "next": ritual["next"]}


def test_unknown_ritual_and_occurrence_are_404(shared_couple):
    ann, _ = shared_couple
    ritual = create(ann)
    assert ann.get("/api/v1/rituals/999").json["error"]["code"] == "ritual_not_found"
    for key in ("2024-03-04T19:00", "2024-03-03T19:01", "yesterday", "2024-02-25T19:00"):
        answer = ann.get(occ(ritual["id"], key))
        assert answer.status_code == 404 and answer.json["error"]["code"] == "occurrence_not_found", key


def test_occurrences_between_dates_and_their_errors(shared_couple):
    ann, _ = shared_couple
    first = create(ann, start="2024-03-03T19:00")["id"]
    second = create(ann, template="review", start="2024-03-01T18:00")["id"]  # first Sunday of the month, 18:00
    found = mine(ann.get("/api/v1/rituals/occurrences?from=2024-03-01&to=2024-03-17").json["occurrences"],
                 first, second)
    assert [(o["title"], o["start"]) for o in found] == [
        ("Monthly agreement review", "2024-03-03T18:00+01:00"), ("Weekly check-in", "2024-03-03T19:00+01:00"),
        ("Weekly check-in", "2024-03-10T19:00+01:00"), ("Weekly check-in", "2024-03-17T19:00+01:00")]
    for query, code in [("from=2024-03-10&to=2024-03-01", "end_before_start"), ("from=03/01/2024", "invalid_parameter"),
                        ("from=2024-01-01&to=2024-06-01", "range_too_long")]:
        answer = ann.get(f"/api/v1/rituals/occurrences?{query}")
        assert answer.status_code == 400 and answer.json["error"]["code"] == code


def test_mark_done_skip_and_plan_again_without_touching_the_series(shared_couple):
    ann, bob = shared_couple
    rid = create(ann)["id"]
    done = bob.put(occ(rid, "2024-03-10T19:00", "/status"), json={"status": "done"})
    assert done.status_code == 200 and done.json["status"] == "done" and done.json["marked_by"] == bob.id
    skipped = ann.put(occ(rid, "2024-03-17T19:00", "/status"), json={"status": "skipped"}).json
    assert skipped["status"] == "skipped"
    summary = events(bob, "rituals.occurrence_updated")[-1]["payload"]["summary"]
    assert "let" in summary and "go" in summary and "miss" not in summary.lower()
    again = ann.put(occ(rid, "2024-03-17T19:00", "/status"), json={"status": "upcoming"}).json
    assert again["status"] == "upcoming"
    found = mine(ann.get("/api/v1/rituals/occurrences?from=2024-03-09&to=2024-03-24").json["occurrences"], rid)
    assert [o["key"] for o in found] == ["2024-03-10T19:00", "2024-03-17T19:00", "2024-03-24T19:00"]


def test_move_one_occurrence_and_put_it_back(shared_couple):
    ann, bob = shared_couple
    rid = create(ann)["id"]
    moved = bob.put(occ(rid, "2024-03-10T19:00", "/move"), json={"start": "2024-03-11T20:15", "end": "2024-03-11T21:00"})
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "moved" and moved.json["start"] == "2024-03-11T20:15+01:00"
    assert moved.json["duration_minutes"] == 45 and moved.json["original_start"] == "2024-03-10T19:00+01:00"
    week = mine(ann.get("/api/v1/rituals/occurrences?from=2024-03-10&to=2024-03-16").json["occurrences"], rid)
    assert [(o["key"], o["start"]) for o in week] == [("2024-03-10T19:00", "2024-03-11T20:15+01:00")]
    # moved out of the range: it is not listed where it used to be
    assert mine(ann.get("/api/v1/rituals/occurrences?from=2024-03-10&to=2024-03-10").json["occurrences"], rid) == []
    back = ann.delete(occ(rid, "2024-03-10T19:00", "/move")).json
    assert back["status"] == "upcoming" and back["start"] == "2024-03-10T19:00+01:00"
    assert ann.get(f"/api/v1/rituals/{rid}").json["rrule"] == "FREQ=WEEKLY;BYDAY=SU"


@pytest.mark.parametrize("body, code", [
    ({"start": "2024-03-11T20:00", "end": "2024-03-11T19:00"}, "end_before_start"),
    ({"start": "2024-03-11T20:00", "end": "2024-03-11T20:00"}, "end_before_start"),
    ({"start": "2024-03-11T20:00", "end": "2024-03-13T20:00"}, "invalid_field"),
    ({"start": "soon"}, "invalid_field"),
    ({}, "invalid_field"),
    ({"start": "2024-03-11T20:00", "end": "2024-03-11T21:00", "duration_minutes": 30}, "invalid_field"),
    ({"start": "2024-03-11T20:00", "duration_minutes": 2}, "invalid_field"),
    ({"start": "2024-03-11T20:00", "where": "home"}, "unknown_field"),
])
def test_bad_moves_change_nothing(shared_app, shared_couple, body, code):
    ann, _ = shared_couple
    rid = create(ann)["id"]
    before = table_counts(shared_app)
    answer = ann.put(occ(rid, "2024-03-10T19:00", "/move"), json=body)
    assert answer.status_code == 400 and answer.json["error"]["code"] == code
    assert table_counts(shared_app) == before


def test_bad_status_changes_nothing(shared_app, shared_couple):
    ann, _ = shared_couple
    rid = create(ann)["id"]
    before = table_counts(shared_app)
    for body in ({"status": "missed"}, {}, {"status": "done", "why": "x"}):
        answer = ann.put(occ(rid, "2024-03-10T19:00", "/status"), json=body)
        assert answer.status_code == 400
    assert ann.put(occ(rid, "2024-03-11T19:00", "/status"), json={"status": "done"}).status_code == 404
    assert table_counts(shared_app) == before


def test_therapy_homework_can_be_added_ticked_and_removed(shared_couple):
    ann, bob = shared_couple
    rid = create(ann, template="therapy", start="2024-03-05T17:00")["id"]
    base = occ(rid, "2024-03-05T17:00")
    item = ann.post(base + "/homework", json={"text": "Ten minutes of daily dialogue"})
    assert item.status_code == 201 and item.json["done"] is False
    ticked = bob.put(f"{base}/homework/{item.json['id']}", json={"done": True}).json
    assert ticked["done"] and ticked["done_by"] == bob.id
    view = ann.get(base).json
    assert view["homework"] == {"total": 1, "done": 1} and view["homework_items"][0]["text"].startswith("Ten")
    assert ann.delete(f"{base}/homework/{item.json['id']}").status_code == 204
    assert ann.get(base).json["homework"] == {"total": 0, "done": 0}


def test_homework_errors_write_nothing(shared_app, shared_couple):
    ann, _ = shared_couple
    therapy = create(ann, template="therapy", start="2024-03-05T17:00")["id"]
    checkin = create(ann)["id"]
    before = table_counts(shared_app)
    cases = [
        (ann.post(occ(checkin, "2024-03-03T19:00", "/homework"), json={"text": "x"}), 400, "not_therapy"),
        (ann.post(occ(therapy, "2024-03-05T17:00", "/homework"), json={"text": "  "}), 400, "invalid_field"),
        (ann.post(occ(therapy, "2024-03-05T17:00", "/homework"), json={"text": "x" * 301}), 400, "invalid_field"),
        (ann.put(occ(therapy, "2024-03-05T17:00", "/homework/77"), json={"done": True}), 404, "homework_not_found"),
        (ann.delete(occ(therapy, "2024-03-05T17:00", "/homework/77")), 404, "homework_not_found"),
        (ann.post(occ(therapy, "2024-03-06T17:00", "/homework"), json={"text": "x"}), 404, "occurrence_not_found"),
    ]
    for answer, status, code in cases:
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code)
    assert table_counts(shared_app) == before
    item = ann.post(occ(therapy, "2024-03-05T17:00", "/homework"), json={"text": "x"}).json
    answer = ann.put(occ(therapy, "2024-03-05T17:00", f"/homework/{item['id']}"), json={"done": "yes"})
    assert answer.status_code == 400


def test_reminder_offsets_are_my_own(shared_couple):
    ann, bob = shared_couple
    rid = create(ann)["id"]
    assert ann.put(f"/api/v1/rituals/{rid}/reminders", json={"offsets": [30, 1440, 30]}).json["offsets"] == [1440, 30]
    assert bob.get(f"/api/v1/rituals/{rid}/reminders").json["offsets"] == [1440, 30]  # bob: still the default
    assert ann.put(f"/api/v1/rituals/{rid}/reminders", json={"offsets": [0]}).json["offsets"] == [0]
    assert bob.get(f"/api/v1/rituals/{rid}/reminders").json["offsets"] == [1440, 30]
    saved = events(ann, "rituals.reminders_changed")
    assert saved and saved[-1]["visibility"] == "private" and saved[-1]["audience_id"] == ann.id
    assert events(bob, "rituals.reminders_changed") == []


def test_bad_reminder_offsets_and_non_participants(shared_app, shared_couple):
    ann, bob = shared_couple
    rid = create(ann, participants=[ann.id])["id"]
    before = table_counts(shared_app)
    for body in ({"offsets": [-5]}, {"offsets": [99999]}, {"offsets": "30"}, {"offsets": [1, 2, 3, 4, 5, 6]},
                 {"offsets": [True]}, {}):
        assert ann.put(f"/api/v1/rituals/{rid}/reminders", json=body).status_code == 400, body
    answer = bob.put(f"/api/v1/rituals/{rid}/reminders", json={"offsets": [30]})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "not_a_participant"
    assert table_counts(shared_app) == before


def test_quiet_hours_are_private_settings(shared_couple):
    ann, bob = shared_couple
    answer = ann.put("/api/v1/rituals/settings", json={"quiet_hours": {"start": "22:00", "end": "07:00"}})
    assert answer.status_code == 200 and answer.json["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert bob.get("/api/v1/rituals/settings").json["quiet_hours"] is None
    assert ann.put("/api/v1/rituals/settings", json={"quiet_hours": None}).json["quiet_hours"] is None
    assert all(e["audience_id"] == ann.id for e in events(ann, "rituals.settings_changed"))
    assert events(bob, "rituals.settings_changed") == []


@pytest.mark.parametrize("body", [
    {"quiet_hours": {"start": "22:00"}}, {"quiet_hours": {"start": "25:00", "end": "07:00"}},
    {"quiet_hours": {"start": "22:00", "end": "22:00"}}, {"quiet_hours": "night"}, {},
    {"quiet_hours": {"start": "22:00", "end": "07:00", "days": "all"}},
])
def test_bad_quiet_hours_change_nothing(shared_app, shared_couple, body):
    ann, _ = shared_couple
    before = table_counts(shared_app)
    assert ann.put("/api/v1/rituals/settings", json=body).status_code == 400
    assert table_counts(shared_app) == before
