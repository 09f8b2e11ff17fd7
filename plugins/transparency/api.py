"""The transparency log's REST API, under ``/api/v1/transparency``.

Members only: a wall screen reads nothing here (its one view is the
dashboard card, counts only). Every route is GET or POST: there is no way
to update or delete a record, by design - a correction is a new entry.
Bad input is a 400 that names the field, before anything is written: each
route declares what it accepts (a ``Body`` or ``Query`` model) and answers
(shapes in schemas.py) with ``@declare``, and the OpenAPI document is built
from that.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hearthside.plugin_api import answer, current_hs, declare, error, get_couple, get_db, obj, require, utc_now

from . import agreements, chain, model, reviews, rules, validate
from .schemas import (BOOLEAN, INTEGER, NOT_FOUND, NOT_SHARING, NULLABLE_PROPOSAL, NULLABLE_TIME, NULLABLE_VERSION,
                      PROPOSAL, RECEIPT, RECORD, REVIEW, SUMMARY, VERIFY, VERSION, AgreementProposal, NewEntry,
                      Page, Renewal, ReviewMark, RulesProposal, Words)

api = Blueprint("transparency_api", __name__, url_prefix="/api/v1/transparency")
TAGS = ["transparency"]


def _settings() -> dict:
    return current_hs().config.plugin("transparency")


def _text(text: str) -> str:
    """The text within the couple's own max_entry_length (the declaration allows the largest one)."""
    longest = int(_settings().get("max_entry_length", 4000))
    if len(text) > longest:
        validate.bad(f"'text' must be at most {longest} characters long.")
    return text


def _time_zone(principal) -> str:
    return get_couple(get_db(), principal.couple_id)["time_zone"]


def _one(principal, entry_id: int) -> dict:
    db = get_db()
    return model.records(db, principal.couple_id, ids=[entry_id], limit=1)[0]


def _said_now(principal, kind: str, body: Words, refers_to: int | None = None, check=None):
    """A reply, a question or an answer: the words as a record of the chain, happening now, without tags.

    A reply or an answer refers to its record with ``kind`` as the relation; ``check`` re-reads that
    record in the write's transaction (model.write).
    """
    now = utc_now()
    row = model.write(get_db(), current_hs(), principal, kind=kind, text=_text(body.text),
                      occurred_at=validate.iso(now), tags=[], now=now, refers_to=refers_to,
                      relation=kind if refers_to is not None else None, check=check)
    return jsonify(_one(principal, row["id"])), 201


# -- the log ---------------------------------------------------------------------------


@api.get("/status")
@require()
@declare("Who is sharing, my unread count, open questions and the chain's state", tags=TAGS, responses={
    "200": answer("Status", obj({
        "sharing": {"type": "object", "additionalProperties": BOOLEAN,
                    "description": "Each member's own transparency.share grant, by member id"},
        "unread": INTEGER,
        "open_questions": obj({"asked_of_you": INTEGER, "asked_by_you": INTEGER}),
        "chain": VERIFY}))})
def status(principal):
    """What a phone shows first: who is sharing, unread, open questions, and the chain's state."""
    db = get_db()
    return jsonify({
        "sharing": {str(member_id): granted for member_id, granted in model.sharing(db, principal.couple_id).items()},
        "unread": model.unread(db, principal.couple_id, principal.member_id),
        "open_questions": model.open_questions(db, principal.couple_id, principal.member_id),
        "chain": chain.verify(db, principal.couple_id),
    })


@api.get("/entries")
@require()
@declare("The couple's log, newest first", query=Page, tags=TAGS, responses={
    "200": answer("Records", obj({"entries": {"type": "array", "items": RECORD}, "unread": INTEGER}))})
def list_entries(principal, query: Page):
    """The couple's log, newest first; page back with ``before_seq``."""
    db = get_db()
    items = model.records(db, principal.couple_id, limit=query.limit, before_seq=query.before_seq)
    return jsonify({"entries": items, "unread": model.unread(db, principal.couple_id, principal.member_id)})


