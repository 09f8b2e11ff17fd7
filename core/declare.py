"""Declared inputs: one typed model per request body and per query, read and described from it.

A route states what it accepts with :func:`declare`; the model is a
:class:`Body` (a JSON object) or a :class:`Query` (``?name=value``), both
`msgspec <https://jcristharif.com/msgspec/>`_ structs::

    class NewNote(Body):
        text: Text(280, multiline=True)
        pinned: bool = False

    @bp.post("/api/v1/notes")
    @require()
    @declare("Write a note", body=NewNote, responses={"201": answer("The note", NOTE)})
    def write_note(principal, body: NewNote):
        ...

The one declaration does four jobs, so they cannot drift apart:

* **validates** before the view runs - types, bounds, required fields - and
  refuses a field the model does not have (400 ``unknown_field``: a typo must
  not be silently ignored);
* **applies the one text rule** (:func:`hearthside.inputs.text_value`: NFC,
  trimmed, no control or bidi override characters, lengths) to every
  :func:`Text` field, however deeply nested, and whatever a field's own
  ``check`` says (a time zone, a username);
* **answers bad input in the project's one shape**, ``400 {"error": {"code":
  "invalid_field", "message": ...}}`` (``invalid_parameter`` for a query),
  the message naming the field and what it must be, never echoing the value;
* **describes itself**: web/openapi.py builds each operation's request body
  and query parameters from the model's JSON Schema.

This module holds what a route author uses; the reading itself (conversion,
the rules' walk, the error's words) is hearthside.validation.

The view gets the checked model as ``body`` / ``query`` keyword arguments.
Put :func:`declare` below ``@require()`` so that a caller without the right
credentials is refused (401/403) before their input is looked at.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Annotated, Any, Callable

import msgspec

from .inputs import EARLIEST_DATE, LATEST_DATE, SQLITE_MAX_INTEGER, password, text_value, time_zone
from .validation import RULE, Refusal, answer_400, read_body, read_query

# A field that may be left out but not sent as null: ``minutes: Whole(1, 60) | UnsetType = UNSET``, so the
# view can tell "left out" (UNSET) from a value. ``X | None = None`` takes null as "left out".
UNSET, UnsetType = msgspec.UNSET, msgspec.UnsetType



class Body(msgspec.Struct, forbid_unknown_fields=True):
    """A request body: a JSON object with exactly these fields (subclass it).

    List the required fields first, then those with a default (msgspec's
    rule for the order of a struct's fields; a subclass adds its own after
    its parent's).
    """


class Query(Body):
    """A query string: ``?name=value`` parameters with exactly these names (subclass it).

    Every value arrives as text; a field declared ``int`` takes digits only
    (no sign, no spaces, no "1e3") and a ``date`` takes ``YYYY-MM-DD``.
    """


# -- field types ------------------------------------------------------------------------------------


def Text(max_length: int = 200, *, min_length: int = 1, multiline: bool = False, allow_empty: bool | None = None,
         description: str | None = None, pattern: str | None = None, pattern_says: str = "",
         check: Callable[[str, str], str] | None = None) -> Any:
    """Free text a member types, under the one text rule (:func:`hearthside.inputs.text_value`).

    The lengths count the cleaned text (after trimming), so they are the
    rule's, not msgspec's. ``check(value, label)`` may refuse more (a 400 of
    its own) or return the value changed; the cleaned text must match
    ``pattern`` (a regular expression) in full, or the 400 says
    ``{label} {pattern_says}``. An optional text field
    (``Text(60) | None = None``) may be absent, ``null`` or empty; with
    ``allow_empty=False`` it may be absent or ``null`` but never empty (a
    required field is never empty).
    """

    def rule(value, label: str, required: bool):
        value = text_value(value, label, max_length=max_length, min_length=min_length,
                           required=required or allow_empty is False, multiline=multiline)
        if pattern and value and not re.fullmatch(pattern, value):
            answer_400("invalid_field", label, pattern_says or f"must match {pattern}")
        return check(value, label) if check is not None and value else value

    schema: dict = {"maxLength": max_length}
    if min_length > 1:
        schema["minLength"] = min_length
    if pattern:
        schema["pattern"] = f"^{pattern}$"
    return Annotated[str, msgspec.Meta(description=description, extra_json_schema=schema, extra={RULE: rule})]


def Password(min_length: int = 10, max_length: int = 1024, description: str | None = None) -> Any:
    """A password exactly as typed (:func:`hearthside.inputs.password`): never trimmed, since a
    trailing space is part of it, and bounded so that a megabyte "password" cannot hold a hashing slot."""

    def rule(value, label: str, required: bool):
        return password(value, label, min_length=min_length, max_length=max_length)

    return Annotated[str, msgspec.Meta(description=description, extra={RULE: rule},
                                       extra_json_schema={"minLength": min_length, "maxLength": max_length})]


def Whole(minimum: int = 0, maximum: int = SQLITE_MAX_INTEGER, description: str | None = None,
          says: str | None = None) -> Any:
    """A whole number within bounds (never beyond what SQLite can hold); ``says`` words the error."""
    extra = {"says": says} if says else {}
    return Annotated[int, msgspec.Meta(ge=minimum, le=min(maximum, SQLITE_MAX_INTEGER), description=description,
                                       extra=extra)]


def Many(item: Any, *, most: int | None = None, least: int = 0, description: str | None = None) -> Any:
    """A list of ``item`` (e.g. ``Many(Text(40), most=10)``) holding ``least`` to ``most`` entries."""
    says = "a list" + (f" of {least} to {most} items" if least and most is not None else
                       f" of at most {most} items" if most is not None else f" of at least {least} items" if least else "")
    return Annotated[list[item], msgspec.Meta(min_length=least or None, max_length=most, description=description,
                                              extra={"says": says})]


def Day(earliest: date = EARLIEST_DATE, latest: date = LATEST_DATE, description: str | None = None) -> Any:
    """A calendar date (``2024-03-10``) a member can mean: outside the bounds, date arithmetic overflows."""

    def rule(value, label: str, required: bool):
        if value is not None and not earliest <= value <= latest:
            raise Refusal(label, _day_phrase(earliest, latest))
        return value

    return Annotated[date, msgspec.Meta(description=description,
                                        extra={RULE: rule, "says": _day_phrase(earliest, latest)})]


def _day_phrase(earliest: date, latest: date) -> str:
    return f"a date like 2024-03-10, from {earliest.isoformat()} to {latest.isoformat()}"


def Moment(description: str | None = None) -> Any:
    """A date and time with its offset (``2025-05-01T21:30:00+02:00``), kept as text: what it may
    be (later than now, within a day) is the domain's to say, with its own message."""
    return Annotated[str, msgspec.Meta(description=description, extra_json_schema={"format": "date-time"})]


def _time_zone_rule(value, label: str, required: bool):
    return value if value is None else time_zone(value, label.strip("'"))


TimeZone = Annotated[str, msgspec.Meta(description="IANA time zone, e.g. Europe/Berlin",
                                       extra={RULE: _time_zone_rule, "says": "an IANA time zone such as Europe/Berlin"})]


# -- attaching a declaration to a route -------------------------------------------------------------------


def declare(summary: str, *, body: type[Body] | None = None, body_optional: bool = False,
            query: type[Query] | None = None, responses: dict | None = None, description: str | None = None,
            tags: list[str] | None = None, public: bool = False, **extra) -> Callable:
    """Declare a route: its summary, inputs (``body``, ``query``) and answers (``responses``).

    The view receives the checked models as ``body=`` / ``query=``; with
    ``body_optional`` the request may leave the body out (then it is read as
    ``{}``, so every field of the model needs a default). ``public``
    routes need no credentials (the OpenAPI document says so); ``extra`` is
    copied into the OpenAPI operation as it is (``parameters``, ``deprecated``,
    ...). web/openapi.py fills in path parameters, security, the JSON error
    and the 507 of writes.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if body is not None:
                kwargs["body"] = read_body(body, body_optional)
            if query is not None:
                kwargs["query"] = read_query(query)
            return view(*args, **kwargs)

        wrapper.declaration = Declaration(summary, body, body_optional, query, dict(responses or {}), description,
                                          tags, public, extra)
        return wrapper

    return decorator


class Declaration(msgspec.Struct, frozen=True):
    """What :func:`declare` attached to a view; web/openapi.py turns it into an operation."""

    summary: str
    body: Any
    body_optional: bool
    query: Any
    responses: dict
    description: str | None
    tags: list | None
    public: bool
    extra: dict


def declaration_of(view) -> Declaration | None:
    found = getattr(view, "declaration", None)
    return found if isinstance(found, Declaration) else None


# -- helpers for describing answers --------------------------------------------------------------------------

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: list[str] | tuple = (), **extra) -> dict:
    """A JSON Schema object (for describing answers; inputs are declared as :class:`Body`)."""
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def answer(description: str, schema: dict | None = None, media: str = "application/json") -> dict:
    """An OpenAPI response: ``answer("The note", NOTE)``; without a schema for 204s."""
    response: dict = {"description": description}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
    return response


def error(description: str) -> dict:
    """A documented error answer (the ``{"error": {"code", "message"}}`` shape)."""
    return answer(description, ref("Error"))
