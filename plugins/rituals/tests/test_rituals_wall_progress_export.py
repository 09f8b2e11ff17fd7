"""The wall card (only with dashboard.rituals, live), kind counts that never shame, the
rating trend, and the member's export and "forget me"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rituals_testing import REVEAL, WALL_SCOPE, create, events, grant, occ

from hearthside.plugins.rituals import model, progress
from hearthside.testing import listen, pair_device


@pytest.fixture(scope="module")
def wall(shared):
    return pair_device(shared.ann)


def rituals_card(wall_device):
    cards = wall_device.get("/api/v1/dashboard").json["cards"]
    return [card for card in cards if card["plugin"] == "rituals"]


def today_at(hour: int, minute: int = 0) -> str:
    local = datetime.now(timezone.utc).astimezone(model.ZoneInfo("Europe/Berlin"))
    return local.replace(hour=hour, minute=minute).strftime("%Y-%m-%dT%H:%M")


def test_the_wall_card_shows_today_and_next_only_with_consent_and_live(shared, wall):
    ann, bob = shared.ann, shared.bob
    assert rituals_card(wall) == []  # no consent yet
    sio = listen(shared.app, wall.token)
    try:
        grant(WALL_SCOPE, ann, bob)
        sio.received()
        create(ann, template="custom", title="Tea on the balcony", start=today_at(23, 59), rrule="FREQ=DAILY",
               location="ZEPHYR-THERAPIST-ADDRESS", description="private words")
        heard = sio.received()
        assert [e["type"] for e in heard] == ["rituals.wall_refresh"]  # the wall re-reads its cards
        assert heard[0]["payload"] == {}  # nothing in it: not news, only a signal
        card = rituals_card(wall)
        assert len(card) == 1 and card[0]["title"] == "Rituals"
        assert {"label": "23:59", "value": "Tea on the balcony"} in card[0]["body"]["items"]
        assert "Next: Tea on the balcony" in card[0]["body"]["text"]
        text = str(card)
        assert "ZEPHYR-THERAPIST-ADDRESS" not in text and "private words" not in text
        grant(WALL_SCOPE, bob, granted=False)
        assert rituals_card(wall) == []
        sio.received()
        create(ann, template="date", start=today_at(23, 58))
        assert [e for e in sio.received() if e["type"] == "rituals.wall_refresh"] == []  # nothing while off
    finally:
        sio.disconnect()


def mark(member, rid, key, status):
    assert member.put(occ(rid, key, "/status"), json={"status": status}).status_code == 200


def test_kind_counts_never_a_streak_never_negative(shared):
    ann = shared.ann
    rid = create(ann, start="2024-01-07T19:00", participants=[ann.id])["id"]
    sundays = [(datetime(2024, 1, 7) + timedelta(weeks=n)).strftime("%Y-%m-%dT19:00") for n in range(14)]
    fresh = ann.get(f"/api/v1/rituals/{rid}").json["progress"]
    assert fresh == {"done": 0, "of": 0, "text": "Nothing to count yet: the first one is ahead of you."}
    mark(ann, rid, sundays[0], "skipped")
    assert ann.get(f"/api/v1/rituals/{rid}").json["progress"]["text"] == "A fresh start: every one you keep counts."
    for n, key in enumerate(sundays[1:13]):
        mark(ann, rid, key, "skipped" if n in (3, 7) else "done")
    mark(ann, rid, sundays[13], "skipped")
    counted = ann.get(f"/api/v1/rituals/{rid}").json["progress"]
    assert counted == {"done": 9, "of": 12, "text": "9 of the last 12 weekly check-ins."}
    for key in sundays[2:14]:
        mark(ann, rid, key, "done")
    assert ann.get(f"/api/v1/rituals/{rid}").json["progress"]["text"] == "You kept all of the last 12 weekly check-ins."


def test_no_count_reads_as_a_reproach():
    class Plain:
        kind, rrule = "date", "FREQ=WEEKLY"

    for of in range(0, 53):
        for done in range(0, of + 1):
            text = progress.kind_words(done, of, Plain())
            assert "-" not in text, text  # no negative number, ever
            if done and done < of:
                assert text == f"{done} of the last {of} weekly date nights.", text  # what was kept, not what was not
            assert not any(word in text.lower() for word in ("missed", "broke", "streak", "failed", "only", "lost"))


def test_the_trend_shows_my_ratings_and_the_others_only_once_revealed(shared):
    ann, bob = shared.ann, shared.bob
    rid = create(ann, start="2024-02-04T19:00")["id"]
    for n, (mine, theirs) in enumerate([(2, 3), (3, 3), (4, 5)]):
        key = (datetime(2024, 2, 4) + timedelta(weeks=n)).strftime("%Y-%m-%dT19:00")
        ann.put(occ(rid, key, "/checkin"), json={"answers": {"rating": mine}})
        if n < 2:
            bob.put(occ(rid, key, "/checkin"), json={"answers": {"rating": theirs}})
    grant(REVEAL, ann, bob)
    trend = ann.get(f"/api/v1/rituals/{rid}/trend").json
    assert [p["ratings"] for p in trend["points"]] == [{str(ann.id): 2, str(bob.id): 3}, {str(ann.id): 3, str(bob.id): 3},
                                                       {str(ann.id): 4}]
    assert [m["display_name"] for m in trend["members"]] == ["You", "Bob"]
    assert [p["ratings"] for p in bob.get(f"/api/v1/rituals/{rid}/trend").json["points"]] == [
        {str(ann.id): 2, str(bob.id): 3}, {str(ann.id): 3, str(bob.id): 3}]  # Ann's third: not revealed
    grant(REVEAL, bob, granted=False)
    assert [p["ratings"] for p in ann.get(f"/api/v1/rituals/{rid}/trend").json["points"]] == [
        {str(ann.id): 2}, {str(ann.id): 3}, {str(ann.id): 4}]
    svg = ann.get(f"/api/v1/rituals/{rid}/trend.svg")
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert text.startswith("<svg") and "<script" not in text and "polyline" in text and "http://" not in \
        text.replace("http://www.w3.org/2000/svg", "")
    empty = create(ann, template="date", start="2024-02-02T19:30")["id"]
    assert "No ratings yet" in ann.get(f"/api/v1/rituals/{empty}/trend.svg").get_data(as_text=True)


def test_export_holds_what_i_may_read_and_forget_removes_what_i_own(make_app):
    from hearthside.testing import onboard_couple

    app = make_app()
    ann, bob = onboard_couple(app.test_client())
    rid = create(ann, start="2024-03-03T19:00")["id"]
    solo = create(bob, template="morning", start="2024-03-04T07:00", participants=[bob.id])["id"]
    ann.put(occ(rid, "2024-03-10T19:00", "/checkin"), json={"answers": {"hard": "ANN-OWN"}})
    bob.put(occ(rid, "2024-03-17T19:00", "/checkin"), json={"answers": {"hard": "BOB-UNREVEALED"}})
    ann.put("/api/v1/rituals/settings", json={"quiet_hours": {"start": "22:00", "end": "07:00"}})
    hs = app.extensions["hearthside"]
    with hs.storage.connection() as db:
        exported = hs.plugins.pm.hook.hearthside_export(hs=hs, db=db, member_id=ann.id)
    data = next(item for item in exported if item and "rituals" in item)
    text = str(data)
    assert "ANN-OWN" in text and "BOB-UNREVEALED" not in text and data["settings"]["quiet_hours"]
    with hs.storage.connection() as db, db.atomic():
        hs.plugins.pm.hook.hearthside_forget(hs=hs, db=db, member_id=bob.id)
    with hs.storage.connection() as db:
        assert db.execute("SELECT count(*) FROM rituals_answers WHERE member_id = ?", [bob.id]).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM rituals_rituals WHERE id = ?", [solo]).fetchone()[0] == 0
    kept = ann.get(f"/api/v1/rituals/{rid}").json
    assert kept["participants"] == [ann.id]
    assert ann.get(occ(rid, "2024-03-10T19:00", "/checkin")).json["mine"]["answers"] == {"hard": "ANN-OWN"}
    assert events(ann)  # the couple's history stays readable


def test_the_export_shows_the_partners_answers_only_while_revealed_and_consented(make_app):
    """The other partner's check-in answers reach a member's export exactly as they reach the
    reveal endpoint: after the reveal, and only while both grant rituals.checkin_reveal.
    The partner's reminders and quiet hours never do."""
    from hearthside.testing import onboard_couple

    app = make_app()
    ann, bob = onboard_couple(app.test_client())
    rid = create(ann, start="2024-03-03T19:00")["id"]
    ann.put(occ(rid, "2024-03-10T19:00", "/checkin"), json={"answers": {"hard": "ANN-OWN"}})
    bob.put(occ(rid, "2024-03-10T19:00", "/checkin"), json={"answers": {"hard": "BOB-REVEALED"}})
    bob.put("/api/v1/rituals/settings", json={"quiet_hours": {"start": "21:17", "end": "06:00"}})
    bob.put(f"/api/v1/rituals/{rid}/reminders", json={"offsets": [9871]})
    hs = app.extensions["hearthside"]

    def exported_for_ann() -> str:
        with hs.storage.connection() as db:
            return str([item for item in hs.plugins.pm.hook.hearthside_export(hs=hs, db=db, member_id=ann.id)
                        if item and "rituals" in item])

    assert "ANN-OWN" in exported_for_ann() and "BOB-REVEALED" not in exported_for_ann()  # no consent yet
    grant(REVEAL, ann, bob)
    assert "BOB-REVEALED" in exported_for_ann()
    grant(REVEAL, bob, granted=False)  # either partner turning it off hides the answers again
    text = exported_for_ann()
    assert "ANN-OWN" in text and "BOB-REVEALED" not in text
    assert "21:17" not in text and "9871" not in text
