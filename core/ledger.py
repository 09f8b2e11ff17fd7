"""The forget ledger: what members asked to forget or stopped consenting to, kept outside the database.

A restore puts an older database back, and with it whatever a member had
forgotten since, or a consent they had turned off since. The ledger is the
memory that outlives the database: one JSON line per forget or revocation in
``<data dir>/forgotten.jsonl`` (0600, each line flushed to the disk), holding
ids and times only, never anything a member wrote. After a restore,
:func:`hearthside.restore.reapply` does again what the older database does not know about.

Its limit: an old backup restored into a new, empty folder without this file
brings back what was forgotten. Bundles that carry a ledger hand it to :func:`merge`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .datafolder import FILE_MODE, fsync

LEDGER_FILE = "forgotten.jsonl"
FIELDS = ("kind", "member_id", "member_created_at", "scope", "at")


def ledger_path(data_dir: Path) -> Path:
    return Path(data_dir) / LEDGER_FILE


def record_forget(data_dir: Path, member_id: int, member_created_at: str, at: str) -> None:
    """Remember that the member forgot their data at ``at`` (the time in their ``member.forgotten`` event)."""
    _append(data_dir, {"kind": "forget", "member_id": member_id, "member_created_at": member_created_at, "at": at})


def record_revocation(data_dir: Path, member_id: int, member_created_at: str, scope: str, at: str) -> None:
    """Remember that the member turned consent ``scope`` off at ``at``."""
    _append(data_dir, {"kind": "consent_revoked", "member_id": member_id, "member_created_at": member_created_at,
                       "scope": scope, "at": at})


def entries(data_dir: Path) -> list[dict]:
    """Every entry of the folder's ledger, oldest first."""
    return read_entries(ledger_path(data_dir))


def read_entries(path: Path) -> list[dict]:
    """Every entry of a ledger file (the folder's, or one out of a bundle); a line cut short is skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("kind") in ("forget", "consent_revoked"):
            found.append(entry)
    return found


def merge(data_dir: Path, other_entries) -> int:
    """Add the entries of another ledger (a bundle's) that this one lacks; returns how many."""
    known = {_key(entry) for entry in entries(data_dir)}
    added = 0
    for entry in other_entries:
        if isinstance(entry, dict) and entry.get("kind") in ("forget", "consent_revoked") \
                and _key(entry) not in known:
            _append(data_dir, {key: entry[key] for key in FIELDS if key in entry})
            known.add(_key(entry))
            added += 1
    return added


def _key(entry: dict) -> tuple:
    return tuple(entry.get(key) for key in FIELDS)


def _append(data_dir: Path, entry: dict) -> None:
    """One line, appended and fsynced; the file is created 0600."""
    path = ledger_path(data_dir)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.write(fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync(path.parent)
