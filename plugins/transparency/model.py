"""The log itself: writing records, read receipts, questions, unread counts.

Who sees what, and why:

* Everything in a couple's log is shared with the partner - that is its
  purpose. So writing anything (an entry, a reply, a question, an answer)
  needs the writer's own grant of ``transparency.share`` (a one-sided,
  ``who="author"`` scope), checked inside the same transaction as the write.
  Revoking it stops new sharing at once; it never hides what the partner
  already received, because that was shared with consent when written.
* Live events carry ids, never text: they are stored in the core's events
  table, which a "forget" does not reach, and the page fetches the text
  through the API (where consent and tombstones apply). Each member gets
  their own ``private`` event (the partner's phones, and the author's other
  devices); the wall gets only a content-free nudge, and only while
  ``dashboard.transparency`` is active.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from hearthside.plugin_api import (
    Conflict, Invalid, NotFound, couple_members, emit, get_couple, is_active, is_granted, one_row, require_granted,
)

from . import chain
from .validate import iso

ENTRY_KINDS = ("plan", "whereabouts", "contact", "disclosure", "breach", "note")
RECORD_KINDS = ENTRY_KINDS + ("reply", "question", "answer", "sharing")
CORRECTIONS = ("correction", "addendum")
PLUGIN = "transparency"
SHARE_SCOPE = "transparency.share"
DASHBOARD_SCOPE = "dashboard.transparency"


# -- reading -----------------------------------------------------------------------


def member_ids(db, couple_id: int) -> list[int]:
    return [member["id"] for member in couple_members(db, couple_id)]


def couple_time_zone(db, couple_id: int) -> str | None:
    """The couple's IANA zone, or None for a couple that does not exist (nothing to show, nothing to raise)."""
    try:
        return get_couple(db, couple_id)["time_zone"]
    except StopIteration:
        return None


def sharing(db, couple_id: int) -> dict[int, bool]:
    """Each member's own ``transparency.share`` grant, read fresh."""
    return {member_id: is_granted(db, couple_id, SHARE_SCOPE, member_id) for member_id in member_ids(db, couple_id)}


def find(db, couple_id: int, entry_id: int) -> dict:
    """The couple's record, or 404 - the same answer for another couple's id, so nothing leaks."""
    return one_row(db, "SELECT * FROM transparency_entries WHERE id = ? AND couple_id = ?", [entry_id, couple_id],
                   NotFound("entry_not_found", "There is no entry with that id in your log."))


def related_ids(db, entry: dict) -> list[int]:
    """The ids of the record ``entry`` refers to (first), then of every record that refers to it."""
    related = [row["id"] for row in db.query("SELECT id FROM transparency_entries WHERE refers_to = ?", [entry["id"]])]
    if entry["refers_to"] is not None:
        related.insert(0, entry["refers_to"])
    return related


def seq_span(db, couple_id: int, since: str, until: str) -> tuple[int | None, int | None]:
    """The first and last ``seq`` of the couple's records written in [since, until), or (None, None)."""
    first, last = db.execute("SELECT min(seq), max(seq) FROM transparency_entries WHERE couple_id = ? "
                             "AND created_at >= ? AND created_at < ?", [couple_id, since, until]).fetchone()
    return first, last


def records(db, couple_id: int, *, limit: int = 100, before_seq: int | None = None, from_seq: int | None = None,
            to_seq: int | None = None, ids: list[int] | None = None, newest_first: bool = True) -> list[dict]:
    """Records as JSON, each with its read receipts and the records that refer to it."""
    where, params = ["couple_id = ?"], [couple_id]
    if before_seq is not None:
        where.append("seq < ?")
        params.append(before_seq)
    if from_seq is not None:
        where.append("seq >= ?")
        params.append(from_seq)
    if to_seq is not None:
        where.append("seq <= ?")
        params.append(to_seq)
    if ids is not None:
        where.append(f"id IN ({','.join('?' * len(ids))})")
        params.extend(ids)
    order = "DESC" if newest_first else "ASC"
    rows = list(db.query(f"SELECT * FROM transparency_entries WHERE {' AND '.join(where)} ORDER BY seq {order} "
                         "LIMIT ?", [*params, limit]))
    return decorate(db, rows)


def decorate(db, rows: list[dict]) -> list[dict]:
    """Attach receipts and references in two queries, whatever the number of rows."""
    ids = [row["id"] for row in rows]
    acks, children = defaultdict(list), defaultdict(list)
    if ids:
        marks = ",".join("?" * len(ids))
        for ack in db.query(f"SELECT entry_id, member_id, acknowledged_at FROM transparency_acks "
                            f"WHERE entry_id IN ({marks}) ORDER BY id", ids):
            acks[ack["entry_id"]].append({"member_id": ack["member_id"], "at": ack["acknowledged_at"]})
        for child in db.query(f"SELECT id, refers_to, relation FROM transparency_entries WHERE refers_to IN ({marks}) "
                              "ORDER BY seq", ids):
            children[child["refers_to"]].append(child)
    return [as_json(row, acks[row["id"]], children[row["id"]]) for row in rows]


