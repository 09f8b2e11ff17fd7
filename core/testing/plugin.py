"""The pytest plugin of ``hearthside.testing``: its hooks and fixtures.

Registered through the ``pytest11`` entry point (``hearthside =
"hearthside.testing.plugin"`` in pyproject.toml), so a plugin's tests get
these fixtures with no import; where autoloading is off, ``-p
hearthside.testing.plugin``. The helpers the fixtures are made of live in the
package's other modules and are all importable from ``hearthside.testing``.
"""

from __future__ import annotations

import gc
import itertools
import os
from typing import Any

import pytest

from .apps import INI_PLUGINS, CompiledTemplates, MigratedDatabases, load_plugins
from .browser import CHROMIUM, CHROMIUM_ARGS, missing_browser
from .clock import FakeClock, SchedulerDriver
from .live import Sockets
from .members import Device, Member, join_new_couple, onboard_couple, pair_device
from .privacy import PrivacyMatrix

QUICK_PASSWORD_HASHING = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
_COMPILED_TEMPLATES = CompiledTemplates()


def pytest_addoption(parser) -> None:
    parser.addini(INI_PLUGINS, type="args", default=[],
                  help="Hearthside plugins under test: entry-point names, or name=module (hearthside.testing)")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "browser: drives real Chromium (set on every test using the chromium "
                                       "fixture); -m 'not browser' leaves them out")
    config.addinivalue_line("markers", "real_password_hashing: hash passwords at the production cost "
                                       "in this test's apps (the kit lowers it otherwise)")


# Python's collector thresholds once collection is over (the defaults are 700, 10, 10).
GC_THRESHOLDS = (20_000, 50, 100)


def pytest_collection_finish(session) -> None:
    """Leave what collection built (modules, test items, fixtures) out of every later garbage collection.

    Each test builds an app: thousands of short-lived objects, so Python's
    collector runs often, and a full pass walks every object the test run
    holds. Frozen, those are skipped: app builds take a third of the time.
    The collector also runs less often (``GC_THRESHOLDS``): most of what a
    test makes is freed by reference counting anyway, and the collections
    were 5 % of an in-process test's CPU.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_modifyitems(items) -> None:
    """Mark every test that uses the ``chromium`` fixture ``browser``, so a quick lane can leave them out."""
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _quick_password_hashing(request, monkeypatch) -> None:
    """Argon2id at its lowest cost in this process, unless the test is marked ``real_password_hashing``.

    The cost is written into each hash, so hashes of either cost verify; only
    what a test asserts about the parameters themselves needs the marker.
    """
    if request.node.get_closest_marker("real_password_hashing"):
        return
    from argon2 import PasswordHasher

    from hearthside import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(**QUICK_PASSWORD_HASHING))


@pytest.fixture(scope="session")
def hearthside_plugins(request) -> dict[str, Any]:
    """The plugins under test, ``{name: module}``; from the ``hearthside_plugins`` ini option by default.

    Session-scoped so the module's :func:`shared_app` can run them too; an
    override of narrower scope serves ``make_app`` but not ``shared_app``.
    """
    try:
        specs = request.config.getini(INI_PLUGINS)
    except ValueError:  # registered after the ini options were read (autoloading off): none named
        specs = []
    return load_plugins(specs)


@pytest.fixture(scope="session")
def hearthside_discover_installed() -> bool:
    """Also load every installed plugin into each app (off: the core and the plugins under test only)."""
    return False


@pytest.fixture
def data_dir(tmp_path):
    """The app's data folder: the database, backups and the secret key of this test only."""
    return tmp_path / "data"


@pytest.fixture(scope="session")
def _migrated_databases(tmp_path_factory) -> MigratedDatabases:
    return MigratedDatabases(tmp_path_factory.mktemp("migrated"))


def build_app(data_dir, plugins: dict, installed: bool, migrated: MigratedDatabases, extra_plugins=None,
              flags=None, config_file=None, env=None):
    """An app on ``data_dir``, isolated from the caller's environment and config (see :func:`make_app`)."""
    from jinja2 import MemcachedBytecodeCache

    from hearthside.app import create_app
    from hearthside.plugin_manager import discover

    plugins = {**plugins, **(extra_plugins or {})}
    if installed:  # registered through its entry point already: never twice
        found = {candidate.name for candidate in discover()}
        plugins = {name: plugin for name, plugin in plugins.items()
                   if name not in found or name in (extra_plugins or {})}
    kind = MigratedDatabases.kind(plugins, installed, flags, env)
    own_folder = config_file is None and "data_dir" not in (flags or {}) \
        and not any(name.endswith("DATA_DIR") for name in (env or {}))
    fresh = own_folder and not (data_dir / "hearthside.db").exists()
    copied = fresh and migrated.copy_into(kind, data_dir)
    # The core's scheduled backup stays out of a plugin's scheduler unless the test turns it on.
    if config_file is None and "HEARTHSIDE_BACKUPS__SCHEDULE" not in (env or {}):
        flags = {"backups.schedule": "off", **(flags or {})}
    app = create_app(config_file, env=env or {}, flags={"data_dir": str(data_dir), **(flags or {})},
                     extra_plugins=plugins, discover_installed=installed)
    app.jinja_env.bytecode_cache = MemcachedBytecodeCache(_COMPILED_TEMPLATES, prefix="hearthside/")
    if fresh and not copied:
        migrated.keep(kind, app)
    return app


