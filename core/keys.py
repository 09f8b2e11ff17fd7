"""The secret key that signs browser sessions.

It is generated into the data folder on first start, readable only by the
server's user (mode 0600), and never kept in the config file: a config file
gets copied into forum posts and backups of dotfiles; the data folder is the
one place that already holds everything private.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .datafolder import DataFileDamaged

KEY_FILE = "secret_key"


def load_or_create_secret_key(data_dir: Path) -> str:
    path = Path(data_dir) / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if not key:  # Flask would sign sessions with an empty key
            raise DataFileDamaged(f"the session key {path} is empty (deleting it lets the server make a new "
                                  "one; everyone signs in again)") from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key
