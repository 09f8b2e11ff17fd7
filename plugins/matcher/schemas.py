"""What the matcher API accepts and answers, for its routes' ``@declare``.

The ``Body``/``Query`` models at the end are checked before a view runs
(types, the one text rule, unknown fields refused) and are the OpenAPI
request schemas; the shapes above describe the answers. Each answer and note
in a batch is checked by the view, which names the item in the matcher's own
codes (invalid_answer, invalid_note, unknown_item).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from hearthside.plugin_api import Body, Query, Text

from . import catalog, model

STRING = {"type": "string"}
ANSWER = {"type": "string", "enum": list(model.ANSWERS)}
PROPOSAL = {"type": ["object", "null"], "properties": {
    "action": {"type": "string", "enum": ["hide", "show"]},
    "you_agreed": {"type": "boolean", "description": "Whether you agreed; never who else did"}}}
ITEM = {"type": "object", "required": ["id", "category", "title"], "properties": {
    "id": STRING, "category": STRING, "title": STRING, "explanation": STRING,
    "custom": {"type": "boolean", "description": "Added by the couple (never says by whom)"},
    "added_in": {"type": "integer", "description": "Catalog version that added it"},
    "proposal": PROPOSAL}}
ITEMS = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ITEM}}}
MINE = {"type": "object", "required": ["answers"], "properties": {
    "answers": {"type": "object", "additionalProperties": ANSWER, "description": "Keyed by item id"},
    "notes": {"type": "object", "additionalProperties": STRING, "description": "Private notes, never shared"},
    "waiting": {"type": "object", "description": "Raised answers waiting out the cool-down, by item id",
                "additionalProperties": {"type": "object", "properties": {
                    "counts_from": {"type": "string", "format": "date-time"}, "counts_now": ANSWER}}},
    "cooldown_days": {"type": "integer"},
    "compared": {"type": "boolean", "description": "The couple has compared; raised answers now wait"}}}
REVEAL = {"type": "object", "properties": {
    "active": {"type": "boolean", "description": "matcher.reveal is on for everyone"},
    "broad_percent": {"type": "integer"},
    "you_broad": {"type": "boolean", "description": "Your answers are yes or maybe for at least broad_percent"},
    "partner_broad": {"type": "boolean", "description": "A partner who turned on ready-to-compare is broad"},
    "to_confirm": {"type": "boolean", "description": "Results wait for your confirmation"},
    "waiting_for_partner": {"type": "boolean", "description": "Results wait for a partner to confirm your breadth"},
    "results_visible": {"type": "boolean"}}}


# -- what the routes accept (checked before the view runs, and the OpenAPI request schemas) ------


# Each value is checked by the view, which names the item in its own codes (invalid_answer, invalid_note).
AnswersById = Annotated[dict[str, Any], msgspec.Meta(description="Keyed by item id",
                                                     extra_json_schema={"additionalProperties": ANSWER})]
NotesById = Annotated[dict[str, Any], msgspec.Meta(
    description="Private notes keyed by item id; null clears one",
    extra_json_schema={"additionalProperties": {"type": ["string", "null"], "maxLength": model.NOTE_MAX}})]


class NewItem(Body):
    title: Text(model.TITLE_MAX)
    explanation: Text(model.EXPLANATION_MAX, multiline=True) | None = None
    category: str = catalog.CUSTOM_CATEGORY["id"]  # one of model.categories(), checked by the view


class Proposal(Body):
    item_id: str
    action: Literal["hide", "show"]


class Withdrawal(Query):
    item_id: str


class Answers(Body):
    answers: AnswersById
    notes: NotesById = {}


class Confirmation(Body):
    confirm: bool
