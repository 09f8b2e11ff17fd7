"""The data folder is readable by the server's user only.

Everything private lives in one folder: the database and its ``-wal`` and
``-shm``, the backups, the session key, the matcher key, the forget ledger
and whatever a plugin writes there. Folders are 0700 and files 0600, so on a
Pi shared with other accounts (or a NAS mounted for the whole family) nobody
else can read a byte of it.

Files are created that way (:func:`create_private_file`, :func:`write_private`),
and every start walks the folder once and tightens what an earlier version,
a ``cp`` or an unzip left wider: one walk covers the core and every plugin
alike. Writes go to ``<name>.partial`` and are renamed only once flushed
(:func:`fsync`), so a power cut or a full disk never leaves a half file
under the real name.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SERVING_LOCK = "serving.lock"


class DataFileDamaged(RuntimeError):
    """A file in the data folder is empty, damaged or not what it should be.

    A problem with the couple's data - to restore from a backup - not with the
    installation: ``hearthside serve`` says so in one sentence and names the
    newest backup. Raise it (a subclass of it) from a plugin's start-up hook
    for a key or data file of its own; the message names the file.
    """


class FolderInUse(RuntimeError):
    """A Hearthside server is running on this data folder."""


def hold_serving_lock(data_dir: Path):
    """Mark the data folder as served for as long as the returned file stays open.

    An advisory lock (``flock``) the kernel drops when the process ends,
    however it ends, so a killed server never leaves a stale lock behind.
    A second server on the same folder is refused (its in-process write lock
    would not see the first one's writers), and so is ``hearthside restore``.
    """
    path = Path(data_dir) / SERVING_LOCK
    create_private_file(path)
    held = open(path, "rb")
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.close()
        raise FolderInUse(f"a Hearthside server is already running on {data_dir}") from None
    return held


def is_served(data_dir: Path) -> bool:
    """Whether a server holds :func:`hold_serving_lock` on ``data_dir`` right now."""
    path = Path(data_dir) / SERVING_LOCK
    if not path.is_file():
        return False
    with open(path, "rb") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def secure_data_folder(data_dir: Path) -> list[str]:
    """Make the folder and everything under it private; returns one line per thing tightened.

    Symbolic links are neither followed nor changed: what they point to is
    not the data folder's. The lines name paths relative to the folder and
    the modes, never anything inside a file.
    """
    data_dir = Path(data_dir)
    changed = [_tighten(data_dir, data_dir, FOLDER_MODE)]
    for folder, subfolders, files in os.walk(data_dir):
        for name in subfolders:
            changed.append(_tighten(data_dir, Path(folder, name), FOLDER_MODE))
        for name in files:
            changed.append(_tighten(data_dir, Path(folder, name), FILE_MODE))
    return [line for line in changed if line]


def _tighten(data_dir: Path, path: Path, mode: int) -> str | None:
    try:
        info = path.lstat()
    except FileNotFoundError:  # gone since the walk listed it (a -journal, a .partial)
        return None
    if stat.S_ISLNK(info.st_mode):
        return None
    old = stat.S_IMODE(info.st_mode)
    if not old & 0o077:  # already the owner's only (0600, or stricter such as 0400)
        return None
    os.chmod(path, mode)
    line = f"{path.relative_to(data_dir).as_posix() or '.'}: {old:04o} -> {mode:04o}"
    log.info("Data folder: tightened %s (only the server's user may read it)", line)
    return line


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist, so its first byte is private.

    SQLite gives a database's ``-wal``, ``-shm`` and ``-journal`` the mode of
    the database file, so creating the file this way before the first
    connect makes them private too.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield ``<name>.partial`` (created empty, 0600) to write; on success flush it and rename it to ``path``.

    A write that fails half-way (a full disk, a crash) never carries the real
    name: the partial file and its SQLite ``-journal`` are removed and the
    error goes on. A leftover partial of an earlier crash is replaced, whatever its mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        create_private_file(partial)  # 0600 from the first byte, and SQLite's -journal beside it too
        yield partial
        fsync(partial)
    except BaseException:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    partial.replace(path)
    fsync(path.parent)  # the rename itself survives a power cut


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` readable by this user only (0600 from the first byte), atomically."""
    with replacing(path) as partial:
        partial.write_bytes(data)
    return path


def private_workdir(near: Path) -> Path:
    """A private scratch folder (0700) on the data folder's disk: copies of private data never go to /tmp."""
    near.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    return Path(tempfile.mkdtemp(prefix=".bundle-", dir=near))


def fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to the disk: a Pi gets unplugged."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
