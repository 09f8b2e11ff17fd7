"""A member's export and "forget me".

Export: the member's own answers and notes (hidden items included), the
couple's items, open proposals as the member sees them, and the results only
if the reveal is active right now. Never the other member's answers, and
never who added an item.

Forget: the member's answers and notes, their agreements to hide or show,
and the items they added (with everyone's answers to those items: the item
was their words). The couple's shared state - hidden items, the date of the
first comparison - stays.
"""

from __future__ import annotations

import logging

from hearthside.plugin_api import Unavailable, get_member, utc_now

from . import crypto, model

log = logging.getLogger(__name__)


def export(hs, db, member_id: int) -> dict | None:
    member = get_member(db, member_id)
    if member is None:
        return None
    couple_id = member["couple_id"]
    try:
        return _export(hs, db, couple_id, member_id)
    except Unavailable:  # the key is missing: say so instead of failing the whole export
        return {"error": "The matcher's answers could not be decrypted: matcher.key is missing from the data "
                         "folder or does not belong to this database."}


def _export(hs, db, couple_id: int, member_id: int) -> dict:
    now = utc_now()
    items = model.all_items(hs, db, couple_id)
    titles = {item["id"]: item["title"] for item in items}
    mine = model.load_answers(hs, db, couple_id, member_id).get(member_id, {})
    answers = {}
    for item_id, state in mine.items():
        entry = {"title": titles.get(item_id, item_id), "answer": state.value}
        if state.waiting(now):
            entry.update(counts_from=state.counts_from, counts_until_then=state.counted or "no")
        if state.note:
            entry["note"] = state.note
        answers[item_id] = entry
    open_votes = model.votes(db, couple_id)
    result = {
        "your_answers": answers,
        "items_added_by_your_couple": [item for item in items if item.get("custom")],
        "hidden_items": sorted(model.hidden_ids(db, couple_id)),
        "open_proposals": [{"item_id": item_id, **model.proposal_for(entry, member_id)}
                           for item_id, entry in sorted(open_votes.items())],
        "raise_cooldown_days": hs.config.plugin(model.PLUGIN)["raise_cooldown_days"],
    }
    shown = model.shown(hs, db, couple_id, now=now)
    if shown is not None and model.has_compared(db, couple_id):
        # Only once the couple has compared: an export must not become a way to peek
        # before "compared" starts the cool-down (model.py), nor past a broad-answers
        # confirmation still owed (model.pending); /matches is the way to look.
        result["mutual_results"] = shown
    return result


def forget(hs, db, member_id: int) -> None:
    """Delete what the member owns; runs inside the caller's transaction."""
    member = get_member(db, member_id)
    couple_id = member["couple_id"] if member else None
    watch = None
    if couple_id is not None and crypto.has_key(hs):
        try:
            watch = model.TierWatch(hs, db, couple_id)
        except Unavailable:
            watch = None  # unreadable answers can still be deleted
    db.execute("DELETE FROM matcher_answers WHERE member_id = ?", [member_id])
    withdrawn = db.execute("DELETE FROM matcher_votes WHERE member_id = ?", [member_id]).rowcount
    db.execute("DELETE FROM matcher_broad_confirmations WHERE member_id = ? OR subject_id = ?", [member_id, member_id])
    own_items = [row[0] for row in db.execute("SELECT id FROM matcher_custom_items WHERE proposer_id = ?",
                                              [member_id]).fetchall()]
    for item_id in own_items:
        for table in ("matcher_answers", "matcher_votes", "matcher_hidden"):
            db.execute(f"DELETE FROM {table} WHERE item_id = ?", [item_id])
        db.execute("DELETE FROM matcher_custom_items WHERE id = ?", [item_id])
    if (own_items or withdrawn) and couple_id is not None:
        model.items_changed(db, couple_id)
    if watch is not None:
        watch.finish()
