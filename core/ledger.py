"""The forget ledger: what members asked to forget or stopped consenting to, kept outside the database.

A restore puts an older database back, and with it whatever a member had
forgotten since, or a consent they had turned off since. The ledger is the
memory that outlives the database: one JSON line per forget or revocation in
``<data dir>/forgotten.jsonl`` (0600, each line flushed to the disk), holding
ids and times only, never anything a member wrote. After a restore,
:func:`reapply` does again what the older database does not know about.

Its limit: an old backup restored into a new, empty folder without this file
brings back what was forgotten. Bundles that carry a ledger hand it to :func:`merge`.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from .datafolder import FILE_MODE

log = logging.getLogger(__name__)

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
        from .datafolder import fsync

        fsync(path.parent)


def reapply(hs) -> list[str]:
    """Do again, on the current database, what the ledger remembers and the database does not.

    Meant for just after a restore. A forget is run again when its member is
    there (same id and creation time) and the database holds no
    ``member.forgotten`` of theirs from that time on; a revocation is appended
    again when the member's latest grant of that scope is a yes older than it.
    Returns one plain line per thing done again.
    """
    done = []
    for entry in entries(hs.config.data_dir):
        if entry["kind"] == "forget":
            done += _forget_again(hs, entry)
        else:
            done += _revoke_again(hs, entry)
    return done


def _same_member(db, entry: dict) -> dict | None:
    from .accounts import get_member

    member = get_member(db, entry["member_id"])
    if member is None or member["created_at"] != entry["member_created_at"]:
        return None
    return member


def _forget_again(hs, entry: dict) -> list[str]:
    from . import member_data
    from .plugin_manager import PluginError

    with hs.storage.connection() as db:
        member = _same_member(db, entry)
        if member is None or member_data.forget_reflected(db, member["id"], entry["at"]):
            return []
        try:
            member_data.forget(hs, db, member["id"], at=entry["at"], record=False)
        except PluginError as exc:
            log.error("Could not forget member %s again: %s", member["id"], exc)
            return [f"Could NOT forget again what member {member['id']} asked to forget on {entry['at'][:10]}: "
                    f"the {exc.plugin} feature could not clear its part. Fix it and run the restore again."]
    return [f"Forgot again what member {member['id']} asked to forget on {entry['at'][:10]} (the backup was older)"]


def _revoke_again(hs, entry: dict) -> list[str]:
    from . import consent
    from .auth import Principal

    with hs.storage.connection() as db:
        member = _same_member(db, entry)
        if member is None:
            return []
        latest = db.execute("SELECT granted, created_at FROM consent_grants WHERE member_id = ? AND scope = ? "
                            "ORDER BY id DESC LIMIT 1", [member["id"], entry["scope"]]).fetchone()
        if latest is None or not latest[0] or latest[1] >= entry["at"]:
            return []
        declared = consent.registry(hs).get(entry["scope"])
        principal = Principal("member", member["couple_id"], 0, member_id=member["id"])
        consent.set_grant(db, principal, entry["scope"], False, who=declared.who if declared else "all",
                          record=False)
    return [f"Consent {entry['scope']} of member {member['id']} is off again: it was revoked on "
            f"{entry['at'][:10]} after this backup was taken"]
