"""Settings: built-in defaults < config file < ``HEARTHSIDE_*`` variables < flags.

Every setting is declared once, as a :class:`Setting`, either here (the core's)
or by a plugin through the ``hearthside_config_schema`` hook. Loading happens in
two steps because plugins decide their own schema: :func:`read_sources` gathers
raw values and where each came from, then :func:`validate` checks them against
the schemas of the plugins that are installed. Errors name the key, the bad
value, what was expected and where the value came from, e.g.::

    plugins.rituals.reminder_minutes: expected a whole number, got 'ten' (config.yaml, line 14)

:class:`Setting` and the reading of one value (:func:`coerce`) live in
:mod:`hearthside.config_values`; both are importable from here as well.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .config_values import Setting, coerce, expected  # Setting and coerce: imported from here too

ENV_PREFIX = "HEARTHSIDE_"
# Short names for settings people set by hand most: HEARTHSIDE_PLUGINS=rituals,touch
ENV_ALIASES = {"HEARTHSIDE_PLUGINS": "plugins.allow"}


class ConfigError(Exception):
    """Raised with every problem found, one line each; the server will not start."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def system_time_zone() -> str:
    """The machine's IANA zone (a Pi set up with raspi-config has one), else UTC."""
    candidate = os.environ.get("TZ", "")
    if not candidate:
        try:
            candidate = str(Path("/etc/localtime").resolve()).split("zoneinfo/", 1)[1]
        except (OSError, IndexError):
            candidate = "UTC"
    try:
        ZoneInfo(candidate)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return candidate


CORE_SETTINGS: dict[str, Setting] = {
    "host": Setting("str", "0.0.0.0", "Address to listen on; 0.0.0.0 lets phones on the home network connect."),
    "port": Setting("int", 8321, "TCP port of the web app, the API and the live stream.", 1, 65535),
    "data_dir": Setting("path", "hearthside-data", "Folder for the database, backups and the secret key."),
    "time_zone": Setting("timezone", system_time_zone(), "IANA time zone of the scheduler, e.g. Europe/Berlin."),
    "log_level": Setting("choice", "info", "How much the server logs.", choices=("debug", "info", "warning", "error")),
    "trace_plugins": Setting("bool", False, "Log every plugin hook call (for plugin authors)."),
    "safe_mode": Setting(
        "bool", False, "Start with the core and the built-in plugins only, to rule out a broken third-party plugin."
    ),
    "plugins.allow": Setting(
        "names", None, "Load only these installed plugins (the core always loads); unset: every enabled one."
    ),
    "server.live_connections": Setting(
        "int", 1000, "Live screens (phones, tablets, the wall) signed in at once; the next one is told the server "
        "is full, and pages still work. Each holds a server thread (docs/serving.md).", 1, 4096
    ),
    "server.base_url": Setting(
        "url", "", "The address members type to reach the server (https://hearth.example:8321); QR codes and the "
        "calendar feed link use it. Unset: the address the request came to, if the server answers on it."
    ),
    "server.https": Setting(
        "choice", "off", "Serve HTTPS with a certificate authority of this server's own: on, off, or auto (on for "
        "a new server on the home network; see docs/security.md).", choices=("auto", "on", "off")
    ),
    "server.proxies": Setting(
        "int", 0, "How many reverse proxies (Caddy, nginx) stand in front and are trusted to say the visitor's "
        "address and scheme in X-Forwarded-* headers; 0: none, those headers are ignored.", 0, 5
    ),
    "server.hook_seconds": Setting(
        "int", 10, "Seconds a plugin may take to answer a hook on a request or at start-up (and a scheduled job "
        "at start) before the server goes on without it; a third-party plugin that overruns is switched off.", 1, 600
    ),
    "server.shutdown_seconds": Setting("int", 10, "Seconds to finish requests on Ctrl-C or SIGTERM.", 1, 300),
    "server.handshake_seconds": Setting(
        "int", 5, "Seconds a live connection may stay open without signing in before the server closes it.", 1, 60
    ),
    "server.unauthenticated_per_address": Setting(
        "int", 10, "Live connections one address may hold open before signing in; more are refused.", 1, 1000
    ),
    "server.http_threads": Setting(
        "int", 32, "Threads kept for pages and the API, beside the ones live connections hold, so pages always "
        "load however many screens are open.", 2, 1024
    ),
    "database.busy_timeout_ms": Setting(
        "int", 5000, "How long a write waits for another write to finish before failing.", 100, 60000
    ),
    "backups.keep": Setting(
        "int", 10, "Automatic backups kept in data_dir/backups, and scheduled bundles (oldest removed first).", 1, 1000
    ),
    "backups.schedule": Setting(
        "choice", "daily", "How often the server writes a backup bundle by itself.", choices=("off", "daily", "weekly")
    ),
    "backups.time": Setting("time", "03:30", "When the scheduled backup runs, in the server's time zone (weekly: on Sundays)."),
    "backups.copy_to": Setting(
        "str", "", "A folder (a USB stick) that gets a copy of each scheduled bundle; empty: no copy."
    ),
    "auth.invite_hours": Setting("int", 72, "How long an invite code stays valid.", 1, 720),
    "auth.pairing_minutes": Setting("int", 15, "How long a wall-screen pairing code stays valid.", 1, 1440),
    "auth.login_attempts": Setting("int", 5, "Failed sign-ins per username or address before a pause.", 1, 100),
    "auth.login_window_seconds": Setting(
        "int", 300, "How long failed sign-ins are remembered, and the pause after too many.", 10, 86400
    ),
    "scheduler.enabled": Setting("bool", True, "Run scheduled jobs (reminders, summaries) in the server."),
    "scheduler.misfire_grace_seconds": Setting(
        "int", 300, "A job that is late by more than this is not run late; the catch-up at start runs it once.", 1, 86400
    ),
    "scheduler.job_seconds": Setting(
        "int", 600, "Seconds a scheduled job may run before it is reported as overrunning; nothing waits for it "
        "longer, and it is not started again until it ends.", 1, 86400
    ),
    "scheduler.heartbeat_seconds": Setting(
        "int", 60, "How often the scheduler checks the wall clock for jumps (a Pi has no real-time clock).", 5, 3600
    ),
    "notifications.ntfy_server": Setting(
        "url", "", "The ntfy server members may send their notifications to (http://pi.local:8080), for phones "
        "without HTTPS; empty: the ntfy channel is off (docs/notifications.md)."
    ),
    "notifications.contact": Setting(
        "str", "mailto:hearthside@home.arpa", "The contact (mailto: or https:) push services are given with every "
        "push, as Web Push asks; it never reaches a member's phone."
    ),
    "notifications.timeout_seconds": Setting(
        "int", 10, "Seconds the server waits for a push service or the ntfy server before giving up on one "
        "notification (sent off the request, never holding a page).", 1, 120
    ),
    "notifications.loopback_http": Setting(
        "bool", False, "Accept push subscriptions to http://127.0.0.1 (tests only); push endpoints are https "
        "otherwise, so no member can make the server post to an address of the home network."
    ),
}

