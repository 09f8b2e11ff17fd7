"""Reading a request against its declared model (hearthside.declare): the model, or the 400.

msgspec converts the JSON body (strictly: ``"20"`` is not a number) or the
query string (digits only for a number) into the model and refuses unknown
fields; then each field's own rule runs - the one text rule for ``Text``, a
time zone's, a date's bounds - walking the model beside its type, however
deeply nested, with the field's path as its label (``'couple.name'``,
``'items[2].tags[0]'``). msgspec's one error is put in the project's words:
``400 {"error": {"code": "invalid_field", "message": "'minutes' must be a
whole number from 1 to 1440."}}`` (``invalid_parameter`` for a query,
``unknown_field`` for a field the model does not have), naming the field and
what it must be, never the value.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import msgspec
from flask import request

from .errors import Invalid
from .inputs import SQLITE_MAX_INTEGER, json_body

# The key under which a field's own rule rides in msgspec's ``Meta(extra=...)``: ``rule(value, label, required)``.
RULE = "hearthside"
UNSET = msgspec.UNSET


@functools.lru_cache(maxsize=1024)
def type_info(model: type) -> msgspec.inspect.Type:
    """msgspec's description of a declared model, worked out once: it walks every annotation, and a
    request with a body read it up to three times (a sixth of an API call's time)."""
    return msgspec.inspect.type_info(model)


class Refusal(Exception):
    """A field's rule said no (``label`` already quoted); it becomes the 400 of the body or the query."""

    def __init__(self, label: str, problem: str):
        super().__init__(problem)
        self.label = label
        self.problem = problem


# -- reading -------------------------------------------------------------------------------------------


def read_body(model: type, optional: bool = False):
    """The request's JSON body as ``model``, or the 400 that says what is wrong (``optional``: may be left out)."""
    data = json_body(optional=optional)
    return convert(model, data)


def read_query(model: type):
    """The request's query string as ``model``, or the 400 naming the parameter."""
    info = type_info(model)
    fields = {field.encode_name: field for field in info.fields}
    data: dict[str, Any] = {}
    for name in request.args:
        raw = request.args.get(name)
        field = fields.get(name)
        if field is not None and _is_int(field.type):
            if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(SQLITE_MAX_INTEGER))):
                answer_400("invalid_parameter", f"'{name}'", "must be " + _phrase(field.type))
            raw = int(raw)
        data[name] = raw
    return convert(model, data, query=True)


def convert(model, data: dict, *, query: bool = False):
    """``data`` (a parsed JSON object, or a query's values) as ``model``, or :class:`Invalid` naming the field.

    Needs no request: a job or a command can check what it reads the same way.
    """
    code = "invalid_parameter" if query else "invalid_field"
    try:
        value = msgspec.convert(data, model, strict=not query)
        return _apply_rules(value, type_info(model), "", True)
    except msgspec.ValidationError as exc:
        _translate(model, str(exc), code)
    except Refusal as refusal:
        answer_400(code, refusal.label, "must be " + refusal.problem)


def answer_400(code: str, label: str, problem: str):
    """Refuse the field ``label`` (quoted, ``'couple.name'``): Invalid carries its path as ``field``."""
    raise Invalid(code, f"{label} {problem}.", field=label.strip("'"))


_MESSAGE = re.compile(r"^(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$")


def _translate(model, message: str, code: str):
    """msgspec's one error, in the project's words: the field's name and what it must be."""
    match = _MESSAGE.match(message)
    problem, path = match.group("problem"), (match.group("path") or "").lstrip(".")
    unknown, missing = _UNKNOWN.match(problem), _MISSING.match(problem)
    if unknown or missing:
        name = (unknown or missing).group("name")
        path = f"{path}.{name}" if path else name
    kind = _type_at(type_info(model), path)
    if unknown:
        known = sorted(field.encode_name for field in _fields_of(_type_at(type_info(model),
                                                                          path.rpartition(".")[0])))
        raise Invalid("unknown_field", f"Unknown field(s): {path}. Known fields: {', '.join(known)}.", field=path)
    label = f"'{path.replace('[...]', '')}'"
    if missing or (kind is not None and _required_at(model, path)):
        answer_400(code, label, "is required and must be " + _phrase(kind))
    answer_400(code, label, "must be " + _phrase(kind))


