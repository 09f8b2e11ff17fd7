"""A consent is agreement to what it showed then: a change that widens it asks again (issue 16, item 7).

``plugins.touch.wall_shows_phase_name`` flipped its default to true in an
upgrade, so couples who had agreed to a discreet wall card found the phase
name on their wall. Each scope's terms (its description, unless pinned) are
remembered; when they change, every grant of the scope is turned off at the
next start and the consent page says why.
"""

from __future__ import annotations

from hearthside.consent import Scope
from hearthside.hookspecs import hookimpl
from hearthside.testing import onboard_couple, pair_device

WALL = "dashboard.touch"
DISCREET = {"plugins.touch.wall_shows_phase_name": False}
PHASE_NAME = {"plugins.touch.wall_shows_phase_name": True}


def scope_of(member, name: str) -> dict:
    return next(scope for scope in member.get("/api/v1/consents").json["scopes"] if scope["scope"] == name)


def agree_in(make_app, flags):
    app = make_app(flags=flags)
    ann, bob = onboard_couple(app.test_client())
    ann.grant(WALL)
    bob.grant(WALL)
    assert scope_of(ann, WALL)["active"] is True
    return ann, bob


def restarted(make_app, flags, member):
    """The same member on an app started again on the same data folder with ``flags``."""
    app = make_app(flags=flags)
    member.client = app.test_client()
    return app


def wall_cards(wall) -> list[dict]:
    return [card for card in wall.get("/api/v1/dashboard").json["cards"] if card.get("plugin") == "touch"]


def test_turning_the_phase_name_on_asks_both_again_and_the_page_says_why(make_app):
    ann, bob = agree_in(make_app, DISCREET)
    wall = pair_device(ann)
    restarted(make_app, PHASE_NAME, ann)
    bob.client = wall.client = ann.client
    scope = scope_of(ann, WALL)
    assert scope["active"] is False and scope["members"] == {str(ann.id): False, str(bob.id): False}
    assert scope["asked_again"] is True and "phase" in scope["description"]
    assert wall_cards(wall) == []  # no phase name on the wall until both agree to that
    history = ann.get("/api/v1/consents/history").json
    assert history["intact"] is True
    assert [row["reason"] for row in history["history"][-2:]] == ["terms_changed", "terms_changed"]
    ann.grant(WALL)
    bob.grant(WALL)
    again = scope_of(ann, WALL)
    assert again["active"] is True and again["asked_again"] is False
    assert len(wall_cards(wall)) == 1


def test_a_restart_with_the_same_terms_keeps_every_grant(make_app):
    ann, _bob = agree_in(make_app, PHASE_NAME)
    restarted(make_app, PHASE_NAME, ann)
    scope = scope_of(ann, WALL)
    assert scope["active"] is True and scope["asked_again"] is False


class Reworded:
    """A plugin whose scope's wording changes between versions."""

    HEARTHSIDE_API = ">=1.0,<2"

    def __init__(self, description: str, terms: str | None):
        self.__name__ = "hearthside_reworded"
        self.scope = Scope("reworded.share", description, terms=terms)

    @hookimpl
    def hearthside_consent_scopes(self, hs):
        return [self.scope]


def test_pinned_terms_let_a_plugin_reword_without_asking_again_and_unpinned_ones_ask(make_app):
    app = make_app(extra_plugins={"reworded": Reworded("Share our notes", terms="notes v1")})
    ann, bob = onboard_couple(app.test_client())
    ann.grant("reworded.share")
    bob.grant("reworded.share")
    ann.client = make_app(extra_plugins={"reworded": Reworded("Share the notes we write", terms="notes v1")}) \
        .test_client()
    assert scope_of(ann, "reworded.share")["active"] is True
    ann.client = make_app(extra_plugins={"reworded": Reworded("Share our notes and photos", terms="notes+photos")}) \
        .test_client()
    assert scope_of(ann, "reworded.share")["active"] is False
    ann.grant("reworded.share")
    ann.client = make_app(extra_plugins={"reworded": Reworded("Share our notes and photos!", terms=None)}) \
        .test_client()
    assert scope_of(ann, "reworded.share")["members"][str(ann.id)] is False  # unpinned: the text is the terms


def test_the_consent_page_carries_the_asked_again_note(make_app):
    ann, _bob = agree_in(make_app, DISCREET)
    app = restarted(make_app, PHASE_NAME, ann)
    browser = app.test_client()
    from hearthside.testing import PASSWORD

    assert browser.post("/api/v1/auth/session", json={"username": "ann", "password": PASSWORD}).status_code == 200
    html = browser.get("/consent").get_data(as_text=True)
    assert "data-asked-again" in html and "has changed since you agreed" in html
