"""Make the shared fixtures of tests/conftest.py available to each plugin's
own tests under plugins/<name>/tests/ too.

The generic fixtures come from the ``hearthside.testing.plugin`` pytest plugin,
loaded through its ``pytest11`` entry point; if plugin autoloading is off
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD``), it is registered here instead."""

from tests.conftest import *  # noqa: F401,F403


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("hearthside") \
            and not config.pluginmanager.hasplugin("hearthside.testing.plugin"):
        config.pluginmanager.import_plugin("hearthside.testing.plugin")
