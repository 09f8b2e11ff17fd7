"""The web shell: server-rendered pages for phones, the tablet and the wall.

Pages are Jinja templates in ``web/templates``; what they change, they change
through the JSON API (``fetch`` with the ``X-CSRF-Token`` header, see
``web/static/hearthside.js``), so the browser and third-party clients go
through the same checks. Lists that come from other parts of the core
(consents, devices, tokens, events) are fetched by the page from the API;
the page itself renders who is signed in, the menu and the empty states.

Who sees what:

* member pages need a browser session (the cookie set by
  ``POST /api/v1/auth/session``); anybody else is sent to ``/signin`` (or to
  ``/welcome`` on a server with no members yet);
* ``/admin`` answers a calm 403 page to members who are not admins;
* ``/dashboard`` is the wall screen: it holds only a device token (kept in the
  tablet's localStorage) and links to nothing private.

Every page is sent with a Content-Security-Policy that allows only this
server's own scripts, styles, images and websocket, so a page can never
reach the internet (a home network may have none) and no injected script runs:
the core adds it to every HTML answer (``hearthside.page_headers``).
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, available_timezones

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from hearthside import accounts
from hearthside.hook_types import NavItem
from hearthside.links import public_url
from hearthside.member_pages import current_viewer, member_page, no_members_yet, render_member_page
from hearthside.request_context import current_hs, get_db
from hearthside.ratelimit import invite_keys
from hearthside.web.api.member_data import CONFIRMATION as FORGET_PHRASE
from hearthside.web.forget_notes import forget_parts

pages = Blueprint("pages", __name__)

CODE_PATTERN = re.compile(r"^[A-Za-z0-9-]{4,64}$")


def _safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("pages.home")
    return target


# -- the menu ------------------------------------------------------------------------


def core_nav_items(member: dict) -> list[NavItem]:
    """The core's own menu entries (offered through the same hook as plugins')."""
    items = [
        NavItem("Home", "pages.home", order=0),
        NavItem("Consent", "pages.consent", order=80),
        NavItem("Notifications", "pages.notifications", order=82),
        NavItem("Devices", "pages.devices", order=85),
        NavItem("Account", "pages.account", order=90),
    ]
    if member.get("is_admin"):
        items.append(NavItem("Admin", "pages.admin", order=95))
    return items


# -- public pages ------------------------------------------------------------------------


@pages.get("/")
def home():
    viewer = current_viewer()
    if viewer is None:
        if no_members_yet():
            return redirect(url_for("pages.welcome"))
        return redirect(url_for("pages.signin"))
    now = datetime.now(ZoneInfo(viewer["couple"]["time_zone"]))
    return render_member_page("home.html", viewer, today=now, greeting=_greeting(now.hour))


def _greeting(hour: int) -> str:
    if 5 <= hour < 12:
        return "Good morning"
    if 12 <= hour < 18:
        return "Good afternoon"
    return "Good evening"


@pages.get("/welcome")
def welcome():
    """First visit: name the couple, pick the time zone, create the first member."""
    if not no_members_yet():
        return redirect(url_for("pages.home"))
    return render_template("welcome.html", time_zones=time_zone_choices(),
                           default_time_zone=current_hs().config["time_zone"])


def time_zone_choices() -> list[str]:
    """IANA zones a person would pick (no legacy aliases), UTC last."""
    zones = sorted(zone for zone in available_timezones()
                   if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")))
    return zones + ["UTC"]


@pages.get("/join/<code>")
def join(code):
    """The partner's sign-up page, reached through the invite link or QR code.

    Whether a code works is rate limited like accepting it: after repeated
    codes that did not work, this page says to wait (429) instead of checking.
    """
    limiter, keys = current_hs().login_limiter, invite_keys(request.remote_addr)
    wait = limiter.retry_after(*keys)
    invite = {"valid": False, "new_couple": False} if wait else _invite_state(code)
    if not wait and not invite["valid"]:
        limiter.failed(*keys)
    html = render_template("join.html", code=code, invite=invite, wait=wait, time_zones=time_zone_choices(),
                           default_time_zone=current_hs().config["time_zone"], signed_in=current_viewer() is not None)
    return (html, 429, {"Retry-After": str(wait)}) if wait else html


def _invite_state(code: str) -> dict:
    """Whether the code can still be used and whether it starts a new couple.

    Says nothing about who made it or which couple it is for: anybody can
    type a URL.
    """
    invite = accounts.usable_invite(get_db(), code) if CODE_PATTERN.match(code) else None
    if invite is None:
        return {"valid": False, "new_couple": False}
    return {"valid": True, "new_couple": invite["couple_id"] is None}


@pages.get("/signin")
def signin():
    if current_viewer() is not None:
        return redirect(_safe_next(request.args.get("next")))
    if no_members_yet():
        return redirect(url_for("pages.welcome"))
    return render_template("signin.html", next=_safe_next(request.args.get("next")))


# -- member pages ------------------------------------------------------------------------


@pages.get("/invite")
@member_page
def invite(viewer):
    return render_member_page("invite.html", viewer, welcome=request.args.get("welcome") == "1")


@pages.get("/consent")
@member_page
def consent(viewer):
    return render_member_page("consent.html", viewer)


@pages.get("/devices")
@member_page
def devices(viewer):
    return render_member_page("devices.html", viewer)


@pages.get("/notifications")
@member_page
def notifications(viewer):
    """The member's own notification choices; the page reads and changes them through /api/v1/me/notifications."""
    return render_member_page("notifications.html", viewer)


