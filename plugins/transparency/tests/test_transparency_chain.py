"""The hash chain: recomputable by anyone, and tampering behind the server's back is found."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from transparency_testing import API, raw, write_at_once, written

from hearthside.testing import couple_id_of, hs_of

ZEROS = "0" * 64


def independent_seal(prev: str, record: dict, couple_id: int) -> str:
    """The documented algorithm (docs/plugins/transparency.md), written again from scratch."""
    def canonical(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    content = {key: record[key] for key in ("kind", "text", "occurred_at", "tags")}
    if record["salt"] is not None:
        content["salt"] = record["salt"]
    content = hashlib.sha256(canonical(content)).hexdigest()
    structure = {"format": "hearthside.transparency/1", "couple_id": couple_id, "seq": record["seq"],
                 "author_id": record["author_id"], "refers_to": record["refers_to"],
                 "relation": record["relation"], "created_at": record["created_at"], "content_hash": content}
    return hashlib.sha256(prev.encode() + b"\n" + canonical(structure)).hexdigest()


def fill(pair) -> list[dict]:
    ann, bob = pair
    first = written(ann, "Dinner with Sam at Luigi's, home by 22:00.", tags=["evening"])
    written(ann, "Sam texted me; I did not answer.", "contact")
    bob.post(f"{API}/entries/{first['id']}/replies", json={"text": "Thank you for telling me first."})
    bob.post(f"{API}/questions", json={"text": "Did you talk about us?"})
    written(ann, "Ünïcödé and \"quotes\" survive.", "note", tags=["ß", "日本"])
    return list(reversed(ann.get(f"{API}/entries").json["entries"]))


def test_anyone_can_recompute_the_chain_from_what_the_api_returns(shared_app, pair):
    ann, bob = pair
    records = fill(pair)
    couple_id = couple_id_of(shared_app, ann)
    previous = ZEROS
    for n, record in enumerate(records, start=1):
        assert record["seq"] == n
        previous = independent_seal(previous, record, couple_id)
        assert record["hash"] == previous
    for member in (ann, bob):
        assert member.get(f"{API}/verify").json == {"length": len(records), "head": previous, "intact": True,
                                                    "first_broken": None}


def test_an_empty_chain_verifies(pair):
    ann, _bob = pair
    with_notices = ann.get(f"{API}/verify").json
    assert with_notices["intact"] is True and with_notices["length"] == 2  # the two "sharing on" notices


def tamper(app, *statements, params=()):
    """Edit the database file through a separate sqlite3 connection, as someone with the file could:
    the triggers that refuse edits are dropped first (the file's holder can do that), then the edit."""
    conn = raw(app)
    try:
        conn.execute("DROP TRIGGER IF EXISTS transparency_entries_no_update")
        conn.execute("DROP TRIGGER IF EXISTS transparency_entries_no_delete")
        for statement in statements:
            conn.execute(statement, params)
    finally:
        conn.close()


@pytest.fixture
def tampered(shared_app):
    """The module's app, with its triggers put back afterwards for the tests that follow."""
    conn = raw(shared_app)
    triggers = [row[0] for row in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'transparency_entries'")]
    conn.close()
    yield shared_app
    conn = raw(shared_app)
    try:
        conn.execute("DROP TRIGGER IF EXISTS transparency_entries_no_update")
        conn.execute("DROP TRIGGER IF EXISTS transparency_entries_no_delete")
        for sql in triggers:
            conn.execute(sql)
    finally:
        conn.close()


CASES = [
    ("content", "text", "'Home by 20:00.'"),
    ("content", "tags", "'[\"work\"]'"),
    ("content", "kind", "'note'"),
    ("content", "occurred_at", "'2020-01-01T10:00+01:00'"),
    ("content", "forgotten_at", "'2020-01-01'"),
    ("seal", "created_at", "'2020-01-01T00:00:00.000+00:00'"),
    ("seal", "author_id", "author_id + 1"),
    ("seal", "refers_to", "1"),
    ("link", "prev_hash", "'" + "1" * 64 + "'"),
]


def test_an_edit_of_the_sqlite_file_is_found_at_its_entry(tampered, pair):
    ann, bob = pair
    records = fill(pair)
    target = records[2]  # the first entry ann wrote (after two sharing notices)
    for reason, column, value in CASES:
        conn = raw(tampered)
        original = conn.execute(f"SELECT {column} FROM transparency_entries WHERE id = ?", [target["id"]]).fetchone()[0]
        conn.close()
        tamper(tampered, f"UPDATE transparency_entries SET {column} = {value} WHERE id = ?", params=(target["id"],))
        for member in (ann, bob):
            report = member.get(f"{API}/verify").json
            assert report["intact"] is False and report["length"] == len(records), column
            assert report["first_broken"]["seq"] == target["seq"], column
            assert report["first_broken"]["entry_id"] == target["id"], column
            assert report["first_broken"]["reason"] == reason, column
            assert f"#{target['seq']}" in report["first_broken"]["message"]
        assert ann.get(f"{API}/status").json["chain"]["intact"] is False  # what the pages show as a warning
        tamper(tampered, f"UPDATE transparency_entries SET {column} = ? WHERE id = ?", params=(original, target["id"]))
        assert ann.get(f"{API}/verify").json["intact"] is True, f"putting {column} back makes it whole again"


def test_an_edit_that_also_fixes_the_content_hash_breaks_the_seal(tampered, pair):
    ann, _bob = pair
    records = fill(pair)
    target = records[3]
    fake = hashlib.sha256(b"whatever").hexdigest()
    tamper(tampered, "UPDATE transparency_entries SET text = 'Nothing happened.', content_hash = ? WHERE id = ?",
           params=(fake, target["id"]))
    assert ann.get(f"{API}/verify").json["first_broken"]["reason"] in {"content", "seal"}
    assert ann.get(f"{API}/verify").json["first_broken"]["seq"] == target["seq"]


def test_a_deleted_record_is_found_as_missing(tampered, pair):
    ann, _bob = pair
    records = fill(pair)
    tamper(tampered, "DELETE FROM transparency_entries WHERE id = ?", params=(records[3]["id"],))
    report = ann.get(f"{API}/verify").json
    assert report["first_broken"] == {**report["first_broken"], "seq": records[3]["seq"], "reason": "missing"}
    assert report["length"] == len(records) - 1


def test_a_rewritten_chain_from_a_point_on_is_found_by_the_link(tampered, pair):
    ann, _bob = pair
    records = fill(pair)
    # Re-seal record 4 correctly for new content, but leave record 5 pointing at the old seal.
    target = records[3]
    conn = raw(tampered)
    row = dict(conn.execute("SELECT * FROM transparency_entries WHERE id = ?", [target["id"]]).fetchone())
    conn.close()
    from hearthside.plugins.transparency import chain

    row["text"] = "Something else."
    row["content_hash"] = chain.content_hash(row["kind"], row["text"], row["occurred_at"], json.loads(row["tags"]),
                                              row["salt"])
    row["hash"] = chain.link_hash(row["prev_hash"], row)
    tamper(tampered, "UPDATE transparency_entries SET text = ?, content_hash = ?, hash = ? WHERE id = ?",
           params=(row["text"], row["content_hash"], row["hash"], target["id"]))
    report = ann.get(f"{API}/verify").json
    assert report["first_broken"]["seq"] == target["seq"] + 1 and report["first_broken"]["reason"] == "link"


def test_cutting_off_what_was_reviewed_is_found_by_the_review_anchor(tampered, pair):
    ann, bob = pair
    records = fill(pair)
    review = ann.post(f"{API}/reviews").json
    assert review["to_seq"] == len(records) and review["head_hash"] == records[-1]["hash"]
    tamper(tampered, "DELETE FROM transparency_entries WHERE id = ?", params=(records[-1]["id"],))
    report = bob.get(f"{API}/verify").json
    assert report["intact"] is False
    assert report["first_broken"] == {**report["first_broken"], "seq": len(records), "reason": "anchor"}


def test_the_database_itself_refuses_edits_and_deletes(shared_app, pair):
    ann, bob = pair
    entry = written(ann)
    assert bob.post(f"{API}/entries/{entry['id']}/acknowledge").status_code == 201
    with hs_of(shared_app).storage.connection() as db:
        for statement in ("UPDATE transparency_entries SET text = 'x' WHERE id = ?",
                          "UPDATE transparency_entries SET text = NULL, kind = NULL, occurred_at = NULL, tags = NULL, "
                          "forgotten_at = 'now' WHERE id = ?",  # a tombstone, but ann was never forgotten
                          "DELETE FROM transparency_entries WHERE id = ?"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement, [entry["id"]])
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM transparency_acks WHERE entry_id = ?", [entry["id"]])
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE transparency_acks SET acknowledged_at = 'never' WHERE entry_id = ?", [entry["id"]])
    assert ann.get(f"{API}/verify").json["intact"] is True


def test_two_phones_writing_at_once_never_fork_the_chain(shared_app, pair):
    ann, bob = pair
    errors = write_at_once(shared_app, (ann, bob), 8)
    assert errors == []
    report = ann.get(f"{API}/verify").json
    assert report["intact"] is True and report["length"] == 2 + 16


def test_chains_are_per_couple(shared_app, pair, strangers):
    ann, _bob = pair
    cat, _dan = strangers
    written(ann)
    written(cat)
    assert written(ann)["seq"] == 4 and written(cat)["seq"] == 4  # each couple counts from 1 on its own
    assert ann.get(f"{API}/verify").json["head"] != cat.get(f"{API}/verify").json["head"]
