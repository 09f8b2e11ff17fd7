"""Encryption at rest: the database file and its backups hold no answer, note or custom item."""

from __future__ import annotations

import shutil
import sqlite3
import stat

from hearthside.plugins.matcher import crypto
from hearthside.testing import Member, couple_id_of
from matcher_testing import IDS, X, Y, matches, own, put, reveal

NOTE = "NOTE-MARKER-maybe-if-we-light-candles"
TITLE = "TITLE-MARKER-a-picnic-by-the-lake"


def fill(ann, bob):
    """Every answer value, a note and a custom item, from both members."""
    values = ["yes", "no", "maybe"]
    put(ann, {item: values[i % 3] for i, item in enumerate(IDS[:30])}, notes={X: NOTE})
    put(bob, {item: values[(i + 1) % 3] for i, item in enumerate(IDS[:30])})
    ann.post("/api/v1/matcher/items", json={"title": TITLE, "explanation": "EXPLANATION-MARKER"})


def raw_bytes(data_dir) -> bytes:
    with sqlite3.connect(data_dir / "hearthside.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(path.read_bytes() for path in data_dir.glob("hearthside.db*"))


def test_the_key_lives_outside_the_database_and_only_the_server_can_read_it(app, data_dir):
    key_file = data_dir / crypto.KEY_FILE
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(crypto.read_key(data_dir)) == 32


def test_the_raw_database_holds_no_answer_note_or_item_text(app, couple, data_dir):
    ann, bob = couple
    fill(ann, bob)
    reveal(ann, bob)
    assert matches(ann).status_code == 200
    raw = raw_bytes(data_dir)
    for secret in (NOTE, TITLE, "EXPLANATION-MARKER", '"value"', '"note"', '"yes"', '"maybe"', "candles", "picnic"):
        assert secret.encode() not in raw, secret
    key = (data_dir / crypto.KEY_FILE).read_bytes().strip()
    assert key not in raw
    with sqlite3.connect(data_dir / "hearthside.db") as conn:
        states = [row[0] for row in conn.execute("SELECT state FROM matcher_answers")]
        payloads = [row[0] for row in conn.execute("SELECT payload FROM events WHERE type LIKE 'matcher.%'")]
    assert len(states) == 60 and all(isinstance(state, bytes) and state[:1] == crypto.FORMAT for state in states)
    for payload in payloads:  # events carry counts and fixed sentences, never values
        assert X not in payload and "NOTE-MARKER" not in payload and '"yes"' not in payload


def test_backups_hold_no_answer_either(app, couple, data_dir):
    ann, bob = couple
    fill(ann, bob)
    backup = app.extensions["hearthside"].storage.automatic_backup("test", keep=3)
    raw = backup.read_bytes()
    assert NOTE.encode() not in raw and TITLE.encode() not in raw


def _restore(make_app, backup, target, with_key_from=None):
    target.mkdir(parents=True)
    shutil.copy(backup, target / "hearthside.db")
    if with_key_from is not None:
        shutil.copy(with_key_from / crypto.KEY_FILE, target / crypto.KEY_FILE)
    return make_app(flags={"data_dir": str(target)})


def test_a_backup_restores_readable_when_the_key_travels_with_it(app, make_app, couple, data_dir):
    tmp_path = data_dir.parent
    ann, bob = couple
    fill(ann, bob)
    before = own(ann)
    backup = app.extensions["hearthside"].storage.backup(tmp_path / "copy.db")
    restored = _restore(make_app, backup, tmp_path / "restored", with_key_from=data_dir)
    again = Member(restored.test_client(), ann.token, {"id": ann.id, "username": "ann"})
    assert own(again) == before and before["notes"] == {X: NOTE}
    assert TITLE in [item["title"] for item in again.get("/api/v1/matcher/items").json["items"]]


def test_without_the_key_the_list_stays_closed_with_a_clear_error(app, make_app, couple, data_dir):
    tmp_path = data_dir.parent
    ann, bob = couple
    fill(ann, bob)
    backup = app.extensions["hearthside"].storage.backup(tmp_path / "copy.db")
    target = tmp_path / "restored"
    restored = _restore(make_app, backup, target)
    assert not (target / crypto.KEY_FILE).exists()  # no new key that could never open the old rows
    again = Member(restored.test_client(), ann.token, {"id": ann.id, "username": "ann"})
    for path in ("/api/v1/matcher/answers", "/api/v1/matcher/items"):
        answer = again.get(path)
        assert answer.status_code == 503 and answer.json["error"]["code"] == "matcher_key_unavailable"
        assert "matcher.key" in answer.json["error"]["message"]
    refused = put(again, {Y: "yes"})
    assert refused.status_code == 503
    # putting the key back opens everything again
    shutil.copy(data_dir / crypto.KEY_FILE, target / crypto.KEY_FILE)
    reopened = make_app(flags={"data_dir": str(target)})
    again = Member(reopened.test_client(), ann.token, {"id": ann.id, "username": "ann"})
    assert own(again)["notes"] == {X: NOTE}


def test_a_wrong_key_or_a_moved_blob_fails_closed(app, make_app, couple, data_dir):
    ann, bob = couple
    fill(ann, bob)
    with sqlite3.connect(data_dir / "hearthside.db") as conn:
        # someone with the file copies Ann's answer blob into Bob's row for the same item
        blob = conn.execute("SELECT state FROM matcher_answers WHERE member_id = ? AND item_id = ?",
                            [ann.id, X]).fetchone()[0]
        conn.execute("UPDATE matcher_answers SET state = ? WHERE member_id = ? AND item_id = ?", [blob, bob.id, X])
    answer = bob.get("/api/v1/matcher/answers")
    assert answer.status_code == 503 and answer.json["error"]["code"] == "matcher_key_unavailable"
    assert own(ann)["notes"] == {X: NOTE}  # Ann's own rows are untouched
    # a different key opens nothing
    (data_dir / crypto.KEY_FILE).unlink()
    crypto.create_key(data_dir)
    other = make_app()
    again = Member(other.test_client(), ann.token, {"id": ann.id, "username": "ann"})
    assert again.get("/api/v1/matcher/answers").status_code == 503
    assert couple_id_of(other, ann.id)


def test_a_key_file_that_others_can_read_is_narrowed(app, data_dir, make_app):
    key_file = data_dir / crypto.KEY_FILE
    key_file.chmod(0o644)
    make_app()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
