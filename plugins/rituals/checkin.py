"""Check-in answers: private until every participant has submitted, then revealed together.

The rules, and why:

* A member reads only their own answers until the reveal, and may edit them
  as often as they like until then: a check-in is prepared in quiet.
* The answers are revealed the moment the last participant submits - to all
  participants at once (a live ``rituals.checkin_revealed`` event that carries
  no answer) - and are locked from then on, so nobody rewrites what the other
  already read.
* Reading the others' answers also needs the mutual consent scope
  ``rituals.checkin_reveal``, checked on every read: a partner who turns it
  off hides the answers again at once.
* Whether someone has submitted is shared (it helps to know the other is
  ready); what they wrote never is, before the reveal.
* Only a submission reveals, and a member reads the others' answers only
  for an occurrence they answered themselves. The occurrence's participants
  freeze at its first answer (:func:`model.occurrence_participants`), so
  editing the ritual's participants cannot complete a check-in nobody
  finished. :func:`sees_others` states the rule; the export and the rating
  trend ask it, and :func:`reveal` checks the same conditions one by one so
  each refusal gets its own error.
"""

from __future__ import annotations

import json

from hearthside.plugin_api import Conflict, Forbidden, Invalid, emit, is_active, require_active, row_or_none, text_value

from .model import (Ritual, display_name, ensure_row, find_occurrence, occurrence_participants, occurrence_view,
                    utc_iso, utc_now, when_text)

REVEAL_SCOPE = "rituals.checkin_reveal"
MAX_ANSWER = 2000


def require_checkin(ritual: Ritual) -> None:
    if ritual.kind != "checkin":
        raise Invalid("not_a_checkin", "Only check-ins have answers; this ritual is not a check-in.")


def require_participant(ritual: Ritual, override: dict | None, member_id: int) -> None:
    if member_id not in occurrence_participants(ritual, override):
        raise Forbidden("not_a_participant",
                        "Only the participants of this check-in can answer it or read its answers.")


def read_answers(ritual: Ritual, answers: dict) -> dict:
    """The member's answers (prompt id -> answer), checked against the prompts; 400 before anything is stored."""
    prompts = {prompt["id"]: prompt for prompt in ritual.prompts}
    clean = {}
    for prompt_id, value in answers.items():
        prompt = prompts.get(prompt_id)
        if prompt is None:
            raise Invalid("unknown_prompt", "Every key of 'answers' must be the id of one of this check-in's prompts.")
        if value is None:
            continue
        if prompt["kind"] == "rating":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise Invalid("invalid_answer", "A rating must be a whole number from 1 to 5 (or null).")
            clean[prompt_id] = value
        else:
            if not isinstance(value, str) or len(value) > MAX_ANSWER:
                raise Invalid("invalid_answer", f"A written answer must be text of at most {MAX_ANSWER} characters.")
            value = text_value(value, "a written answer", max_length=MAX_ANSWER, required=False, multiline=True)
            if value:
                clean[prompt_id] = value
    if not clean:
        raise Invalid("empty_answers", "Answer at least one prompt; the others may stay empty.")
    return clean


def _answer_rows(db, occurrence_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM rituals_answers WHERE occurrence_id = ? ORDER BY member_id",
                         [occurrence_id]))


def own_state(db, principal, ritual: Ritual, key: str) -> dict:
    """What the caller may see before (and after) the reveal: their own answers and who is ready."""
    require_checkin(ritual)
    override = find_occurrence(db, ritual, key)
    rows = _answer_rows(db, override["id"]) if override else []
    mine = next((row for row in rows if row["member_id"] == principal.member_id), None)
    submitted = {row["member_id"] for row in rows}
    participants = occurrence_participants(ritual, override)
    return {
        "occurrence": occurrence_view(db, ritual, key, override),
        "prompts": ritual.prompts,
        "is_participant": principal.member_id in participants,
        "mine": None if mine is None else {"answers": json.loads(mine["answers"]),
                                           "submitted_at": mine["submitted_at"], "updated_at": mine["updated_at"]},
        "participants": [{"id": member_id, "display_name": display_name(db, ritual.couple_id, member_id),
                          "submitted": member_id in submitted} for member_id in participants],
        "revealed": bool(override and override["revealed_at"]),
        "reveal_consent": is_active(db, ritual.couple_id, REVEAL_SCOPE),
    }


