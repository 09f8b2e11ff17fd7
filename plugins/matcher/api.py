"""``/api/v1/matcher``: the list, my answers, and what is mutual.

The four contract routes of DESIGN.md (items, answers GET/PUT, matches) plus
custom items and hide/show proposals. Members only: the wall screen gets 403
everywhere here. No answer of any route depends on another member's
one-sided answers - only ``/matches`` depends on them at all, through the
mutual tiers, and only while ``matcher.reveal`` is active for everyone.
Errors never echo answer values or notes, and nothing here is logged.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hearthside.plugin_api import (answer, api_error, current_hs, declare, emit, error, get_db, is_granted, obj, require,
                                   require_active, text_value, utc_now)

from . import catalog, model
from .schemas import (ITEM, ITEMS, MINE, PROPOSAL, REVEAL, STRING, Answers, Confirmation, NewItem, Proposal,
                      Withdrawal)

api = Blueprint("matcher_api", __name__, url_prefix="/api/v1/matcher")
TAGS = ["matcher"]


def _settings() -> dict:
    return current_hs().config.plugin(model.PLUGIN)


# -- the list ----------------------------------------------------------------------------


@api.get("/items")
@require()
@declare("The yes / no / maybe list: catalog items, then the couple's own, without hidden ones", tags=TAGS,
         responses={"200": answer("Items", {**ITEMS, "properties": {
             **ITEMS["properties"], "categories": {"type": "array", "items": {"type": "object"}},
             "catalog_version": {"type": "integer"}}})})
def list_items(principal):
    """Every item the couple sees: the catalog, then their own, minus hidden ones."""
    hs, db = current_hs(), get_db()
    open_votes = model.votes(db, principal.couple_id)
    items = model.visible_items(hs, db, principal.couple_id)
    for item in items:
        item.setdefault("custom", False)
        item["proposal"] = model.proposal_for(open_votes.get(item["id"]), principal.member_id)
    return jsonify({"items": items, "categories": model.categories(),
                    "catalog_version": catalog.builtin().version})


@api.post("/items")
@require()
@declare("Add an item for both of you (nobody is told who added it)", body=NewItem, tags=TAGS, responses={
    "201": answer("Added", obj({"item": ITEM})), "409": error("Too many items of your own")})
def add_item(principal, body: NewItem):
    """Add an item for both of you; nobody is told who added it."""
    title, explanation, category = body.title, body.explanation or None, body.category
    known = {c["id"] for c in model.categories()}
    if category not in known:
        api_error(400, "invalid_field", f"'category' must be one of: {', '.join(sorted(known))}.")
    hs, db = current_hs(), get_db()
    with db.atomic():
        item = model.add_custom_item(hs, db, principal.couple_id, principal.member_id, category, title, explanation)
        model.items_changed(db, principal.couple_id)
    return jsonify({"item": {**item, "proposal": None}}), 201


@api.get("/hidden")
@require()
@declare("Items the couple agreed to hide", tags=TAGS, responses={"200": answer("Hidden items", ITEMS)})
def list_hidden(principal):
    """Items the couple agreed to hide, with any open proposal to show one again."""
    hs, db = current_hs(), get_db()
    hidden = model.hidden_ids(db, principal.couple_id)
    open_votes = model.votes(db, principal.couple_id)
    items = [item for item in model.all_items(hs, db, principal.couple_id) if item["id"] in hidden]
    for item in items:
        item.setdefault("custom", False)
        item["proposal"] = model.proposal_for(open_votes.get(item["id"]), principal.member_id)
    return jsonify({"items": items})


# -- hide / show by mutual agreement ----------------------------------------------------------


@api.post("/proposals")
@require()
@declare("Agree to hide an item, or to show a hidden one; done once every member agreed", body=Proposal, tags=TAGS,
         responses={"200": answer("Your agreement is recorded", obj({
             "item_id": STRING, "action": STRING, "done": {"type": "boolean"}, "proposal": PROPOSAL})),
             "400": error("Unknown item or bad action"), "409": error("Already in that state")})
def propose(principal, body: Proposal):
    """Agree to hide an item (or to show a hidden one); it happens once everyone agreed."""
    item_id, action = body.item_id, body.action
    done, entry = model.propose(current_hs(), get_db(), principal.couple_id, principal.member_id, item_id, action)
    return jsonify({"item_id": item_id, "action": action, "done": done,
                    "proposal": model.proposal_for(entry, principal.member_id)})


@api.delete("/proposals")
@require()
@declare("Withdraw or decline the open hide/show proposal for an item", query=Withdrawal, tags=TAGS, responses={
    "200": answer("The proposal is gone", {"type": "object"}), "404": error("No open proposal for that item")})
def withdraw(principal, query: Withdrawal):
    """Withdraw or decline the open proposal for ``?item_id=``; nothing changes for the item."""
    item_id = query.item_id
    if not item_id:
        api_error(400, "invalid_parameter", "Say which item: '?item_id=<id>'.")
    model.withdraw(get_db(), principal.couple_id, item_id)
    return jsonify({"item_id": item_id, "proposal": None})


# -- my answers ------------------------------------------------------------------------------


def _own_answers(hs, db, principal) -> dict:
    """The caller's own answers, notes and waiting raises, for the items they see."""
    now = utc_now()
    visible = model.visible_ids(hs, db, principal.couple_id)
    mine = model.load_answers(hs, db, principal.couple_id, principal.member_id).get(principal.member_id, {})
    answers, notes, waiting = {}, {}, {}
    for item_id in visible:
        state = mine.get(item_id)
        if state is None:
            continue
        if state.value is not None:
            answers[item_id] = state.value
        if state.note:
            notes[item_id] = state.note
        if state.waiting(now):
            waiting[item_id] = {"counts_from": state.counts_from, "counts_now": state.counted or "no"}
    return {"answers": answers, "notes": notes, "waiting": waiting,
            "cooldown_days": _settings()["raise_cooldown_days"],
            "compared": model.has_compared(db, principal.couple_id)}


