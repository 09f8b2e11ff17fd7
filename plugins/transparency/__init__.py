"""Transparency log: voluntary, append-only, tamper-evident, reviewed together.

For a couple rebuilding trust after a betrayal: the partner who broke trust
*volunteers* updates - plans, whereabouts, any contact with the affair
partner, things disclosed proactively, boundaries they crossed (self-
reported), notes - answers the hurt partner's questions honestly, and both
review the record together at set times. It is a bridge, not surveillance:
nothing is recorded that a member did not write themselves, no device is
monitored, and the author always sees what is shared and who has read it.

What it offers (each member may do everything; roles are not assumed):

* entries of six kinds with text, when it happened and tags, shown live on
  the partner's phone; read receipts the author sees; replies; unread counts;
* corrections and addenda as new entries that refer to the earlier one -
  there is no update or delete path anywhere (API, UI, or database, where
  triggers refuse it);
* a SHA-256 hash chain per couple, verified on demand
  (``GET /api/v1/transparency/verify``); the page warns when it is broken;
  its head is also kept outside the database, so writes the database lost
  show up too;
* questions that stay visibly open, with their age, until answered, beside
  the couple's ground rules, which change only when both approve;
* time-boxed agreements on what will be shared, signed by both, versioned,
  with a scheduled check that asks both to renew, change or end them;
* reviews together: a frozen summary of everything since the last review,
  marked reviewed by both, with optional notes; a printable period view;
* a wall card with a count only, never text.

Consent scopes:

* ``transparency.share`` (``who="author"``, one-sided): "Share what I write
  in the transparency log with my partner." Writing anything to the log
  needs the writer's own grant; revoking stops new sharing at once, is
  recorded in the log and told to the partner, and never hides what was
  already shared.
* ``dashboard.transparency`` (mutual): the count card on the wall screen.
"""

from __future__ import annotations

from datetime import timedelta

from hearthside.plugin_api import NavItem, ScheduledJob, Scope, Setting, get_db, hookimpl, layout, utc_now

__version__ = "1.0.0"
HEARTHSIDE_API = ">=1.6,<2"  # the plugin API versions this plugin works with (1.4: hearthside_restored; 1.6: event_types.toml; docs/hooks.md, "Versions")


@hookimpl
def hearthside_config_schema():
    return {
        "max_entry_length": Setting("int", 4000, "The longest entry, reply, question or answer, in characters.",
                                    200, 20000),
        "review_check_minutes": Setting("int", 60, "How often to check whether a transparency agreement has "
                                                   "reached its review date, in minutes.", 5, 1440),
    }


# The one layout's standard hooks, written once in hearthside.plugin_api.layout (docs/hooks.md).
hearthside_migrations = layout.migrations(__name__)
hearthside_blueprints = layout.blueprints(__name__)


@hookimpl
def hearthside_consent_scopes(hs):
    from .model import DASHBOARD_SCOPE, SHARE_SCOPE

    return [
        Scope(SHARE_SCOPE, "Share what I write in the transparency log with my partner", who="author"),
        Scope(DASHBOARD_SCOPE, "Show on the wall screen how many transparency entries are new since your last "
                               "review together (a number only, never what was written)."),
    ]


@hookimpl
def hearthside_nav_items(hs, member):
    """The menu entry, with the member's unread count: the phone shows what waits."""
    from flask import has_request_context

    from .model import unread

    known = has_request_context() and member.get("couple_id") and member.get("id")
    count = unread(get_db(), member["couple_id"], member["id"]) if known else 0
    label = f"Transparency ({count})" if count else "Transparency"
    return [NavItem(label, "transparency_pages.log_page", order=30)]


@hookimpl
def hearthside_dashboard_cards(hs, db, couple_id):
    from .card import dashboard_card
    from .model import couple_time_zone

    time_zone = couple_time_zone(db, couple_id)
    return [dashboard_card(db, couple_id, time_zone, utc_now())] if time_zone else []


@hookimpl
def hearthside_event(hs, db, event):
    """Record in the log itself when a member turns their sharing on or off."""
    from .model import SHARE_SCOPE, reconcile_sharing

    if event.type == "consent.changed" and event.payload.get("scope") == SHARE_SCOPE and event.actor_id:
        reconcile_sharing(db, event.couple_id, event.actor_id, utc_now())


@hookimpl
def hearthside_scheduled_jobs(hs):
    from .agreements import review_job
    from .model import PLUGIN

    minutes = hs.config.plugin(PLUGIN).get("review_check_minutes", 60)
    return [ScheduledJob("transparency.agreement_reviews", review_job, every=timedelta(minutes=minutes))]


# Not layout.forget: the tombstones it leaves carry the time.
@hookimpl
def hearthside_forget(hs, db, member_id):
    from . import data

    data.forget(db, member_id, utc_now())


hearthside_export = layout.export(__name__)


@hookimpl
def hearthside_restored(hs, db):
    """A restore put back an older log on purpose: anchor the chain at what it holds, not at what it lost."""
    from . import anchor

    anchor.reset(db)


hearthside_event_types = layout.event_types(__name__)
