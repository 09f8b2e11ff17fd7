"""Scheduled jobs: APScheduler 3.x in-process, with catch-up after downtime.

Plugins return :class:`ScheduledJob` objects from ``hearthside_scheduled_jobs``.
APScheduler keeps its jobs in memory only; what must survive a restart lives in
the app's own tables, and each recurring job's last run is kept in
``scheduler_runs``. At start every job whose next fire time after its last run
is already past runs *once* (not once per missed slot, and not never): a Pi
that was off for a weekend catches up sensibly.

A heartbeat job compares the wall clock with the monotonic clock. A Pi has no
real-time clock and sets its time from the network after boot; when the wall
clock jumps, the heartbeat runs the catch-up again and wakes the scheduler so
no job sleeps through its slot. A jump *back* would leave an interval job
waiting for its next slot on the old, later clock (a reminder job stalled for
hours); the heartbeat pulls such jobs back to one interval from the new now,
and a run record the wrong clock left in the future is reset to now.

A job that hangs holds only its own thread: APScheduler runs each job on a
pool thread, and the catch-up waits for each missed job at most
``server.hook_seconds`` (:mod:`hearthside.timebox`) before it goes on to the
next and starts the scheduler; the late job finishes, and records its run,
whenever it does.

On a full disk a job's work cannot be saved: that is logged as one warning
(not a traceback every minute) and the run is not recorded, so the catch-up
runs it once when space returns.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .clock import utc_now
from .errors import is_storage_full, log_exception
from .timebox import Overran, TimeBox

log = logging.getLogger(__name__)

CLOCK_JUMP_SECONDS = 30
_started_in_pid: int | None = None  # one scheduler per process, whatever creates apps


TRIGGER_DEPRECATED = ("passes an APScheduler trigger to ScheduledJob, deprecated since plugin API 1.2: "
                      "give every=timedelta(...) or cron=\"M H D M W\" instead (docs/hooks.md)")


@dataclass
class ScheduledJob:
    """A recurring job a plugin asks the scheduler to run.

    ``id`` is unique across plugins (``<plugin>.<job>``); ``func`` takes the
    :class:`hearthside.app.Hearthside` runtime. The schedule is one of:

    * ``every=timedelta(minutes=5)`` - at that interval;
    * ``cron="0 3 * * *"`` - the five crontab fields (minute, hour, day of
      month, month, day of week) in the server's time zone; the day of week
      by name only (``mon``-``sun``, ``sat,sun``, ``mon-fri``), since crontab
      and APScheduler 3 number the days differently.

    The scheduler builds the APScheduler trigger itself, so the plugin API
    does not depend on APScheduler. An APScheduler 3 trigger passed as
    ``trigger`` (the API before 1.2) still works, with a deprecation warning.
    With ``catch_up`` a slot missed while the server was off runs once at start.
    """

    id: str
    func: Callable
    trigger: BaseTrigger | None = None
    catch_up: bool = True
    every: timedelta | None = field(default=None, kw_only=True)
    cron: str | None = field(default=None, kw_only=True)

    def __post_init__(self):
        given = [name for name in ("every", "cron", "trigger") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"ScheduledJob {self.id!r} needs one schedule, every=timedelta(...) or cron=\"...\""
                             + (f", not {' and '.join(given)}" if given else ""))
        if self.every is not None and (not isinstance(self.every, timedelta) or self.every <= timedelta(0)):
            raise ValueError(f"ScheduledJob {self.id!r}: every= takes a positive timedelta, not {self.every!r}")
        if self.cron is not None:
            _cron_trigger(self.id, self.cron, "UTC")  # a bad expression fails where it is written

    def trigger_in(self, tz) -> BaseTrigger:
        """The APScheduler trigger for this schedule, in the server's zone ``tz``."""
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone=tz)
        if self.cron is not None:
            return _cron_trigger(self.id, self.cron, tz)
        return self.trigger


def _cron_trigger(job_id: str, expression: str, tz) -> CronTrigger:
    fields = str(expression).split()
    if len(fields) != 5:
        raise ValueError(f"ScheduledJob {job_id!r}: cron={expression!r} needs five fields, "
                         "minute hour day month day-of-week, such as \"0 3 * * *\"")
    if re.search(r"\d", fields[4]):
        raise ValueError(f"ScheduledJob {job_id!r}: cron={expression!r} names days of the week by name "
                         "(mon-sun), not by number")
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as exc:
        raise ValueError(f"ScheduledJob {job_id!r}: cron={expression!r} cannot be read: {exc}") from None