@api.get("/answers")
@require()
@declare("My own answers and private notes only", tags=TAGS, responses={"200": answer("My answers", MINE)})
def get_answers(principal):
    return jsonify(_own_answers(current_hs(), get_db(), principal))


@api.put("/answers")
@require()
@declare("Save my answers and notes, all or nothing", body=Answers, tags=TAGS,
         description="Raising an answer after the couple compared counts only after the cool-down "
                     "(plugins.matcher.raise_cooldown_days); lowering counts at once.",
         responses={"200": answer("Saved; my answers now", MINE),
                    "400": error("A bad value or unknown item; nothing was saved")})
def put_answers(principal, body: Answers):
    """Save a batch of answers (and optional private notes): all of it, or on any problem nothing."""
    answers, notes = body.answers, body.notes
    hs, db = current_hs(), get_db()
    couple_id, member_id = principal.couple_id, principal.member_id
    known = set(model.visible_ids(hs, db, couple_id))
    for item_id, value in answers.items():
        if item_id not in known:
            raise model.unknown_item(item_id)
        if not isinstance(value, str) or value not in model.ANSWERS:
            api_error(400, "invalid_answer", f"The answer for {model.shown_id(item_id)} must be \"yes\", \"no\" or \"maybe\". "
                                             "Nothing was saved.")
    cleaned_notes = {}
    for item_id, note in notes.items():
        if item_id not in known:
            raise model.unknown_item(item_id)
        if note is not None and not isinstance(note, str):
            api_error(400, "invalid_note", f"The note for {model.shown_id(item_id)} must be text (or null to clear it). "
                                           "Nothing was saved.")
        # The core's text rule for the characters; the length keeps the matcher's own "invalid_note" answer below.
        note = text_value(note, f"the note for {model.shown_id(item_id)}", max_length=10 * model.NOTE_MAX, required=False,
                          multiline=True) if note else None
        if note and len(note) > model.NOTE_MAX:
            api_error(400, "invalid_note", f"The note for {model.shown_id(item_id)} must be at most {model.NOTE_MAX} "
                                           "characters long. Nothing was saved.")
        cleaned_notes[item_id] = note or None
    if answers or cleaned_notes:
        _save(hs, db, couple_id, member_id, answers, cleaned_notes)
    return jsonify(_own_answers(hs, db, principal))


def _save(hs, db, couple_id: int, member_id: int, answers: dict, notes: dict) -> None:
    cooldown = _settings()["raise_cooldown_days"]
    now = utc_now()
    with db.atomic():
        watch = model.TierWatch(hs, db, couple_id)
        compared = model.has_compared(db, couple_id)
        mine = model.load_answers(hs, db, couple_id, member_id).get(member_id, {})
        for item_id in dict.fromkeys([*answers, *notes]):
            state = mine.get(item_id, model.AnswerState()).settled(now)
            if item_id in answers:
                state = model.answer_change(state, answers[item_id], now, cooldown, compared)
            if item_id in notes:
                state = model.AnswerState(state.value, state.counted, state.counts_from, notes[item_id])
            model.save_answer(hs, db, couple_id, member_id, item_id, state)
        # Only to the author (their other devices refresh); it carries no values.
        emit(db, "matcher.answers.saved", couple_id,
             {"count": len(set(answers) | set(notes)), "summary": "You updated your yes / no / maybe list."},
             visibility="private", audience_id=member_id, actor_id=member_id)
        watch.finish()


