"""The scheduler: catch-up after downtime, the wall-clock heartbeat, one per process."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hearthside.hookspecs import hookimpl
from hearthside.scheduler import ScheduledJob, Scheduler
from hearthside.testing import FakeClock

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=timezone.utc)


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self, hs) -> None:
        self.calls += 1


@pytest.fixture
def hs(make_app):
    return make_app(flags={"time_zone": "UTC"}).extensions["hearthside"]


def seen_at(hs, job: ScheduledJob, when: datetime) -> None:
    """A scheduler that ran at ``when`` and saw ``job`` for the first time."""
    Scheduler(hs, [job], clock=FakeClock(when)).catch_up()


def aps_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "APScheduler" and thread.is_alive()]


def test_building_an_app_never_starts_the_scheduler(hs):
    assert hs.scheduler is None
    assert aps_threads() == []


def test_missed_interval_job_runs_exactly_once(hs):
    work = Counter()
    job = ScheduledJob("test.hourly", work, IntervalTrigger(hours=1))
    seen_at(hs, job, NOW - timedelta(hours=5))  # then the Pi was off for 5 hours (5 missed slots)
    scheduler = Scheduler(hs, [job], clock=FakeClock(NOW))
    assert scheduler.catch_up() == ["test.hourly"]
    assert work.calls == 1
    assert scheduler.last_run("test.hourly") == NOW
    assert scheduler.catch_up() == []  # caught up: a second pass runs nothing
    assert work.calls == 1


def test_job_that_missed_nothing_is_not_run(hs):
    work = Counter()
    job = ScheduledJob("test.hourly", work, IntervalTrigger(hours=1))
    seen_at(hs, job, NOW - timedelta(minutes=30))
    scheduler = Scheduler(hs, [job], clock=FakeClock(NOW))
    assert scheduler.catch_up() == []
    assert work.calls == 0
    assert scheduler.last_run("test.hourly") == NOW - timedelta(minutes=30)


def test_first_seen_job_is_recorded_but_not_run(hs):
    work = Counter()
    scheduler = Scheduler(hs, [ScheduledJob("test.new", work, IntervalTrigger(hours=1))], clock=FakeClock(NOW))
    assert scheduler.last_run("test.new") is None
    assert scheduler.catch_up() == []
    assert work.calls == 0
    assert scheduler.last_run("test.new") == NOW


def test_job_without_catch_up_is_not_run_late(hs):
    work = Counter()
    job = ScheduledJob("test.reminder", work, IntervalTrigger(hours=1), catch_up=False)
    seen_at(hs, job, NOW - timedelta(hours=5))
    assert Scheduler(hs, [job], clock=FakeClock(NOW)).catch_up() == []
    assert work.calls == 0


def test_daily_cron_job_catches_up_once_after_days_off(hs):
    work = Counter()
    job = ScheduledJob("test.daily", work, CronTrigger(hour=3, minute=0, timezone="UTC"))
    seen_at(hs, job, datetime(2024, 6, 7, 3, 0, tzinfo=timezone.utc))
    # 10 June, noon: the 8th, 9th and 10th 03:00 slots were missed -> one run.
    assert Scheduler(hs, [job], clock=FakeClock(NOW)).catch_up() == ["test.daily"]
    assert work.calls == 1


def test_daily_cron_job_not_due_yet_is_not_run(hs):
    work = Counter()
    job = ScheduledJob("test.daily", work, CronTrigger(hour=3, minute=0, timezone="UTC"))
    seen_at(hs, job, datetime(2024, 6, 10, 3, 0, tzinfo=timezone.utc))
    assert Scheduler(hs, [job], clock=FakeClock(NOW)).catch_up() == []  # next slot: 11 June
    assert work.calls == 0


def test_failing_job_is_logged_and_not_fatal(hs, caplog):
    def broken(hs):
        raise RuntimeError("reminder template missing")

    after = Counter()
    jobs = [ScheduledJob("test.broken", broken, IntervalTrigger(hours=1)),
            ScheduledJob("test.after", after, IntervalTrigger(hours=1))]
    for job in jobs:
        seen_at(hs, job, NOW - timedelta(hours=2))
    scheduler = Scheduler(hs, jobs, clock=FakeClock(NOW))
    with caplog.at_level(logging.ERROR, logger="hearthside.scheduler"):
        assert scheduler.catch_up() == ["test.broken", "test.after"]
    assert after.calls == 1
    assert "test.broken" in caplog.text and "reminder template missing" in caplog.text
    # recorded as run: a broken job is not retried on every start
    assert scheduler.last_run("test.broken") == NOW


def test_heartbeat_catches_up_after_a_wall_clock_jump(hs, monkeypatch, caplog):
    """A Pi boots with a stale clock, then NTP sets it forward by hours."""
    work = Counter()
    clock = FakeClock(NOW - timedelta(hours=5))
    job = ScheduledJob("test.hourly", work, IntervalTrigger(hours=1))
    scheduler = Scheduler(hs, [job], clock=clock)
    scheduler.catch_up()  # at the stale time: first seen, nothing missed
    assert abs(scheduler.heartbeat()) < 5  # no jump yet
    assert work.calls == 0

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 5 * 3600)
    clock.now = NOW
    with caplog.at_level(logging.WARNING, logger="hearthside.scheduler"):
        jump = scheduler.heartbeat()
    assert 5 * 3600 - 5 < jump < 5 * 3600 + 5
    assert work.calls == 1
    assert "wall clock jumped" in caplog.text
    assert abs(scheduler.heartbeat()) < 5 and work.calls == 1  # steady again: no second run


def test_second_scheduler_in_one_process_refuses_to_start(hs):
    first = Scheduler(hs, [])
    first.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            Scheduler(hs, []).start()
        with pytest.raises(RuntimeError, match="already running"):
            first.start()
    finally:
        first.shutdown()
    again = Scheduler(hs, [])  # after a clean shutdown a new one may start
    again.start()
    again.shutdown()


def test_a_stop_that_lands_while_the_scheduler_starts_shuts_down_quietly(hs, monkeypatch):
    """Seen in a test run: SIGTERM arrived inside APScheduler's start(), after it made its thread
    and before it started it, and the worker's shutdown logged a traceback instead of stopping."""
    started = threading.Thread.start

    def interrupted(thread):
        if thread.name == "APScheduler":
            raise SystemExit(0)  # what the worker's SIGTERM handler raises
        started(thread)

    scheduler = Scheduler(hs, [])
    monkeypatch.setattr(threading.Thread, "start", interrupted)
    with pytest.raises(SystemExit):
        scheduler.start()
    monkeypatch.setattr(threading.Thread, "start", started)
    scheduler.shutdown()  # no RuntimeError: "cannot join thread before it is started"
    again = Scheduler(hs, [])  # and the process may start one again
    again.start()
    again.shutdown()


class Ticker:
    """A plugin with a one-second job."""

    def __init__(self):
        self.ran = threading.Event()

    @hookimpl
    def hearthside_scheduled_jobs(self, hs):
        return [ScheduledJob("ticker.tick", lambda hs: self.ran.set(), every=timedelta(seconds=1))]


def test_started_scheduler_runs_a_short_job_and_records_it(make_app):
    ticker = Ticker()
    hs = make_app(extra_plugins={"ticker": ticker}, flags={"time_zone": "UTC"}).extensions["hearthside"]
    scheduler = hs.start_scheduler()
    try:
        first_seen = scheduler.last_run("ticker.tick")
        assert first_seen is not None  # recorded at start, not run
        assert {"ticker.tick", "core.heartbeat"} <= set(scheduler.next_runs())
        assert ticker.ran.wait(timeout=5), "the one-second job did not run within 5 s"
        deadline = time.monotonic() + 2
        while scheduler.last_run("ticker.tick") == first_seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scheduler.last_run("ticker.tick") > first_seen
        with pytest.raises(RuntimeError, match="already running"):
            hs.start_scheduler()
    finally:
        hs.shutdown()
    assert hs.scheduler is None
    deadline = time.monotonic() + 2
    while aps_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert aps_threads() == []
