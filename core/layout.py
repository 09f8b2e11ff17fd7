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

A plugin whose hook does more (its export needs ``hs``, it registers a third
blueprint) writes that hook itself instead, with ``@hookimpl``, as before.
The modules are imported when the hook is first called, not at import time,
so loading the plugin stays as cheap as loading its ``__init__``.
"""

from __future__ import annotations

from importlib import import_module

from .hookspecs import hookimpl


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
