"""Reviewing the log together, at set times.

Starting a review freezes a summary of everything since the previous one
(counts only: by kind, breaches, questions opened and answered, how much was
acknowledged, how many entries got replies) and anchors the chain's head at
that moment, so what was reviewed can never be quietly changed or cut off
afterwards (``chain.verify`` checks the anchors). Both members then mark it
reviewed, each with an optional note both can read. A review is complete
when every member has marked it; past reviews stay readable. Only one review
is open at a time.
"""

from __future__ import annotations

import json
from datetime import datetime

from hearthside.plugin_api import Conflict, NotFound, emit, one_row, row_or_none

from . import chain
from .model import ENTRY_KINDS, member_ids, nudge_wall
from .validate import iso

COUNTED_KINDS = ENTRY_KINDS + ("reply", "question", "answer")
MAX_NOTE_LENGTH = 2000


def summarise(db, couple_id: int, from_seq: int, to_seq: int) -> dict:
    """Counts of what the chain holds from ``from_seq`` to ``to_seq`` (inclusive) - never text."""
    rows = list(db.query("SELECT id, seq, author_id, kind, forgotten_at FROM transparency_entries "
                         "WHERE couple_id = ? AND seq BETWEEN ? AND ? ORDER BY seq", [couple_id, from_seq, to_seq]))
    by_kind = {kind: 0 for kind in COUNTED_KINDS}
    forgotten = sharing_changes = 0
    for row in rows:
        if row["forgotten_at"] is not None:
            forgotten += 1
        elif row["kind"] == "sharing":
            sharing_changes += 1
        else:
            by_kind[row["kind"]] += 1
    entries = [row for row in rows if row["kind"] in ENTRY_KINDS]
    entry_ids = [row["id"] for row in entries]
    acknowledged = with_replies = 0
    if entry_ids:
        marks = ",".join("?" * len(entry_ids))
        acknowledged = db.execute(
            f"""SELECT count(DISTINCT e.id) FROM transparency_entries e JOIN transparency_acks a ON a.entry_id = e.id
                WHERE e.id IN ({marks}) AND a.member_id != e.author_id""", entry_ids).fetchone()[0]
        with_replies = db.execute(
            f"SELECT count(DISTINCT refers_to) FROM transparency_entries WHERE relation = 'reply' "
            f"AND refers_to IN ({marks})", entry_ids).fetchone()[0]
    answered = db.execute(
        """SELECT count(*) FROM (SELECT a.refers_to, min(a.seq) AS first FROM transparency_entries a
                                 JOIN transparency_entries q ON q.id = a.refers_to
                                 WHERE a.couple_id = ? AND a.relation = 'answer' AND a.author_id != q.author_id
                                 GROUP BY a.refers_to) WHERE first BETWEEN ? AND ?""",
        [couple_id, from_seq, to_seq]).fetchone()[0]
    still_open = db.execute(
        """SELECT count(*) FROM transparency_entries q WHERE q.couple_id = ? AND q.kind = 'question' AND q.seq <= ?
             AND NOT EXISTS (SELECT 1 FROM transparency_entries a WHERE a.refers_to = q.id AND a.relation = 'answer'
                             AND a.author_id != q.author_id AND a.seq <= ?)""",
        [couple_id, to_seq, to_seq]).fetchone()[0]
    return {
        "from_seq": from_seq, "to_seq": to_seq,
        "records": len(rows) - sharing_changes,
        "entries": len(entries),
        "by_kind": by_kind,
        "breaches": by_kind["breach"],
        "questions_opened": by_kind["question"],
        "questions_answered": answered,
        "questions_still_open": still_open,
        "acknowledged": {"count": acknowledged, "of": len(entries),
                         "rate": round(acknowledged / len(entries), 2) if entries else None},
        "entries_with_replies": with_replies,
        "sharing_changes": sharing_changes,
        "forgotten": forgotten,
    }


def last_review(db, couple_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM transparency_reviews WHERE couple_id = ? ORDER BY id DESC LIMIT 1",
                           [couple_id])


def last_completed(db, couple_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM transparency_reviews WHERE couple_id = ? AND completed_at IS NOT NULL "
                           "ORDER BY id DESC LIMIT 1", [couple_id])


