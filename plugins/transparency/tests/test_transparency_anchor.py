"""The chain's head kept outside the database: writes the database lost are found, a restore is not a loss.

Each test has its own app on its own data folder (real SQLite file, real
anchor file), because they damage the database behind the server's back.
That a restore of an older backup is not a loss is tested with the restore
itself, in tests/test_forget_ledger.py.
"""

from __future__ import annotations

import html
import json
import logging
import sqlite3
import stat

from transparency_testing import API, raw, share, write_at_once, written

from hearthside.plugins.transparency import anchor, chain
from hearthside.testing import PASSWORD, couple_id_of, hs_of

TEXTS = ["Dinner with Sam at Luigi's.", "Home by 22:00.", "Sam texted me; I did not answer."]


def sharing(couple):
    ann, bob = couple
    share(ann)
    share(bob)
    return ann, bob


def fill(ann) -> int:
    """The two "sharing on" notices, then TEXTS: returns the head's seq."""
    for text in TEXTS:
        written(ann, text)
    return 2 + len(TEXTS)


def lose_newest(app, couple_id: int, count: int) -> None:
    """Lose the newest records behind the server's back, as a damaged WAL does (the trigger goes first)."""
    conn = raw(app)
    try:
        conn.execute("DROP TRIGGER IF EXISTS transparency_entries_no_delete")
        conn.execute("DELETE FROM transparency_entries WHERE couple_id = ? AND seq > "
                     "(SELECT max(seq) - ? FROM transparency_entries WHERE couple_id = ?)", [couple_id, count, couple_id])
    finally:
        conn.close()


def heads(app) -> dict:
    return json.loads((hs_of(app).storage.data_dir / anchor.FILE).read_text())


def lost_at(seq: int) -> dict:
    return {"seq": seq, "entry_id": None, "reason": "lost", "message": chain.REASONS["lost"].format(seq=seq)}


def test_each_append_anchors_the_head_in_a_private_file_of_seq_numbers_and_seals(app, couple):
    ann, _bob = sharing(couple)
    head = fill(ann)
    report = ann.get(f"{API}/verify").json
    path = hs_of(app).storage.data_dir / anchor.FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    anchored = heads(app)[str(couple_id_of(app, ann))]
    assert anchored["seq"] == head and anchored["hash"] == report["head"]
    assert set(anchored) == {"seq", "hash", "couple_created_at"}
    assert not any(text in path.read_text() for text in TEXTS)


def test_writes_the_database_lost_are_found_as_lost(app, couple, other_couple, wall):
    ann, bob = sharing(couple)
    cat, _dan = sharing(other_couple)
    head = fill(ann)
    written(cat, "Cat's own plan.")
    assert ann.get(f"{API}/verify").json["intact"] is True
    lose_newest(app, couple_id_of(app, ann), 2)
    for member in (ann, bob):
        report = member.get(f"{API}/verify").json
        assert report["intact"] is False and report["length"] == head - 2
        assert report["first_broken"] == lost_at(head)
        assert not any(text in json.dumps(report) for text in TEXTS)  # seq numbers only
        assert member.get(f"{API}/status").json["chain"]["first_broken"]["reason"] == "lost"
    assert cat.get(f"{API}/verify").json["intact"] is True  # the other couple's anchor is its own
    for caller, status in ((wall, 403), (app.test_client(), 401)):  # the wall and nobody learn nothing of it
        answer = caller.get(f"{API}/verify")
        assert answer.status_code == status and "lost" not in answer.get_data(as_text=True)
    browser = app.test_client()
    browser.post("/api/v1/auth/session", json={"username": bob.username, "password": PASSWORD})
    page = html.unescape(browser.get("/transparency/print").get_data(as_text=True))
    assert "Warning: the log's chain of seals is broken. " + lost_at(head)["message"] in page


def test_an_older_copy_of_the_database_put_back_behind_the_servers_back_is_found(app, couple, tmp_path):
    ann, bob = sharing(couple)
    written(ann, TEXTS[0])
    older = tmp_path / "older.db"
    source, copy = raw(app), sqlite3.connect(older)
    source.backup(copy)
    source.close()
    written(ann, TEXTS[1])
    copy.backup(raw(app))
    copy.close()
    report = bob.get(f"{API}/verify").json
    assert report["length"] == 3 and report["first_broken"] == lost_at(4)


