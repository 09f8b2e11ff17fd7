"""The transparency log's REST API, under ``/api/v1/transparency``.

Members only: a wall screen reads nothing here (its one view is the
dashboard card, counts only). Every route is GET or POST: there is no way
to update or delete a record, by design - a correction is a new entry.
Bad input is a 400 that names the field, before anything is written.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hearthside.plugin_api import current_hs, get_couple, get_db, json_body, query_number, require, utc_now

from . import agreements, chain, reviews, rules, validate
from . import model as log  # the domain is model.py

api = Blueprint("transparency_api", __name__, url_prefix="/api/v1/transparency")

DEFAULT_PAGE = 50
MAX_PAGE = 200


def _settings() -> dict:
    return current_hs().config.plugin("transparency")


def _max_text() -> int:
    return int(_settings().get("max_entry_length", 4000))


def _time_zone(principal) -> str:
    return get_couple(get_db(), principal.couple_id)["time_zone"]


def _one(principal, entry_id: int) -> dict:
    db = get_db()
    return log.records(db, principal.couple_id, ids=[entry_id], limit=1)[0]


# -- the log ---------------------------------------------------------------------------


@api.get("/status")
@require()
def status(principal):
    """What a phone shows first: who is sharing, unread, open questions, and the chain's state."""
    db = get_db()
    return jsonify({
        "sharing": {str(member_id): granted for member_id, granted in log.sharing(db, principal.couple_id).items()},
        "unread": log.unread(db, principal.couple_id, principal.member_id),
        "open_questions": log.open_questions(db, principal.couple_id, principal.member_id),
        "chain": chain.verify(db, principal.couple_id),
    })


