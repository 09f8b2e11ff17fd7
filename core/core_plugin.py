"""The core registers its own tables and routes as a plugin, like any other.

It is listed in the ``hearthside.plugins`` entry-point group under the name
``core`` and cannot be disabled.
"""

from . import layout
from .hookspecs import hookimpl


@hookimpl
def hearthside_migrations():
    from .migrations import migrations

    return migrations


@hookimpl
def hearthside_blueprints(hs):
    from hearthside.web.api import api
    from hearthside.web.app_shell import app_shell
    from hearthside.web.pages import pages
    from hearthside.web.trust import trust

    return [api, pages, trust, app_shell]


@hookimpl
def hearthside_nav_items(hs, member):
    from hearthside.web.pages import core_nav_items

    return core_nav_items(member)


@hookimpl
def hearthside_backup_files(hs):
    from .keys import KEY_FILE
    from .webpush import VAPID_KEY_FILE

    # Restored with the database: browser sessions stay valid, phones' push subscriptions keep working.
    return [KEY_FILE, VAPID_KEY_FILE]


@hookimpl
def hearthside_scheduled_jobs(hs):
    from .backup_schedule import scheduled_jobs
    from .tls import renewal_jobs

    return scheduled_jobs(hs) + renewal_jobs(hs)


hearthside_event_types = layout.event_types(__name__)  # core/event_types.toml


@hookimpl
def hearthside_event(hs, db, event):
    """Queue the notifications the event causes; a failure there is logged and never stops the event."""
    import logging

    from .errors import log_exception
    from .notify_send import on_event

    try:
        on_event(hs, db, event)
    except Exception as exc:
        log_exception(logging.getLogger("hearthside.notify_send"), exc, "Queueing notifications failed")


@hookimpl
def hearthside_notifications(hs, db, event):
    """A pause starting or ending tells the members who did not do it (a pause that ran out: both)."""
    from .accounts import couple_members
    from .hook_types import Notification

    if event.type not in ("pause.started", "pause.ended"):
        return []
    others = tuple(m["id"] for m in couple_members(db, event.couple_id) if m["id"] != event.actor_id)
    detail = "A pause has started: take the time you need." if event.type == "pause.started" \
        else "The pause is over; come back when you are ready."
    return [Notification("pause", others, detail, "/")]
