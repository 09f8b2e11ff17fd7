"""The ritual templates a couple starts from, and the words used about them.

The check-in prompts follow the structured "state of us" conversation many
couples' therapists suggest: appreciations first (it starts the talk warm),
then what went well, what was hard or triggering, boundaries, and one concrete
need for the week ahead, with a 1-5 rating that feeds the trend chart.
"""

from __future__ import annotations

KINDS = ("checkin", "date", "morning", "review", "therapy", "custom")

CHECKIN_PROMPTS = [
    {"id": "appreciation", "kind": "text", "text": "Something I appreciated about you this week"},
    {"id": "went_well", "kind": "text", "text": "What went well for us"},
    {"id": "hard", "kind": "text", "text": "What was hard or triggering for me"},
    {"id": "boundaries", "kind": "text", "text": "A boundary I want to name or revisit"},
    {"id": "need", "kind": "text", "text": "One thing I need in the coming week"},
    {"id": "rating", "kind": "rating", "text": "How connected did I feel this week? (1 = distant, 5 = close)"},
]

TEMPLATES = {
    "checkin": {
        "title": "Weekly check-in",
        "description": "Our structured \"state of us\": appreciations, what went well, what was hard, "
                       "boundaries, and one need for the coming week.",
        "time": "19:00", "duration_minutes": 45, "rrule": "FREQ=WEEKLY;BYDAY=SU",
        "prompts": CHECKIN_PROMPTS,
    },
    "date": {
        "title": "Date night",
        "description": "Time for the two of us, planned in turns.",
        "time": "19:30", "duration_minutes": 120, "rrule": "FREQ=WEEKLY;BYDAY=FR", "prompts": [],
    },
    "morning": {
        "title": "Morning ritual",
        "description": "A quiet few minutes together before the day starts: coffee, a hug, one kind word.",
        "time": "07:15", "duration_minutes": 15, "rrule": "FREQ=DAILY", "prompts": [],
    },
    "review": {
        "title": "Monthly agreement review",
        "description": "Read our written agreement together and decide what to keep, change or add.",
        "time": "18:00", "duration_minutes": 60, "rrule": "FREQ=MONTHLY;BYDAY=1SU", "prompts": [],
    },
    "therapy": {
        "title": "Therapy session",
        "description": "Couples therapy. Homework from the session is listed with it.",
        "time": "17:00", "duration_minutes": 60, "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "prompts": [],
    },
    "custom": {
        "title": "",
        "description": "",
        "time": "19:00", "duration_minutes": 30, "rrule": "FREQ=WEEKLY", "prompts": [],
    },
}

# What a run of occurrences is called in the kind counts ("9 of the last 12 weekly check-ins").
NOUNS = {
    "checkin": "check-ins", "date": "date nights", "morning": "morning rituals",
    "review": "agreement reviews", "therapy": "therapy sessions", "custom": "times",
}
FREQUENCY_WORDS = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}


def template_list() -> list[dict]:
    return [{"kind": kind, **TEMPLATES[kind]} for kind in KINDS]


def noun_for(kind: str, rrule: str | None) -> str:
    """"weekly check-ins" for a plain weekly rule, "check-ins" otherwise."""
    noun = NOUNS[kind]
    if kind == "custom" or not rrule:
        return noun
    parts = dict(part.split("=", 1) for part in rrule.split(";"))
    if parts.get("INTERVAL", "1") == "1" and parts.get("FREQ") in FREQUENCY_WORDS:
        return f"{FREQUENCY_WORDS[parts['FREQ']]} {noun}"
    return noun
