"""``GET /api/v1/events?after=<id>&limit=<n>``: catching up on what happened.

The same JSON as the live ``event`` message, oldest first, filtered by what
the caller may see: a member sees their couple's ``couple`` and ``dashboard``
events and the ``private`` ones addressed to them; a wall device only the
``dashboard`` ones written since it was paired (an ``after`` older than its
pairing reads from the pairing on).

Each visibility is read as its own ordered index range, at most ``limit``
rows each, then merged: the cost of a page stays the same however many
events the caller may not see lie between ``after`` and the next page (a
partner's private journal, say). One ``OR`` over the ``(couple_id, id)``
index had to read all of those; with a million events a page took tens of
milliseconds (benchmarks/README.md).
"""

from __future__ import annotations

from flask import jsonify

from hearthside import devices
from hearthside.declare import Query, Whole, answer, declare, obj, ref
from hearthside.inputs import SQLITE_MAX_INTEGER
from hearthside.request_context import get_db
from hearthside.auth import require
from hearthside.events import Event

from . import api

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_EVENT_ID = SQLITE_MAX_INTEGER

# ?1 couple, ?2 after, ?3 member, ?4 limit. The private range walks the
# (audience_id, id) index; "+couple_id" keeps the couple check without letting
# SQLite pick the couple's index for it instead.
MEMBER_PAGE = """
    SELECT * FROM (SELECT * FROM events WHERE couple_id = ?1 AND visibility = 'couple' AND id > ?2
                   ORDER BY id LIMIT ?4)
    UNION ALL
    SELECT * FROM (SELECT * FROM events WHERE couple_id = ?1 AND visibility = 'dashboard' AND id > ?2
                   ORDER BY id LIMIT ?4)
    UNION ALL
    SELECT * FROM (SELECT * FROM events WHERE audience_id = ?3 AND id > ?2 AND visibility = 'private'
                   AND +couple_id = ?1 ORDER BY id LIMIT ?4)
    ORDER BY id LIMIT ?4"""
WALL_PAGE = ("SELECT * FROM events WHERE couple_id = ? AND visibility = 'dashboard' AND id > ? "
             "ORDER BY id LIMIT ?")


class EventsPage(Query):
    after: Whole(0, MAX_EVENT_ID, description="The id of the last event you have",
                 says="the id of the last event you have (a whole number, 0 or more)") = 0
    limit: Whole(1, MAX_LIMIT) = DEFAULT_LIMIT


@api.get("/events")
@require(device=True)
@declare("Events the caller may see, oldest first, after an id (a wall: from its pairing on)", query=EventsPage,
         tags=["events"], responses={"200": answer("Events", obj({"events": {"type": "array", "items": ref("Event")}},
                                                                 ["events"]))})
def list_events(principal, query: EventsPage):
    after, limit = query.after, query.limit
    if principal.is_member:
        rows = get_db().query(MEMBER_PAGE, [principal.couple_id, after, principal.member_id, limit])
        return jsonify({"events": [Event.from_row(row).as_dict() for row in rows]})
    db = get_db()
    rows = db.query(WALL_PAGE, [principal.couple_id, max(after, devices.events_from(db, principal.device_id)), limit])
    return jsonify({"events": [Event.from_row(row).as_wall_dict() for row in rows]})
