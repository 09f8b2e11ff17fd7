"""The hooks every plugin of the one layout implements the same way, written once.

A plugin laid out as docs/plugins/tutorial.md describes (``migrations.py``
with ``migrations``, ``api.py`` with ``api``, ``pages.py`` with ``pages``,
``data.py`` with ``export(db, member_id)`` and ``forget(db, member_id)``)
would otherwise copy the same four hook implementations into its
``__init__.py``. Each function here returns that implementation for a
package; the plugin assigns it to the hook's name, which is how pluggy finds
a hook implementation (a module attribute marked by ``hookimpl``)::

    from hearthside.plugin_api import layout

    hearthside_migrations = layout.migrations(__name__)
    hearthside_blueprints = layout.blueprints(__name__)
    hearthside_export = layout.export(__name__)
    hearthside_forget = layout.forget(__name__)
    hearthside_event_types = layout.event_types(__name__)

A plugin whose hook does more (its export needs ``hs``, it registers a third
blueprint) writes that hook itself instead, with ``@hookimpl``, as before.
The modules are imported when the hook is first called, not at import time,
so loading the plugin stays as cheap as loading its ``__init__``.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import import_module, resources

from .errors import DeclarationError
from .events import EventType
from .hookspecs import hookimpl

EVENT_TYPES_FILE = "event_types.toml"
EVENT_TYPE_FIELDS = {"visibility", "about"}


def _named(function, hook: str, package: str):
    """Give the implementation its hook's name and the plugin's module, for tracebacks and logs."""
    function.__name__ = function.__qualname__ = hook
    function.__module__ = package
    return hookimpl(function)


def migrations(package: str):
    """``hearthside_migrations``: ``<package>.migrations.migrations``."""
    def hearthside_migrations():
        return import_module(f"{package}.migrations").migrations

    return _named(hearthside_migrations, "hearthside_migrations", package)


def blueprints(package: str):
    """``hearthside_blueprints``: ``<package>.api.api`` and ``<package>.pages.pages``."""
    def hearthside_blueprints(hs):
        return [import_module(f"{package}.api").api, import_module(f"{package}.pages").pages]

    return _named(hearthside_blueprints, "hearthside_blueprints", package)


def export(package: str):
    """``hearthside_export``: ``<package>.data.export(db, member_id)``."""
    def hearthside_export(hs, db, member_id):
        return import_module(f"{package}.data").export(db, member_id)

    return _named(hearthside_export, "hearthside_export", package)


def forget(package: str):
    """``hearthside_forget``: ``<package>.data.forget(db, member_id)``."""
    def hearthside_forget(hs, db, member_id):
        import_module(f"{package}.data").forget(db, member_id)

    return _named(hearthside_forget, "hearthside_forget", package)


def event_types(package: str):
    """``hearthside_event_types``: the types declared in ``event_types.toml`` beside the package's modules.

    A table, not code, for the reason Home Assistant keeps services in
    ``services.yaml``: the declarations are data a reader (and docs/hooks.md)
    wants at a glance, one line each::

        "gratitude_jar.drawn" = { visibility = "dashboard", about = "The evening's note was drawn." }

    ``visibility`` is one visibility or a list of the ones the type may have.
    A file that cannot be read, or a line without exactly those two fields,
    raises a ``DeclarationError`` naming the file and the type: the plugin is
    marked failed with that sentence, as for any bad hook answer.
    """
    def hearthside_event_types():
        return read_event_types(package)

    return _named(hearthside_event_types, "hearthside_event_types", package)


def read_event_types(package: str) -> list[EventType]:
    """The :class:`EventType` list of ``package``'s ``event_types.toml`` (a module's: its package's file)."""
    module = import_module(package)
    anchor = package if hasattr(module, "__path__") else module.__package__
    source = resources.files(anchor) / EVENT_TYPES_FILE
    where = f"{anchor.replace('.', '/')}/{EVENT_TYPES_FILE}"
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeclarationError(f"{where} cannot be read: {exc}") from None
    return list(_parse_event_types(where, text))


@lru_cache(maxsize=256)
def _parse_event_types(where: str, text: str) -> tuple[EventType, ...]:
    """The table in ``text``, parsed once per text: every app built (each test's too) reads it again."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeclarationError(f"{where} cannot be read: {exc}") from None
    declared = []
    for name, fields in table.items():
        if not isinstance(fields, dict) or set(fields) != EVENT_TYPE_FIELDS:
            raise DeclarationError(f"{where}: {name!r} needs exactly visibility and about, "
                             f'as in {{ visibility = "couple", about = "What happened." }}')
        visibility = tuple(fields["visibility"]) if isinstance(fields["visibility"], list) else fields["visibility"]
        declared.append(EventType(name, visibility, fields["about"]))
    return tuple(declared)