class Scheduler:
    def __init__(self, hs, jobs: list[ScheduledJob], clock: Callable[[], datetime] | None = None):
        self.hs = hs
        self.jobs = {job.id: job for job in jobs}
        self.tz = ZoneInfo(hs.config["time_zone"])
        self.triggers = {job.id: job.trigger_in(self.tz) for job in jobs}
        self.clock = clock or utc_now
        self.grace = hs.config["scheduler.misfire_grace_seconds"]
        self._aps: BackgroundScheduler | None = None
        self._last_beat = (time.time(), time.monotonic())
        self._catch_up_box = TimeBox(hs.config["server.hook_seconds"], "hearthside-catch-up")

    @staticmethod
    def jobs_of(hs) -> list[ScheduledJob]:
        """Every plugin's ``hearthside_scheduled_jobs``; a plugin still passing an APScheduler
        trigger gets one deprecation warning (logged, and shown in ``hearthside plugins``)."""
        jobs = []
        for name, answer in hs.plugins.answers("hearthside_scheduled_jobs", hs=hs):
            if any(job.trigger is not None for job in answer):
                hs.plugins.warn(name, TRIGGER_DEPRECATED)
            jobs.extend(answer)
        return jobs

    # -- bookkeeping in the app's own table ---------------------------------

    def last_run(self, job_id: str) -> datetime | None:
        with self.hs.storage.connection() as db:
            rows = list(db.query("SELECT last_run_at FROM scheduler_runs WHERE job_id = ?", [job_id]))
        return datetime.fromisoformat(rows[0]["last_run_at"]) if rows else None

    def _record_run(self, job_id: str, when: datetime) -> None:
        with self.hs.storage.connection() as db, db.atomic():
            db["scheduler_runs"].upsert({"job_id": job_id, "last_run_at": when.isoformat()}, pk="job_id")

    def run_job(self, job_id: str) -> None:
        """Run one job now and record it; a failing job is logged, never fatal."""
        job = self.jobs[job_id]
        started = self.clock()
        try:
            job.func(self.hs)
        except Exception as exc:
            if is_storage_full(exc):  # not recorded: the catch-up runs it once space returns
                log.warning("Scheduled job %s could not save its work: the storage is full", job_id)
                return
            log_exception(log, exc, "Scheduled job %s failed", job_id)  # recorded: not retried on every start
        try:
            self._record_run(job_id, started)
        except sqlite3.OperationalError as exc:
            if not is_storage_full(exc):
                raise
            log.warning("Scheduled job %s ran but its run could not be recorded: the storage is full", job_id)

    # -- catch-up -----------------------------------------------------------

    def missed(self, job: ScheduledJob, now: datetime) -> bool:
        last = self.last_run(job.id)
        if last is None:
            return False
        next_fire = self.triggers[job.id].get_next_fire_time(last.astimezone(self.tz), last.astimezone(self.tz))
        return next_fire is not None and next_fire <= now

    def catch_up(self) -> list[str]:
        """Run once every job that missed a slot; first-seen jobs start their record now."""
        now = self.clock()
        ran = []
        for job in self.jobs.values():
            last = self.last_run(job.id)
            if last is None or last > now:  # first seen, or recorded by a clock that was wrong ahead
                self._record_run(job.id, now)
            elif job.catch_up and self.missed(job, now):
                log.info("Job %s missed a run while the server was off; running it once now", job.id)
                try:
                    self._catch_up_box.call(self.run_job, job.id)
                except Overran as exc:
                    log.warning("Job %s is still running after %g s; the other jobs go on without waiting "
                                "for it (server.hook_seconds)", job.id, exc.seconds)
                ran.append(job.id)
        return ran

    # -- the heartbeat --------------------------------------------------------

    def heartbeat(self) -> float:
        """Return how far the wall clock jumped since the last beat (seconds)."""
        wall, mono = time.time(), time.monotonic()
        jump = (wall - self._last_beat[0]) - (mono - self._last_beat[1])
        self._last_beat = (wall, mono)
        if abs(jump) >= CLOCK_JUMP_SECONDS:
            log.warning("The wall clock jumped by %+.0f s; catching up scheduled jobs", jump)
            if jump < 0:
                self.rearm_after_jump_back(datetime.fromtimestamp(wall, self.tz))
            self.catch_up()
            if self._aps is not None:
                self._aps.wakeup()
        return jump

    def rearm_after_jump_back(self, now: datetime) -> list[str]:
        """Pull interval jobs whose next run lies more than one interval ahead back to ``now + interval``.

        Their next run was computed on the clock before the jump; left alone, a
        one-minute job would wait as long as the clock went back. Cron-like jobs
        keep their slot: a slot already run is not run twice. Returns the ids moved.
        """
        if self._aps is None:
            return []
        moved = []
        for job in self._aps.get_jobs():
            if not isinstance(job.trigger, IntervalTrigger) or job.next_run_time is None:
                continue
            soonest = now + job.trigger.interval
            if job.next_run_time > soonest:
                job.modify(next_run_time=soonest)
                moved.append(job.id)
        return moved

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        global _started_in_pid
        if _started_in_pid == os.getpid():
            raise RuntimeError("the scheduler is already running in this process")
        self.catch_up()
        self._aps = BackgroundScheduler(
            timezone=self.tz,
            job_defaults={"misfire_grace_time": self.grace, "coalesce": True, "max_instances": 1},
        )
        for job in self.jobs.values():
            self._aps.add_job(self.run_job, self.triggers[job.id], args=[job.id], id=job.id, name=job.id)
        beat = self.hs.config["scheduler.heartbeat_seconds"]
        self._aps.add_job(self.heartbeat, IntervalTrigger(seconds=beat), id="core.heartbeat")
        self._aps.start()
        _started_in_pid = os.getpid()
        log.info("Scheduler started with %d job(s) in %s", len(self.jobs), self.tz.key)

    def shutdown(self) -> None:
        global _started_in_pid
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=True)
            _started_in_pid = None

    def next_runs(self) -> dict[str, datetime | None]:
        if self._aps is None:
            return {}
        return {job.id: job.next_run_time for job in self._aps.get_jobs()}

