"""A damaged data folder is refused in one plain sentence, never served as if nothing happened (issue 16, item 5).

A zero-byte database would otherwise be migrated into a fresh, empty install,
and a damaged one served and written to: both hide what was lost. ``restore``
is the way back, so it refuses to run under a live server and can replace a
damaged file (keeping it).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from hearthside.storage import DATABASE_NAME, DatabaseDamaged, validate_database_file
from hearthside.testing import HttpClient
from tests.conftest import ServerProcess, free_port, onboard_couple

NOTES = "these are our notes, not a database\n" * 200


def serve(data_dir) -> subprocess.CompletedProcess:
    """``hearthside serve`` on a loopback port; returns once it has exited (it is expected to refuse)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
    return subprocess.run([sys.executable, "-m", "hearthside", "serve", "--host", "127.0.0.1", "--port",
                           str(free_port()), "--data-dir", str(data_dir)], capture_output=True, text=True,
                          env=env, timeout=60)


def assert_refused_plainly(done: subprocess.CompletedProcess, reason: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if " INFO " not in line]  # the log's start lines aside
    assert len(said) == 1 and said[0].startswith("Cannot start: ") and reason in said[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "Hearthside is ready" not in done.stdout + done.stderr


def damaged_database(make_app, data_dir) -> bytes:
    """A real database with data, three of whose table pages are overwritten (as a failing SD card does)."""
    app = make_app()
    hs = app.extensions["hearthside"]
    with hs.storage.connection() as db, db.atomic():
        db.execute("CREATE TABLE filler (text TEXT)")
        db.conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
    hs.shutdown()
    with sqlite3.connect(data_dir / DATABASE_NAME) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    with open(data_dir / DATABASE_NAME, "r+b") as file:
        for page in range(pages - 4, pages - 1):  # pages of the filler's rows, written last
            file.seek(page * page_size)
            file.write(os.urandom(page_size))
    return (data_dir / DATABASE_NAME).read_bytes()


def test_an_empty_database_file_is_refused_and_left_as_it_was(data_dir):
    data_dir.mkdir()
    (data_dir / DATABASE_NAME).write_bytes(b"")
    (data_dir / "backups").mkdir()
    newest = data_dir / "backups" / "20261201T030000Z-daily.hsb"
    newest.write_bytes(b"a bundle")

    done = serve(data_dir)
    assert_refused_plainly(done, f"{data_dir / DATABASE_NAME} is empty (0 bytes). Nothing was changed.")
    assert f"Restore the newest backup: hearthside restore {newest} --force" in done.stderr
    assert (data_dir / DATABASE_NAME).read_bytes() == b""  # not turned into a fresh install


def test_a_database_failing_the_quick_check_is_refused_and_not_written(make_app, data_dir):
    before = damaged_database(make_app, data_dir)

    done = serve(data_dir)
    assert_refused_plainly(done, f"{data_dir / DATABASE_NAME} failed SQLite's quick check")
    assert "There is no backup in" in done.stderr and "move " in done.stderr
    assert (data_dir / DATABASE_NAME).read_bytes() == before


def test_a_database_damaged_where_sqlite_reads_first_is_refused_too(make_app, data_dir):
    damaged_database(make_app, data_dir)
    with open(data_dir / DATABASE_NAME, "r+b") as file:  # page 2 onwards: where the schema lives
        file.seek(4096)
        file.write(os.urandom(4096 * 8))
    done = serve(data_dir)
    assert_refused_plainly(done, f"Cannot start: {data_dir / DATABASE_NAME} ")
    assert "is damaged (database disk image is malformed)" in done.stderr or "failed SQLite's quick check" in done.stderr


def test_a_file_that_is_not_a_database_is_refused(data_dir):
    data_dir.mkdir()
    (data_dir / DATABASE_NAME).write_text(NOTES)
    done = serve(data_dir)
    assert_refused_plainly(done, f"{data_dir / DATABASE_NAME} is not a SQLite database")
    assert (data_dir / DATABASE_NAME).read_text() == NOTES


def test_building_an_app_on_an_empty_database_file_raises(make_app, data_dir):
    data_dir.mkdir()
    (data_dir / DATABASE_NAME).write_bytes(b"")
    with pytest.raises(DatabaseDamaged, match=r"is empty \(0 bytes\)"):
        make_app()


def test_restore_refuses_while_a_server_runs_on_the_folder_and_a_second_server_too(data_dir, run_here, tmp_path):
    server = ServerProcess(data_dir)
    try:
        bundle = tmp_path / "copy.hsb"
        assert run_here("backup", "--data-dir", data_dir, "--out", bundle).returncode == 0

        done = run_here("restore", bundle, "--force", "--data-dir", data_dir)
        assert done.returncode == 1
        assert done.stderr.strip() == (f"Not restoring: a Hearthside server is running on {data_dir}. Stop it "
                                       "first (sudo systemctl stop hearthside), then run this again.")
        assert not list((data_dir / "backups").glob("*before-restore*"))

        second = serve(data_dir)
        assert_refused_plainly(second, f"a Hearthside server is already running on {data_dir}")
        assert server.process.poll() is None
    finally:
        assert server.stop() == 0
    assert run_here("restore", bundle, "--force", "--data-dir", data_dir).returncode == 0  # stopped: it may


def test_restore_replaces_a_damaged_database_only_with_force_and_keeps_it(make_app, data_dir, run_here, tmp_path):
    source = tmp_path / "good" / "data"
    make_app(flags={"data_dir": str(source)}).extensions["hearthside"].shutdown()
    bundle = tmp_path / "good.hsb"
    assert run_here("backup", "--data-dir", source, "--out", bundle).returncode == 0
    data_dir.mkdir()
    (data_dir / DATABASE_NAME).write_text(NOTES)

    refused = run_here("restore", bundle, "--data-dir", data_dir)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (f"Not restoring: {data_dir / DATABASE_NAME} is not a SQLite database. Run "
                                      "again with --force to replace it (the damaged file is kept in backups/).")
    assert (data_dir / DATABASE_NAME).read_text() == NOTES

    done = run_here("restore", bundle, "--force", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    kept = list((data_dir / "backups").glob("damaged-*.db"))
    assert len(kept) == 1 and kept[0].read_text() == NOTES and f"kept as {kept[0]}" in done.stdout
    assert validate_database_file(data_dir / DATABASE_NAME) is None


def test_an_empty_session_key_is_a_data_problem_not_a_broken_install(make_app, data_dir):
    make_app().extensions["hearthside"].shutdown()
    (data_dir / "secret_key").write_bytes(b"")
    (data_dir / "backups").mkdir(exist_ok=True)
    newest = data_dir / "backups" / "20261201T030000Z-daily.hsb"
    newest.write_bytes(b"a bundle")

    done = serve(data_dir)
    assert_refused_plainly(done, f"the session key {data_dir / 'secret_key'} is empty (deleting it lets the "
                                 "server make a new one; everyone signs in again). Nothing was changed.")
    assert f"Restore the newest backup: hearthside restore {newest} --force." in done.stderr
    assert "installation is broken" not in done.stderr
    assert (data_dir / "secret_key").read_bytes() == b""


def test_an_empty_matcher_key_leaves_the_rest_serving_and_the_matcher_saying_why(make_app, data_dir):
    make_app().extensions["hearthside"].shutdown()
    (data_dir / "matcher.key").write_bytes(b"")
    server = ServerProcess(data_dir)
    try:
        ann, _bob = onboard_couple(HttpClient(server.url))
        item = ann.get("/api/v1/matcher/items").json["items"][0]["id"]
        answer = ann.put("/api/v1/matcher/answers", json={"answers": {item: "yes"}})
        assert answer.status_code == 503 and answer.json["error"]["code"] == "matcher_key_unavailable"
        assert ann.get("/api/v1/rituals").status_code == 200
    finally:
        server.stop()
    log = server.output()
    assert f"The matcher cannot open answers: the matcher's key {data_dir / 'matcher.key'} is empty" in log
    assert "Traceback" not in log
    assert (data_dir / "matcher.key").read_bytes() == b""  # never replaced by a key that opens nothing


def test_a_data_folder_on_a_read_only_disk_is_one_sentence(tmp_path):
    done = serve("/sys/hearthside-data")  # sysfs: read-only on every Linux, to root as well
    assert_refused_plainly(done, "Cannot start: no access to /sys/hearthside-data (")


def test_a_backup_to_a_read_only_target_is_one_sentence_and_leaves_nothing(make_app, data_dir, run_here):
    make_app().extensions["hearthside"].shutdown()
    done = run_here("backup", "--data-dir", data_dir, "--out", "/sys/hearthside.hsb")
    assert done.returncode == 1
    assert done.stderr.startswith("Backup not written: no access to /sys/hearthside.hsb.partial (")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
