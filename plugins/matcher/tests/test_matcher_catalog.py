"""The built-in catalog: enough items, plain categories, stable ids, versions that only add."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hearthside.plugins.matcher import catalog
from matcher_testing import X, Y, own, put

CATEGORIES = {"affection", "touch", "talk", "sex", "settings", "digital", "care"}
PLUGIN_DIR = Path(catalog.__file__).parent


def test_the_catalog_has_at_least_120_items_in_every_category():
    shipped = catalog.builtin()
    assert len(shipped.items) >= 120
    assert {c["id"] for c in shipped.categories} == CATEGORIES
    per_category = {c: sum(1 for item in shipped.items if item["category"] == c) for c in CATEGORIES}
    assert min(per_category.values()) >= 10, per_category
    assert len(shipped.ids) == len(shipped.items)  # unique
    for item in shipped.items:
        assert item["title"].strip() == item["title"] and len(item["title"]) <= 120
        explanation = item.get("explanation")
        assert explanation is None or ("\n" not in explanation and len(explanation) <= 160)
        assert item["id"].startswith(item["category"] + ".")


def test_where_direction_matters_giving_and_receiving_are_separate_items():
    ids = catalog.builtin().ids
    pairs = [("-giving", "-receiving"), ("-sending", "-receiving"), ("-wearing", "-seeing"), ("-saying", "-hearing")]
    directed = 0
    for item_id in ids:
        for one, other in pairs:
            if item_id.endswith(one):
                directed += 1
                assert item_id[: -len(one)] + other in ids, f"{item_id} has no {other} counterpart"
    assert directed >= 15


def test_the_catalog_stays_plain_and_local():
    text = (PLUGIN_DIR / "catalog" / "v1.json").read_text(encoding="utf-8").lower()
    assert "http" not in text and "www." not in text
    for page in list((PLUGIN_DIR / "templates").rglob("*.html")) + list((PLUGIN_DIR / "static").rglob("*")):
        assert not re.search(r"https?://", page.read_text(encoding="utf-8")), page


def _catalog_dir(tmp_path, *extra: dict) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    shutil.copy(PLUGIN_DIR / "catalog" / "v1.json", folder / "v1.json")
    for number, data in enumerate(extra, start=2):
        (folder / f"v{number}.json").write_text(json.dumps({"version": number, **data}))
    return folder


def test_a_new_version_adds_items_and_categories(tmp_path):
    folder = _catalog_dir(tmp_path, {
        "categories": [{"id": "growth", "title": "Growing together", "description": "New."}],
        "items": [{"id": "growth.new-hobby", "category": "growth", "title": "A new hobby together"},
                  {"id": "touch.hand-massage-giving", "category": "touch", "title": "Giving a hand massage"}]})
    merged = catalog.load(folder)
    assert merged.version == 2
    assert catalog.builtin().ids < merged.ids and len(merged.ids) == len(catalog.builtin().ids) + 2
    new = {item["id"]: item for item in merged.items}
    assert new["growth.new-hobby"]["added_in"] == 2 and new[X]["added_in"] == 1
    # items stay grouped by category: the new touch item comes before the talk items
    order = [item["id"] for item in merged.items]
    assert order.index("touch.hand-massage-giving") < order.index("talk.check-ins")


@pytest.mark.parametrize("extra, words", [
    ({"items": [{"id": X, "category": "affection", "title": "Changed meaning"}]}, "already exists"),
    ({"items": [{"id": "nowhere.item", "category": "nowhere", "title": "t"}]}, "unknown category"),
    ({"items": [{"id": "Bad Id", "category": "touch", "title": "t"}]}, "not of the form"),
    ({"items": [{"id": "touch.untitled", "category": "touch", "title": " "}]}, "no title"),
    ({"categories": [{"id": "touch", "title": "again", "description": ""}]}, "defined twice"),
])
def test_a_version_that_would_change_or_break_an_id_is_refused(tmp_path, extra, words):
    with pytest.raises(catalog.CatalogError, match=words):
        catalog.load(_catalog_dir(tmp_path, extra))


def test_versions_must_follow_each_other(tmp_path):
    folder = _catalog_dir(tmp_path)
    (folder / "v3.json").write_text(json.dumps({"version": 3, "items": []}))
    with pytest.raises(catalog.CatalogError, match="numbered"):
        catalog.load(folder)


def test_a_new_catalog_version_leaves_answers_alone(pair, tmp_path, monkeypatch):
    ann, _bob = pair
    put(ann, {X: "yes", Y: "maybe"}, notes={Y: "kept"})
    upgraded = catalog.load(_catalog_dir(tmp_path, {
        "items": [{"id": "touch.hand-massage-giving", "category": "touch", "title": "Giving a hand massage"}]}))
    monkeypatch.setattr(catalog, "builtin", lambda: upgraded)
    listing = ann.get("/api/v1/matcher/items").json
    assert listing["catalog_version"] == 2 and "touch.hand-massage-giving" in [i["id"] for i in listing["items"]]
    mine = own(ann)
    assert mine["answers"] == {X: "yes", Y: "maybe"} and mine["notes"] == {Y: "kept"}
    assert put(ann, {"touch.hand-massage-giving": "maybe"}).status_code == 200
