"""Ground rules for hard questions, changed only when both agree.

The rules shown beside the question box ("honest, but no graphic detail",
"either of us can say: I need a break from this") belong to both partners,
so neither can change them alone. A change is a *proposal*: the proposer's
approval is recorded with it, and it is adopted the moment every member has
approved. Until then the current rules stay. A proposal's text is never
rewritten (a trigger refuses it); a newer proposal supersedes an open one;
the partner may decline, the proposer may withdraw (the same "decline" call).
"""

from __future__ import annotations

import json
from datetime import datetime

from hearthside.plugin_api import Conflict, NotFound, emit, one_row

from .consensus import Yeses
from .validate import iso

MAX_RULES = 12
MAX_RULE_LENGTH = 200
APPROVALS = Yeses("transparency_rule_approvals", "proposal_id", "approved_at")


def proposal_json(db, row: dict) -> dict:
    return {"id": row["id"], "rules": json.loads(row["rules"]), "proposed_by": row["proposed_by"],
            "created_at": row["created_at"], "status": row["status"], "decided_at": row["decided_at"],
            "decided_by": row["decided_by"], "approved_by": APPROVALS.listed(db, row["id"])}


def state(db, couple_id: int) -> dict:
    """The rules in force, the proposal waiting (if any) and the history, newest first."""
    rows = list(db.query("SELECT * FROM transparency_rule_proposals WHERE couple_id = ? ORDER BY id DESC", [couple_id]))
    adopted = [row for row in rows if row["status"] == "adopted"]
    current = max(adopted, key=lambda row: (row["decided_at"], row["id"])) if adopted else None
    waiting = next((row for row in rows if row["status"] == "open"), None)
    return {
        "current": proposal_json(db, current) if current else None,
        "open": proposal_json(db, waiting) if waiting else None,
        "history": [proposal_json(db, row) for row in rows],
    }


def _find(db, couple_id: int, proposal_id: int) -> dict:
    row = one_row(db, "SELECT * FROM transparency_rule_proposals WHERE id = ? AND couple_id = ?", [proposal_id, couple_id],
                  NotFound("proposal_not_found", "There is no ground-rules proposal with that id."))
    if row["status"] != "open":
        raise Conflict("proposal_closed", f"This proposal is no longer open (it was {row['status']}).")
    return row


def _announce(db, couple_id: int, proposal_id: int, status: str, actor_id: int, summary: str) -> None:
    emit(db, "transparency.rules_changed", couple_id, {"proposal_id": proposal_id, "status": status,
                                                      "summary": summary},
         visibility="couple", actor_id=actor_id)


def _adopt_if_agreed(db, couple_id: int, proposal_id: int, actor_id: int, now: datetime) -> bool:
    if not APPROVALS.from_everyone(db, couple_id, proposal_id):
        return False
    db["transparency_rule_proposals"].update(proposal_id, {"status": "adopted", "decided_at": iso(now),
                                                           "decided_by": actor_id})
    _announce(db, couple_id, proposal_id, "adopted", actor_id, "New ground rules are agreed by both of you.")
    return True


def propose(db, principal, rules: list[str], now: datetime) -> dict:
    couple_id, member_id = principal.couple_id, principal.member_id
    with db.atomic():
        db.execute("UPDATE transparency_rule_proposals SET status = 'superseded', decided_at = ?, decided_by = ? "
                   "WHERE couple_id = ? AND status = 'open'", [iso(now), member_id, couple_id])
        proposal_id = db["transparency_rule_proposals"].insert({
            "couple_id": couple_id, "proposed_by": member_id, "rules": json.dumps(rules, ensure_ascii=False),
            "created_at": iso(now), "status": "open"}).last_pk
        APPROVALS.record(db, proposal_id, member_id, now)
        if not _adopt_if_agreed(db, couple_id, proposal_id, member_id, now):
            _announce(db, couple_id, proposal_id, "open", member_id,
                      "A change to your ground rules is waiting for your approval.")
        return proposal_json(db, db["transparency_rule_proposals"].get(proposal_id))


def approve(db, principal, proposal_id: int, now: datetime) -> dict:
    with db.atomic():
        _find(db, principal.couple_id, proposal_id)
        APPROVALS.add(db, proposal_id, principal.member_id, now,
                      Conflict("already_approved", "You have already approved this proposal; it waits for your partner."))
        _adopt_if_agreed(db, principal.couple_id, proposal_id, principal.member_id, now)
        return proposal_json(db, db["transparency_rule_proposals"].get(proposal_id))


def decline(db, principal, proposal_id: int, now: datetime) -> dict:
    """The partner declines; the proposer withdraws. Either way the current rules stay."""
    with db.atomic():
        row = _find(db, principal.couple_id, proposal_id)
        status = "withdrawn" if row["proposed_by"] == principal.member_id else "declined"
        db["transparency_rule_proposals"].update(proposal_id, {"status": status, "decided_at": iso(now),
                                                               "decided_by": principal.member_id})
        _announce(db, principal.couple_id, proposal_id, status, principal.member_id,
                  f"A proposed change to your ground rules was {status}; the current rules stay.")
        return proposal_json(db, db["transparency_rule_proposals"].get(proposal_id))
