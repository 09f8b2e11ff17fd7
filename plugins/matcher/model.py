"""Answers, items and the mutual tiers: the matcher's rules in one place.

The rules, and why:

* **Only the lowest answer counts.** Per item the couple sees min(answers)
  with no < maybe < yes; unanswered counts as no. Nobody can tell from the
  result who gave the lower answer.
* **Lowering counts at once; raising after a comparison waits.** Once the
  couple has compared, an answer raised above the value that counts now only
  starts to count after the cool-down (``plugins.matcher.raise_cooldown_days``).
  Otherwise one could flip an answer to yes, look at the results and flip it
  back - probing the other's list one item at a time. Lowering reveals nothing
  new, so it is immediate. "Compared" is the first moment the tiers could be
  seen at all: the first read of ``/matches`` while the reveal is active, or
  the first ``matcher.matches.changed`` notice that leaves results shown (an export holds the tiers only
  after that, so it is never the first look).
  Before that no answer can be observed, so answering - even after both
  turned the reveal on - counts at once and probes nothing.
* **A list open to almost everything is announced before it is compared.**
  Saying yes to every item and then comparing would return the partner's
  whole yes / maybe list in one look, and the cool-down never fires because
  nothing was raised. So a member whose answers that count are yes or maybe
  for at least ``plugins.matcher.broad_percent`` of the visible items is
  "broad": while they are, the results stay closed until every other member
  has been told so and confirmed they still want to compare (see
  :func:`pending`). The min-tier rule itself is unchanged.
* **Everything about an answer is one encrypted blob**, bound to its member
  and item (see :mod:`.crypto`).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from hearthside.plugin_api import Conflict, Invalid, NotFound, Notification, couple_members, emit, is_active, utc_now

from . import catalog
# The answers and the key live in their own modules; views, the job and the data hooks reach them through here.
from .answers import RANK, AnswerState, answer_change, iso, load_answers, save_answer  # noqa: F401
from .crypto import open_json, seal_json

PLUGIN = "matcher"
REVEAL_SCOPE = "matcher.reveal"
ANSWERS = ("yes", "no", "maybe")
NOTE_MAX = 500
TITLE_MAX = 120
EXPLANATION_MAX = 240
MAX_CUSTOM_ITEMS = 300
SHOWN_ID_LENGTH = 60
MATCHES_CHANGED = "Your shared yes / no / maybe results changed."


# -- the couple's items -------------------------------------------------------------


def _custom_context(couple_id: int, item_id: str) -> str:
    return f"matcher/custom/{couple_id}/{item_id}"


def custom_items(hs, db, couple_id: int) -> list[dict]:
    rows = db.execute("SELECT id, category, content FROM matcher_custom_items WHERE couple_id = ? "
                      "ORDER BY created_at, rowid", [couple_id]).fetchall()
    items = []
    for item_id, category, blob in rows:
        content = open_json(hs, blob, _custom_context(couple_id, item_id))
        item = {"id": item_id, "category": category, "title": content["title"], "custom": True}
        if content.get("explanation"):
            item["explanation"] = content["explanation"]
        items.append(item)
    return items


def shown_id(item_id: str) -> str:
    """An item id from a request, shortened for an error message (it is the caller's own input)."""
    return repr(item_id if len(item_id) <= SHOWN_ID_LENGTH else item_id[:SHOWN_ID_LENGTH] + "…")


def unknown_item(item_id: str) -> Invalid:
    """The one answer for an item the couple does not see: unknown, hidden, or another couple's."""
    return Invalid("unknown_item", f"There is no item {shown_id(item_id)} in your list (it may be hidden). "
                                   "Nothing was saved.")


def add_custom_item(hs, db, couple_id: int, proposer_id: int, category: str, title: str,
                    explanation: str | None) -> dict:
    """Store a new item for the couple, inside the caller's transaction; the proposer is kept for "forget" only.

    A couple has at most ``MAX_CUSTOM_ITEMS`` of their own (409 ``too_many_items``).
    """
    count = db.execute("SELECT count(*) FROM matcher_custom_items WHERE couple_id = ?", [couple_id]).fetchone()[0]
    if count >= MAX_CUSTOM_ITEMS:
        raise Conflict("too_many_items", f"Your list already has {MAX_CUSTOM_ITEMS} items of your own; "
                                         "hide some you no longer need first.")
    item_id = "custom." + secrets.token_hex(5)  # random: ids say nothing about other couples
    content = {"title": title}
    if explanation:
        content["explanation"] = explanation
    db["matcher_custom_items"].insert({
        "id": item_id, "couple_id": couple_id, "category": category, "proposer_id": proposer_id,
        "content": seal_json(hs, content, _custom_context(couple_id, item_id)), "created_at": iso(utc_now()),
    })
    item = {"id": item_id, "category": category, "title": title, "custom": True}
    if explanation:
        item["explanation"] = explanation
    return item


def categories() -> list[dict]:
    return [*catalog.builtin().categories, dict(catalog.CUSTOM_CATEGORY)]


def hidden_ids(db, couple_id: int) -> set[str]:
    return {row[0] for row in db.execute("SELECT item_id FROM matcher_hidden WHERE couple_id = ?", [couple_id])}


def all_items(hs, db, couple_id: int) -> list[dict]:
    """Catalog items then the couple's own, hidden ones included (copies, safe to annotate)."""
    return [dict(item) for item in catalog.builtin().items] + custom_items(hs, db, couple_id)


def visible_items(hs, db, couple_id: int) -> list[dict]:
    hidden = hidden_ids(db, couple_id)
    return [item for item in all_items(hs, db, couple_id) if item["id"] not in hidden]


def visible_ids(hs, db, couple_id: int) -> list[str]:
    hidden = hidden_ids(db, couple_id)
    custom = [row[0] for row in db.execute("SELECT id FROM matcher_custom_items WHERE couple_id = ? "
                                           "ORDER BY created_at, rowid", [couple_id])]
    return [item_id for item_id in [item["id"] for item in catalog.builtin().items] + custom
            if item_id not in hidden]


# -- mutual tiers ---------------------------------------------------------------------


def member_ids(db, couple_id: int) -> list[int]:
    return [row["id"] for row in couple_members(db, couple_id)]


def tiers(item_ids: list[str], answers: dict[int, dict[str, AnswerState]], members: list[int],
          now: datetime) -> dict[str, list[str]]:
    """``both_yes`` and ``worth_discussing`` from the lowest answer per item."""
    both_yes, worth = [], []
    if not members:
        return {"both_yes": both_yes, "worth_discussing": worth}
    for item_id in item_ids:
        lowest = min(RANK[answers.get(member, {}).get(item_id, AnswerState()).effective(now)] for member in members)
        if lowest == RANK["yes"]:
            both_yes.append(item_id)
        elif lowest == RANK["maybe"]:
            worth.append(item_id)
    return {"both_yes": both_yes, "worth_discussing": worth}


def couple_tiers(hs, db, couple_id: int, now: datetime | None = None) -> dict[str, list[str]]:
    return tiers(visible_ids(hs, db, couple_id), load_answers(hs, db, couple_id), member_ids(db, couple_id),
                 now or utc_now())


def reveal_active(db, couple_id: int) -> bool:
    return is_active(db, couple_id, REVEAL_SCOPE)


# -- broad answer sets: told to the partner before anything is shown ------------------------


def broad_members(hs, db, couple_id: int, answers: dict | None = None, now: datetime | None = None) -> set[int]:
    """Members whose counted answers are yes or maybe for at least ``broad_percent`` of the items.

    Counted answers, not what was typed: a raise waiting out the cool-down
    makes nobody broad until it counts (and then the results close again).
    """
    item_ids = visible_ids(hs, db, couple_id)
    if not item_ids:
        return set()
    answers = load_answers(hs, db, couple_id) if answers is None else answers
    now = now or utc_now()
    percent = hs.config.plugin(PLUGIN)["broad_percent"]
    broad = set()
    for member in member_ids(db, couple_id):
        mine = answers.get(member, {})
        open_to = sum(1 for item_id in item_ids if mine.get(item_id, AnswerState()).effective(now) != "no")
        if open_to * 100 >= percent * len(item_ids):
            broad.add(member)
    return broad


def confirmations(db, couple_id: int) -> set[tuple[int, int]]:
    """(member who confirmed, broad member they confirmed) pairs."""
    return {(row[0], row[1]) for row in db.execute(
        "SELECT member_id, subject_id FROM matcher_broad_confirmations WHERE couple_id = ?", [couple_id])}


def pending(hs, db, couple_id: int, answers: dict | None = None, now: datetime | None = None) -> set[tuple[int, int]]:
    """(member who must still confirm, broad member) pairs: the results wait for every one of them."""
    broad = broad_members(hs, db, couple_id, answers, now)
    done = confirmations(db, couple_id)
    return {(member, subject) for subject in broad for member in member_ids(db, couple_id)
            if member != subject and (member, subject) not in done}


def confirm_broad(db, couple_id: int, member_id: int, subjects: set[int]) -> None:
    """Record that ``member_id`` was told the ``subjects`` are broad and still wants to compare."""
    for subject in sorted(subjects):
        db["matcher_broad_confirmations"].insert({"couple_id": couple_id, "member_id": member_id,
                                                  "subject_id": subject, "confirmed_at": iso(utc_now())})


def drop_stale_confirmations(hs, db, couple_id: int) -> None:
    """Forget confirmations of members who are no longer broad, so becoming broad again is announced again."""
    broad = broad_members(hs, db, couple_id)
    marks = ", ".join("?" * len(broad))
    db.execute(f"DELETE FROM matcher_broad_confirmations WHERE couple_id = ? AND subject_id NOT IN ({marks})",
               [couple_id, *broad])


def shown(hs, db, couple_id: int, answers: dict | None = None, now: datetime | None = None) -> dict | None:
    """The tiers as everyone may see them now, or None while the reveal is off or awaits a confirmation."""
    if not reveal_active(db, couple_id):
        return None
    now = now or utc_now()
    answers = load_answers(hs, db, couple_id) if answers is None else answers
    if pending(hs, db, couple_id, answers, now):
        return None
    return tiers(visible_ids(hs, db, couple_id), answers, member_ids(db, couple_id), now)


def has_compared(db, couple_id: int) -> bool:
    return db.execute("SELECT 1 FROM matcher_couples WHERE couple_id = ? AND compared_at IS NOT NULL",
                      [couple_id]).fetchone() is not None


def mark_compared(db, couple_id: int) -> None:
    """Remember the first comparison: from now on raised answers wait (inside a transaction)."""
    db.execute("INSERT INTO matcher_couples (couple_id, compared_at) VALUES (?, ?) "
               "ON CONFLICT (couple_id) DO UPDATE SET compared_at = COALESCE(compared_at, excluded.compared_at)",
               [couple_id, iso(utc_now())])


class TierWatch:
    """Compare what the results show before and after a change made inside one transaction.

    Only when what everyone may see (:func:`shown`) moved - the tiers changed
    while shown, or the results opened or closed for a broad-answers
    confirmation - does it emit ``matcher.matches.changed`` (couple, no
    actor, only a fixed sentence for the feed: clients fetch ``/matches``,
    which checks again). A change that leaves that alone emits nothing to
    anyone, so the partner cannot learn from the event stream that something moved.
    """

    def __init__(self, hs, db, couple_id: int):
        self.hs, self.db, self.couple_id = hs, db, couple_id
        self.before = shown(hs, db, couple_id)

    def finish(self) -> bool:
        drop_stale_confirmations(self.hs, self.db, self.couple_id)
        after = shown(self.hs, self.db, self.couple_id)
        if after == self.before:
            return False
        emit(self.db, "matcher.matches.changed", self.couple_id, {"summary": MATCHES_CHANGED}, visibility="couple")
        if after is not None:  # the notice itself tells something: from now on raises wait
            mark_compared(self.db, self.couple_id)
        return True


def items_changed(db, couple_id: int) -> None:
    """Tell every member's open page to reload the list (no actor: nobody is named)."""
    emit(db, "matcher.items.changed", couple_id, {"summary": "The yes / no / maybe list changed."},
         visibility="couple")


def notifications(db, event) -> list[Notification]:
    """The list changed (a new question, one hidden or shown again): tell everyone in the couple, with the
    list's own fixed sentence - the event names nobody, so neither does the notification."""
    if event.type != "matcher.items.changed":
        return []
    members = tuple(member["id"] for member in couple_members(db, event.couple_id))
    return [Notification("questions", members, event.payload["summary"], "/matcher/list")]


# -- proposals to hide or show an item --------------------------------------------------


def votes(db, couple_id: int) -> dict[str, dict]:
    """Open proposals by item: the action and the ids of members who agreed."""
    found: dict[str, dict] = {}
    for item_id, member_id, action in db.execute(
            "SELECT item_id, member_id, action FROM matcher_votes WHERE couple_id = ?", [couple_id]):
        entry = found.setdefault(item_id, {"action": action, "members": set()})
        entry["members"].add(member_id)
    return found


def proposal_for(entry: dict | None, member_id: int) -> dict | None:
    """What a member may see of a proposal: its action and whether *they* agreed."""
    if entry is None:
        return None
    return {"action": entry["action"], "you_agreed": member_id in entry["members"]}


def propose(hs, db, couple_id: int, member_id: int, item_id: str, action: str) -> tuple[bool, dict | None]:
    """Agree to hide (or show) an item; once every member agreed it happens.

    Answers whether it happened and the proposal still open (None once done).
    Agreeing twice changes nothing and emits nothing.
    """
    with db.atomic():
        if item_id not in {item["id"] for item in all_items(hs, db, couple_id)}:
            raise unknown_item(item_id)
        hidden = item_id in hidden_ids(db, couple_id)
        if action == "hide" and hidden:
            raise Conflict("already_hidden", "That item is already hidden.")
        if action == "show" and not hidden:
            raise Conflict("not_hidden", "That item is not hidden.")
        entry = votes(db, couple_id).get(item_id)
        if entry is not None and member_id in entry["members"]:
            return False, entry
        watch = TierWatch(hs, db, couple_id)
        db["matcher_votes"].insert({"couple_id": couple_id, "item_id": item_id, "member_id": member_id,
                                    "action": action})
        agreed = {row[0] for row in db.execute("SELECT member_id FROM matcher_votes WHERE couple_id = ? "
                                               "AND item_id = ?", [couple_id, item_id])}
        done = set(member_ids(db, couple_id)) <= agreed
        if done:
            db.execute("DELETE FROM matcher_votes WHERE couple_id = ? AND item_id = ?", [couple_id, item_id])
            if action == "hide":
                db["matcher_hidden"].insert({"couple_id": couple_id, "item_id": item_id, "hidden_at": iso(utc_now())})
            else:
                db.execute("DELETE FROM matcher_hidden WHERE couple_id = ? AND item_id = ?", [couple_id, item_id])
        items_changed(db, couple_id)
        watch.finish()
        return done, None if done else votes(db, couple_id).get(item_id)


def withdraw(db, couple_id: int, item_id: str) -> None:
    """Withdraw or decline the open proposal for an item (404 ``no_proposal`` if none); the item stays as it is."""
    with db.atomic():
        gone = db.execute("DELETE FROM matcher_votes WHERE couple_id = ? AND item_id = ?",
                          [couple_id, item_id]).rowcount
        if not gone:
            raise NotFound("no_proposal", "There is no open proposal for that item.")
        items_changed(db, couple_id)
