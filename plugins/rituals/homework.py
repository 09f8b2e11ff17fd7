"""Therapy homework: small items attached to one therapy session, ticked off together.

Homework belongs to the couple (it is couples therapy): both members see it,
either can add, tick or remove an item. It never appears in the calendar feed
or on the wall.
"""

from __future__ import annotations

from hearthside.plugin_api import Conflict, Invalid, NotFound, emit, one_row, utc_now

from .model import Ritual, display_name, ensure_row, utc_iso

MAX_ITEMS = 30


def require_therapy(ritual: Ritual) -> None:
    if ritual.kind != "therapy":
        raise Invalid("not_therapy", "Homework belongs to therapy sessions; this ritual is not one.")


def _public(row: dict) -> dict:
    return {"id": row["id"], "text": row["text"], "done": row["done_at"] is not None, "done_at": row["done_at"],
            "done_by": row["done_by"], "created_by": row["created_by"], "created_at": row["created_at"]}


def items(db, override: dict | None) -> list[dict]:
    if not override:
        return []
    return [_public(row) for row in db.query("SELECT * FROM rituals_homework WHERE occurrence_id = ? ORDER BY id",
                                             [override["id"]])]


def get_item(db, override: dict | None, item_id: int) -> dict:
    return one_row(db, "SELECT * FROM rituals_homework WHERE id = ? AND occurrence_id = ?",
                   [item_id, override["id"] if override else -1],
                   NotFound("homework_not_found", "This session has no homework item with that id."))


def _emit(db, principal, ritual: Ritual, key: str, words: str) -> None:
    name = display_name(db, principal.couple_id, principal.member_id)
    emit(db, "rituals.homework_changed", principal.couple_id,
         {"ritual_id": ritual.id, "key": key, "summary": f"{name} {words} (“{ritual.title}”)."},
         visibility="couple", actor_id=principal.member_id)


def add(db, principal, ritual: Ritual, key: str, text: str) -> dict:
    with db.atomic():
        row = ensure_row(db, ritual, key)
        count = db.execute("SELECT count(*) FROM rituals_homework WHERE occurrence_id = ?", [row["id"]]).fetchone()[0]
        if count >= MAX_ITEMS:
            raise Conflict("too_much_homework", f"A session can carry at most {MAX_ITEMS} homework items.")
        item_id = db["rituals_homework"].insert({"occurrence_id": row["id"], "text": text,
                                                 "created_by": principal.member_id,
                                                 "created_at": utc_iso(utc_now())}).last_pk
        _emit(db, principal, ritual, key, "added homework")
    return _public(db["rituals_homework"].get(item_id))


def tick(db, principal, ritual: Ritual, key: str, item: dict, done: bool) -> dict:
    with db.atomic():
        db["rituals_homework"].update(item["id"], {"done_at": utc_iso(utc_now()) if done else None,
                                                   "done_by": principal.member_id if done else None})
        _emit(db, principal, ritual, key, "ticked off a homework item" if done else "reopened a homework item")
    return _public(db["rituals_homework"].get(item["id"]))


def remove(db, principal, ritual: Ritual, key: str, item: dict) -> None:
    with db.atomic():
        db["rituals_homework"].delete(item["id"])
        _emit(db, principal, ritual, key, "removed a homework item")