@api.get("/entries")
@require()
def list_entries(principal):
    """The couple's log, newest first; page back with ``before_seq``."""
    limit = query_number("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    before = query_number("before_seq", None, 1, 2**53)
    db = get_db()
    items = log.records(db, principal.couple_id, limit=limit, before_seq=before)
    return jsonify({"entries": items, "unread": log.unread(db, principal.couple_id, principal.member_id)})


@api.post("/entries")
@require()
def add_entry(principal):
    """Write an entry (or a correction/addendum to one's own earlier entry)."""
    body = json_body()
    kind = validate.choice(body, "kind", log.ENTRY_KINDS)
    text = validate.text(body, "text", _max_text())
    now = utc_now()
    occurred_at = validate.moment(body, "occurred_at", _time_zone(principal), now)
    tags = validate.tags(body)
    refers_to = validate.whole_number(body, "refers_to", required=False)
    relation = validate.choice(body, "relation", log.CORRECTIONS, required=False)
    if (refers_to is None) != (relation is None):
        validate.bad("'refers_to' and 'relation' go together: give both (to correct or add to an earlier entry) "
                     "or neither.")
    check = log.check_correctable(principal, refers_to) if refers_to is not None else None
    row = log.write(get_db(), current_hs(), principal, kind=kind, text=text, occurred_at=occurred_at, tags=tags,
                    now=now, refers_to=refers_to, relation=relation, check=check)
    return jsonify(_one(principal, row["id"])), 201


@api.get("/entries/<int:entry_id>")
@require()
def get_entry(principal, entry_id):
    """One record, with the record it refers to and every record that refers to it."""
    db = get_db()
    target = log.find(db, principal.couple_id, entry_id)
    related = log.related_ids(db, target)
    return jsonify({"entry": _one(principal, entry_id),
                    "related": log.records(db, principal.couple_id, ids=related, limit=len(related),
                                           newest_first=False) if related else []})


@api.post("/entries/<int:entry_id>/acknowledge")
@require()
def acknowledge(principal, entry_id):
    """A read receipt for the partner's record (201; 200 if it was already acknowledged)."""
    receipt, created = log.acknowledge(get_db(), principal, entry_id, utc_now())
    return jsonify(receipt), 201 if created else 200


@api.post("/entries/<int:entry_id>/replies")
@require()
def reply(principal, entry_id):
    """A reply is a record in the chain too, referring to the entry."""
    text = validate.text(json_body(), "text", _max_text())
    now = utc_now()
    row = log.write(get_db(), current_hs(), principal, kind="reply", text=text, occurred_at=validate.iso(now),
                    tags=[], now=now, refers_to=entry_id, relation="reply",
                    check=log.check_repliable(principal, entry_id))
    return jsonify(_one(principal, row["id"])), 201


# -- questions ---------------------------------------------------------------------------


@api.get("/questions")
@require()
def list_questions(principal):
    """Every question, open ones first with their age, each with its answers (records of the chain)."""
    db = get_db()
    items = log.questions(db, principal.couple_id, utc_now())
    answer_ids = [answer_id for item in items for answer_id in item["answers"]]
    answers = {record["id"]: record for record in log.records(db, principal.couple_id, ids=answer_ids,
                                                              limit=len(answer_ids))} if answer_ids else {}
    for item in items:
        item["answer_entries"] = [answers[answer_id] for answer_id in item["answers"]]
    return jsonify({"questions": items, "ground_rules": rules.state(db, principal.couple_id)["current"]})


@api.post("/questions")
@require()
def ask(principal):
    text = validate.text(json_body(), "text", _max_text())
    now = utc_now()
    row = log.write(get_db(), current_hs(), principal, kind="question", text=text, occurred_at=validate.iso(now),
                    tags=[], now=now)
    return jsonify(_one(principal, row["id"])), 201


@api.post("/questions/<int:question_id>/answers")
@require()
def answer(principal, question_id):
    """Answers are entries in the chain; the first one closes the question."""
    text = validate.text(json_body(), "text", _max_text())
    now = utc_now()
    row = log.write(get_db(), current_hs(), principal, kind="answer", text=text, occurred_at=validate.iso(now),
                    tags=[], now=now, refers_to=question_id, relation="answer",
                    check=log.check_answerable(principal, question_id))
    return jsonify(_one(principal, row["id"])), 201


# -- ground rules ----------------------------------------------------------------------------


@api.get("/rules")
@require()
def get_rules(principal):
    return jsonify(rules.state(get_db(), principal.couple_id))


@api.post("/rules/proposals")
@require()
def propose_rules(principal):
    items = validate.lines(json_body(), "rules", max_items=rules.MAX_RULES, max_length=rules.MAX_RULE_LENGTH)
    return jsonify(rules.propose(get_db(), principal, items, utc_now())), 201


@api.post("/rules/proposals/<int:proposal_id>/approve")
@require()
def approve_rules(principal, proposal_id):
    return jsonify(rules.approve(get_db(), principal, proposal_id, utc_now()))


@api.post("/rules/proposals/<int:proposal_id>/decline")
@require()
def decline_rules(principal, proposal_id):
    return jsonify(rules.decline(get_db(), principal, proposal_id, utc_now()))


# -- agreements ----------------------------------------------------------------------------------


def _review_on(body: dict, principal, now) -> object:
    review_on = validate.day(body.get("review_on"), "review_on")
    agreements.check_review_date(review_on, agreements.today_in(_time_zone(principal), now))
    return review_on


@api.get("/agreements")
@require()
def get_agreements(principal):
    return jsonify(agreements.state(get_db(), principal.couple_id))


@api.post("/agreements")
@require()
def propose_agreement(principal):
    """Propose a new version (a first agreement, or a change): what will be shared, until when."""
    body = json_body()
    items = validate.lines(body, "items", max_items=agreements.MAX_ITEMS, max_length=agreements.MAX_ITEM_LENGTH)
    now = utc_now()
    review_on = _review_on(body, principal, now)
    return jsonify(agreements.propose(get_db(), principal, items, review_on, now)), 201


@api.post("/agreements/<int:agreement_id>/sign")
@require()
def sign_agreement(principal, agreement_id):
    return jsonify(agreements.sign(get_db(), principal, agreement_id, utc_now()))


@api.post("/agreements/<int:agreement_id>/decline")
@require()
def decline_agreement(principal, agreement_id):
    return jsonify(agreements.decline(get_db(), principal, agreement_id, utc_now()))


@api.post("/agreements/<int:agreement_id>/renew")
@require()
def renew_agreement(principal, agreement_id):
    """The same items again with a new review date: a new version both sign."""
    now = utc_now()
    review_on = _review_on(json_body(), principal, now)
    return jsonify(agreements.renew(get_db(), principal, agreement_id, review_on, now)), 201


@api.post("/agreements/<int:agreement_id>/end")
@require()
def end_agreement(principal, agreement_id):
    return jsonify(agreements.end(get_db(), principal, agreement_id, utc_now()))


# -- reviews ---------------------------------------------------------------------------------------


@api.get("/reviews")
@require()
def list_reviews(principal):
    return jsonify(reviews.listing(get_db(), principal.couple_id))


@api.post("/reviews")
@require()
def start_review(principal):
    return jsonify(reviews.start(get_db(), principal, utc_now())), 201


@api.get("/reviews/<int:review_id>")
@require()
def get_review(principal, review_id):
    db = get_db()
    return jsonify(reviews.review_json(db, reviews.find(db, principal.couple_id, review_id)))


@api.post("/reviews/<int:review_id>/mark")
@require()
def mark_review(principal, review_id):
    """Mark the review as reviewed, with an optional note both of you can read."""
    note = validate.text(json_body(optional=True), "note", reviews.MAX_NOTE_LENGTH, required=False)
    return jsonify(reviews.mark(get_db(), principal, review_id, note, utc_now()))


# -- the chain -------------------------------------------------------------------------------------------


@api.get("/verify")
@require()
def verify(principal):
    """Recompute the couple's hash chain: length, head, and the first broken link (or null)."""
    return jsonify(chain.verify(get_db(), principal.couple_id))


from . import api_docs  # noqa: E402,F401  (sets each view's OpenAPI description)
