"""What only the transparency log's tests need, besides the kit's fixtures (hearthside.testing).

Each module shares one app (the kit's ``shared_app``); each test gets its own
couples on it, made through the real API by the kit's ``new_couple``.
"""

from __future__ import annotations

import pytest
from transparency_testing import share

from hearthside.testing import Member


def sharing_couple(new_couple, sharing: bool = True) -> tuple[Member, Member]:
    """Ann and Bob (display names) in a new couple in Berlin, both sharing their log unless ``sharing`` is off."""
    ann, bob = new_couple(display_names=("Ann", "Bob"), time_zone="Europe/Berlin")
    if sharing:
        share(ann)
        share(bob)
    return ann, bob


@pytest.fixture
def pair(new_couple):
    """A new couple, Ann and Bob, both sharing what they write in the log."""
    return sharing_couple(new_couple)


@pytest.fixture
def shy_pair(new_couple):
    """A new couple where nobody has turned sharing on yet."""
    return sharing_couple(new_couple, sharing=False)


@pytest.fixture
def strangers(new_couple):
    """Another couple on the same server, both sharing."""
    return sharing_couple(new_couple)
