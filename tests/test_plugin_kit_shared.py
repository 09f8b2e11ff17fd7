"""The kit's shared fixtures and helpers for read-mostly test modules (hearthside.testing):
one app per module, a fresh couple per test, live clients that hand out each event once,
and the package itself - its pytest plugin, its re-exports, its small modules."""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import hearthside.testing as kit
from hearthside.testing import couple_id_of, hs_of, listen, onboard_couple

pytest_plugins = ["pytester"]


def test_new_couples_on_the_shared_app_are_fresh_and_apart(shared_app, shared_admin, new_couple):
    ann, bob = new_couple()
    cat, dan = new_couple("cat", "dan", time_zone="Europe/Berlin", display_names=("Cat", "Dan"))
    assert ann.username.startswith("ann") and bob.username.startswith("bob") and ann.username[3:] == bob.username[3:]
    ours, theirs = couple_id_of(shared_app, ann), couple_id_of(shared_app, cat.id)
    assert ours == couple_id_of(shared_app, bob) and len({ours, theirs, couple_id_of(shared_app, shared_admin)}) == 3
    with hs_of(shared_app).storage.connection() as db:
        assert db["couples"].get(ours)["name"] == f"Couple {ann.username[3:]}"
        assert db["couples"].get(theirs)["time_zone"] == "Europe/Berlin"
        assert db["members"].get(dan.id)["display_name"] == "Dan"
    assert ann.get("/api/v1/me").status_code == 200 and cat.get("/api/v1/me").status_code == 200


def test_the_shared_app_lives_for_its_module_only(pytester):
    pytester.makepyfile(test_inner=textwrap.dedent("""
        seen = []

        def test_first(shared_app, new_couple):
            seen.append(shared_app)
            new_couple()

        def test_second(shared_app, new_couple, app):
            assert seen == [shared_app] and app is not shared_app
            ann, _bob = new_couple()
            assert ann.username == "ann2"  # numbered across the run: never the same username twice
    """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_live_client_hands_out_each_event_once(app):
    client = app.test_client()
    ann, bob = onboard_couple(client)
    live = listen(app, bob.token)
    ann.grant("rituals.checkin_reveal")
    first = live.received()
    assert first and live.received() == []
    ann.grant("rituals.checkin_reveal", False)
    second = live.received()
    assert second and live.received() == []
    assert live.events() == first + second  # events() still holds everything heard
    live.disconnect()


def test_listen_fails_for_a_token_the_server_refuses(app):
    with pytest.raises(AssertionError, match="refused"):
        listen(app, "not-a-token")


def test_the_pytest_plugin_is_the_module_with_the_hooks_and_fixtures():
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "hearthside"]
    assert plugin.value == "hearthside.testing.plugin"
    module = plugin.load()
    assert hasattr(module, "pytest_addoption") and hasattr(module, "make_app") and hasattr(module, "shared_app")


def test_every_public_name_is_importable_from_the_package():
    for name in kit.__all__:
        assert hasattr(kit, name), name


def test_no_module_of_the_kit_is_over_400_lines():
    folder = Path(kit.__file__).parent
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in folder.glob("*.py")}
    assert len(sizes) > 5 and max(sizes.values()) <= 400, sizes
