"""The app factory and the runtime object plugins receive as ``hs``.

Start-up, in order: read the config sources, find and register plugins (the
enabled ones), validate the config against everyone's schema, open the
database and apply pending migrations (after a backup), build the Flask app
with every plugin's blueprints, then call ``hearthside_startup``. The
scheduler is started only by ``hearthside serve`` (or a test that asks), so an
app built for tests or a CLI command never runs jobs behind your back.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from flask import Flask, request

from . import __version__
from .accounts import report_oversized_couples
from .auth import configure_sessions
from .config import Config, ConfigError, RawConfig, Setting, coerce, read_sources, validate
from .consent import ask_again_where_terms_changed
from .errors import install_error_handlers
from .hub import Hub
from .inputs import RowIdConverter
from .keys import load_or_create_secret_key
from .notify_send import Notifier
from .page_headers import page_headers
from .static_files import install as install_static_files
from .ratelimit import LoginLimiter
from .proxies import trust_proxies
from .plugin_manager import Candidate, PluginManager, discover, is_builtin_module
from .request_context import close_db
from .scheduler import Scheduler
from .storage import Database, Storage
from .urls import SharedBuilderRule

if TYPE_CHECKING:
    from .live import Live

log = logging.getLogger(__name__)


class Hearthside:
    """Everything a running server holds: config, plugins, storage, live hub.

    Plugins get it as the ``hs`` argument of their hooks and, inside a request,
    from :func:`hearthside.request_context.current_hs`.
    """

    def __init__(self, config: Config, plugins: PluginManager):
        self.config = config
        self.plugins = plugins
        self.hub = Hub()
        self.storage = Storage(config.data_dir, config["database.busy_timeout_ms"],
                               after_commit=self._after_commit, in_order=self._publish,
                               event_types=plugins.event_types)
        self.scheduler: Scheduler | None = None
        self.login_limiter = LoginLimiter(config["auth.login_attempts"], config["auth.login_window_seconds"])
        self.flask: Flask | None = None
        # The Socket.IO stream, set by build_app (hearthside.live.attach) once the app exists.
        self.live: Live | None = None
        # The certificates `hearthside serve` serves HTTPS with (hearthside.tls), or None for plain http.
        self.certificates = None
        # The queue and thread that send notifications off the request (hearthside.notify_send).
        self.notifier = Notifier(self)

    def _publish(self, events: list) -> None:
        """Committed events queued for the live hub, in id order: called while the write lock is held."""
        self.hub.enqueue(events)

    def _after_commit(self, db: Database, events: list) -> None:
        """Once the write lock is free again: committed events to the live hub, then to the plugins' reactions."""
        self.hub.flush(db)
        for event in events:
            self.plugins.call("hearthside_event", hs=self, db=db, event=event)

    def migrate(self) -> list[str]:
        migration_sets = [migrations for _, migrations in self.plugins.answers("hearthside_migrations")]
        return self.storage.apply_migrations(migration_sets, keep_backups=self.config["backups.keep"])

    def start_scheduler(self, clock=None) -> Scheduler:
        jobs = Scheduler.jobs_of(self)
        scheduler = Scheduler(self, jobs, clock=clock)
        # Set before start(): the jobs its catch-up runs read the time from hs.scheduler.clock.
        running, self.scheduler = self.scheduler, scheduler
        try:
            scheduler.start()  # raises if one already runs: the running one stays the one we stop
        except BaseException:
            self.scheduler = running
            raise
        return scheduler

    def shutdown(self) -> None:
        """Stop cleanly: sockets and scheduler first (no job mid-write), then plugins' teardown."""
        if self.live is not None:
            self.live.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown()
            self.scheduler = None
        self.notifier.stop()  # what is queued goes out (up to a few seconds), then the sender ends
        self.plugins.call("hearthside_shutdown", hs=self)
        self.plugins.timebox.close()
        self.storage.close()


def load_plugins_and_config(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    extra_plugins: Mapping[str, Any] | None = None,
    discover_installed: bool = True,
    strict_builtins: bool = True,
) -> tuple[Config, PluginManager]:
    """Read the config, load the enabled plugins and validate against their schemas.

    ``extra_plugins`` maps names to plugin modules/objects registered exactly as
    if they came from the entry-point group (used by tests and the author kit);
    one counts as built-in only if it is a module of ``hearthside.plugins``.
    Raises :class:`ConfigError` listing every problem, and
    :class:`~hearthside.plugin_manager.BuiltinPluginFailed` if the core or a
    built-in cannot load (unless ``strict_builtins`` is off, to report it).
    """
    raw = read_sources(config_file, env, flags)
    candidates = discover() if discover_installed else [c for c in discover() if c.name == "core"]
    for name, plugin in (extra_plugins or {}).items():
        builtin = is_builtin_module(getattr(plugin, "__name__", "") or "")
        candidates.append(Candidate(name, getattr(plugin, "__version__", "0"), lambda plugin=plugin: plugin,
                                    builtin, "registered in-process"))
    plugins = PluginManager(trace=_early_bool(raw, "trace_plugins", False), strict_builtins=strict_builtins,
                            hook_seconds=_early_int(raw, "server.hook_seconds", 10))
    plugins.load(candidates, lambda name: _early_bool(raw, f"plugins.{name}.enabled", True), _selection(raw))
    config = validate(raw, _schemas(plugins))
    plugins.trace = config["trace_plugins"]
    return config, plugins