@pytest.fixture
def make_app(data_dir, hearthside_plugins, hearthside_discover_installed, _migrated_databases):
    """Build apps on the test's data folder, isolated from the caller's environment and config.

    ``make_app(extra_plugins={...}, flags={...}, config_file=None, env=None, discover_installed=None)``.
    The core's scheduled backup is off (``backups.schedule: off``) unless the test sets it, so
    ``scheduler.advance(...)`` runs the plugin's own jobs only.
    """
    built = []

    def factory(extra_plugins=None, flags=None, config_file=None, env=None, discover_installed=None):
        installed = hearthside_discover_installed if discover_installed is None else discover_installed
        app = build_app(data_dir, hearthside_plugins, installed, _migrated_databases, extra_plugins, flags,
                        config_file, env)
        built.append(app)
        return app

    yield factory
    for app in built:
        app.extensions["hearthside"].shutdown()


@pytest.fixture
def app(make_app):
    """An app with the core and the plugins under test, on a fresh data folder."""
    return make_app()


@pytest.fixture
def hs(app):
    """The runtime of ``app`` (what hooks receive as ``hs``)."""
    return app.extensions["hearthside"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def couple(client):
    """Two members of one couple, signed up through the API: ``ann, bob = couple``."""
    return onboard_couple(client)


@pytest.fixture
def ann(couple) -> Member:
    return couple[0]


@pytest.fixture
def bob(couple) -> Member:
    return couple[1]


@pytest.fixture
def wall(couple) -> Device:
    """A dashboard device paired to ``couple`` (it reads only what the wall may show)."""
    return pair_device(couple[0])


@pytest.fixture
def other_couple(client, couple) -> tuple[Member, Member]:
    """A second couple on the same server: ``cat, dan = other_couple``."""
    return join_new_couple(client, couple[0])


@pytest.fixture
def sockets(app, couple, wall, other_couple):
    """Socket.IO test clients connected as ann, bob, the wall and cat (another couple)."""
    ann, bob = couple
    live = Sockets(app)
    live.connect("ann", ann.token)
    live.connect("bob", bob.token)
    live.connect("wall", wall.token)
    live.connect("cat", other_couple[0].token)
    yield live
    live.close()


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves (``clock.advance(hours=1)``, ``clock.set(datetime)``); starts at the real now."""
    return FakeClock()


@pytest.fixture
def scheduler(app, clock):
    """The app's scheduled jobs on ``clock``, run by the test: ``scheduler.advance(hours=1)``."""
    driver = SchedulerDriver(app.extensions["hearthside"], clock)
    yield driver
    driver.close()


@pytest.fixture
def privacy_matrix(app, couple, wall, other_couple, hearthside_plugins) -> PrivacyMatrix:
    """The privacy matrix over the plugins' own routes; seed data with ``.marker``, then ``.run(fill=...)``."""
    return PrivacyMatrix(app, hearthside_plugins, hearthside_plugins.values(), couple[0], couple[1], wall,
                         other_couple[0])


# -- one app per test module, a new couple per test ------------------------------------------------
#
# Building an app costs far more than a test's requests, and couples are the
# server's tenancy boundary: a fresh couple on a shared app is as isolated as
# a fresh app, and every test then also runs next to other couples. Tests that
# change the server itself (its config, its key, its clock for a job) build
# their own with ``make_app``.

_couple_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory):
    """The data folder of the module's :func:`shared_app` (override it to keep it elsewhere)."""
    return tmp_path_factory.mktemp("shared") / "data"


@pytest.fixture(scope="module")
def shared_app(shared_data_dir, hearthside_plugins, hearthside_discover_installed, _migrated_databases):
    """One app for a whole test module, built as ``make_app()`` builds one; give each test its own couple."""
    app = build_app(shared_data_dir, hearthside_plugins, hearthside_discover_installed, _migrated_databases)
    yield app
    app.extensions["hearthside"].shutdown()


@pytest.fixture(scope="module")
def shared_admin(shared_app) -> Member:
    """The first member of :func:`shared_app` (its admin, of the couple "Server admins"): invites new couples."""
    return onboard_couple(shared_app.test_client(), "admin", "admin-partner", "Server admins")[0]


@pytest.fixture
def new_couple(shared_app, shared_admin):
    """Make a fresh couple on the module's app: ``ann, bob = new_couple()`` (usernames ``annN``, ``bobN``).

    ``new_couple(first="cat", second="dan", client=None, **options)``; the options are
    :func:`join_new_couple`'s (``couple_name``, default ``"Couple N"``; ``time_zone``; ``display_names``).
    """
    def make(first="ann", second="bob", client=None, **options) -> tuple[Member, Member]:
        number = next(_couple_numbers)
        options.setdefault("couple_name", f"Couple {number}")
        return join_new_couple(client or shared_app.test_client(), shared_admin, f"{first}{number}",
                               f"{second}{number}", **options)

    return make


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium browser, shared by a module's tests (each opens its own contexts)."""
    reason = missing_browser()
    if reason:
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
