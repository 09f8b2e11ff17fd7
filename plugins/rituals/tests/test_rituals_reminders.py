"""Reminders, driven by the real scheduler with a controllable clock: on time, once,
private, held by quiet hours, correct across DST, and after downtime one summary
instead of late replays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rituals_testing import create, events, utc

from hearthside.plugins.rituals.reminders import JOB_ID
from hearthside.testing import FakeClock, hs_of, listen, onboard_couple, pair_device

# Sunday 10 March 2024, 19:00 in Berlin is 18:00 UTC.
START = utc(2024, 3, 10, 18, 0)


@pytest.fixture
def world(make_app):
    app = make_app()
    ann, bob = onboard_couple(app.test_client())
    clock = FakeClock(utc(2024, 3, 1, 12, 0))
    hs = hs_of(app)
    scheduler = hs.start_scheduler(clock=clock)
    assert JOB_ID in scheduler.jobs
    yield app, ann, bob, clock, scheduler
    if hs.scheduler is not None:
        hs.scheduler.shutdown()
        hs.scheduler = None


def tick(scheduler, clock, when) -> None:
    """Set the clock and let the scheduler run the reminder job, as it does every minute."""
    clock.now = when
    scheduler.run_job(JOB_ID)


def reminders_of(member) -> list[dict]:
    return events(member, "rituals.reminder")


def test_a_reminder_fires_once_on_time_and_only_for_its_member(world):
    app, ann, bob, clock, scheduler = world
    rid = create(ann, start="2024-03-03T19:00")["id"]
    ann.put(f"/api/v1/rituals/{rid}/reminders", json={"offsets": [30]})
    bob.put(f"/api/v1/rituals/{rid}/reminders", json={"offsets": []})
    wall = pair_device(ann)
    sockets = {name: listen(app, who.token) for name, who in {"ann": ann, "bob": bob, "wall": wall}.items()}
    try:
        tick(scheduler, clock, START - timedelta(minutes=31))
        tick(scheduler, clock, START - timedelta(minutes=30, seconds=1))
        assert reminders_of(ann) == []
        tick(scheduler, clock, START - timedelta(minutes=30))
        sent = reminders_of(ann)
        assert len(sent) == 1
        assert sent[0]["visibility"] == "private" and sent[0]["audience_id"] == ann.id
        assert sent[0]["payload"]["key"] == "2024-03-10T19:00" and sent[0]["payload"]["offset_minutes"] == 30
        assert "in 30 minutes" in sent[0]["payload"]["summary"]
        for later in (0, 1, 5, 29):
            tick(scheduler, clock, START - timedelta(minutes=30) + timedelta(minutes=later))
        assert len(reminders_of(ann)) == 1  # once
        assert reminders_of(bob) == []
        heard = {name: [e["type"] for e in sio.received()] for name, sio in sockets.items()}
        assert heard["ann"].count("rituals.reminder") == 1
        assert "rituals.reminder" not in heard["bob"] and "rituals.reminder" not in heard["wall"]
    finally:
        for sio in sockets.values():
            sio.disconnect()


def test_default_offsets_a_skipped_occurrence_and_a_moved_one(world):
    _app, ann, bob, clock, scheduler = world
    rid = create(ann, start="2024-03-03T19:00")["id"]  # both participants, default [1440, 30]
    ann.put(f"/api/v1/rituals/{rid}/occurrences/2024-03-10T19:00/status", json={"status": "skipped"})
    ann.put(f"/api/v1/rituals/{rid}/occurrences/2024-03-17T19:00/move", json={"start": "2024-03-18T20:00"})
    # The scheduler runs every minute; here it runs at each moment that matters (and between them
    # nothing else falls due: the skipped 10th and the 17th's usual time remind nobody).
    moments = [START - timedelta(days=2), START - timedelta(days=1), START - timedelta(minutes=30),
               utc(2024, 3, 16, 18, 0), utc(2024, 3, 17, 17, 30), utc(2024, 3, 17, 19, 0),
               utc(2024, 3, 18, 18, 30), utc(2024, 3, 18, 19, 5)]
    for moment in moments:
        tick(scheduler, clock, moment)
    for member in (ann, bob):
        keys = [(e["payload"]["key"], e["payload"]["offset_minutes"]) for e in reminders_of(member)]
        # nothing for the skipped 10th; the moved 17th reminds before its new time (18th, 19:00 UTC)
        assert keys == [("2024-03-17T19:00", 1440), ("2024-03-17T19:00", 30)]
        assert all(e["payload"]["start"] == "2024-03-18T20:00+01:00" for e in reminders_of(member))
        assert events(member, "rituals.missed_summary") == []


def test_quiet_hours_hold_a_reminder_until_they_end_or_drop_it(world):
    _app, ann, _bob, clock, scheduler = world
    ann.put("/api/v1/rituals/settings", json={"quiet_hours": {"start": "22:00", "end": "07:00"}})
    walk = create(ann, template="morning", start="2024-03-04T07:30", participants=[ann.id])["id"]
    early = create(ann, template="custom", title="Sunrise", start="2024-03-04T06:30", rrule=None,
                   participants=[ann.id])["id"]
    ann.put(f"/api/v1/rituals/{walk}/reminders", json={"offsets": [60]})  # due 06:30: quiet
    ann.put(f"/api/v1/rituals/{early}/reminders", json={"offsets": [30]})  # due 06:00, quiet until after it began
    tick(scheduler, clock, utc(2024, 3, 4, 4, 0))
    for minute in range(0, 180, 15):  # 05:00 to 08:00 Berlin (04:00-07:00 UTC)
        tick(scheduler, clock, utc(2024, 3, 4, 4, 0) + timedelta(minutes=minute))
        sent = reminders_of(ann)
        if clock.now < utc(2024, 3, 4, 6, 0):  # 07:00 Berlin: quiet hours end
            assert sent == []
    sent = reminders_of(ann)
    assert [(e["payload"]["ritual_id"], e["payload"]["key"]) for e in sent] == [(walk, "2024-03-04T07:30")]
    assert "in 30 minutes" in sent[0]["payload"]["summary"]  # held from 06:30 to 07:00


def test_one_while_i_was_off_summary_instead_of_late_replays(make_app, data_dir):
    app = make_app()
    ann, bob = onboard_couple(app.test_client())
    hs = hs_of(app)
    create(ann, template="morning", start="2024-03-04T08:00")  # daily, both, default [1440, 30]
    clock = FakeClock(utc(2024, 3, 4, 5, 0))
    scheduler = hs.start_scheduler(clock=clock)
    scheduler.run_job(JOB_ID)
    hs.shutdown()  # the Pi goes off at 06:00 Berlin...

    restarted = make_app()  # ...and comes back three days later, at 07:50 Berlin
    hs = hs_of(restarted)
    clock = FakeClock(utc(2024, 3, 7, 6, 50))
    scheduler = hs.start_scheduler(clock=clock)  # the core's catch-up runs the job once now
    try:
        for member in (ann, bob):
            member.client = restarted.test_client()
            assert reminders_of(member) == []  # nothing replayed late
            summaries = events(member, "rituals.missed_summary")
            assert len(summaries) == 1 and summaries[0]["visibility"] == "private"
            assert summaries[0]["audience_id"] == member.id
            payload = summaries[0]["payload"]
            # the daily 08:00 of the 4th, 5th and 6th, and the 7th's day-before reminder: one line each
            assert [item["key"] for item in payload["items"]] == [
                "2024-03-04T08:00", "2024-03-05T08:00", "2024-03-06T08:00", "2024-03-07T08:00"]
            assert payload["count"] == 4 and payload["summary"].startswith("While Hearthside was off")
        tick(scheduler, clock, utc(2024, 3, 7, 6, 51))
        assert all(len(events(m, "rituals.missed_summary")) == 1 for m in (ann, bob))  # a single summary
        tick(scheduler, clock, utc(2024, 3, 7, 7, 0))  # running again: the next reminder is on time
        assert [e["payload"]["key"] for e in reminders_of(ann)] == ["2024-03-08T08:00"]
    finally:
        hs.scheduler.shutdown()
        hs.scheduler = None


def test_reminders_across_both_dst_changes_fire_once_at_the_right_instant(world):
    _app, ann, _bob, clock, scheduler = world
    weekly = create(ann, start="2024-03-24T19:00", participants=[ann.id])["id"]
    ann.put(f"/api/v1/rituals/{weekly}/reminders", json={"offsets": [1440]})
    # Sunday 31 March 19:00 is summer time (17:00 UTC); a day before in real time is Saturday 17:00 UTC,
    # which is 18:00 on Saturday's winter clock.
    tick(scheduler, clock, utc(2024, 3, 30, 16, 0))
    tick(scheduler, clock, utc(2024, 3, 30, 16, 59))
    assert reminders_of(ann) == []
    tick(scheduler, clock, utc(2024, 3, 30, 17, 0))
    assert [e["payload"]["key"] for e in reminders_of(ann)] == ["2024-03-31T19:00"]
    # Autumn: a daily ritual at 02:30, inside the hour that happens twice on 27 October.
    night = create(ann, template="custom", title="Night feed", start="2024-10-25T02:30", rrule="FREQ=DAILY",
                   participants=[ann.id])["id"]
    ann.put(f"/api/v1/rituals/{night}/reminders", json={"offsets": [0]})
    tick(scheduler, clock, utc(2024, 10, 26, 22, 0))
    for minute in range(0, 6 * 60, 15):  # 22:00 to 04:00 UTC, through the repeated hour
        tick(scheduler, clock, utc(2024, 10, 26, 22, 0) + timedelta(minutes=minute))
    fired = [e for e in reminders_of(ann) if e["payload"]["ritual_id"] == night]
    assert [e["payload"]["start"] for e in fired] == ["2024-10-27T02:30+02:00"]  # once: the first 02:30
    with hs_of(_app).storage.connection() as db:
        dues = [row["due_at"] for row in db.query("SELECT due_at FROM rituals_reminder_log WHERE ritual_id = ? "
                                                  "AND outcome = 'sent'",
                                                  [night])]
    assert dues == ["2024-10-27T00:30:00+00:00"]
