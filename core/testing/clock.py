"""Time the test moves, and the app's scheduled jobs run on it when the test says.

No background thread: a job runs inside :meth:`SchedulerDriver.advance` or
:meth:`SchedulerDriver.run`, so a test never races its scheduler.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

from hearthside import clock as process_clock


class FakeClock:
    """A clock the test moves: call it for "now" (an aware UTC datetime)."""

    def __init__(self, now: datetime | None = None):
        start = now or datetime.now(timezone.utc).replace(microsecond=0)
        self.now = self._aware(start)

    @staticmethod
    def _aware(when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("the clock needs an aware datetime (with tzinfo), e.g. datetime(..., tzinfo=timezone.utc)")
        return when.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = self._aware(when)
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``: ``clock.advance(hours=2)``."""
        self.now += timedelta(**delta)
        return self.now

    @contextmanager
    def as_now(self) -> Iterator["FakeClock"]:
        """Be ``utc_now()`` (``hearthside.plugin_api``) for the block, then give the real time back.

        The process clock is the whole process's: the test's in-process
        servers read this clock too, so their requests follow the test.
        """
        previous = process_clock.use(self)
        try:
            yield self
        finally:
            process_clock.use(previous)


class SchedulerDriver:
    """The app's scheduled jobs on the test's clock, run when the test says so.

    Built like ``hs.start_scheduler(clock=...)`` - the same jobs from every
    plugin's ``hearthside_scheduled_jobs``, the same run records - but no
    background thread is started, so nothing runs behind the test's back.
    It is set as ``hs.scheduler``: a job reads "now" from
    ``hs.scheduler.clock()`` and so follows the test's clock.
    """

    def __init__(self, hs, clock: FakeClock):
        from hearthside.scheduler import Scheduler

        self.hs = hs
        self.clock = clock
        jobs = [job for _, jobs in hs.plugins.answers("hearthside_scheduled_jobs", hs=hs) for job in jobs]
        self.scheduler = Scheduler(hs, jobs, clock=clock)
        self._previous = getattr(hs, "scheduler", None)
        hs.scheduler = self.scheduler

    @property
    def job_ids(self) -> list[str]:
        return sorted(self.scheduler.jobs)

    def run(self, job_id: str) -> None:
        """Run one job now (as its trigger would), whatever its schedule says."""
        if job_id not in self.scheduler.jobs:
            raise KeyError(f"no scheduled job {job_id!r}; the jobs are: {', '.join(self.job_ids) or 'none'}")
        self.scheduler.run_job(job_id)

    def run_due(self) -> list[str]:
        """Run once every job whose next slot since its last run has come; returns their ids.

        A job seen for the first time starts its record now without running,
        as when the real scheduler starts.
        """
        now = self.clock()
        ran = []
        for job in self.scheduler.jobs.values():
            if self.scheduler.last_run(job.id) is None:
                self.scheduler._record_run(job.id, now)
            elif self.scheduler.missed(job, now):
                self.scheduler.run_job(job.id)
                ran.append(job.id)
        return ran

    def advance(self, **delta: float) -> list[str]:
        """Move the clock forward (``hours=2``) and run what became due."""
        self.clock.advance(**delta)
        return self.run_due()

    def close(self) -> None:
        if self.hs.scheduler is self.scheduler:
            self.hs.scheduler = self._previous
