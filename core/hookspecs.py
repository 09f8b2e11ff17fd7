"""Every hook a Hearthside plugin can implement.

A plugin is a module (or object) with functions decorated ``@hookimpl`` whose
names match the specs below; it is found through the ``hearthside.plugins``
entry-point group, exactly like the built-in plugins and the core's own.
Implement only the hooks you need, and accept only the arguments you use:
pluggy passes arguments by name.

Every hook is called through the core's isolating caller: if an
implementation raises, the error is logged with the plugin's name, that plugin
is marked *failed* (``hearthside plugins`` shows why), its later hook calls are
skipped, and every other plugin's results still come back. An answer that
is not of the declared return type fails the plugin the same way, with a
reason naming the hook and the field (:mod:`hearthside.hook_types`). The
reference with examples is ``docs/hooks.md``; a test keeps it in step with
this file, types included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # the types are the contract, for readers and checkers; nothing is imported to run
    import click
    from flask import Blueprint
    from sqlite_utils.migrations import Migrations

    from .app import Hearthside
    from .config_values import Setting
    from .consent import Scope
    from .database import Database
    from .events import Event, EventType
    from .hook_types import CalendarEntry, DashboardCard, NavItem, Notification
    from .scheduler import ScheduledJob

PROJECT = "hearthside"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def hearthside_config_schema() -> dict[str, Setting]:
    """Declare this plugin's settings.

    Called once at start and by ``hearthside check-config``, before the config
    is validated. Return a dict mapping setting names to
    :class:`hearthside.config.Setting`; users set them under
    ``plugins.<plugin name>.<setting>`` in the config file or as
    ``HEARTHSIDE_PLUGINS__<PLUGIN>__<SETTING>``. Read the validated values with
    ``hs.config.plugin("<plugin name>")``. Every plugin also gets ``enabled``.
    Not first-result: each plugin answers for itself.
    """


@hookspec
def hearthside_event_types() -> list[EventType]:
    """Declare every event type this plugin emits.

    Return a list of :class:`hearthside.events.EventType`: the name, the
    visibility it is emitted with (or a tuple of the ones it may have) and one
    line saying what happened. Called once at load, before anything can emit;
    :func:`hearthside.events.emit` refuses a type nobody declared, or one
    emitted with a visibility its declaration does not allow. A plugin's types
    are named ``<plugin>.<what>``; the core's families (``pause.``,
    ``consent.``, ...) are its own. A plugin declaring a type another already
    declared, or one outside its own names, is refused at load (failed, or for
    a built-in the start stops), with a message naming it and the type.
    Not first-result.
    """


@hookspec
def hearthside_migrations() -> Migrations:
    """Return this plugin's :class:`sqlite_utils.migrations.Migrations` set.

    Called at start. The set's name must be unique (use the plugin's name); each
    migration is a function taking the database, applied once, in order, each in
    its own transaction, after an automatic backup. Never edit a migration that
    has shipped: add a new one. Not first-result.
    """


@hookspec
def hearthside_startup(hs: Hearthside) -> None:
    """Set up: called once the database is migrated and before requests arrive.

    ``hs`` is the :class:`hearthside.app.Hearthside` runtime (config, storage,
    emit, plugin manager). Use it for work that needs the database at start.
    The matching teardown is :func:`hearthside_shutdown`. Not first-result.
    """


@hookspec
def hearthside_shutdown(hs: Hearthside) -> None:
    """Tear down: called once on a clean stop (Ctrl-C, SIGTERM), before the
    database is closed. Release what :func:`hearthside_startup` acquired.
    Not first-result.
    """


@hookspec
def hearthside_blueprints(hs: Hearthside) -> list[Blueprint]:
    """Return a list of Flask blueprints to register: API routes and pages.

    Called once while the app is built. API routes live under ``/api/v1/``
    and fail with :func:`hearthside.errors.api_error`; pages render templates
    kept beside the plugin. Not first-result: all blueprints are registered.
    """


@hookspec
def hearthside_nav_items(hs: Hearthside, member: dict) -> list[NavItem]:
    """Return navigation entries for the web app's menu, for this member.

    Each entry is a :class:`hearthside.hook_types.NavItem` (``label``,
    ``endpoint``, ``order``) where ``endpoint`` is a Flask endpoint of the
    plugin's blueprint. Called on every page render; keep it cheap.
    Not first-result.
    """


@hookspec
def hearthside_dashboard_cards(hs: Hearthside, db: Database, couple_id: int) -> list[DashboardCard]:
    """Return the cards this plugin shows on the couple's shared wall screen.

    A card is a :class:`hearthside.hook_types.DashboardCard` (``id``,
    ``title``, and any of ``text``, ``value``, ``lines`` of
    :class:`~hearthside.hook_types.FeedLine` and ``facts``); everything on it
    is seen by anyone in the room, so put only what both agreed to show. The
    core shows a plugin's cards only while its ``dashboard.<plugin>`` consent
    scope is active, and calls this with a read connection ``db``. Return a
    list (empty when there is nothing to show). Not first-result.
    """


@hookspec
def hearthside_scheduled_jobs(hs: Hearthside) -> list[ScheduledJob]:
    """Return a list of :class:`hearthside.scheduler.ScheduledJob` to run.

    Called once at start when the scheduler is enabled. Rebuild what the job
    needs from your own tables when it runs: the scheduler keeps no state but
    each job's last run, so a job missed while the Pi was off runs once at
    start. Not first-result.
    """


@hookspec
def hearthside_backup_files(hs: Hearthside) -> list[str]:
    """Name the files, besides the database, this plugin needs to read its data.

    Called whenever a backup bundle is written (``hearthside backup``, the
    scheduled backup, the admin's download). Return a list of file names
    relative to the data folder - typically a key kept outside the database
    (the matcher's ``matcher.key``). Each one that exists goes into the bundle
    and is restored beside the database (mode 0600); a name outside the data
    folder is ignored. Without it, a restored database is ciphertext nobody
    can open. Not first-result.
    """


@hookspec
def hearthside_restored(hs: Hearthside, db: Database) -> None:
    """The database was just replaced by an older one on purpose (``hearthside restore``).

    Called once after the restore, after the forget ledger was re-applied,
    with a connection to the restored database. For what a plugin keeps
    outside the database about what the database holds - the transparency
    log's chain head (``transparency-heads.json``) - which must now follow
    the restored database instead of calling its older state a loss.
    Added in 1.4. Not first-result.
    """


@hookspec
def hearthside_event(hs: Hearthside, db: Database, event: Event) -> None:
    """React to an event after the transaction that wrote it has committed.

    ``event`` is a :class:`hearthside.events.Event`; ``db`` is a connection the
    reaction may write through (``with db.atomic(): ...``). Events emitted here
    are delivered in turn. Keep it quick: it runs on the request's thread.
    Not first-result; the return value is ignored.
    """


@hookspec
def hearthside_consent_scopes(hs: Hearthside) -> list[Scope]:
    """Declare the consent scopes this plugin checks.

    Return a list of :class:`hearthside.consent.Scope` (name, plain-language
    description, whether every member must grant it). Names are
    ``<plugin>.<what>``; a plugin with dashboard cards declares
    ``dashboard.<plugin>``. A change of a scope's terms (its description,
    unless ``terms=`` pins them) asks every member again at the next start.
    Not first-result.
    """


@hookspec
def hearthside_export(hs: Hearthside, db: Database, member_id: int) -> dict | None:
    """Return a JSON-serialisable dict of everything this plugin holds that
    the member wrote or may read, for their personal export. Never include the
    other member's private data. Return None when the plugin holds nothing.
    Not first-result; results are keyed by plugin name.
    """


@hookspec
def hearthside_forget(hs: Hearthside, db: Database, member_id: int) -> None:
    """Delete what this member owns, inside the caller's open transaction.

    Called when a member confirms "forget me". ``db`` is already inside
    ``db.atomic()``: raise to abort the whole forget. Shared, append-only
    records (a transparency chain) keep a tombstone instead of the text.
    Not first-result.
    """


@hookspec
def hearthside_cli_commands(cli: click.Group) -> None:
    """Add commands to the ``hearthside`` command line.

    ``cli`` is the :class:`click.Group`; add with ``cli.add_command(...)``.
    Called when the command line starts. Not first-result.
    """


@hookspec
def hearthside_calendar_entry(hs: Hearthside, db: Database, couple_id: int,
                              entry: CalendarEntry) -> bool | None:
    """Put a one-off plan made by another plugin on the couple's calendar, or update it.

    A plugin that plans something for the couple (the touch plugin's practice
    sessions) calls this; a plugin that keeps the couple's calendar (rituals:
    reminders, the ``.ics`` feed) implements it. The caller needs no import of
    the calendar plugin and works standalone when nobody implements it.

    ``entry`` is a :class:`hearthside.hook_types.CalendarEntry`: ``source``
    (the calling plugin's name), ``key`` (stable within the source: the same
    key updates the same entry), ``status`` (``"planned"``, ``"cancelled"``
    or ``"done"``), ``title`` (a discreet text chosen to be safe in a phone's
    calendar and on the wall), ``start`` (an aware datetime),
    ``duration_minutes`` and ``participants`` (member ids). Called inside the
    caller's open transaction: write through
    ``db`` inside ``with db.atomic():`` (a savepoint) and do not commit.
    Return True when this plugin keeps the entry (so the caller can say "it is
    on your calendar"), None (or False) otherwise. Not first-result.
    """


@hookspec
def hearthside_notifications(hs: Hearthside, db: Database, event: Event) -> list[Notification]:
    """Say which members a committed event should notify on their phones, and what it is about.

    Called for every committed event, after ``hearthside_event``, with a read
    connection ``db``; answer for your own event types only, and quickly (an
    empty list for the rest). Each :class:`hearthside.hook_types.Notification`
    names a ``kind`` (``reminders``, ``checkins``, ``questions``, ``pause``),
    the ``members`` to tell, the ``detail`` shown to those who chose detailed
    notifications and a ``link`` (an app path). The core does the rest: it
    drops members who may not see the event (a private event reaches its one
    member at most), applies each member's choices and quiet hours, and sends
    off the request's thread. Added in 1.5. Not first-result.
    """
