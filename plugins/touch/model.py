"""Where a couple is on the ladder: the shared plan, the private answers behind it.

The rules, and why:

* **The plan** is the lowest of the members' comfort ceilings, capped at the
  highest unlocked phase. It is computed each time it is read (a ceiling can
  change a minute before a session) and never says whose ceiling set it. A
  member who has not set a ceiling counts as the first phase: the gentlest
  assumption, and one that says nothing about anyone.
* **Ceilings** are read back only by their owner. When a ceiling changes, the
  couple hears about it only if the plan itself changed, and then without an
  actor: a change that leaves the plan alone is not news for anyone else.
* **Moving forward** needs every current member's private "ready", which can be
  said only after enough practice sessions at the current top phase. Votes
  are never shown; the unlock itself is the only thing that reveals them.
* **Stepping back** is one tap by anyone: it takes effect at once, clears the
  pending "ready" votes and names nobody. Practice at a phase is never lost, so
  coming back up later costs nothing beyond both saying "ready" again.
* **Ladder edits** are proposals; the ladder changes when every member accepts.
"""

from __future__ import annotations

import contextlib
import json

from hearthside.plugin_api import Conflict, Invalid, NotFound, current_hs, emit, is_active, row_or_none

from . import ladder as ladders
# Where the couple is on the ladder; views, sessions and the data hooks reach it through here.
from .phases import (ensure_state, full_phase, ladder_versions, member_ids, now_iso,  # noqa: F401
                     public_phase, set_unlocked, state)

PLUGIN = "touch"
DASHBOARD_SCOPE = "dashboard.touch"
REFLECTIONS_SCOPE = "touch.share_reflections"


# -- ceilings (private) and the plan (shared) --------------------------------------------------


def _ceiling_rows(db, couple_id: int) -> dict[int, str]:
    return {row["member_id"]: row["phase_key"] for row in
            db.query("SELECT member_id, phase_key FROM touch_ceilings WHERE couple_id = ?", [couple_id])}


def my_ceiling(db, couple_id: int, member_id: int) -> dict:
    """The caller's own ceiling: for their eyes only."""
    current = state(db, couple_id)
    key = _ceiling_rows(db, couple_id).get(member_id)
    index = ladders.index_of(current["phases"], key) if key else -1
    return {**public_phase(current["phases"], max(index, 0)), "set": index >= 0}


def plan(db, couple_id: int) -> dict:
    """Tonight's plan: the lowest ceiling, capped at the highest unlocked phase. Names no one."""
    current = state(db, couple_id)
    phases, ceilings = current["phases"], _ceiling_rows(db, couple_id)
    levels = []
    for member_id in member_ids(db, couple_id):
        index = ladders.index_of(phases, ceilings.get(member_id, ""))
        levels.append(max(index, 0))
    index = min([current["unlocked_index"], *levels])
    return full_phase(phases, index)


@contextlib.contextmanager
def watching_plan(db, couple_id: int):
    """Run a change; if tonight's plan moved, tell the couple (no actor) and
    lower a running session to it at once. Call inside ``db.atomic()``."""
    before = plan(db, couple_id)
    yield
    after = plan(db, couple_id)
    if (before["key"], before["level"], before["name"]) != (after["key"], after["level"], after["name"]):
        emit(db, "touch.plan_changed", couple_id, {"phase": public_phase_of(after)}, visibility="couple")
        if _wall_shows_phase():
            card_changed(db, couple_id)
    _follow_plan(db, couple_id, after)


def _follow_plan(db, couple_id: int, plan_now: dict) -> None:
    """A running session practises at most the plan: lower it at once when the plan drops
    (and keep its phase's name and level current after a ladder edit)."""
    running = list(db.query("SELECT * FROM touch_sessions WHERE couple_id = ? AND status = 'running'",
                            [couple_id]))
    if not running:
        return
    session = running[0]
    phases = state(db, couple_id)["phases"]
    index = ladders.index_of(phases, session["phase_key"])
    target = plan_now if index < 0 or index + 1 > plan_now["level"] else full_phase(phases, index)
    if (target["key"], target["name"], target["level"]) == \
            (session["phase_key"], session["phase_name"], session["phase_level"]):
        return
    db["touch_sessions"].update(session["id"], {"phase_key": target["key"], "phase_name": target["name"],
                                                "phase_level": target["level"]})
    emit(db, "touch.session_changed", couple_id, {"session_id": session["id"], "phase": public_phase_of(target)},
         visibility="couple")


