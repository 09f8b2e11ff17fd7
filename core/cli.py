"""The ``hearthside`` command line.

``serve`` runs everything; ``plugins``, ``check-config``, ``backup`` and
``restore`` look after an installation; ``new-plugin`` writes a plugin
package to start from. Plugins add commands through the
``hearthside_cli_commands`` hook. Every command takes ``--config`` and
``--data-dir``; a problem is printed as one plain line each and the command
exits non-zero.
"""

from __future__ import annotations

import errno
import functools
import logging
import sys
from pathlib import Path

import click

from . import __version__
from . import logsafe
from .config import ConfigError
from .datafolder import FOLDER_MODE, DataFileDamaged, FolderInUse, hold_serving_lock, is_served

config_option = click.option("--config", "config_file", type=click.Path(dir_okay=False),
                             help="YAML config file (optional; see config.example.yaml).")
data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False),
                               help="Folder for the database, backups and the secret key.")


def _setup_logging(level: str = "info") -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level.upper())
    logsafe.install()  # no invite code, pairing code, feed secret or token in any log line


def _load(config_file, flags, strict_builtins: bool = True):
    """Config and plugins; a config error or a broken built-in is a plain message and a non-zero exit.

    Commands that report on plugins pass ``strict_builtins=False`` so a broken
    built-in is listed as failed instead.
    """
    from .app import load_plugins_and_config
    from .plugin_manager import BuiltinPluginFailed

    try:
        return load_plugins_and_config(config_file, flags=flags, strict_builtins=strict_builtins)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"Config error: {problem}", err=True)
        sys.exit(2)
    except BuiltinPluginFailed as exc:
        _cannot_start_broken(exc)


def _cannot_start_broken(exc) -> None:
    click.echo(f"Cannot start: {exc} — Hearthside's own installation is broken, not your data; "
               "reinstall it (pip install .), and `hearthside plugins` lists what failed.", err=True)
    sys.exit(1)


def _no_access_said_plainly(prefix: str):
    """A folder or file the command may not write (read-only disk, wrong owner) is one sentence, not a traceback."""
    def decorate(command):
        @functools.wraps(command)
        def plainly(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                click.echo(f"{prefix}: no access to {exc.filename or 'a file it needs'} ({exc.strerror}). Check "
                           "that the folder exists on a disk mounted read-write and belongs to the user running "
                           "Hearthside.", err=True)
                sys.exit(1)
        return plainly
    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hearthside")
def cli() -> None:
    """Hearthside: a private, self-hosted companion for couples."""


safe_mode_option = click.option("--safe-mode/--no-safe-mode", default=None,
                                help="Load only the core and the built-in plugins, to rule out a broken plugin "
                                     "(default: the safe_mode setting, off).")


@cli.command()
@click.option("--host", help="Address to listen on (default 0.0.0.0: the home network).")
@click.option("--port", type=int, help="Port (default 8321).")
@data_dir_option
@config_option
@safe_mode_option
@_no_access_said_plainly("Cannot start")
def serve(host, port, data_dir, config_file, safe_mode) -> None:
    """Start the server: web app, API, live stream and scheduler."""
    from .app import build_app
    from .serve import serve as run_server

    config, plugins = _load(config_file, {"host": host, "port": port, "data_dir": data_dir, "safe_mode": safe_mode})
    _setup_logging(config["log_level"])
    logger = logging.getLogger(__name__)
    logger.info("Data folder: %s", config.data_dir)
    if config["safe_mode"]:
        left_out = [row["name"] for row in plugins.report() if not row["builtin"]]
        logger.warning("Safe mode: only the core and the built-in plugins are loaded%s",
                       f" (left out: {', '.join(left_out)})" if left_out else "")
    try:
        serving = hold_serving_lock(_data_folder(config))  # held until this process ends
    except FolderInUse as exc:
        click.echo(f"Cannot start: {exc}.", err=True)
        sys.exit(1)
    with serving:
        run_server(_build_or_explain(build_app, config, plugins))


def _data_folder(config) -> Path:
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    return config.data_dir


def _build_or_explain(build_app, config, plugins):
    """Build the app; a full disk, a failed pre-migration backup or a broken built-in is a clear message."""
    from .errors import is_storage_full
    from .plugin_manager import BuiltinPluginFailed
    from .storage import BackupFailed

    try:
        return build_app(config, plugins)
    except BuiltinPluginFailed as exc:
        if not isinstance(exc.__cause__, DataFileDamaged):
            _cannot_start_broken(exc)
        _cannot_start_damaged(exc.__cause__, config)
    except BackupFailed as exc:
        click.echo(f"Cannot start: {exc}", err=True)
    except DataFileDamaged as exc:
        _cannot_start_damaged(exc, config)
    except Exception as exc:
        if not is_storage_full(exc):
            raise
        click.echo(f"Cannot start: the disk holding the data folder {config.data_dir} is full. "
                   "Nothing saved is lost; free some space and start again.", err=True)
    sys.exit(1)


@cli.command("plugins")
@config_option
@safe_mode_option
def list_plugins(config_file, safe_mode) -> None:
    """List every plugin found: version, enabled, loaded or failed (and why)."""
    from . import PLUGIN_API_VERSION

    _setup_logging("critical")  # failures are shown in the table, not as log noise
    config, plugins = _load(config_file, {"safe_mode": safe_mode}, strict_builtins=False)
    rows = plugins.report()
    width = max(len("PLUGIN"), *(len(row["name"]) for row in rows))
    click.echo(f"{'PLUGIN':<{width}}  {'VERSION':<10} {'ENABLED':<8} STATE")
    for row in rows:
        click.echo(f"{row['name']:<{width}}  {row['version']:<10} {'yes' if row['enabled'] else 'no':<8} "
                   f"{_state(row)}")
    click.echo(f"(plugin API {PLUGIN_API_VERSION})")
    if config["safe_mode"]:
        click.echo("(safe mode: only the core and the built-in plugins are loaded)")
    if config["plugins.allow"] is not None:
        click.echo(f"(plugins.allow: {', '.join(config['plugins.allow']) or 'the core only'})")


def _state(row: dict) -> str:
    """``failed: why``, ``disabled (not in plugins.allow)``, ``loaded (warning: ...)``."""
    if row["error"]:
        return f"{row['state']}: {row['error']}"
    if row["notes"] and row["state"] == "loaded":
        return f"{row['state']} (warning: {'; '.join(row['notes'])})"
    if row["notes"]:
        return f"{row['state']} ({'; '.join(row['notes'])})"
    return row["state"]


@cli.command("check-config")
@config_option
@safe_mode_option
def check_config(config_file, safe_mode) -> None:
    """Validate the config, plugins' own settings included, without starting."""
    _setup_logging("critical")
    config, plugins = _load(config_file, {"safe_mode": safe_mode}, strict_builtins=False)
    failed = [info for info in plugins.plugins.values() if info.state == "failed"]
    for info in failed:
        click.echo(f"Plugin {info.name} failed: {info.error}", err=True)
    source = config.file or "built-in defaults"
    click.echo(f"Config OK ({source}); data folder {config.data_dir}")
    sys.exit(1 if failed else 0)


passphrase_file_option = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False),
    help="Read the passphrase from the first line of this file (never give it as an argument: "
         "it would be in the shell's history).")
