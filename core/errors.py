"""The one way to fail an API request.

Every API error is JSON ``{"error": {"code": ..., "message": ...}}`` with a 4xx
status (cardinal rule 6). Views and plugins raise :class:`APIError` (or call
:func:`api_error`); the handlers installed by :func:`install_error_handlers`
turn it - and Flask's own 404/405/413 - into that shape. Messages are written
for the member reading them and must never carry another member's data.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error answer: HTTP status, a stable machine code and a human message."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def api_error(status: int, code: str, message: str, headers: dict | None = None):
    """Raise an :class:`APIError`; reads well at the call site: ``api_error(404, ...)``."""
    raise APIError(status, code, message, headers)


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(APIError)
    def _api_error(exc: APIError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # The traceback goes to the log with the route only: request bodies can
        # hold private answers, so they are never logged.
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal_error", "Something went wrong on the server; it has been logged.")
        return "Something went wrong on the server; it has been logged.", 500
