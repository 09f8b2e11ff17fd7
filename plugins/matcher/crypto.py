"""Encryption at rest for answers, notes and custom items.

Why: a copied database file or a backup should not reveal anyone's list.
How: AES-256-GCM (``cryptography``'s AESGCM) with a random 96-bit nonce per
write. The key is 32 random bytes in ``<data dir>/matcher.key`` (mode 0600),
*outside* the database file, so ``hearthside.db`` and ``backups/*.db`` alone
are ciphertext for this plugin. Each ciphertext is bound to its row (the
associated data names the table, the member and the item), so a blob copied
into another member's row fails to decrypt instead of changing their answer.

What it does not protect against is written in docs/plugins/matcher.md:
someone with the whole data folder (key included), root on the Pi, or the
running server can read everything.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import stat
import weakref
from pathlib import Path

from hearthside.plugin_api import DataFileDamaged, Unavailable

log = logging.getLogger(__name__)

KEY_FILE = "matcher.key"
FORMAT = b"\x01"  # first byte of every blob: lets a later version change the scheme
NONCE_BYTES = 12


class KeyUnavailable(DataFileDamaged):
    """The key file is damaged or does not open what the database holds: a data problem, not an install one."""


class Cipher:
    def __init__(self, key: bytes):
        if len(key) != 32:
            raise KeyUnavailable("the matcher key must be 32 bytes")
        self._key = key
        self._aead = None

    def _cipher(self):
        """AES-GCM, with ``cryptography`` imported at the first answer rather than at start.

        The import alone adds ~7 MiB to the server's memory, in gunicorn's master
        as well as its worker, for a list a couple opens now and then
        (benchmarks/README.md). Two threads racing here build equal ciphers.
        """
        if self._aead is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead = AESGCM(self._key)
        return self._aead

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return FORMAT + nonce + self._cipher().encrypt(nonce, plaintext, context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        if not blob or blob[:1] != FORMAT:
            raise KeyUnavailable("an encrypted value has an unknown format")
        nonce, body = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
        aead = self._cipher()
        from cryptography.exceptions import InvalidTag  # already loaded by _cipher()

        try:
            return aead.decrypt(nonce, body, context.encode())
        except InvalidTag:
            raise KeyUnavailable("an encrypted value does not open with this key") from None


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE


def read_key(data_dir: Path) -> bytes | None:
    """The key, or None when there is no key file yet."""
    path = key_path(data_dir)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        # A restore with cp or an unzip can widen the mode; narrow it again.
        os.chmod(path, 0o600)
        log.warning("%s was readable by other users; its mode is now 0600", path)
    if not text:
        raise KeyUnavailable(f"the matcher's key {path} is empty; without it the matcher's answers cannot be "
                             "opened")
    try:
        return base64.urlsafe_b64decode(text)
    except ValueError:
        raise KeyUnavailable(f"{path} is not a Hearthside matcher key") from None


def create_key(data_dir: Path) -> bytes:
    """Write a new random key (0600, never overwriting one) and return it."""
    path = key_path(data_dir)
    key = secrets.token_bytes(32)  # what AESGCM.generate_key(bit_length=256) does, without the import
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode("ascii") + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


# -- this server's key, loaded once at start -----------------------------------------

_ciphers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def prepare_key(hs) -> None:
    """At start: load the key, or make one when nothing encrypted exists yet.

    If encrypted rows exist but the key file is gone, no new key is made (it
    could never open them); the API answers 503 until the key is put back.
    """
    data_dir = hs.config.data_dir
    try:
        key = read_key(data_dir)
    except KeyUnavailable as exc:
        log.error("The matcher cannot open answers: %s. Restore the key file from the backup of this "
                  "database; until then the matcher answers 503", exc)
        return
    if key is None:
        with hs.storage.connection() as db:
            holds_data = any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                             for table in ("matcher_answers", "matcher_custom_items"))
        if holds_data:
            log.error("The matcher key file (matcher.key) is missing from the data folder, but the database "
                      "holds encrypted answers: restore the key file that belongs to this database")
            return
        key = create_key(data_dir)
        log.info("Created the matcher's encryption key in the data folder")
    _ciphers[hs] = Cipher(key)


def has_key(hs) -> bool:
    """Was the key loaded at start (without it nothing can be read, and the API says so)."""
    return hs in _ciphers


def cipher(hs) -> Cipher:
    found = _ciphers.get(hs)
    if found is None:
        unavailable()
    return found


def unavailable():
    raise Unavailable(
        "matcher_key_unavailable",
        "The yes/no/maybe list can't be opened: the server's matcher key (matcher.key in the data folder) "
        "is missing or does not belong to this database. Restore the key file from the same backup.")


def open_json(hs, blob: bytes, context: str) -> dict:
    """The JSON sealed in ``blob`` for its row (``context``), or 503 when the key cannot open it."""
    try:
        return json.loads(cipher(hs).open(blob, context))
    except KeyUnavailable:
        unavailable()


def seal_json(hs, data: dict, context: str) -> bytes:
    """``data`` as JSON, sealed for its row (``context``)."""
    return cipher(hs).seal(json.dumps(data, separators=(",", ":")).encode(), context)