# -- what is mutual -------------------------------------------------------------------------------


@api.get("/matches")
@require()
@declare("What is mutual, while matcher.reveal is active for everyone", tags=TAGS, responses={
    "200": answer("Mutual items only", obj({"both_yes": {"type": "array", "items": STRING},
                                            "worth_discussing": {"type": "array", "items": STRING}},
                                           ["both_yes", "worth_discussing"])),
    "403": error("matcher.reveal is not active for every member (consent_required), or a partner's broad answer "
                 "set still waits for a confirmation (confirmation_required / waiting_for_confirmation)")})
def matches(principal):
    """Both tiers, only while everyone has turned on ``matcher.reveal``; 403 otherwise."""
    hs, db = current_hs(), get_db()
    require_active(db, principal.couple_id, model.REVEAL_SCOPE, hs)
    _require_confirmed(hs, db, principal)
    if not model.has_compared(db, principal.couple_id):
        with db.atomic():
            model.mark_compared(db, principal.couple_id)
    return jsonify(model.couple_tiers(hs, db, principal.couple_id))


def _require_confirmed(hs, db, principal) -> None:
    """403 while a broad partner's notice still waits for someone's confirmation (model.pending)."""
    waiting = model.pending(hs, db, principal.couple_id)
    if not waiting:
        return
    percent = _settings()["broad_percent"]
    if any(member == principal.member_id for member, _subject in waiting):
        api_error(403, "confirmation_required",
                  f"Your partner answered yes or maybe to at least {percent}% of the list, so results that show "
                  "what you are open to could show almost all of it. They appear only after you confirm that you "
                  "still want to compare (on the Compare page). You can also change your answers or turn "
                  "\"ready to compare\" off first.")
    api_error(403, "waiting_for_confirmation",
              f"Your answers are yes or maybe for at least {percent}% of the list, so your partner has been told "
              "that and results appear once they confirm they still want to compare.")


def _announced(db, principal, broad: set[int]) -> set[int]:
    """Broad partners the caller is told about: only those who turned on "ready to compare"."""
    return {member for member in broad if member != principal.member_id
            and is_granted(db, principal.couple_id, model.REVEAL_SCOPE, member)}


def _reveal_state(hs, db, principal) -> dict:
    """The caller's view of the broad-answers notice; it names no item and no answer."""
    me, couple_id = principal.member_id, principal.couple_id
    broad = model.broad_members(hs, db, couple_id)
    waiting = model.pending(hs, db, couple_id)
    announced = _announced(db, principal, broad)
    active = model.reveal_active(db, couple_id)
    return {"active": active, "broad_percent": _settings()["broad_percent"],
            "you_broad": me in broad, "partner_broad": bool(announced),
            "to_confirm": any(member == me and subject in announced for member, subject in waiting),
            "waiting_for_partner": is_granted(db, couple_id, model.REVEAL_SCOPE, me)
            and any(subject == me for _member, subject in waiting),
            "results_visible": active and not waiting}


@api.get("/reveal")
@require()
@declare("Whether results show, and any broad-answers notice for you", tags=TAGS,
         responses={"200": answer("The reveal state", REVEAL)})
def reveal_state(principal):
    """Whether results show, and whether a broad answer set was announced (to you or by you)."""
    return jsonify(_reveal_state(current_hs(), get_db(), principal))


@api.post("/reveal/confirmations")
@require()
@declare("Confirm you were told a partner's answers are open to almost everything, and still compare",
         body=Confirmation, tags=TAGS, responses={"200": answer("The reveal state", REVEAL),
                                                  "400": error("confirm is not true"),
                                                  "409": error("Nothing to confirm")})
def confirm(principal, body: Confirmation):
    """Confirm you were told your partner's answers are open to almost everything, and still want to compare."""
    if body.confirm is not True:
        api_error(400, "invalid_field", "Send {\"confirm\": true} to confirm that you still want to compare.")
    hs, db = current_hs(), get_db()
    with db.atomic():
        announced = _announced(db, principal, model.broad_members(hs, db, principal.couple_id))
        subjects = {subject for member, subject in model.pending(hs, db, principal.couple_id)
                    if member == principal.member_id} & announced
        if not subjects:
            api_error(409, "nothing_to_confirm", "There is nothing to confirm right now.")
        watch = model.TierWatch(hs, db, principal.couple_id)
        model.confirm_broad(db, principal.couple_id, principal.member_id, subjects)
        watch.finish()
    return jsonify(_reveal_state(hs, db, principal))
