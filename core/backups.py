"""One backup is the whole home: a bundle file holding the database and its keys.

A database copy alone is not a backup of Hearthside: the matcher's answers
are ciphertext whose key lives in ``matcher.key`` beside the database, so a
``.db`` restored onto a new Pi gave back a list nobody could open. A *bundle*
(``hearthside-<UTC stamp>-<reason>.hsb``) is a zip of:

* ``manifest.json``: format and Hearthside version, when, the migrations
  applied, row counts per table, the sha256 and size of every member, which
  members are keys and which plugin declared each;
* ``hearthside.db``: a consistent online copy (SQLite's backup API);
* every key file a plugin declares through ``hearthside_backup_files``;
* ``forgotten.jsonl``, the forget ledger, when there is one, so a restore can
  forget again what was forgotten after the bundle was made.

Optionally the whole zip is sealed under a passphrase
(:mod:`hearthside.bundle_crypto`). Every file is written 0600 from its first
byte, under a ``.partial`` name renamed only once complete.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable

from . import __version__, bundle_crypto
from .datafolder import private_workdir, write_private
from .storage import DATABASE_NAME, validate_database_file
from .clock import utc_now

BUNDLE_SUFFIX = ".hsb"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
LEDGER_FILE = "forgotten.jsonl"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BundleError(Exception):
    """Why a bundle cannot be read, verified or restored: one plain sentence."""


def bundle_name(reason: str, when: datetime | None = None) -> str:
    when = (when or utc_now()).astimezone(timezone.utc)
    return f"hearthside-{when:%Y%m%dT%H%M%SZ}-{reason}{BUNDLE_SUFFIX}"


def backup_files(hs) -> dict[str, str]:
    """Every key file the plugins need, ``{name relative to the data folder: plugin}``.

    A name that leaves the data folder, or that collides with the bundle's own
    members, is ignored: a plugin declares its files, it cannot reach others.
    """
    declared: dict[str, str] = {}
    for plugin, names in hs.plugins.answers("hearthside_backup_files", hs=hs):
        for name in names:
            if _safe_member(name) and name not in (DATABASE_NAME, MANIFEST, LEDGER_FILE):
                declared.setdefault(name, plugin)
    return declared


def _safe_member(name) -> bool:
    path = PurePosixPath(str(name))
    return isinstance(name, str) and bool(name) and not path.is_absolute() and ".." not in path.parts \
        and "\\" not in name


# -- writing ------------------------------------------------------------------------------


def write_bundle(hs, destination: Path, passphrase: str | None = None) -> Path:
    """Write a bundle of ``hs``'s data folder to ``destination`` (0600), encrypted if a passphrase is given."""
    data_dir = hs.storage.data_dir
    work = private_workdir(hs.storage.backups_dir)
    try:
        database = hs.storage.backup(work / DATABASE_NAME)
        keys = {name: plugin for name, plugin in backup_files(hs).items() if (data_dir / name).is_file()}
        members = {DATABASE_NAME: database, **{name: data_dir / name for name in keys}}
        if (data_dir / LEDGER_FILE).is_file():
            members[LEDGER_FILE] = data_dir / LEDGER_FILE
        payload = _zip(members, keys, encrypted=passphrase is not None, created_at=_now())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if passphrase is not None:
        payload = bundle_crypto.encrypt(payload, passphrase)
    return write_private(Path(destination), payload)


def _now() -> str:
    return utc_now().isoformat(timespec="seconds")


