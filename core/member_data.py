"""A member's own data: export everything, or forget it.

Export gathers what the member wrote or may read - the core's part and each
plugin's ``hearthside_export`` - and never the partner's private data.

Forget is explicit and confirmed (the password is asked again), and it is all
or nothing: every plugin's ``hearthside_forget`` runs inside one transaction,
called strictly, so if any plugin fails nothing is deleted and the member is
told which part could not be cleared. A plugin that failed earlier (and is
switched off until the server restarts) still holds its data, so it stops
the forget the same way rather than being skipped. Append-only trust logs keep their
integrity by tombstoning (the plugins decide how); the consent history is a
shared record of what both agreed and is kept.
"""

from __future__ import annotations

import json

from . import ledger
from .accounts import get_couple, get_member, public_member
from .erasure import erase
from .events import now_iso
from .notify import export as export_notifications
from .plugin_manager import PluginError
from .scrub import scrub_backups


def export(hs, db, member_id: int) -> dict:
    """The export; ``incomplete`` names the plugins whose part is missing (failed, or busy just now)."""
    member = get_member(db, member_id)
    couple = get_couple(db, member["couple_id"])
    missed: list[str] = []
    parts = dict(hs.plugins.answers("hearthside_export", missed=missed, hs=hs, db=db, member_id=member_id))
    return {
        "exported_at": now_iso(),
        "member": {**public_member(member), "created_at": member["created_at"]},
        "couple": {"id": couple["id"], "name": couple["name"], "time_zone": couple["time_zone"]},
        "core": {
            "tokens": list(db.query(
                "SELECT name, kind, created_at, last_used_at, revoked_at FROM tokens "
                "WHERE member_id = ? ORDER BY id", [member_id])),
            "consent_history": list(db.query(
                "SELECT scope, granted, created_at FROM consent_grants WHERE member_id = ? ORDER BY id",
                [member_id])),
            "private_events": [
                {**row, "payload": json.loads(row["payload"])} for row in db.query(
                    "SELECT id, type, payload, created_at FROM events WHERE visibility = 'private' "
                    "AND audience_id = ? ORDER BY id", [member_id])],
            "notifications": export_notifications(db, member_id),
        },
        "plugins": parts,
        "incomplete": missed,
    }


def forget(hs, db, member_id: int, at: str | None = None, record: bool = True) -> list[str]:
    """Delete what the member owns, in one transaction; returns the plugins that took part.

    Raises :class:`hearthside.plugin_manager.PluginError` (nothing deleted) if a plugin fails.
    Once committed, the forget is final on the disk too: it goes into the
    ledger (:mod:`hearthside.ledger`, unless ``record`` is off because the
    ledger itself is re-applying it at ``at``), the WAL that still held the
    old pages is emptied, and every backup in ``backups/`` is rewritten
    without the member (:mod:`hearthside.scrub`).
    """
    member = get_member(db, member_id)
    _refuse_if_a_forgetter_failed(hs)
    at = at or now_iso()
    with db.atomic():
        erase(hs, db, member_id, at)
        if record:  # only once the forget has committed: a rolled-back one must not be re-applied
            db.on_commit(lambda: ledger.record_forget(hs.config.data_dir, member_id, member["created_at"], at))
        # After the commit too: a forget rolled back with its caller's transaction leaves backups whole.
        db.on_commit(lambda: _clear_older_copies(hs, member, at))
    return hs.plugins.implementers("hearthside_forget")


def _clear_older_copies(hs, member: dict, at: str) -> None:
    """Empty the WAL that still holds the old pages, and rewrite every backup without the member."""
    hs.storage.checkpoint()
    scrub_backups(hs, member, at)


def _refuse_if_a_forgetter_failed(hs) -> None:
    """A failed plugin is no longer called, but its tables still hold the member's data:
    forgetting everything else and answering "forgotten" would be a lie."""
    for info in hs.plugins.plugins.values():
        if info.state == "failed" and hasattr(info.module, "hearthside_forget"):
            raise PluginError(info.name, "hearthside_forget",
                              RuntimeError("the plugin failed earlier and is off until the server restarts"))
