"""Answers: one member's answer to one item, sealed, and the cool-down rule for changing it.

The model (:mod:`.model`) decides what the couple may see from these; this
module only keeps them and says what a change makes of one (see the rules in
the model's docstring: lowering counts at once, raising after a comparison waits).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from .crypto import open_json, seal_json

RANK = {"no": 0, "maybe": 1, "yes": 2}


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass
class AnswerState:
    """One member's answer to one item.

    ``value`` is what they said; ``counted`` is what counts until
    ``counts_from`` (set only while a raised answer waits out the cool-down).
    """

    value: str | None = None
    counted: str | None = None
    counts_from: str | None = None
    note: str | None = None

    def waiting(self, now: datetime) -> bool:
        return self.counts_from is not None and datetime.fromisoformat(self.counts_from) > now

    def effective(self, now: datetime) -> str:
        """The answer that counts for matching at ``now``; unanswered is no."""
        if self.value is None:
            return "no"
        if self.waiting(now):
            return self.counted or "no"
        return self.value

    def settled(self, now: datetime) -> "AnswerState":
        """The same state with a matured raise folded in."""
        if self.counts_from is not None and not self.waiting(now):
            return AnswerState(self.value, self.value, None, self.note)
        return self

    def is_empty(self) -> bool:
        return self.value is None and not self.note


def _answer_context(member_id: int, item_id: str) -> str:
    return f"matcher/answers/{member_id}/{item_id}"


def load_answers(hs, db, couple_id: int, member_id: int | None = None) -> dict[int, dict[str, AnswerState]]:
    """Decrypted answers of a couple (or of one member), by member and item."""
    sql, params = "SELECT member_id, item_id, state FROM matcher_answers WHERE couple_id = ?", [couple_id]
    if member_id is not None:
        sql, params = sql + " AND member_id = ?", params + [member_id]
    found: dict[int, dict[str, AnswerState]] = {}
    for row_member, item_id, blob in db.execute(sql, params).fetchall():
        data = open_json(hs, blob, _answer_context(row_member, item_id))
        found.setdefault(row_member, {})[item_id] = AnswerState(**data)
    return found


def save_answer(hs, db, couple_id: int, member_id: int, item_id: str, state: AnswerState) -> None:
    if state.is_empty():
        db.execute("DELETE FROM matcher_answers WHERE member_id = ? AND item_id = ?", [member_id, item_id])
        return
    blob = seal_json(hs, asdict(state), _answer_context(member_id, item_id))
    db.execute("INSERT INTO matcher_answers (member_id, couple_id, item_id, state) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (member_id, item_id) DO UPDATE SET state = excluded.state",
               [member_id, couple_id, item_id, blob])


def answer_change(state: AnswerState, new: str, now: datetime, cooldown_days: int, compared: bool) -> AnswerState:
    """The state after a member answers ``new``; the cool-down rule lives here.

    A raise above what counts now waits ``cooldown_days`` once the couple has
    compared; a raise made while one is already waiting keeps the earlier
    start, so changing one's mind within the wait never restarts it, and
    never shortens it either.
    """
    now_counts = state.effective(now)
    if not compared or cooldown_days == 0 or RANK[new] <= RANK[now_counts]:
        return AnswerState(new, new, None, state.note)
    counts_from = state.counts_from if state.waiting(now) else iso(now + timedelta(days=cooldown_days))
    return AnswerState(new, now_counts, counts_from, state.note)
