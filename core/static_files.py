"""Static files cached for a year under a URL that changes with their content, and gzip for public text.

* **Versioned URLs.** ``url_for("static", filename=...)`` - the app's static
  files and every plugin blueprint's - carries ``?v=<hash of the file>``
  (:func:`add_version`). An answer to the URL with the current hash is sent
  ``Cache-Control: public, max-age=31536000, immutable``: a phone on a slow
  home Wi-Fi never asks again, and an upgrade changes the URL, so nobody keeps
  an old script. Any other static URL (no hash, or an outdated one) is
  ``no-cache``: the browser checks with the server each time (a 304 if nothing
  changed). The service worker's shell list (``web/app_shell.py``) is built
  with the same ``url_for``, so it holds the versioned URLs the pages ask for.
* **gzip** (:func:`compress`) for HTML, CSS, JavaScript, JSON and SVG answers
  of at least :data:`GZIP_MIN_BYTES`, when the browser says it accepts it -
  but only for answers that are the same for everybody: the static files, the
  app shell, and requests sent without a session cookie or a bearer token. An
  answer for a member mixes their private text with text the partner chose
  (a shared entry, a note); compressed, its length would tell someone who can
  watch the encrypted traffic on the home Wi-Fi whether a guess appears in it
  (the "BREACH" attack; docs/security.md). The live stream is never touched:
  Socket.IO answers do not pass through Flask's views. Written with the
  standard library's ``gzip``; a dependency would do the same in more lines.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, session
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
GZIP_MIN_BYTES = 1024  # below this the gzip header and the CPU cost more than the bytes saved
GZIP_TYPES = frozenset({"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                        "application/manifest+json", "image/svg+xml", "text/plain"})
PUBLIC_ENDPOINTS = frozenset({"app_shell.service_worker", "app_shell.manifest", "app_shell.offline"})
_hashes: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime_ns, size), hash): re-read when the file changes


def file_version(path: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, or None if there is no such file."""
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    known = _hashes.get(path)
    if known is None or known[0] != stamp:
        known = _hashes[path] = (stamp, hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12])
    return known[1]


def _static_folder(app: Flask, endpoint: str | None) -> str | None:
    """The folder the static endpoint serves from: the app's, or a blueprint's (``<name>.static``)."""
    if endpoint == "static":
        return app.static_folder
    if endpoint and endpoint.endswith(".static"):
        blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
        return blueprint.static_folder if blueprint is not None else None
    return None


def _version_of(app: Flask, endpoint: str | None, filename: str | None) -> str | None:
    folder = _static_folder(app, endpoint)
    path = safe_join(folder, filename) if folder and filename else None
    return file_version(path) if path else None


def add_version(endpoint: str, values: dict) -> None:
    """``url_defaults``: a static URL gets ``v=<content hash>`` (kept if the caller gave one)."""
    if "v" not in values:
        version = _version_of(current_app, endpoint, values.get("filename"))
        if version is not None:
            values["v"] = version


def static_cache_headers(response: Response) -> Response:
    """A year and ``immutable`` for a static file asked for by its current hash; ``no-cache`` otherwise."""
    if _static_folder(current_app, request.endpoint) is None:
        return response
    current = _version_of(current_app, request.endpoint, (request.view_args or {}).get("filename"))
    if response.status_code in (200, 304) and current is not None and request.args.get("v") == current:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = REVALIDATE
    return response


def _public(response: Response) -> bool:
    """An answer the same for everybody: nothing of a member in it (see the module's docstring)."""
    if _static_folder(current_app, request.endpoint) is not None or request.endpoint in PUBLIC_ENDPOINTS:
        return True
    signed_in = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    return not signed_in and "Authorization" not in request.headers and not session.modified  # not a sign-in


def compress(response: Response) -> Response:
    """gzip a public text answer of some size for a browser that accepts it."""
    if (response.status_code != 200 or response.mimetype not in GZIP_TYPES or "Content-Encoding" in response.headers
            or (response.is_streamed and not response.direct_passthrough) or not _public(response)):
        return response
    if response.content_length is not None and response.content_length < GZIP_MIN_BYTES:
        return response
    response.vary.add("Accept-Encoding")
    if not request.accept_encodings["gzip"]:
        return response
    response.direct_passthrough = False  # a static file: read it here to compress it
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, _weak = response.get_etag()
    if etag:  # the same file, other bytes: a weak validator still answers the browser's If-None-Match
        response.set_etag(etag, weak=True)
    return response


def install(app: Flask) -> None:
    """Versioned static URLs, their cache headers and gzip, for the app and every plugin's blueprint."""
    app.url_defaults(add_version)
    app.after_request(static_cache_headers)
    app.after_request(compress)