# Settings every plugin has, whether or not it declares a schema.
# Settings an older release had: accepted (an older copy of config.example.yaml must
# still start) and ignored, with a warning saying what replaced them.
RETIRED_SETTINGS: dict[str, str] = {
    "server.threads": "the server keeps server.http_threads threads for pages plus one per live screen "
                      "(server.live_connections)",
}

PLUGIN_BASE_SETTINGS: dict[str, Setting] = {
    "enabled": Setting("bool", True, "Load this plugin."),
}


@dataclass
class Source:
    """Where a raw value came from, for error messages."""

    label: str

    def __str__(self) -> str:
        return self.label


@dataclass
class RawConfig:
    """Raw values by dotted key, with the source of each; later sources win."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    file: Path | None = None

    def set(self, key: str, value: Any, source: Source) -> None:
        self.values[key] = value
        self.sources[key] = source

    def plugin_names(self) -> set[str]:
        return {key.split(".")[1] for key in self.values if key.startswith("plugins.") and key.count(".") >= 2}


class Config(Mapping):
    """Validated settings, read like a dict with dotted keys (``config["port"]``)."""

    def __init__(self, values: dict[str, Any], file: Path | None = None):
        self._values = values
        self.file = file

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def plugin(self, name: str) -> dict[str, Any]:
        """The settings of one plugin, without the ``plugins.<name>.`` prefix."""
        prefix = f"plugins.{name}."
        return {key[len(prefix):]: value for key, value in self._values.items() if key.startswith(prefix)}

    def plugin_enabled(self, name: str) -> bool:
        return bool(self._values.get(f"plugins.{name}.enabled", True))

    @property
    def data_dir(self) -> Path:
        return Path(self._values["data_dir"]).expanduser().resolve()


def _flatten(mapping: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        elif value is not None:  # "key:" with nothing after it means "the default"
            flat[dotted] = value
    return flat


def _line_numbers(node: yaml.Node, prefix: str = "") -> dict[str, int]:
    """Map dotted keys to 1-based line numbers, from a composed YAML node tree."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, value_node in node.value:
        dotted = f"{prefix}{key_node.value}"
        lines[dotted] = key_node.start_mark.line + 1
        lines.update(_line_numbers(value_node, dotted + "."))
    return lines


