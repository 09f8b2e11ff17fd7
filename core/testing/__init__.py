"""Pytest fixtures and helpers for Hearthside plugins: ``hearthside.testing``.

Installed with Hearthside; its pytest plugin, :mod:`hearthside.testing.plugin`,
is registered through the ``pytest11`` entry point, so a plugin's tests get
the fixtures with no import and no ``conftest.py``. Name the plugin under test
in its ``pyproject.toml``::

    [tool.pytest.ini_options]
    hearthside_plugins = ["gratitude_jar"]   # entry-point names (pip install -e . first)
    # or "gratitude_jar=hearthside_gratitude_jar" to import a module directly

(or override the session-scoped ``hearthside_plugins`` fixture to return
``{name: module}``). Each test's app then runs the core and exactly those
plugins - never whatever else happens to be installed - on a fresh temporary
data folder.

The package, one module a job (every public name is importable from here):

``plugin``
    the hooks and fixtures: ``make_app``, ``app``, ``client``, ``hs``,
    ``couple`` / ``ann``, ``bob``, ``wall``, ``other_couple``, ``sockets``,
    ``clock``, ``scheduler``, ``privacy_matrix``, ``data_dir``, ``chromium``,
    and for read-mostly modules ``shared_app`` (one app per module) with
    ``new_couple()`` (a fresh couple on it); the migrated-database cache, the
    quick password hashing and the garbage-collection freeze after collection.
``members``
    :class:`Member`, :class:`Device`, :func:`onboard_couple` (or, a step at a
    time, :func:`onboard_alone` and :func:`invite_partner`),
    :func:`join_new_couple`, :func:`pair_device`, :func:`sign_in_browser`,
    :func:`mentions`, :func:`hs_of`, :func:`couple_id_of`.
``http``
    :class:`HttpClient` (the same calls over real HTTP), :func:`free_port`, :func:`stop_server`.
``live``
    :class:`LiveClient`, :func:`connect_socket`, :func:`listen`, :class:`Sockets`.
``clock``
    :class:`FakeClock`, :class:`SchedulerDriver`.
``privacy`` and ``sealed``
    :class:`PrivacyMatrix` with rules 2 and 8 (:func:`couple_of_two_problems`,
    :class:`LateWall`); rule 1, sealed answers (:func:`run_sealed_answers`);
    :func:`privacy_cast`, the two couples and the wall these tests start from.
``browser``
    :func:`missing_browser`, :class:`BrowserGuard`, :func:`new_page`,
    :func:`wait_until_live` and the page sizes.
``apps``
    :func:`load_plugins` and the migrated databases new apps start from.
``push`` (imported by name: ``from hearthside.testing.push import ...``)
    :class:`~hearthside.testing.push.PushEndpoint`, a push service on 127.0.0.1
    that checks each push's VAPID token and decrypts it with the keys of a
    subscription made as a browser makes one; :class:`~hearthside.testing.push.NtfyStandIn`.

Passwords in the test's own apps are hashed with argon2id at its lowest cost
(:data:`QUICK_PASSWORD_HASHING`), because the real cost - ~25 ms a hash, on
purpose - made up a third of the suite's time. Real ``hearthside serve``
processes always use the real parameters; mark a test
``@pytest.mark.real_password_hashing`` to keep them in process too.

The docs are ``docs/plugins/testing.md``. This repository's own tests use the
same fixtures (``tests/conftest.py``).
"""

from .apps import load_plugins
from .browser import (CHROMIUM, LIVE_TIMEOUT_MS, PHONE, SCREENSHOTS, TABLET, BrowserGuard, missing_browser, new_page,
                      sign_in_with_form, signed_in_page, wait_until_live)
from .clock import FakeClock, SchedulerDriver
from .http import HttpAnswer, HttpClient, free_port, stop_server
from .live import LiveClient, Sockets, connect_socket, listen
from .members import (PASSWORD, Device, Member, couple_id_of, hs_of, invite_partner, join_new_couple, mentions,
                      onboard_alone, onboard_couple, pair_device, sign_in_browser)
from .plugin import QUICK_PASSWORD_HASHING
from .privacy import LateWall, MatrixResult, PrivacyMatrix, Route, couple_of_two_problems, privacy_cast
from .sealed import check_sealed_answers, run_sealed_answers, sealed_answer_specs

__all__ = [
    "PASSWORD", "Member", "Device", "onboard_couple", "onboard_alone", "invite_partner", "join_new_couple", "mentions",
    "pair_device", "free_port", "stop_server",
    "sign_in_browser", "hs_of", "couple_id_of",
    "load_plugins", "LiveClient", "Sockets", "connect_socket", "listen", "FakeClock", "SchedulerDriver",
    "PrivacyMatrix", "MatrixResult", "Route", "LateWall", "couple_of_two_problems", "privacy_cast", "HttpClient",
    "HttpAnswer",
    "sealed_answer_specs", "check_sealed_answers", "run_sealed_answers", "QUICK_PASSWORD_HASHING",
    "CHROMIUM", "PHONE", "TABLET", "LIVE_TIMEOUT_MS", "SCREENSHOTS", "missing_browser", "BrowserGuard", "new_page",
    "signed_in_page", "sign_in_with_form", "wait_until_live",
]