def _zip(members: dict[str, Path], keys: dict[str, str], encrypted: bool, created_at: str) -> bytes:
    contents = {name: path.read_bytes() for name, path in members.items()}
    manifest = {
        "format": FORMAT_VERSION,
        "hearthside_version": __version__,
        "created_at": created_at,
        **database_summary(members[DATABASE_NAME]),
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                  for name, data in contents.items()},
        "keys": keys,
        "encrypted": encrypted,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        for name, data in contents.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def database_summary(path: Path) -> dict:
    """The migrations applied (``set:name``) and the row count of every table: what a restore brings back."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
        migrations = [f"{row[0]}:{row[1]}" for row in conn.execute(
            "SELECT migration_set, name FROM _sqlite_migrations ORDER BY id")]
    finally:
        conn.close()
    return {"migrations": migrations, "tables": counts}


# -- reading and verifying ------------------------------------------------------------------


@dataclass
class OpenedBundle:
    """A verified bundle (or old ``.db`` backup), extracted into a private scratch folder.

    ``kind`` is ``"bundle"`` or ``"database"``; ``keys`` maps each key file to
    its extracted copy. Use it as a context manager: the scratch folder goes.
    """

    kind: str
    workdir: Path
    database: Path
    manifest: dict = field(default_factory=dict)
    keys: dict[str, Path] = field(default_factory=dict)
    ledger: Path | None = None

    def __enter__(self) -> "OpenedBundle":
        return self

    def __exit__(self, *_exc) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def open_bundle(path: Path, passphrase: str | None, scratch: Path) -> OpenedBundle:
    """Read and verify everything before anything is touched; :class:`BundleError` says why not.

    Checks: the file exists; it is a bundle (or a Hearthside ``.db``); it
    opens with the passphrase; the manifest is there; every member's sha256
    matches; the database passes SQLite's integrity check and is Hearthside's.
    """
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"{path} does not exist or is not a file")
    with path.open("rb") as handle:
        head = handle.read(len(bundle_crypto.MAGIC))
    workdir = private_workdir(scratch)
    try:
        if head.startswith(SQLITE_MAGIC):
            return _opened_database(path, workdir)
        if bundle_crypto.is_encrypted(head):
            try:
                archive = zipfile.ZipFile(io.BytesIO(bundle_crypto.decrypt(path.read_bytes(), passphrase)))
            except bundle_crypto.BundleLocked as exc:
                raise BundleError(str(exc)) from None
        elif zipfile.is_zipfile(path):
            archive = zipfile.ZipFile(path)
        else:
            raise BundleError(f"{path} is not a Hearthside backup (neither a bundle nor a database)")
        with archive:
            return _verified(archive, path, workdir)
    except zipfile.BadZipFile:
        shutil.rmtree(workdir, ignore_errors=True)
        raise BundleError(f"{path} is damaged: the zip inside it cannot be read") from None
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _opened_database(path: Path, workdir: Path) -> OpenedBundle:
    problem = validate_database_file(path)
    if problem:
        raise BundleError(problem)
    return OpenedBundle("database", workdir, path)


def _verified(archive: zipfile.ZipFile, path: Path, workdir: Path) -> OpenedBundle:
    manifest = _manifest(archive, path)
    files = manifest["files"]
    for name, expected in files.items():
        if not _safe_member(name):
            raise BundleError(f"{path} names a file outside the data folder ({name})")
        data = _read_member(archive, name, path)
        if not isinstance(expected, dict) or hashlib.sha256(data).hexdigest() != expected.get("sha256") \
                or len(data) != expected.get("size"):
            raise BundleError(f"{path} is damaged: {name} does not match its checksum")
        write_private(workdir / "members" / name, data)
    if DATABASE_NAME not in files:
        raise BundleError(f"{path} holds no database")
    database = workdir / "members" / DATABASE_NAME
    problem = validate_database_file(database)
    if problem:
        raise BundleError(problem.replace(str(database), f"the database in {path}"))
    declared = manifest.get("keys") if isinstance(manifest.get("keys"), dict) else {}
    keys = {name: workdir / "members" / name for name in declared if name in files and _restorable_key(name)}
    ledger = workdir / "members" / LEDGER_FILE if LEDGER_FILE in files else None
    return OpenedBundle("bundle", workdir, database, manifest, keys, ledger)


def _read_member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """One member's bytes; a missing or unreadable member (a truncated copy) is a damaged bundle."""
    try:
        return archive.read(name)
    except KeyError:
        raise BundleError(f"{path} is damaged: {name} is missing from it") from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error):  # a cut-short file: offsets past its end
        raise BundleError(f"{path} is damaged: {name} cannot be read from it") from None


def _restorable_key(name: str) -> bool:
    """A key never lands on the database, its journal files or the ledger, whatever a bundle says."""
    return not name.startswith(DATABASE_NAME) and name not in (MANIFEST, LEDGER_FILE)


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    if MANIFEST not in archive.namelist():
        raise BundleError(f"{path} is a zip file but not a Hearthside bundle (it has no {MANIFEST})")
    try:
        manifest = json.loads(_read_member(archive, MANIFEST, path))
    except ValueError:
        raise BundleError(f"{path} is damaged: its {MANIFEST} is not readable") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BundleError(f"{path} is damaged: its {MANIFEST} lists no files")
    if manifest.get("format") != FORMAT_VERSION:
        raise BundleError(f"{path} is a bundle of format {manifest.get('format')!r}, which this Hearthside "
                          f"({__version__}) cannot read; install a newer Hearthside to restore it")
    return manifest


# -- rewriting (scrubbing a forget out of old bundles) ------------------------------------------


def rewrite_bundle_database(path: Path, transform: Callable[[Path], None]) -> Path:
    """Apply ``transform(db_path)`` to the database inside an unencrypted bundle, in place.

    The bundle is verified, its database extracted to a private scratch
    folder and transformed there; the manifest's counts, migrations and
    checksums are rebuilt, and the new bundle atomically replaces the old one.
    An encrypted bundle cannot be opened without its passphrase: BundleError.
    """
    path = Path(path)
    with path.open("rb") as handle:
        if bundle_crypto.is_encrypted(handle.read(len(bundle_crypto.MAGIC))):
            raise BundleError(f"{path} is encrypted with a passphrase, so it cannot be rewritten here")
    with open_bundle(path, None, path.parent) as opened:
        if opened.kind != "bundle":
            raise BundleError(f"{path} is a database backup, not a bundle")
        transform(opened.database)
        members = {name: opened.workdir / "members" / name for name in opened.manifest["files"]}
        payload = _zip(members, opened.manifest.get("keys", {}), encrypted=False,
                       created_at=opened.manifest.get("created_at") or _now())
    return write_private(path, payload)
