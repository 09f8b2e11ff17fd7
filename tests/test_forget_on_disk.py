"""Forget is final on the disk: after ``POST /api/v1/me/forget`` the member's words are in no file
of the data folder - not the database, its -wal and -shm, nor any backup - while the server runs."""

import logging
import subprocess
import sys

from hearthside.storage import DATABASE_NAME
from hearthside.testing import HttpClient
from tests.conftest import PASSWORD, ServerProcess, onboard_couple
from tests.support.private_texts import add_private_event, files_holding, new_marker, write_entry, write_everywhere

FORGET = {"confirm": "forget my data", "password": PASSWORD}


def test_forget_leaves_the_words_in_no_file_and_keeps_the_partners(make_app, data_dir, caplog):
    app = make_app()
    hs = app.extensions["hearthside"]
    ann, bob = onboard_couple(app.test_client())
    marker, bobs = new_marker(), new_marker("bob-keeps")
    ritual = write_everywhere(ann, marker)
    write_entry(bob, bobs)
    write_everywhere(bob, new_marker("bob-own"), ritual)
    add_private_event(data_dir, ann.id, marker)
    manual = hs.storage.backup(hs.storage.backups_dir / "hearthside-20261201T100000Z-manual.db")
    automatic = hs.storage.automatic_backup("before-migrations", keep=10)
    from hearthside.backups import write_bundle

    bundle = write_bundle(hs, hs.storage.backups_dir / "hearthside-20261201T110000Z-manual.hsb")
    sealed = write_bundle(hs, hs.storage.backups_dir / "hearthside-20261201T120000Z-manual.hsb",
                          passphrase="only the admin knows")
    broken = hs.storage.backups_dir / "hearthside-20261101T100000Z-manual.db"
    broken.write_bytes(b"not a database at all " + marker.encode())
    assert {DATABASE_NAME, manual.name, automatic.name, broken.name, bundle.name} <= \
        {name.rsplit("/", 1)[-1] for name in files_holding(data_dir, marker)} | {DATABASE_NAME}

    with caplog.at_level(logging.INFO):
        answer = ann.post("/api/v1/me/forget", json=FORGET)
    assert answer.status_code == 200, answer.json

    assert files_holding(data_dir, marker) == []
    assert not broken.exists()
    assert not sealed.exists()  # cannot be opened without its passphrase, so it cannot be rewritten: gone
    assert set(files_holding(data_dir / "backups", bobs)) >= {manual.name, automatic.name, bundle.name}
    assert any(broken.name in r.getMessage() and "not a Hearthside database" in r.getMessage()
               for r in caplog.records)
    assert marker not in caplog.text
    for path in (data_dir / DATABASE_NAME, manual, automatic):  # Bob's words stay where they were
        assert bobs.encode() in path.read_bytes(), path.name
    assert bobs in [e["text"] for e in bob.get("/api/v1/transparency/entries").json["entries"]]


def test_forget_against_a_running_server_clears_every_file_while_it_runs(data_dir, tmp_path):
    server = ServerProcess(data_dir)
    try:
        ann, bob = onboard_couple(HttpClient(server.url))
        marker, bobs = new_marker(), new_marker("bob-keeps")
        write_everywhere(ann, marker)
        write_entry(bob, bobs)
        done = subprocess.run([sys.executable, "-m", "hearthside", "backup", "--data-dir", str(data_dir)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        backups = list((data_dir / "backups").glob("*-manual.hsb"))
        assert len(backups) == 1 and files_holding(data_dir / "backups", marker) == [backups[0].name]

        answer = ann.post("/api/v1/me/forget", json=FORGET)
        assert answer.status_code == 200, answer.json
        assert files_holding(data_dir, marker) == []  # the server still runs: its -wal and -shm included
        assert files_holding(data_dir / "backups", bobs) == [backups[0].name]  # rewritten, not deleted
        assert bobs in str(bob.get("/api/v1/transparency/entries").json)
    finally:
        server.stop()
    assert marker not in server.output()


def test_the_wal_is_emptied_once_no_reader_holds_an_older_snapshot_and_the_log_says_when_not(hs, data_dir, caplog):
    wal = data_dir / f"{DATABASE_NAME}-wal"
    reader = hs.storage.connect()
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM events").fetchone()  # a snapshot from before the write
        with hs.storage.connection() as db, db.atomic():
            db.execute("INSERT INTO scheduler_runs (job_id, last_run_at) VALUES ('x', 'now')")
        with caplog.at_level(logging.WARNING):
            assert hs.storage.checkpoint(attempts=1, wait_ms=10) is False
        assert "Could not empty the database's WAL file" in caplog.text
        assert wal.stat().st_size > 0
    finally:
        reader.close()
    assert hs.storage.checkpoint() is True
    assert wal.stat().st_size == 0


def test_a_backup_from_before_the_member_joined_is_left_as_it_was(make_app, data_dir):
    from hearthside.testing import Member

    app = make_app()
    hs = app.extensions["hearthside"]
    client = app.test_client()
    answer = client.post("/api/v1/onboarding", json={
        "couple": {"name": "A & B", "time_zone": "Europe/Berlin"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    ann = Member(client, answer.json["token"], answer.json["member"])
    before_bob = hs.storage.backup(hs.storage.backups_dir / "hearthside-20261201T100000Z-manual.db")
    kept = before_bob.read_bytes()
    code = ann.post("/api/v1/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": "bob", "password": PASSWORD, "display_name": "Bob"})
    bob = Member(client, answer.json["token"], answer.json["member"])
    marker = new_marker()
    write_entry(bob, marker)
    assert bob.post("/api/v1/me/forget", json=FORGET).status_code == 200
    assert before_bob.read_bytes() == kept
    assert files_holding(data_dir, marker) == []
