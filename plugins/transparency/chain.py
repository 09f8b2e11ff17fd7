"""The hash chain that makes each couple's transparency log tamper-evident.

Every record (entry, reply, question, answer, sharing notice) is one row with
a sequence number ``seq`` (1, 2, 3 ... per couple) and two hashes:

* ``content_hash`` = SHA-256 of the canonical serialisation of the content:
  ``kind``, ``text``, ``occurred_at`` and ``tags``, plus ``salt``: 32 random
  bytes (hex) of the record's own;
* ``hash`` = SHA-256 of the previous record's ``hash`` (64 zeros for the first),
  a newline, and the canonical serialisation of the structure: format
  version, couple, seq, author, what it refers to, when it was written, and
  ``content_hash``.

Why split it: a member who confirms "forget me" must lose their words, yet
the partner's chain must stay verifiable. Forgetting turns a record into a
tombstone - the content is dropped, both hashes stay - so every link still
checks out, and only the tombstone's own content can no longer be checked.

Why the salt: without it, anyone who can read a tombstone's seal (the
partner, through the API) could hash a guess of the forgotten words and see
whether it matches - "forget" would leave a way to confirm what was said.
The salt is forgotten with the content, so nothing is left to check a guess
against. Records written before the salt existed have none (``salt`` is
null and left out of the hash): their tombstones stay confirmable, a residual
risk named in docs/security.md.

Canonical serialisation = JSON with sorted keys, no spaces, UTF-8 (not
ASCII-escaped); anyone can recompute it from an export with a few lines of
code (docs/plugins/transparency.md shows them).
"""

from __future__ import annotations

import hashlib
import json
import secrets

from hearthside.plugin_api import row_or_none

from . import anchor

GENESIS = "0" * 64
FORMAT = "hearthside.transparency/1"

REASONS = {
    "missing": "Entry #{seq} is missing from the log: it was removed after it was written.",
    "link": "Entry #{seq} no longer follows the entry before it: something was removed, added or reordered.",
    "content": "Entry #{seq} was changed after it was written: its content does not match its seal.",
    "seal": "Entry #{seq} does not match its seal: its details were changed after it was written.",
    "anchor": "The log no longer matches what you reviewed together up to entry #{seq}: "
              "something you reviewed was changed or removed.",
    "lost": "Entries up to #{seq} were written and are no longer all in the log: the database lost writes "
            "(a damaged file?). Restore the last backup.",
}


def canonical(data: dict) -> bytes:
    """One exact byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(kind: str | None, text: str | None, occurred_at: str | None, tags: list[str] | None,
                 salt: str | None = None) -> str:
    """The commitment to a record's content; ``salt`` is None only for records older than the salt."""
    content = {"kind": kind, "text": text, "occurred_at": occurred_at, "tags": tags}
    if salt is not None:
        content["salt"] = salt
    return sha256(canonical(content))


def new_salt() -> str:
    return secrets.token_hex(32)


def link_hash(prev_hash: str, row: dict) -> str:
    """The seal of one record: the previous seal plus this record's structure."""
    structure = {
        "format": FORMAT, "couple_id": row["couple_id"], "seq": row["seq"], "author_id": row["author_id"],
        "refers_to": row["refers_to"], "relation": row["relation"], "created_at": row["created_at"],
        "content_hash": row["content_hash"],
    }
    return sha256(prev_hash.encode("ascii") + b"\n" + canonical(structure))


def head(db, couple_id: int) -> dict | None:
    return row_or_none(db, "SELECT seq, hash FROM transparency_entries WHERE couple_id = ? ORDER BY seq DESC LIMIT 1",
                           [couple_id])


