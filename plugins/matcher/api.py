"""``/api/v1/matcher``: the list, my answers, and what is mutual.

The four contract routes of DESIGN.md (items, answers GET/PUT, matches) plus
custom items and hide/show proposals. Members only: the wall screen gets 403
everywhere here. No answer of any route depends on another member's
one-sided answers - only ``/matches`` depends on them at all, through the
mutual tiers, and only while ``matcher.reveal`` is active for everyone.
Errors never echo answer values or notes, and nothing here is logged.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from hearthside.plugin_api import (api_error, current_hs, emit, get_db, is_granted, json_body, require,
                                   require_active, text_value, utc_now)

from . import catalog, model as store  # the domain is model.py

api = Blueprint("matcher_api", __name__, url_prefix="/api/v1/matcher")

def _settings() -> dict:
    return current_hs().config.plugin(store.PLUGIN)


# -- the list ----------------------------------------------------------------------------


@api.get("/items")
@require()
def list_items(principal):
    """Every item the couple sees: the catalog, then their own, minus hidden ones."""
    hs, db = current_hs(), get_db()
    open_votes = store.votes(db, principal.couple_id)
    items = store.visible_items(hs, db, principal.couple_id)
    for item in items:
        item.setdefault("custom", False)
        item["proposal"] = store.proposal_for(open_votes.get(item["id"]), principal.member_id)
    return jsonify({"items": items, "categories": store.categories(),
                    "catalog_version": catalog.builtin().version})


@api.post("/items")
@require()
def add_item(principal):
    """Add an item for both of you; nobody is told who added it."""
    body = json_body()
    title = _text(body, "title", store.TITLE_MAX, required=True)
    explanation = _text(body, "explanation", store.EXPLANATION_MAX, required=False, multiline=True)
    category = body.get("category", catalog.CUSTOM_CATEGORY["id"])
    known = {c["id"] for c in store.categories()}
    if not isinstance(category, str) or category not in known:
        api_error(400, "invalid_field", f"'category' must be one of: {', '.join(sorted(known))}.")
    hs, db = current_hs(), get_db()
    with db.atomic():
        item = store.add_custom_item(hs, db, principal.couple_id, principal.member_id, category, title, explanation)
        store.items_changed(db, principal.couple_id)
    return jsonify({"item": {**item, "proposal": None}}), 201


def _text(body: dict, field: str, max_length: int, required: bool, multiline: bool = False) -> str | None:
    """The core's text rule (hearthside.plugin_api.text_value); an empty optional text is None."""
    return text_value(body.get(field), f"'{field}'", max_length=max_length, required=required,
                      multiline=multiline) or None


@api.get("/hidden")
@require()
def list_hidden(principal):
    """Items the couple agreed to hide, with any open proposal to show one again."""
    hs, db = current_hs(), get_db()
    hidden = store.hidden_ids(db, principal.couple_id)
    open_votes = store.votes(db, principal.couple_id)
    items = [item for item in store.all_items(hs, db, principal.couple_id) if item["id"] in hidden]
    for item in items:
        item.setdefault("custom", False)
        item["proposal"] = store.proposal_for(open_votes.get(item["id"]), principal.member_id)
    return jsonify({"items": items})


# -- hide / show by mutual agreement ----------------------------------------------------------


@api.post("/proposals")
@require()
def propose(principal):
    """Agree to hide an item (or to show a hidden one); it happens once everyone agreed."""
    body = json_body()
    item_id, action = body.get("item_id"), body.get("action")
    if not isinstance(item_id, str) or not item_id:
        api_error(400, "invalid_field", "'item_id' is required and must be the id of an item.")
    if action not in ("hide", "show"):
        api_error(400, "invalid_field", "'action' must be \"hide\" or \"show\".")
    done, entry = store.propose(current_hs(), get_db(), principal.couple_id, principal.member_id, item_id, action)
    return jsonify({"item_id": item_id, "action": action, "done": done,
                    "proposal": store.proposal_for(entry, principal.member_id)})


@api.delete("/proposals")
@require()
def withdraw(principal):
    """Withdraw or decline the open proposal for ``?item_id=``; nothing changes for the item."""
    item_id = request.args.get("item_id", "")
    if not item_id:
        api_error(400, "invalid_parameter", "Say which item: '?item_id=<id>'.")
    store.withdraw(get_db(), principal.couple_id, item_id)
    return jsonify({"item_id": item_id, "proposal": None})


