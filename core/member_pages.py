"""The frame of every member page, the core's and plugins': who may see it, its menu, its policy.

:func:`member_page` lets only a signed-in member in (anybody else goes to
``/signin`` or ``/welcome``); :func:`render_member_page` renders a template
that extends ``member.html`` with the menu every plugin contributes. Plugins
get both from :mod:`hearthside.plugin_api`; the headers every page is sent
with are added by the core to every HTML answer (:mod:`hearthside.page_headers`).

They are the core's, not the web shell's: plugins build on them, and the
shell's own pages (:mod:`hearthside.web.pages`) import them like any plugin
does, so the web shell depends on the core and never the other way
(docs/architecture.md, "Layers"). The templates (``member.html``) and the
endpoints they redirect to (``pages.signin``, ``pages.welcome``) are named,
not imported: the web shell provides them to the app.
"""

from __future__ import annotations

from functools import wraps

from flask import redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from . import accounts
from .auth import current_principal
from .request_context import current_hs, get_db


def current_viewer() -> dict | None:
    """The signed-in member (browser session) with their couple, or None."""
    db = get_db()
    principal = current_principal(db)
    if principal is None or not principal.is_member:
        return None
    member = accounts.get_member(db, principal.member_id)
    if member is None:
        return None
    couple = accounts.get_couple(db, principal.couple_id)
    members = [accounts.public_member(row) for row in accounts.couple_members(db, principal.couple_id)]
    return {
        "member": {**accounts.public_member(member), "is_admin": bool(member["is_admin"]),
                   "couple_id": member["couple_id"]},
        "couple": {"id": couple["id"], "name": couple["name"], "time_zone": couple["time_zone"]},
        "members": members,
        "partners": [m for m in members if m["id"] != member["id"]],
    }


def no_members_yet() -> bool:
    """A server nobody has joined yet: its pages lead to ``/welcome`` rather than ``/signin``."""
    return accounts.member_count(get_db()) == 0


def member_page(view):
    """A page for signed-in members; the viewer dict is passed as the view's first argument.

    ``viewer`` = ``{"member": {id, username, display_name, is_admin, couple_id},
    "couple": {id, name, time_zone}, "members": [public members], "partners": [...]}``.
    Anybody else is redirected to ``/signin?next=...`` (or ``/welcome``).
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        viewer = current_viewer()
        if viewer is None:
            if no_members_yet():
                return redirect(url_for("pages.welcome"))
            return redirect(url_for("pages.signin", next=request.full_path.rstrip("?")))
        return view(viewer, *args, **kwargs)

    return wrapper


def nav_items(viewer: dict) -> list[dict]:
    """The menu: every plugin's ``hearthside_nav_items`` (the core's included), in order.

    An answer that is not a list of :class:`~hearthside.hook_types.NavItem`
    fails its plugin (:meth:`~hearthside.plugin_manager.PluginManager.answers`).
    An entry whose endpoint does not exist (a blueprint left out, a typo) is
    skipped with a note on the plugin, shown by ``hearthside plugins``: the
    endpoint can only be looked up while a page renders, and a menu typo must
    not take the page down.
    """
    hs = current_hs()
    entries = []
    for plugin, items in hs.plugins.answers("hearthside_nav_items", hs=hs, member=viewer["member"]):
        for item in items:
            try:
                href = url_for(item.endpoint)
            except BuildError:
                hs.plugins.warn(plugin, f"hearthside_nav_items returned a NavItem whose 'endpoint' "
                                        f"{item.endpoint!r} does not exist; it is not shown")
                continue
            entries.append({"label": item.label, "endpoint": item.endpoint, "order": item.order, "href": href,
                            "current": request.endpoint == item.endpoint})
    entries.sort(key=lambda entry: (entry["order"], entry["label"]))
    return entries


def render_member_page(template: str, viewer: dict, status: int = 200, **context):
    """Render a page that extends ``member.html`` (the menu, the pause button and overlay).

    For the core's pages and plugins' (``hearthside.plugin_api.render_member_page``):
    ``viewer`` is what :func:`member_page` passed to the view. The template gets
    ``viewer``, ``member``, ``couple`` and ``nav`` besides ``context``.
    Returns ``(html, status)``.
    """
    return render_template(template, viewer=viewer, member=viewer["member"], couple=viewer["couple"],
                           nav=nav_items(viewer), **context), status
