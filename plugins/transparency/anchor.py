"""The chain's head, kept outside the database: lost writes show up in ``verify``.

The chain proves that nothing *inside* the database was changed behind the
server's back; it cannot prove that the database still holds everything it
acknowledged. A damaged WAL or a file copied back from last week is a
shorter, perfectly valid chain (issue 16). So after each commit that extends
a couple's chain, the head it reached - ``seq`` and ``hash`` - is written to
``transparency-heads.json`` in the data folder, and :func:`lost` tells
``chain.verify`` when the database no longer holds that seal at that seq.

Choices, and why:

* **Written after the commit** (``db.on_commit``): a rolled-back append never
  becomes an anchor. A crash between the commit and this write leaves the
  previous head, which the database still holds - never a false alarm.
* **Only ever raised**: commits hand their heads on after the write lock is
  released, so two threads can arrive in either order; a lock in the process
  and "keep the highest seq" make the older one a no-op.
* **Tied to the couple's creation time**: couple ids start again at 1 in a
  fresh database (the way to start afresh after damage), so an anchor of an
  earlier couple with the same id is not theirs and is ignored (and
  replaced by the next append).
* **Put back by a restore** (``hearthside_restored``): restoring an older
  backup removes entries on purpose; the anchors are reset to what the
  restored database holds.
* **A missing or unreadable file is "no anchor"**, logged without member
  data: the chain itself is still checked, and the next append writes a new file.
* **Seq numbers and seals only**: nothing a member wrote, nothing the partner
  could not already see through ``GET /verify``.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from hearthside.plugin_api import row_or_none, write_private

FILE = "transparency-heads.json"
log = logging.getLogger(__name__)
_lock = threading.Lock()


def path_of(data_dir: Path) -> Path:
    return Path(data_dir) / FILE


def read(data_dir: Path) -> dict[str, dict]:
    """Every couple's anchored head by couple id (a str key), or {} when there is no readable file."""
    path = path_of(data_dir)
    try:
        heads = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("The transparency chain's anchor %s could not be read (%s); verifying without it until the "
                    "next entry writes it again", path, type(exc).__name__)
        return {}
    if not isinstance(heads, dict) or not all(_well_formed(head) for head in heads.values()):
        log.warning("The transparency chain's anchor %s is not in the expected form; verifying without it until "
                    "the next entry writes it again", path)
        return {}
    return heads


def _well_formed(head) -> bool:
    return isinstance(head, dict) and isinstance(head.get("seq"), int) and isinstance(head.get("hash"), str) \
        and isinstance(head.get("couple_created_at"), str)


def _write(data_dir: Path, heads: dict[str, dict]) -> None:
    write_private(path_of(data_dir), json.dumps(heads, sort_keys=True, indent=1).encode("utf-8"))


def record(db, row: dict) -> None:
    """After the transaction that appended ``row`` commits, raise the couple's anchor to it."""
    if db.data_dir is None:
        return  # a database outside a data folder (a backup being cleared): nothing to anchor
    head = {"seq": row["seq"], "hash": row["hash"], "couple_created_at": _created_at(db, row["couple_id"])}
    data_dir = db.data_dir
    db.on_commit(lambda: _raise(data_dir, str(row["couple_id"]), head))


def _created_at(db, couple_id: int) -> str | None:
    couple = row_or_none(db, "SELECT created_at FROM couples WHERE id = ?", [couple_id])
    return couple["created_at"] if couple else None


def _raise(data_dir: Path, couple: str, head: dict) -> None:
    with _lock:
        heads = read(data_dir)
        known = heads.get(couple)
        if known and known["couple_created_at"] == head["couple_created_at"] and known["seq"] >= head["seq"]:
            return  # a later commit got here first
        heads[couple] = head
        try:
            _write(data_dir, heads)
        except OSError as exc:
            # The entry is committed; an anchor left behind only checks less, it never alarms.
            log.warning("Could not write the transparency chain's anchor (%s)", type(exc).__name__)


def reset(db) -> int:
    """Anchor every couple at what ``db`` holds now (after a restore); returns how many were anchored."""
    if db.data_dir is None:
        return 0
    heads = {}
    for row in db.query("""SELECT e.couple_id, e.seq, e.hash, c.created_at FROM transparency_entries e
                           JOIN couples c ON c.id = e.couple_id
                           WHERE e.seq = (SELECT max(seq) FROM transparency_entries WHERE couple_id = e.couple_id)"""):
        heads[str(row["couple_id"])] = {"seq": row["seq"], "hash": row["hash"], "couple_created_at": row["created_at"]}
    with _lock:
        _write(db.data_dir, heads)
    return len(heads)


def lost(db, couple_id: int, seals: dict[int, str]) -> int | None:
    """The anchored seq when ``seals`` (seq -> hash, what the database holds) lacks it; else None."""
    if db.data_dir is None:
        return None
    head = read(db.data_dir).get(str(couple_id))
    if head is None or head["couple_created_at"] != _created_at(db, couple_id):
        return None
    return None if seals.get(head["seq"]) == head["hash"] else head["seq"]