@api.post("/entries")
@require()
@declare("Write an entry (or a correction or addendum to my own earlier entry)", body=NewEntry, tags=TAGS,
         responses={"201": answer("The new record", RECORD), "400": error("A bad field; nothing was written"),
                    "403": NOT_SHARING, "404": NOT_FOUND, "409": error("The entry referred to was forgotten")})
def add_entry(principal, body: NewEntry):
    """Write an entry (or a correction/addendum to one's own earlier entry)."""
    kind, text, refers_to, relation = body.kind, _text(body.text), body.refers_to, body.relation
    now = utc_now()
    occurred_at = validate.moment(body.occurred_at, "occurred_at", _time_zone(principal), now)
    tags = validate.distinct_tags(body.tags)
    if (refers_to is None) != (relation is None):
        validate.bad("'refers_to' and 'relation' go together: give both (to correct or add to an earlier entry) "
                     "or neither.")
    check = model.check_correctable(principal, refers_to) if refers_to is not None else None
    row = model.write(get_db(), current_hs(), principal, kind=kind, text=text, occurred_at=occurred_at, tags=tags,
                    now=now, refers_to=refers_to, relation=relation, check=check)
    return jsonify(_one(principal, row["id"])), 201


@api.get("/entries/<int:entry_id>")
@require()
@declare("One record, with what it refers to and what refers to it", tags=TAGS, responses={
    "200": answer("The record", obj({"entry": RECORD, "related": {"type": "array", "items": RECORD}})),
    "404": NOT_FOUND})
def get_entry(principal, entry_id):
    """One record, with the record it refers to and every record that refers to it."""
    db = get_db()
    target = model.find(db, principal.couple_id, entry_id)
    related = model.related_ids(db, target)
    return jsonify({"entry": _one(principal, entry_id),
                    "related": model.records(db, principal.couple_id, ids=related, limit=len(related),
                                           newest_first=False) if related else []})


@api.post("/entries/<int:entry_id>/acknowledge")
@require()
@declare("Acknowledge my partner's record (a read receipt the author sees)", tags=TAGS, responses={
    "201": answer("Acknowledged", RECEIPT), "200": answer("Already acknowledged; nothing changed", RECEIPT),
    "400": error("My own record, or a sharing notice"), "404": NOT_FOUND, "409": error("The record was forgotten")})
def acknowledge(principal, entry_id):
    """A read receipt for the partner's record (201; 200 if it was already acknowledged)."""
    receipt, created = model.acknowledge(get_db(), principal, entry_id, utc_now())
    return jsonify(receipt), 201 if created else 200


@api.post("/entries/<int:entry_id>/replies")
@require()
@declare("Reply to a record; the reply is a record of the chain", body=Words, tags=TAGS, responses={
    "201": answer("The reply", RECORD), "400": error("Bad text, or not something one replies to"),
    "403": NOT_SHARING, "404": NOT_FOUND, "409": error("The record was forgotten")})
def reply(principal, entry_id, body: Words):
    """A reply is a record in the chain too, referring to the entry."""
    return _said_now(principal, "reply", body, entry_id, model.check_repliable(principal, entry_id))


# -- questions ---------------------------------------------------------------------------


@api.get("/questions")
@require()
@declare("Every question, open ones first with their age, and the ground rules", tags=TAGS, responses={
    "200": answer("Questions", obj({
        "questions": {"type": "array", "items": {"allOf": [RECORD, obj({
            "status": {"type": "string", "enum": ["open", "answered"]}, "answered_at": NULLABLE_TIME,
            "age_seconds": INTEGER, "answer_entries": {"type": "array", "items": RECORD}})]}},
        "ground_rules": NULLABLE_PROPOSAL}))})
