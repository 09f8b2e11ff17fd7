"""The one routine that clears a member out of a database, and how to tell it already ran.

Used on the live database by :func:`hearthside.member_data.forget`, on each
backup by :mod:`hearthside.scrub`, and after a restore by
:func:`hearthside.restore.reapply`: one routine, so a backup is cleared of
exactly what the live database was. It sits below all three so each imports it
at the top.
"""

from __future__ import annotations

from .accounts import get_member
from .events import emit
from .notify import forget as forget_notifications


def erase(hs, db, member_id: int, at: str) -> None:
    """The one routine that deletes a member's data from ``db``: the live database or a backup's.

    Runs inside the caller's transaction: every plugin's ``hearthside_forget``
    (strictly), the member's private events, then ``member.forgotten`` with
    ``at``, which tells a restored database that this forget is already in it.
    """
    member = get_member(db, member_id)
    hs.plugins.call("hearthside_forget", strict=True, hs=hs, db=db, member_id=member_id)
    db.execute("DELETE FROM events WHERE visibility = 'private' AND audience_id = ?", [member_id])
    forget_notifications(db, member_id)  # choices, push subscriptions, ntfy topic and token
    emit(db, "member.forgotten", member["couple_id"], {"at": at}, visibility="private",
         actor_id=member_id, audience_id=member_id)


def forget_reflected(db, member_id: int, at: str) -> bool:
    """Whether ``db`` already holds the member's forget of ``at`` (or a later one)."""
    return db.execute("SELECT 1 FROM events WHERE type = 'member.forgotten' AND audience_id = ? "
                      "AND json_extract(payload, '$.at') >= ? LIMIT 1", [member_id, at]).fetchone() is not None
