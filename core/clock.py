"""The one clock: what "now" is, for the core and every plugin.

Code that needs the time calls ``utc_now()`` (``hearthside.plugin_api``
exports it) rather than ``datetime.now``: a test then moves time in one place
for everything, instead of patching one private clock per plugin.

* ``utc_now(hs)`` - in a scheduled job and what it calls: the scheduler's
  clock, so a job and the test that drives it (``hearthside.testing``'s
  ``scheduler``) agree on "now".
* ``utc_now()`` - anywhere else: the process clock. It is the real time,
  unless a test put a ``FakeClock`` in (``with clock.as_now(): ...``); the
  scheduler's own clock is this one unless it was given another.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

_source: Callable[[], datetime] | None = None  # a test's clock while it is in use


def utc_now(hs=None) -> datetime:
    """Now, as an aware UTC datetime: the scheduler's clock given ``hs`` with one, else the process clock."""
    scheduler = getattr(hs, "scheduler", None)
    if scheduler is not None:
        return scheduler.clock()
    return _source() if _source is not None else datetime.now(timezone.utc)


def use(source: Callable[[], datetime] | None) -> Callable[[], datetime] | None:
    """Make ``source`` the process clock (None: the real time again); returns the one it replaces."""
    global _source
    previous, _source = _source, source
    return previous
