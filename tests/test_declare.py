"""Declared inputs (hearthside.declare): one model per body and query checks the request and describes it."""

from __future__ import annotations

from typing import Literal

import pytest
from flask import Blueprint, jsonify

from hearthside.hookspecs import hookimpl
from hearthside.plugin_api import (UNSET, Body, Day, Many, Query, Text, UnsetType, Whole, answer, declare, error,
                                   require)
from hearthside.testing import onboard_couple


class Item(Body):
    name: Text(20)
    tags: Many(Text(10), most=2) = []


class Order(Body):
    title: Text(40)
    kind: Literal["big", "small"]
    items: Many(Item, least=1, most=3)
    minutes: Whole(1, 60, says="a whole number of minutes from 1 to 60") | UnsetType = UNSET
    note: Text(100, multiline=True, allow_empty=False) | None = None
    code: Text(8, pattern=r"[A-Z]{3}", pattern_says="must be three capital letters") | None = None


class Page(Query):
    limit: Whole(1, 50) = 10
    since: Day() | None = None


class Mark(Body):
    done: bool = False


class DeclaringPlugin:
    @hookimpl
    def hearthside_blueprints(self, hs):
        bp = Blueprint("declaring", __name__, url_prefix="/api/v1/declaring")

        @bp.post("/orders")
        @declare("Place an order", body=Order, public=True,
                 responses={"201": answer("The order as read"), "409": error("Sold out")})
        def place(body: Order):
            return jsonify({"title": body.title, "items": [[item.name, item.tags] for item in body.items],
                            "minutes": None if body.minutes is UNSET else body.minutes, "note": body.note}), 201

        @bp.get("/orders")
        @declare("Orders, a page at a time", query=Page, public=True, responses={"200": answer("A page")})
        def listing(query: Page):
            return jsonify({"limit": query.limit, "since": query.since and query.since.isoformat()})

        @bp.put("/mine")
        @require()
        @declare("Mark mine", body=Mark, body_optional=True, responses={"200": answer("Marked")})
        def mark(principal, body: Mark):
            return jsonify({"done": body.done})

        return [bp]


GOOD = {"title": "  Dinner   for two ", "kind": "big", "items": [{"name": "Soup", "tags": ["hot"]}]}


@pytest.fixture
def client(make_app):
    return make_app(extra_plugins={"declaring": DeclaringPlugin()}).test_client()


def error_of(answer, code: str) -> str:
    assert answer.status_code == 400, answer.get_json()
    assert answer.json["error"]["code"] == code, answer.json
    return answer.json["error"]["message"]


def test_a_good_body_reaches_the_view_clean(client):
    answer = client.post("/api/v1/declaring/orders", json={**GOOD, "minutes": 5, "note": " line one\r\nline two "})
    assert answer.status_code == 201
    assert answer.json == {"title": "Dinner for two", "items": [["Soup", ["hot"]]], "minutes": 5,
                           "note": "line one\nline two"}


@pytest.mark.parametrize("changes, code, words", [
    ({"titel": "x"}, "unknown_field", "titel"),
    ({"items": [{"name": "Soup", "colour": "red"}]}, "unknown_field", "items[0].colour"),
    ({"title": 5}, "invalid_field", "'title' is required and must be text"),
    ({"title": "   "}, "invalid_field", "'title' is required and must not be empty"),
    ({"title": "x" * 41}, "invalid_field", "at most 40 characters"),
    ({"title": "A\u202eB"}, "invalid_characters", "bidirectional"),
    ({"kind": "huge"}, "invalid_field", "'kind' is required and must be one of: big, small"),
    ({"items": []}, "invalid_field", "'items' is required and must be a list of 1 to 3 items"),
    ({"items": [{"name": "Soup", "tags": ["a", ""]}]}, "invalid_field", "'items[0].tags[1]'"),
    ({"items": [{"name": "Soup\x00"}]}, "invalid_characters", "'items[0].name'"),
    ({"items": [{"tags": []}]}, "invalid_field", "'items[0].name' is required"),
    ({"minutes": 0}, "invalid_field", "'minutes' must be a whole number of minutes from 1 to 60"),
    ({"minutes": None}, "invalid_field", "'minutes'"),
    ({"minutes": True}, "invalid_field", "'minutes'"),
    ({"minutes": "5"}, "invalid_field", "'minutes'"),
    ({"note": "  "}, "invalid_field", "'note' is required and must not be empty"),
    ({"code": "abc"}, "invalid_field", "'code' must be three capital letters"),
])
def test_a_bad_body_is_a_400_naming_the_field(client, changes, code, words):
    message = error_of(client.post("/api/v1/declaring/orders", json={**GOOD, **changes}), code)
    assert words in message
    for value in changes.values():  # never the value itself
        if isinstance(value, str) and len(value.strip()) > 3:
            assert value not in message