def test_appends_from_many_threads_leave_the_highest_head(app, couple):
    ann, bob = sharing(couple)
    errors = write_at_once(app, (ann, bob), 6)
    assert errors == []
    report = ann.get(f"{API}/verify").json
    assert report["intact"] is True and report["length"] == 2 + 12
    assert heads(app)[str(couple_id_of(app, ann))] == {**heads(app)[str(couple_id_of(app, ann))],
                                                       "seq": 14, "hash": report["head"]}


def test_an_older_head_arriving_late_never_lowers_the_anchor(tmp_path):
    newer = {"seq": 5, "hash": "5" * 64, "couple_created_at": "2026-01-01T00:00:00.000+00:00"}
    anchor._raise(tmp_path, "1", newer)
    anchor._raise(tmp_path, "1", {**newer, "seq": 4, "hash": "4" * 64})  # its commit was earlier, its thread slower
    assert anchor.read(tmp_path) == {"1": newer}
    again = {**newer, "seq": 1, "couple_created_at": "2026-02-01T00:00:00.000+00:00"}
    anchor._raise(tmp_path, "1", again)  # a fresh database: couple 1 is another couple now
    assert anchor.read(tmp_path) == {"1": again}


def test_an_unreadable_anchor_is_a_warning_never_a_broken_chain(app, couple, caplog):
    ann, bob = sharing(couple)
    head = fill(ann)
    path = hs_of(app).storage.data_dir / anchor.FILE
    for damaged in (b"", b"{not json", b'{"1": {"seq": "five"}}', b"[1, 2]"):
        path.write_bytes(damaged)
        with caplog.at_level(logging.WARNING, logger=anchor.__name__):
            caplog.clear()
            assert bob.get(f"{API}/verify").json["intact"] is True
        assert [record.levelname for record in caplog.records] == ["WARNING"]
        assert str(path) in caplog.text and not any(text in caplog.text for text in TEXTS)
    written(ann, "Back at 18:00.")  # the next append writes it again
    assert heads(app)[str(couple_id_of(app, ann))]["seq"] == head + 1
    path.unlink()
    assert bob.get(f"{API}/verify").json["intact"] is True  # no file: no anchor


def test_an_anchor_that_cannot_be_written_keeps_the_entry_and_the_chain(app, couple, caplog):
    ann, bob = sharing(couple)
    path = hs_of(app).storage.data_dir / anchor.FILE
    path.unlink()
    (path / "in-the-way").mkdir(parents=True)  # a folder where the file goes: the rename fails
    with caplog.at_level(logging.WARNING, logger=anchor.__name__):
        entry = written(ann, TEXTS[0])
    assert "Could not write the transparency chain's anchor" in caplog.text and TEXTS[0] not in caplog.text
    assert ann.get(f"{API}/entries/{entry['id']}").status_code == 200
    assert bob.get(f"{API}/verify").json["intact"] is True


def test_an_anchor_of_an_earlier_couple_with_the_same_id_is_not_theirs(app, couple):
    ann, bob = sharing(couple)
    fill(ann)
    path = hs_of(app).storage.data_dir / anchor.FILE
    couple_id = str(couple_id_of(app, ann))
    earlier = {couple_id: {"seq": 40, "hash": "f" * 64, "couple_created_at": "2020-01-01T00:00:00.000+00:00"}}
    path.write_text(json.dumps(earlier))
    assert bob.get(f"{API}/verify").json["intact"] is True
    path.write_text(json.dumps({couple_id: {**earlier[couple_id], "couple_created_at": created_at(app, ann)}}))
    assert bob.get(f"{API}/verify").json["first_broken"] == lost_at(40)


def created_at(app, member) -> str:
    with hs_of(app).storage.connection() as db:
        return db.execute("SELECT created_at FROM couples WHERE id = ?", [couple_id_of(app, member)]).fetchone()[0]
