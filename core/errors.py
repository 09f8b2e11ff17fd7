"""The one way to fail an API request.

Every API error is JSON ``{"error": {"code": ..., "message": ...}}`` with a 4xx
status (cardinal rule 6). Domain code - the functions that views, scheduled
jobs and hooks all call - raises a :class:`DomainError` (:class:`NotFound`,
:class:`Conflict`, :class:`Forbidden`, :class:`Invalid`,
:class:`ConsentRequired`, :class:`Unavailable`) and knows nothing of HTTP or
Flask; views refuse a request's shape with :func:`api_error`. The handlers
installed by :func:`install_error_handlers` turn both - and Flask's own
404/405/413 - into that shape. Outside a request (a job, a hook, the command
line) a domain error is just an exception and propagates like one. Messages
are written for the member reading them and must never carry another
member's data.

The one exception to "4xx only" is a full disk: the request was fine, the
server cannot store it. SQLite's "database or disk is full" (SQLITE_FULL) and
an ``OSError`` ENOSPC, wherever they are raised, answer **507** with the code
``storage_full`` and a fixed message (never the exception's text, which can
name files). The transaction was rolled back by :meth:`Database.atomic`, so
nothing was half-written, and the server keeps serving reads meanwhile
(docs/faults.md).

A database that stays busy - another write held it for longer than
``database.busy_timeout_ms`` - answers **503** ``busy`` with ``Retry-After``:
the request was fine and nothing was written, so trying again is right.

``POST /api/v1/me/forget`` answers 500 ``forget_failed`` when a plugin cannot
clear its part: that is a plugin bug, nothing was deleted, and the member is
told which feature stopped it (hearthside.member_data).
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import traceback

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from .logsafe import route_of

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


class DeclarationError(Exception):
    """A plugin's own declaration is malformed (a hook's answer, its event types table).

    Its message names files, hooks, types and fields - what the plugin's author
    wrote, never what a member did - so, unlike other exceptions', it is shown
    in ``hearthside plugins`` and the log (:func:`describe`).
    """


class DomainError(Exception):
    """A rule of the domain said no: a stable machine ``code`` and a human ``message``.

    Raised by domain code, which also runs from scheduled jobs and hooks, so it
    carries no response: during a request the core answers it with
    ``status`` (each subclass's own), elsewhere it is an ordinary exception.
    Raise a subclass, never this class itself.
    """

    status = 500  # what the API answers; the subclasses set their own

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(DomainError):
    """There is no such thing - for this couple. Another couple's id gets the same answer (404)."""

    status = 404


class Conflict(DomainError):
    """The thing exists but its state forbids this now: already done, not open, running (409)."""

    status = 409


class Forbidden(DomainError):
    """This member may not do this to this thing, whatever its state (403)."""

    status = 403


class Invalid(DomainError):
    """What was sent breaks a rule of the domain (400); ``field`` names the part at fault, if one is."""

    status = 400

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(code, message)
        self.field = field


class ConsentRequired(Forbidden):
    """A consent scope this needs is off (403 ``consent_required``)."""

    def __init__(self, message: str):
        super().__init__("consent_required", message)


class Unavailable(DomainError):
    """The server cannot do this right now through no fault of the request, e.g. a missing key (503)."""

    status = 503


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


STORAGE_FULL_STATUS = 507  # Insufficient Storage
STORAGE_FULL_CODE = "storage_full"
STORAGE_FULL_MESSAGE = ("The server's storage is full, so this was not saved. Nothing already saved is "
                        "affected. Free some space on the server's disk, then try again.")


def is_storage_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is a full disk: SQLITE_FULL or ENOSPC.

    The cause chain is followed because plugins and libraries may wrap the
    original error in one of their own.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.Error) and _sqlite_full(exc):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


BUSY_STATUS = 503
BUSY_CODE = "busy"
BUSY_RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = "The server is busy saving other changes, so this was not saved. Try again in a moment."


def is_busy(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a database that stayed locked: SQLITE_BUSY, which our own queue's
    timeout (:class:`hearthside.storage.StorageBusy`) carries too."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF == sqlite3.SQLITE_BUSY
        return "database is locked" in str(exc)
    return False


def busy_response():
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
    if _wants_json():
        return error_response(BUSY_STATUS, BUSY_CODE, BUSY_MESSAGE, headers)
    return BUSY_MESSAGE, BUSY_STATUS, headers


def _sqlite_full(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_FULL  # extended codes keep the primary one in the low byte
    return "database or disk is full" in str(exc)


def storage_full_response():
    """The 507 answer for API callers (pages get the same words as plain text)."""
    if _wants_json():
        return error_response(STORAGE_FULL_STATUS, STORAGE_FULL_CODE, STORAGE_FULL_MESSAGE)
    return STORAGE_FULL_MESSAGE, STORAGE_FULL_STATUS


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(APIError)
    def _api_error(exc: APIError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_storage_full(exc):
            # Expected on a full disk, not a bug: one line, no traceback, no request data.
            log.warning("Storage full: %s was not saved (%s)", route_of(), type(exc).__name__)
            return storage_full_response()
        if is_busy(exc):
            log.warning("Database busy: %s was not saved (%s); answered 503", route_of(), type(exc).__name__)
            return busy_response()
        # The traceback's frames go to the log with the route only: request
        # bodies and exception messages can hold private answers, and paths
        # invite codes and feed secrets (hearthside.logsafe), so none of them
        # is logged (the message only at debug level).
        log_exception(log, exc, "Unhandled error on %s", route_of())
        if _wants_json():
            return error_response(500, "internal_error", "Something went wrong on the server; it has been logged.")
        return "Something went wrong on the server; it has been logged.", 500


def describe(exc: BaseException) -> str:
    """The exception's type and where it was raised: ``ValueError at touch/sessions.py:88``.

    The message is left out because a hook's exception can carry what a member
    wrote; an import error's message names a module, and a
    :class:`DeclarationError`'s what the plugin declared, so those are kept.
    """
    text = type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        text += f" at {_short_path(frames[-1].filename)}:{frames[-1].lineno}"
    if isinstance(exc, (ImportError, DeclarationError)):
        text += f": {exc}"
    return text


def _short_path(filename: str) -> str:
    """The last two parts of a path: enough to find the file, without the install location."""
    return "/".join(filename.replace("\\", "/").split("/")[-2:])


def log_exception(logger: logging.Logger, exc: BaseException, message: str, *args) -> None:
    """Log an unexpected exception as an error: the message given, the traceback's frames, the type and place.

    The exception's own message goes to debug level only: in a server that
    handles what members wrote, ``str(exc)`` can carry their words (a
    ``KeyError`` of an answer, a ``ValueError`` quoting a title). Use this
    instead of ``logger.exception``.
    """
    logger.error(message + "\n%s", *args, traceback_frames(exc))
    logger.debug("The exception's message (%s): %s", type(exc).__name__, exc)


def traceback_frames(exc: BaseException) -> str:
    """The traceback's frames (files, lines, code) without the exception's message."""
    lines = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return "".join(["Traceback (most recent call last):\n", *lines, f"{describe(exc)}"])
