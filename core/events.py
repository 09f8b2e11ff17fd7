"""Events: every change of state is a row, then a live message.

:func:`emit` is the one emitter, for the core and for plugins. It writes the
event row inside the caller's transaction - so the event exists exactly when
the change does - and queues it; once that transaction commits, the app hands
the event to the ``hearthside_event`` hook and to the live hub (see
:class:`hearthside.storage.Database`).

Visibility decides who may ever see an event:

* ``private`` - only ``audience_id`` (one member), room ``member:<id>``;
* ``couple`` - every member of the couple, room ``couple:<id>``;
* ``dashboard`` - the members and the couple's paired wall screens, rooms
  ``couple:<id>`` and ``dashboard:<id>``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

VISIBILITIES = ("private", "couple", "dashboard")


@dataclass(frozen=True)
class Event:
    id: int
    couple_id: int
    type: str
    actor_id: int | None
    visibility: str
    audience_id: int | None
    payload: dict
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``GET /api/v1/events`` and of the live ``event`` message."""
        return asdict(self)

    def rooms(self) -> list[str]:
        """The live-stream rooms this event may be delivered to, and no others."""
        if self.visibility == "private":
            return [f"member:{self.audience_id}"]
        if self.visibility == "couple":
            return [f"couple:{self.couple_id}"]
        return [f"couple:{self.couple_id}", f"dashboard:{self.couple_id}"]

    @classmethod
    def from_row(cls, row: dict) -> "Event":
        return cls(
            id=row["id"], couple_id=row["couple_id"], type=row["type"], actor_id=row["actor_id"],
            visibility=row["visibility"], audience_id=row["audience_id"],
            payload=json.loads(row["payload"]), created_at=row["created_at"],
        )


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def emit(db, type: str, couple_id: int, payload: dict | None = None, *, visibility: str,
         actor_id: int | None = None, audience_id: int | None = None) -> Event:
    """Record an event in the open transaction; it goes live after the commit.

    Must be called inside ``db.atomic()``, next to the change it describes.
    A ``private`` event needs the ``audience_id`` of the one member it is for.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("emit() must be called inside db.atomic(), with the change it describes")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    if (visibility == "private") != (audience_id is not None):
        raise ValueError("a private event needs exactly one audience_id; other events take none")
    row = {
        "couple_id": couple_id, "type": type, "actor_id": actor_id, "visibility": visibility,
        "audience_id": audience_id, "payload": json.dumps(payload or {}, separators=(",", ":")),
        "created_at": now_iso(),
    }
    row["id"] = db["events"].insert(row).last_pk
    event = Event.from_row(row)
    db.pending_events.append(event)
    return event
