"""Files only the server's user can read, from their first byte.

Backups and keys hold everything a couple wrote. A file created with the
default mode and narrowed afterwards is readable by others for a moment (and
for good, if the chmod never comes); ``os.open(..., 0o600)`` never is. Writes
go to ``<name>.partial`` and are renamed only once flushed, so a power cut or a
full disk never leaves a half file under the real name.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` readable by this user only (0600 from the first byte), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_workdir(near: Path) -> Path:
    """A private scratch folder (0700) on the data folder's disk: copies of private data never go to /tmp."""
    near.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".bundle-", dir=near))