def pending_range(db, couple_id: int) -> tuple[int, int]:
    """The seq range a review started now would cover: after the last review, up to the head."""
    last = last_review(db, couple_id)
    top = chain.head(db, couple_id)
    from_seq = last["to_seq"] + 1 if last else 1
    return from_seq, top["seq"] if top else 0


def review_json(db, row: dict) -> dict:
    marks = [{"member_id": m["member_id"], "at": m["marked_at"], "note": m["note"]} for m in db.query(
        "SELECT member_id, marked_at, note FROM transparency_review_marks WHERE review_id = ? ORDER BY id",
        [row["id"]])]
    return {
        "id": row["id"], "started_by": row["started_by"], "started_at": row["started_at"],
        "from_seq": row["from_seq"], "to_seq": row["to_seq"], "head_hash": row["head_hash"],
        "summary": json.loads(row["summary"]), "marks": marks,
        "completed": row["completed_at"] is not None, "completed_at": row["completed_at"],
    }


def listing(db, couple_id: int) -> dict:
    rows = list(db.query("SELECT * FROM transparency_reviews WHERE couple_id = ? ORDER BY id DESC", [couple_id]))
    from_seq, to_seq = pending_range(db, couple_id)
    waiting = next((row for row in rows if row["completed_at"] is None), None)
    return {
        "open": review_json(db, waiting) if waiting else None,
        "reviews": [review_json(db, row) for row in rows],
        "since_last": summarise(db, couple_id, from_seq, to_seq),
    }


def find(db, couple_id: int, review_id: int) -> dict:
    return one_row(db, "SELECT * FROM transparency_reviews WHERE id = ? AND couple_id = ?", [review_id, couple_id],
                   NotFound("review_not_found", "There is no review with that id."))


def start(db, principal, now: datetime) -> dict:
    couple_id = principal.couple_id
    with db.atomic():
        if list(db.query("SELECT 1 FROM transparency_reviews WHERE couple_id = ? AND completed_at IS NULL",
                         [couple_id])):
            raise Conflict("review_open", "A review is already open: finish it together before starting the next.")
        from_seq, to_seq = pending_range(db, couple_id)
        top = chain.head(db, couple_id)
        review_id = db["transparency_reviews"].insert({
            "couple_id": couple_id, "started_by": principal.member_id, "started_at": iso(now),
            "from_seq": from_seq, "to_seq": to_seq, "head_hash": top["hash"] if top else chain.GENESIS,
            "summary": json.dumps(summarise(db, couple_id, from_seq, to_seq)),
        }).last_pk
        emit(db, "transparency.review_changed", couple_id,
             {"review_id": review_id, "completed": False, "summary": "A transparency review was started."},
             visibility="couple", actor_id=principal.member_id)
        return review_json(db, db["transparency_reviews"].get(review_id))


def mark(db, principal, review_id: int, note: str | None, now: datetime) -> dict:
    """Mark the review reviewed (once per member); complete when everyone has."""
    couple_id = principal.couple_id
    with db.atomic():
        row = find(db, couple_id, review_id)
        if list(db.query("SELECT 1 FROM transparency_review_marks WHERE review_id = ? AND member_id = ?",
                         [review_id, principal.member_id])):
            raise Conflict("already_marked", "You have already marked this review as reviewed.")
        db["transparency_review_marks"].insert({"review_id": review_id, "member_id": principal.member_id,
                                                "marked_at": iso(now), "note": note})
        marked = {m["member_id"] for m in db.query(
            "SELECT member_id FROM transparency_review_marks WHERE review_id = ?", [review_id])}
        completed = row["completed_at"] is None and set(member_ids(db, couple_id)) <= marked
        if completed:
            db["transparency_reviews"].update(review_id, {"completed_at": iso(now)})
            nudge_wall(db, couple_id)
        emit(db, "transparency.review_changed", couple_id,
             {"review_id": review_id, "completed": completed,
              "summary": "You reviewed the transparency log together." if completed
              else "A transparency review was marked as reviewed."},
             visibility="couple", actor_id=principal.member_id)
        return review_json(db, db["transparency_reviews"].get(review_id))
