"""The front end's shape: small files split by role, and the shared helpers written once.

Every page loads ``hearthside-kit.js`` before its own script (base.html), so a
helper there must not be written again by a page or a plugin: a copy drifts
(three ``busy`` and three ``formatDay`` once did, each a little different).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONT_END = ["web", "plugins", "examples", "core/scaffold"]
MAX_LINES = 500
KIT = ROOT / "web" / "static" / "hearthside-kit.js"


def front_end_files():
    for folder in FRONT_END:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".js", ".css", ".tmpl") and "vendor" not in path.parts and ".venv" not in path.parts:
                if path.suffix != ".tmpl" or path.name.endswith((".js.tmpl", ".css.tmpl")):
                    yield path


def test_no_script_or_style_sheet_is_over_500_lines():
    too_long = {str(path.relative_to(ROOT)): lines for path in front_end_files()
                if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES}
    assert not too_long, f"split these by role (the wall's styles, a page's script, ...): {too_long}"


def test_the_kit_helpers_are_written_once():
    helpers = set(re.findall(r"^  HS\.(\w+) = function", KIT.read_text(encoding="utf-8"), re.M))
    assert {"page", "pageData", "busy", "act", "field", "validate", "formatDay", "debounce"} <= helpers
    copies = []
    for path in front_end_files():
        if path == KIT or path.suffix == ".css":
            continue
        for name in helpers:
            text = path.read_text(encoding="utf-8")
            if re.search(rf"function {name}\s*\(|\b{name}\s*=\s*function", text):
                copies.append(f"{path.relative_to(ROOT)}: {name}")
    assert not copies, f"use Hearthside.<helper> from hearthside-kit.js instead: {copies}"


def test_the_kit_is_loaded_before_any_page_script():
    base = (ROOT / "web" / "templates" / "base.html").read_text(encoding="utf-8")
    kit, page = base.index("hearthside-kit.js"), base.index("{% block page_script %}")
    assert base.index("hearthside.js") < kit < page