# -- my answers ------------------------------------------------------------------------------


def _own_answers(hs, db, principal) -> dict:
    """The caller's own answers, notes and waiting raises, for the items they see."""
    now = utc_now()
    visible = store.visible_ids(hs, db, principal.couple_id)
    mine = store.load_answers(hs, db, principal.couple_id, principal.member_id).get(principal.member_id, {})
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
            "compared": store.has_compared(db, principal.couple_id)}


@api.get("/answers")
@require()
def get_answers(principal):
    return jsonify(_own_answers(current_hs(), get_db(), principal))


@api.put("/answers")
@require()
def put_answers(principal):
    """Save a batch of answers (and optional private notes): all of it, or on any problem nothing."""
    body = json_body()
    answers = body.get("answers")
    if not isinstance(answers, dict):
        api_error(400, "invalid_field", "'answers' is required and must be a JSON object mapping item ids to "
                                        "\"yes\", \"no\" or \"maybe\".")
    notes = body.get("notes", {})
    if not isinstance(notes, dict):
        api_error(400, "invalid_field", "'notes' must be a JSON object mapping item ids to text (or null to clear).")
    hs, db = current_hs(), get_db()
    couple_id, member_id = principal.couple_id, principal.member_id
    known = set(store.visible_ids(hs, db, couple_id))
    for item_id, value in answers.items():
        if item_id not in known:
            raise store.unknown_item(item_id)
        if not isinstance(value, str) or value not in store.ANSWERS:
            api_error(400, "invalid_answer", f"The answer for {store.shown_id(item_id)} must be \"yes\", \"no\" or \"maybe\". "
                                             "Nothing was saved.")
    cleaned_notes = {}
    for item_id, note in notes.items():
        if item_id not in known:
            raise store.unknown_item(item_id)
        if note is not None and not isinstance(note, str):
            api_error(400, "invalid_note", f"The note for {store.shown_id(item_id)} must be text (or null to clear it). "
                                           "Nothing was saved.")
        # The core's text rule for the characters; the length keeps the matcher's own "invalid_note" answer below.
        note = text_value(note, f"the note for {store.shown_id(item_id)}", max_length=10 * store.NOTE_MAX, required=False,
                          multiline=True) if note else None
        if note and len(note) > store.NOTE_MAX:
            api_error(400, "invalid_note", f"The note for {store.shown_id(item_id)} must be at most {store.NOTE_MAX} "
                                           "characters long. Nothing was saved.")
        cleaned_notes[item_id] = note or None
    if answers or cleaned_notes:
        _save(hs, db, couple_id, member_id, answers, cleaned_notes)
    return jsonify(_own_answers(hs, db, principal))


def _save(hs, db, couple_id: int, member_id: int, answers: dict, notes: dict) -> None:
    cooldown = _settings()["raise_cooldown_days"]
    now = utc_now()
    with db.atomic():
        watch = store.TierWatch(hs, db, couple_id)
        compared = store.has_compared(db, couple_id)
        mine = store.load_answers(hs, db, couple_id, member_id).get(member_id, {})
        for item_id in dict.fromkeys([*answers, *notes]):
            state = mine.get(item_id, store.AnswerState()).settled(now)
            if item_id in answers:
                state = store.answer_change(state, answers[item_id], now, cooldown, compared)
            if item_id in notes:
                state = store.AnswerState(state.value, state.counted, state.counts_from, notes[item_id])
            store.save_answer(hs, db, couple_id, member_id, item_id, state)
        # Only to the author (their other devices refresh); it carries no values.
        emit(db, "matcher.answers.saved", couple_id,
             {"count": len(set(answers) | set(notes)), "summary": "You updated your yes / no / maybe list."},
             visibility="private", audience_id=member_id, actor_id=member_id)
        watch.finish()


# -- what is mutual -------------------------------------------------------------------------------


@api.get("/matches")
@require()
def matches(principal):
    """Both tiers, only while everyone has turned on ``matcher.reveal``; 403 otherwise."""
    hs, db = current_hs(), get_db()
    require_active(db, principal.couple_id, store.REVEAL_SCOPE, hs)
    _require_confirmed(hs, db, principal)
    if not store.has_compared(db, principal.couple_id):
        with db.atomic():
            store.mark_compared(db, principal.couple_id)
    return jsonify(store.couple_tiers(hs, db, principal.couple_id))


