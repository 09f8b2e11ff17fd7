"""The matcher's pages: answer privately, compare, and manage the list.

* ``/matcher`` - answer item by item, by category, with a progress bar,
  skip and back. Only the member's own progress is ever shown.
* ``/matcher/compare`` - the "ready to compare" step (granting
  ``matcher.reveal``), the results in two tiers, and the switch to stop.
* ``/matcher/list`` - add an item of your own; agree to hide or show items.

The pages are shells: everything comes from ``/api/v1/matcher`` through
``static/matcher.js`` and ``matcher-answer.js``, so the browser goes through the same checks as any
client. The core sends them with the same strict Content-Security-Policy as
its own pages (this server only; no inline script or style).
"""

from __future__ import annotations

from flask import Blueprint

from hearthside.plugin_api import current_hs, member_page, render_member_page

from . import model

pages = Blueprint("matcher_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/matcher/static")


def _cooldown_days() -> int:
    return current_hs().config.plugin("matcher")["raise_cooldown_days"]


def _render(template: str, viewer: dict, tab: str):
    """A matcher page; page_data hands matcher.js the answer values and the reveal scope (no copy in JS)."""
    return render_member_page(template, viewer, cooldown_days=_cooldown_days(), tab=tab, page_data={
        "answers": {value: value.capitalize() for value in model.ANSWERS}, "reveal_scope": model.REVEAL_SCOPE})


@pages.get("/matcher")
@member_page
def answer(viewer):
    return _render("matcher/answer.html", viewer, "answer")


@pages.get("/matcher/compare")
@member_page
def compare(viewer):
    return _render("matcher/compare.html", viewer, "compare")


@pages.get("/matcher/list")
@member_page
def manage(viewer):
    return _render("matcher/list.html", viewer, "list")