def _wall_shows_phase() -> bool:
    """Whether the wall card names the phase (on by default; off gives the discreet card)."""
    try:
        return bool(current_hs().config.plugin(PLUGIN).get("wall_shows_phase_name"))
    except RuntimeError:  # outside a request: no card detail to refresh
        return False


def public_phase_of(phase: dict) -> dict:
    return {"key": phase["key"], "name": phase["name"], "level": phase["level"]}


def set_ceiling(db, couple_id: int, member_id: int, key: str) -> dict:
    """Store the caller's ceiling; the answer is theirs alone (a private event for their devices)."""
    with db.atomic():
        ensure_state(db, couple_id)
        with watching_plan(db, couple_id):
            db["touch_ceilings"].upsert({"member_id": member_id, "couple_id": couple_id, "phase_key": key,
                                         "updated_at": now_iso()}, pk="member_id")
            emit(db, "touch.ceiling_changed", couple_id, {"phase": key}, visibility="private",
                 audience_id=member_id, actor_id=member_id)
    return my_ceiling(db, couple_id, member_id)


# -- moving forward (every member's private yes) --------------------------------------------


def practice_count(db, couple_id: int, key: str) -> int:
    """Sessions ever practised at a phase: stepping back never takes this away."""
    return db.execute("SELECT count(*) FROM touch_sessions WHERE couple_id = ? AND status = 'ended' "
                      "AND phase_key = ?", [couple_id, key]).fetchone()[0]


def _next_index(current: dict) -> int | None:
    index = current["unlocked_index"] + 1
    return index if index < len(current["phases"]) else None


def _my_vote(db, member_id: int, current: dict) -> bool:
    nxt = _next_index(current)
    if nxt is None:
        return False
    return db.execute("SELECT 1 FROM touch_ready_votes WHERE member_id = ? AND from_key = ? AND to_key = ?",
                      [member_id, current["unlocked_key"], current["phases"][nxt]["key"]]).fetchone() is not None


def readiness(db, couple_id: int, member_id: int, needed: int) -> dict:
    """What the caller may know about moving on: the practice so far and their own "ready" only."""
    current = state(db, couple_id)
    nxt = _next_index(current)
    practised = practice_count(db, couple_id, current["unlocked_key"])
    return {
        "current_phase": public_phase(current["phases"], current["unlocked_index"]),
        "next_phase": public_phase(current["phases"], nxt) if nxt is not None else None,
        "practised": practised,
        "needed": needed,
        "can_say_ready": nxt is not None and practised >= needed,
        "i_am_ready": _my_vote(db, member_id, current),
        "can_step_back": current["unlocked_index"] > 0,
    }


def say_ready(db, couple_id: int, member_id: int, needed: int) -> bool:
    """Record the caller's "ready"; unlock the next phase when everyone has said it.

    Returns whether the next phase unlocked. The unlock event carries no actor:
    who said "ready" last would tell who said it first.
    """
    with db.atomic():
        current = ensure_state(db, couple_id)
        nxt = _next_index(current)
        if nxt is None:
            raise Conflict("last_phase", "This is the last phase of your ladder; there is nothing further "
                                         "to unlock.")
        practised = practice_count(db, couple_id, current["unlocked_key"])
        if practised < needed:
            raise Conflict("not_yet", f"Saying \"ready\" opens after {needed} practice sessions at this phase "
                                      f"(so far {practised}). There is no hurry.")
        from_key, to_key = current["unlocked_key"], current["phases"][nxt]["key"]
        db["touch_ready_votes"].upsert({"member_id": member_id, "couple_id": couple_id, "from_key": from_key,
                                        "to_key": to_key, "created_at": now_iso()}, pk="member_id")
        members = member_ids(db, couple_id)
        voted = {row[0] for row in db.execute(
            "SELECT member_id FROM touch_ready_votes WHERE couple_id = ? AND from_key = ? AND to_key = ?",
            [couple_id, from_key, to_key])}
        if not set(members) <= voted:
            emit(db, "touch.ready_changed", couple_id, {"ready": True}, visibility="private",
                 audience_id=member_id, actor_id=member_id)
            return False
        with watching_plan(db, couple_id):
            set_unlocked(db, couple_id, "unlock", current, to_key, current["phases"], current["version"])
            db.execute("DELETE FROM touch_ready_votes WHERE couple_id = ?", [couple_id])
            emit(db, "touch.unlocked", couple_id, {"phase": public_phase(current["phases"], nxt)},
                 visibility="couple")
    return True


