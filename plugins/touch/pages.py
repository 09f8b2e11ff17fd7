"""The phone pages: tonight (with the traffic light during a session), the ladder, the path.

Pages render the frame and calm empty states; what they show and change goes
through ``/api/v1/touch`` (static/touch.js and a script per page), so the browser passes the same
checks as any client. The menu says "Closeness": a phone's menu can be seen
over a shoulder.
"""

from __future__ import annotations

from flask import Blueprint

from hearthside.plugin_api import get_couple, get_db, member_page, render_member_page

from . import checks, progress

pages = Blueprint("touch_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/touch/static")


# What each light means, for the phones; keyed by the server's own signals (checks.SIGNALS), so touch.js
# keeps no list of them.
LIGHT_WORDS = {"green": "all good", "yellow": "slowing down", "red": "stopping"}


@pages.get("/touch")
@member_page
def index(viewer):
    lights = {signal: f"{signal.capitalize()}: {LIGHT_WORDS[signal]}" for signal in checks.SIGNALS}
    return render_member_page("touch/index.html", viewer, page_data={"lights": lights})


@pages.get("/touch/ladder")
@member_page
def ladder(viewer):
    return render_member_page("touch/ladder.html", viewer)


@pages.get("/touch/path")
@member_page
def path(viewer):
    db = get_db()
    couple_id = viewer["couple"]["id"]
    data = progress.timeline(db, couple_id)
    chart = progress.svg(data, get_couple(db, couple_id)["time_zone"])
    return render_member_page("touch/path.html", viewer, chart=chart, timeline=data)
