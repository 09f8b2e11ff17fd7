"""What the transparency API accepts and answers, for its routes' ``@declare``.

The ``Body``/``Query`` models at the end are checked before a view runs
(types, the one text rule, unknown fields refused) and are the OpenAPI
request schemas; the shapes above describe the answers. Rules that need the
couple's data or settings (the time zone, max_entry_length) stay in
validate.py and the domain modules.
"""

from __future__ import annotations

from typing import Literal

from hearthside.plugin_api import Body, Day, Many, Moment, Query, Text, Whole, error

from . import agreements, model, reviews, rules, validate

DEFAULT_PAGE = 50
MAX_PAGE = 200
LONGEST_TEXT = 20000  # the largest max_entry_length the settings allow; the couple's own limit is checked after

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_ID = {"type": ["integer", "null"]}
RECEIPT = {"type": "object", "properties": {"member_id": INTEGER, "at": TIME}, "required": ["member_id", "at"]}

RECORD = {"type": "object", "description": "A record of the chain: an entry, reply, question, answer or sharing "
                                           "notice. A forgotten record keeps its seal but no content.",
          "required": ["id", "seq", "author_id", "created_at", "hash", "forgotten"], "properties": {
              "id": INTEGER, "seq": {"type": "integer", "description": "Position in the couple's chain, from 1"},
              "kind": {"type": ["string", "null"], "enum": [*model.RECORD_KINDS, None]},
              "author_id": INTEGER, "text": {"type": ["string", "null"]},
              "occurred_at": {"type": ["string", "null"], "description": "When it happened (or is planned)"},
              "tags": {"type": "array", "items": STRING}, "refers_to": NULLABLE_ID,
              "relation": {"type": ["string", "null"], "enum": ["correction", "addendum", "reply", "answer", None]},
              "created_at": TIME,
              "salt": {"type": ["string", "null"], "description": "The record's random salt, hashed with its "
                       "content; null once forgotten (and for records written before salts existed)"},
              "hash": STRING, "forgotten": BOOLEAN, "forgotten_at": NULLABLE_TIME,
              "acknowledged_by": {"type": "array", "items": RECEIPT},
              "replies": {"type": "array", "items": INTEGER}, "answers": {"type": "array", "items": INTEGER},
              "corrections": {"type": "array", "items": {"type": "object", "properties": {
                  "id": INTEGER, "relation": STRING}}}}}
VERIFY = {"type": "object", "required": ["length", "head", "intact", "first_broken"], "properties": {
    "length": INTEGER, "head": {"type": "string", "description": "The newest seal (64 zeros when empty)"},
    "intact": BOOLEAN,
    "first_broken": {"type": ["object", "null"], "properties": {
        "seq": INTEGER, "entry_id": NULLABLE_ID, "message": STRING,
        "reason": {"type": "string", "enum": ["missing", "link", "content", "seal", "anchor"]}}}}}
PROPOSAL = {"type": "object", "properties": {
    "id": INTEGER, "rules": {"type": "array", "items": STRING}, "proposed_by": INTEGER, "created_at": TIME,
    "status": {"type": "string", "enum": ["open", "adopted", "declined", "withdrawn", "superseded"]},
    "decided_at": NULLABLE_TIME, "decided_by": NULLABLE_ID, "approved_by": {"type": "array", "items": RECEIPT}}}
NULLABLE_PROPOSAL = {"oneOf": [PROPOSAL, {"type": "null"}]}
VERSION = {"type": "object", "properties": {
    "id": INTEGER, "version": INTEGER, "items": {"type": "array", "items": STRING},
    "review_on": {"type": "string", "format": "date"}, "proposed_by": INTEGER, "created_at": TIME,
    "status": {"type": "string", "enum": ["proposed", "active", "declined", "withdrawn", "superseded", "ended"]},
    "activated_at": NULLABLE_TIME, "review_due": BOOLEAN, "review_due_at": NULLABLE_TIME,
    "closed_at": NULLABLE_TIME, "closed_by": NULLABLE_ID, "signed_by": {"type": "array", "items": RECEIPT}}}
NULLABLE_VERSION = {"oneOf": [VERSION, {"type": "null"}]}
SUMMARY = {"type": "object", "description": "Counts only, never text", "properties": {
    "from_seq": INTEGER, "to_seq": INTEGER, "records": INTEGER, "entries": INTEGER,
    "by_kind": {"type": "object", "additionalProperties": INTEGER}, "breaches": INTEGER,
    "questions_opened": INTEGER, "questions_answered": INTEGER, "questions_still_open": INTEGER,
    "acknowledged": {"type": "object", "properties": {"count": INTEGER, "of": INTEGER,
                                                      "rate": {"type": ["number", "null"]}}},
    "entries_with_replies": INTEGER, "sharing_changes": INTEGER, "forgotten": INTEGER}}
REVIEW = {"type": "object", "properties": {
    "id": INTEGER, "started_by": INTEGER, "started_at": TIME, "from_seq": INTEGER, "to_seq": INTEGER,
    "head_hash": STRING, "summary": SUMMARY, "completed": BOOLEAN, "completed_at": NULLABLE_TIME,
    "marks": {"type": "array", "items": {"type": "object", "properties": {
        "member_id": INTEGER, "at": TIME, "note": {"type": ["string", "null"]}}}}}}
NOT_SHARING = error("consent_required: your own transparency.share is off, so nothing new is shared")
NOT_FOUND = error("No such record in your couple's log")


# -- what the routes accept (checked before the view runs, and the OpenAPI request schemas) ------


REVIEW_ON = Day(description="After today, at most a year ahead")


class Page(Query):
    limit: Whole(1, MAX_PAGE) = DEFAULT_PAGE
    before_seq: Whole(1, 2**53, description="Page back: only records before this seq") | None = None


class NewEntry(Body):
    kind: Literal[model.ENTRY_KINDS]
    text: Text(LONGEST_TEXT, multiline=True)
    occurred_at: Moment("ISO 8601 date and time (local YYYY-MM-DDTHH:MM is read in the couple's time zone); "
                        "default now") | None = None
    tags: Many(Text(validate.MAX_TAG_LENGTH), most=validate.MAX_TAGS) = []
    refers_to: Whole(1, says="the id of an entry (a whole number)", description="An earlier entry of mine") | None = None
    relation: Literal[model.CORRECTIONS] | None = None


class Words(Body):
    """A reply, a question or an answer."""

    text: Text(LONGEST_TEXT, multiline=True)


class RulesProposal(Body):
    rules: Many(Text(rules.MAX_RULE_LENGTH), least=1, most=rules.MAX_RULES)


class Renewal(Body):
    review_on: REVIEW_ON


class AgreementProposal(Body):
    items: Many(Text(agreements.MAX_ITEM_LENGTH), least=1, most=agreements.MAX_ITEMS)
    review_on: REVIEW_ON


class ReviewMark(Body):
    note: Text(reviews.MAX_NOTE_LENGTH, multiline=True, allow_empty=False) | None = None
