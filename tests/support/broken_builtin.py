"""Run the ``hearthside`` command with one built-in plugin broken, as a damaged install would be.

Usage: python -m tests.support.broken_builtin PLUGIN:HOW[:hang] -- hearthside-args...

``HOW`` is ``import`` (the plugin's module cannot be imported) or the name of
a start-up hook that then raises a real ``ModuleNotFoundError``, as the core's
blueprint hook did when a wheel left out ``hearthside.web.api``. With
``:hang`` the import or the hook never returns instead (it waits on an event
nobody sets), as code stuck on a dead network folder would.
"""

import importlib
import sys
import threading
import types

from hearthside import plugin_manager
from hearthside.cli import main
from hearthside.hookspecs import hookimpl


def raising_builtin(hook_name: str, error: Exception, name: str = "fragile") -> types.ModuleType:
    """A plugin module under ``hearthside.plugins`` (so: built in) whose one hook raises ``error``.

    For in-process tests: ``make_app(extra_plugins={name: raising_builtin(...)})``.
    """
    module = types.ModuleType(f"hearthside.plugins.{name}")
    module.HEARTHSIDE_API = ">=1.0,<2"

    def broken():
        raise error

    setattr(module, hook_name, hookimpl(broken, specname=hook_name))
    return module


def broken_hook():
    importlib.import_module("hearthside.web.missing_api")


def hanging_hook():
    threading.Event().wait()


def break_plugin(name: str, how: str, hang: str = "") -> None:
    discover = plugin_manager.discover
    broken = hanging_hook if hang else broken_hook

    def broken_discover():
        candidates = discover()
        for candidate in candidates:
            if candidate.name == name and how == "import":
                candidate.load = broken
            elif candidate.name == name:
                module = candidate.load()
                setattr(module, how, hookimpl(broken, specname=how))
        return candidates

    plugin_manager.discover = broken_discover
    import hearthside.app
    hearthside.app.discover = broken_discover


if __name__ == "__main__":
    target, separator, *arguments = sys.argv[1:]
    assert separator == "--", __doc__
    break_plugin(*target.split(":"))
    sys.argv = ["hearthside", *arguments]
    main()
