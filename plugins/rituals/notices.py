"""What the rituals tell members on their phones (``hearthside_notifications``).

The core decides whether and how each member is told (their choices, quiet
hours, content-free unless they chose detailed notifications); this module
only says who an event concerns and the sentence a detailed notification shows:

* ``rituals.reminder`` and ``rituals.missed_summary`` (private) - a reminder,
  for the one member it was made for;
* ``rituals.checkin_revealed`` (couple) - the check-in's participants but the
  one whose answer completed it (they just saw it), with its summary, which
  names the ritual and when, never an answer.
"""

from __future__ import annotations

from hearthside.plugin_api import NotFound, Notification

from .model import find_occurrence, get_ritual, occurrence_participants

REMINDERS = ("rituals.reminder", "rituals.missed_summary")


def for_event(db, event) -> list[Notification]:
    if event.type in REMINDERS:
        link = f"/rituals/{event.payload['ritual_id']}" if "ritual_id" in event.payload else "/rituals"
        return [Notification("reminders", (event.audience_id,), event.payload["summary"], link)]
    if event.type == "rituals.checkin_revealed":
        try:
            ritual = get_ritual(db, event.couple_id, event.payload["ritual_id"])
        except NotFound:  # forgotten since: nobody to tell about it
            return []
        key = event.payload["key"]
        told = [member for member in occurrence_participants(ritual, find_occurrence(db, ritual, key))
                if member != event.actor_id]
        return [Notification("checkins", tuple(told), event.payload["summary"],
                             f"/rituals/{ritual.id}/occurrences/{key}")]
    return []
