"""One backup is the whole home: ``hearthside backup`` writes a bundle (database and keys),
``hearthside restore`` puts it back - into a new Pi too - and refuses anything it cannot verify.

The command line runs in process through click's CliRunner, on real data folders.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from hearthside import bundle_crypto
from hearthside.backups import BundleError, open_bundle, rewrite_bundle_database
from hearthside.cli import cli
from hearthside.hookspecs import hookimpl
from hearthside.restore import DATABASE_ONLY_WARNING
from hearthside.storage import DATABASE_NAME
from hearthside.testing import PASSWORD

PASSPHRASE = "our long walk by the river in May"


def hsb(*args, input=None):
    """Run ``hearthside ARGS`` in process; returns click's result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], input=input, catch_exceptions=False)


def answers_of(client, username: str) -> dict:
    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).json["token"]
    answer = client.get("/api/v1/matcher/answers", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.json
    return answer.json["answers"]


@pytest.fixture
def used(couple):
    """Ann and Bob have each answered part of the matcher list; returns their answers."""
    ann, bob = couple
    items = [item["id"] for item in ann.get("/api/v1/matcher/items").json["items"]]
    mine = {items[0]: "yes", items[1]: "maybe", items[2]: "no"}
    theirs = {items[0]: "no", items[3]: "yes"}
    assert ann.put("/api/v1/matcher/answers", json={"answers": mine}).status_code == 200
    assert bob.put("/api/v1/matcher/answers", json={"answers": theirs}).status_code == 200
    return {"ann": mine, "bob": theirs}


@pytest.fixture
def bundle(used, data_dir, tmp_path) -> Path:
    done = hsb("backup", "--data-dir", data_dir, "--out", tmp_path / "home.hsb")
    assert done.exit_code == 0, done.output
    return tmp_path / "home.hsb"


def test_a_bundle_restored_into_a_new_data_folder_gives_back_every_members_answers(used, bundle, make_app,
                                                                                   tmp_path, data_dir):
    new_pi = tmp_path / "new-pi"
    done = hsb("restore", bundle, "--data-dir", new_pi)
    assert done.exit_code == 0, done.output
    assert "Restored the key matcher.key" in done.stdout
    assert (new_pi / "matcher.key").read_bytes() == (data_dir / "matcher.key").read_bytes()
    assert stat.S_IMODE((new_pi / "matcher.key").stat().st_mode) == 0o600

    client = make_app(flags={"data_dir": str(new_pi)}).test_client()
    assert answers_of(client, "ann") == used["ann"]
    assert answers_of(client, "bob") == used["bob"]


def test_the_bundle_is_private_and_its_manifest_says_what_it_holds(bundle, data_dir):
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for name, described in manifest["files"].items():
            data = archive.read(name)
            assert described == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert set(manifest["files"]) == {"hearthside.db", "matcher.key", "secret_key"}
    assert manifest["keys"] == {"secret_key": "core", "matcher.key": "matcher"}
    assert manifest["encrypted"] is False and manifest["format"] == 1
    assert "core:0010_backup_runs" in manifest["migrations"]
    assert manifest["tables"]["members"] == 2


def test_the_command_says_what_an_unencrypted_bundle_means(used, data_dir):
    done = hsb("backup", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    first, second = done.stdout.splitlines()
    assert first.startswith(f"Backup written to {data_dir / 'backups'}/hearthside-") and first.endswith("-manual.hsb")
    assert "anyone who can read this file can read everything in it" in second


def test_an_encrypted_bundle_opens_only_with_its_passphrase(used, data_dir, tmp_path, make_app):
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    done = hsb("backup", "--data-dir", data_dir, "--out", tmp_path / "sealed.hsb", "--passphrase-file", secret)
    assert done.exit_code == 0, done.output
    assert "Not encrypted" not in done.stdout
    sealed = (tmp_path / "sealed.hsb").read_bytes()
    assert sealed.startswith(b"HEARTHSIDE-BUNDLE-ENC-1\n") and b"manifest.json" not in sealed

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not our passphrase")
    for extra in ([], ["--passphrase-file", wrong]):
        done = hsb("restore", tmp_path / "sealed.hsb", "--data-dir", tmp_path / "new", *extra)
        assert done.exit_code == 1
        assert not (tmp_path / "new" / DATABASE_NAME).exists()
    assert "the passphrase does not open this bundle" in done.stderr

    done = hsb("restore", tmp_path / "sealed.hsb", "--data-dir", tmp_path / "new", "--passphrase-prompt",
               input=PASSPHRASE + "\n")
    assert done.exit_code == 0, done.output
    assert answers_of(make_app(flags={"data_dir": str(tmp_path / "new")}).test_client(), "bob") == used["bob"]


def test_a_changed_encryption_header_does_not_open(bundle, tmp_path):
    sealed = bundle_crypto.encrypt(bundle.read_bytes(), PASSPHRASE)
    tampered = sealed.replace(b'"r":8', b'"r":9', 1)
    with pytest.raises(bundle_crypto.BundleLocked, match="does not open"):
        bundle_crypto.decrypt(tampered, PASSPHRASE)


@pytest.mark.parametrize("args, message", [
    (["--passphrase-prompt", "--passphrase-file", "x"], "one way"),
    (["--passphrase-file", "empty.txt"], "is empty"),
    (["--passphrase-file", "absent.txt"], "cannot read the passphrase file"),
])
def test_passphrase_mistakes_are_one_sentence(used, data_dir, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.txt").write_text("")
    done = hsb("backup", "--data-dir", data_dir, *args)
    assert done.exit_code == 2
    assert message in done.stderr and "Traceback" not in done.output
    assert not (data_dir / "backups").exists() or not list((data_dir / "backups").glob("*.hsb"))


# -- refusing what cannot be verified -----------------------------------------------------------------


def rezip(source: Path, target: Path, change: dict[str, bytes | None], fix_manifest: bool = False) -> Path:
    """A copy of a bundle with members replaced (None: removed), the manifest left as it was unless fixed."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, data in change.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    if fix_manifest:
        manifest = json.loads(members["manifest.json"])
        manifest["files"] = {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                             for name, data in members.items() if name != "manifest.json"}
        members["manifest.json"] = json.dumps(manifest).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    return target


def broken_database(bundle: Path, folder: Path) -> bytes:
    """The bundle's database with an index that no longer matches its table (fails integrity_check)."""
    with zipfile.ZipFile(bundle) as archive:
        path = folder / "broken.db"
        path.write_bytes(archive.read("hearthside.db"))
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE zz (a, b)")
    conn.execute("CREATE INDEX zz_a ON zz (a)")
    conn.executemany("INSERT INTO zz VALUES (?, ?)", [(i, -i) for i in range(5)])
    conn.commit()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX zz_a ON zz (b)' WHERE name = 'zz_a'")
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("damage, message", [
    ("checksum", "matcher.key does not match its checksum"),
    ("missing_member", "matcher.key is missing from it"),
    ("no_manifest", "not a Hearthside bundle (it has no manifest.json)"),
    ("integrity", "failed SQLite's integrity check"),
    ("not_hearthside", "not a Hearthside one"),
    ("not_a_backup", "is not a Hearthside backup"),
    ("missing_file", "does not exist"),
    ("newer_format", "install a newer Hearthside to restore it"),
    ("truncated", "is damaged"),
])
def test_restore_refuses_what_it_cannot_verify_and_touches_nothing(bundle, data_dir, tmp_path, damage, message):
    target = tmp_path / "damaged.hsb"
    if damage == "checksum":
        rezip(bundle, target, {"matcher.key": b"A" * 44 + b"\n"})
    elif damage == "missing_member":
        rezip(bundle, target, {"matcher.key": None})
    elif damage == "no_manifest":
        rezip(bundle, target, {"manifest.json": None})
    elif damage == "integrity":
        rezip(bundle, target, {"hearthside.db": broken_database(bundle, tmp_path)}, fix_manifest=True)
    elif damage == "not_hearthside":
        foreign = tmp_path / "recipes.db"
        sqlite3.connect(foreign).execute("CREATE TABLE recipes (name TEXT)").connection.commit()
        rezip(bundle, target, {"hearthside.db": foreign.read_bytes()}, fix_manifest=True)
    elif damage == "not_a_backup":
        target.write_text("our shopping list, not a backup\n" * 10)
    elif damage == "newer_format":
        with zipfile.ZipFile(bundle) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        rezip(bundle, target, {"manifest.json": json.dumps({**manifest, "format": 2}).encode()})
    elif damage == "truncated":
        whole = bundle.read_bytes()
        target.write_bytes(whole[:200] + whole[-2000:])  # the zip's directory survives, its members do not
    before = {name: (data_dir / name).read_bytes() for name in (DATABASE_NAME, "matcher.key")}

    done = hsb("restore", target, "--force", "--data-dir", data_dir)
    assert done.exit_code == 1
    assert done.stderr.startswith("Not restoring: ") and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.output
    assert {name: (data_dir / name).read_bytes() for name in before} == before
    assert not list((data_dir / "backups").glob("*before-restore*"))
    assert not list((data_dir / "backups").glob(".bundle-*"))  # no scratch copy of anyone's data left behind


def test_restore_over_data_needs_force_then_keeps_the_database_and_keys_it_replaces(bundle, data_dir):
    done = hsb("restore", bundle, "--data-dir", data_dir)
    assert done.exit_code == 1 and "--force" in done.stderr
    old_key = b"an-older-key\n"
    (data_dir / "matcher.key").write_bytes(old_key)

    done = hsb("restore", bundle, "--force", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    kept = list((data_dir / "backups").glob("matcher.key.replaced-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == old_key
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert str(kept[0]) in done.stdout
    assert list((data_dir / "backups").glob("*auto-before-restore.db"))
    assert (data_dir / "matcher.key").read_bytes() != old_key


def test_an_old_database_backup_still_restores_with_a_warning_about_keys(used, hs, data_dir, tmp_path):
    old = hs.storage.backup(tmp_path / "old.db")
    done = hsb("restore", old, "--data-dir", tmp_path / "new")
    assert done.exit_code == 0, done.output
    assert DATABASE_ONLY_WARNING in done.stdout
    assert not (tmp_path / "new" / "matcher.key").exists()


# -- the forget ledger and plugins' files -----------------------------------------------------------


def test_the_forget_ledger_travels_and_is_merged_never_replaced(used, data_dir, tmp_path):
    import json

    def forget_line(member_id: int) -> str:
        return json.dumps({"kind": "forget", "member_id": member_id, "member_created_at": "2026-01-01T00:00:00+00:00",
                           "at": "2026-02-01T00:00:00+00:00"}, separators=(",", ":"))

    (data_dir / "forgotten.jsonl").write_text(forget_line(7) + "\n")
    done = hsb("backup", "--data-dir", data_dir, "--out", tmp_path / "with-ledger.hsb")
    assert done.exit_code == 0, done.output
    (data_dir / "forgotten.jsonl").write_text(forget_line(9) + "\n")  # forgotten on this Pi after the bundle

    done = hsb("restore", tmp_path / "with-ledger.hsb", "--force", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    assert "Merged the record of forgotten data (1 new entry)" in done.output
    assert (data_dir / "forgotten.jsonl").read_text().splitlines() == [forget_line(9), forget_line(7)]


def test_a_bundle_without_a_ledger_has_none(bundle):
    with zipfile.ZipFile(bundle) as archive:
        assert "forgotten.jsonl" not in archive.namelist()


class GreedyFiles:
    """A plugin declaring its own key and files outside the data folder."""

    @hookimpl
    def hearthside_backup_files(self, hs):
        return ["greedy.key", "../outside.txt", "/etc/passwd", "hearthside.db"]


def test_a_plugin_file_is_bundled_and_nothing_outside_the_data_folder(make_app, data_dir, tmp_path):
    from hearthside.backups import write_bundle

    app = make_app(extra_plugins={"greedy": GreedyFiles()})
    (data_dir / "greedy.key").write_text("greedy secret\n")
    (tmp_path / "outside.txt").write_text("not the server's\n")
    path = write_bundle(app.extensions["hearthside"], tmp_path / "g.hsb")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["keys"]["greedy.key"] == "greedy"
    assert set(manifest["files"]) == {"hearthside.db", "secret_key", "matcher.key", "greedy.key"}


# -- rewriting the database inside a bundle (for scrubbing after a forget) ---------------------------------


def test_rewrite_bundle_database_rebuilds_the_manifest(bundle, tmp_path):
    def drop_answers(db_path: Path) -> None:
        conn = sqlite3.connect(db_path)
        conn.execute("DELETE FROM events")
        conn.commit()
        conn.close()

    rewrite_bundle_database(bundle, drop_answers)
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    with open_bundle(bundle, None, tmp_path) as opened:  # verifies every checksum again
        assert opened.manifest["tables"]["events"] == 0
        assert sqlite3.connect(opened.database).execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_rewrite_refuses_an_encrypted_bundle(bundle, tmp_path):
    sealed = tmp_path / "sealed.hsb"
    sealed.write_bytes(bundle_crypto.encrypt(bundle.read_bytes(), PASSPHRASE))
    with pytest.raises(BundleError, match="encrypted"):
        rewrite_bundle_database(sealed, lambda path: None)


def test_a_crafted_bundle_cannot_write_over_the_database_or_outside_the_data_folder(bundle, data_dir, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    crafted = dict(manifest, keys={**manifest["keys"], "hearthside.db-wal": "evil"})
    wal = b"not a write-ahead log"
    crafted["files"] = {**manifest["files"],
                        "hearthside.db-wal": {"sha256": hashlib.sha256(wal).hexdigest(), "size": len(wal)}}
    target = rezip(bundle, tmp_path / "crafted.hsb", {"manifest.json": json.dumps(crafted).encode(),
                                                       "hearthside.db-wal": wal})
    with open_bundle(target, None, tmp_path) as opened:
        assert "hearthside.db-wal" not in opened.keys

    escaping = dict(manifest, files={**manifest["files"], "../escape.key": manifest["files"]["secret_key"]})
    target = rezip(bundle, tmp_path / "escaping.hsb", {"manifest.json": json.dumps(escaping).encode()})
    done = hsb("restore", target, "--force", "--data-dir", data_dir)
    assert done.exit_code == 1 and "names a file outside the data folder" in done.stderr
    assert not (data_dir.parent / "escape.key").exists()


def test_backup_asks_for_the_passphrase_twice_and_the_bundle_opens_with_it(used, data_dir, tmp_path):
    done = hsb("backup", "--data-dir", data_dir, "--out", tmp_path / "asked.hsb", "--passphrase-prompt",
               input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert done.exit_code == 0, done.output
    assert PASSPHRASE not in done.output  # typed, never shown
    with open_bundle(tmp_path / "asked.hsb", PASSPHRASE, tmp_path) as opened:
        assert opened.manifest["encrypted"] is True


# -- hearthside_restored: what plugins keep beside the database follows a restore --------------------------------


class RestoreListener:
    """Notes what the restored database holds when it is told of the restore."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def hearthside_restored(self, hs, db):
        self.seen.append((db.data_dir, "written_after_the_backup" in db.table_names()))


class BrokenListener:
    @hookimpl
    def hearthside_restored(self, hs, db):
        raise RuntimeError("cannot follow the restore")


def test_plugins_are_told_of_a_restore_with_the_restored_database(make_app, data_dir, tmp_path):
    from hearthside.backups import write_bundle
    from hearthside.restore import restore, tell_plugins

    listener = RestoreListener()
    app = make_app(extra_plugins={"broken": BrokenListener(), "listener": listener})
    hs = app.extensions["hearthside"]
    bundle = write_bundle(hs, tmp_path / "older.hsb")
    with hs.storage.connection() as db, db.atomic():
        db.execute("CREATE TABLE written_after_the_backup (x)")
    with open_bundle(bundle, None, data_dir / "backups") as opened:
        restore(hs, opened)
    assert listener.seen == []  # told once the restore is done, by hearthside restore (core/cli.py)
    tell_plugins(hs)
    assert listener.seen == [(data_dir, False)]
    assert "broken" in hs.plugins.failed()  # one plugin failing to follow stops neither the others nor the restore
