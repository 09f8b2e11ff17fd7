"""The one scheduled job: let raised answers start counting when their wait is over.

Reads already count a matured raise (see ``AnswerState.effective``); this job
folds it into the stored state and, if that changed the mutual tiers while the
results are shown (or opened or closed), tells open pages to refresh. It decrypts every couple's
answers, which on a Pi-sized household is a few hundred small blobs.
"""

from __future__ import annotations

import logging

from hearthside.plugin_api import emit, utc_now

from . import crypto, model

log = logging.getLogger(__name__)


def settle_matured_raises(hs) -> int:
    """Fold matured raises for every couple; returns how many answers were settled."""
    if not crypto.has_key(hs):
        return 0  # no key: nothing can be read; the API already says so
    settled = 0
    with hs.storage.connection() as db:
        couples = [row[0] for row in db.execute("SELECT DISTINCT couple_id FROM matcher_answers").fetchall()]
        for couple_id in couples:
            with db.atomic():
                settled += _settle_couple(hs, db, couple_id)
    return settled


def _settle_couple(hs, db, couple_id: int) -> int:
    now = utc_now()
    answers = model.load_answers(hs, db, couple_id)
    matured = [(member_id, item_id, state) for member_id, states in answers.items()
               for item_id, state in states.items() if state.counts_from is not None and not state.waiting(now)]
    if not matured:
        return 0
    # "Before" is what counted until the wait ended: the old value of each matured raise.
    keys = {(member_id, item_id) for member_id, item_id, _ in matured}
    before = {member_id: {item_id: (model.AnswerState(s.counted, s.counted, None, s.note)
                                    if (member_id, item_id) in keys else s)
                          for item_id, s in states.items()}
              for member_id, states in answers.items()}
    for member_id, item_id, state in matured:
        model.save_answer(hs, db, couple_id, member_id, item_id, state.settled(now))
    # What was shown against what is shown now: a matured raise may also make a member
    # broad, which closes the results until the partner confirms (model.pending).
    if model.shown(hs, db, couple_id, before, now) != model.shown(hs, db, couple_id, answers, now):
        emit(db, "matcher.matches.changed", couple_id, {"summary": model.MATCHES_CHANGED}, visibility="couple")
    return len(matured)