def list_questions(principal):
    """Every question, open ones first with their age, each with its answers (records of the chain)."""
    db = get_db()
    items = model.questions(db, principal.couple_id, utc_now())
    answer_ids = [answer_id for item in items for answer_id in item["answers"]]
    answers = {record["id"]: record for record in model.records(db, principal.couple_id, ids=answer_ids,
                                                              limit=len(answer_ids))} if answer_ids else {}
    for item in items:
        item["answer_entries"] = [answers[answer_id] for answer_id in item["answers"]]
    return jsonify({"questions": items, "ground_rules": rules.state(db, principal.couple_id)["current"]})


@api.post("/questions")
@require()
@declare("Ask my partner a question; it stays open until answered", body=Words, tags=TAGS, responses={
    "201": answer("The question", RECORD), "400": error("Bad text"), "403": NOT_SHARING})
def ask(principal, body: Words):
    return _said_now(principal, "question", body)


@api.post("/questions/<int:question_id>/answers")
@require()
@declare("Answer my partner's question; the answer is a record of the chain", body=Words, tags=TAGS, responses={
    "201": answer("The answer", RECORD), "400": error("Bad text, or my own question"), "403": NOT_SHARING,
    "404": error("No such question"), "409": error("The question was forgotten")})
def answer_question(principal, question_id, body: Words):
    """Answers are entries in the chain; the first one closes the question."""
    return _said_now(principal, "answer", body, question_id, model.check_answerable(principal, question_id))


# -- ground rules ----------------------------------------------------------------------------


@api.get("/rules")
@require()
@declare("The ground rules in force, the change waiting, and the history", tags=TAGS, responses={
    "200": answer("Ground rules", obj({"current": NULLABLE_PROPOSAL, "open": NULLABLE_PROPOSAL,
                                       "history": {"type": "array", "items": PROPOSAL}}))})
def get_rules(principal):
    return jsonify(rules.state(get_db(), principal.couple_id))


@api.post("/rules/proposals")
@require()
@declare("Propose new ground rules; adopted once every member approves", body=RulesProposal, tags=TAGS, responses={
    "201": answer("The proposal", PROPOSAL), "400": error("Bad rules; nothing was written")})
def propose_rules(principal, body: RulesProposal):
    return jsonify(rules.propose(get_db(), principal, body.rules, utc_now())), 201


@api.post("/rules/proposals/<int:proposal_id>/approve")
@require()
@declare("Approve a proposed change of the ground rules", tags=TAGS, responses={
    "200": answer("The proposal (adopted when everyone approved)", PROPOSAL), "404": error("No such proposal"),
    "409": error("Not open any more, or already approved by me")})
def approve_rules(principal, proposal_id):
    return jsonify(rules.approve(get_db(), principal, proposal_id, utc_now()))


@api.post("/rules/proposals/<int:proposal_id>/decline")
@require()
@declare("Decline a proposed change (the proposer withdraws it)", tags=TAGS, responses={
    "200": answer("The proposal", PROPOSAL), "404": error("No such proposal"), "409": error("Not open any more")})
def decline_rules(principal, proposal_id):
    return jsonify(rules.decline(get_db(), principal, proposal_id, utc_now()))


# -- agreements ----------------------------------------------------------------------------------


def _review_on(review_on, principal, now) -> object:
    agreements.check_review_date(review_on, agreements.today_in(_time_zone(principal), now))
    return review_on


@api.get("/agreements")
@require()
@declare("The agreement in force, the version waiting, and every version", tags=TAGS, responses={
    "200": answer("Agreements", obj({"current": NULLABLE_VERSION, "pending": NULLABLE_VERSION,
                                     "versions": {"type": "array", "items": VERSION}}))})
def get_agreements(principal):
    return jsonify(agreements.state(get_db(), principal.couple_id))


@api.post("/agreements")
@require()
@declare("Propose (and sign) a new version of the transparency agreement", body=AgreementProposal, tags=TAGS,
         responses={"201": answer("The proposed version", VERSION),
                    "400": error("Bad items or date; nothing was written")})
def propose_agreement(principal, body: AgreementProposal):
    """Propose a new version (a first agreement, or a change): what will be shared, until when."""
    now = utc_now()
    review_on = _review_on(body.review_on, principal, now)
    return jsonify(agreements.propose(get_db(), principal, body.items, review_on, now)), 201


