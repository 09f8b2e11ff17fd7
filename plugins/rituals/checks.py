"""The parts of a ritual a member sends that need more than a field rule: who takes part, and the check-in's prompts.

The route's declaration (schemas.py) has checked each field's shape and text; these check what needs the
couple or the ritual's kind, before anything is written (:func:`.model.read_ritual` calls them);
a rule that says no raises ``Invalid`` (400), naming the field.
"""

from __future__ import annotations

import re

from hearthside.plugin_api import Invalid, couple_members

from . import presets

PROMPT_KINDS = ("text", "rating")
PROMPT_ID = re.compile(r"^[a-z0-9_]{1,24}$")
MAX_PROMPTS = 12


def member_ids(db, couple_id: int) -> list[int]:
    return [row["id"] for row in couple_members(db, couple_id)]


def read_participants(db, couple_id: int, value) -> list[int]:
    members = member_ids(db, couple_id)
    if value is None:
        return members
    if not value:
        raise Invalid("invalid_field", "'participants' must be a non-empty list of member ids.")
    if any(v not in members for v in value):
        raise Invalid("unknown_member", "'participants' may only list members of your couple.")
    return sorted(set(value))


def read_prompts(value: list[dict] | None, kind: str) -> list[dict]:
    """The prompts as sent (each checked by the route's declaration: clean text, a known kind), or the template's."""
    if value is None:
        return [dict(p) for p in presets.TEMPLATES[kind]["prompts"]]
    if kind != "checkin" and value:
        raise Invalid("invalid_field", "Only check-ins have prompts.")
    if len(value) > MAX_PROMPTS:
        raise Invalid("invalid_field", f"'prompts' must be a list of at most {MAX_PROMPTS} questions.")
    prompts, seen = [], set()
    for index, prompt in enumerate(value, 1):
        text, kind_ = prompt["text"], prompt.get("kind", "text")
        prompt_id = prompt.get("id", f"q{index}")
        if not isinstance(prompt_id, str) or not PROMPT_ID.match(prompt_id) or prompt_id in seen:
            raise Invalid("invalid_field", "Each prompt 'id' must be unique: lower-case letters, digits or _.")
        seen.add(prompt_id)
        prompts.append({"id": prompt_id, "kind": kind_, "text": text})
    if kind == "checkin" and not prompts:
        raise Invalid("invalid_field", "A check-in needs at least one prompt.")
    return prompts
