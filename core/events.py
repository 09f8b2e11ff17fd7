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

Event ids are the cursor of ``GET /api/v1/events?after=<id>``, so everyone
sees them. Counted 1, 2, 3, ... they would leak: the partner who sees 41 and
43 knows event 42 exists and is hidden from them - the other partner did
something private, just then. So an id is the time of the event in
microseconds since 1970 (see :func:`next_event_id`): ids still only grow,
and a gap between two of them measures time, not hidden events.

Every type is declared before it is emitted: the core and each plugin list
theirs through the ``hearthside_event_types`` hook as :class:`EventType` (name,
the visibilities it may have, one line saying what happened), the plugin
manager checks them at load (:class:`EventTypes`), and :func:`emit` refuses a
type nobody declared, or a visibility its declaration does not allow. A
private type can so never go out to the couple by a slip of a keyword, and
docs/hooks.md lists every type the app can send.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from .clock import utc_now

VISIBILITIES = ("private", "couple", "dashboard")
CORE = "core"  # the plugin name the core declares its own types under
# When the clock is behind the newest id (it jumped back), the first id after
# it steps on by a random amount up to this (microseconds); see next_event_id.
RANDOM_STEP_US = 1_000_000


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
        """The JSON shape of ``GET /api/v1/events`` and of the live ``event`` message.

        Written out rather than ``dataclasses.asdict``, whose deep copy of the
        payload was most of the time of an events page (benchmarks/README.md).
        """
        return {"id": self.id, "couple_id": self.couple_id, "type": self.type, "actor_id": self.actor_id,
                "visibility": self.visibility, "audience_id": self.audience_id, "payload": self.payload,
                "created_at": self.created_at}

    def as_wall_dict(self) -> dict[str, Any]:
        """The shape a dashboard device gets: the same, but never who did it.

        The wall is a screen in the room, seen by guests and children; "who
        paused" is for the partners' phones, not for the living room.
        """
        return {**self.as_dict(), "actor_id": None}

    def rooms(self) -> list[str]:
        """The live-stream rooms this event may be delivered to, and no others."""
        if self.visibility == "private":
            return [f"member:{self.audience_id}"]
        if self.visibility == "couple":
            return [f"couple:{self.couple_id}"]
        return [f"couple:{self.couple_id}", self.wall_room()]

    def wall_room(self) -> str | None:
        """The dashboard devices' room, for ``dashboard`` events only (they get :meth:`as_wall_dict`)."""
        return f"dashboard:{self.couple_id}" if self.visibility == "dashboard" else None

    @classmethod
    def from_row(cls, row: dict) -> "Event":
        return cls(
            id=row["id"], couple_id=row["couple_id"], type=row["type"], actor_id=row["actor_id"],
            visibility=row["visibility"], audience_id=row["audience_id"],
            payload=json.loads(row["payload"]), created_at=row["created_at"],
        )


@dataclass(frozen=True)
class EventType:
    """One event type a plugin (or the core) emits, as declared through ``hearthside_event_types``.

    ``name`` is ``<plugin>.<what>``; ``visibility`` is the one visibility it is
    emitted with, or a tuple of the ones it may have; ``description`` is one
    line saying what happened, shown in docs/hooks.md.
    """

    name: str
    visibility: str | tuple[str, ...]
    description: str

    @property
    def visibilities(self) -> tuple[str, ...]:
        return (self.visibility,) if isinstance(self.visibility, str) else tuple(self.visibility)


class UndeclaredEventType(LookupError):
    """:func:`emit` was given a type nobody declared, or a visibility its declaration does not allow.

    A programming error in the emitting code, never a member's: raised, not answered.
    """


