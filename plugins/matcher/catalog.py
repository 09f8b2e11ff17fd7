"""The built-in catalog: versioned data files with stable item ids.

``catalog/v1.json``, ``v2.json``, ... each list categories and items. A later
version may only *add*: an id, once shipped, keeps its meaning for ever,
because members' answers are stored against it. Loading checks this, so a
catalog edit that would quietly re-point somebody's answer fails at start
(and in the tests) instead of in a couple's results.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOG_DIR = Path(__file__).with_name("catalog")
FILE_PATTERN = re.compile(r"^v(\d+)\.json$")
ID_PATTERN = re.compile(r"^[a-z]+\.[a-z0-9-]{1,60}$")

# Custom items proposed by a couple land here unless the proposer picks a category.
CUSTOM_CATEGORY = {"id": "ours", "title": "Added by the two of you",
                   "description": "Items either of you added. Nobody is told who added which."}


@dataclass(frozen=True)
class Catalog:
    version: int
    categories: tuple[dict, ...]
    items: tuple[dict, ...]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(item["id"] for item in self.items)

    @property
    def category_ids(self) -> frozenset[str]:
        return frozenset(category["id"] for category in self.categories)


class CatalogError(ValueError):
    """A catalog file breaks the rules (duplicate or changed id, unknown category)."""


def load(directory: Path = CATALOG_DIR) -> Catalog:
    """Merge every version in order; later versions add categories and items only."""
    files = sorted(((int(m.group(1)), path) for path in Path(directory).iterdir()
                    if (m := FILE_PATTERN.match(path.name))), key=lambda pair: pair[0])
    if not files:
        raise CatalogError(f"no catalog files (v1.json, ...) in {directory}")
    categories: dict[str, dict] = {}
    items: dict[str, dict] = {}
    version = 0
    for number, path in files:
        if number != version + 1:
            raise CatalogError(f"catalog versions must be numbered 1, 2, 3 ...: {path.name} follows v{version}")
        version = number
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != number:
            raise CatalogError(f"{path.name} says it is version {data.get('version')!r}")
        for category in data.get("categories", []):
            if category["id"] in categories or category["id"] == CUSTOM_CATEGORY["id"]:
                raise CatalogError(f"{path.name}: category {category['id']!r} is defined twice")
            categories[category["id"]] = {key: category[key] for key in ("id", "title", "description")}
        for raw in data.get("items", []):
            item_id = raw["id"]
            if not ID_PATTERN.match(item_id):
                raise CatalogError(f"{path.name}: item id {item_id!r} is not of the form 'category.slug'")
            if item_id in items:
                raise CatalogError(f"{path.name}: item id {item_id!r} already exists; ids are never reused")
            if raw["category"] not in categories:
                raise CatalogError(f"{path.name}: item {item_id!r} has unknown category {raw['category']!r}")
            if not raw.get("title", "").strip():
                raise CatalogError(f"{path.name}: item {item_id!r} has no title")
            item = {"id": item_id, "category": raw["category"], "title": raw["title"], "added_in": number}
            if raw.get("explanation"):
                item["explanation"] = raw["explanation"]
            items[item_id] = item
    # Items of one category stay together, in the order the files list them.
    order = {category_id: index for index, category_id in enumerate(categories)}
    ordered = sorted(items.values(), key=lambda item: order[item["category"]])
    return Catalog(version, tuple(categories.values()), tuple(ordered))


@lru_cache(maxsize=1)
def builtin() -> Catalog:
    """The shipped catalog, read once per process."""
    return load()
