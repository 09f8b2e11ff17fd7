"""The jar's page: a shell that ``static/gratitude_jar.js`` fills through the JSON API."""

from __future__ import annotations

from flask import Blueprint, Response

from hearthside.plugin_api import CONTENT_SECURITY_POLICY, member_page, render_member_page

from . import model

pages = Blueprint("gratitude_jar_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/gratitude-jar/static")


@pages.after_request
def _page_headers(response: Response) -> Response:
    # This server's own scripts and styles only; private pages are never cached.
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@pages.get("/gratitude-jar")
@member_page
def index(viewer):
    return render_member_page("gratitude_jar/index.html", viewer, max_length=model.MAX_LENGTH, scope=model.SCOPE)
