"""A yes from every member: the one rule behind ground-rules proposals and agreement versions.

Neither partner can change the ground rules or the transparency agreement
alone. Both kinds of proposal record each member's yes as a row of its own
(``transparency_rule_approvals``, ``transparency_agreement_signatures``):
given once, never rewritten, and the proposal takes effect the moment every
current member of the couple has given theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hearthside.plugin_api import Conflict

from .model import member_ids
from .validate import iso


@dataclass(frozen=True)
class Yeses:
    """Where one kind of proposal keeps its yeses."""

    table: str  # one row per member's yes
    key: str  # the column naming the proposal
    at: str  # the column with the time of the yes

    def record(self, db, proposal_id: int, member_id: int, now: datetime) -> None:
        """The proposer's own yes, given with the proposal."""
        db[self.table].insert({self.key: proposal_id, "member_id": member_id, self.at: iso(now)})

    def add(self, db, proposal_id: int, member_id: int, now: datetime, already: Conflict) -> None:
        """The member's yes, or ``already`` raised when they gave it before."""
        if list(db.query(f"SELECT 1 FROM {self.table} WHERE {self.key} = ? AND member_id = ?",
                         [proposal_id, member_id])):
            raise already
        self.record(db, proposal_id, member_id, now)

    def listed(self, db, proposal_id: int) -> list[dict]:
        """Who said yes and when, in the order they did: ``[{"member_id", "at"}]``."""
        return [{"member_id": row["member_id"], "at": row[self.at]} for row in db.query(
            f"SELECT member_id, {self.at} FROM {self.table} WHERE {self.key} = ? ORDER BY id", [proposal_id])]

    def from_everyone(self, db, couple_id: int, proposal_id: int) -> bool:
        given = {row["member_id"] for row in db.query(f"SELECT member_id FROM {self.table} WHERE {self.key} = ?",
                                                      [proposal_id])}
        return set(member_ids(db, couple_id)) <= given
