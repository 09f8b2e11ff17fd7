"""The yes / no / maybe matcher: only what is mutual, never a one-sided answer.

For each partner alone: a built-in list of about 150 items - affection, touch,
words, sexual activities, settings, digital intimacy, aftercare and
boundaries - answered privately with yes, no or maybe (and an optional note
only its author ever sees). For the couple together: once *both* turn on the
consent scope ``matcher.reveal`` ("ready to compare"), the items where the
lowest answer is yes (``both_yes``) or maybe (``worth_discussing``). An item
anyone said no to - or did not answer - shows up nowhere, and nothing says
who said what.

Consent scopes: ``matcher.reveal`` (every member must grant it; revoking it
hides the results at once on every screen). There is deliberately no
``dashboard.matcher``: the wall screen shows nothing from this plugin, ever.

Also: custom items either partner can add (shown to both without saying who
added them), hiding an item once both agree, a cool-down before a raised
answer counts (``plugins.matcher.raise_cooldown_days``, default 7) so nobody
can probe the other's list by flipping answers, a notice to the partner (and
their confirmation) before results show when one answered yes or maybe to
almost everything (``plugins.matcher.broad_percent``), and encryption at rest of
answers, notes and custom items with a key kept outside the database
(``<data dir>/matcher.key``). Users' guide: docs/plugins/matcher.md.
"""

from __future__ import annotations

from datetime import timedelta

from hearthside.plugin_api import NavItem, ScheduledJob, Scope, Setting, hookimpl, layout

from . import crypto, data, model

__version__ = "1.0.0"
HEARTHSIDE_API = ">=1.6,<2"  # the plugin API versions this plugin works with (1.6: event_types.toml; docs/hooks.md, "Versions")


@hookimpl
def hearthside_config_schema():
    return {
        "raise_cooldown_days": Setting(
            "int", 7, "Days before a raised answer counts, once the two of you have compared "
                      "(lowering counts at once). 0 turns the cool-down off.", 0, 365),
        "broad_percent": Setting(
            "int", 75, "When one of you answers yes or maybe to at least this share of the list (in percent), "
                       "the other is told and must confirm before any results show.", 1, 100),
    }


# The one layout's standard hooks, written once in hearthside.plugin_api.layout (docs/hooks.md).
hearthside_migrations = layout.migrations(__name__)
hearthside_blueprints = layout.blueprints(__name__)


@hookimpl
def hearthside_startup(hs):
    crypto.prepare_key(hs)


@hookimpl
def hearthside_nav_items(hs, member):
    return [NavItem("Yes / no / maybe", "matcher_pages.answer", order=40)]


@hookimpl
def hearthside_backup_files(hs):
    return [crypto.KEY_FILE]  # without it a restored database holds answers nobody can open


@hookimpl
def hearthside_consent_scopes(hs):
    return [Scope(model.REVEAL_SCOPE,
                  "Show both of us the yes/no/maybe items we are both open to (never anyone's one-sided answers). "
                  "If one of us answered yes or maybe to nearly everything, the other is told that first, "
                  "and the results wait until they agree.")]


@hookimpl
def hearthside_scheduled_jobs(hs):
    from .jobs import settle_matured_raises

    return [ScheduledJob("matcher.settle_raises", settle_matured_raises, every=timedelta(minutes=10))]


# Not layout.export / layout.forget: the matcher's need hs, for the answers' key.
@hookimpl
def hearthside_export(hs, db, member_id):
    return data.export(hs, db, member_id)


@hookimpl
def hearthside_forget(hs, db, member_id):
    data.forget(hs, db, member_id)


@hookimpl
def hearthside_notifications(hs, db, event):
    return model.notifications(db, event)


hearthside_event_types = layout.event_types(__name__)
