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


@hookimpl
def hearthside_backup_files(hs):
    from .keys import KEY_FILE

    return [KEY_FILE]  # restored with the database, browser sessions stay valid


@hookimpl
def hearthside_scheduled_jobs(hs):
    from .backup_schedule import scheduled_jobs

    return scheduled_jobs(hs)
