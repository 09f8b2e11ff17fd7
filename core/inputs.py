"""Reading request bodies: the JSON object, and its fields, or a clear 400.

Validation happens before anything is written, so bad input changes nothing
(cardinal rule 6). Messages name the field and what was expected, never echo
another member's data.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from flask import request
from werkzeug.routing import IntegerConverter

from .errors import api_error

# SQLite keeps integers in 8 bytes. A larger number can name no row, and handing
# one to the database raises OverflowError - a 500 instead of a clear answer.
SQLITE_MAX_INTEGER = 2**63 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in a route: only numbers SQLite can hold match, so an
    absurdly long id is "no such page" (a JSON 404), never a server error.
    The app installs it as the ``int`` converter before any route is added."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = SQLITE_MAX_INTEGER,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_body(optional: bool = False) -> dict:
    """The request's JSON object; 400 if it is missing (unless optional) or not an object."""
    if not request.get_data(cache=True):
        if optional:
            return {}
        api_error(400, "body_required", "Send a JSON object as the request body.")
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        api_error(400, "invalid_json", "The request body must be a JSON object.")
    return body


def text(body: dict, field: str, *, min_length: int = 1, max_length: int = 200, required: bool = True,
         label: str | None = None) -> str | None:
    """A trimmed string field within length bounds."""
    label = label or field
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        api_error(400, "invalid_field", f"'{label}' is required and must be text.")
    value = value.strip()
    if len(value) < min_length:
        api_error(400, "invalid_field", f"'{label}' must be at least {min_length} characters long.")
    if len(value) > max_length:
        api_error(400, "invalid_field", f"'{label}' must be at most {max_length} characters long.")
    return value


def password(body: dict, field: str = "password", *, min_length: int = 10, max_length: int = 1024) -> str:
    """A password exactly as typed: unlike :func:`text` it is never trimmed,
    or a password with a trailing space could be set but never used to sign in.
    The upper bound keeps a megabyte "password" from occupying a hashing slot.
    """
    value = body.get(field)
    if not isinstance(value, str) or not value:
        api_error(400, "invalid_field", f"'{field}' is required and must be text.")
    if len(value) < min_length:
        api_error(400, "invalid_field", f"'{field}' must be at least {min_length} characters long.")
    if len(value) > max_length:
        api_error(400, "invalid_field", f"'{field}' must be at most {max_length} characters long.")
    return value


def query_number(name: str, default: int, minimum: int, maximum: int, expected: str | None = None) -> int:
    """A query parameter (``?limit=20``) as a whole number within bounds, or a 400 naming it.

    Digits only (no sign, no spaces, no "1e3"), and never longer than SQLite's
    largest integer, so an absurd value is a clear answer, not an overflow.
    """
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(SQLITE_MAX_INTEGER))
            and minimum <= int(raw) <= maximum):
        api_error(400, "invalid_parameter",
                  f"'{name}' must be {expected or f'a whole number from {minimum} to {maximum}'}.")
    return int(raw)


def obj(body: dict, field: str) -> dict:
    value = body.get(field)
    if not isinstance(value, dict):
        api_error(400, "invalid_field", f"'{field}' is required and must be a JSON object.")
    return value


def boolean(body: dict, field: str) -> bool:
    value = body.get(field)
    if not isinstance(value, bool):
        api_error(400, "invalid_field", f"'{field}' is required and must be true or false.")
    return value


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    """Scanning the tz database reads hundreds of files: do it once per process."""
    return frozenset(available_timezones()) | {"UTC"}


def time_zone(value, field: str = "time_zone") -> str:
    if not isinstance(value, str) or value not in _time_zones():
        api_error(400, "invalid_field", f"'{field}' must be an IANA time zone such as Europe/Berlin.")
    return value


USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def username(body: dict) -> str:
    value = text(body, "username", min_length=2, max_length=40)
    if not set(value.lower()) <= USERNAME_CHARS:
        api_error(400, "invalid_field", "'username' may use letters, digits, '.', '_' and '-' only.")
    return value
