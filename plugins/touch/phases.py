"""The couple's ladder and the phase they have unlocked on it, with its (anonymous) history.

The lower layer of the model (:mod:`.model`): the rules that move the
unlocked phase - every member's "ready", one tap back, an accepted ladder
edit - live there and call these to read and write where the couple is.
"""

from __future__ import annotations

import json

from hearthside.plugin_api import couple_members, row_or_none, utc_now

from . import ladder as ladders


def now_iso() -> str:
    return utc_now().isoformat(timespec="seconds")


def member_ids(db, couple_id: int) -> list[int]:
    return [row["id"] for row in couple_members(db, couple_id)]


# -- the ladder and the unlocked phase --------------------------------------------------------


def _state_row(db, couple_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM touch_state WHERE couple_id = ?", [couple_id])


def state(db, couple_id: int) -> dict:
    """The ladder in use and the unlocked phase; the default ladder until the couple acts."""
    row = _state_row(db, couple_id)
    if row is None:
        phases = ladders.default_phases()
        return {"version": 1, "phases": phases, "unlocked_key": phases[0]["key"], "unlocked_index": 0}
    stored = db.execute("SELECT phases FROM touch_ladders WHERE couple_id = ? AND version = ?",
                        [couple_id, row["ladder_version"]]).fetchone()
    phases = json.loads(stored[0]) if stored else ladders.default_phases()
    index = ladders.index_of(phases, row["unlocked_key"])
    return {"version": row["ladder_version"], "phases": phases, "unlocked_key": row["unlocked_key"],
            "unlocked_index": max(index, 0)}


def ensure_state(db, couple_id: int) -> dict:
    """Write the couple's starting point (default ladder, version 1) the first time it is needed.

    Call inside ``db.atomic()``.
    """
    if _state_row(db, couple_id) is None:
        phases = ladders.default_phases()
        db["touch_ladders"].insert({"couple_id": couple_id, "version": 1, "phases": json.dumps(phases),
                                    "proposal_id": None, "created_at": now_iso()})
        db["touch_state"].insert({"couple_id": couple_id, "ladder_version": 1, "unlocked_key": phases[0]["key"],
                                  "updated_at": now_iso()})
    return state(db, couple_id)


def public_phase(phases: list[dict], index: int) -> dict:
    phase = phases[index]
    return {"key": phase["key"], "name": phase["name"], "level": index + 1}


def full_phase(phases: list[dict], index: int) -> dict:
    return {**phases[index], "level": index + 1}


def ladder_versions(db, couple_id: int) -> list[dict]:
    """Every version of the couple's ladder, oldest first (the default when never changed)."""
    rows = list(db.query("SELECT version, phases, proposal_id, created_at FROM touch_ladders "
                         "WHERE couple_id = ? ORDER BY version", [couple_id]))
    if not rows:
        return [{"version": 1, "phases": ladders.with_levels(ladders.default_phases()), "proposal_id": None,
                 "created_at": None}]
    return [{"version": row["version"], "phases": ladders.with_levels(json.loads(row["phases"])),
             "proposal_id": row["proposal_id"], "created_at": row["created_at"]} for row in rows]


def set_unlocked(db, couple_id: int, kind: str, current: dict, new_key: str, phases: list[dict],
                  version: int) -> None:
    """Move the unlocked phase and keep the (append-only, anonymous) level history."""
    new_index = ladders.index_of(phases, new_key)
    db["touch_state"].update(couple_id, {"unlocked_key": new_key, "ladder_version": version,
                                         "updated_at": now_iso()})
    db["touch_level_history"].insert({
        "couple_id": couple_id, "kind": kind, "from_key": current["unlocked_key"], "to_key": new_key,
        "from_level": current["unlocked_index"] + 1, "to_level": new_index + 1, "to_name": phases[new_index]["name"],
        "ladder_version": version, "created_at": now_iso(),
    })


def level_history(db, couple_id: int) -> list[dict]:
    return [dict(row) for row in db.query(
        "SELECT kind, from_level, to_level, to_name, ladder_version, created_at FROM touch_level_history "
        "WHERE couple_id = ? ORDER BY id", [couple_id])]
