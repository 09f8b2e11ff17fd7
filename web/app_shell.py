"""The installable app: web app manifest, icons, favicon, offline page and service worker.

The service worker (``web/static/sw.js``) keeps a copy of the **app shell**
only - the styles, scripts and icons every page uses and the offline page -
so a phone that has lost the home Wi-Fi shows a calm "can't reach your
Hearthside" instead of the browser's error. It never stores anything else:
pages and ``/api/`` answers always go to the network, and the list of what it
may store (:data:`SHELL`) is fixed here, public files only. A page with
private text can therefore never be read back from a phone's cache by
whoever picks the phone up (docs/security.md, "The installed app").

The worker is served from ``/sw.js`` (not ``/static/``) because a service
worker controls only pages under its own path; its first line carries a
version that changes with every shell file, so an upgrade replaces the old
copy instead of serving it.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for

from hearthside import __version__

app_shell = Blueprint("app_shell", __name__)

STATIC = Path(__file__).resolve().parent / "static"
THEME_COLOR = "#f6efe6"
# What the service worker may store, and nothing else: public files every page uses, and the offline page.
SHELL_STATIC = ("hearthside.css", "components.css", "pause.css", "charts.css", "hearthside.js", "hearthside-kit.js",
                "app.js", "icon.svg", "icons/icon-192.png",
                "icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png", "icons/favicon-32.png")
ICONS = [
    {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    {"src": "icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
]


def shell_urls() -> list[str]:
    return [url_for("app_shell.offline"), url_for("app_shell.manifest")] + \
        [url_for("static", filename=name) for name in SHELL_STATIC]


@cache
def shell_version() -> str:
    """Changes with the release and with any shell file, so phones drop an outdated copy."""
    digest = hashlib.sha256(__version__.encode())
    for name in SHELL_STATIC + ("sw.js",):
        digest.update((STATIC / name).read_bytes())
    digest.update((Path(__file__).parent / "templates" / "offline.html").read_bytes())
    return f"{__version__}-{digest.hexdigest()[:12]}"


@app_shell.get("/manifest.webmanifest")
def manifest():
    """What the phone's "Add to Home Screen" / the install prompt reads."""
    body = {
        "id": "/", "name": "Hearthside", "short_name": "Hearthside",
        "description": "Your private companion at home for rebuilding trust, together.",
        "start_url": "/", "scope": "/", "display": "standalone", "orientation": "any",
        "background_color": THEME_COLOR, "theme_color": THEME_COLOR,
        "icons": [{**icon, "src": url_for("static", filename=icon["src"])} for icon in ICONS],
    }
    return Response(json.dumps(body, indent=1), mimetype="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


@app_shell.get("/sw.js")
def service_worker():
    """The worker, with its version and the shell it may store as its first lines."""
    text = (STATIC / "sw.js").read_text(encoding="utf-8")
    head = f"const SHELL_VERSION = {json.dumps(shell_version())};\nconst SHELL = {json.dumps(shell_urls())};\n"
    # no-cache: the browser asks again at every visit, so an upgrade reaches the phone at once.
    return Response(head + text, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})


@app_shell.get("/offline")
def offline():
    """What the worker shows when the server cannot be reached: nothing about anyone."""
    return render_template("offline.html")


@app_shell.get("/favicon.ico")
def favicon():
    """Browsers and tools ask for it by this name whatever the page says."""
    return current_app.send_static_file("icons/favicon-32.png")
