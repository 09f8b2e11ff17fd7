"""The shapes of the matcher API's answers, for its routes' ``@declare(responses=...)``.

What the routes accept is declared on the routes themselves (``Body`` models
in api.py); these are what they answer, in the OpenAPI document.
"""

from __future__ import annotations

from . import store

STRING = {"type": "string"}
ANSWER = {"type": "string", "enum": list(store.ANSWERS)}
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
