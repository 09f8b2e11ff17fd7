"""The API described for machines: ``GET /api/v1/openapi.json`` (OpenAPI 3.1, public).

The document is built from Flask's URL map on every request, so it lists
exactly the routes this server has (the core's and every loaded plugin's).
Nothing in it is written twice: each operation comes from the route's own
:func:`hearthside.declare.declare` - its summary and answers as written
there, its request body and query parameters as the JSON Schema of the
declared models (msgspec builds it from the same types that validate the
request). Path parameters come from the route (``<int:id>`` is an integer),
the security requirement from ``@require()`` (no ``@require``: public), and
every operation gets the JSON error answer, every write the 507 of a full
disk.

What stays here are the shared answer shapes (:data:`SCHEMAS`, referenced
as ``ref("Member")`` from the core's routes).

A test (``tests/test_openapi.py``) fails when any ``/api/v1`` route and method
is not declared.
"""

from __future__ import annotations

import re

import msgspec
from flask import current_app, jsonify

from hearthside import __version__
from hearthside.declare import (BOOLEAN, INTEGER, NULLABLE_TIMESTAMP, STRING, TIMESTAMP, answer,
                                declaration_of, declare, error, json_content, obj, ref)
from hearthside.web.api import api

IGNORED_METHODS = {"HEAD", "OPTIONS"}
READ_METHODS = {"GET"}
# The one error that is not 4xx: the request was fine, the disk is full (hearthside.errors).
STORAGE_FULL = "The server's storage is full: nothing was saved, nothing saved before is affected"
API_PREFIX = "/api/v1"
_RULE_PARAM = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^>]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
_CONVERTER_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}, "uuid": {"type": "string", "format": "uuid"}}

SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": obj({"code": STRING, "message": STRING}, ["code", "message"])}, ["error"]),
    "Member": obj({"id": INTEGER, "username": STRING, "display_name": STRING}, ["id", "username", "display_name"]),
    "MemberSelf": obj({"id": INTEGER, "username": STRING, "display_name": STRING, "is_admin": BOOLEAN},
                      ["id", "username", "display_name"]),
    "TokenAndMember": obj({"token": STRING, "member": ref("Member")}, ["token", "member"]),
    "Invite": obj({"code": STRING, "expires_in_hours": INTEGER}, ["code"]),
    "BackupRun": obj({"started_at": TIMESTAMP, "finished_at": NULLABLE_TIMESTAMP, "ok": BOOLEAN,
                      "file": {"type": ["string", "null"]}, "size": {"type": ["integer", "null"]},
                      "copied_to": {"type": ["string", "null"]}, "problem": {"type": ["string", "null"]}},
                     ["started_at", "ok", "problem"]),
    "Token": obj({"id": INTEGER, "name": STRING, "kind": {"type": "string", "enum": ["api", "session"]},
                  "created_at": TIMESTAMP, "last_used_at": NULLABLE_TIMESTAMP, "current": BOOLEAN},
                 ["id", "name", "kind", "created_at"]),
    "Scope": obj({
        "scope": STRING, "description": STRING, "who": STRING,
        "members": {"type": "object", "additionalProperties": BOOLEAN,
                    "description": "Each member's grant, keyed by member id"},
        "active": {"type": "boolean", "description": "True only while every required member grants it"},
    }, ["scope", "description", "members", "active"]),
    "ConsentHistoryEntry": obj({"id": INTEGER, "scope": STRING, "member_id": INTEGER, "granted": BOOLEAN,
                                "created_at": TIMESTAMP, "hash": STRING},
                               ["id", "scope", "member_id", "granted", "created_at"]),
    "PauseState": obj({
        "active": BOOLEAN, "id": INTEGER, "started_at": TIMESTAMP, "ends_at": TIMESTAMP,
        "started_by": {"type": ["integer", "null"], "description": "Who started it; members only, never the wall"},
        "seconds_left": {"type": "integer", "minimum": 0},
    }, ["active"], description="`{\"active\": false}` when no pause runs"),
    "PauseHistoryEntry": obj({"id": INTEGER, "started_by": {"type": ["integer", "null"]}, "started_at": TIMESTAMP,
                              "ends_at": TIMESTAMP, "ended_at": NULLABLE_TIMESTAMP,
                              "ended_by": {"type": ["integer", "null"]}}, ["id", "started_at", "ends_at"]),
    "Device": obj({"id": INTEGER, "name": STRING, "created_at": TIMESTAMP, "created_by": INTEGER,
                   "claimed_at": NULLABLE_TIMESTAMP, "last_used_at": NULLABLE_TIMESTAMP,
                   "pairing_expires_at": NULLABLE_TIMESTAMP, "revoked": BOOLEAN}, ["id", "name"]),
    "Card": obj({"plugin": STRING, "id": STRING, "title": STRING,
                 "body": {"type": "object", "description": "Plugin-defined; everything in it is seen by the room"}},
                ["plugin", "id", "title", "body"]),
    "Event": obj({
        "id": INTEGER, "type": STRING, "couple_id": INTEGER,
        "actor_id": {"type": ["integer", "null"], "description": "Who did it; always null for the wall"},
        "visibility": {"type": "string", "enum": ["private", "couple", "dashboard"]},
        "audience_id": {"type": ["integer", "null"]}, "payload": {"type": "object"}, "created_at": TIMESTAMP,
    }, ["id", "type", "couple_id", "actor_id", "visibility", "audience_id", "payload", "created_at"]),
}

