"""A setting's declaration (:class:`Setting`) and turning a raw value into its kind.

Split from :mod:`hearthside.config`, which reads the sources and validates them
all: this part knows one value at a time, nothing of files or environment
variables. Plugins declare their settings with :class:`Setting` (through
``hearthside.plugin_api``); :func:`coerce` is also what the core uses to read
the few switches it needs before validation (safe mode, ``plugins.allow``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

PLUGIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class Setting:
    """One setting: its kind, default and a plain-language help line.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``str``, ``choice``,
    ``timezone``, ``path``, ``time`` (a time of day, ``HH:MM``), ``url`` (``http(s)://host[:port][/path]``, or empty for unset) or ``names`` (a list of plugin names: a YAML list,
    or comma-separated text in an environment variable). ``minimum``/``maximum`` bound numbers;
    ``choices`` lists the allowed words of a ``choice``.
    """

    kind: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


def expected(setting: Setting) -> str:
    """What a value of this setting must be, in words, for error messages."""
    bounds = ""
    if setting.minimum is not None and setting.maximum is not None:
        bounds = f" from {_num(setting.minimum)} to {_num(setting.maximum)}"
    elif setting.minimum is not None:
        bounds = f" of at least {_num(setting.minimum)}"
    return {
        "int": "a whole number" + bounds,
        "float": "a number" + bounds,
        "bool": "true or false",
        "str": "text",
        "path": "a folder path",
        "url": "an address such as https://hearth.example:8321 (http or https, no query), or empty",
        "timezone": "an IANA time zone such as Europe/Berlin",
        "time": "a time of day such as 03:30 (24-hour HH:MM)",
        "choice": "one of " + ", ".join(setting.choices),
        "names": "a list of plugin names (comma-separated in an environment variable)",
    }[setting.kind]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def coerce(setting: Setting, value: Any) -> Any:
    """Return the value as the setting's type, or raise ValueError."""
    kind = setting.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise ValueError
    if kind == "names":
        return _parse_names(value)
    if kind in ("int", "float"):
        if isinstance(value, bool):
            raise ValueError
        number = _parse_number(kind, value)
        if setting.minimum is not None and number < setting.minimum:
            raise ValueError
        if setting.maximum is not None and number > setting.maximum:
            raise ValueError
        return number
    if kind == "url":
        return _parse_url(value)
    if kind == "choice" and isinstance(value, bool) and {"on", "off"} <= set(setting.choices):
        value = "on" if value else "off"  # YAML reads a bare on / off as true / false
    if not isinstance(value, str) or (kind != "str" and not value.strip()):
        raise ValueError
    if kind == "choice" and value not in setting.choices:
        raise ValueError
    if kind == "timezone" and value not in available_timezones() and value != "UTC":
        raise ValueError
    if kind == "time" and not TIME_OF_DAY.match(value):
        raise ValueError
    return value


def _parse_url(value: Any) -> str:
    """``http(s)://host[:port][/path]`` without the trailing slash; empty text means unset."""
    if not isinstance(value, str):
        raise ValueError
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password or any(char.isspace() for char in value):
        raise ValueError
    parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    return value


def _parse_names(value: Any) -> list[str] | None:
    """A YAML list of names, or ``"a, b"`` from an environment variable; empty text means unset."""
    if isinstance(value, str):
        if not value.strip():
            return None
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError
    names = [item.strip() for item in value]
    if not all(PLUGIN_NAME.match(name) for name in names):
        raise ValueError
    return list(dict.fromkeys(names))


def _parse_number(kind: str, value: Any) -> int | float:
    if kind == "int":
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ValueError
    if isinstance(value, (int, float)):
        return float(value)
    return float(str(value))
