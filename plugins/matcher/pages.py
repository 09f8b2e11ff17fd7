"""The matcher's pages: answer privately, compare, and manage the list.

* ``/matcher`` - answer item by item, by category, with a progress bar,
  skip and back. Only the member's own progress is ever shown.
* ``/matcher/compare`` - the "ready to compare" step (granting
  ``matcher.reveal``), the results in two tiers, and the switch to stop.
* ``/matcher/list`` - add an item of your own; agree to hide or show items.

The pages are shells: everything comes from ``/api/v1/matcher`` through
``static/matcher.js``, so the browser goes through the same checks as any
client. They are sent with the same strict Content-Security-Policy as the
core's pages (this server only; no inline script or style).
"""

from __future__ import annotations

from flask import Blueprint, Response

from hearthside.plugin_api import CONTENT_SECURITY_POLICY, current_hs, member_page, render_member_page

pages = Blueprint("matcher_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/matcher/static")


@pages.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Answers are private: never in a shared cache or the back-forward cache.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _cooldown_days() -> int:
    return current_hs().config.plugin("matcher")["raise_cooldown_days"]


@pages.get("/matcher")
@member_page
def answer(viewer):
    return render_member_page("matcher/answer.html", viewer, cooldown_days=_cooldown_days(), tab="answer")


@pages.get("/matcher/compare")
@member_page
def compare(viewer):
    return render_member_page("matcher/compare.html", viewer, cooldown_days=_cooldown_days(), tab="compare")


@pages.get("/matcher/list")
@member_page
def manage(viewer):
    return render_member_page("matcher/list.html", viewer, cooldown_days=_cooldown_days(), tab="list")
