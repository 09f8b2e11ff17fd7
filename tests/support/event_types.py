"""The event types this repository's tests emit of their own, declared as a plugin named ``test``.

:func:`hearthside.events.emit` refuses a type nobody declared, so a test that
emits one registers this module (``make_app(extra_plugins=PLUGIN)``, or the
``hearthside_plugins`` fixture of its file) or, for a database opened without
an app, opens it with :func:`declared` (``Storage(..., event_types=declared())``).
"""

from __future__ import annotations

import sys

from hearthside.events import EventType, EventTypes
from hearthside.hookspecs import hookimpl

HEARTHSIDE_API = ">=1.2,<2"
NAME = "test"
ANY = ("private", "couple", "dashboard")

TYPES = [
    EventType("test.note_added", ANY, "A note, emitted with whichever visibility the test checks."),
    EventType("test.note_shared", "couple", "A shared note."),
    EventType("test.note_reminder", "private", "A reminder for one member."),
    EventType("test.journal_saved", "private", "A private journal entry holding a secret text."),
    EventType("test.acknowledged", "couple", "A reaction emitted from hearthside_event."),
    EventType("test.started", ANY, "Something started (the test's own pause)."),
    EventType("test.ritual_done", "couple", "A change kept by its savepoint."),
    EventType("test.ritual_undone", "couple", "A change rolled back with its savepoint."),
    EventType("test.child_added", "couple", "A change whose commit fails."),
    EventType("test.couple", "couple", "An event for the couple (paging)."),
    EventType("test.private", "private", "An event for one member (paging)."),
    EventType("test.other", "dashboard", "An event of another couple (paging)."),
    EventType("test.dashboard", "dashboard", "An event for the wall (paging)."),
    EventType("test.private_note", "private", "A private event written straight into a data folder."),
    EventType("test.before_backup", "couple", "Written before a backup."),
    EventType("test.after_backup", "couple", "Written after a backup."),
    EventType("test.card_updated", "dashboard", "A wall card changed."),
    EventType("test.x_happened", ANY, "Something happened, with whichever visibility the test checks."),
]


@hookimpl
def hearthside_event_types():
    return TYPES


PLUGIN = {NAME: sys.modules[__name__]}


def declared() -> EventTypes:
    """The test types, for a database opened without an app."""
    types = EventTypes()
    for event_type in TYPES:
        types.declare(NAME, event_type)
    return types