def append(db, *, couple_id: int, author_id: int, kind: str, text: str, occurred_at: str, tags: list[str],
           created_at: str, refers_to: int | None = None, relation: str | None = None) -> dict:
    """Add one record at the end of the couple's chain; call inside ``db.atomic()``.

    ``db.atomic()`` opens ``BEGIN IMMEDIATE``, so two phones writing at once
    are serialised and can never both extend the same head.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("append() must run inside db.atomic()")
    last = head(db, couple_id)
    salt = new_salt()
    row = {
        "couple_id": couple_id, "seq": (last["seq"] + 1) if last else 1, "author_id": author_id,
        "refers_to": refers_to, "relation": relation, "created_at": created_at, "kind": kind, "text": text,
        "occurred_at": occurred_at, "tags": json.dumps(tags, ensure_ascii=False), "salt": salt,
        "content_hash": content_hash(kind, text, occurred_at, tags, salt),
        "prev_hash": last["hash"] if last else GENESIS,
    }
    row["hash"] = link_hash(row["prev_hash"], row)
    row["id"] = db["transparency_entries"].insert(row).last_pk
    row["forgotten_at"] = None
    anchor.record(db, row)
    return row


def _content_intact(row: dict) -> bool:
    if row["forgotten_at"] is not None:
        # A tombstone keeps no content (nor its salt); content left behind means someone edited it.
        return all(row[column] is None for column in ("kind", "text", "occurred_at", "tags", "salt"))
    try:
        tags = json.loads(row["tags"]) if row["tags"] is not None else None
    except ValueError:
        return False
    return content_hash(row["kind"], row["text"], row["occurred_at"], tags, row["salt"]) == row["content_hash"]


def _broken(seq: int, entry_id: int | None, reason: str) -> dict:
    return {"seq": seq, "entry_id": entry_id, "reason": reason, "message": REASONS[reason].format(seq=seq)}


def verify(db, couple_id: int) -> dict:
    """Recompute the couple's chain: its length, head and the first broken link.

    Walks every record in order, checking that sequence numbers have no gap,
    that each record names the previous seal, that its content matches its
    content hash and that its seal is right. Then every review's anchor (the
    head it saw) must still be in the chain, which also catches the newest
    records being cut off after a review. Last, the head anchored outside the
    database (:mod:`.anchor`) must still be there with its seal, which catches
    acknowledged writes the database lost. ``first_broken`` is the earliest
    problem, or None when the whole chain is intact.
    """
    expected_prev, expected_seq, length, first = GENESIS, 1, 0, None
    seals: dict[int, tuple[str, int]] = {}
    for row in db.query("SELECT * FROM transparency_entries WHERE couple_id = ? ORDER BY seq", [couple_id]):
        length += 1
        seals[row["seq"]] = (row["hash"], row["id"])
        if first is None:
            if row["seq"] != expected_seq:
                first = _broken(expected_seq, None, "missing")
            elif row["prev_hash"] != expected_prev:
                first = _broken(row["seq"], row["id"], "link")
            elif not _content_intact(row):
                first = _broken(row["seq"], row["id"], "content")
            elif link_hash(expected_prev, row) != row["hash"]:
                first = _broken(row["seq"], row["id"], "seal")
        expected_prev, expected_seq = row["hash"], row["seq"] + 1
    for review in db.query("SELECT to_seq, head_hash FROM transparency_reviews WHERE couple_id = ? AND to_seq > 0 "
                           "ORDER BY to_seq", [couple_id]):
        seal, entry_id = seals.get(review["to_seq"], (None, None))
        if seal != review["head_hash"]:
            if first is None or review["to_seq"] < first["seq"]:
                first = _broken(review["to_seq"], entry_id, "anchor")
            break
    lost = anchor.lost(db, couple_id, {seq: seal for seq, (seal, _id) in seals.items()})
    if lost is not None and (first is None or lost < first["seq"]):
        first = _broken(lost, seals.get(lost, (None, None))[1], "lost")
    return {
        "length": length,
        "head": expected_prev if length else GENESIS,
        "intact": first is None,
        "first_broken": first,
    }
