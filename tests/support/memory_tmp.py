"""The tests' temporary folders live in memory (``/dev/shm``) where the machine has it.

Nearly every test builds an app on a fresh data folder, and the database
syncs every commit to disk (``synchronous=FULL``, which the product keeps).
On a disk each of those syncs waits for the device: in the everyday lane that
wait was a fifth of the wall time. On tmpfs the same SQLite files get the
same ``fsync`` calls, which return at once. What a test can observe (file
modes, renames, locks, a killed process losing nothing) is the same there.

Loaded with ``-p`` from ``addopts`` (pyproject.toml). It only chooses pytest's
temporary root, through pytest's documented ``PYTEST_DEBUG_TEMPROOT``; folders
are still numbered and kept (the last three runs) as usual, under
``/dev/shm/pytest-of-<user>/``. An explicit ``--basetemp`` or
``PYTEST_DEBUG_TEMPROOT`` wins, and ``HEARTHSIDE_TESTS_ON_DISK=1`` keeps the
default (the system's temporary folder), e.g. to watch the disk's wait.
"""

from __future__ import annotations

import os
from pathlib import Path

MEMORY = Path("/dev/shm")


def memory_root() -> Path | None:
    """``/dev/shm`` if it is a writable folder and nobody chose otherwise, else None."""
    if os.environ.get("HEARTHSIDE_TESTS_ON_DISK") or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return None
    if MEMORY.is_dir() and os.access(MEMORY, os.W_OK | os.X_OK):
        return MEMORY
    return None


def pytest_configure(config) -> None:
    if hasattr(config, "workerinput") or config.option.basetemp:
        return  # an xdist worker gets its folder from the controller; a chosen --basetemp stays
    root = memory_root()
    if root is not None:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(root)
