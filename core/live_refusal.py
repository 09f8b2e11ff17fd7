"""The HTTP status of a refused live handshake: 429 (this address) or 503 (the server is full), not 401.

engineio can refuse a handshake only as "401 Unauthorized". :class:`hearthside.live.Live`
marks a refusal in the request's environ under :data:`TOO_MANY`; this WSGI
wrapper, outermost around the app, turns that mark into the status that says
"wait" and a ``Retry-After``.
"""

from __future__ import annotations

TOO_MANY = "hearthside.live.too_many"  # WSGI environ key: a flag list, shared by the environ's copies
FULL_RETRY_SECONDS = 30


class RefusalStatus:
    """WSGI wrapper: a refused handshake answers 429 (its address) or 503 (the server is full), not 401.

    engineio can only refuse a handshake as "401 Unauthorized"; the body is
    already Hearthside's error JSON, but the status should say "wait", not
    "wrong password". Every other request passes through untouched.
    """

    def __init__(self, wsgi_app, retry_after: int):
        self.wsgi_app = wsgi_app
        self.retry_after = str(retry_after)  # by then the doorman has closed what held the address

    def __call__(self, environ, start_response):
        # A list, not a flag: Flask-SocketIO hands engineio a copy of the environ.
        refused = environ[TOO_MANY] = []

        def respond(status, headers, exc_info=None):
            if refused:
                status = refused[0]
                wait = self.retry_after if status.startswith("429") else str(FULL_RETRY_SECONDS)
                headers = [*headers, ("Retry-After", wait)]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, respond)
