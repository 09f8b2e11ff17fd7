"""The ladder: the default phases, checking a proposed ladder, and what a change does.

A phase is ``{"key", "name", "in": [...], "out": [...], "practice"}``. The
``key`` is stable across versions (renaming or moving a phase keeps it), so
the unlocked phase and each member's ceiling keep their meaning when the
couple edits the ladder. Levels (1, 2, ...) are positions, computed, never
stored as the meaning of anything.

The default ladder follows the shape of sensate-focus practice: small steps,
no goal, and every phase says plainly what is *out*, so neither partner has
to guess or negotiate in the moment.
"""

from __future__ import annotations

import re

from hearthside.plugin_api import Invalid

MAX_PHASES = 20
MAX_NAME = 60
MAX_ITEMS = 20
MAX_ITEM = 200
MAX_PRACTICE = 600
MAX_NOTE = 500
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

PRACTICE_RHYTHM = ("About an hour, two or three times a week; take turns choosing when. ")

DEFAULT_PHASES: list[dict] = [
    {
        "key": "presence",
        "name": "Being close",
        "in": ["Sitting side by side", "Looking at each other and talking", "Holding hands",
               "A hand on the arm or shoulder", "A short hug hello and goodbye"],
        "out": ["Cuddling or lying down together", "Kissing", "Touch under clothes",
               "Any expectation of more"],
        "practice": PRACTICE_RHYTHM + "Sit together, hold hands, and talk or simply be quiet. "
                    "Notice what feels calm, and say it.",
    },
    {
        "key": "cuddling",
        "name": "Cuddling, clothed",
        "in": ["Everything from the earlier phases", "Long hugs", "Cuddling on the sofa",
               "Lying together, clothed", "Stroking hair, hands and back over clothes"],
        "out": ["Kissing on the mouth", "Touching chest, bottom or genitals", "Taking clothes off",
                "Sex of any kind"],
        "practice": PRACTICE_RHYTHM + "Take turns: one of you holds, the other is held, then swap. "
                    "A word or two is enough to steer ('slower', 'that's nice').",
    },
    {
        "key": "massage",
        "name": "Massage",
        "in": ["Everything from the earlier phases", "Hand, foot, shoulder and back massage",
               "Massage of bare arms, legs and back", "Lotion or oil, if you both like it"],
        "out": ["Touching chest, bottom or genitals", "Kissing on the mouth", "Sex of any kind"],
        "practice": PRACTICE_RHYTHM + "One gives and one receives for about fifteen minutes, then swap. "
                    "The one receiving only notices and says what feels good; the one giving explores "
                    "without aiming anywhere.",
    },
    {
        "key": "kissing",
        "name": "Kissing and caressing, clothed",
        "in": ["Everything from the earlier phases", "Kissing", "Caressing over clothes",
               "Lying close, clothed"],
        "out": ["Touching genitals, even over clothes", "Taking clothes off", "Sex of any kind"],
        "practice": PRACTICE_RHYTHM + "Let kissing be complete in itself, not a step towards something "
                    "else. Slowing down or stopping is part of the practice.",
    },
    {
        "key": "skin",
        "name": "Skin to skin",
        "in": ["Everything from the earlier phases", "Being undressed together, as far as you both like",
               "Touching each other's bodies skin to skin, away from breasts and genitals"],
        "out": ["Touching breasts or genitals", "Orgasm as a goal", "Sex of any kind"],
        "practice": PRACTICE_RHYTHM + "Take turns touching and being touched, about fifteen minutes each. "
                    "Pay attention to warmth, texture and pressure rather than to arousal.",
    },
    {
        "key": "intimate",
        "name": "Intimate touch, no goal",
        "in": ["Everything from the earlier phases",
               "Gentle touch of breasts and genitals, as one part of whole-body touch",
               "Arousal that comes and goes"],
        "out": ["Intercourse", "Aiming for orgasm", "Anything either of you has not said yes to today"],
        "practice": PRACTICE_RHYTHM + "Begin with whole-body touch and let intimate touch be one part of "
                    "it. If arousal comes, let it come and go: nothing needs to happen with it.",
    },
    {
        "key": "reconnection",
        "name": "Slow sexual reconnection",
        "in": ["Everything from the earlier phases", "Sex, if and as you both want it, at the pace of "
               "whoever wants to go slower"],
        "out": ["Anything either of you has not said yes to today", "Pressure, persuading or keeping score"],
        "practice": PRACTICE_RHYTHM + "Start with the earlier phases and let sex be possible, never "
                    "expected. Check in before and after. The safewords work here too.",
    },
]


def default_phases() -> list[dict]:
    """A fresh copy of the default ladder (callers may annotate what they get)."""
    return [{**phase, "in": list(phase["in"]), "out": list(phase["out"])} for phase in DEFAULT_PHASES]