def _require_confirmed(hs, db, principal) -> None:
    """403 while a broad partner's notice still waits for someone's confirmation (store.pending)."""
    waiting = store.pending(hs, db, principal.couple_id)
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
            and is_granted(db, principal.couple_id, store.REVEAL_SCOPE, member)}


def _reveal_state(hs, db, principal) -> dict:
    """The caller's view of the broad-answers notice; it names no item and no answer."""
    me, couple_id = principal.member_id, principal.couple_id
    broad = store.broad_members(hs, db, couple_id)
    waiting = store.pending(hs, db, couple_id)
    announced = _announced(db, principal, broad)
    active = store.reveal_active(db, couple_id)
    return {"active": active, "broad_percent": _settings()["broad_percent"],
            "you_broad": me in broad, "partner_broad": bool(announced),
            "to_confirm": any(member == me and subject in announced for member, subject in waiting),
            "waiting_for_partner": is_granted(db, couple_id, store.REVEAL_SCOPE, me)
            and any(subject == me for _member, subject in waiting),
            "results_visible": active and not waiting}


@api.get("/reveal")
@require()
def reveal_state(principal):
    """Whether results show, and whether a broad answer set was announced (to you or by you)."""
    return jsonify(_reveal_state(current_hs(), get_db(), principal))


@api.post("/reveal/confirmations")
@require()
def confirm(principal):
    """Confirm you were told your partner's answers are open to almost everything, and still want to compare."""
    if json_body().get("confirm") is not True:
        api_error(400, "invalid_field", "Send {\"confirm\": true} to confirm that you still want to compare.")
    hs, db = current_hs(), get_db()
    with db.atomic():
        announced = _announced(db, principal, store.broad_members(hs, db, principal.couple_id))
        subjects = {subject for member, subject in store.pending(hs, db, principal.couple_id)
                    if member == principal.member_id} & announced
        if not subjects:
            api_error(409, "nothing_to_confirm", "There is nothing to confirm right now.")
        watch = store.TierWatch(hs, db, principal.couple_id)
        store.confirm_broad(db, principal.couple_id, principal.member_id, subjects)
        watch.finish()
    return jsonify(_reveal_state(hs, db, principal))


# -- OpenAPI descriptions (read by web/openapi.py from the view functions) -----------------------------

_STRING = {"type": "string"}
_ANSWER = {"type": "string", "enum": list(store.ANSWERS)}
_PROPOSAL = {"type": ["object", "null"], "properties": {
    "action": {"type": "string", "enum": ["hide", "show"]},
    "you_agreed": {"type": "boolean", "description": "Whether you agreed; never who else did"}}}
_ITEM = {"type": "object", "required": ["id", "category", "title"], "properties": {
    "id": _STRING, "category": _STRING, "title": _STRING, "explanation": _STRING,
    "custom": {"type": "boolean", "description": "Added by the couple (never says by whom)"},
    "added_in": {"type": "integer", "description": "Catalog version that added it"},
    "proposal": _PROPOSAL}}
_ITEMS = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": _ITEM}}}
_MINE = {"type": "object", "required": ["answers"], "properties": {
    "answers": {"type": "object", "additionalProperties": _ANSWER, "description": "Keyed by item id"},
    "notes": {"type": "object", "additionalProperties": _STRING, "description": "Private notes, never shared"},
    "waiting": {"type": "object", "description": "Raised answers waiting out the cool-down, by item id",
                "additionalProperties": {"type": "object", "properties": {
                    "counts_from": {"type": "string", "format": "date-time"}, "counts_now": _ANSWER}}},
    "cooldown_days": {"type": "integer"},
    "compared": {"type": "boolean", "description": "The couple has compared; raised answers now wait"}}}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": _json(schema)}


list_items.openapi = {"get": {
    "summary": "The yes / no / maybe list: catalog items, then the couple's own, without hidden ones",
    "tags": ["matcher"],
    "responses": {"200": _ok("Items", {**_ITEMS, "properties": {
        **_ITEMS["properties"], "categories": {"type": "array", "items": {"type": "object"}},
        "catalog_version": {"type": "integer"}}})}}}
add_item.openapi = {"post": {
    "summary": "Add an item for both of you (nobody is told who added it)", "tags": ["matcher"],
    "requestBody": {"required": True, "content": _json({"type": "object", "required": ["title"], "properties": {
        "title": {"type": "string", "maxLength": store.TITLE_MAX},
        "explanation": {"type": "string", "maxLength": store.EXPLANATION_MAX},
        "category": {"type": "string", "default": catalog.CUSTOM_CATEGORY["id"]}}})},
    "responses": {"201": _ok("Added", {"type": "object", "properties": {"item": _ITEM}}),
                  "409": {"description": "Too many items of your own"}}}}
