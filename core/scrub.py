"""Backups forget too: after a member's forget, each backup in ``backups/`` is rewritten without them.

A forget that left the member's words in last week's backup would not be a
forget. Each backup file is handled by the scrubber registered for how its
name ends; a ``.db`` backup (written by :meth:`Storage.backup`) is copied to
a private ``.partial``, brought up to date with the app's migrations (it may
be older), cleared with the very routine that cleared the live database
(:func:`hearthside.erasure.erase`), vacuumed so no free page keeps a
trace, flushed, and renamed over the original. A backup that cannot be
rewritten is deleted, and the log says which file and why, never what was in it.

A ``.hsb`` bundle (:mod:`hearthside.backups`) has its database rewritten the
same way inside it. Another kind of backup file plugs in with one line::

    SCRUBBERS[".zip"] = scrub_zip   # scrub_zip(hs, path, member, at) -> bool
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path
from typing import Callable

from .backups import BundleError, rewrite_bundle_database
from .datafolder import replacing
from .erasure import erase
from .errors import log_exception
from .storage import Database, validate_database_file

log = logging.getLogger(__name__)

# scrubber(hs, path, member row, forget time) -> whether it rewrote the file; raises if it cannot.
Scrubber = Callable[..., bool]


class NotScrubbable(Exception):
    """The file is not one this scrubber can rewrite (the message says why, with no content)."""


def scrub_backups(hs, member: dict, at: str) -> list[str]:
    """Rewrite (or, failing that, delete) every backup that still holds ``member``; one line per file touched."""
    folder = hs.storage.backups_dir
    if not folder.is_dir():
        return []
    done = []
    for path in sorted(folder.iterdir()):
        scrubber = _scrubber_for(path.name)
        if scrubber is None or not path.is_file():
            continue
        try:
            if scrubber(hs, path, member, at):
                done.append(f"rewrote {path.name}")
                log.info("Rewrote backup %s without the data member %s forgot", path.name, member["id"])
        except NotScrubbable as exc:
            done.append(_delete(path, str(exc)))
        except Exception as exc:
            log_exception(log, exc, "Could not rewrite backup %s without a forgotten member's data", path.name)
            done.append(_delete(path, f"rewriting it failed ({type(exc).__name__})"))
    return done


def _scrubber_for(name: str) -> Scrubber | None:
    for suffix, scrubber in SCRUBBERS.items():
        if name.endswith(suffix):
            return scrubber
    return None


def _delete(path: Path, why: str) -> str:
    path.unlink(missing_ok=True)
    log.warning("Deleted backup %s: it could not be rewritten without a forgotten member's data: %s",
                path.name, why)
    return f"deleted {path.name}"


def scrub_database_file(hs, path: Path, member: dict, at: str) -> bool:
    """Rewrite one ``.db`` backup without the member; False when it holds nothing of theirs to clear."""
    problem = validate_database_file(path)
    if problem:
        raise NotScrubbable(f"it is not a Hearthside database ({problem.replace(str(path), path.name)})")
    if not _needs_scrubbing(path, member, at):
        return False
    with replacing(path) as partial:
        shutil.copyfile(path, partial)
        _erase_in(hs, partial, member, at)
    return True


def _needs_scrubbing(path: Path, member: dict, at: str) -> bool:
    """The backup holds this very member (same id, same creation time) and not yet this forget."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT created_at FROM members WHERE id = ?", [member["id"]]).fetchone()
        if row is None or row[0] != member["created_at"]:
            return False
        forgotten = conn.execute(
            "SELECT 1 FROM events WHERE type = 'member.forgotten' AND audience_id = ? "
            "AND json_extract(payload, '$.at') >= ? LIMIT 1", [member["id"], at]).fetchone()
        return forgotten is None
    except sqlite3.OperationalError:  # no members table yet: a backup from before anyone joined
        return False
    finally:
        conn.close()


def _erase_in(hs, path: Path, member: dict, at: str) -> None:
    """Migrate the copy, clear the member with the live database's routine, vacuum."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # no -wal beside the copy: one file to rename
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA foreign_keys=ON")
        db = Database(conn, event_types=hs.plugins.event_types)  # no after_commit: nobody is told about changes to a backup
        for _, migrations in hs.plugins.answers("hearthside_migrations"):
            with db.atomic():
                migrations.apply(db)
        with db.atomic():
            erase(hs, db, member["id"], at)
        conn.execute("VACUUM")
    finally:
        conn.close()


def scrub_bundle(hs, path: Path, member: dict, at: str) -> bool:
    """Rewrite one ``.hsb`` bundle's database without the member (its keys and manifest follow).

    A bundle sealed with a passphrase cannot be opened here, so it cannot be
    rewritten: it is deleted like any other backup that would keep the
    member's words (docs/security.md, "Files on the disk and forgetting").
    """
    touched = []

    def erase_if_held(database: Path) -> None:
        if _needs_scrubbing(database, member, at):
            _erase_in(hs, database, member, at)
            touched.append(database)

    try:
        rewrite_bundle_database(path, erase_if_held)
    except BundleError as exc:
        raise NotScrubbable(str(exc).replace(str(path), path.name)) from exc
    return bool(touched)


SCRUBBERS: dict[str, Scrubber] = {".db": scrub_database_file, ".hsb": scrub_bundle}
