"""OpenAPI descriptions of the transparency routes, set on the view functions.

``web/openapi.py`` reads the ``openapi`` attribute of each view (a mapping of
lower-case method to an OpenAPI operation); path parameters, security and
the JSON error response are filled in from the route.
"""

from __future__ import annotations

from . import agreements, api, reviews, rules
from . import model as log  # the domain is model.py
from .validate import MAX_TAG_LENGTH, MAX_TAGS

TAG = ["transparency"]
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
              "kind": {"type": ["string", "null"], "enum": [*log.RECORD_KINDS, None]},
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
TEXT_BODY = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": _json(schema)}


def _body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": _json(schema)}


def _err(description: str) -> dict:
    return {"description": description, "content": _json({"$ref": "#/components/schemas/Error"})}


def _op(method: str, summary: str, responses: dict, **extra) -> dict:
    return {method: {"summary": summary, "tags": TAG, "responses": responses, **extra}}


NOT_SHARING = _err("consent_required: your own transparency.share is off, so nothing new is shared")
NOT_FOUND = _err("No such record in your couple's log")

api.status.openapi = _op("get", "Who is sharing, my unread count, open questions and the chain's state", {
    "200": _ok("Status", {"type": "object", "properties": {
        "sharing": {"type": "object", "additionalProperties": BOOLEAN,
                    "description": "Each member's own transparency.share grant, by member id"},
        "unread": INTEGER,
        "open_questions": {"type": "object", "properties": {"asked_of_you": INTEGER, "asked_by_you": INTEGER}},
        "chain": VERIFY}})})
api.list_entries.openapi = _op("get", "The couple's log, newest first", {
    "200": _ok("Records", {"type": "object", "properties": {"entries": {"type": "array", "items": RECORD},
                                                            "unread": INTEGER}})},
    parameters=[{"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": api.MAX_PAGE, "default": api.DEFAULT_PAGE}},
                {"name": "before_seq", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
                 "description": "Page back: only records before this seq"}])
api.add_entry.openapi = _op("post", "Write an entry (or a correction or addendum to my own earlier entry)", {
    "201": _ok("The new record", RECORD), "400": _err("A bad field; nothing was written"),
    "403": NOT_SHARING, "404": NOT_FOUND, "409": _err("The entry referred to was forgotten")},
    requestBody=_body({"type": "object", "required": ["kind", "text"], "properties": {
        "kind": {"type": "string", "enum": list(log.ENTRY_KINDS)}, "text": {"type": "string", "minLength": 1},
        "occurred_at": {"type": "string", "description": "ISO 8601 date and time (local YYYY-MM-DDTHH:MM is read "
                                                         "in the couple's time zone); default now"},
        "tags": {"type": "array", "maxItems": MAX_TAGS, "items": {"type": "string", "maxLength": MAX_TAG_LENGTH}},
        "refers_to": {"type": "integer", "description": "An earlier entry of mine"},
        "relation": {"type": "string", "enum": list(log.CORRECTIONS)}}}))
api.get_entry.openapi = _op("get", "One record, with what it refers to and what refers to it", {
    "200": _ok("The record", {"type": "object", "properties": {"entry": RECORD,
                                                               "related": {"type": "array", "items": RECORD}}}),
    "404": NOT_FOUND})
api.acknowledge.openapi = _op("post", "Acknowledge my partner's record (a read receipt the author sees)", {
    "201": _ok("Acknowledged", RECEIPT), "200": _ok("Already acknowledged; nothing changed", RECEIPT),
    "400": _err("My own record, or a sharing notice"), "404": NOT_FOUND, "409": _err("The record was forgotten")})
api.reply.openapi = _op("post", "Reply to a record; the reply is a record of the chain", {
    "201": _ok("The reply", RECORD), "400": _err("Bad text, or not something one replies to"),
    "403": NOT_SHARING, "404": NOT_FOUND, "409": _err("The record was forgotten")}, requestBody=_body(TEXT_BODY))
api.list_questions.openapi = _op("get", "Every question, open ones first with their age, and the ground rules", {
    "200": _ok("Questions", {"type": "object", "properties": {
        "questions": {"type": "array", "items": {"allOf": [RECORD, {"type": "object", "properties": {
            "status": {"type": "string", "enum": ["open", "answered"]}, "answered_at": NULLABLE_TIME,
            "age_seconds": INTEGER, "answer_entries": {"type": "array", "items": RECORD}}}]}},
        "ground_rules": NULLABLE_PROPOSAL}})})
api.ask.openapi = _op("post", "Ask my partner a question; it stays open until answered", {
    "201": _ok("The question", RECORD), "400": _err("Bad text"), "403": NOT_SHARING}, requestBody=_body(TEXT_BODY))