def test_null_for_an_optional_field_is_left_out_and_an_empty_one_is_kept_out(client):
    answer = client.post("/api/v1/declaring/orders", json={**GOOD, "note": None, "code": None})
    assert answer.status_code == 201 and answer.json["note"] is None


@pytest.mark.parametrize("body, code", [(None, "body_required"), ("[1]", "invalid_json")])
def test_a_missing_or_wrong_body_keeps_its_codes(client, body, code):
    if body is None:
        answer = client.post("/api/v1/declaring/orders")
    else:
        answer = client.post("/api/v1/declaring/orders", data=body, content_type="application/json")
    error_of(answer, code)


def test_a_query_is_checked_like_a_body(client):
    assert client.get("/api/v1/declaring/orders").json == {"limit": 10, "since": None}
    assert client.get("/api/v1/declaring/orders?limit=20&since=2024-03-10").json == {"limit": 20,
                                                                                      "since": "2024-03-10"}
    for query, words in [("limit=0", "'limit' must be a whole number from 1 to 50"), ("limit=+5", "'limit'"),
                         ("limit=1e3", "'limit'"), ("limit=" + "9" * 30, "'limit'"),
                         ("since=9999-12-30", "from 1970-01-01 to 2200-12-31"), ("since=tomorrow", "'since'")]:
        assert words in error_of(client.get(f"/api/v1/declaring/orders?{query}"), "invalid_parameter"), query
    assert "lmit" in error_of(client.get("/api/v1/declaring/orders?lmit=5"), "unknown_field")


def test_credentials_come_before_input_and_an_optional_body_may_be_left_out(client):
    assert client.put("/api/v1/declaring/mine", json={"nonsense": 1}).status_code == 401  # not a 400 about it
    ann, _bob = onboard_couple(client)
    assert ann.put("/api/v1/declaring/mine").json == {"done": False}
    assert ann.put("/api/v1/declaring/mine", json={"done": True}).json == {"done": True}
    assert "nonsense" in error_of(ann.put("/api/v1/declaring/mine", json={"nonsense": 1}), "unknown_field")


def test_the_openapi_document_is_built_from_the_declarations(client):
    doc = client.get("/api/v1/openapi.json").json
    place = doc["paths"]["/api/v1/declaring/orders"]["post"]
    assert place["summary"] == "Place an order" and place["security"] == []
    assert set(place["responses"]) >= {"201", "409", "4XX", "507"}
    assert place["requestBody"]["required"] is True
    schema = doc["components"]["schemas"][place["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                                          .rsplit("/", 1)[1]]
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"title", "kind", "items"}
    assert schema["properties"]["title"]["maxLength"] == 40
    assert schema["properties"]["kind"]["enum"] == ["big", "small"]
    assert schema["properties"]["items"]["maxItems"] == 3
    parameters = {p["name"]: p for p in doc["paths"]["/api/v1/declaring/orders"]["get"]["parameters"]}
    assert parameters["limit"]["in"] == "query" and parameters["limit"]["required"] is False
    assert parameters["limit"]["schema"]["maximum"] == 50 and parameters["since"]["schema"]["anyOf"][0]["format"] == "date"
    mine = doc["paths"]["/api/v1/declaring/mine"]["put"]
    assert mine["requestBody"]["required"] is False and {"bearer": []} in mine["security"]