def submit(db, principal, ritual: Ritual, key: str, answers: dict) -> dict:
    """Store (or replace) the caller's answers; reveal when they were the last to submit."""
    require_checkin(ritual)
    find_occurrence(db, ritual, key)
    now = utc_iso(utc_now())
    with db.atomic():  # checked inside the write lock: two last answers at once reveal exactly once
        row = ensure_row(db, ritual, key)
        require_participant(ritual, row, principal.member_id)  # the frozen participants, read under the lock
        if row["revealed_at"]:
            raise Conflict("already_revealed",
                           "These answers were revealed to both of you, so they can no longer be edited.")
        if row["status"] == "skipped":
            raise Conflict("occurrence_skipped", "This check-in was let go; mark it as planned again to answer it.")
        existing = list(db.query("SELECT id FROM rituals_answers WHERE occurrence_id = ? AND member_id = ?",
                                 [row["id"], principal.member_id]))
        if not row["participants"]:  # the first answer freezes who takes part in this occurrence
            db["rituals_occurrences"].update(row["id"], {"participants": json.dumps(ritual.participants)})
        if existing:
            db["rituals_answers"].update(existing[0]["id"], {"answers": json.dumps(answers), "updated_at": now})
        else:
            db["rituals_answers"].insert({"occurrence_id": row["id"], "member_id": principal.member_id,
                                          "answers": json.dumps(answers), "submitted_at": now, "updated_at": now})
            view = occurrence_view(db, ritual, key, row)
            name = display_name(db, ritual.couple_id, principal.member_id)
            emit(db, "rituals.checkin_submitted", ritual.couple_id,
                 {"ritual_id": ritual.id, "key": key, "member_id": principal.member_id,
                  "summary": f"{name} is ready with their answers for “{ritual.title}” ({when_text(view)})."},
                 visibility="couple", actor_id=principal.member_id)
        reveal_if_complete(db, ritual, key, actor_id=principal.member_id)
    return own_state(db, principal, ritual, key)


def reveal_if_complete(db, ritual: Ritual, key: str, actor_id: int | None) -> bool:
    """Reveal inside the caller's transaction once every participant has submitted.

    Called only by :func:`submit`: nothing but an answer may complete a
    check-in. A check-in that is revealed is also marked done (if nobody marked it):
    talking it through is what doing it means.
    """
    row = row_or_none(db, "SELECT * FROM rituals_occurrences WHERE ritual_id = ? AND occurrence_key = ?",
                      [ritual.id, key])
    if not row or row["revealed_at"]:
        return False
    submitted = {answer["member_id"] for answer in _answer_rows(db, row["id"])}
    participants = occurrence_participants(ritual, row)
    if not participants or not set(participants) <= submitted:
        return False
    now = utc_iso(utc_now())
    changes = {"revealed_at": now}
    if not row["status"]:
        changes.update({"status": "done", "marked_at": now, "marked_by": None})
    db["rituals_occurrences"].update(row["id"], changes)
    view = occurrence_view(db, ritual, key, db["rituals_occurrences"].get(row["id"]))
    emit(db, "rituals.checkin_revealed", ritual.couple_id,
         {"ritual_id": ritual.id, "key": key,
          "summary": f"Everyone has answered “{ritual.title}” ({when_text(view)}): "
                     "the answers are ready to read together."},
         visibility="couple", actor_id=actor_id)
    return True


def reveal(db, principal, ritual: Ritual, key: str) -> dict:
    """Everyone's answers, once revealed and while the reveal consent is active."""
    require_checkin(ritual)
    override = find_occurrence(db, ritual, key)
    require_participant(ritual, override, principal.member_id)
    if not override or not override["revealed_at"] or principal.member_id not in submitted_by(db, override):
        raise Conflict("not_revealed_yet", "The answers are revealed together, once everyone has submitted theirs.")
    require_active(db, ritual.couple_id, REVEAL_SCOPE)
    return {
        "occurrence": occurrence_view(db, ritual, key, override),
        "prompts": ritual.prompts,
        "revealed_at": override["revealed_at"],
        "answers": [{"member_id": row["member_id"], "display_name": display_name(db, ritual.couple_id, row["member_id"]),
                     "answers": json.loads(row["answers"]), "submitted_at": row["submitted_at"]}
                    for row in _answer_rows(db, override["id"])],
    }


def submitted_by(db, override: dict) -> set[int]:
    return {row["member_id"] for row in _answer_rows(db, override["id"])}


def sees_others(db, ritual: Ritual, override: dict | None, member_id: int) -> bool:
    """May this member read the others' answers to this occurrence now?

    Only after the reveal, only a participant who submitted their own
    answers for this very occurrence, and only while the reveal consent is
    active: the one rule every read of answers goes through.
    """
    return bool(override and override["revealed_at"]
                and member_id in occurrence_participants(ritual, override)
                and member_id in submitted_by(db, override)
                and is_active(db, ritual.couple_id, REVEAL_SCOPE))


def readable_answers(db, ritual: Ritual, override: dict, member_id: int) -> list[dict]:
    """Answers this member may read now: their own, plus the others' when :func:`sees_others`."""
    shared = sees_others(db, ritual, override, member_id)
    return [{"member_id": row["member_id"], "answers": json.loads(row["answers"]), "submitted_at": row["submitted_at"]}
            for row in _answer_rows(db, override["id"]) if row["member_id"] == member_id or shared]
