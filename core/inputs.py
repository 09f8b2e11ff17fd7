"""The rules for what a request sends: the JSON body, free text, passwords, dates, time zones.

Routes declare their inputs (hearthside.declare), which applies these rules
field by field; they are kept here, plain functions, so that pages and
domain code can apply the same ones. Validation happens before anything is
written, so bad input changes nothing (cardinal rule 6). Messages name the
field and what was expected, never echo another member's data.
"""

from __future__ import annotations

import unicodedata
from datetime import date
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
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:  # the parser recurses once per level; no member's data nests thousands deep
        api_error(400, "invalid_json", "The request body nests too deeply to be read.")
    if not isinstance(body, dict):
        api_error(400, "invalid_json", "The request body must be a JSON object.")
    return body


# Characters that change how text reads rather than what it says: the bidi
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). A name
# holding U+202E shows its end reversed, so "Ann" could read as anything.
# The plain marks (U+200E, U+200F, U+061C) stay allowed: they affect only the
# neighbouring punctuation, and right-to-left writers rely on them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_value(value, label: str, *, max_length: int = 200, min_length: int = 1, required: bool = True,
               multiline: bool = False) -> str | None:
    """The one rule for free text a member types: a 400 naming ``label``, or the clean text.

    Normalised to NFC (one spelling for "é", so equal names compare equal),
    trimmed (and, on one line, runs of spaces made one), and refused when it
    holds control characters (NUL, escape, ...; a line break or tab only where
    ``multiline``) or bidi override characters, which make a name or title
    read differently from what is stored. Empty text is an error when
    ``required``, otherwise ``""``; ``None`` (absent) is returned as is when
    not required. ``label`` names the field as the message
    should (``"'title'"``, ``"phase 2: 'name'"``); the value is never echoed.
    """
    if value is None and not required:
        return None
    if not isinstance(value, str):
        _text_error("invalid_field", label, "is required and must be text" if required else "must be text")
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")  # a browser form sends CRLF
    value = value.strip()
    _refuse_hidden_characters(value, label, multiline)
    if not multiline:  # one line reads as it is spaced: "Ann  Smith" and "Ann Smith" are one name
        value = " ".join(value.split())
    if not value:
        if required:
            _text_error("invalid_field", label, "is required and must not be empty")
        return value
    if len(value) < min_length:
        _text_error("invalid_field", label, f"must be at least {min_length} characters long")
    if len(value) > max_length:
        _text_error("invalid_field", label, f"must be at most {max_length} characters long")
    return value


def _refuse_hidden_characters(value: str, label: str, multiline: bool) -> None:
    allowed = "\n\t" if multiline else ""
    for char in value:
        if char in BIDI_CONTROLS:
            _text_error("invalid_characters", label, "must not contain bidirectional override characters "
                                                     "(U+202A to U+202E, U+2066 to U+2069)")
        category = unicodedata.category(char)
        if char not in allowed and (category in ("Cc", "Cs") or (category in ("Zl", "Zp") and not multiline)):
            _text_error("invalid_characters", label, "must not contain control characters (such as NUL"
                        + (")" if multiline else ", a tab or a line break)"))


def _text_error(code: str, label: str, problem: str):
    api_error(400, code, f"{label[:1].upper()}{label[1:]} {problem}.")


def password(value, label: str = "'password'", *, min_length: int = 10, max_length: int = 1024) -> str:
    """A password exactly as typed: unlike :func:`text_value` it is never trimmed,
    or a password with a trailing space could be set but never used to sign in.
    The upper bound keeps a megabyte "password" from occupying a hashing slot.
    """
    if not isinstance(value, str) or not value:
        _text_error("invalid_field", label, "is required and must be text")
    if len(value) < min_length:
        _text_error("invalid_field", label, f"must be at least {min_length} characters long")
    if len(value) > max_length:
        _text_error("invalid_field", label, f"must be at most {max_length} characters long")
    return value


# Dates a member can mean. Anything outside is refused before any arithmetic,
# because a day near year 1 or 9999 overflows as soon as a range, a time zone
# or a week is added to it.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2200, 12, 31)


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    """Scanning the tz database reads hundreds of files: do it once per process."""
    return frozenset(available_timezones()) | {"UTC"}


def time_zone(value, field: str = "time_zone") -> str:
    if not isinstance(value, str) or value not in _time_zones():
        api_error(400, "invalid_field", f"'{field}' must be an IANA time zone such as Europe/Berlin.")
    return value
