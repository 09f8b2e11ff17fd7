"""``GET /api/v1/openapi.json`` describes every API route, the plugins' too."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify

from hearthside.hookspecs import hookimpl
from hearthside.declare import answer, declare
from hearthside.web.openapi import build_document, openapi_path
from tests.support.routes import RoutesPlugin

IGNORED = {"HEAD", "OPTIONS"}


def api_routes(app):
    """Every (METHOD, OpenAPI path) the app serves under /api/v1."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1":
            path, _ = openapi_path(rule.rule)
            for method in rule.methods - IGNORED:
                yield method, path, rule.endpoint


def missing_from(app, doc):
    return sorted(f"{method} {path} ({endpoint})" for method, path, endpoint in api_routes(app)
                  if method.lower() not in doc["paths"].get(path, {}))


def test_the_document_is_public_json_and_openapi_3_1(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    doc = answer.json
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "Hearthside API"
    assert {"bearer", "session"} <= set(doc["components"]["securitySchemes"])


def test_every_api_route_is_described(app, client):
    doc = client.get("/api/v1/openapi.json").json
    missing = missing_from(app, doc)
    assert not missing, "API routes missing from openapi.json (declare each with @declare, " \
                        "hearthside.plugin_api):\n  " + "\n  ".join(missing)


def test_every_described_path_exists(app, client):
    """The document never lists a route this server does not have."""
    doc = client.get("/api/v1/openapi.json").json
    served = {(method.lower(), path) for method, path, _ in api_routes(app)}
    for path, operations in doc["paths"].items():
        for method in operations:
            assert (method, path) in served, f"{method.upper()} {path} is described but not served"


def test_operations_have_responses_and_path_parameters(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation["responses"], f"{method} {path} has no responses"
            assert "4XX" in operation["responses"], f"{method} {path} does not describe its JSON errors"
            in_path = set(re.findall(r"\{([^}]+)\}", path))
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert in_path == declared, f"{method} {path}: path parameters {in_path} vs {declared}"


def test_request_and_response_schemas_resolve(client):
    """Every $ref points at a schema that exists; writes describe their request body."""
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for target in refs(doc):
        assert target.startswith("#/components/schemas/") and target.rsplit("/", 1)[1] in schemas, target
    for path, method in [("/api/v1/onboarding", "post"), ("/api/v1/auth/token", "post"),
                         ("/api/v1/invites/{code}/accept", "post"), ("/api/v1/devices", "post"),
                         ("/api/v1/devices/claim", "post"), ("/api/v1/consents/{scope}", "put")]:
        assert "requestBody" in doc["paths"][path][method], f"{method} {path} has no request body"


def test_int_path_parameters_are_integers(client):
    doc = client.get("/api/v1/openapi.json").json
    parameter = doc["paths"]["/api/v1/devices/{device_id}"]["delete"]["parameters"][0]
    assert parameter == {"name": "device_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def test_security_follows_the_route(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["paths"]["/api/v1/health"]["get"]["security"] == []
    assert doc["paths"]["/api/v1/onboarding"]["post"]["security"] == []
    assert {"bearer": []} in doc["paths"]["/api/v1/me"]["get"]["security"]
    assert "wall screen" in doc["paths"]["/api/v1/dashboard"]["get"]["description"]


def test_the_contract_paths_are_all_written_down(client):
    """The API contract of DESIGN.md is described (the matcher's part by the matcher, which serves it)."""
    contract = [
        ("GET", "/api/v1/health"), ("POST", "/api/v1/onboarding"), ("POST", "/api/v1/auth/token"),
        ("POST", "/api/v1/invites"), ("POST", "/api/v1/invites/{code}/accept"), ("GET", "/api/v1/me"),
        ("POST", "/api/v1/devices"), ("POST", "/api/v1/devices/claim"), ("GET", "/api/v1/dashboard"),
        ("GET", "/api/v1/consents"), ("PUT", "/api/v1/consents/{scope}"), ("POST", "/api/v1/pause"),
        ("DELETE", "/api/v1/pause"), ("GET", "/api/v1/events"), ("GET", "/api/v1/matcher/items"),
        ("PUT", "/api/v1/matcher/answers"), ("GET", "/api/v1/matcher/answers"), ("GET", "/api/v1/matcher/matches"),
    ]
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert [key for key in contract if key[0].lower() not in paths.get(key[1], {})] == []


# -- plugins declare their own routes -------------------------------------------------------


class DocumentedPlugin:
    """A plugin with two routes, each declared with the one decorator."""

    @hookimpl
    def hearthside_blueprints(self, hs):
        bp = Blueprint("documented", __name__, url_prefix="/api/v1/documented")

        @bp.get("/things/<int:thing_id>")
        @declare("One thing", responses={"200": answer("The thing")})
        def get_thing(thing_id):
            return jsonify({"id": thing_id})

        @bp.post("/things")
        @declare("Make a thing", responses={"201": answer("Made")})
        def make_thing():
            return jsonify({}), 201

        return [bp]


def test_a_plugin_describes_its_routes_on_the_view(make_app):
    app = make_app(extra_plugins={"documented": DocumentedPlugin()})
    doc = app.test_client().get("/api/v1/openapi.json").json
    thing = doc["paths"]["/api/v1/documented/things/{thing_id}"]["get"]
    assert thing["summary"] == "One thing"
    assert thing["parameters"][0]["schema"] == {"type": "integer"}
    assert doc["paths"]["/api/v1/documented/things"]["post"]["summary"] == "Make a thing"
    assert missing_from(app, doc) == []


def test_an_undescribed_plugin_route_is_caught(make_app):
    undocumented = RoutesPlugin("undocumented", "/api/v1/undocumented")

    @undocumented.blueprint.get("/secret")
    def secret():
        return jsonify({})

    app = make_app(extra_plugins={"undocumented": undocumented})
    with app.app_context():
        doc = build_document(app)
    assert missing_from(app, doc) == ["GET /api/v1/undocumented/secret (undocumented.secret)"]
