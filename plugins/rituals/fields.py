"""Reading fields of a request body: the value, or a clear 400 that changes nothing.

Messages name the field and what was expected; they never echo what was
sent, because what was sent may be a private answer.
"""

from __future__ import annotations

import re

from hearthside.plugin_api import Invalid, only_known, text_value  # noqa: F401 (only_known: fields.only_known)

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def text(body: dict, field: str, *, max_length: int, required: bool = False, default: str = "",
         min_length: int = 1, multiline: bool = False) -> str:
    """A text field by the core's one text rule; ``default`` when absent and optional."""
    value = body.get(field)
    if value is None and not required:
        return default
    return text_value(value, f"'{field}'", max_length=max_length, min_length=min_length, required=required,
                      multiline=multiline)


def integer(body: dict, field: str, *, minimum: int, maximum: int, default: int | None = None) -> int:
    value = body.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise Invalid("invalid_field", f"'{field}' must be a whole number from {minimum} to {maximum}.", field=field)
    return value


def choice(body: dict, field: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(field, default)
    if value not in choices:
        raise Invalid("invalid_field", f"'{field}' must be one of: {', '.join(choices)}.", field=field)
    return value


def hhmm(value, field: str) -> str:
    if not isinstance(value, str) or not HHMM.match(value):
        raise Invalid("invalid_field", f"'{field}' must be a time of day like 22:00.", field=field)
    return value
