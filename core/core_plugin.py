"""The core registers its own tables and routes as a plugin, like any other.

It is listed in the ``hearthside.plugins`` entry-point group under the name
``core`` and cannot be disabled.
"""

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


@hookimpl
def hearthside_event_types():
    from .events import EventType

    return [
        EventType("member.joined", "couple", "A member joined the couple through an invite."),
        EventType("member.forgotten", "private", "The member's data was forgotten (\"forget me\")."),
        EventType("invite.revoked", "couple", "A member revoked an unused invite."),
        EventType("tokens.revoked", "private", "The member signed out other sessions or devices of theirs."),
        EventType("device.created", "couple", "A member added a wall screen, waiting to be paired."),
        EventType("device.paired", "couple", "A wall screen was paired with its code."),
        EventType("device.revoked", "couple", "A member revoked a wall screen."),
        EventType("pause.started", "dashboard", "A member started a pause, shown on every device."),
        EventType("pause.ended", "dashboard", "The pause ended, by hand or when its time was up."),
        EventType("consent.changed", "couple", "A member granted or withdrew a consent scope, or was asked again."),
        EventType("consent.activated", ("couple", "dashboard"),
                  "A scope became active (dashboard for a wall scope, couple otherwise)."),
        EventType("consent.revoked", ("couple", "dashboard"),
                  "A scope stopped being active (dashboard for a wall scope, couple otherwise)."),
        EventType("backup.failed", "private", "The scheduled backup failed; told to the admin."),
        EventType("backup.downloaded", "couple", "The admin downloaded a backup bundle, with both members' consent."),
        EventType("privacy_matrix.before_pairing", "dashboard",
                  "Emitted only by the plugin test kit's privacy matrix, to check a wall paired late."),
    ]


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