class EventTypes:
    """The event types an app may emit, each with the plugin that declared it.

    Filled by the plugin manager at load; :meth:`declare` answers why a
    declaration is refused. The rule: a plugin's types are named
    ``<plugin>.<what>``; the core's are its own families (``pause.``,
    ``consent.``, ...), which no plugin may add to; a type is declared once.
    """

    def __init__(self):
        self.declared: dict[str, tuple[str, EventType]] = {}

    def declare(self, plugin: str, event_type: Any) -> str | None:
        """Add one type for ``plugin``; return why it is refused instead, or None."""
        if not isinstance(event_type, EventType):
            return f"declares {event_type!r}, which is not an EventType"
        name = event_type.name
        unknown = [v for v in event_type.visibilities if v not in VISIBILITIES]
        if not event_type.visibilities or unknown:
            return f"declares the event type {name!r} with visibility {event_type.visibility!r}; " \
                   f"a visibility is one of {', '.join(VISIBILITIES)}"
        if name in self.declared:
            owner = self.declared[name][0]
            who = "the core" if owner == CORE else f"the plugin {owner!r}"
            return f"declares the event type {name!r}, which {who} already declared"
        family = name.split(".", 1)[0]
        if plugin != CORE and (not name.startswith(f"{plugin}.") or family in self.core_families()):
            return f"declares the event type {name!r}, outside its own names: a plugin's event types are " \
                   f"named {plugin}.<what>"
        self.declared[name] = (plugin, event_type)
        return None

    def core_families(self) -> set[str]:
        return {name.split(".", 1)[0] for name, (owner, _) in self.declared.items() if owner == CORE}

    def forget(self, plugin: str) -> None:
        """Drop a plugin's types (it failed): nothing may emit them any more."""
        self.declared = {name: entry for name, entry in self.declared.items() if entry[0] != plugin}

    def check(self, type: str, visibility: str) -> None:
        """Raise :class:`UndeclaredEventType` unless ``type`` is declared with ``visibility``."""
        entry = self.declared.get(type)
        if entry is None:
            raise UndeclaredEventType(f"the event type {type!r} was never declared: declare it, with its "
                                      "visibility and a description, through the hearthside_event_types hook "
                                      "of the plugin that emits it (docs/hooks.md)")
        if visibility not in entry[1].visibilities:
            raise UndeclaredEventType(f"the event type {type!r} is declared {', '.join(entry[1].visibilities)}, "
                                      f"not {visibility}: emit it as declared or change its declaration")

    def __iter__(self):
        """``(plugin, EventType)`` for every declared type, in declaration order."""
        return iter(self.declared.values())


def now_iso() -> str:
    """Now for an event's ``created_at``: the one clock (a test's clock moves it too)."""
    return utc_now().isoformat(timespec="milliseconds")


def emit(db, type: str, couple_id: int, payload: dict | None = None, *, visibility: str,
         actor_id: int | None = None, audience_id: int | None = None) -> Event:
    """Record an event in the open transaction; it goes live after the commit.

    Must be called inside ``db.atomic()``, next to the change it describes.
    A ``private`` event needs the ``audience_id`` of the one member it is for.
    The type must be declared with this visibility (:class:`EventTypes`); a
    database opened outside an app has no declared types and emits none.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("emit() must be called inside db.atomic(), with the change it describes")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    if (visibility == "private") != (audience_id is not None):
        raise ValueError("a private event needs exactly one audience_id; other events take none")
    if db.event_types is None:
        raise UndeclaredEventType(f"the event type {type!r} cannot be emitted here: this database was opened "
                                  "outside an app, so no event type is declared on it")
    db.event_types.check(type, visibility)
    row = {
        "id": next_event_id(db),
        "couple_id": couple_id, "type": type, "actor_id": actor_id, "visibility": visibility,
        "audience_id": audience_id, "payload": json.dumps(payload or {}, separators=(",", ":")),
        "created_at": now_iso(),
    }
    # Plain SQL, not db["events"].insert(): sqlite-utils would look the schema
    # up first on every event (benchmarks/README.md, live path).
    db.execute("INSERT INTO events (id, couple_id, type, actor_id, visibility, audience_id, payload, created_at) "
               "VALUES (:id, :couple_id, :type, :actor_id, :visibility, :audience_id, :payload, :created_at)", row)
    event = Event.from_row(row)
    db.pending_events.append(event)
    return event


class _Steady:
    """The last id this process gave out, and the monotonic time it did so."""

    lock = threading.Lock()
    last_id = 0
    at_us = 0


def next_event_id(db) -> int:
    """The id for a new event: now in microseconds, and always above the newest id.

    Normally that is simply the wall clock. If the clock is behind the newest
    id (a Raspberry Pi has no real-time clock and may boot with an old time),
    ids go on at the pace of the monotonic clock from the last id this
    process gave out - so a gap still measures time - or, for the first
    event after a start, by a random step. Never ``newest + 1``: consecutive
    ids would tell a viewer that nothing was hidden in between, and so, by
    contrast, when something was. Runs inside the write transaction (BEGIN
    IMMEDIATE), so no other writer can take the same id.
    """
    newest = db.execute("SELECT max(id) FROM events").fetchone()[0] or 0
    now_us, steady_us = time.time_ns() // 1000, time.monotonic_ns() // 1000
    with _Steady.lock:
        if now_us > newest:
            candidate = now_us
        elif _Steady.last_id == newest:
            candidate = newest + max(1, steady_us - _Steady.at_us)
        else:
            candidate = newest + 1 + secrets.randbelow(RANDOM_STEP_US)
        _Steady.last_id, _Steady.at_us = candidate, steady_us
    return candidate
