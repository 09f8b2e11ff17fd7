"""What the hooks hand over: typed values, and the one check of every hook's answer.

Nav items, dashboard cards (and the lines in them) and calendar entries were
plain dicts until plugin API 1.3; each reader checked them its own way, so a
bad one was failed, dropped with a log line or dropped silently depending on
the hook. Now they are frozen dataclasses, exported by
``hearthside.plugin_api``, and every hook's answer goes through
:func:`check` (called by :meth:`hearthside.plugin_manager.PluginManager.answers`):
an answer of the wrong shape fails the plugin that gave it, with a reason
naming the hook and the field, e.g. ``gave a bad answer: hearthside_nav_items
returned a NavItem without 'label'`` - the same way a plugin that raises is
failed (a built-in stops the start instead, see :mod:`hearthside.plugin_manager`).
``hearthside_event_types`` is checked as each type is declared, at load
(:class:`hearthside.events.EventTypes`).

A plugin written for plugin API 1.0-1.2 may still answer nav items and cards
as dicts: they are converted and checked the same way, with one deprecation
note per plugin (shown by ``hearthside plugins``); plugin API 2.0 drops them.
Hooks whose answer is ignored (``hearthside_startup``, ``hearthside_event``,
...) have nothing to check.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, Callable, Mapping

from flask import Blueprint
from sqlite_utils.migrations import Migrations

from .config_values import Setting
from .consent import Scope, scope_problem
from .errors import DeclarationError
from .scheduler import ScheduledJob

Scalar = str | int | float | bool | None
SCALARS = (str, int, float, bool, type(None))
CALENDAR_STATUSES = ("planned", "cancelled", "done")
NOTIFICATION_KINDS = ("reminders", "checkins", "questions", "pause")  # what a member switches on and off
DICTS_DEPRECATED = ("returns {hook} as dicts, deprecated since plugin API 1.3 and refused from 2.0: "
                    "return {kind}(...) from hearthside.plugin_api instead (docs/hooks.md)")


class BadReturn(DeclarationError):
    """A hook's answer does not have the declared shape; the message names the hook and the field."""


@dataclass(frozen=True)
class NavItem:
    """One entry of the web app's menu: ``endpoint`` is a Flask endpoint of the plugin's blueprint.

    Entries are sorted by ``order`` (the core's Home is 0; built-ins use 20-40),
    then by label.
    """

    label: str
    endpoint: str
    order: int = 50


@dataclass(frozen=True)
class FeedLine:
    """One line of a card's list on the wall: a label and, if there is one, its value ("18:30" · "Walk")."""

    label: str
    value: Scalar = None

    def as_json(self) -> dict:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class DashboardCard:
    """A card on the couple's shared wall screen: everything on it is seen by anyone in the room.

    ``text`` is its sentence, ``value`` a number or word shown large,
    ``lines`` a short list (at most 12 are shown) and ``facts`` further named
    values (``{"reviewed_together": 3}``). The wall shows them as text, never
    as HTML. :meth:`as_json` is what ``GET /api/v1/dashboard`` sends.
    """

    id: str
    title: str
    text: str | None = None
    value: Scalar = None
    lines: tuple[FeedLine, ...] = ()
    facts: Mapping[str, Scalar] = field(default_factory=dict)

    def as_json(self) -> dict:
        body: dict[str, Any] = {}
        if self.text is not None:
            body["text"] = self.text
        if self.value is not None:
            body["value"] = self.value
        if self.lines:
            body["items"] = [line.as_json() for line in self.lines]
        body.update(self.facts)
        return {"id": self.id, "title": self.title, "body": body}


