"""What only the matcher's tests need, besides the kit's fixtures (hearthside.testing).

Their data lives in memory where the machine has /dev/shm: the same real
SQLite files, without the disk syncs the matcher's many small writes would
wait for. Most modules share one app per module (the kit's ``shared_app``)
with a fresh couple per test (``pair``, ``other_pair``); ``matcher_clock`` is
the matcher's own notion of now, moved by hand.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hearthside.testing import FakeClock


def _memory_folder(fallback: Path):
    """A folder in /dev/shm when the machine has one, else ``fallback``; and how to remove it afterwards."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return fallback, lambda: None
    folder = Path(tempfile.mkdtemp(prefix="hearthside-matcher-", dir=shm))
    return folder, lambda: shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def data_dir(tmp_path):
    """The kit's ``data_dir``, in memory."""
    folder, remove = _memory_folder(tmp_path)
    yield folder / "data"
    remove()


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory):
    """The kit's ``shared_data_dir``, in memory."""
    folder, remove = _memory_folder(tmp_path_factory.mktemp("matcher-shared"))
    yield folder / "data"
    remove()


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