def with_levels(phases: list[dict], unlocked_key: str | None = None) -> list[dict]:
    """The phases as the API shows them: with ``level`` (1-based) and ``unlocked``."""
    unlocked_index = index_of(phases, unlocked_key) if unlocked_key else -1
    return [{**phase, "level": i + 1, "unlocked": i <= unlocked_index} for i, phase in enumerate(phases)]


def index_of(phases: list[dict], key: str) -> int:
    for i, phase in enumerate(phases):
        if phase["key"] == key:
            return i
    return -1


# -- checking a proposed ladder -------------------------------------------------------


def parse_phases(value: list[dict], current: list[dict], new_key_prefix: str) -> list[dict]:
    """A proposed ladder, or a clear 400 that names the problem.

    Each phase arrives checked by the route's declaration (api.py: ``Phase``,
    its texts clean by the one text rule); what is left is the ladder's own
    rules. A phase that keeps an existing ``key`` is the same phase (renamed,
    moved or edited); a phase without a key is new and gets ``<prefix>-<n>``.
    Keys may appear once; unknown keys are refused, so a typo never silently
    creates or drops a phase.
    """
    if not value:
        raise Invalid("invalid_field", "'phases' must be a non-empty list of phases.")
    if len(value) > MAX_PHASES:
        raise Invalid("invalid_field", f"A ladder can have at most {MAX_PHASES} phases.")
    known = {phase["key"] for phase in current}
    seen: set[str] = set()
    phases = []
    new_count = 0
    for position, raw in enumerate(value, start=1):
        where = f"Phase {position}"
        key = raw.get("key")
        if key is None:
            new_count += 1
            key = f"{new_key_prefix}-{new_count}"
        elif key not in known:
            raise Invalid("unknown_phase", f"{where} names a phase key that is not in your ladder; leave 'key' out "
                                           "for a new phase.")
        if key in seen:
            raise Invalid("invalid_field", f"{where} repeats a phase that is already in the list.")
        seen.add(key)
        phases.append({"key": key, "name": raw["name"], "in": list(raw.get("in", [])),
                       "out": list(raw.get("out", [])), "practice": raw.get("practice", "")})
    names = [phase["name"].casefold() for phase in phases]
    if len(set(names)) != len(names):
        raise Invalid("invalid_field", "Two phases have the same name; give each its own.")
    return phases


# -- what a change does ------------------------------------------------------------------


def changes(current: list[dict], proposed: list[dict]) -> list[dict]:
    """A plain list of what the proposal changes, for both partners to read before agreeing."""
    before = {phase["key"]: (i, phase) for i, phase in enumerate(current)}
    after_keys = {phase["key"] for phase in proposed}
    result = []
    for i, phase in enumerate(proposed):
        if phase["key"] not in before:
            result.append({"kind": "added", "key": phase["key"], "name": phase["name"], "level": i + 1})
            continue
        old_index, old = before[phase["key"]]
        if old["name"] != phase["name"]:
            result.append({"kind": "renamed", "key": phase["key"], "name": phase["name"], "from": old["name"]})
        if old["in"] != phase["in"] or old["out"] != phase["out"] or old["practice"] != phase["practice"]:
            result.append({"kind": "edited", "key": phase["key"], "name": phase["name"]})
        if old_index != i and _relative_order_changed(current, proposed, phase["key"]):
            result.append({"kind": "moved", "key": phase["key"], "name": phase["name"],
                           "from": old_index + 1, "to": i + 1})
    for key, (i, old) in before.items():
        if key not in after_keys:
            result.append({"kind": "removed", "key": key, "name": old["name"], "level": i + 1})
    return result


def _relative_order_changed(current: list[dict], proposed: list[dict], key: str) -> bool:
    """A phase "moved" only if its neighbours among the kept phases changed
    (adding a phase above it shifts its number but does not move it)."""
    kept = {phase["key"] for phase in current} & {phase["key"] for phase in proposed}
    old_order = [p["key"] for p in current if p["key"] in kept]
    new_order = [p["key"] for p in proposed if p["key"] in kept]
    return old_order.index(key) != new_order.index(key)


def carry_over(key: str, current: list[dict], proposed: list[dict]) -> str:
    """Where a phase reference (the unlocked phase, a ceiling) lands in the new ladder.

    The same phase if it is kept (wherever it moved). If it was removed, the
    nearest phase *below* it that is kept - never a higher one, because a
    ladder edit must not quietly move anybody forward - or the new first phase.
    """
    proposed_keys = {phase["key"] for phase in proposed}
    if key in proposed_keys:
        return key
    position = index_of(current, key)
    for phase in reversed(current[:max(position, 0)]):
        if phase["key"] in proposed_keys:
            return phase["key"]
    return proposed[0]["key"]
