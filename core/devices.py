"""Wall screens: pairing a device, revoking it, and what it may show.

A member creates a device and gets a one-time pairing code (8 characters, no
look-alikes, stored only as a hash, valid for ``auth.pairing_minutes``). The
tablet claims the code without signing in and receives a ``device`` token,
which reads only dashboard-visible data, and only events from its pairing on
(``events_from``). Revoking a device revokes its tokens
at once; the live stream disconnects its sockets (see :mod:`hearthside.live`).

The cards the wall shows come from the ``hearthside_dashboard_cards`` hook,
each plugin's only while its ``dashboard.<plugin>`` consent scope is active -
checked on every read, never cached.
"""

from __future__ import annotations

from . import consent
from .accounts import digest, in_future, is_past, new_code, normalise_code
from .auth import issue_token
from .errors import NotFound
from .events import emit, now_iso
from .storage import one_row, row_or_none

PAIRING_CODE_LENGTH = 8


def _public(row: dict) -> dict:
    """A device as members see it in the list (never its code or tokens)."""
    return {
        "id": row["id"], "name": row["name"], "created_at": row["created_at"], "created_by": row["created_by"],
        "claimed_at": row["claimed_at"], "last_used_at": row.get("last_used_at"),
        "pairing_expires_at": None if row["claimed_at"] or row["revoked_at"] else row["pairing_expires_at"],
        "revoked": row["revoked_at"] is not None,
    }


def create(db, principal, name: str, pairing_minutes: int) -> dict:
    """A new, unclaimed device with its one-time code (returned once, stored hashed)."""
    code = new_code(PAIRING_CODE_LENGTH)
    with db.atomic():
        device_id = db["devices"].insert({
            "couple_id": principal.couple_id, "name": name, "created_by": principal.member_id,
            "pairing_code_hash": digest(code), "pairing_expires_at": in_future(minutes=pairing_minutes),
            "created_at": now_iso(),
        }).last_pk
        row = db["devices"].get(device_id)
        emit(db, "device.created", principal.couple_id, {"device": {"id": device_id, "name": name}},
             visibility="couple", actor_id=principal.member_id)
    return {"id": device_id, "name": name, "pairing_code": code, "expires_at": row["pairing_expires_at"]}


def claim(db, code: str) -> tuple[dict, str]:
    """Exchange a pairing code for a device token; 404 if unknown, used or expired.

    The code is cleared on success, so it can never be used twice.
    """
    with db.atomic():
        row = row_or_none(db, "SELECT * FROM devices WHERE pairing_code_hash = ?", [digest(normalise_code(code))])
        if row is None or row["claimed_at"] or row["revoked_at"] or is_past(row["pairing_expires_at"]):
            raise NotFound("pairing_code_invalid",
                           "This pairing code is not valid: it may have been used already or expired. "
                           "Create a new one on the devices page.")
        db["devices"].update(row["id"], {"claimed_at": now_iso(), "pairing_code_hash": None})
        token = issue_token(db, kind="device", name=row["name"], couple_id=row["couple_id"], device_id=row["id"])
        paired = emit(db, "device.paired", row["couple_id"], {"device": {"id": row["id"], "name": row["name"]}},
                      visibility="couple")
        db["devices"].update(row["id"], {"events_from": paired.id})
    return row, token


def events_from(db, device_id: int) -> int:
    """The id after which a wall may read events: its own pairing.

    A wall is a screen in the room; what happened before it was hung there
    (earlier pauses, consents, cards) is the partners' history, not its.
    """
    row = db.execute("SELECT events_from FROM devices WHERE id = ?", [device_id]).fetchone()
    return (row[0] if row else None) or 0


def list_for(db, couple_id: int) -> list[dict]:
    rows = db.query(
        """SELECT d.*, (SELECT max(t.last_used_at) FROM tokens t WHERE t.device_id = d.id) AS last_used_at
           FROM devices d WHERE d.couple_id = ? ORDER BY d.id""", [couple_id])
    return [_public(row) for row in rows]


def get(db, couple_id: int, device_id: int) -> dict:
    """The couple's device, or 404 - the same answer for another couple's device."""
    return one_row(db, "SELECT * FROM devices WHERE id = ? AND couple_id = ?", [device_id, couple_id],
                   NotFound("device_not_found", "There is no such device in your couple."))


def revoke(db, principal, device_id: int) -> dict:
    """Revoke a device and every token it holds; revoking twice changes nothing."""
    with db.atomic():
        row = get(db, principal.couple_id, device_id)
        if row["revoked_at"] is None:
            now = now_iso()
            db["devices"].update(device_id, {"revoked_at": now, "pairing_code_hash": None})
            db.execute("UPDATE tokens SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL", [now, device_id])
            emit(db, "device.revoked", principal.couple_id, {"device": {"id": device_id, "name": row["name"]}},
                 visibility="couple", actor_id=principal.member_id)
        return _public(db["devices"].get(device_id))


# -- the wall's cards ---------------------------------------------------------------


def dashboard_cards(hs, db, couple_id: int) -> list[dict]:
    """Every card the couple's wall may show now, as JSON, each tagged with its plugin.

    A plugin's cards are shown only while its declared ``dashboard.<plugin>``
    scope is active for the couple. A plugin answering something that is not
    a :class:`~hearthside.hook_types.DashboardCard` is failed (the one policy
    of :meth:`~hearthside.plugin_manager.PluginManager.answers`), so its cards
    are not shown.
    """
    declared = consent.registry(hs)
    cards: list[dict] = []
    for plugin, offered in hs.plugins.answers("hearthside_dashboard_cards", hs=hs, db=db, couple_id=couple_id):
        scope = f"{consent.DASHBOARD_PREFIX}{plugin}"
        if scope in declared and consent.is_active(db, couple_id, scope):
            cards.extend({**card.as_json(), "plugin": plugin} for card in offered)
    return cards
