"""Scheduled backups: a bundle at ``backups.time``, kept to ``backups.keep``, copied to ``backups.copy_to``.

A couple trusts the Pi with years of their words; a backup that quietly
stopped working is found out on the day it is needed. So every run is a row
in ``backup_runs`` (when, ok, the file, its size, where it was copied, and a
plain problem such as "not enough free space on /media/usb" - never anything
a member wrote), the admin page shows the last one, and a failed run tells
each admin through a private ``backup.failed`` event, not only a log line.

The copy to ``copy_to`` (a USB stick) checks the free space first: a copy
that would fill the stick is refused and recorded; the bundle in
``data_dir/backups`` stays either way.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger

from .backups import BUNDLE_SUFFIX, bundle_name, write_bundle
from .datafolder import write_private
from .clock import utc_now
from .errors import is_storage_full, log_exception
from .events import emit
from .scheduler import ScheduledJob

log = logging.getLogger(__name__)

JOB_ID = "core.backup"
REASON = "scheduled"
FAILED_EVENT = "backup.failed"
MARGIN_BYTES = 8 * 1024 * 1024  # a copy never leaves the stick this close to full
RECENT = 10


def cron(config) -> str | None:
    """The schedule as a crontab line (the server's zone); None when backups are ``off``."""
    schedule = config["backups.schedule"]
    if schedule == "off":
        return None
    hour, minute = (int(part) for part in config["backups.time"].split(":"))
    return f"{minute} {hour} * * {'sun' if schedule == 'weekly' else '*'}"


def trigger(config) -> CronTrigger | None:
    """The schedule as a trigger in the server's zone; None when backups are ``off``."""
    line = cron(config)
    return None if line is None else CronTrigger.from_crontab(line, timezone=config["time_zone"])


def scheduled_jobs(hs) -> list[ScheduledJob]:
    line = cron(hs.config)
    return [] if line is None else [ScheduledJob(JOB_ID, run_scheduled_backup, cron=line)]


def next_at(hs, now: datetime) -> datetime | None:
    when = trigger(hs.config)
    return None if when is None else when.get_next_fire_time(None, now)


# -- the job ---------------------------------------------------------------------------------------


def run_scheduled_backup(hs) -> dict:
    """Write a bundle, prune old scheduled ones, copy it; record the run and tell the admins if it failed."""
    started = utc_now(hs)
    run = {"started_at": started.isoformat(), "ok": 0, "file": None, "size": None, "copied_to": None,
           "problem": None}
    try:
        bundle = write_bundle(hs, hs.storage.backups_dir / bundle_name(REASON, started))
        run.update(file=bundle.name, size=bundle.stat().st_size)
        prune(hs.storage.backups_dir, hs.config["backups.keep"])
        run["problem"] = _copy(hs, bundle)
        if run["problem"] is None and _copy_folder(hs) is not None:
            run["copied_to"] = str(_copy_folder(hs))
    except Exception as exc:
        run["problem"] = _why(exc, hs.storage.backups_dir)
    run["ok"] = int(run["problem"] is None)
    run["finished_at"] = utc_now(hs).isoformat()
    _record(hs, run)
    return run


def _why(exc: Exception, folder: Path) -> str:
    if is_storage_full(exc):
        return f"not enough free space in {folder}"
    log_exception(log, exc, "The scheduled backup failed")
    return f"the backup could not be written ({type(exc).__name__}); the server's log has the details"


def _copy_folder(hs) -> Path | None:
    folder = hs.config["backups.copy_to"].strip()
    return Path(folder).expanduser() if folder else None


def _copy(hs, bundle: Path) -> str | None:
    """Copy the bundle to ``copy_to`` when set; the problem in plain words, or None."""
    folder = _copy_folder(hs)
    if folder is None:
        return None
    if not folder.is_dir():
        return f"the copy folder {folder} does not exist (is the USB stick plugged in?)"
    size = bundle.stat().st_size
    if free_bytes(folder) < size + MARGIN_BYTES:
        return f"not enough free space on {folder} for the copy (it needs {_mib(size + MARGIN_BYTES)})"
    try:
        write_private(folder / bundle.name, bundle.read_bytes())
    except OSError as exc:
        return f"copying to {folder} failed ({exc.strerror or type(exc).__name__})"
    prune(folder, hs.config["backups.keep"])
    return None


def free_bytes(folder: Path) -> int:
    """Free space where ``folder`` lives (tests replace this, never the disk)."""
    return shutil.disk_usage(folder).free


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` scheduled bundles in ``folder``; nothing else is ever touched."""
    made = sorted(folder.glob(f"hearthside-*-{REASON}{BUNDLE_SUFFIX}"))
    removed = made[:-keep]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


def _record(hs, run: dict) -> None:
    with hs.storage.connection() as db, db.atomic():
        run_id = db["backup_runs"].insert(run).last_pk
        if not run["ok"]:
            for admin in db.query("SELECT id, couple_id FROM members WHERE is_admin = 1"):
                emit(db, FAILED_EVENT, admin["couple_id"], {"run_id": run_id, "problem": run["problem"]},
                     visibility="private", audience_id=admin["id"])


# -- what the admin sees --------------------------------------------------------------------------------


def status(hs, db) -> dict:
    """The admin's view: the schedule, the last run, the next one, the recent runs."""
    recent = [_public(row) for row in db.query(f"SELECT * FROM backup_runs ORDER BY id DESC LIMIT {RECENT}")]
    upcoming = next_at(hs, utc_now(hs))
    return {
        "schedule": hs.config["backups.schedule"],
        "time": hs.config["backups.time"],
        "keep": hs.config["backups.keep"],
        "copy_to": hs.config["backups.copy_to"] or None,
        "last": recent[0] if recent else None,
        "next_at": upcoming.isoformat() if upcoming else None,
        "recent": recent,
    }


def _public(row: dict) -> dict:
    return {"started_at": row["started_at"], "finished_at": row["finished_at"], "ok": bool(row["ok"]),
            "file": row["file"], "size": row["size"], "copied_to": row["copied_to"], "problem": row["problem"]}