list_hidden.openapi = {"get": {
    "summary": "Items the couple agreed to hide", "tags": ["matcher"],
    "responses": {"200": _ok("Hidden items", _ITEMS)}}}
propose.openapi = {"post": {
    "summary": "Agree to hide an item, or to show a hidden one; done once every member agreed", "tags": ["matcher"],
    "requestBody": {"required": True, "content": _json({"type": "object", "required": ["item_id", "action"],
                                                        "properties": {"item_id": _STRING, "action": {
                                                            "type": "string", "enum": ["hide", "show"]}}})},
    "responses": {"200": _ok("Your agreement is recorded", {"type": "object", "properties": {
        "item_id": _STRING, "action": _STRING, "done": {"type": "boolean"}, "proposal": _PROPOSAL}}),
        "400": {"description": "Unknown item or bad action"}, "409": {"description": "Already in that state"}}}}
withdraw.openapi = {"delete": {
    "summary": "Withdraw or decline the open hide/show proposal for an item", "tags": ["matcher"],
    "parameters": [{"name": "item_id", "in": "query", "required": True, "schema": _STRING}],
    "responses": {"200": _ok("The proposal is gone", {"type": "object"}),
                  "404": {"description": "No open proposal for that item"}}}}
get_answers.openapi = {"get": {
    "summary": "My own answers and private notes only", "tags": ["matcher"],
    "responses": {"200": _ok("My answers", _MINE)}}}
put_answers.openapi = {"put": {
    "summary": "Save my answers and notes, all or nothing", "tags": ["matcher"],
    "description": "Raising an answer after the couple compared counts only after the cool-down "
                   "(plugins.matcher.raise_cooldown_days); lowering counts at once.",
    "requestBody": {"required": True, "content": _json({"type": "object", "required": ["answers"], "properties": {
        "answers": {"type": "object", "additionalProperties": _ANSWER},
        "notes": {"type": "object",
                  "additionalProperties": {"type": ["string", "null"], "maxLength": store.NOTE_MAX}}}})},
    "responses": {"200": _ok("Saved; my answers now", _MINE),
                  "400": {"description": "A bad value or unknown item; nothing was saved"}}}}
matches.openapi = {"get": {
    "summary": "What is mutual, while matcher.reveal is active for everyone", "tags": ["matcher"],
    "responses": {"200": _ok("Mutual items only", {"type": "object", "required": ["both_yes", "worth_discussing"],
                                                   "properties": {"both_yes": {"type": "array", "items": _STRING},
                                                                  "worth_discussing": {"type": "array",
                                                                                       "items": _STRING}}}),
                  "403": {"description": "matcher.reveal is not active for every member (consent_required), or "
                                         "a partner's broad answer set still waits for a confirmation "
                                         "(confirmation_required / waiting_for_confirmation)"}}}}
_REVEAL = {"type": "object", "properties": {
    "active": {"type": "boolean", "description": "matcher.reveal is on for everyone"},
    "broad_percent": {"type": "integer"},
    "you_broad": {"type": "boolean", "description": "Your answers are yes or maybe for at least broad_percent"},
    "partner_broad": {"type": "boolean", "description": "A partner who turned on ready-to-compare is broad"},
    "to_confirm": {"type": "boolean", "description": "Results wait for your confirmation"},
    "waiting_for_partner": {"type": "boolean", "description": "Results wait for a partner to confirm your breadth"},
    "results_visible": {"type": "boolean"}}}
reveal_state.openapi = {"get": {
    "summary": "Whether results show, and any broad-answers notice for you", "tags": ["matcher"],
    "responses": {"200": _ok("The reveal state", _REVEAL)}}}
confirm.openapi = {"post": {
    "summary": "Confirm you were told a partner's answers are open to almost everything, and still compare",
    "tags": ["matcher"],
    "requestBody": {"required": True, "content": _json({"type": "object", "required": ["confirm"], "properties": {
        "confirm": {"type": "boolean", "enum": [True]}}})},
    "responses": {"200": _ok("The reveal state", _REVEAL),
                  "400": {"description": "confirm is not true"},
                  "409": {"description": "Nothing to confirm"}}}}
