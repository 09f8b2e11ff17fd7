"""Privacy: every route as nobody, the wall, another couple and the partner; live delivery;
logs; the member's export; and "forget me" that keeps the partner's chain verifiable."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, timedelta

import pytest

import hearthside.plugins.transparency as transparency
from transparency_testing import API, WALL, events_for, raw, share, written

from hearthside.testing import PASSWORD, couple_id_of, hs_of, listen, pair_device, privacy_cast
from tests.test_privacy_matrix import api_routes, call, check, url_for_rule

ENTRY_TEXT = "Zanzibar-restaurant with Quentin, home by 23:00"
QUESTION_TEXT = "Quentin-question: did you meet at the Zanzibar?"


# -- the matrix ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Couple A (Annika, Bartholomew, their wall) with one of every object; couple B (Cat, Dan)."""
    from hearthside.app import create_app

    app = create_app(None, env={}, flags={"data_dir": str(tmp_path_factory.mktemp("matrix") / "data")})
    client = app.test_client()
    ann, bob, cat, _dan, wall = privacy_cast(client)
    for member in (ann, bob):
        share(member)
        member.put(f"/api/v1/consents/{WALL}", json={"granted": True})
    share(cat)  # so that their writes reach the lookup (and find nothing of couple A)
    entry = written(ann, ENTRY_TEXT)
    question = bob.post(f"{API}/questions", json={"text": QUESTION_TEXT}).json
    proposal = ann.post(f"{API}/rules/proposals", json={"rules": ["Zephyr-rule: no graphic detail"]}).json
    agreement = ann.post(f"{API}/agreements", json={"items": ["Zephyr-item: evenings out"],
                                                    "review_on": (date.today() + timedelta(days=30)).isoformat()})
    review = ann.post(f"{API}/reviews").json
    fill = {"entry_id": entry["id"], "question_id": question["id"], "proposal_id": proposal["id"],
            "agreement_id": agreement.json["id"], "review_id": review["id"]}
    # The first six the partner may read; the rest nobody but their owner.
    secrets = ["annika", "Annika", "bartholomew", "Bartholomew", "Zephyr", "Quentin", ann.token, bob.token, wall.token]
    with hs_of(app).storage.connection() as db:
        couple_a = db["members"].get(ann.id)["couple_id"]
    yield {"app": app, "fill": fill, "secrets": secrets, "a_members": {ann.id, bob.id}, "couple_a": couple_a,
           "callers": {"nobody": {}, "wall": wall.headers, "other": cat.headers, "partner": bob.headers},
           "ann": ann, "bob": bob, "cat": cat, "wall": wall}
    hs_of(app).shutdown()


def transparency_routes(app):
    return [route for route in api_routes(app) if route[1].startswith(API)]


def test_every_transparency_route_as_nobody_the_wall_another_couple_and_the_partner(world):
    app = world["app"]
    routes = transparency_routes(app)
    assert len(routes) == 24
    client = app.test_client()
    problems, placeholders = [], set()
    for role in ("nobody", "wall", "other", "partner"):
        for method, rule, params, view in routes:
            answer = call(client, method, url_for_rule(rule, world["fill"], placeholders), world["callers"][role])
            problems += check(role, method, rule, params, view, answer, world)
            if role == "other" and params and answer.status_code not in (400, 404):
                # 404 as if it did not exist; 400 only for a bad body, checked before any lookup (the same for any id)
                problems.append(f"other {method} {rule} -> {answer.status_code}: expected 404")
            if role == "nobody":
                assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized"
            if role == "wall":
                assert answer.status_code == 403 and answer.json["error"]["code"] == "members_only"
    # With a good body, another couple's object is simply not there.
    cat = world["cat"]
    soon = (date.today() + timedelta(days=30)).isoformat()
    for path, body in [(f"agreements/{world['fill']['agreement_id']}/renew", {"review_on": soon}),
                       (f"entries/{world['fill']['entry_id']}/replies", {"text": "x"}),
                       (f"questions/{world['fill']['question_id']}/answers", {"text": "x"})]:
        answer = cat.post(f"{API}/{path}", json=body)
        assert answer.status_code == 404, (path, answer.json)
    assert placeholders == set(), "every URL parameter of the plugin has a real object of couple A"
    assert not problems, "\n" + "\n".join(problems)


def test_another_couple_reads_nothing_of_couple_a(world):
    cat = world["cat"]
    seen = json.dumps([cat.get(f"{API}/{path}").json for path in
                       ("status", "entries", "questions", "rules", "agreements", "reviews", "verify")])
    for secret in ("Zephyr", "Quentin", "Zanzibar"):
        assert secret not in seen
    assert ENTRY_TEXT in json.dumps(world["bob"].get(f"{API}/entries").json)  # while the partner can