def take_back_ready(db, couple_id: int, member_id: int) -> None:
    with db.atomic():
        deleted = db.execute("DELETE FROM touch_ready_votes WHERE member_id = ?", [member_id]).rowcount
        if deleted:
            emit(db, "touch.ready_changed", couple_id, {"ready": False}, visibility="private",
                 audience_id=member_id, actor_id=member_id)


def step_back(db, couple_id: int) -> dict:
    """One tap, any member, no reason: the unlocked phase goes down one, votes are cleared.

    Nobody is named (no actor on the event, none in the history).
    """
    with db.atomic():
        current = ensure_state(db, couple_id)
        if current["unlocked_index"] == 0:
            raise Conflict("first_phase", "You are at the first phase already; there is no step further back. "
                                          "Being here is enough.")
        lower = current["unlocked_index"] - 1
        with watching_plan(db, couple_id):
            set_unlocked(db, couple_id, "step_back", current, current["phases"][lower]["key"],
                          current["phases"], current["version"])
            db.execute("DELETE FROM touch_ready_votes WHERE couple_id = ?", [couple_id])
            emit(db, "touch.stepped_back", couple_id, {"phase": public_phase(current["phases"], lower)},
                 visibility="couple")
    return public_phase(current["phases"], lower)


# -- ladder proposals (mutual agreement) ----------------------------------------------------


def open_proposal(db, couple_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM touch_proposals WHERE couple_id = ? AND status = 'open' "
                           "ORDER BY id DESC LIMIT 1", [couple_id])


def _accepted_by(db, proposal_id: int) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT member_id FROM touch_proposal_accepts WHERE proposal_id = ? ORDER BY member_id", [proposal_id])]


def proposal_view(db, row: dict, member_id: int) -> dict:
    """A proposal as both partners see it: the new ladder, what changes, who agreed so far."""
    current = state(db, row["couple_id"])
    proposed = json.loads(row["phases"])
    unlocked_after = ladders.carry_over(current["unlocked_key"], current["phases"], proposed)
    accepted = _accepted_by(db, row["id"])
    return {
        "id": row["id"],
        "status": row["status"],
        "base_version": row["base_version"],
        "phases": ladders.with_levels(proposed, unlocked_after),
        "note": row["note"],
        "proposed_by": row["proposed_by"],
        "created_at": row["created_at"],
        "changes": ladders.changes(current["phases"], proposed),
        "unlocked_after": public_phase(proposed, ladders.index_of(proposed, unlocked_after)),
        "accepted_by": accepted,
        "accepted_by_me": member_id in accepted,
    }


def propose(db, couple_id: int, member_id: int, raw_phases: list[dict], text: str) -> dict:
    """Open a proposal (the proposer agrees to it by making it). One open proposal at a time."""
    with db.atomic():
        current = ensure_state(db, couple_id)
        if open_proposal(db, couple_id) is not None:
            raise Conflict("proposal_open", "There is already a proposed change waiting. Accept or decline "
                                            "it first, then propose yours.")
        next_id = (db.execute("SELECT coalesce(max(id), 0) + 1 FROM touch_proposals").fetchone()[0])
        phases = ladders.parse_phases(raw_phases, current["phases"], f"c{next_id}")
        if phases == current["phases"]:
            raise Invalid("no_change", "This ladder is the same as the one you have; there is nothing to agree on.")
        proposal_id = db["touch_proposals"].insert({
            "id": next_id, "couple_id": couple_id, "base_version": current["version"],
            "phases": json.dumps(phases), "note": text, "proposed_by": member_id, "status": "open",
            "created_at": now_iso(),
        }).last_pk
        db["touch_proposal_accepts"].insert({"proposal_id": proposal_id, "member_id": member_id,
                                             "created_at": now_iso()})
        emit(db, "touch.proposal_opened", couple_id, {"proposal_id": proposal_id}, visibility="couple",
             actor_id=member_id)
        _apply_if_everyone_agreed(db, couple_id, proposal_id)
    return db["touch_proposals"].get(proposal_id)


