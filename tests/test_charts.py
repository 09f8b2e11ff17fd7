"""The core's chart macro (web/templates/macros/charts.html, ``plugin_api.line_chart``).

What the plugins' charts show is tested with them (touch: the path; rituals: the
rating trend); here: the macro's own promises - escaped labels, no inline
style or script in a page's chart, a standalone image that is a whole SVG
document with its own light and dark colours - and, in real Chromium, that a
chart in a page follows the theme into dark mode.
"""

from __future__ import annotations

import xml.dom.minidom

import pytest
import requests

from hearthside.plugin_api import line_chart
from hearthside.testing import PHONE
from tests.conftest import PASSWORD, ServerProcess

SERIES = [{"label": "You", "line": True, "dots": True, "points": [{"x": 0, "y": 2}, {"x": 1, "y": 4.5}]},
          {"label": "<b>Bob</b> & co, a very long name", "dots": True, "points": [{"x": 0.5, "y": 3, "title": "<i>"}]}]


def draw(app, **options):
    with app.app_context():
        return str(line_chart(title="Ratings", levels=["1", "2", "3", "4", "5"], **options))


def test_a_chart_in_a_page_is_plain_svg_coloured_by_classes_only(app):
    svg = draw(app, series=SERIES, ticks=[{"x": 0, "label": "4 Feb", "line": True}], legend=True)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "style" not in svg and "<script" not in svg and "http" not in svg and "#" not in svg
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 3  # the second series has no line
    assert 'points="28.0,101.0 328.0,28.5"' in svg  # level 2 and 4.5 of 1..5 on a 340x170 frame
    assert "hs-chart--tone-1" in svg and "hs-chart--tone-2" in svg
    assert "<b>" not in svg and "<i>" not in svg and "&lt;b&gt;Bob&lt;/b&gt; &amp;" in svg
    xml.dom.minidom.parseString(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_an_empty_chart_says_so(app):
    svg = draw(app, series=[{"label": "You", "line": True, "points": []}], empty="No ratings yet")
    assert "No ratings yet" in svg and "<polyline" not in svg


def test_a_standalone_chart_is_a_whole_document_with_light_and_dark_colours(app):
    svg = draw(app, series=SERIES, standalone=True)
    document = xml.dom.minidom.parseString(svg)
    assert document.documentElement.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
    style = document.getElementsByTagName("style")[0].firstChild.data
    assert "prefers-color-scheme: dark" in style and ".hs-chart__line" in style and "--accent:#a85f41" in style


def _touch_path_with_a_session(base: str) -> None:
    answer = requests.post(f"{base}/api/v1/onboarding", timeout=10, json={
        "couple": {"name": "Ann & Bob"}, "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
    assert answer.status_code == 201, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    assert requests.post(f"{base}/api/v1/touch/session", json={}, headers=headers, timeout=10).status_code == 201
    assert requests.delete(f"{base}/api/v1/touch/session", headers=headers, timeout=10).status_code == 200


@pytest.fixture
def chart_server(data_dir):
    process = ServerProcess(data_dir)
    yield process
    process.stop_soon()


COLOURS = """() => {
    const of = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
    const token = name => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return {frame: of(".hs-chart__frame", "fill"), label: of(".hs-chart__label", "fill"),
            line: of(".hs-chart__line", "stroke"), dot: of(".hs-chart__dot", "fill"),
            surface: token("--surface"), muted: token("--muted")};
}"""


def test_a_chart_follows_the_theme_into_dark_mode(chromium, chart_server):
    base = chart_server.url
    _touch_path_with_a_session(base)
    seen = {}
    for scheme in ("light", "dark"):
        context = chromium.new_context(base_url=base, color_scheme=scheme, **PHONE)
        signed_in = context.request.post(f"{base}/api/v1/auth/session", data={"username": "ann", "password": PASSWORD})
        assert signed_in.ok, signed_in.text()
        page = context.new_page()
        page.goto("/touch/path")
        seen[scheme] = page.evaluate(COLOURS)
        context.close()
    assert seen["light"]["frame"] == "rgb(255, 252, 248)" and seen["light"]["surface"] == "#fffcf8"
    assert seen["dark"]["frame"] == "rgb(37, 33, 30)" and seen["dark"]["surface"] == "#25211e"
    assert seen["dark"]["label"] == "rgb(181, 168, 156)"  # --muted of the dark theme
    assert seen["dark"]["line"] == "rgb(157, 187, 163)" and seen["dark"]["dot"] == "rgb(208, 138, 105)"
    assert seen["light"]["line"] == "rgb(95, 127, 102)" and seen["light"]["dot"] == "rgb(168, 95, 65)"