DEVICE_NOTE = " A paired wall screen's device token may call this too."


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """``/invites/<code>/accept`` -> ``/invites/{code}/accept`` and its path parameters."""
    parameters = []

    def replace(match: re.Match) -> str:
        schema = _CONVERTER_TYPES.get(match.group("converter") or "", {"type": "string"})
        parameters.append({"name": match.group("name"), "in": "path", "required": True, "schema": dict(schema)})
        return "{" + match.group("name") + "}"

    return _RULE_PARAM.sub(replace, rule), parameters


def _operation(view, models: dict) -> dict | None:
    """The operation a route declared, its inputs as JSON Schema (``models``: model -> schema or $ref)."""
    declared = declaration_of(view)
    if declared is None:
        return None
    operation: dict = {"summary": declared.summary, **declared.extra}
    if declared.description:
        operation["description"] = declared.description
    if declared.tags:
        operation["tags"] = list(declared.tags)
    if declared.public:
        operation["security"] = []
    if declared.body is not None:
        operation["requestBody"] = {"required": not declared.body_optional,
                                    "content": json_content(models[declared.body])}
    if declared.query is not None:
        operation["parameters"] = _query_parameters(declared.query) + list(operation.get("parameters", []))
    operation["responses"] = dict(declared.responses)
    return operation


def _query_parameters(model) -> list[dict]:
    """One ``in: query`` parameter per field of a declared :class:`~hearthside.declare.Query`."""
    schema = msgspec.json.schema(model)
    own = schema["$defs"][schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
    required = set(own.get("required", ()))
    parameters = []
    for name, field in own.get("properties", {}).items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters


def _declared_bodies(app) -> tuple[dict, dict]:
    """Every declared body model's schema reference, and the components they need (msgspec names them)."""
    models = []
    for view in app.view_functions.values():
        declared = declaration_of(view)
        if declared is not None and declared.body is not None and declared.body not in models:
            models.append(declared.body)
    refs, components = msgspec.json.schema_components(models, ref_template="#/components/schemas/{name}")
    return dict(zip(models, refs)), components


def build_document(app) -> dict:
    """The OpenAPI document for every ``/api/v1`` route of ``app`` that is declared."""
    models, components = _declared_bodies(app)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/")):
            continue
        path, path_parameters = openapi_path(rule.rule)
        view = app.view_functions.get(rule.endpoint)
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            described = _operation(view, models)
            if described is None:
                continue  # not declared: tests/test_openapi.py reports it
            operation = dict(described)
            operation.setdefault("operationId", f"{rule.endpoint}.{method.lower()}")
            declared = {(p.get("name"), p.get("in")) for p in operation.get("parameters", [])}
            extra = [p for p in path_parameters if (p["name"], "path") not in declared]
            if extra:
                operation["parameters"] = extra + list(operation.get("parameters", []))
            if "security" not in operation:
                if hasattr(view, "allows_device"):  # behind hearthside.auth.require()
                    operation["security"] = [{"bearer": []}, {"session": []}]
                    if view.allows_device:
                        operation["description"] = (operation.get("description", "") + DEVICE_NOTE).strip()
                else:
                    operation["security"] = []  # no @require(): anybody may call it
            responses = dict(operation.get("responses") or {})
            responses.setdefault("4XX", error("An error: JSON with a stable code and a message for people"))
            if method not in READ_METHODS:
                responses.setdefault("507", error(STORAGE_FULL))
            operation["responses"] = responses
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hearthside API",
            "version": __version__,
            "description": "The REST API of a Hearthside server (v1). Every error is JSON "
                           "{\"error\": {\"code\", \"message\"}} with a 4xx status (a write on a full "
                           "disk answers 507 in the same shape). Browsers that use the "
                           "session cookie send X-CSRF-Token on writes. The live stream is Socket.IO at the "
                           "default path: connect with auth {\"token\"}, listen to message \"event\" "
                           "(the Event schema).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {**components, **SCHEMAS},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A member's API token, or a wall screen's device token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "hearthside_session",
                            "description": "A browser session (POST /api/v1/auth/session); writes also need "
                                           "the X-CSRF-Token header"},
            },
        },
    }


@api.get("/openapi.json")
@declare("This document", tags=["server"], public=True,
         responses={"200": answer("The OpenAPI 3.1 description of this server's API", {"type": "object"})})
def openapi_document():
    """The OpenAPI 3.1 description of this server's API (public: it holds no data)."""
    return jsonify(build_document(current_app))