def _the_open_proposal(db, couple_id: int, proposal_id) -> dict:
    row = open_proposal(db, couple_id)
    if row is None:
        raise NotFound("no_proposal", "There is no proposed ladder change waiting.")
    if isinstance(proposal_id, bool) or not isinstance(proposal_id, int):
        raise Invalid("invalid_field", "'proposal_id' is required and must be the id of the proposal you read.")
    if proposal_id != row["id"]:
        raise Conflict("proposal_changed", "That proposal is no longer the one waiting; reload and read the "
                                           "current one before deciding.")
    return row


def accept(db, couple_id: int, member_id: int, proposal_id) -> dict:
    with db.atomic():
        row = _the_open_proposal(db, couple_id, proposal_id)
        if member_id not in _accepted_by(db, row["id"]):
            db["touch_proposal_accepts"].insert({"proposal_id": row["id"], "member_id": member_id,
                                                 "created_at": now_iso()})
            emit(db, "touch.proposal_accepted", couple_id, {"proposal_id": row["id"]}, visibility="couple",
                 actor_id=member_id)
        _apply_if_everyone_agreed(db, couple_id, row["id"])
    return db["touch_proposals"].get(row["id"])


def decline(db, couple_id: int, proposal_id) -> dict:
    """Decline (or withdraw) the open proposal: no reason needed, nobody named."""
    with db.atomic():
        row = _the_open_proposal(db, couple_id, proposal_id)
        db["touch_proposals"].update(row["id"], {"status": "declined", "decided_at": now_iso()})
        emit(db, "touch.proposal_closed", couple_id, {"proposal_id": row["id"], "outcome": "declined"},
             visibility="couple")
    return db["touch_proposals"].get(row["id"])


def _apply_if_everyone_agreed(db, couple_id: int, proposal_id: int) -> None:
    """The new ladder version, once every current member accepted: the unlocked
    phase, ceilings and votes are carried over (never upwards for a removed phase)."""
    if not set(member_ids(db, couple_id)) <= set(_accepted_by(db, proposal_id)):
        return
    row = db["touch_proposals"].get(proposal_id)
    current = state(db, couple_id)
    if row["base_version"] != current["version"]:
        raise Conflict("proposal_stale", "The ladder changed since this was proposed; propose it again.")
    proposed = json.loads(row["phases"])
    version = current["version"] + 1
    with watching_plan(db, couple_id):
        db["touch_ladders"].insert({"couple_id": couple_id, "version": version, "phases": row["phases"],
                                    "proposal_id": proposal_id, "created_at": now_iso()})
        new_unlocked = ladders.carry_over(current["unlocked_key"], current["phases"], proposed)
        set_unlocked(db, couple_id, "ladder", current, new_unlocked, proposed, version)
        for member_id, key in _ceiling_rows(db, couple_id).items():
            moved = ladders.carry_over(key, current["phases"], proposed)
            if moved != key:
                db["touch_ceilings"].update(member_id, {"phase_key": moved, "updated_at": now_iso()})
        _drop_stale_votes(db, couple_id)
        db["touch_proposals"].update(proposal_id, {"status": "accepted", "decided_at": now_iso(),
                                                   "result_version": version})
        emit(db, "touch.proposal_closed", couple_id, {"proposal_id": proposal_id, "outcome": "accepted"},
             visibility="couple")
        emit(db, "touch.ladder_changed", couple_id, {"version": version}, visibility="couple")


def _drop_stale_votes(db, couple_id: int) -> None:
    """Keep a "ready" only if it is still about the same step (same phase to the same next one)."""
    current = state(db, couple_id)
    nxt = _next_index(current)
    if nxt is None:
        db.execute("DELETE FROM touch_ready_votes WHERE couple_id = ?", [couple_id])
        return
    db.execute("DELETE FROM touch_ready_votes WHERE couple_id = ? AND NOT (from_key = ? AND to_key = ?)",
               [couple_id, current["unlocked_key"], current["phases"][nxt]["key"]])


# -- the wall ---------------------------------------------------------------------------------


def card_changed(db, couple_id: int) -> None:
    """Nudge the wall to re-read its cards - only while it may show ours at all.

    The event is content-free and neutral in name; without the consent the
    wall hears nothing from this plugin.
    """
    if is_active(db, couple_id, DASHBOARD_SCOPE):
        emit(db, "touch.wall_refresh", couple_id, {}, visibility="dashboard")
