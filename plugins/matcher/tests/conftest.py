"""What only the matcher's tests need, besides the kit's fixtures (hearthside.testing).

Most modules share one app per module (the kit's ``shared_app``)
with a fresh couple per test (``pair``, ``other_pair``); ``matcher_clock`` is
the matcher's own notion of now, moved by hand.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hearthside.testing import FakeClock


@pytest.fixture
def pair(new_couple):
    """A new couple on the module's app: ``ann, bob = pair`` (usernames annN, bobN)."""
    ann, bob = new_couple()
    assert bob.token, "the partner could not join"
    return ann, bob


@pytest.fixture
def other_pair(new_couple):
    """Another new couple on the same app: ``cat, dan = other_pair``."""
    return new_couple("cat", "dan")


@pytest.fixture
def matcher_clock() -> FakeClock:
    """The clock (``utc_now``), starting at 2030-05-01 12:00 UTC and moved by hand."""
    clock = FakeClock(datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc))
    with clock.as_now():
        yield clock
