"""Trusting a reverse proxy (Caddy, nginx) in front, and only as many as the config names.

Behind a proxy every request comes from the proxy's own address over plain
http, so without help the sign-in limit would count the whole household as one
address and the session cookie would lose its ``Secure`` flag. The proxy says
who asked and how in ``X-Forwarded-For`` / ``X-Forwarded-Proto``; Werkzeug's
``ProxyFix`` reads them - but anyone on the Wi-Fi can send those headers too,
so they are honoured only when ``server.proxies`` says how many proxies stand
in front (then the last that many entries, the ones the proxies themselves
added, count). With 0, the default, the headers are ignored.

``X-Forwarded-Host`` is never trusted: the links this server hands out come
from ``server.base_url`` or from a Host it really answers on (``links.py``).
"""

from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app, count: int) -> None:
    """Wrap the whole WSGI app - the live stream included - so it sees the visitor, not the proxy."""
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0, x_prefix=0)
