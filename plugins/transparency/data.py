"""A member's export, and "forget me" in an append-only, hash-chained log.

Export: everything in the couple's log is shared with both members, so a
member's export holds the whole log as they can read it (their own records
and their partner's), their read receipts, the ground rules, the agreement
versions and the reviews, plus the chain's verification at export time.

Forget: the member's records become *tombstones*. Their content (kind, text,
when, tags) is deleted, and so is each record's salt, so a guess of the
words can no longer be checked against the seal that stays; the structure and both hashes stay, so the partner's
chain still verifies end to end (see ``chain``). Their read receipts and
review notes are deleted, and so are their ground-rules proposals and
agreement versions that never came into force. What both members agreed to
(adopted ground rules, signed agreement versions) belongs to both and stays.
"""

from __future__ import annotations

from datetime import datetime

from hearthside.plugin_api import emit, get_member

from . import agreements, chain, reviews, rules
from .model import member_ids, nudge_wall, records
from .validate import iso


def export(db, member_id: int) -> dict | None:
    member = get_member(db, member_id)
    if member is None:
        return None
    couple_id = member["couple_id"]
    entries = records(db, couple_id, limit=-1, newest_first=False)
    receipts = [{"entry_id": row["entry_id"], "at": row["acknowledged_at"]} for row in db.query(
        "SELECT entry_id, acknowledged_at FROM transparency_acks WHERE member_id = ? ORDER BY id", [member_id])]
    proposals = db["transparency_rule_proposals"].count_where("couple_id = ?", [couple_id])
    versions = db["transparency_agreements"].count_where("couple_id = ?", [couple_id])
    if not (entries or receipts or proposals or versions):
        return None
    return {
        "format": chain.FORMAT,
        "about": "Your couple's transparency log as you can read it: entries by both of you, oldest first.",
        "entries": entries,
        "your_read_receipts": receipts,
        "ground_rules": rules.state(db, couple_id),
        "agreements": agreements.state(db, couple_id),
        "reviews": reviews.listing(db, couple_id)["reviews"],
        "chain": chain.verify(db, couple_id),
    }


def forget(db, member_id: int, now: datetime) -> None:
    """Run inside the caller's open transaction (the core's forget); raising aborts it all."""
    member = get_member(db, member_id)
    if member is None:
        return
    couple_id, at = member["couple_id"], iso(now)
    # Recorded first: the triggers allow tombstoning and deleting receipts only for forgotten members.
    db.execute("INSERT OR IGNORE INTO transparency_forgotten (member_id, couple_id, forgotten_at) VALUES (?, ?, ?)",
               [member_id, couple_id, at])
    tombstoned = db.execute(
        "UPDATE transparency_entries SET kind = NULL, text = NULL, occurred_at = NULL, tags = NULL, salt = NULL, "
        "forgotten_at = ? "
        "WHERE author_id = ? AND forgotten_at IS NULL", [at, member_id]).rowcount
    db.execute("DELETE FROM transparency_acks WHERE member_id = ?", [member_id])
    db.execute("UPDATE transparency_review_marks SET note = NULL WHERE member_id = ?", [member_id])
    never_adopted = "SELECT id FROM transparency_rule_proposals WHERE proposed_by = ? AND status != 'adopted'"
    db.execute(f"DELETE FROM transparency_rule_approvals WHERE proposal_id IN ({never_adopted})", [member_id])
    db.execute(f"DELETE FROM transparency_rule_proposals WHERE id IN ({never_adopted})", [member_id])
    db.execute("""DELETE FROM transparency_rule_approvals WHERE member_id = ? AND proposal_id IN
                  (SELECT id FROM transparency_rule_proposals WHERE status = 'open')""", [member_id])
    never_signed = ("SELECT id FROM transparency_agreements WHERE proposed_by = ? "
                    "AND status IN ('proposed', 'declined', 'withdrawn')")
    db.execute(f"DELETE FROM transparency_agreement_signatures WHERE agreement_id IN ({never_signed})", [member_id])
    db.execute(f"DELETE FROM transparency_agreements WHERE id IN ({never_signed})", [member_id])
    db.execute("""DELETE FROM transparency_agreement_signatures WHERE member_id = ? AND agreement_id IN
                  (SELECT id FROM transparency_agreements WHERE status = 'proposed')""", [member_id])
    nudge_wall(db, couple_id)  # the wall's count may include what was just forgotten: let it look again
    for audience in member_ids(db, couple_id):
        if audience != member_id:
            emit(db, "transparency.forgotten", couple_id,
                 {"member_id": member_id, "tombstones": tombstoned,
                  "summary": "Your partner asked Hearthside to forget what they wrote in the transparency log. "
                             "The log still verifies; their entries show as forgotten."},
                 visibility="private", audience_id=audience)
