"""Keeping secrets out of the log: invite codes, pairing codes, feed secrets, tokens.

A log file is read by whoever runs the server, is pasted into bug reports,
and outlives the codes it names. The invite code in
``/api/v1/invites/<code>/accept``, the feed secret in
``/api/v1/rituals/feed/<secret>.ics``, a pairing code in
``/dashboard/pair?code=...`` and a bearer token each let their holder in,
so no log line may carry one.

Two layers do it. The core's own log lines name the *route*
(``/api/v1/invites/<code>/accept``), never the path as requested
(:func:`route_of`). And :class:`RedactSecrets`, installed on the server's
log handlers and on the Werkzeug and Gunicorn loggers by
:func:`install`, rewrites whatever else gets through - access-log lines, a
plugin's traceback, an exception message quoting a URL - with
:func:`redact`.
"""

from __future__ import annotations

import logging
import re

from flask import has_request_context, request

REDACTED = "[redacted]"

# The path segment after each of these holds a secret: invites and their QR
# codes, the pairing QR code, the calendar feed.
_SECRET_SEGMENT = re.compile(r"(/(?:invites|join|pair|feed)/)[^/?#\s\"'<>]+")
# Query parameters that hold one (``next`` may carry a /join/ link, encoded).
_SECRET_QUERY = re.compile(r"([?&](?:code|pairing_code|token|secret|feed_secret|next)=)[^&#\s\"'<>]+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[^\s\"'<>,]+", re.IGNORECASE)
LOGGERS = ("werkzeug", "gunicorn.error", "gunicorn.access", "engineio.server", "socketio.server")


def redact(text: str) -> str:
    """``text`` with every secret a URL or header can carry replaced by ``[redacted]``."""
    for pattern in (_SECRET_SEGMENT, _SECRET_QUERY, _BEARER):
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


def route_of() -> str:
    """The current request as ``METHOD /route/<parameter>``: what happened, never which code was used."""
    if not has_request_context():
        return "(no request)"
    rule = request.url_rule.rule if request.url_rule is not None else redact(request.path)
    return f"{request.method} {rule}"


class RedactSecrets(logging.Filter):
    """A logging filter that redacts a record's message and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(handlers=None) -> None:
    """Redact on the root logger's handlers (every hearthside.* line) and on the servers' own loggers."""
    secret_filter = RedactSecrets()
    for handler in handlers if handlers is not None else logging.getLogger().handlers:
        if not any(isinstance(existing, RedactSecrets) for existing in handler.filters):
            handler.addFilter(secret_filter)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(secret_filter)