def _read_file(path: Path, raw: RawConfig) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read the config file {path}: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:  # a Latin-1 file, or the database passed by mistake
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError([f"the config file is not UTF-8 text ({path.name}, line {line})"]) from None
    try:
        data = yaml.safe_load(text)
        lines = _line_numbers(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ({path.name}, line {mark.line + 1})" if mark else f" ({path.name})"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"the config file is not valid YAML: {problem}{where}"]) from None
    if data is None:
        return
    if not isinstance(data, dict):
        raise ConfigError([f"the config file must be a mapping of settings, got {type(data).__name__} ({path.name})"])
    for key, value in _flatten(data).items():
        raw.set(key, value, Source(f"{path.name}, line {lines.get(key, 1)}"))


def env_name(key: str) -> str:
    """``plugins.rituals.enabled`` -> ``HEARTHSIDE_PLUGINS__RITUALS__ENABLED``."""
    return ENV_PREFIX + key.upper().replace(".", "__")


def _read_env(env: Mapping[str, str], raw: RawConfig) -> None:
    for name, value in env.items():
        if name.startswith(ENV_PREFIX) and name != "HEARTHSIDE_CONFIG":
            key = ENV_ALIASES.get(name) or name[len(ENV_PREFIX):].lower().replace("__", ".")
            raw.set(key, value, Source(f"environment variable {name}"))


def read_sources(
    config_file: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> RawConfig:
    """Gather raw values in precedence order. ``HEARTHSIDE_CONFIG`` names a file too."""
    env = os.environ if env is None else env
    raw = RawConfig()
    config_file = config_file or env.get("HEARTHSIDE_CONFIG")
    if config_file:
        raw.file = Path(config_file)
        _read_file(raw.file, raw)
    _read_env(env, raw)
    for key, value in (flags or {}).items():
        if value is not None:
            raw.set(key, value, Source(f"command line --{key.replace('_', '-')}"))
    return raw


def validate(raw: RawConfig, plugin_schemas: Mapping[str, Mapping[str, Setting] | None]) -> Config:
    """Check raw values against the core's and the plugins' schemas.

    ``plugin_schemas`` maps every installed plugin's name to its settings, or
    to None for a disabled plugin (not imported, so its settings are kept
    unchecked until it is enabled). Unknown keys are errors - a typo must not
    be silently ignored - and so are settings of plugins that are not installed.
    """
    schema = dict(CORE_SETTINGS)
    unchecked = {name for name, settings in plugin_schemas.items() if settings is None}
    for plugin, settings in plugin_schemas.items():
        for key, setting in {**PLUGIN_BASE_SETTINGS, **(settings or {})}.items():
            schema[f"plugins.{plugin}.{key}"] = setting
    values = {key: setting.default for key, setting in schema.items()}
    problems = []
    for key, value in raw.values.items():
        source = raw.sources[key]
        setting = schema.get(key)
        if setting is None and key.split(".")[:2] in [["plugins", name] for name in unchecked]:
            values[key] = value
            continue
        if setting is None and key in RETIRED_SETTINGS:
            logging.getLogger(__name__).warning("%s is no longer used (%s): %s; remove it", key, source,
                                                RETIRED_SETTINGS[key])
            continue
        if setting is None:
            problems.append(_unknown(key, source, plugin_schemas))
            continue
        try:
            values[key] = coerce(setting, value)
        except (ValueError, TypeError):
            problems.append(f"{key}: expected {expected(setting)}, got {value!r} ({source})")
    problems.extend(_unknown_allowed(values.get("plugins.allow"), raw, plugin_schemas))
    if problems:
        raise ConfigError(problems)
    return Config(values, raw.file)


def _unknown_allowed(allowed: list[str] | None, raw: RawConfig, plugin_schemas: Mapping[str, Any]) -> list[str]:
    """A name in ``plugins.allow`` that no installed plugin has is a typo: say so, never ignore it."""
    unknown = [name for name in allowed or () if name not in plugin_schemas]
    if not unknown:
        return []
    installed = ", ".join(sorted(plugin_schemas)) or "none"
    return [f"plugins.allow: there is no installed plugin named {', '.join(map(repr, unknown))} "
            f"(installed: {installed}) ({raw.sources['plugins.allow']})"]


def _unknown(key: str, source: Source, plugin_schemas: Mapping[str, Any]) -> str:
    parts = key.split(".")
    if parts[0] == "plugins" and len(parts) >= 2 and parts[1] not in plugin_schemas:
        installed = ", ".join(sorted(plugin_schemas)) or "none"
        return f"{key}: there is no installed plugin named {parts[1]!r} (installed: {installed}) ({source})"
    return f"{key}: unknown setting ({source})"


def load(
    config_file: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    plugin_schemas: Mapping[str, Mapping[str, Setting]] | None = None,
) -> Config:
    """Read and validate in one call (used by tests and tools that know the schemas)."""
    return validate(read_sources(config_file, env, flags), plugin_schemas or {})