def as_json(row: dict, acks: list[dict], children: list[dict]) -> dict:
    forgotten = row["forgotten_at"] is not None
    return {
        "id": row["id"], "seq": row["seq"], "kind": row["kind"], "author_id": row["author_id"],
        "text": row["text"], "occurred_at": row["occurred_at"],
        "tags": json.loads(row["tags"]) if row["tags"] else [],
        "refers_to": row["refers_to"], "relation": row["relation"], "created_at": row["created_at"],
        "salt": row["salt"], "hash": row["hash"], "forgotten": forgotten, "forgotten_at": row["forgotten_at"],
        "acknowledged_by": acks,
        "replies": [c["id"] for c in children if c["relation"] == "reply"],
        "answers": [c["id"] for c in children if c["relation"] == "answer"],
        "corrections": [{"id": c["id"], "relation": c["relation"]} for c in children if c["relation"] in CORRECTIONS],
    }


def unread(db, couple_id: int, member_id: int) -> int:
    """Records the partner wrote that this member has not acknowledged yet."""
    return db.execute(
        """SELECT count(*) FROM transparency_entries e
           WHERE e.couple_id = ? AND e.author_id != ? AND e.forgotten_at IS NULL AND e.kind != 'sharing'
             AND NOT EXISTS (SELECT 1 FROM transparency_acks a WHERE a.entry_id = e.id AND a.member_id = ?)""",
        [couple_id, member_id, member_id]).fetchone()[0]


def questions(db, couple_id: int, now: datetime) -> list[dict]:
    """Every question, open ones first (oldest first), each with its age and answers."""
    rows = list(db.query("SELECT * FROM transparency_entries WHERE couple_id = ? AND relation IS NULL "
                         "AND kind = 'question' ORDER BY seq", [couple_id]))
    items = decorate(db, rows)
    answered_at = {}
    for answer in db.query("""SELECT a.refers_to, min(a.created_at) AS at FROM transparency_entries a
                              JOIN transparency_entries q ON q.id = a.refers_to
                              WHERE a.couple_id = ? AND a.relation = 'answer' AND a.author_id != q.author_id
                              GROUP BY a.refers_to""", [couple_id]):
        answered_at[answer["refers_to"]] = answer["at"]
    for item in items:
        item["status"] = "answered" if item["id"] in answered_at else "open"
        item["answered_at"] = answered_at.get(item["id"])
        until = datetime.fromisoformat(item["answered_at"]) if item["answered_at"] else now
        item["age_seconds"] = max(0, int((until - datetime.fromisoformat(item["created_at"])).total_seconds()))
    items.sort(key=lambda item: (item["status"] != "open", item["seq"]))
    return items


def open_questions(db, couple_id: int, member_id: int) -> dict:
    """How many open questions wait for this member's answer, and how many they asked."""
    counts = {"asked_of_you": 0, "asked_by_you": 0}
    for row in db.query("""SELECT q.author_id FROM transparency_entries q
                           WHERE q.couple_id = ? AND q.kind = 'question' AND q.forgotten_at IS NULL
                             AND NOT EXISTS (SELECT 1 FROM transparency_entries a WHERE a.refers_to = q.id
                                             AND a.relation = 'answer' AND a.author_id != q.author_id)""",
                        [couple_id]):
        counts["asked_by_you" if row["author_id"] == member_id else "asked_of_you"] += 1
    return counts


# -- writing ---------------------------------------------------------------------------


def write(db, hs, principal, *, kind: str, text: str, occurred_at: str, tags: list[str], now: datetime,
          refers_to: int | None = None, relation: str | None = None, check=None) -> dict:
    """Append one record the member wrote, after their own sharing consent, and announce it.

    ``check(db)`` re-reads what the record refers to inside the transaction,
    so nothing it depends on can change between the check and the write.
    """
    with db.atomic():
        require_granted(db, principal.couple_id, SHARE_SCOPE, principal.member_id, hs)
        if check is not None:
            check(db)
        row = chain.append(db, couple_id=principal.couple_id, author_id=principal.member_id, kind=kind, text=text,
                           occurred_at=occurred_at, tags=tags, created_at=iso(now), refers_to=refers_to,
                           relation=relation)
        announce(db, row)
    return row


def announce(db, row: dict) -> None:
    """Tell each member's own devices that a record was added - ids only, never text."""
    for member_id in member_ids(db, row["couple_id"]):
        own = member_id == row["author_id"]
        summary = "You added to the transparency log." if own else "Something new in the transparency log."
        emit(db, "transparency.entry_added", row["couple_id"],
             {"entry_id": row["id"], "seq": row["seq"], "author_id": row["author_id"],
              "refers_to": row["refers_to"], "relation": row["relation"], "summary": summary},
             visibility="private", audience_id=member_id, actor_id=row["author_id"])
    nudge_wall(db, row["couple_id"])


def nudge_wall(db, couple_id: int) -> None:
    """Ask the wall to re-read its cards; only while it may show this plugin at all."""
    if is_active(db, couple_id, DASHBOARD_SCOPE):
        emit(db, "transparency.wall_refresh", couple_id, {}, visibility="dashboard")


