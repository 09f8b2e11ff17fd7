"""What a request reaches for: the running :class:`~hearthside.app.Hearthside` and its database.

Kept apart from the app factory so that every module a request runs through
(auth, consent, live, the web pages, plugins) can import these two accessors
at the top without importing the factory, which in turn imports them all:
the dependency points one way, from :mod:`hearthside.app` down to here.
Plugins get both names from :mod:`hearthside.plugin_api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g, has_app_context

if TYPE_CHECKING:  # the factory imports this module; the name is only for the annotation
    from .app import Hearthside
    from .storage import Database


def current_hs() -> Hearthside:
    """The runtime of the app handling the current request."""
    return current_app.extensions["hearthside"]


def get_db() -> Database:
    """The request's own database connection, borrowed from the pool on first use, given back at teardown."""
    if "hearthside_db" not in g:
        g.hearthside_db = current_hs().storage.borrow()
    return g.hearthside_db


def opened_db() -> Database | None:
    """The request's connection if one is open here (in an app context), without opening one."""
    return g.get("hearthside_db") if has_app_context() else None


def close_db(_exc: BaseException | None = None) -> None:
    """Give the request's connection back, if it took one (registered as an app-context teardown)."""
    db = g.pop("hearthside_db", None)
    if db is not None:
        current_hs().storage.give_back(db)


def abandon_db() -> None:
    """A time-boxed call overran and may still use this request's connection: close it at teardown, never lend it."""
    if has_app_context() and "hearthside_db" in g:
        g.hearthside_db.reusable = False
