"""Rituals: the couple's calendar of check-ins, dates, reviews and therapy.

For couples rebuilding trust, reliable rhythms carry a lot: a weekly check-in
(appreciations, what went well, what was hard, boundaries, one need for the
week), a date night, a quiet morning ritual, a monthly review of the written
agreement, therapy sessions and their homework. This plugin keeps them easy to
keep and kind to miss:

* rituals from templates, repeating by an RFC 5545 RRULE in the couple's time
  zone (correct across daylight-saving changes); single occurrences can be
  moved or let go without touching the series;
* each member's own reminders (e.g. a day and half an hour before), private to
  them, held during their quiet hours, sent once, and after downtime summed up
  in one "while I was off" note instead of a late flood;
* check-in answers that stay private until every participant has submitted,
  then are revealed to all participants together;
* kind counts ("9 of the last 12 weekly check-ins") and a plain rating trend,
  never streaks;
* phone pages, a wall-screen card, and a secret per-member calendar feed (.ics);
* the couple's calendar for other plugins too: plans they announce through
  ``hearthside_calendar_entry`` (the touch plugin's sessions) become one-off
  entries with reminders and a place in the feed.

Consent scopes (see the Consent page):

* ``rituals.checkin_reveal`` - every member must grant it before anyone can
  read the others' check-in answers (checked on every read);
* ``dashboard.rituals`` - today's and the next ritual (titles and times only)
  on the shared wall screen.
"""

from __future__ import annotations

from datetime import timedelta

from hearthside.plugin_api import NavItem, ScheduledJob, Scope, Setting, hookimpl, layout, utc_now

__version__ = "1.0.0"
HEARTHSIDE_API = ">=1.6,<2"  # the plugin API versions this plugin works with (1.6: event_types.toml; docs/hooks.md, "Versions")

# For the privacy matrix (hearthside.testing, docs/plugins/testing.md): a check-in the
# partner answered stays sealed to a member who did not, whatever else they do to it.
SEALED_ANSWERS = [{
    "name": "rituals check-in",
    "scopes": ["rituals.checkin_reveal", "dashboard.rituals"],
    "create": ["POST", "/api/v1/rituals", {"template": "checkin", "start": "2024-03-03T19:00"}],
    "answer": ["PUT", "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/checkin", {"answers": {"hard": "{text}", "rating": 3}}],
    "reads": ["/api/v1/rituals/{id}/occurrences/2024-03-03T19:00",
              "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/checkin",
              "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/checkin/reveal",
              "/api/v1/rituals/{id}/trend",
              "/api/v1/rituals/{id}/trend.svg",
              "/api/v1/rituals/occurrences?from=2024-03-02&to=2024-03-04"],
    "moves": [["PATCH", "/api/v1/rituals/{id}", {"participants": ["{partner}"]}],
              ["PATCH", "/api/v1/rituals/{id}", {"participants": ["{me}"]}],
              ["PATCH", "/api/v1/rituals/{id}", {"participants": ["{me}", "{partner}"]}],
              ["PUT", "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/status", {"status": "done"}],
              ["PUT", "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/status", {"status": "upcoming"}],
              ["PUT", "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/move", {"start": "2024-03-04T19:00"}],
              ["DELETE", "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/move"]],
}]


@hookimpl
def hearthside_config_schema():
    return {
        "default_reminders": Setting(
            "str", "1440,30", "Reminders a participant gets unless they choose their own: minutes before the "
                              "start, comma-separated (1440 = a day before)."),
        "reminder_grace_minutes": Setting(
            "int", 10, "A reminder this many minutes late (the server was off) is not sent late; it goes into one "
                       "'while I was off' summary instead.", 1, 180),
        "progress_window": Setting(
            "int", 12, "How many recent occurrences the kind counts look back on (\"9 of the last 12\").", 3, 52),
    }


# The one layout's standard hooks, written once in hearthside.plugin_api.layout (docs/hooks.md).
hearthside_migrations = layout.migrations(__name__)
hearthside_blueprints = layout.blueprints(__name__)


@hookimpl
def hearthside_consent_scopes(hs):
    return [
        Scope("rituals.checkin_reveal",
              "Show our check-in answers to each other, once everyone has answered"),
        Scope("dashboard.rituals", "Show today's and the next ritual (titles and times) on the wall screen"),
    ]


@hookimpl
def hearthside_nav_items(hs, member):
    return [NavItem("Rituals", "rituals_pages.index", order=20)]


@hookimpl
def hearthside_dashboard_cards(hs, db, couple_id):
    from .dashboard import card

    shown = card(db, couple_id, utc_now())
    return [shown] if shown else []


@hookimpl
def hearthside_scheduled_jobs(hs):
    from .reminders import JOB_ID, run_job

    return [ScheduledJob(JOB_ID, run_job, every=timedelta(minutes=1))]


@hookimpl
def hearthside_calendar_entry(hs, db, couple_id, entry):
    from .entries import keep

    return keep(db, couple_id, entry)


@hookimpl
def hearthside_notifications(hs, db, event):
    from . import notices

    return notices.for_event(db, event)


hearthside_export = layout.export(__name__)
hearthside_forget = layout.forget(__name__)


hearthside_event_types = layout.event_types(__name__)
