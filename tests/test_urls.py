"""Rules of the same shape share compiled URL builders, and every URL still comes out right."""

from __future__ import annotations

from flask import Flask, url_for

from hearthside.urls import SharedBuilderRule


def app_with(*rules) -> Flask:
    app = Flask(__name__)
    app.url_rule_class = SharedBuilderRule
    for rule, endpoint, defaults in rules:
        app.add_url_rule(rule, endpoint, lambda **kw: "", defaults=defaults)
    return app


def test_rules_of_one_shape_share_builders_and_build_their_own_urls():
    first = app_with(("/rituals/<int:ritual_id>", "ritual", None), ("/touch/<int:session_id>", "session", None))
    second = app_with(("/rituals/<int:ritual_id>", "ritual", None))
    built = {}
    for app in (first, second):
        with app.test_request_context():
            built[app] = url_for("ritual", ritual_id=7, page=2)
    assert built[first] == built[second] == "/rituals/7?page=2"
    [rule_a] = [r for r in first.url_map.iter_rules() if r.endpoint == "ritual"]
    [rule_b] = [r for r in second.url_map.iter_rules() if r.endpoint == "ritual"]
    assert rule_a._build.__func__ is rule_b._build.__func__  # compiled once
    with first.test_request_context():
        assert url_for("session", session_id=3) == "/touch/3"  # another shape, its own builder


def test_a_default_that_fills_a_variable_part_keeps_a_builder_of_its_own():
    app = app_with(("/week/<int:offset>", "week", None), ("/week", "this_week", {"offset": 0}),
                   ("/month/<int:offset>", "month", {"offset": 5}))
    with app.test_request_context():
        assert url_for("week", offset=2) == "/week/2"
        assert url_for("this_week") == "/week"
        assert url_for("month") == "/month/5"


def test_a_path_parsed_once_still_gives_each_app_its_own_converters_and_matches():
    first = app_with(("/rituals/<int:ritual_id>/days/<string(length=10):day>", "day", None))
    second = app_with(("/rituals/<int:ritual_id>/days/<string(length=10):day>", "day", None))
    [rule_a] = [r for r in first.url_map.iter_rules() if r.endpoint == "day"]
    [rule_b] = [r for r in second.url_map.iter_rules() if r.endpoint == "day"]
    assert rule_a._parts == rule_b._parts and rule_a._trace == rule_b._trace
    assert rule_a.arguments == rule_b.arguments == {"ritual_id", "day"}
    assert rule_b._converters["ritual_id"].map is second.url_map  # its own, not the first app's
    assert rule_b._converters["day"].regex == rule_a._converters["day"].regex
    for app in (first, second):
        adapter = app.url_map.bind("localhost")
        assert adapter.match("/rituals/7/days/2026-12-06") == ("day", {"ritual_id": 7, "day": "2026-12-06"})
        with app.test_request_context():
            assert url_for("day", ritual_id=7, day="2026-12-06") == "/rituals/7/days/2026-12-06"


def test_an_app_with_other_converters_parses_the_path_again():
    from werkzeug.routing import IntegerConverter

    class TwoDigits(IntegerConverter):
        regex = r"\d{2}"

    plain = app_with(("/week/<int:offset>", "week", None))
    other = Flask(__name__)
    other.url_rule_class = SharedBuilderRule
    other.url_map.converters["int"] = TwoDigits
    other.add_url_rule("/week/<int:offset>", "week", lambda **kw: "")
    assert plain.url_map.bind("localhost").match("/week/123") == ("week", {"offset": 123})
    assert isinstance([r for r in other.url_map.iter_rules() if r.endpoint == "week"][0]._converters["offset"],
                      TwoDigits)
    assert other.url_map.bind("localhost").match("/week/12") == ("week", {"offset": 12})
    assert other.url_map.bind("localhost").test("/week/123") is False
