"""The jar's page: a shell that ``static/gratitude_jar.js`` fills through the JSON API."""

from __future__ import annotations

from flask import Blueprint

from hearthside.plugin_api import member_page, render_member_page

from . import model

pages = Blueprint("gratitude_jar_pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/gratitude-jar/static")


@pages.get("/gratitude-jar")
@member_page
def index(viewer):
    return render_member_page("gratitude_jar/index.html", viewer, max_length=model.MAX_LENGTH, scope=model.SCOPE)
