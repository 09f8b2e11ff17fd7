"""What the account page says "Forget me" removes, and what the partner keeps.

A member deciding to forget their data must be told the truth before they
confirm, in plain words. *Which* parts take part comes from the plugins
themselves: every loaded plugin that implements ``hearthside_forget`` (the
same list ``POST /api/v1/me/forget`` answers with), so a plugin that is off
is not promised and a third-party plugin is not left out. *What* each part
deletes is written here for the built-in plugins, read off their forget code
(``plugins/*/data.py``);
``tests/test_account_data_pages.py`` fails when a built-in plugin forgets
without words here. A plugin without words is named with a general line
rather than an invented list. No hook is added for this: the hookspecs are a
contract for plugin authors and one page's wording is not worth widening it.
"""

from __future__ import annotations

# plugin name -> (title as in the menu, what is removed, what the partner keeps)
BUILTIN = {
    "rituals": (
        "Rituals",
        "your check-in answers (also those already revealed to both of you), your reminders, quiet hours "
        "and calendar feed, and the therapy homework you wrote",
        "the rituals you set up together and their dates (without you among the participants; a ritual "
        "only you took part in goes), and their own check-in answers",
    ),
    "transparency": (
        "Transparency log",
        "the words of every entry you wrote (each stays in the log marked as forgotten, so the log still "
        "checks out), your read receipts and review notes, and your ground-rule and agreement proposals "
        "that never came into force",
        "their own entries, and the ground rules and agreement versions you both adopted or signed",
    ),
    "matcher": (
        "Yes / no / maybe",
        "your answers and private notes, your votes to hide or show items, and the items you added "
        "(with any answers to them: they were your words)",
        "their own answers and notes, and the items hidden for both of you; matches are worked out from "
        "both of your answers, so none show until you answer again",
    ),
    "touch": (
        "Closeness",
        "your private ceiling, your \u201cready\u201d votes, your reflections and notes after sessions, and "
        "the lights you gave during sessions",
        "the ladder and its versions, the path you walked together and the sessions (your name is taken "
        "off the ones you planned or proposed), and their own ceiling and reflections",
    ),
}


def forget_parts(hs) -> list[dict]:
    """One entry per plugin that takes part in a forget, in load order.

    ``{"name", "title", "removed", "kept"}``; ``kept`` is None where nothing
    specific is known to stay.
    """
    parts = []
    for name in hs.plugins.implementers("hearthside_forget"):
        title, removed, kept = BUILTIN.get(name, (name.replace("_", " ").capitalize(),
                                                  "what you wrote there, as that feature defines it", None))
        parts.append({"name": name, "title": title, "removed": removed, "kept": kept})
    return parts