api.answer.openapi = _op("post", "Answer my partner's question; the answer is a record of the chain", {
    "201": _ok("The answer", RECORD), "400": _err("Bad text, or my own question"), "403": NOT_SHARING,
    "404": _err("No such question"), "409": _err("The question was forgotten")}, requestBody=_body(TEXT_BODY))
api.get_rules.openapi = _op("get", "The ground rules in force, the change waiting, and the history", {
    "200": _ok("Ground rules", {"type": "object", "properties": {
        "current": NULLABLE_PROPOSAL, "open": NULLABLE_PROPOSAL,
        "history": {"type": "array", "items": PROPOSAL}}})})
api.propose_rules.openapi = _op("post", "Propose new ground rules; adopted once every member approves", {
    "201": _ok("The proposal", PROPOSAL), "400": _err("Bad rules; nothing was written")},
    requestBody=_body({"type": "object", "required": ["rules"], "properties": {"rules": {
        "type": "array", "minItems": 1, "maxItems": rules.MAX_RULES,
        "items": {"type": "string", "maxLength": rules.MAX_RULE_LENGTH}}}}))
api.approve_rules.openapi = _op("post", "Approve a proposed change of the ground rules", {
    "200": _ok("The proposal (adopted when everyone approved)", PROPOSAL), "404": _err("No such proposal"),
    "409": _err("Not open any more, or already approved by me")})
api.decline_rules.openapi = _op("post", "Decline a proposed change (the proposer withdraws it)", {
    "200": _ok("The proposal", PROPOSAL), "404": _err("No such proposal"), "409": _err("Not open any more")})
api.get_agreements.openapi = _op("get", "The agreement in force, the version waiting, and every version", {
    "200": _ok("Agreements", {"type": "object", "properties": {
        "current": NULLABLE_VERSION, "pending": NULLABLE_VERSION,
        "versions": {"type": "array", "items": VERSION}}})})
REVIEW_ON = {"type": "string", "format": "date", "description": "After today, at most a year ahead"}
api.propose_agreement.openapi = _op("post", "Propose (and sign) a new version of the transparency agreement", {
    "201": _ok("The proposed version", VERSION), "400": _err("Bad items or date; nothing was written")},
    requestBody=_body({"type": "object", "required": ["items", "review_on"], "properties": {
        "items": {"type": "array", "minItems": 1, "maxItems": agreements.MAX_ITEMS,
                  "items": {"type": "string", "maxLength": agreements.MAX_ITEM_LENGTH}},
        "review_on": REVIEW_ON}}))
api.sign_agreement.openapi = _op("post", "Sign a proposed version; it is in force once every member signed", {
    "200": _ok("The version", VERSION), "404": _err("No such version"),
    "409": _err("Not waiting for signatures, or already signed by me")})
api.decline_agreement.openapi = _op("post", "Decline a proposed version (the proposer withdraws it)", {
    "200": _ok("The version", VERSION), "404": _err("No such version"), "409": _err("Not waiting for signatures")})
api.renew_agreement.openapi = _op("post", "Propose the version in force again with a new review date", {
    "201": _ok("The proposed version", VERSION), "400": _err("Bad date"), "404": _err("No such version"),
    "409": _err("Not the version in force")},
    requestBody=_body({"type": "object", "required": ["review_on"], "properties": {"review_on": REVIEW_ON}}))
api.end_agreement.openapi = _op("post", "End the agreement in force (either member, no reason needed)", {
    "200": _ok("The version, ended", VERSION), "404": _err("No such version"),
    "409": _err("Not the version in force")})
api.list_reviews.openapi = _op("get", "The open review, past reviews, and a summary of what is new", {
    "200": _ok("Reviews", {"type": "object", "properties": {
        "open": {"oneOf": [REVIEW, {"type": "null"}]}, "reviews": {"type": "array", "items": REVIEW},
        "since_last": SUMMARY}})})
api.start_review.openapi = _op("post", "Start a review of everything since the last one", {
    "201": _ok("The review", REVIEW), "409": _err("A review is already open")})
api.get_review.openapi = _op("get", "One review", {"200": _ok("The review", REVIEW), "404": _err("No such review")})
api.mark_review.openapi = _op("post", "Mark a review as reviewed, with an optional note both can read", {
    "200": _ok("The review (complete once every member marked it)", REVIEW), "400": _err("A bad note"),
    "404": _err("No such review"), "409": _err("Already marked by me")},
    requestBody=_body({"type": "object", "properties": {
        "note": {"type": "string", "maxLength": reviews.MAX_NOTE_LENGTH}}}, required=False))
api.verify.openapi = _op("get", "Recompute the hash chain: length, head, and the first broken link", {
    "200": _ok("The verification", VERIFY)})
