"""The matcher's tables. Never edit a shipped migration: add the next one.

* ``matcher_answers`` - one row per member and item. ``state`` is one
  encrypted blob holding the answer, the value that counts for matching now,
  when a raised answer starts to count, and the private note. Nothing about
  the answer is stored in clear - not even a timestamp of the last change.
* ``matcher_custom_items`` - items a couple added. ``content`` (title and
  explanation) is encrypted; ``proposer_id`` exists only so "forget me" can
  remove what that member wrote, and is never shown to anyone.
* ``matcher_hidden`` - items the couple agreed to hide.
* ``matcher_votes`` - open proposals to hide (or show again) an item: one row
  per member who agreed. It completes when every member has agreed.
* ``matcher_couples`` - per couple: when they first compared (from then on a
  raised answer waits for the cool-down).
* ``matcher_broad_confirmations`` - who confirmed having been told that a
  partner's answers are open to almost everything (``subject_id``); the
  results wait for it (model.py, "broad"). Removed when the partner is no
  longer broad, so becoming broad again is told again.
"""

from sqlite_utils.migrations import Migrations

migrations = Migrations("matcher")


@migrations(name="0001_tables")
def tables(db):
    db["matcher_answers"].create(
        {"member_id": int, "couple_id": int, "item_id": str, "state": bytes},
        pk=("member_id", "item_id"), not_null={"member_id", "couple_id", "item_id", "state"})
    db["matcher_answers"].create_index(["couple_id"])
    db["matcher_custom_items"].create(
        {"id": str, "couple_id": int, "category": str, "content": bytes, "proposer_id": int, "created_at": str},
        pk="id", not_null={"couple_id", "category", "content", "created_at"})
    db["matcher_custom_items"].create_index(["couple_id"])
    db["matcher_hidden"].create({"couple_id": int, "item_id": str, "hidden_at": str},
                                pk=("couple_id", "item_id"), not_null={"hidden_at"})
    db["matcher_votes"].create({"couple_id": int, "item_id": str, "member_id": int, "action": str},
                               pk=("couple_id", "item_id", "member_id"), not_null={"action"})
    db["matcher_couples"].create({"couple_id": int, "compared_at": str}, pk="couple_id")


@migrations(name="0002_broad_confirmations")
def broad_confirmations(db):
    db["matcher_broad_confirmations"].create(
        {"couple_id": int, "member_id": int, "subject_id": int, "confirmed_at": str},
        pk=("member_id", "subject_id"), not_null={"couple_id", "confirmed_at"})
    db["matcher_broad_confirmations"].create_index(["couple_id"])
