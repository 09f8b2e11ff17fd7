"""The headers every page is sent with, whoever rendered it: the core's pages, a plugin's, an error page.

One ``after_request`` of the app (installed by the app factory) adds them to
every HTML answer, so a plugin's pages get them for free and no plugin keeps a
copy that could drift (the plugins' own copies once missed the ``ws://``
fallback below):

* ``Content-Security-Policy``: this server's own scripts, styles, images and
  websocket only (:data:`CONTENT_SECURITY_POLICY`, with this host's ``ws://``
  and ``wss://`` named for older browsers), so a page can never reach the
  internet (a home network may have none) and no injected script runs;
* ``Cache-Control: no-store``: pages show private things; never keep them in
  a shared cache or the back-forward cache;
* ``Referrer-Policy: no-referrer``: codes in ``/join/...`` stay on this server.

``X-Content-Type-Options: nosniff`` goes on every answer, HTML or not (a
plugin's static script included). A view that sets one of these headers
itself keeps its own value.
"""

from __future__ import annotations

from flask import Response, request

from .links import HOST_PATTERN

# Only this server: no CDN, no fonts, no analytics. 'self' covers the
# same-origin websocket in current browsers; the QR codes are inline SVG.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def content_security_policy() -> str:
    """The policy for this request: ``'self'`` plus this very host's websocket, by name.

    Browsers that predate CSP level 3 do not count ws:// of the same host as
    'self'; naming it keeps the live stream working there, and nothing else.
    """
    host = request.host
    if not HOST_PATTERN.match(host):  # hearthside.links: a name or address and a port, nothing else
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' ws://{host} wss://{host}")


def page_headers(response: Response) -> Response:
    """Add the page headers to an HTML answer, and ``nosniff`` to any answer."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
    return response