# -- live --------------------------------------------------------------------------------------


def test_live_events_reach_only_their_audience_and_never_carry_text(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    wall = pair_device(ann)
    sockets = {name: listen(shared_app, member.token) for name, member in
               (("ann", ann), ("bob", bob), ("cat", cat), ("wall", wall))}
    try:
        entry = written(ann, ENTRY_TEXT)
        got = {name: sio.received() for name, sio in sockets.items()}
        assert [(e["type"], e["audience_id"]) for e in got["bob"]] == [("transparency.entry_added", bob.id)]
        assert got["bob"][0]["visibility"] == "private" and got["bob"][0]["payload"]["entry_id"] == entry["id"]
        assert [(e["type"], e["audience_id"]) for e in got["ann"]] == [("transparency.entry_added", ann.id)]
        assert got["wall"] == [] and got["cat"] == []
        assert ENTRY_TEXT not in json.dumps(got)  # ids only: the page fetches the text through the API
        bob.post(f"{API}/entries/{entry['id']}/acknowledge")
        got = {name: sio.received() for name, sio in sockets.items()}
        assert [e["type"] for e in got["ann"]] == ["transparency.acknowledged"]  # the author sees the receipt
        assert got["ann"][0]["payload"]["member_id"] == bob.id
        assert got["wall"] == [] and got["cat"] == []
        share(ann, False)
        got = {name: sio.received() for name, sio in sockets.items()}
        assert [e["payload"]["sharing"] for e in got["bob"] if e["type"] == "transparency.sharing_changed"] == [False]
        assert got["wall"] == [] and got["cat"] == []
    finally:
        for sio in sockets.values():
            sio.disconnect()


def test_nothing_written_reaches_the_log_output(shared_app, pair, caplog):
    ann, bob = pair
    caplog.set_level(logging.DEBUG)
    entry = written(ann, ENTRY_TEXT, tags=["Quentin-tag"])
    bob.post(f"{API}/entries/{entry['id']}/replies", json={"text": QUESTION_TEXT})
    ann.post(f"{API}/entries", json={"kind": "gossip", "text": ENTRY_TEXT})
    ann.post(f"{API}/entries", json={"kind": "plan", "text": ENTRY_TEXT * 300})
    bob.post(f"{API}/questions", json={"text": QUESTION_TEXT})
    ann.post(f"{API}/rules/proposals", json={"rules": [QUESTION_TEXT]})
    for secret in ("Zanzibar", "Quentin"):
        assert secret not in caplog.text


# -- export and forget ---------------------------------------------------------------------------


def test_the_export_holds_the_log_as_the_member_may_read_it(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    entry = written(ann, ENTRY_TEXT)
    bob.post(f"{API}/entries/{entry['id']}/acknowledge")
    hs = hs_of(shared_app)
    with hs.storage.connection() as db:
        for_cat = transparency.hearthside_export(hs, db, cat.id)
    download = bob.get("/api/v1/me/export")
    assert download.status_code == 200
    for_bob = download.json["plugins"]["transparency"]
    assert [e["text"] for e in for_bob["entries"] if e["kind"] == "plan"] == [ENTRY_TEXT]
    assert for_bob["your_read_receipts"] == [{"entry_id": entry["id"], "at": for_bob["your_read_receipts"][0]["at"]}]
    assert for_bob["chain"]["intact"] is True
    json.dumps(for_bob)  # JSON-serialisable
    assert ENTRY_TEXT not in json.dumps(for_cat)


def test_forgetting_a_member_leaves_tombstones_and_a_chain_that_still_verifies(shared_app, pair):
    ann, bob = pair
    first = written(ann, ENTRY_TEXT, tags=["Quentin-tag"])
    reply = bob.post(f"{API}/entries/{first['id']}/replies", json={"text": "Thank you."}).json
    question = bob.post(f"{API}/questions", json={"text": "Did you meet them?"}).json  # bob's: it stays
    ann.post(f"{API}/questions/{question['id']}/answers", json={"text": "Zanzibar answer."})
    ann.post(f"{API}/entries/{reply['id']}/acknowledge")
    bob.post(f"{API}/entries/{first['id']}/acknowledge")
    agreed = ann.post(f"{API}/rules/proposals", json={"rules": ["Agreed by both."]}).json
    bob.post(f"{API}/rules/proposals/{agreed['id']}/approve")
    ann.post(f"{API}/rules/proposals", json={"rules": ["Quentin proposal only ann made."]})
    review = ann.post(f"{API}/reviews").json
    ann.post(f"{API}/reviews/{review['id']}/mark", json={"note": "Quentin note."})
    before = bob.get(f"{API}/verify").json
    seals = {e["id"]: e["hash"] for e in bob.get(f"{API}/entries").json["entries"]}
    forgotten = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    assert forgotten.status_code == 200 and "transparency" in forgotten.json["plugins"]
    after = bob.get(f"{API}/verify").json
    assert after == before  # same length, same head, intact
    entries = bob.get(f"{API}/entries").json["entries"]
    assert {e["id"]: e["hash"] for e in entries} == seals
    for record in entries:
        if record["author_id"] == ann.id:
            assert record["forgotten"] is True
            assert (record["kind"], record["text"], record["occurred_at"], record["tags"]) == (None, None, None, [])
        else:
            assert record["forgotten"] is False and record["text"] is not None
    assert next(e for e in entries if e["id"] == reply["id"])["acknowledged_by"] == []  # ann's receipts are gone
    assert next(e for e in entries if e["id"] == first["id"])["acknowledged_by"][0]["member_id"] == bob.id
    rules = bob.get(f"{API}/rules").json
    assert rules["current"]["rules"] == ["Agreed by both."] and rules["open"] is None
    assert bob.get(f"{API}/reviews/{review['id']}").json["marks"][0]["note"] is None
    everything = json.dumps([bob.get(f"{API}/{path}").json for path in
                             ("entries", "questions", "rules", "agreements", "reviews")])
    for secret in ("Zanzibar", "Quentin"):
        assert secret not in everything
    assert events_for(bob, "transparency.forgotten")[0]["payload"]["tombstones"] == 3  # her notice, entry and answer
    # The chain goes on and still verifies; tombstones can't be acknowledged or replied to.
    written(bob, "Life goes on.", "note")
    assert bob.get(f"{API}/verify").json["intact"] is True
    for path, body in (("acknowledge", None), ("replies", {"text": "x"})):
        refused = bob.post(f"{API}/entries/{first['id']}/{path}", json=body)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "entry_forgotten"
    assert bob.post(f"{API}/entries/{question['id']}/acknowledge").status_code == 400  # bob's own question


def seal_of_a_guess(prev: str, tombstone: dict, couple_id: int, guess: dict) -> str:
    """The seal a tombstone would have if ``guess`` were its content, hashed the unsalted way."""
    def canonical(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    structure = {"format": "hearthside.transparency/1", "couple_id": couple_id,
                 "content_hash": hashlib.sha256(canonical(guess)).hexdigest(),
                 **{key: tombstone[key] for key in ("seq", "author_id", "refers_to", "relation", "created_at")}}
    return hashlib.sha256(prev.encode() + b"\n" + canonical(structure)).hexdigest()


def test_a_forgotten_entry_cannot_be_confirmed_by_guessing_its_words(shared_app, pair):
    """Bob guesses Ann's forgotten entry exactly; the seal he can read must not tell him he is right."""
    ann, bob = pair
    entry = written(ann, ENTRY_TEXT, tags=["Quentin-tag"])
    guess = {key: entry[key] for key in ("kind", "text", "occurred_at", "tags")}
    ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": PASSWORD})
    records = list(reversed(bob.get(f"{API}/entries").json["entries"]))
    position = next(n for n, record in enumerate(records) if record["id"] == entry["id"])
    tombstone, prev = records[position], records[position - 1]["hash"] if position else "0" * 64
    assert tombstone["forgotten"] is True
    assert seal_of_a_guess(prev, tombstone, couple_id_of(shared_app, ann), guess) != tombstone["hash"]
    salt = entry.get("salt")
    assert isinstance(salt, str) and len(salt) == 64  # while the entry lived, members could recompute its seal
    assert tombstone["salt"] is None
    conn = raw(shared_app)
    row = dict(conn.execute("SELECT * FROM transparency_entries WHERE id = ?", [entry["id"]]).fetchone())
    conn.close()
    assert salt not in json.dumps(row) and row["salt"] is None  # the salt went with the words
    assert bob.get(f"{API}/verify").json["intact"] is True  # and the chain still verifies


def test_forgetting_one_member_leaves_the_other_members_entries_protected(shared_app, pair):
    import sqlite3

    ann, bob = pair
    theirs = written(bob, "Bob's words.")
    hs = hs_of(shared_app)
    with hs.storage.connection() as db:
        with db.atomic():
            transparency.hearthside_forget(hs, db, ann.id)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE transparency_entries SET text = NULL, kind = NULL, occurred_at = NULL, tags = NULL, "
                       "forgotten_at = 'now' WHERE id = ?", [theirs["id"]])
    assert bob.get(f"{API}/entries/{theirs['id']}").json["entry"]["text"] == "Bob's words."
