"""Scheduled backups on the test's clock: the bundle at its time, kept to ``backups.keep``,
copied to ``backups.copy_to`` - and a failure that the admin sees, not only a log line."""

from __future__ import annotations

import errno
import stat
from datetime import datetime, timezone

import pytest

from hearthside import backup_schedule
from hearthside.backups import open_bundle
from hearthside.testing import FakeClock, SchedulerDriver

MONDAY_3AM = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def backups_app(make_app):
    return make_app(flags={"time_zone": "UTC", "backups.schedule": "daily", "backups.time": "03:30"})


@pytest.fixture
def driver(backups_app):
    """The app's jobs on a clock that starts on a Monday at 03:00 UTC, run only when the test says."""
    driver = SchedulerDriver(backups_app.extensions["hearthside"], FakeClock(MONDAY_3AM))
    driver.run_due()  # first seen: recorded, not run
    yield driver
    driver.close()


@pytest.fixture
def members(backups_app):
    from hearthside.testing import onboard_couple

    return onboard_couple(backups_app.test_client())


def scheduled(folder):
    return sorted(folder.glob("hearthside-*-scheduled.hsb"))


def last_run(ann) -> dict:
    answer = ann.get("/api/v1/admin/backups")
    assert answer.status_code == 200, answer.json
    return answer.json["last"]


def test_the_backup_runs_at_its_time_and_writes_a_bundle(members, driver, data_dir, tmp_path):
    ann, _bob = members
    assert "core.backup" not in driver.advance(minutes=29)
    assert scheduled(data_dir / "backups") == []
    assert "core.backup" in driver.advance(minutes=2)

    [bundle] = scheduled(data_dir / "backups")
    assert bundle.name == "hearthside-20260302T033100Z-scheduled.hsb"
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    with open_bundle(bundle, None, tmp_path) as opened:
        assert opened.manifest["tables"]["members"] == 2
    last = last_run(ann)
    assert last["ok"] is True and last["file"] == bundle.name and last["size"] == bundle.stat().st_size
    assert last["problem"] is None
    assert ann.get("/api/v1/admin/backups").json["next_at"] == "2026-03-03T03:30:00+00:00"


def test_old_scheduled_bundles_are_pruned_to_keep_and_nothing_else_is(make_app, data_dir):
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": "daily", "backups.keep": 2})
    backups = data_dir / "backups"
    backups.mkdir(exist_ok=True)
    mine = backups / "hearthside-20200101T000000Z-manual.hsb"
    mine.write_bytes(b"a member's own backup")
    driver = SchedulerDriver(app.extensions["hearthside"], FakeClock(MONDAY_3AM))
    try:
        for _day in range(3):
            driver.run("core.backup")
            driver.clock.advance(days=1)
    finally:
        driver.close()
    assert [path.name for path in scheduled(backups)] == ["hearthside-20260303T030000Z-scheduled.hsb",
                                                          "hearthside-20260304T030000Z-scheduled.hsb"]
    assert mine.exists()


def test_each_bundle_is_copied_to_copy_to(make_app, data_dir, tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": "daily", "backups.copy_to": str(stick)})
    driver = SchedulerDriver(app.extensions["hearthside"], FakeClock(MONDAY_3AM))
    try:
        driver.run("core.backup")
    finally:
        driver.close()
    [bundle] = scheduled(data_dir / "backups")
    copy = stick / bundle.name
    assert copy.read_bytes() == bundle.read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with app.extensions["hearthside"].storage.connection() as db:
        row = db.execute("SELECT ok, copied_to FROM backup_runs").fetchone()
    assert row == (1, str(stick))


def test_the_stick_keeps_only_the_newest_scheduled_bundles_too(make_app, tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    (stick / "holiday-photos.zip").write_bytes(b"not ours to remove")
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": "daily", "backups.keep": 1,
                          "backups.copy_to": str(stick)})
    driver = SchedulerDriver(app.extensions["hearthside"], FakeClock(MONDAY_3AM))
    try:
        driver.run("core.backup")
        driver.clock.advance(days=1)
        driver.run("core.backup")
    finally:
        driver.close()
    assert sorted(path.name for path in stick.iterdir()) == ["hearthside-20260303T030000Z-scheduled.hsb",
                                                             "holiday-photos.zip"]


def test_a_full_copy_target_fails_visibly_to_the_admin_and_the_bundle_stays(make_app, data_dir, tmp_path,
                                                                             monkeypatch):
    from hearthside.testing import onboard_couple

    stick = tmp_path / "usb"
    stick.mkdir()
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": "daily", "backups.copy_to": str(stick)})
    ann, bob = onboard_couple(app.test_client())
    monkeypatch.setattr(backup_schedule, "free_bytes", lambda folder: 4096)
    driver = SchedulerDriver(app.extensions["hearthside"], FakeClock(MONDAY_3AM))
    try:
        driver.run("core.backup")
    finally:
        driver.close()

    assert len(scheduled(data_dir / "backups")) == 1  # the main bundle stays
    assert list(stick.iterdir()) == []
    last = last_run(ann)
    assert last["ok"] is False
    assert last["problem"].startswith(f"not enough free space on {stick}")
    [event] = [e for e in ann.get("/api/v1/events?after=0").json["events"] if e["type"] == "backup.failed"]
    assert event["visibility"] == "private" and event["audience_id"] == ann.id
    assert event["payload"]["problem"] == last["problem"]
    assert not [e for e in bob.get("/api/v1/events?after=0").json["events"] if e["type"] == "backup.failed"]


def test_a_missing_copy_folder_and_a_full_disk_are_plain_problems(make_app, data_dir, tmp_path, monkeypatch):
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": "daily",
                          "backups.copy_to": str(tmp_path / "unplugged")})
    hs = app.extensions["hearthside"]
    first = backup_schedule.run_scheduled_backup(hs)
    assert first["ok"] == 0 and "does not exist (is the USB stick plugged in?)" in first["problem"]

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup_schedule, "write_bundle", disk_full)
    second = backup_schedule.run_scheduled_backup(hs)
    assert second["problem"] == f"not enough free space in {data_dir / 'backups'}"


@pytest.mark.parametrize("schedule, job", [("off", False), ("daily", True), ("weekly", True)])
def test_the_schedule_decides_the_job(make_app, schedule, job):
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": schedule})
    driver = SchedulerDriver(app.extensions["hearthside"], FakeClock(MONDAY_3AM))
    try:
        assert ("core.backup" in driver.job_ids) is job
    finally:
        driver.close()


def test_weekly_backups_run_on_sunday(make_app):
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": "weekly", "backups.time": "04:15"})
    hs = app.extensions["hearthside"]
    assert backup_schedule.next_at(hs, MONDAY_3AM) == datetime(2026, 3, 8, 4, 15, tzinfo=timezone.utc)


def test_a_pi_that_was_off_at_backup_time_backs_up_once_when_it_starts(make_app, data_dir):
    app = make_app(flags={"time_zone": "UTC", "backups.schedule": "daily"})
    hs = app.extensions["hearthside"]
    clock = FakeClock(MONDAY_3AM)
    driver = SchedulerDriver(hs, clock)
    try:
        driver.run_due()
        clock.advance(days=3)  # off for three nights
        assert "core.backup" in driver.scheduler.catch_up()
    finally:
        driver.close()
    assert len(scheduled(data_dir / "backups")) == 1
