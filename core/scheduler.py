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

A job that hangs or overruns holds only itself. Each run goes to a helper
thread of its own (:mod:`hearthside.timebox`), and whoever started it waits
at most so long: APScheduler's pool thread ``scheduler.job_seconds``, the
catch-up ``server.hook_seconds`` per missed job, shutdown
``server.shutdown_seconds`` for all of them. So the pool is never used up,
the heartbeat and the other jobs keep their slots, requests never wait for a
job, and stopping the server takes bounded time (a job still running then
stops with the process; its open transaction, if any, is rolled back by
SQLite). A run past ``scheduler.job_seconds`` is reported: one log line
naming the job (never anything it handles) and ``overran_at`` in its
``scheduler_runs`` row, where ``running_since`` shows the run under way. A
job is never started again while a run of it is still going; those slots
are skipped, with a log line. The late run records its run whenever it ends.

On a full disk a job's work cannot be saved: that is logged as one warning
(not a traceback every minute) and the run is not recorded, so the catch-up
runs it once when space returns.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
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
from .errors import describe, is_storage_full, log_exception
from .timebox import TimeBox

log = logging.getLogger(__name__)

CLOCK_JUMP_SECONDS = 30
# The helper threads job runs go to; shared by every scheduler in the process (a test builds many).
# Only its start() is used: each caller waits for a run in its own way.
_helpers = TimeBox(0, "hearthside-job")
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


@dataclass
class _Run:
    """One run of a job under way on its helper thread."""

    started: datetime
    began: float = field(default_factory=time.monotonic)
    settled: threading.Event = field(default_factory=threading.Event)  # it ended, or nobody waits any more
    ended: bool = False
    reported: bool = False  # its overrun is logged and recorded (once)


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
        self.catch_up_seconds = hs.config["server.hook_seconds"]
        self.job_seconds = hs.config["scheduler.job_seconds"]
        self.shutdown_seconds = hs.config["server.shutdown_seconds"]
        self._runs: dict[str, _Run] = {}  # job id -> its run under way
        self._runs_lock = threading.Lock()
        self._stopping = threading.Event()

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
            db["scheduler_runs"].upsert({"job_id": job_id, "last_run_at": when.isoformat(), "running_since": None},
                                        pk="job_id")

    def _note(self, job_id: str, column: str, when: datetime | None) -> None:
        """Set ``running_since`` or ``overran_at`` in the job's row; a full or busy disk only costs the note."""
        try:
            with self.hs.storage.connection() as db, db.atomic():
                db.execute(f"UPDATE scheduler_runs SET {column} = ? WHERE job_id = ?",
                           [when.isoformat() if when else None, job_id])
        except sqlite3.OperationalError as exc:
            if not is_storage_full(exc):  # a full disk: the job's own line says so
                log.warning("Could not note %s of job %s (%s)", column, job_id, describe(exc))

    def run_job(self, job_id: str, wait: float | None = None) -> str:
        """Start one run of the job on a helper thread and wait for it at most ``wait`` seconds.

        ``wait`` defaults to ``scheduler.job_seconds``; a run still going then is
        reported as overrunning. Answers ``"ended"``, ``"running"`` (it goes on in
        the background) or ``"skipped"`` (a run of it was still under way).
        """
        with self._runs_lock:
            if job_id in self._runs:
                log.warning("Job %s is still running from %s; this run is skipped", job_id,
                            self._runs[job_id].started.isoformat(timespec="seconds"))
                return "skipped"
            run = self._runs[job_id] = _Run(self.clock())
        _helpers.start(self._execute, job_id, run)
        run.settled.wait(self.job_seconds if wait is None else wait)
        if run.ended:
            return "ended"
        if wait is None and not self._stopping.is_set():
            self._overran(job_id, run)
        return "running"

    def _execute(self, job_id: str, run: _Run) -> None:
        """One run, on its helper thread: the job, then its record; a failing job is logged, never fatal."""
        try:
            self._note(job_id, "running_since", run.started)
            self._call(job_id, run.started)
        except Exception as exc:  # its record could not be written: no pool thread is there to log it
            log_exception(log, exc, "Scheduled job %s ran but its run could not be recorded", job_id)
        finally:
            with self._runs_lock:
                self._runs.pop(job_id, None)
                run.ended = True
            run.settled.set()
            if time.monotonic() - run.began > self.job_seconds:
                self._overran(job_id, run)  # a catch-up run nobody waited for so long

    def _call(self, job_id: str, started: datetime) -> None:
        try:
            self.jobs[job_id].func(self.hs)
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

    def _overran(self, job_id: str, run: _Run) -> None:
        """Report a run past ``scheduler.job_seconds``, once: a log line naming only the job, and its row."""
        with self._runs_lock:
            if run.reported:
                return
            run.reported = True
        log.warning("Job %s has run for more than %g s (scheduler.job_seconds); the scheduler and the other jobs "
                    "go on without it, and it is not started again until it ends", job_id, self.job_seconds)
        self._note(job_id, "overran_at", self.clock())

    def overrunning(self) -> list[str]:
        """Report the runs under way for longer than ``scheduler.job_seconds`` (the heartbeat asks)."""
        with self._runs_lock:
            late = [(job_id, run) for job_id, run in self._runs.items()
                    if time.monotonic() - run.began > self.job_seconds]
        for job_id, run in late:
            self._overran(job_id, run)
        return [job_id for job_id, _run in late]

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
                if self.run_job(job.id, wait=self.catch_up_seconds) == "running":
                    log.warning("Job %s is still running after %g s; the other jobs go on without waiting "
                                "for it (server.hook_seconds)", job.id, self.catch_up_seconds)
                ran.append(job.id)
        return ran

    # -- the heartbeat --------------------------------------------------------

    def heartbeat(self) -> float:
        """Return how far the wall clock jumped since the last beat (seconds)."""
        wall, mono = time.time(), time.monotonic()
        jump = (wall - self._last_beat[0]) - (mono - self._last_beat[1])
        self._last_beat = (wall, mono)
        self.overrunning()
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
        with self.hs.storage.connection() as db:  # runs the last process left under way ended with it
            if db.execute("SELECT 1 FROM scheduler_runs WHERE running_since IS NOT NULL LIMIT 1").fetchone():
                with db.atomic():
                    db.execute("UPDATE scheduler_runs SET running_since = NULL")
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
        """Start no more runs, give the runs under way ``server.shutdown_seconds`` to end, then stop.

        A run still going after that is left to its helper thread, which ends with
        the process; nothing waits for it (APScheduler's pool threads are let go).
        """
        global _started_in_pid
        if self._aps is not None and self._aps.running:
            self._aps.pause()
            deadline = time.monotonic() + self.shutdown_seconds
            with self._runs_lock:
                runs = list(self._runs.items())
            for _job_id, run in runs:
                run.settled.wait(max(0.0, deadline - time.monotonic()))
            self._stopping.set()
            for job_id, run in runs:
                if not run.ended:
                    log.warning("Job %s was still running when the scheduler stopped; it stops with the server",
                                job_id)
                    run.settled.set()  # its pool thread stops waiting
            try:
                self._aps.shutdown(wait=True)
            except RuntimeError as exc:
                # A SIGTERM that lands inside APScheduler's start(), between making its thread
                # and starting it: no job can run, so there is nothing to wait for.
                if "before it is started" not in str(exc):
                    raise
            _started_in_pid = None

    def next_runs(self) -> dict[str, datetime | None]:
        if self._aps is None:
            return {}
        return {job.id: job.next_run_time for job in self._aps.get_jobs()}

