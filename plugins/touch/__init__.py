"""Touch: a no-pressure ladder back to physical closeness, for both partners.

After a betrayal, touch can feel like a minefield. This plugin supports a
practice close to sensate-focus therapy: small steps with no expectation of
sex, where either partner can slow down or stop at any moment without
explaining, and moving forward happens only when both are ready.

* **The ladder**: seven default phases, from being close and holding hands to
  slow sexual reconnection, each with plain "in" and "out" lists and a short
  practice suggestion. The couple edits it only by a proposal that everyone
  accepts; every version is kept.
* **Private ceilings, shared plan**: each member privately sets the highest
  phase they are open to now. Tonight's plan is the lowest ceiling, capped at
  the highest unlocked phase, and never says whose ceiling set it.
* **Forward together, back alone**: the next phase unlocks only when every
  member has privately said "ready" after enough practice sessions
  (``sessions_before_ready``, default 3); the votes are revealed only as the
  unlock. Anyone can step back with one tap, no reason, at once.
* **Sessions and the traffic light**: sessions are planned (also on the
  rituals calendar, through the ``hearthside_calendar_entry`` hook, when a
  calendar plugin implements it), started and ended. During one, each phone
  shows green / yellow / red; yellow shows on the partner's phone at once, red
  (or the safeword "pause") ends the session and starts the core pause
  everywhere. A pause started any other way ends the session too.
* **Reflections**: private 1-5 ratings of safety and comfort, with a private
  note; shared only as counts while ``touch.share_reflections`` is on.
* **The wall**: one card with tonight's phase name and nothing else, only
  while ``dashboard.touch`` is on (a server may choose a more discreet card,
  "A quiet evening planned" on an evening with a session, with
  ``wall_shows_phase_name: false``).

Consent scopes: ``touch.share_reflections`` (mutual) and ``dashboard.touch``
(mutual). Tables ``touch_*``; events ``touch.*``. See docs/plugins/touch.md.
"""

from __future__ import annotations

from hearthside.plugin_api import NavItem, Scope, Setting, hookimpl, layout

from . import model, sessions, wall

__version__ = "1.0.0"
HEARTHSIDE_API = ">=1.6,<2"  # the plugin API versions this plugin works with (1.6: event_types.toml; docs/hooks.md, "Versions")


@hookimpl
def hearthside_config_schema():
    return {
        "sessions_before_ready": Setting("int", 3, "Practice sessions at a phase before either of you can say "
                                                   "\"ready\" for the next one.", 1, 50),
        "red_pause_minutes": Setting("int", 20, "How long the pause lasts that a red light starts.", 1, 1440),
        "max_session_minutes": Setting("int", 240, "A session nobody ended counts as over after this long.",
                                       30, 1440),
        "calendar_title": Setting("str", "Time together", "The discreet title planned sessions get on the "
                                                          "rituals calendar (and so in phone calendar apps)."),
        "wall_shows_phase_name": Setting("bool", True, "The wall card shows tonight's phase name (off: it only "
                                                       "says a quiet evening is planned, on an evening with a "
                                                       "session)."),
    }


# The one layout's standard hooks, written once in hearthside.plugin_api.layout (docs/hooks.md).
hearthside_migrations = layout.migrations(__name__)
hearthside_blueprints = layout.blueprints(__name__)


@hookimpl
def hearthside_nav_items(hs, member):
    return [NavItem("Closeness", "touch_pages.index", order=40)]


@hookimpl
def hearthside_consent_scopes(hs):
    return [
        Scope(model.REFLECTIONS_SCOPE, "Share how our touch sessions felt, as counts for both of us (\"both felt "
                                       "safe in 4 of the last 5\"). Ratings and notes themselves stay private"),
        Scope(model.DASHBOARD_SCOPE, wall.scope_description(hs)),
    ]


@hookimpl
def hearthside_dashboard_cards(hs, db, couple_id):
    return wall.dashboard_cards(hs, db, couple_id)


@hookimpl
def hearthside_event(hs, db, event):
    if event.type == "pause.started":
        sessions.on_pause_started(hs, db, event.couple_id)


hearthside_export = layout.export(__name__)
hearthside_forget = layout.forget(__name__)


hearthside_event_types = layout.event_types(__name__)
