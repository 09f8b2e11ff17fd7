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
