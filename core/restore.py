"""Putting a verified backup back: the database, then its keys, keeping what they replace.

:func:`hearthside.backups.open_bundle` has already checked everything, so
nothing here starts unless the whole bundle is sound. What is replaced is
kept: the current database as the automatic ``before-restore`` backup, each
key file it overwrites as ``backups/<name>.replaced-<stamp>``, so a restore
of the wrong bundle can itself be undone. Then :func:`reapply` does again
what the folder's forget ledger (:mod:`hearthside.ledger`) remembers and the
restored database does not, and :func:`tell_plugins` lets plugins follow the
restored database with what they keep beside it (``hearthside_restored``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from . import consent, ledger, member_data
from .accounts import get_member
from .auth import Principal
from .backups import OpenedBundle
from .datafolder import write_private
from .erasure import forget_reflected
from .plugin_manager import PluginError

log = logging.getLogger(__name__)

DATABASE_ONLY_WARNING = (
    "Warning: this is a database-only backup (.db), without the key files: the matcher's answers in it "
    "open only if this data folder's matcher.key is the one the backup was made with; otherwise they are "
    "lost. Bundles (.hsb, made by `hearthside backup`) carry the keys.")


def restore(hs, opened: OpenedBundle) -> list[str]:
    """Restore ``opened`` into ``hs``'s data folder; returns the lines that say what happened."""
    storage = hs.storage
    lines = [DATABASE_ONLY_WARNING] if opened.kind == "database" else []
    kept = storage.restore_from(opened.database, keep=hs.config["backups.keep"])
    if kept:
        lines.append(f"The previous database was kept as {kept}")
    lines.append(f"Restored the database into {storage.path}")
    lines += [_restore_key(storage, name, source) for name, source in opened.keys.items()]
    if opened.ledger is not None:
        lines.append(_merge_ledger(storage.data_dir, opened.ledger))
    return lines


def _restore_key(storage, name: str, source: Path) -> str:
    """Write one key file (0600); a different key already there is kept in backups/ first."""
    target = storage.data_dir / name
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() != data:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = write_private(storage.backups_dir / f"{Path(name).name}.replaced-{stamp}", target.read_bytes())
        write_private(target, data)
        return f"Restored the key {name} (the one it replaced was kept as {kept})"
    write_private(target, data)
    return f"Restored the key {name}"


def _merge_ledger(data_dir: Path, bundled: Path) -> str:
    """Add the bundle's forget-ledger entries to this folder's, never dropping one already here.

    Forgets made here after the bundle was written must stay recorded, so the
    ledgers are joined, not replaced; ``hearthside restore`` then re-applies
    what the restored database does not hold (:func:`reapply`).
    """
    added = ledger.merge(data_dir, ledger.read_entries(bundled))
    return f"Merged the record of forgotten data ({added} new entr{'y' if added == 1 else 'ies'})"


def reapply(hs) -> list[str]:
    """Do again, on the current database, what the ledger remembers and the database does not.

    Meant for just after a restore. A forget is run again when its member is
    there (same id and creation time) and the database holds no
    ``member.forgotten`` of theirs from that time on; a revocation is appended
    again when the member's latest grant of that scope is a yes older than it.
    Returns one plain line per thing done again.
    """
    done = []
    for entry in ledger.entries(hs.config.data_dir):
        if entry["kind"] == "forget":
            done += _forget_again(hs, entry)
        else:
            done += _revoke_again(hs, entry)
    return done


def tell_plugins(hs) -> None:
    """Call ``hearthside_restored``: what plugins keep beside the database follows the restored one.

    After :func:`reapply`, so a plugin sees the database as it will be served.
    """
    with hs.storage.connection() as db:
        hs.plugins.call("hearthside_restored", hs=hs, db=db)


def _same_member(db, entry: dict) -> dict | None:
    member = get_member(db, entry["member_id"])
    if member is None or member["created_at"] != entry["member_created_at"]:
        return None
    return member


def _forget_again(hs, entry: dict) -> list[str]:
    with hs.storage.connection() as db:
        member = _same_member(db, entry)
        if member is None or forget_reflected(db, member["id"], entry["at"]):
            return []
        try:
            member_data.forget(hs, db, member["id"], at=entry["at"], record=False)
        except PluginError as exc:
            log.error("Could not forget member %s again: %s", member["id"], exc)
            return [f"Could NOT forget again what member {member['id']} asked to forget on {entry['at'][:10]}: "
                    f"the {exc.plugin} feature could not clear its part. Fix it and run the restore again."]
    return [f"Forgot again what member {member['id']} asked to forget on {entry['at'][:10]} (the backup was older)"]


def _revoke_again(hs, entry: dict) -> list[str]:
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
