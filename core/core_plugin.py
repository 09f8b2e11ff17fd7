"""The core registers its own tables and routes as a plugin, like any other.

It is listed in the ``hearthside.plugins`` entry-point group under the name
``core`` and cannot be disabled.
"""

from .hookspecs import hookimpl


@hookimpl
def hearthside_migrations():
    from .migrations import migrations

    return migrations


@hookimpl
def hearthside_blueprints(hs):
    from hearthside.web.api import api
    from hearthside.web.pages import pages

    return [api, pages]


@hookimpl
def hearthside_nav_items(hs, member):
    from hearthside.web.pages import core_nav_items

    return core_nav_items(member)
