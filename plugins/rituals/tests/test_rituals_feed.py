"""The per-member calendar feed: valid RFC 5545 (parsed with the icalendar library),
stable UIDs, VTIMEZONE/TZID and RRULEs, skipped and moved occurrences, the member's
own reminders as VALARMs - never a check-in answer - and a secret link that can be
replaced or turned off."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from rituals_testing import create, events, occ

from hearthside.plugins.rituals.ical import escape, fold, transitions, trigger
from hearthside.testing import FakeClock, hs_of, join_new_couple

BERLIN = ZoneInfo("Europe/Berlin")
SECRET_ANSWER = "FEED-MUST-NEVER-CARRY-THIS-ANSWER"


def fetch(client, path: str) -> icalendar.Calendar:
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/calendar"
    text = answer.get_data(as_text=True)
    assert text.endswith("\r\n") and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert SECRET_ANSWER not in text
    return icalendar.Calendar.from_ical(text)


def vevents(cal, uid=None):
    return [c for c in cal.walk("VEVENT") if uid is None or str(c["UID"]) == uid]


def test_the_feed_is_valid_icalendar_with_time_zones_rrules_and_stable_uids(shared):
    ann, bob, client = shared.ann, shared.bob, shared.client
    checkin = create(ann, template="checkin", start="2024-03-03T19:00", description="State of us; honest, kind",
                     location="Sofa, living room")
    create(ann, template="therapy", start="2024-03-05T17:00", rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=6")
    bobs_own = create(bob, template="custom", title="Bob's run", start="2024-03-04T07:00", participants=[bob.id])
    ann.put(occ(checkin["id"], "2024-03-10T19:00", "/checkin"), json={"answers": {"hard": SECRET_ANSWER}})
    ann.put(occ(checkin["id"], "2024-03-17T19:00", "/status"), json={"status": "skipped"})
    ann.put(occ(checkin["id"], "2024-03-24T19:00", "/move"), json={"start": "2024-03-25T20:00"})
    link = ann.post("/api/v1/rituals/feed")
    assert link.status_code == 201 and link.json["url"].endswith(".ics")
    assert link.json["webcal_url"].startswith("webcal://")
    cal = fetch(client, link.json["path"])
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"])

    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Berlin"]
    kinds = {sub.name for sub in zones[0].subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}

    uids = [str(e["UID"]) for e in vevents(cal)]
    assert "Bob's run" not in [str(e["SUMMARY"]) for e in vevents(cal)]  # only rituals Ann takes part in
    assert bobs_own["participants"] == [bob.id]
    main = [e for e in vevents(cal) if "RECURRENCE-ID" not in e and str(e["SUMMARY"]) == "Weekly check-in"]
    assert len(main) == 1
    event = main[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].dt == datetime(2024, 3, 3, 19, 0, tzinfo=event["DTSTART"].dt.tzinfo)
    assert event["DTSTART"].dt.utcoffset() == timedelta(hours=1)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["SU"]
    assert event["DURATION"].dt == timedelta(minutes=45)
    assert str(event["LOCATION"]) == "Sofa, living room" and "honest, kind" in str(event["DESCRIPTION"])
    exdates = [d.dt for ex in ([event["EXDATE"]] if not isinstance(event["EXDATE"], list) else event["EXDATE"])
               for d in ex.dts]
    assert [d.replace(tzinfo=None) for d in exdates] == [datetime(2024, 3, 17, 19, 0)]
    moved = [e for e in vevents(cal, str(event["UID"])) if "RECURRENCE-ID" in e]
    assert len(moved) == 1
    assert moved[0]["RECURRENCE-ID"].dt.replace(tzinfo=None) == datetime(2024, 3, 24, 19, 0)
    assert moved[0]["DTSTART"].dt.replace(tzinfo=None) == datetime(2024, 3, 25, 20, 0)
    therapy_event = next(e for e in vevents(cal) if str(e["SUMMARY"]) == "Therapy session")
    assert therapy_event["RRULE"]["INTERVAL"] == [2] and therapy_event["RRULE"]["COUNT"] == [6]

    again = fetch(client, link.json["path"])  # stable UIDs: the same on every fetch
    assert sorted(str(e["UID"]) for e in vevents(again)) == sorted(uids)
    assert str(event["UID"]) == str(next(e for e in vevents(again) if "RECURRENCE-ID" not in e
                                         and str(e["SUMMARY"]) == "Weekly check-in")["UID"])
    # Bob's feed is his own: his run is in it
    bob_cal = fetch(client, bob.post("/api/v1/rituals/feed").json["path"])
    assert "Bob's run" in [str(e["SUMMARY"]) for e in vevents(bob_cal)]


def titled(cal, title: str):
    return [e for e in vevents(cal) if str(e["SUMMARY"]) == title]


def alarms_of(event) -> list[tuple[str, str, timedelta]]:
    """(ACTION, DESCRIPTION, TRIGGER) of each VALARM of one VEVENT."""
    return [(str(a["ACTION"]), str(a["DESCRIPTION"]), a["TRIGGER"].dt) for a in event.walk("VALARM")]


def before(*minutes: int) -> list[timedelta]:
    return [-timedelta(minutes=m) for m in minutes]


def test_each_event_carries_the_feed_owners_own_reminders_as_alarms(shared):
    ann, bob, client = shared.ann, shared.bob, shared.client
    with FakeClock(datetime(2024, 1, 5, 9, 0, tzinfo=timezone.utc)).as_now():
        walk = create(ann, template="custom", title="Evening walk", start="2024-03-03T19:00", rrule="FREQ=WEEKLY",
                      description="ALARM-MUST-NOT-SHOW-DESCRIPTION", location="ALARM-MUST-NOT-SHOW-PLACE",
                      participants=[ann.id, bob.id])
        once = create(ann, template="custom", title="Picnic", start="2024-03-09T12:00", participants=[ann.id, bob.id])
    ann.put(occ(walk["id"], "2024-03-10T19:00", "/move"), json={"start": "2024-03-10T20:00"})
    with FakeClock(datetime(2024, 2, 1, 8, 0, tzinfo=timezone.utc)).as_now():
        assert ann.put(f"/api/v1/rituals/{walk['id']}/reminders", json={"offsets": [45, 1530]}).status_code == 200
    ann_feed, bob_feed = (member.post("/api/v1/rituals/feed").json["path"] for member in (ann, bob))

    mine = titled(fetch(client, ann_feed), "Evening walk")
    assert len(mine) == 2  # the series and its moved occurrence: both remind
    for event in mine:
        assert alarms_of(event) == [("DISPLAY", "Evening walk", d) for d in before(1530, 45)]
        assert event["LAST-MODIFIED"].dt == datetime(2024, 2, 1, 8, 0, tzinfo=timezone.utc)  # my choice revised it
    # Bob chose nothing: his feed has the default reminders (a day and half an hour), never Ann's.
    theirs = titled(fetch(client, bob_feed), "Evening walk")
    assert [[a[2] for a in alarms_of(e)] for e in theirs] == [before(1440, 30)] * 2
    assert theirs[0]["LAST-MODIFIED"].dt == datetime(2024, 1, 5, 9, 0, tzinfo=timezone.utc)
    picnic = titled(fetch(client, ann_feed), "Picnic")
    assert [a[2] for a in alarms_of(picnic[0])] == before(1440, 30)

    # Changing reminders changes the feed; no reminders, no alarm - for that member only.
    assert bob.put(f"/api/v1/rituals/{walk['id']}/reminders", json={"offsets": []}).status_code == 200
    assert ann.put(f"/api/v1/rituals/{once['id']}/reminders", json={"offsets": [0]}).status_code == 200
    assert all(e.walk("VALARM") == [] for e in titled(fetch(client, bob_feed), "Evening walk"))
    assert [alarms_of(e) for e in titled(fetch(client, ann_feed), "Evening walk")] == [
        [("DISPLAY", "Evening walk", d) for d in before(1530, 45)]] * 2
    assert alarms_of(titled(fetch(client, ann_feed), "Picnic")[0]) == [("DISPLAY", "Picnic", timedelta(0))]
    text = client.get(ann_feed).get_data(as_text=True)
    alarm_text = "".join(block.split("END:VALARM")[0] for block in text.split("BEGIN:VALARM")[1:])
    assert "ALARM-MUST-NOT-SHOW" not in alarm_text and "ALARM-MUST-NOT-SHOW-PLACE" in text


def test_an_alarm_with_a_long_title_is_folded_and_reads_back_whole(shared):
    ann, client = shared.ann, shared.client
    title = "Wochenrückblick; ruhig, ehrlich " + "é" * 40
    create(ann, template="custom", title=title, start="2024-03-03T19:00", participants=[ann.id])
    cal = fetch(client, ann.post("/api/v1/rituals/feed").json["path"])  # fetch checks every line fits 75 octets
    event = titled(cal, title)[0]
    assert str(event["SUMMARY"]) == title and {a[1] for a in alarms_of(event)} == {title}


def test_a_feed_that_cannot_be_built_is_a_json_error_that_names_no_secret(shared, caplog):
    """Reminder choices unreadable in the database file: the feed answers 500 feed_failed, logged
    without the link's secret or the member's titles."""
    ann, client = shared.ann, shared.client
    ritual = create(ann, template="custom", title="Broken reminders walk", start="2024-03-03T19:00",
                    participants=[ann.id])
    path = ann.post("/api/v1/rituals/feed").json["path"]
    with hs_of(shared.app).storage.connection() as db, db.atomic():
        db.execute("INSERT INTO rituals_reminder_prefs (ritual_id, member_id, offsets) VALUES (?, ?, 'not json')",
                   [ritual["id"], ann.id])
    try:
        answer = client.get(path)
        assert answer.status_code == 500 and answer.json["error"]["code"] == "feed_failed"
        secret = path.rsplit("/", 1)[1][:-4]
        assert caplog.records and all(secret not in r.getMessage() and "Broken reminders" not in r.getMessage()
                                      for r in caplog.records)
    finally:
        with hs_of(shared.app).storage.connection() as db, db.atomic():
            db.execute("DELETE FROM rituals_reminder_prefs WHERE ritual_id = ?", [ritual["id"]])
    assert client.get(path).status_code == 200


def test_the_occurrences_a_calendar_app_computes_match_ours_across_dst(shared):
    """Expand the feed's RRULE in its VTIMEZONE the way a calendar app does, with
    dateutil over the icalendar-parsed values, and compare with the API."""
    ann, client = shared.ann, shared.client
    ritual = create(ann, template="custom", title="Late walk", start="2024-03-28T02:30", rrule="FREQ=DAILY;COUNT=5",
                    participants=[ann.id])
    cal = fetch(client, ann.post("/api/v1/rituals/feed").json["path"])
    event = next(e for e in vevents(cal) if str(e["SUMMARY"]) == "Late walk")
    from dateutil.rrule import rrulestr

    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=event["DTSTART"].dt.replace(tzinfo=None))
    ours = ann.get("/api/v1/rituals/occurrences?from=2024-03-27&to=2024-04-03").json["occurrences"]
    ours = [o["start"] for o in ours if o["ritual_id"] == ritual["id"]]
    theirs = [moment.replace(tzinfo=BERLIN, fold=0).astimezone(timezone.utc).astimezone(BERLIN)
              .isoformat(timespec="minutes") for moment in rule]
    assert ours == theirs
    assert "2024-03-31T03:30+02:00" in ours  # 02:30 does not exist that night: 03:30 summer time, once


def test_the_link_can_be_replaced_and_turned_off(shared):
    ann, bob, client = shared.ann, shared.bob, shared.client
    first = ann.post("/api/v1/rituals/feed").json["path"]
    assert ann.get("/api/v1/rituals/feed").json["active"] is True
    second = ann.post("/api/v1/rituals/feed").json["path"]
    assert first != second
    gone = client.get(first)
    assert gone.status_code == 404 and gone.json["error"]["code"] == "feed_not_found"
    assert client.get(second).status_code == 200
    assert ann.delete("/api/v1/rituals/feed").json == {"active": False, "created_at": None}
    assert client.get(second).status_code == 404
    changes = events(ann, "rituals.feed_changed")
    assert changes and all(e["visibility"] == "private" and e["audience_id"] == ann.id for e in changes)
    assert all(e["type"] != "rituals.feed_changed" or e["audience_id"] == bob.id for e in events(bob))
    for bogus in ("nope", "x" * 200, "%00"):
        answer = client.get(f"/api/v1/rituals/feed/{bogus}.ics")
        assert answer.status_code == 404 and answer.is_json


def test_the_feed_only_holds_the_owners_couple(shared):
    ann, client = shared.ann, shared.client
    create(ann, template="date", title="Ann and Bob's dinner", start="2024-03-08T19:30")
    cat, _dan = join_new_couple(client, ann, "cat2", "dan2")
    path = cat.post("/api/v1/rituals/feed").json["path"]
    cal = fetch(client, path)
    assert vevents(cal) == [] and [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/London"]


def test_text_escaping_folding_and_zone_transitions():
    assert [trigger(m) for m in (0, 5, 30, 60, 90, 1440, 1530, 2880 + 61, 20160)] == [
        "PT0M", "-PT5M", "-PT30M", "-PT1H", "-PT1H30M", "-P1D", "-P1DT1H30M", "-P2DT1H1M", "-P14D"]
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    long = "DESCRIPTION:" + "é" * 80
    folded = fold(long)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == long
    new_york = transitions(ZoneInfo("America/New_York"), 2024, 2024)
    assert [(t["local"].isoformat(), t["dst"]) for t in new_york] == [
        ("2024-03-10T02:00:00", True), ("2024-11-03T02:00:00", False)]
    assert transitions(ZoneInfo("Asia/Tokyo"), 2020, 2024) == []


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"])
def test_vtimezones_of_other_zones_parse(zone):
    from hearthside.plugins.rituals.ical import vtimezone

    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN",
                        *vtimezone(ZoneInfo(zone), 2020, 2026), "END:VCALENDAR"]) + "\r\n"
    cal = icalendar.Calendar.from_ical(text)
    tz = cal.walk("VTIMEZONE")[0]
    assert str(tz["TZID"]) == zone
    if zone in ("America/New_York", "Australia/Sydney"):
        assert any("RRULE" in sub for sub in tz.subcomponents)