passphrase_prompt_option = click.option("--passphrase-prompt", is_flag=True, help="Ask for the passphrase.")


def _passphrase(passphrase_file, prompt: bool, confirm: bool) -> str | None:
    """The passphrase from a file or a hidden prompt, or None; a problem is one line and exit 2."""
    if passphrase_file and prompt:
        _refuse("give the passphrase one way: --passphrase-file or --passphrase-prompt, not both", 2)
    if prompt:
        return click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    if not passphrase_file:
        return None
    try:
        lines = Path(passphrase_file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        _refuse(f"cannot read the passphrase file {passphrase_file} ({type(exc).__name__})", 2)
    if not lines or not lines[0]:
        _refuse(f"the passphrase file {passphrase_file} is empty", 2)
    return lines[0]


def _refuse(sentence: str, code: int = 1) -> None:
    click.echo(f"Not done: {sentence}.", err=True)
    sys.exit(code)


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write the backup bundle.")
@passphrase_file_option
@passphrase_prompt_option
@data_dir_option
@config_option
@safe_mode_option
@_no_access_said_plainly("Backup not written")
def backup(out, passphrase_file, passphrase_prompt, data_dir, config_file, safe_mode) -> None:
    """Write one bundle file - database and keys - even while the server runs.

    With --safe-mode an installed plugin's own key files are left out of the
    bundle (it is not loaded to declare them); the database holds its data.
    """
    from .app import Hearthside
    from .backups import bundle_name, write_bundle
    from .storage import DATABASE_NAME

    passphrase = _passphrase(passphrase_file, passphrase_prompt, confirm=True)
    # Not strict: a backup must work even when a built-in is broken (take one before reinstalling).
    config, plugins = _load(config_file, {"data_dir": data_dir, "safe_mode": safe_mode}, strict_builtins=False)
    if not (config.data_dir / DATABASE_NAME).is_file():  # a mistyped --data-dir is not created
        click.echo(f"There is nothing to back up yet in {config.data_dir}.", err=True)
        sys.exit(1)
    hs = Hearthside(config, plugins)
    try:
        if hs.storage.is_empty():
            click.echo(f"There is nothing to back up yet in {config.data_dir}.", err=True)
            sys.exit(1)
        path = write_bundle(hs, Path(out) if out else hs.storage.backups_dir / bundle_name("manual"), passphrase)
    finally:
        hs.storage.close()
    click.echo(f"Backup written to {path}")
    if passphrase is None:
        click.echo("Not encrypted: anyone who can read this file can read everything in it (it is readable by "
                   "your user only); keep it where only the two of you can reach, or use --passphrase-file.")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace existing data (the current database and keys are kept in backups/).")
@passphrase_file_option
@passphrase_prompt_option
@data_dir_option
@config_option
@_no_access_said_plainly("Not restoring")
def restore(file, force, passphrase_file, passphrase_prompt, data_dir, config_file) -> None:
    """Put back a backup FILE (a .hsb bundle, or an old .db). Stop the server first.

    No --safe-mode here: a restore re-applies every forget recorded since the
    backup, and that needs every plugin that holds a member's data.
    """
    from .backups import BundleError, open_bundle
    from .restore import restore as restore_into

    passphrase = _passphrase(passphrase_file, passphrase_prompt, confirm=False)
    config, plugins = _load(config_file, {"data_dir": data_dir}, strict_builtins=False)
    if is_served(config.data_dir):
        click.echo(f"Not restoring: a Hearthside server is running on {config.data_dir}. Stop it first "
                   "(sudo systemctl stop hearthside), then run this again.", err=True)
        sys.exit(1)
    try:  # everything is verified before the data folder is touched
        opened = open_bundle(Path(file), passphrase, config.data_dir / "backups")
    except BundleError as exc:
        click.echo(f"Not restoring: {exc}.", err=True)
        sys.exit(1)
    with opened:
        hs = _storage_to_restore_into(config, plugins, force)
        try:
            if not hs.storage.is_empty() and not force:
                click.echo(f"Not restoring: {hs.storage.path} already holds data. Run again with --force to "
                           "replace it (the current database and keys are kept in backups/).", err=True)
                sys.exit(1)
            for line in restore_into(hs, opened):
                click.echo(line)
        finally:
            hs.storage.close()
    click.echo(f"Restored {file}")
    _reapply_ledger(config, plugins)


def _storage_to_restore_into(config, plugins, force: bool):
    """The Hearthside to restore into; a damaged database is set aside (kept in backups/) with --force."""
    from .app import Hearthside
    from .storage import DatabaseDamaged, set_aside_damaged

    try:
        return Hearthside(config, plugins)
    except DatabaseDamaged as exc:
        if not force:
            click.echo(f"Not restoring: {exc}. Run again with --force to replace it (the damaged file is kept "
                       "in backups/).", err=True)
            sys.exit(1)
        click.echo(f"{exc}: kept as {set_aside_damaged(config.data_dir)}")
        return Hearthside(config, plugins)


def _cannot_start_damaged(exc: DataFileDamaged, config) -> None:
    """One sentence: which file, that nothing was changed, and the way back (the newest backup)."""
    from .storage import DATABASE_NAME, DatabaseDamaged, newest_backup

    newest = newest_backup(config.data_dir / "backups")
    fresh = f"; or to start afresh instead, move {config.data_dir / DATABASE_NAME} away" \
        if isinstance(exc, DatabaseDamaged) else ""
    if newest is None:
        back = f"There is no backup in {config.data_dir / 'backups'}; restore one you keep elsewhere " \
               f"(hearthside restore FILE --force){fresh}."
    else:
        back = f"Restore the newest backup: hearthside restore {newest} --force{fresh}."
    click.echo(f"Cannot start: {exc}. Nothing was changed. {back}", err=True)
    sys.exit(1)


def _reapply_ledger(config, plugins) -> None:
    """Build the app on the restored folder (migrations run), redo what its ledger remembers, tell plugins.

    A backup older than a forget or a revocation must not bring either back;
    what plugins keep beside the database follows the restored one.
    """
    from .app import build_app
    from .restore import reapply, tell_plugins

    hs = _build_or_explain(build_app, config, plugins).extensions["hearthside"]
    try:
        for line in reapply(hs):
            click.echo(line)
        tell_plugins(hs)
    finally:
        hs.shutdown()


@cli.command("new-plugin")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder to create the plugin's project folder in.")
def new_plugin(name, parent) -> None:
    """Write a new plugin package NAME (pip-installable, with passing tests)."""
    from .plugin_scaffold import ScaffoldError, create

    try:
        target = create(name, Path(parent))
    except ScaffoldError as exc:
        click.echo(f"Not created: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Created {target}\nNext: cd {target} && pip install -e '.[test]' && python -m pytest")


def main() -> None:
    _add_plugin_commands()
    cli()


def _add_plugin_commands() -> None:
    """Let plugins add commands; a broken plugin never breaks the CLI itself."""
    first = sys.argv[1] if len(sys.argv) > 1 else None
    if first in cli.commands or first == "--version":
        return  # a core command: no need to import every plugin
    from .app import load_plugins_and_config

    try:
        _config, plugins = load_plugins_and_config()
    except ConfigError:
        return  # the core commands report config errors themselves
    plugins.call("hearthside_cli_commands", cli=cli)