@pages.get("/account")
@member_page
def account(viewer):
    """Password, sign-ins, and the member's own data: download it, or forget it.

    The forget section lists what each taking-part plugin removes and what
    the partner keeps (``hearthside.web.forget_notes``), before anything is asked.
    """
    return render_member_page("account.html", viewer, forget_parts=forget_parts(current_hs()),
                              forget_phrase=FORGET_PHRASE)


@pages.get("/admin")
@member_page
def admin(viewer):
    if not viewer["member"]["is_admin"]:
        return render_member_page("forbidden.html", viewer, status=403)
    hs = current_hs()
    # Names and sizes of couples only: hosting a couple is no licence to look at it.
    return render_member_page("admin.html", viewer, plugins=hs.plugins.report(), safe_mode=hs.config["safe_mode"],
                              couples=accounts.couples_overview(get_db()),
                              backups=_backups_panel(hs, viewer["couple"]["id"]))


def _backups_panel(hs, couple_id: int) -> dict:
    """What the admin page's Backups panel shows: times in the server's zone, and why a download is off."""
    from hearthside import backup_schedule
    from hearthside.web.api.admin import download_refusal

    db = get_db()
    status = backup_schedule.status(hs, db)
    zone = ZoneInfo(hs.config["time_zone"])
    last = status["last"]
    refusal = download_refusal(db, couple_id)
    return {**status, "zone": zone.key,
            "last_when": _local_time(last["finished_at"] or last["started_at"], zone) if last else None,
            "next_when": _local_time(status["next_at"], zone) if status["next_at"] else None,
            "refusal": refusal[1] if refusal else None}


def _local_time(iso: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%a %d %b %Y, %H:%M")


# -- QR codes ------------------------------------------------------------------------------


def _qr_response(link: str, code: str, title: str) -> Response:
    """``link`` with the invite or pairing ``code`` in it, as a QR code; a code no invite can have is a 404."""
    if not CODE_PATTERN.match(code):
        abort(404)
    import segno  # here, not at the top: only pairing pages draw a QR code, so the server starts without it

    url = public_url(link.format(code=quote(code)))  # never the Host header as sent: see hearthside.links
    svg = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr", title=title,
                                                 dark="#2b2522", light="#fffdf9")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@pages.get("/qr/join/<code>.svg")
@member_page
def qr_join(viewer, code):
    """The invite link as a QR code, for the inviter's screen only."""
    return _qr_response("/join/{code}", code, "Invite link")


@pages.get("/qr/pair/<code>.svg")
@member_page
def qr_pair(viewer, code):
    """The wall-screen pairing link as a QR code, for the member's screen only."""
    return _qr_response("/dashboard/pair?code={code}", code, "Pairing link for the wall screen")


# -- the wall ------------------------------------------------------------------------------


@pages.get("/dashboard")
def dashboard():
    """The kiosk page. Public HTML: everything on it comes with the device token."""
    return render_template("dashboard.html", pairing_code="")


@pages.get("/dashboard/pair")
def dashboard_pair():
    """Where the pairing QR code leads: the kiosk page with the code filled in."""
    code = request.args.get("code", "")
    return render_template("dashboard.html", pairing_code=code if CODE_PATTERN.match(code) else "")