def _apply_rules(value, info, label: str, required: bool):
    """Walk the converted value beside its type and apply each field's rule (text, time zone, bounds)."""
    if value is UNSET:
        return value
    if isinstance(info, msgspec.inspect.Metadata):
        value = _apply_rules(value, info.type, label, required)
        rule = (info.extra or {}).get(RULE)
        return rule(value, f"'{label}'", required) if rule is not None else value
    if isinstance(info, msgspec.inspect.StructType):
        for field in info.fields:
            inner = f"{label}.{field.encode_name}" if label else field.encode_name
            setattr(value, field.name, _apply_rules(getattr(value, field.name), field.type, inner, field.required))
        return value
    if isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.SetType, msgspec.inspect.FrozenSetType)):
        cleaned = [_apply_rules(item, info.item_type, f"{label}[{index}]", True) for index, item in enumerate(value)]
        return type(value)(cleaned)
    if isinstance(info, msgspec.inspect.DictType):
        return {key: _apply_rules(item, info.value_type, label, True) for key, item in value.items()}
    if isinstance(info, msgspec.inspect.UnionType):
        if value is None:
            return None
        for member in info.types:
            if not isinstance(_bare(member), msgspec.inspect.NoneType):
                return _apply_rules(value, member, label, required)
    return value


# -- what a field must be, in words -------------------------------------------------------------------


def _bare(info):
    while isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    return info


def _is_int(info) -> bool:
    info = _bare(info)
    if isinstance(info, msgspec.inspect.UnionType):
        return any(_is_int(member) for member in info.types)
    return isinstance(info, msgspec.inspect.IntType)


def _phrase(info) -> str:
    """``a whole number from 1 to 1440``, ``true or false``, ``text``, ``one of: yes, no``, ..."""
    if info is None:
        return "as documented"
    if isinstance(info, msgspec.inspect.Metadata) and (info.extra or {}).get("says"):
        return info.extra["says"]
    info = _bare(info)
    inspect = msgspec.inspect
    if isinstance(info, inspect.IntType):
        low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else None)
        high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else None)
        if low is not None and high is not None:
            return f"a whole number from {low} to {high}"
        return f"a whole number of at least {low}" if low is not None else "a whole number"
    if isinstance(info, inspect.FloatType):
        return "a number"
    if isinstance(info, inspect.BoolType):
        return "true or false"
    if isinstance(info, inspect.StrType):
        return "text"
    if isinstance(info, (inspect.StructType, inspect.DictType)):
        return "a JSON object"
    if isinstance(info, (inspect.ListType, inspect.SetType, inspect.FrozenSetType)):
        most = f" of at most {info.max_length} items" if info.max_length is not None else ""
        return f"a list{most}"
    if isinstance(info, (inspect.LiteralType, inspect.EnumType)):
        values = info.values if isinstance(info, inspect.LiteralType) else [m.value for m in info.cls]
        return "one of: " + ", ".join(str(value) for value in values)
    if isinstance(info, inspect.DateType):
        return "a date like 2024-03-10"
    if isinstance(info, inspect.DateTimeType):
        return "a date and time with its offset, like 2024-03-10T19:30:00+01:00"
    if isinstance(info, inspect.UnionType):
        phrases = [_phrase(member) for member in info.types
                   if not isinstance(_bare(member), inspect.NoneType)]
        return " or ".join(phrases)
    return "as documented"


def _fields_of(info) -> tuple:
    info = _bare(info)
    if isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            if isinstance(_bare(member), msgspec.inspect.StructType):
                return _bare(member).fields
    return info.fields if isinstance(info, msgspec.inspect.StructType) else ()


_STEP = re.compile(r"\.?([^.\[]+)|\[(\d+|\.\.\.)\]")


def _type_at(info, path: str):
    """The declared type at ``couple.name`` / ``tags[1]`` / ``answers[...]``, or None."""
    for name, index in _STEP.findall(path):
        bare = _bare(info)
        if isinstance(bare, msgspec.inspect.UnionType):
            bare = next((_bare(m) for m in bare.types
                         if not isinstance(_bare(m), msgspec.inspect.NoneType)), bare)
        if name:
            field = next((f for f in _fields_of(bare) if f.encode_name == name), None)
            if field is None:
                return None
            info = field.type
        elif isinstance(bare, msgspec.inspect.DictType):
            info = bare.value_type
        elif hasattr(bare, "item_type"):
            info = bare.item_type
        else:
            return None
    return info


def _required_at(model, path: str) -> bool:
    parent, _, name = path.rpartition(".")
    if "[" in name:
        return False
    fields = _fields_of(_type_at(type_info(model), parent))
    return any(field.encode_name == name and field.required for field in fields)
