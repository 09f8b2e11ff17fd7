"""What only the touch plugin's tests need, besides the kit's fixtures (hearthside.testing)."""

from __future__ import annotations

import pytest
from touch_testing import only_touch


@pytest.fixture
def app(make_app):
    """A lean app for the logic tests: the core and touch only, so another plugin's work in progress
    cannot change what these tests see (test_touch_privacy.py runs with every plugin)."""
    return make_app(flags=only_touch())
