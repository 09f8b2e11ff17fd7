"""Putting a verified backup back: the database, then its keys, keeping what they replace.

:func:`hearthside.backups.open_bundle` has already checked everything, so
nothing here starts unless the whole bundle is sound. What is replaced is
kept: the current database as the automatic ``before-restore`` backup, each
key file it overwrites as ``backups/<name>.replaced-<stamp>``, so a restore
of the wrong bundle can itself be undone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from . import ledger
from .backups import OpenedBundle
from .datafolder import write_private

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
    what the restored database does not hold (:func:`hearthside.ledger.reapply`).
    """
    added = ledger.merge(data_dir, ledger.read_entries(bundled))
    return f"Merged the record of forgotten data ({added} new entr{'y' if added == 1 else 'ies'})"