def _selection(raw: RawConfig):
    """Why a plugin is left out of this start (safe mode, ``plugins.allow``), or None.

    Read before validation because it decides what gets imported; a bad value
    here selects as if unset, and validate() then refuses to start with it.
    """
    safe_mode = _early_bool(raw, "safe_mode", False)
    try:
        allowed = coerce(Setting("names", None, ""), raw.values.get("plugins.allow", ""))
    except (ValueError, TypeError):
        allowed = None

    def skip(candidate: Candidate) -> str | None:
        if safe_mode and not candidate.builtin:
            return "safe mode: built-in plugins only"
        if allowed is not None and candidate.name not in allowed:
            return "not in plugins.allow"
        return None
    return skip


def _early_int(raw: RawConfig, key: str, default: int) -> int:
    """A number needed before validation (the time box of plugin imports); validate() reports bad values."""
    try:
        return max(1, coerce(Setting("int", default, ""), raw.values.get(key, default)))
    except (ValueError, TypeError):
        return default


def _early_bool(raw: RawConfig, key: str, default: bool) -> bool:
    """A switch needed before validation (which plugins to load); validate() reports bad values."""
    try:
        return coerce(Setting("bool", default, ""), raw.values.get(key, default))
    except (ValueError, TypeError):
        return default


def _schemas(plugins: PluginManager) -> dict[str, dict[str, Setting] | None]:
    """Each plugin's declared settings; None for a disabled or failed plugin (not checked).

    A third-party plugin whose schema hook raises (or answers nonsense) is
    failed and isolated, so its settings are left unchecked rather than
    stopping the start; a built-in doing so stops it.
    """
    declared = dict(plugins.answers("hearthside_config_schema"))
    schemas: dict[str, dict[str, Setting] | None] = {}
    for name, info in plugins.plugins.items():
        schemas[name] = declared.get(name, {}) if info.state == "loaded" else None
    for info in plugins.refused:  # refused for its name: installed all the same, its settings unchecked
        schemas.setdefault(info.name, None)
    return schemas


def create_app(
    config_file: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    extra_plugins: Mapping[str, Any] | None = None,
    discover_installed: bool = True,
) -> Flask:
    """Build a ready app. ``flags`` override everything (e.g. ``{"data_dir": ...}``)."""
    config, plugins = load_plugins_and_config(config_file, env, flags, extra_plugins, discover_installed)
    return build_app(config, plugins)


def build_app(config: Config, plugins: PluginManager) -> Flask:
    """Migrate, then build the Flask app with every plugin's routes and call the start-up hooks.

    Raises :class:`~hearthside.plugin_manager.BuiltinPluginFailed` if the core
    or a built-in plugin raises on the way: a server without them would only
    pretend to work; and :class:`~hearthside.storage.DatabaseDamaged` for a
    database that is empty or fails SQLite's quick check.
    """
    hs = Hearthside(config, plugins)
    hs.storage.refuse_if_damaged()
    applied = hs.migrate()
    if applied:
        log.info("Applied %d migration(s)", len(applied))
    with hs.storage.connection() as db:
        report_oversized_couples(db)
    app = Flask("hearthside.web")
    app.url_rule_class = SharedBuilderRule  # before any route: builders compiled once per process
    app.url_map.converters["int"] = RowIdConverter  # before any route: ids beyond SQLite's range are a 404
    app.secret_key = load_or_create_secret_key(config.data_dir)
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # no member types a megabyte
    app.extensions["hearthside"] = hs
    hs.flask = app
    install_error_handlers(app)
    install_static_files(app)  # first, so its gzip runs last, on the answer as the others left it
    app.after_request(_api_headers)
    app.after_request(page_headers)  # every HTML answer, any plugin's: the CSP and the other page headers
    configure_sessions(app)
    app.teardown_appcontext(close_db)
    for _, blueprints in plugins.answers("hearthside_blueprints", hs=hs):
        for blueprint in blueprints:
            app.register_blueprint(blueprint)
    from .live import attach as attach_live  # here, not at the top: commands that build no app skip Socket.IO

    attach_live(app, hs)  # Socket.IO on the same app; sets hs.live
    trust_proxies(app, config["server.proxies"])  # outermost, so the live stream sees the visitor too
    plugins.call("hearthside_startup", hs=hs)
    with hs.storage.connection() as db:  # the scopes are read once now: a broken declaration fails the start
        for line in ask_again_where_terms_changed(hs, db):
            log.warning("%s", line)
    plugins.started()
    return app


def _api_headers(response):
    """Every ``/api/`` answer, errors and exports included, is never stored and never sniffed.

    API answers carry private text and tokens: ``no-store`` keeps them out of
    the browser's disk cache and any proxy (a shared family laptop, the
    back-forward cache), whatever a view or plugin set; ``nosniff`` stops a
    browser from running an answer as a script or page because it looks like one.
    """
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


__all__ = ["Hearthside", "ConfigError", "create_app", "build_app", "__version__"]
