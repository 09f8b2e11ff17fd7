"""Gratitude jar: small appreciations, one drawn on the wall each evening.

A third-party Hearthside plugin, built only with the public plugin API
(``hearthside.plugin_api`` and the hooks in ``hearthside.hookspecs``); it is
the example that ``docs/plugins/tutorial.md`` builds step by step.

For the couple: each partner drops short appreciations into a shared jar
("You made tea without being asked"). A note is private to whoever wrote it
while it waits: the partner cannot read it, count it or hear about it. Each
evening, from ``draw_hour`` in the couple's time zone, one note is drawn at
random, shown on the wall screen and readable by both - but only while both
partners consent to ``dashboard.gratitude_jar``. Either can turn that off at
any moment: the card leaves the wall at once, drawn notes stop being shared,
and no more are drawn. The author can take any note back, drawn or not.

Consent scope: ``dashboard.gratitude_jar`` (mutual). Tables
``gratitude_jar_*``; events ``gratitude_jar.*``; setting ``draw_hour``.
"""

from __future__ import annotations

from datetime import timedelta

from hearthside.plugin_api import NavItem, ScheduledJob, Scope, Setting, hookimpl, layout

from . import model

__version__ = "1.0.0"
HEARTHSIDE_API = ">=1.6,<2"  # the plugin API versions this plugin works with (1.6: event_types.toml; docs/hooks.md, "Versions")


@hookimpl
def hearthside_config_schema():
    return {"draw_hour": Setting("int", 20, "From this hour (your couple's time zone) one appreciation is "
                                            "drawn from the jar each evening.", 0, 23)}


# The one layout's standard hooks, written once in hearthside.plugin_api.layout (docs/hooks.md).
hearthside_migrations = layout.migrations(__name__)
hearthside_blueprints = layout.blueprints(__name__)


@hookimpl
def hearthside_nav_items(hs, member):
    return [NavItem("Gratitude jar", "gratitude_jar_pages.index", order=45)]


@hookimpl
def hearthside_consent_scopes(hs):
    return [Scope(model.SCOPE, "Each evening, draw one appreciation from the gratitude jar and show it on the wall "
                             "screen and to both of us. Until it is drawn, a note stays private to whoever wrote it")]


@hookimpl
def hearthside_dashboard_cards(hs, db, couple_id):
    return model.dashboard_cards(db, couple_id)


@hookimpl
def hearthside_scheduled_jobs(hs):
    # Every 10 minutes rather than a cron time: couples may live in different time zones,
    # and a Pi that was off at draw time still draws once it is back the same evening.
    return [ScheduledJob("gratitude_jar.evening_draw", model.draw_evening, every=timedelta(minutes=10))]


hearthside_export = layout.export(__name__)
hearthside_forget = layout.forget(__name__)


hearthside_event_types = layout.event_types(__name__)