@dataclass(frozen=True)
class CalendarEntry:
    """A one-off plan a plugin puts on the couple's calendar (``hearthside_calendar_entry``).

    ``source`` is the calling plugin's name and ``key`` is stable within it
    (the same key updates the same entry); ``status`` is ``planned``,
    ``cancelled`` or ``done``; ``title`` is a discreet text, safe on a phone's
    calendar and on the wall; ``start`` an aware datetime; ``participants``
    member ids (empty: the whole couple). Implementations written for plugin
    API 1.x read it like the dict they were given then (``entry["start"]``,
    ``entry.get("duration_minutes")``), the start as UTC ISO text.
    """

    source: str
    key: str
    status: str
    title: str
    start: datetime
    duration_minutes: int = 60
    participants: tuple[int, ...] = ()

    def __post_init__(self):
        problem = _calendar_problem(self)
        if problem:
            raise ValueError(f"CalendarEntry {problem}")

    @classmethod
    def from_dict(cls, entry: Mapping) -> "CalendarEntry":
        """The entry a plugin API 1.x caller passed as a dict; ValueError naming the field if it is not one."""
        missing = [name for name in ("source", "key", "status", "title", "start") if name not in entry]
        if missing:
            raise ValueError(f"CalendarEntry without {missing[0]!r}")
        start = entry["start"]
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("CalendarEntry whose 'start' is not an ISO time") from None
        return cls(entry["source"], entry["key"], entry["status"], entry["title"], start,
                   entry.get("duration_minutes", 60), tuple(entry.get("participants") or ()))

    def as_dict(self) -> dict:
        """The plugin API 1.x shape: ``start`` as ISO text, ``participants`` a list."""
        return {"source": self.source, "key": self.key, "status": self.status, "title": self.title,
                "start": self.start.isoformat(), "duration_minutes": self.duration_minutes,
                "participants": list(self.participants)}

    def __getitem__(self, name: str) -> Any:
        return self.as_dict()[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.as_dict().get(name, default)

    def keys(self):
        return self.as_dict().keys()


@dataclass(frozen=True)
class Notification:
    """Something a plugin wants members told on their phones (``hearthside_notifications``).

    ``kind`` is one of the kinds members switch on and off (``reminders``,
    ``checkins``, ``questions``, ``pause``); ``members`` the ids to tell - the
    core drops any who may not see the event it came from; ``detail`` the
    sentence shown only to a member who chose detailed notifications (everyone
    else reads "Something is waiting in Hearthside"), so it may name what the
    event is about but nothing the member may not read in the app; ``link``
    the app path opened by a tap on a detailed notification.
    """

    kind: str
    members: tuple[int, ...]
    detail: str
    link: str = "/"


def _calendar_problem(entry: CalendarEntry) -> str | None:
    for name in ("source", "key", "title"):
        if not isinstance(getattr(entry, name), str) or not getattr(entry, name).strip():
            return f"without {name!r}"
    if entry.status not in CALENDAR_STATUSES:
        return f"whose 'status' is not one of {', '.join(CALENDAR_STATUSES)}"
    if not isinstance(entry.start, datetime) or entry.start.tzinfo is None:
        return "whose 'start' is not an aware datetime"
    if not isinstance(entry.duration_minutes, int) or isinstance(entry.duration_minutes, bool):
        return "whose 'duration_minutes' is not a whole number"
    if not all(isinstance(member, int) and not isinstance(member, bool) for member in entry.participants):
        return "whose 'participants' are not member ids"
    return None


# -- the checks -----------------------------------------------------------------------------------------


def check(hook: str, answer: Any) -> tuple[Any, str | None]:
    """``(the answer as the hook declares it, a deprecation note or None)``; :class:`BadReturn` if it is not one.

    ``answer`` is one plugin's non-None answer; a hook not listed here ignores
    its answers, which are passed back as they are.
    """
    checker = CHECKS.get(hook)
    if checker is None:
        return answer, None
    return checker(hook, answer)


def _a_list(hook: str, answer: Any) -> list:
    if not isinstance(answer, (list, tuple)):
        raise BadReturn(f"{hook} returned {type(answer).__name__}, not a list")
    return list(answer)


def _items(kind: type, check_item: Callable[[str, Any], Any] | None = None, dicts: bool = False):
    """A list whose items are ``kind``, each checked by ``check_item``; with ``dicts``, the 1.x dicts too."""
    def checker(hook: str, answer: Any) -> tuple[list, str | None]:
        items, note = [], None
        for item in _a_list(hook, answer):
            if dicts and isinstance(item, dict):
                note = DICTS_DEPRECATED.format(hook=hook, kind=kind.__name__)
            elif not isinstance(item, kind):
                raise BadReturn(f"{hook} returned {_a(type(item).__name__)}, not {_a(kind.__name__)}")
            items.append(check_item(hook, item) if check_item else item)
        return items, note
    return checker


def _a(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _fields(hook: str, value: Any, kinds: Mapping[str, tuple[type, ...]], required: tuple[str, ...]) -> None:
    """Each field of a dataclass answer has its declared kind; the required ones are not empty."""
    what = type(value).__name__
    for name in required:
        if getattr(value, name) in (None, ""):
            raise BadReturn(f"{hook} returned {_a(what)} without {name!r}")
    for name, allowed in kinds.items():
        found = getattr(value, name)
        if not isinstance(found, allowed) or (isinstance(found, bool) and bool not in allowed):
            raise BadReturn(f"{hook} returned {_a(what)} whose {name!r} is {type(found).__name__}, "
                            f"not {' or '.join(kind.__name__ for kind in allowed)}")


def _nav_item(hook: str, item: Any) -> NavItem:
    if isinstance(item, dict):
        item = NavItem(**_known(hook, NavItem, item))
    _fields(hook, item, {"label": (str,), "endpoint": (str,), "order": (int,)}, ("label", "endpoint"))
    return item


def _card(hook: str, card: Any) -> DashboardCard:
    if isinstance(card, dict):
        card = _card_from_dict(hook, card)
    _fields(hook, card, {"id": (str,), "title": (str,), "text": (str, type(None)), "value": SCALARS,
                         "lines": (tuple, list), "facts": (Mapping,)}, ("id", "title"))
    for line in card.lines:
        if not isinstance(line, FeedLine):
            raise BadReturn(f"{hook} returned a DashboardCard whose 'lines' hold a {type(line).__name__}, "
                            "not a FeedLine")
        _fields(hook, line, {"label": (str,), "value": SCALARS}, ("label",))
    for name, value in card.facts.items():
        if not isinstance(name, str) or name in ("text", "value", "items") or not isinstance(value, SCALARS):
            raise BadReturn(f"{hook} returned a DashboardCard whose fact {name!r} is not a name with a "
                            "number or text")
    return card


def _card_from_dict(hook: str, card: dict) -> DashboardCard:
    """A plugin API 1.x card ``{"id", "title", "body": {"text", "value", "items", ...}}``."""
    body = card.get("body") or {}
    if isinstance(body, str):
        body = {"text": body}
    if not isinstance(body, dict):
        raise BadReturn(f"{hook} returned a DashboardCard whose 'body' is {type(body).__name__}, not a dict")
    lines = []
    for item in body.get("items") or ():
        if isinstance(item, dict):
            item = FeedLine(item.get("label", item.get("title", "")), item.get("value"))
        elif isinstance(item, SCALARS) and item is not None:
            item = FeedLine(str(item))
        lines.append(item)
    facts = {name: value for name, value in body.items() if name not in ("text", "value", "items")}
    return DashboardCard(**_known(hook, DashboardCard, {key: value for key, value in card.items() if key != "body"}),
                         text=body.get("text"), value=body.get("value"), lines=tuple(lines), facts=facts)


def _known(hook: str, kind: type, given: dict) -> dict:
    """The dict's fields, when it has every required one and no other."""
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(given) - names)
    if unknown:
        raise BadReturn(f"{hook} returned {_a(kind.__name__)} with the unknown field {unknown[0]!r}")
    required = [f.name for f in fields(kind) if f.default is f.default_factory is MISSING]
    missing = [name for name in required if name not in given]
    if missing:
        raise BadReturn(f"{hook} returned {_a(kind.__name__)} without {missing[0]!r}")
    return given


def _one(kind: type, what: str):
    """An answer that is one ``kind`` (``what`` names it in the reason)."""
    def checker(hook: str, answer: Any) -> tuple[Any, None]:
        if not isinstance(answer, kind):
            raise BadReturn(f"{hook} returned {type(answer).__name__}, not {what}")
        return answer, None
    return checker


def _schema(hook: str, answer: Any) -> tuple[dict, None]:
    _one(dict, "a dict")(hook, answer)
    for name, setting in answer.items():
        if not isinstance(setting, Setting):
            raise BadReturn(f"{hook} returned a schema whose {name!r} is a {type(setting).__name__}, not a Setting")
    return answer, None


def _scope(hook: str, scope: Scope) -> Scope:
    problem = scope_problem(scope)
    if problem:
        raise BadReturn(f"{hook} returned a Scope {problem}")
    return scope


def _job(hook: str, job: ScheduledJob) -> ScheduledJob:
    _fields(hook, job, {"id": (str,)}, ("id",))
    if not callable(job.func):
        raise BadReturn(f"{hook} returned a ScheduledJob whose 'func' cannot be called")
    return job


def _notification(hook: str, note: Notification) -> Notification:
    _fields(hook, note, {"kind": (str,), "members": (tuple, list), "detail": (str,), "link": (str,)},
            ("kind", "detail"))
    if note.kind not in NOTIFICATION_KINDS:
        raise BadReturn(f"{hook} returned a Notification whose 'kind' is not one of {', '.join(NOTIFICATION_KINDS)}")
    if not all(isinstance(member, int) and not isinstance(member, bool) for member in note.members):
        raise BadReturn(f"{hook} returned a Notification whose 'members' are not member ids")
    if not note.link.startswith("/") or note.link.startswith("//"):
        raise BadReturn(f"{hook} returned a Notification whose 'link' is not a path of this server")
    return note


CHECKS: dict[str, Callable[[str, Any], tuple[Any, str | None]]] = {
    "hearthside_config_schema": _schema,
    "hearthside_migrations": _one(Migrations, "a Migrations set"),
    "hearthside_blueprints": _items(Blueprint),
    "hearthside_nav_items": _items(NavItem, _nav_item, dicts=True),
    "hearthside_dashboard_cards": _items(DashboardCard, _card, dicts=True),
    "hearthside_scheduled_jobs": _items(ScheduledJob, _job),
    "hearthside_backup_files": _items(str),
    "hearthside_consent_scopes": _items(Scope, _scope),
    "hearthside_export": _one(dict, "a dict"),
    "hearthside_calendar_entry": _one(bool, "True or None"),
    "hearthside_notifications": _items(Notification, _notification),
}
