"""Run the ``hearthside`` command with one built-in plugin broken, as a damaged install would be.

Usage: python -m tests.support.broken_builtin PLUGIN:HOW -- hearthside-args...

``HOW`` is ``import`` (the plugin's module cannot be imported) or the name of
a start-up hook that then raises a real ``ModuleNotFoundError``, as the core's
blueprint hook did when a wheel left out ``hearthside.web.api``.
"""

import importlib
import sys

from hearthside import plugin_manager
from hearthside.cli import main
from hearthside.hookspecs import hookimpl


def broken_hook():
    importlib.import_module("hearthside.web.missing_api")


def break_plugin(name: str, how: str) -> None:
    discover = plugin_manager.discover

    def broken_discover():
        candidates = discover()
        for candidate in candidates:
            if candidate.name == name and how == "import":
                candidate.load = broken_hook
            elif candidate.name == name:
                module = candidate.load()
                setattr(module, how, hookimpl(broken_hook, specname=how))
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