def check_correctable(principal, entry_id: int):
    def check(db):
        target = find(db, principal.couple_id, entry_id)
        if target["forgotten_at"] is not None:
            raise Conflict("entry_forgotten", "That entry was forgotten at its author's request; it can't be added to.")
        if target["author_id"] != principal.member_id or target["kind"] not in ENTRY_KINDS:
            raise Invalid("not_your_entry", "You can only correct or add to entries you wrote yourself. "
                                            "To respond to your partner's entry, reply to it.")
    return check


def check_repliable(principal, entry_id: int):
    def check(db):
        target = find(db, principal.couple_id, entry_id)
        if target["forgotten_at"] is not None:
            raise Conflict("entry_forgotten",
                           "That entry was forgotten at its author's request; it can't be replied to.")
        if target["kind"] == "sharing":
            raise Invalid("cannot_reply", "A note that sharing was turned on or off can't be replied to.")
        if target["kind"] == "question":
            raise Invalid("cannot_reply", "Questions are answered, not replied to: "
                                          f"use POST /api/v1/transparency/questions/{entry_id}/answers.")
    return check


def check_answerable(principal, question_id: int):
    def check(db):
        target = find(db, principal.couple_id, question_id)
        if target["forgotten_at"] is not None:
            raise Conflict("entry_forgotten", "That entry was forgotten at its author's request.")
        if target["kind"] != "question":
            raise NotFound("question_not_found", "There is no question with that id in your log.")
        if target["author_id"] == principal.member_id:
            raise Invalid("own_question", "You asked this question; it is for your partner to answer. "
                                          "To add to it, ask a new question.")
    return check


def acknowledge(db, principal, entry_id: int, now: datetime) -> tuple[dict, bool]:
    """Record that this member read the partner's record; returns (receipt, newly made).

    Acknowledging twice changes nothing and says so (200, not 201).
    """
    with db.atomic():
        target = find(db, principal.couple_id, entry_id)
        if target["forgotten_at"] is not None:
            raise Conflict("entry_forgotten", "That entry was forgotten at its author's request.")
        if target["author_id"] == principal.member_id:
            raise Invalid("own_entry", "You wrote this entry; read receipts are for your partner's entries.")
        if target["kind"] == "sharing":
            raise Invalid("not_acknowledgeable", "Notes about sharing being turned on or off need no read receipt.")
        existing = list(db.query("SELECT acknowledged_at FROM transparency_acks WHERE entry_id = ? AND member_id = ?",
                                 [entry_id, principal.member_id]))
        if existing:
            return {"entry_id": entry_id, "member_id": principal.member_id, "at": existing[0]["acknowledged_at"]}, False
        at = iso(now)
        db["transparency_acks"].insert({"entry_id": entry_id, "member_id": principal.member_id, "acknowledged_at": at})
        payload = {"entry_id": entry_id, "member_id": principal.member_id, "at": at}
        emit(db, "transparency.acknowledged", principal.couple_id,
             {**payload, "summary": "Your transparency entry was read."},
             visibility="private", audience_id=target["author_id"], actor_id=principal.member_id)
        emit(db, "transparency.acknowledged", principal.couple_id,
             {**payload, "summary": "You acknowledged a transparency entry."},
             visibility="private", audience_id=principal.member_id, actor_id=principal.member_id)
    return payload, True


def reconcile_sharing(db, couple_id: int, member_id: int, now: datetime) -> dict | None:
    """Keep the log's record of a member's sharing in step with their consent.

    Called after every change of ``transparency.share``. Writes a "sharing"
    notice (text ``on``/``off``) when the member's latest notice disagrees
    with their grant, so the partner sees in the log itself when sharing
    stopped and resumed. Reading and writing in one transaction makes quick
    on/off toggles end in the right final state, never in two notices.
    """
    with db.atomic():
        granted = is_granted(db, couple_id, SHARE_SCOPE, member_id)
        last = list(db.query("SELECT text FROM transparency_entries WHERE couple_id = ? AND author_id = ? "
                             "AND kind = 'sharing' ORDER BY seq DESC LIMIT 1", [couple_id, member_id]))
        was_on = bool(last) and last[0]["text"] == "on"
        if granted == was_on:
            return None
        row = chain.append(db, couple_id=couple_id, author_id=member_id, kind="sharing",
                           text="on" if granted else "off", occurred_at=iso(now), tags=[], created_at=iso(now))
        for audience in member_ids(db, couple_id):
            if audience == member_id:
                summary = "You turned transparency sharing " + ("on." if granted else "off.")
            elif granted:
                summary = "Your partner is sharing transparency entries again."
            else:
                summary = "Your partner stopped sharing new transparency entries. What was shared stays."
            emit(db, "transparency.sharing_changed", couple_id,
                 {"member_id": member_id, "sharing": granted, "entry_id": row["id"], "summary": summary},
                 visibility="private", audience_id=audience, actor_id=member_id)
    return row
