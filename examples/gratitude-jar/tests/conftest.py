"""The gratitude jar's own fixtures.

hearthside.testing's fixtures - ``ann``, ``bob``, ``wall``, ``clock``,
``scheduler``, ``sockets``, ``privacy_matrix`` and the rest - come with
Hearthside through its pytest plugin; what only the jar's tests need is here.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest


@pytest.fixture
def evening_draw(ann, bob, scheduler, clock):
    """``evening_draw()``: both partners turn the draw on, and it runs at 20:05 on 10 June 2024 in their zone.

    One note waiting in the jar is drawn, for the wall and both phones: the
    start of every test about what happens to a note once it was drawn.
    """
    def draw() -> None:
        for member in (ann, bob):
            member.grant("dashboard.gratitude_jar")
        clock.set(datetime(2024, 6, 10, 20, 5, tzinfo=ZoneInfo("Europe/Berlin")))
        scheduler.run("gratitude_jar.evening_draw")

    return draw