@api.post("/agreements/<int:agreement_id>/sign")
@require()
@declare("Sign a proposed version; it is in force once every member signed", tags=TAGS, responses={
    "200": answer("The version", VERSION), "404": error("No such version"),
    "409": error("Not waiting for signatures, or already signed by me")})
def sign_agreement(principal, agreement_id):
    return jsonify(agreements.sign(get_db(), principal, agreement_id, utc_now()))


@api.post("/agreements/<int:agreement_id>/decline")
@require()
@declare("Decline a proposed version (the proposer withdraws it)", tags=TAGS, responses={
    "200": answer("The version", VERSION), "404": error("No such version"), "409": error("Not waiting for signatures")})
def decline_agreement(principal, agreement_id):
    return jsonify(agreements.decline(get_db(), principal, agreement_id, utc_now()))


@api.post("/agreements/<int:agreement_id>/renew")
@require()
@declare("Propose the version in force again with a new review date", body=Renewal, tags=TAGS, responses={
    "201": answer("The proposed version", VERSION), "400": error("Bad date"), "404": error("No such version"),
    "409": error("Not the version in force")})
def renew_agreement(principal, agreement_id, body: Renewal):
    """The same items again with a new review date: a new version both sign."""
    now = utc_now()
    review_on = _review_on(body.review_on, principal, now)
    return jsonify(agreements.renew(get_db(), principal, agreement_id, review_on, now)), 201


@api.post("/agreements/<int:agreement_id>/end")
@require()
@declare("End the agreement in force (either member, no reason needed)", tags=TAGS, responses={
    "200": answer("The version, ended", VERSION), "404": error("No such version"),
    "409": error("Not the version in force")})
def end_agreement(principal, agreement_id):
    return jsonify(agreements.end(get_db(), principal, agreement_id, utc_now()))


# -- reviews ---------------------------------------------------------------------------------------


@api.get("/reviews")
@require()
@declare("The open review, past reviews, and a summary of what is new", tags=TAGS, responses={
    "200": answer("Reviews", obj({"open": {"oneOf": [REVIEW, {"type": "null"}]},
                                  "reviews": {"type": "array", "items": REVIEW}, "since_last": SUMMARY}))})
def list_reviews(principal):
    return jsonify(reviews.listing(get_db(), principal.couple_id))


@api.post("/reviews")
@require()
@declare("Start a review of everything since the last one", tags=TAGS, responses={
    "201": answer("The review", REVIEW), "409": error("A review is already open")})
def start_review(principal):
    return jsonify(reviews.start(get_db(), principal, utc_now())), 201


@api.get("/reviews/<int:review_id>")
@require()
@declare("One review", tags=TAGS, responses={"200": answer("The review", REVIEW), "404": error("No such review")})
def get_review(principal, review_id):
    db = get_db()
    return jsonify(reviews.review_json(db, reviews.find(db, principal.couple_id, review_id)))


@api.post("/reviews/<int:review_id>/mark")
@require()
@declare("Mark a review as reviewed, with an optional note both can read", body=ReviewMark, body_optional=True, tags=TAGS, responses={
    "200": answer("The review (complete once every member marked it)", REVIEW), "400": error("A bad note"),
    "404": error("No such review"), "409": error("Already marked by me")})
def mark_review(principal, review_id, body: ReviewMark):
    """Mark the review as reviewed, with an optional note both of you can read."""
    return jsonify(reviews.mark(get_db(), principal, review_id, body.note, utc_now()))


# -- the chain -------------------------------------------------------------------------------------------


@api.get("/verify")
@require()
@declare("Recompute the hash chain: length, head, and the first broken link", tags=TAGS,
         responses={"200": answer("The verification", VERIFY)})
def verify(principal):
    """Recompute the couple's hash chain: length, head, and the first broken link (or null)."""
    return jsonify(chain.verify(get_db(), principal.couple_id))

