"""A test plugin that offers one dashboard card, to prove cards follow consent.

Registered as ``testcards`` - through ``launch.py`` (a real server process, which
names a plugin after its module) or ``extra_plugins={"testcards": testcards}``.
"""

from hearthside.consent import Scope
from hearthside.hookspecs import hookimpl


@hookimpl
def hearthside_consent_scopes(hs):
    return [Scope("dashboard.testcards", "Show the test card on the wall screen.")]


@hookimpl
def hearthside_dashboard_cards(hs, db, couple_id):
    return [{"id": "hello", "title": "A calm test card", "body": {"text": "Shown only while both agree."}}]
