"""The forget ledger outlives a restore: a backup older than a forget or a revocation
does not bring either back, and one that already holds the forget changes nothing."""

import json
import subprocess

import pytest

from hearthside import ledger
from hearthside.storage import DATABASE_NAME
from tests.conftest import PASSWORD, Member, onboard_couple
from tests.support.private_texts import add_private_event, files_holding, new_marker, write_entry, write_everywhere

FORGET = {"confirm": "forget my data", "password": PASSWORD}


@pytest.fixture
def run(run_here):
    """``hearthside ...`` (in this process), which must succeed."""
    def runner(*args) -> subprocess.CompletedProcess:
        done = run_here(*args)
        assert done.returncode == 0, done.stderr
        return done
    return runner


def _backup_outside(run, data_dir, tmp_path):
    """A backup kept outside the data folder (a USB stick): the forget cannot rewrite it."""
    path = tmp_path / "usb-stick" / "before.hsb"
    run("backup", "--data-dir", data_dir, "--out", path)
    return path


def _stop(app) -> None:
    app.extensions["hearthside"].shutdown()  # restore wants the server stopped


def test_restoring_a_backup_older_than_a_forget_forgets_again(make_app, data_dir, tmp_path, run):
    app = make_app()
    ann, bob = onboard_couple(app.test_client())
    marker, bobs = new_marker(), new_marker("bob-keeps")
    write_everywhere(ann, marker)
    add_private_event(data_dir, ann.id, marker)
    write_entry(bob, bobs)
    older = _backup_outside(run, data_dir, tmp_path)
    assert ann.post("/api/v1/me/forget", json=FORGET).status_code == 200
    _stop(app)

    done = run("restore", older, "--force", "--data-dir", data_dir)

    assert f"Forgot again what member {ann.id} asked to forget on" in done.stdout
    assert files_holding(data_dir, marker) == []
    assert bobs.encode() in (data_dir / DATABASE_NAME).read_bytes()
    assert marker not in done.stdout + done.stderr


def test_restoring_a_backup_older_than_a_revocation_keeps_the_consent_off(make_app, data_dir, tmp_path, run):
    app = make_app()
    ann, bob = onboard_couple(app.test_client())
    ann.grant("matcher.reveal")
    bob.grant("matcher.reveal")
    older = _backup_outside(run, data_dir, tmp_path)
    ann.grant("matcher.reveal", False)
    _stop(app)

    done = run("restore", older, "--force", "--data-dir", data_dir)

    assert f"Consent matcher.reveal of member {ann.id} is off again" in done.stdout
    client = make_app().test_client()
    ann = Member(client, ann.token, {"id": ann.id, "username": "ann"})
    scope = next(s for s in ann.get("/api/v1/consents").json["scopes"] if s["scope"] == "matcher.reveal")
    assert scope["members"][str(ann.id)] is False and scope["active"] is False
    assert ann.get("/api/v1/matcher/matches").status_code == 403


def test_a_backup_that_already_holds_the_forget_keeps_what_was_written_after_it(make_app, data_dir, tmp_path, run):
    app = make_app()
    ann, _bob = onboard_couple(app.test_client())
    forgotten, later = new_marker(), new_marker("written-after")
    write_entry(ann, forgotten)
    assert ann.post("/api/v1/me/forget", json=FORGET).status_code == 200
    write_entry(ann, later)  # Ann starts again after her forget
    backup = _backup_outside(run, data_dir, tmp_path)
    _stop(app)

    done = run("restore", backup, "--force", "--data-dir", data_dir)

    assert "Forgot again" not in done.stdout
    client = make_app().test_client()
    ann = Member(client, ann.token, {"id": ann.id, "username": "ann"})
    assert later in [e["text"] for e in ann.get("/api/v1/transparency/entries").json["entries"]]
    assert files_holding(data_dir, forgotten) == []


def test_the_ledger_holds_ids_and_times_only_and_merges_as_a_union(make_app, data_dir):
    app = make_app()
    ann, _bob = onboard_couple(app.test_client())
    marker = new_marker()
    write_entry(ann, marker)
    ann.grant("transparency.share", False)
    assert ann.post("/api/v1/me/forget", json=FORGET).status_code == 200
    entries = ledger.entries(data_dir)
    assert [(e["kind"], e["member_id"], e.get("scope")) for e in entries] == [
        ("consent_revoked", ann.id, "transparency.share"), ("forget", ann.id, None)]
    assert set(entries[1]) == {"kind", "member_id", "member_created_at", "at"}
    assert marker not in (data_dir / ledger.LEDGER_FILE).read_text()
    other = {"kind": "forget", "member_id": 7, "member_created_at": "2026-01-01T00:00:00+00:00",
             "at": "2026-02-01T00:00:00.000+00:00"}
    assert ledger.merge(data_dir, [*entries, other, other]) == 1
    assert ledger.entries(data_dir) == [*entries, other]


def test_a_revocation_or_forget_rolled_back_with_its_transaction_is_not_in_the_ledger(make_app, data_dir):
    from hearthside.consent import set_grant
    from hearthside.member_data import forget

    app = make_app()
    hs = app.extensions["hearthside"]
    ann, _bob = onboard_couple(app.test_client())
    ann.grant("transparency.share", True)
    backup = hs.storage.automatic_backup("before", keep=3)
    kept = backup.read_bytes()
    with hs.storage.connection() as db:
        couple_id = db.execute("SELECT couple_id FROM members WHERE id = ?", [ann.id]).fetchone()[0]
        principal = type("Principal", (), {"couple_id": couple_id, "member_id": ann.id})()
        with pytest.raises(RuntimeError):
            with db.atomic():
                assert set_grant(db, principal, "transparency.share", False)
                forget(hs, db, ann.id)
                raise RuntimeError("the request failed after both")
    assert ledger.entries(data_dir) == []  # a restore must not undo what never happened
    assert backup.read_bytes() == kept  # nor was the backup rewritten without her
    assert ann.get("/api/v1/me").status_code == 200


def test_a_restore_older_than_entries_and_a_forget_leaves_a_transparency_chain_that_verifies(make_app, data_dir,
                                                                                              tmp_path, run):
    """The transparency chain's head kept outside the database (transparency-heads.json) follows the
    restore (hearthside_restored): entries newer than the backup are gone on purpose, not lost writes."""
    app = make_app()
    ann, bob = onboard_couple(app.test_client())
    write_entry(ann, new_marker())
    write_entry(bob, new_marker("bob-keeps"))
    at_backup = bob.get("/api/v1/transparency/verify").json
    older = _backup_outside(run, data_dir, tmp_path)
    write_entry(bob, new_marker("bob-after"))
    assert ann.post("/api/v1/me/forget", json=FORGET).status_code == 200
    anchored = json.loads((data_dir / "transparency-heads.json").read_text())
    assert [head["seq"] for head in anchored.values()] == [at_backup["length"] + 1]
    _stop(app)

    run("restore", older, "--force", "--data-dir", data_dir)

    bob = Member(make_app().test_client(), bob.token, {"id": bob.id, "username": "bob"})
    report = bob.get("/api/v1/transparency/verify").json
    assert report == {**at_backup, "intact": True, "first_broken": None}  # ann's entries are tombstones now
    anchored = json.loads((data_dir / "transparency-heads.json").read_text())
    assert [(head["seq"], head["hash"]) for head in anchored.values()] == [(report["length"], report["head"])]
