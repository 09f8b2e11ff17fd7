"""The wall card: at most one calm line about tonight, never who set what.

Read-only: the core asks for it only while ``dashboard.touch`` is active.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hearthside.plugin_api import DashboardCard, get_couple, utc_now

from . import model, sessions


def scope_description(hs) -> str:
    """What ``dashboard.touch`` asks both to agree to: it depends on what the card shows."""
    if sessions.settings(hs).get("wall_shows_phase_name"):
        return "Show the name of tonight's touch phase on the wall screen (only the name: nothing about sessions"\
               " or either of us)"
    return "Show on the wall screen when a quiet evening together is planned (nothing more)"


def dashboard_cards(hs, db, couple_id: int) -> list[DashboardCard]:
    """At most one calm card. Read-only; the core asks only while ``dashboard.touch`` is on.

    By default it is tonight's phase name and nothing else (the plan both
    phones show, which never says whose ceiling set it). With
    ``wall_shows_phase_name`` off it is more discreet still: it only says a
    quiet evening is planned (or under way), on an evening with a session.
    Never ceilings, votes, signals or reflections.
    """
    if sessions.settings(hs)["wall_shows_phase_name"]:
        return [DashboardCard("touch.tonight", "Tonight", text=model.plan(db, couple_id)["name"])]
    return _discreet_card(hs, db, couple_id)


def _discreet_card(hs, db, couple_id: int) -> list[DashboardCard]:
    """"A quiet evening planned / together" on an evening with a session; else no card."""
    row = sessions.running_row(db, couple_id)
    now = utc_now()
    if row is not None and sessions.overdue(hs, row, now) is not None:
        row = None
    if row is not None:
        text = "A quiet evening together"
    else:
        soon = [r["planned_for"] for r in db.query(
            "SELECT planned_for FROM touch_sessions WHERE couple_id = ? AND status = 'planned' AND planned_for "
            "BETWEEN ? AND ?", [couple_id, sessions.iso(now - timedelta(days=1)),
                                  sessions.iso(now + timedelta(days=1))])]
        if not soon:  # checked first: nothing planned means nothing to look up
            return []
        zone = ZoneInfo(get_couple(db, couple_id)["time_zone"])
        today = now.astimezone(zone).date()
        if not any(datetime.fromisoformat(when).astimezone(zone).date() == today for when in soon):
            return []
        text = "A quiet evening planned"
    return [DashboardCard("touch.tonight", "This evening", text=text)]
