"""Recurrence in the couple's wall-clock time: across both daylight-saving changes
of a European and a US zone, no occurrence is doubled or lost."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from hearthside.plugins.rituals.recurrence import (RecurrenceError, Series, describe_rule, first_occurrence,
                                                  localize, normalise_rule)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def instants(start: datetime, rule: str | None, tz: ZoneInfo, after: datetime, before: datetime) -> list[datetime]:
    stored = normalise_rule(rule, start, tz) if rule else None
    series = Series(first_occurrence(stored, start, tz), stored, tz)
    return [localize(moment, tz) for moment in series.between(after, before)]


@pytest.mark.parametrize("tz, spring, autumn", [
    (BERLIN, datetime(2024, 3, 31), datetime(2024, 10, 27)),
    (NEW_YORK, datetime(2024, 3, 10), datetime(2024, 11, 3)),
])
def test_weekly_sunday_evening_keeps_its_wall_clock_time_across_both_changes(tz, spring, autumn):
    found = instants(datetime(2024, 1, 7, 19, 0), "FREQ=WEEKLY;BYDAY=SU", tz, datetime(2024, 1, 1), datetime(2025, 1, 1))
    assert len(found) == 52  # every Sunday of 2024, once
    assert {(m.hour, m.minute) for m in found} == {(19, 0)}
    utc_hours = Counter(m.astimezone(timezone.utc).hour for m in found)
    assert len(utc_hours) == 2  # the UTC instant moves with the offset: that is the point
    on_change_days = [m for m in found if m.date() in (spring.date(), autumn.date())]
    assert len(on_change_days) == 2
    assert on_change_days[0].utcoffset() != on_change_days[1].utcoffset()
    real = [m.astimezone(timezone.utc) for m in found]
    gaps = {b - a for a, b in zip(real, real[1:])}  # in real time, the change weeks are an hour shorter or longer
    assert gaps == {timedelta(days=7), timedelta(days=7, hours=-1), timedelta(days=7, hours=1)}


@pytest.mark.parametrize("tz, spring, autumn, in_gap, repeated", [
    (BERLIN, datetime(2024, 3, 31), datetime(2024, 10, 27), (2, 30), (2, 30)),
    (NEW_YORK, datetime(2024, 3, 10), datetime(2024, 11, 3), (2, 30), (1, 30)),
])
def test_daily_ritual_in_the_changing_hour_happens_exactly_once_each_day(tz, spring, autumn, in_gap, repeated):
    # Spring: 02:30 does not exist that night; it happens once, at 03:30 summer time (RFC 5545).
    start = (spring - timedelta(days=3)).replace(hour=in_gap[0], minute=in_gap[1])
    days = instants(start, "FREQ=DAILY", tz, spring - timedelta(days=3), spring + timedelta(days=3))
    assert [m.date() for m in days] == [(spring - timedelta(days=n)).date() for n in range(3, -3, -1)]
    change_day = next(m for m in days if m.date() == spring.date())
    assert (change_day.hour, change_day.minute) == (in_gap[0] + 1, in_gap[1])
    assert change_day.dst()
    # Autumn: the repeated hour happens twice on the clock; the ritual happens once, the first time.
    start = (autumn - timedelta(days=3)).replace(hour=repeated[0], minute=repeated[1])
    days = instants(start, "FREQ=DAILY", tz, autumn - timedelta(days=3), autumn + timedelta(days=3))
    assert len(days) == 6 and len({m.date() for m in days}) == 6
    change_day = next(m for m in days if m.date() == autumn.date())
    assert (change_day.hour, change_day.minute) == repeated
    assert change_day.dst()  # the first of the two 01:30s (NY) / 02:30s (Berlin) is still summer time


def test_monthly_second_sunday_and_every_other_week():
    found = instants(datetime(2024, 1, 1, 18, 0), "FREQ=MONTHLY;BYDAY=2SU", BERLIN, datetime(2024, 1, 1),
                     datetime(2024, 5, 1))
    assert [m.date().isoformat() for m in found] == ["2024-01-14", "2024-02-11", "2024-03-10", "2024-04-14"]
    found = instants(datetime(2024, 3, 5, 17, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", NEW_YORK, datetime(2024, 3, 1),
                     datetime(2024, 4, 15))
    assert [m.date().isoformat() for m in found] == ["2024-03-05", "2024-03-19", "2024-04-02"]


def test_a_start_the_rule_skips_moves_to_the_first_real_occurrence():
    stored = normalise_rule("FREQ=WEEKLY;BYDAY=SU", datetime(2024, 3, 4, 19, 0), BERLIN)  # a Monday
    assert first_occurrence(stored, datetime(2024, 3, 4, 19, 0), BERLIN) == datetime(2024, 3, 10, 19, 0)


def test_until_is_stored_in_utc_and_read_back_in_local_time():
    stored = normalise_rule("freq=weekly;byday=su;until=20240331", datetime(2024, 3, 3, 19, 0), BERLIN)
    assert stored == "FREQ=WEEKLY;BYDAY=SU;UNTIL=20240331T215959Z"  # the end of 31 March, Berlin summer time
    series = Series(datetime(2024, 3, 3, 19, 0), stored, BERLIN)
    assert [m.day for m in series.between(datetime(2024, 3, 1), datetime(2024, 5, 1))] == [3, 10, 17, 24, 31]


def test_the_latest_starts_before_a_moment_come_newest_first_and_never_include_the_moment():
    series = Series(datetime(2024, 3, 4, 19, 0), "FREQ=WEEKLY;BYDAY=MO,TH", BERLIN)
    assert series.before(datetime(2024, 3, 21, 19, 0), 3) == [
        datetime(2024, 3, 18, 19, 0), datetime(2024, 3, 14, 19, 0), datetime(2024, 3, 11, 19, 0)]
    assert series.before(datetime(2024, 3, 8, 12, 0), 5) == [
        datetime(2024, 3, 7, 19, 0), datetime(2024, 3, 4, 19, 0)]  # only two since the start
    assert series.before(datetime(2024, 3, 4, 19, 0), 5) == []
    single = Series(datetime(2024, 3, 4, 19, 0), None, BERLIN)
    assert single.before(datetime(2024, 5, 1), 4) == [datetime(2024, 3, 4, 19, 0)]
    assert single.before(datetime(2024, 3, 4, 19, 0), 4) == []


@pytest.mark.parametrize("rule, code", [
    ("FREQ=HOURLY", "invalid_rrule"),
    ("FREQ=WEEKLY;BYHOUR=9", "invalid_rrule"),
    ("FREQ=WEEKLY;BYDAY=XX", "invalid_rrule"),
    ("FREQ=WEEKLY;INTERVAL=0", "invalid_rrule"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20250101", "invalid_rrule"),
    ("FREQ=WEEKLY;FREQ=DAILY", "invalid_rrule"),
    ("WEEKLY", "invalid_rrule"),
    ("FREQ=WEEKLY;UNTIL=2024", "invalid_rrule"),
    ("DTSTART:20240101T000000\nRRULE:FREQ=DAILY", "invalid_rrule"),
    ("FREQ=WEEKLY;UNTIL=20240101", "end_before_start"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", "rrule_empty"),
    ("", "invalid_rrule"),
])
def test_bad_rules_are_refused_with_a_reason(rule, code):
    with pytest.raises(RecurrenceError) as caught:
        normalise_rule(rule, datetime(2024, 3, 3, 19, 0), BERLIN)
    assert caught.value.code == code and caught.value.message


def test_rules_in_plain_words():
    start = datetime(2024, 3, 5, 17, 0)
    assert describe_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", start) == "Every 2 weeks on Tuesday at 17:00"
    assert describe_rule("FREQ=MONTHLY;BYDAY=2SU", start) == "Every month on the second Sunday at 17:00"
    assert describe_rule("FREQ=DAILY", start) == "Every day at 17:00"
    assert describe_rule(None, start) == "Once, on Tuesday 5 March 2024 at 17:00"
    assert describe_rule("FREQ=WEEKLY;COUNT=4", start).startswith("Repeats: FREQ=WEEKLY;COUNT=4")


def test_through_the_api_a_us_couple_keeps_its_times_across_both_changes(make_app):
    """End to end: a New York couple's rituals, read back from the API in their zone."""
    from hearthside.testing import PASSWORD

    client = make_app().test_client()
    answer = client.post("/api/v1/onboarding", json={
        "couple": {"name": "Nia & Ola", "time_zone": "America/New_York"},
        "member": {"username": "nia", "password": PASSWORD, "display_name": "Nia"}})
    headers = {"Authorization": f"Bearer {answer.get_json()['token']}"}

    def make(**body) -> int:
        made = client.post("/api/v1/rituals", json=body, headers=headers)
        assert made.status_code == 201, made.get_json()
        return made.get_json()["id"]

    def starts(ritual_id: int, first: str, last: str) -> list[str]:
        found = client.get(f"/api/v1/rituals/occurrences?from={first}&to={last}", headers=headers)
        assert found.status_code == 200, found.get_json()
        return [o["start"] for o in found.get_json()["occurrences"] if o["ritual_id"] == ritual_id]

    weekly = make(template="checkin", start="2024-03-03T19:00")
    assert starts(weekly, "2024-03-01", "2024-03-20") == [
        "2024-03-03T19:00-05:00", "2024-03-10T19:00-04:00", "2024-03-17T19:00-04:00"]
    assert starts(weekly, "2024-10-26", "2024-11-12") == [
        "2024-10-27T19:00-04:00", "2024-11-03T19:00-05:00", "2024-11-10T19:00-05:00"]
    nightly = make(template="custom", title="Night tea", start="2024-11-01T01:30", rrule="FREQ=DAILY")
    assert starts(nightly, "2024-11-01", "2024-11-04") == [  # once on the fall-back night, the first 01:30
        "2024-11-01T01:30-04:00", "2024-11-02T01:30-04:00", "2024-11-03T01:30-04:00", "2024-11-04T01:30-05:00"]
    monthly = make(template="custom", title="Budget talk", start="2024-02-10T18:00", rrule="FREQ=MONTHLY;BYMONTHDAY=10")
    assert starts(monthly, "2024-02-01", "2024-03-31") == ["2024-02-10T18:00-05:00", "2024-03-10T18:00-04:00"]
