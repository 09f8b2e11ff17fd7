"""The API described for machines: ``GET /api/v1/openapi.json`` (OpenAPI 3.1, public).

The document is built from Flask's URL map on every request, so it lists
exactly the routes this server has (the core's and every loaded plugin's).
Each operation's description comes from one of two places:

* the core's operations are written here, in :data:`OPERATIONS`, keyed by
  ``(METHOD, path)`` with path parameters in OpenAPI form (``{code}``);
* **a plugin describes its own routes on the view function**, as an
  attribute ``openapi`` mapping lower-case HTTP methods to OpenAPI operation
  objects - no import needed::

      @bp.get("/api/v1/rituals")
      @require()
      def list_rituals(principal):
          ...

      list_rituals.openapi = {"get": {
          "summary": "The couple's rituals",
          "responses": {"200": {"description": "The rituals", "content": json_content({...})}},
      }}

  (or decorate the view with :func:`document`, which sets the same
  attribute). Path parameters, the security requirement and the JSON error
  response are filled in from the route when the operation leaves them out.

A test (``tests/test_openapi.py``) fails when any ``/api/v1`` route and method
is missing from the document.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from hearthside import __version__
from hearthside.web.api import api

IGNORED_METHODS = {"HEAD", "OPTIONS"}
READ_METHODS = {"GET"}
# The one error that is not 4xx: the request was fine, the disk is full (hearthside.errors).
STORAGE_FULL = "The server's storage is full: nothing was saved, nothing saved before is affected"
API_PREFIX = "/api/v1"
_RULE_PARAM = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^>]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
_CONVERTER_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}, "uuid": {"type": "string", "format": "uuid"}}


def document(**operations: dict) -> Any:
    """Decorator form of the ``openapi`` attribute: ``@document(get={...}, post={...})``."""

    def decorator(view):
        existing = dict(getattr(view, "openapi", None) or {})
        existing.update({method.lower(): operation for method, operation in operations.items()})
        view.openapi = existing
        return view

    return decorator


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: list[str] | tuple = (), **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": json_content(schema)}


def answer(description: str, schema: dict | None = None) -> dict:
    response: dict = {"description": description}
    if schema is not None:
        response["content"] = json_content(schema)
    return response


def error(description: str) -> dict:
    return answer(description, ref("Error"))


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
ITEM_ID = {"type": ["string", "integer"]}
ANSWER = {"type": "string", "enum": ["yes", "no", "maybe"]}

SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": obj({"code": STRING, "message": STRING}, ["code", "message"])}, ["error"]),
    "Member": obj({"id": INTEGER, "username": STRING, "display_name": STRING}, ["id", "username", "display_name"]),
    "MemberSelf": obj({"id": INTEGER, "username": STRING, "display_name": STRING, "is_admin": BOOLEAN},
                      ["id", "username", "display_name"]),
    "NewMember": obj({
        "username": {"type": "string", "minLength": 2, "maxLength": 40, "pattern": "^[A-Za-z0-9._-]+$"},
        "password": {"type": "string", "minLength": 10, "maxLength": 1024},
        "display_name": {"type": "string", "minLength": 1, "maxLength": 60},
    }, ["username", "password", "display_name"]),
    "NewCouple": obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "time_zone": {"type": "string", "description": "IANA time zone, e.g. Europe/Berlin"},
    }),
    "Credentials": obj({
        "username": STRING, "password": STRING,
        "name": {"type": "string", "maxLength": 60, "description": "A label for the token or session"},
    }, ["username", "password"]),
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
    "PauseRequest": obj({
        "minutes": {"type": "integer", "minimum": 1, "maximum": 1440, "default": 20},
        "resume_at": {"type": "string", "format": "date-time",
                      "description": "With its offset; later than now and at most 24 hours away"},
    }, description="Send either minutes or resume_at (or nothing: 20 minutes)"),
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
    "MatcherAnswers": obj({"answers": {"type": "object", "additionalProperties": ANSWER,
                                       "description": "Keyed by item id"}}, ["answers"]),
}

PUBLIC: list = []  # security requirement of routes anybody may call
DEVICE_NOTE = " A paired wall screen's device token may call this too."

OPERATIONS: dict[tuple[str, str], dict] = {
    ("GET", "/api/v1/health"): {
        "summary": "Is the server up? (degraded: an installed plugin failed; its name is listed)",
        "tags": ["server"], "security": PUBLIC,
        "responses": {"200": answer("Up", obj({"status": {"type": "string", "enum": ["ok", "degraded"]},
                                               "version": STRING, "plugin_api": STRING,
                                               "safe_mode": {"type": "boolean"},
                                               "failed_plugins": {"type": "array", "items": STRING}},
                                              ["status", "version"]))},
    },
    ("GET", "/api/v1/openapi.json"): {
        "summary": "This document", "tags": ["server"], "security": PUBLIC,
        "responses": {"200": answer("The OpenAPI 3.1 description of this server's API", {"type": "object"})},
    },
    # -- accounts --------------------------------------------------------------------
    ("POST", "/api/v1/onboarding"): {
        "summary": "Set up the server: the first couple and its first member (the admin)", "tags": ["accounts"],
        "security": PUBLIC,
        "requestBody": body(obj({"couple": ref("NewCouple"), "member": ref("NewMember")}, ["couple", "member"])),
        "responses": {"201": answer("Created; the token is shown only now", ref("TokenAndMember")),
                      "409": error("The server is already set up")},
    },
    ("POST", "/api/v1/auth/token"): {
        "summary": "Exchange a username and password for a bearer token", "tags": ["accounts"], "security": PUBLIC,
        "requestBody": body(ref("Credentials")),
        "responses": {"200": answer("The token (shown only now)", obj({"token": STRING}, ["token"])),
                      "401": error("The username and password do not match"),
                      "429": error("Too many failed attempts; see Retry-After")},
    },
    ("POST", "/api/v1/auth/session"): {
        "summary": "Sign a browser in (sets the HttpOnly session cookie)", "tags": ["accounts"], "security": PUBLIC,
        "requestBody": body(ref("Credentials")),
        "responses": {"200": answer("Signed in", obj({"member": ref("MemberSelf"), "csrf_token": STRING},
                                                     ["member", "csrf_token"])),
                      "401": error("The username and password do not match"),
                      "415": error("Not sent as JSON"),
                      "429": error("Too many failed attempts; see Retry-After")},
    },
    ("DELETE", "/api/v1/auth/session"): {
        "summary": "Sign this browser out (harmless when already signed out)", "tags": ["accounts"],
        "security": PUBLIC,
        "responses": {"204": answer("Signed out")},
    },
    ("GET", "/api/v1/auth/csrf"): {
        "summary": "The CSRF token browser code sends as X-CSRF-Token on writes", "tags": ["accounts"],
        "responses": {"200": answer("The token", obj({"csrf_token": STRING}, ["csrf_token"])),
                      "400": error("Not a browser session")},
    },
    ("POST", "/api/v1/invites"): {
        "summary": "A one-time, expiring invite code for the partner", "tags": ["accounts"],
        "responses": {"201": answer("The code", ref("Invite")),
                      "409": error("couple_complete: the couple already has its two members")},
    },
    ("GET", "/api/v1/invites"): {
        "summary": "The couple's pending partner invites (never their codes)", "tags": ["accounts"],
        "responses": {"200": answer("Pending invites", obj({"invites": {"type": "array", "items": obj(
            {"id": INTEGER, "created_by": INTEGER, "created_at": {"type": ["string", "null"]},
             "expires_at": TIMESTAMP}, ["id", "created_by", "expires_at"])}}, ["invites"]))},
    },
    ("DELETE", "/api/v1/invites/{code}"): {
        "summary": "Revoke a pending invite, by its code or its id from the list", "tags": ["accounts"],
        "responses": {"204": answer("Revoked"), "404": error("No such pending invite in your couple")},
    },
    ("POST", "/api/v1/invites/{code}/accept"): {
        "summary": "Join with an invite code (the partner, or a new couple for an admin's invite)",
        "tags": ["accounts"], "security": PUBLIC,
        "requestBody": body({"allOf": [ref("NewMember"), obj({"couple": ref("NewCouple")})]}),
        "responses": {"201": answer("Joined; the token is shown only now", ref("TokenAndMember")),
                      "404": error("The code is unknown, used, revoked or expired, or its couple is complete"),
                      "409": error("The username is taken"),
                      "429": error("Too many codes that did not work; see Retry-After")},
    },
    ("GET", "/api/v1/me"): {
        "summary": "Who am I, and my couple", "tags": ["accounts"],
        "responses": {"200": answer("The caller and their couple", obj({
            "member": ref("MemberSelf"),
            "couple": obj({"id": INTEGER, "name": STRING, "time_zone": STRING,
                           "members": {"type": "array", "items": ref("Member")}}, ["id", "name", "members"]),
        }, ["member", "couple"]))},
    },
    ("PUT", "/api/v1/me/password"): {
        "summary": "Change my password (signs out every other session and token of mine)", "tags": ["accounts"],
        "requestBody": body(obj({"current_password": STRING,
                                 "new_password": {"type": "string", "minLength": 10}},
                                ["current_password", "new_password"])),
        "responses": {"204": answer("Changed"), "403": error("The current password is not correct"),
                      "429": error("Too many wrong passwords; see Retry-After")},
    },
    ("GET", "/api/v1/tokens"): {
        "summary": "My API tokens and browser sessions", "tags": ["accounts"],
        "responses": {"200": answer("Live tokens", obj({"tokens": {"type": "array", "items": ref("Token")}},
                                                       ["tokens"]))},
    },
    ("POST", "/api/v1/tokens"): {
        "summary": "A new named API token", "tags": ["accounts"],
        "requestBody": body(obj({"name": {"type": "string", "maxLength": 60}}, ["name"])),
        "responses": {"201": answer("The token (its secret is shown only now)",
                                    obj({"id": INTEGER, "name": STRING, "token": STRING}, ["id", "name", "token"]))},
    },
    ("DELETE", "/api/v1/tokens/{token_id}"): {
        "summary": "Revoke one of my tokens or sessions", "tags": ["accounts"],
        "responses": {"204": answer("Revoked"), "404": error("No such token of yours")},
    },
    ("POST", "/api/v1/admin/invites"): {
        "summary": "An invite that starts a new couple on this server (admins)", "tags": ["admin"],
        "responses": {"201": answer("The code", ref("Invite")), "403": error("Not the server's admin")},
    },
    ("GET", "/api/v1/admin/couples"): {
        "summary": "The couples on this server: names and sizes only (admins)", "tags": ["admin"],
        "responses": {"200": answer("Couples", obj({"couples": {"type": "array", "items": obj(
            {"id": INTEGER, "name": STRING, "members": INTEGER, "created_at": TIMESTAMP}, ["id", "name", "members"])}},
            ["couples"])), "403": error("Not the server's admin")},
    },
    ("GET", "/api/v1/admin/backups"): {
        "summary": "Scheduled backups: the schedule, the last and recent runs, the next one (admins)",
        "tags": ["admin"],
        "responses": {"200": answer("Backups", obj({
            "schedule": {"type": "string", "enum": ["off", "daily", "weekly"]}, "time": STRING, "keep": INTEGER,
            "copy_to": {"type": ["string", "null"]}, "last": {"oneOf": [ref("BackupRun"), {"type": "null"}]},
            "next_at": NULLABLE_TIMESTAMP, "recent": {"type": "array", "items": ref("BackupRun")},
            "download": obj({"allowed": BOOLEAN, "code": {"type": ["string", "null"]},
                             "message": {"type": ["string", "null"]}}, ["allowed"])},
            ["schedule", "time", "keep", "last", "next_at", "recent"])),
            "403": error("Not the server's admin")},
    },
    ("POST", "/api/v1/admin/backups"): {
        "summary": "Download the whole home as one bundle (admins of a one-couple server, with both partners' "
                   "consent core.backup_download)", "tags": ["admin"],
        "requestBody": body(obj({"passphrase": {"type": "string", "minLength": 8, "maxLength": 1024}}),
                            required=False),
        "responses": {"200": {"description": "The bundle file (.hsb), as an attachment",
                              "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
                      "400": error("A passphrase shorter than 8 characters"),
                      "403": error("Not the admin, a server shared by several couples "
                                   "(backup_download_shared_server), or the consent is off (consent_required)")},
    },
    # -- consent ---------------------------------------------------------------------
    ("GET", "/api/v1/consents"): {
        "summary": "Every consent scope in plain language, each member's grant, and whether it is active",
        "tags": ["consent"],
        "responses": {"200": answer("Scopes", obj({"scopes": {"type": "array", "items": ref("Scope")}}, ["scopes"]))},
    },
    ("PUT", "/api/v1/consents/{scope}"): {
        "summary": "Grant or revoke a scope for myself", "tags": ["consent"],
        "requestBody": body(obj({"granted": BOOLEAN}, ["granted"])),
        "responses": {"200": answer("The scope now", ref("Scope")), "404": error("No such scope")},
    },
    ("GET", "/api/v1/consents/history"): {
        "summary": "The couple's append-only consent history, oldest first", "tags": ["consent"],
        "responses": {"200": answer("History", obj({
            "history": {"type": "array", "items": ref("ConsentHistoryEntry")},
            "intact": {"type": "boolean", "description": "Whether the hash chain verifies"},
        }, ["history"]))},
    },
    # -- pause -------------------------------------------------------------------------
    ("GET", "/api/v1/pause"): {
        "summary": "The pause now", "tags": ["pause"],
        "responses": {"200": answer("The pause state", ref("PauseState"))},
    },
    ("POST", "/api/v1/pause"): {
        "summary": "Start (or replace) a pause; any member, no reason needed", "tags": ["pause"],
        "requestBody": body(ref("PauseRequest"), required=False),
        "responses": {"200": answer("The running pause", ref("PauseState"))},
    },
    ("DELETE", "/api/v1/pause"): {
        "summary": "End the pause; any member", "tags": ["pause"],
        "responses": {"200": answer("The pause state (not active)", ref("PauseState"))},
    },
    ("GET", "/api/v1/pause/history"): {
        "summary": "The couple's pauses, newest first", "tags": ["pause"],
        "responses": {"200": answer("History", obj({"history": {"type": "array", "items": ref("PauseHistoryEntry")}},
                                                   ["history"]))},
    },
    # -- devices and the wall ------------------------------------------------------------
    ("POST", "/api/v1/devices"): {
        "summary": "Create a wall-screen device and its one-time pairing code", "tags": ["devices"],
        "requestBody": body(obj({"name": {"type": "string", "maxLength": 60}}, ["name"])),
        "responses": {"201": answer("The device and its code (shown only now)", obj(
            {"id": INTEGER, "name": STRING, "pairing_code": STRING, "expires_at": TIMESTAMP}, ["id", "pairing_code"]))},
    },
    ("GET", "/api/v1/devices"): {
        "summary": "The couple's devices", "tags": ["devices"],
        "responses": {"200": answer("Devices", obj({"devices": {"type": "array", "items": ref("Device")}},
                                                   ["devices"]))},
    },
    ("DELETE", "/api/v1/devices/{device_id}"): {
        "summary": "Revoke a device; its screens stop at once", "tags": ["devices"],
        "responses": {"200": answer("The device", ref("Device")), "404": error("No such device in your couple")},
    },
    ("POST", "/api/v1/devices/claim"): {
        "summary": "A wall screen exchanges its pairing code for a device token", "tags": ["devices"],
        "security": PUBLIC,
        "requestBody": body(obj({"pairing_code": STRING}, ["pairing_code"])),
        "responses": {"201": answer("The device token (dashboard scope only)", obj(
            {"token": STRING, "device": obj({"id": INTEGER, "name": STRING})}, ["token"])),
            "404": error("The code is unknown, used or expired"),
            "429": error("Too many wrong codes; see Retry-After")},
    },
    ("GET", "/api/v1/dashboard"): {
        "summary": "What the shared wall screen shows now: consented cards and the pause", "tags": ["devices"],
        "responses": {"200": answer("Cards and pause", obj({"cards": {"type": "array", "items": ref("Card")},
                                                            "pause": ref("PauseState")}, ["cards", "pause"]))},
    },
    # -- events ------------------------------------------------------------------------------
    ("GET", "/api/v1/events"): {
        "summary": "Events the caller may see, oldest first, after an id (a wall: from its pairing on)",
        "tags": ["events"],
        "parameters": [
            {"name": "after", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0},
             "description": "The id of the last event you have"},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
        ],
        "responses": {"200": answer("Events", obj({"events": {"type": "array", "items": ref("Event")}}, ["events"]))},
    },
    # -- the matcher (its plugin may describe these itself; these are the contract) --------------
    ("GET", "/api/v1/matcher/items"): {
        "summary": "The yes / no / maybe list", "tags": ["matcher"],
        "responses": {"200": answer("Items", obj({"items": {"type": "array", "items": obj(
            {"id": ITEM_ID, "category": STRING, "title": STRING}, ["id", "category", "title"])}}, ["items"]))},
    },
    ("PUT", "/api/v1/matcher/answers"): {
        "summary": "Store my answers (all or nothing)", "tags": ["matcher"],
        "requestBody": body(ref("MatcherAnswers")),
        "responses": {"200": answer("Stored", {"type": "object"}), "400": error("A bad value; nothing was stored")},
    },
    ("GET", "/api/v1/matcher/answers"): {
        "summary": "My own answers only", "tags": ["matcher"],
        "responses": {"200": answer("My answers", ref("MatcherAnswers"))},
    },
    ("GET", "/api/v1/matcher/matches"): {
        "summary": "What is mutual, while matcher.reveal is active for everyone", "tags": ["matcher"],
        "responses": {"200": answer("Mutual items only", obj({"both_yes": {"type": "array", "items": ITEM_ID},
                                                              "worth_discussing": {"type": "array", "items": ITEM_ID}},
                                                             ["both_yes", "worth_discussing"])),
                      "403": error("matcher.reveal is not active")},
    },
}


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """``/invites/<code>/accept`` -> ``/invites/{code}/accept`` and its path parameters."""
    parameters = []

    def replace(match: re.Match) -> str:
        schema = _CONVERTER_TYPES.get(match.group("converter") or "", {"type": "string"})
        parameters.append({"name": match.group("name"), "in": "path", "required": True, "schema": dict(schema)})
        return "{" + match.group("name") + "}"

    return _RULE_PARAM.sub(replace, rule), parameters


def _operation(view, method: str, path: str) -> dict | None:
    own = getattr(view, "openapi", None)
    if isinstance(own, dict) and isinstance(own.get(method.lower()), dict):
        return own[method.lower()]
    return OPERATIONS.get((method, path))


def build_document(app) -> dict:
    """The OpenAPI document for every ``/api/v1`` route of ``app`` that has a description."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/")):
            continue
        path, path_parameters = openapi_path(rule.rule)
        view = app.view_functions.get(rule.endpoint)
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            described = _operation(view, method, path)
            if described is None:
                continue  # tests/test_openapi.py reports it
            operation = dict(described)
            operation.setdefault("operationId", f"{rule.endpoint}.{method.lower()}")
            declared = {(p.get("name"), p.get("in")) for p in operation.get("parameters", [])}
            extra = [p for p in path_parameters if (p["name"], "path") not in declared]
            if extra:
                operation["parameters"] = extra + list(operation.get("parameters", []))
            if "security" not in operation:
                if hasattr(view, "allows_device"):  # behind hearthside.auth.require()
                    operation["security"] = [{"bearer": []}, {"session": []}]
                if getattr(view, "allows_device", False):
                    operation["description"] = (operation.get("description", "") + DEVICE_NOTE).strip()
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
            "schemas": SCHEMAS,
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
def openapi_document():
    """The OpenAPI 3.1 description of this server's API (public: it holds no data)."""
    return jsonify(build_document(current_app))
