"""Passphrase encryption of a backup bundle.

Why: a bundle holds everything both partners wrote and the keys that open
it; once it leaves the Pi (a download, a USB stick) the file itself is the
only lock. With a passphrase the bundle is sealed with AES-256-GCM under a
key stretched from the passphrase by scrypt.

The file format::

    HEARTHSIDE-BUNDLE-ENC-1\\n
    {"kdf": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<b64>", "nonce": "<b64>"}\\n
    <ciphertext of the zip, with the GCM tag at its end>

The magic line and the header line are the associated data, so a header
changed on disk (weaker scrypt parameters, another salt) fails to open
instead of being trusted. scrypt with n=2**15, r=8, p=1 (32 MiB of memory)
takes about 80 ms on the 2-core machine this was written on and a few hundred
on a Raspberry Pi 4; the parameters travel in the header, so a later version
can raise them and still open old bundles. The whole zip is sealed in one
piece in memory (AES-GCM here takes up to 2 GiB), which suits a home database.
"""

from __future__ import annotations

import base64
import json
import secrets

MAGIC = b"HEARTHSIDE-BUNDLE-ENC-1\n"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
MAX_SCRYPT_N = 2**20  # a header asking for more memory than a Pi has is refused, not obeyed
WRONG_PASSPHRASE = "the passphrase does not open this bundle"


class BundleLocked(Exception):
    """The bundle is encrypted and the passphrase is missing or wrong, or its header is damaged."""


def is_encrypted(head: bytes) -> bool:
    """Whether a file starting with ``head`` is an encrypted bundle."""
    return head.startswith(MAGIC)


def encrypt(plaintext: bytes, passphrase: str) -> bytes:
    """The encrypted file's bytes for ``plaintext`` (the zip) under ``passphrase``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = {"kdf": "scrypt", **SCRYPT, "salt": _b64(salt), "nonce": _b64(nonce)}
    header_line = json.dumps(header, separators=(",", ":")).encode() + b"\n"
    key = _derive(passphrase, salt, header)
    return MAGIC + header_line + AESGCM(key).encrypt(nonce, plaintext, MAGIC + header_line)


def decrypt(data: bytes, passphrase: str | None) -> bytes:
    """The zip inside an encrypted bundle; :class:`BundleLocked` when it does not open."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if passphrase is None:
        raise BundleLocked("this bundle is encrypted: give its passphrase with --passphrase-file "
                           "or --passphrase-prompt")
    header_line, _, ciphertext = data[len(MAGIC):].partition(b"\n")
    header = _read_header(header_line)
    key = _derive(passphrase, base64.b64decode(header["salt"]), header)
    try:
        return AESGCM(key).decrypt(base64.b64decode(header["nonce"]), ciphertext, MAGIC + header_line + b"\n")
    except InvalidTag:
        raise BundleLocked(WRONG_PASSPHRASE) from None


def _read_header(line: bytes) -> dict:
    try:
        header = json.loads(line)
        valid = (header.get("kdf") == "scrypt" and all(isinstance(header.get(k), int) for k in SCRYPT)
                 and 2 <= header["n"] <= MAX_SCRYPT_N and len(base64.b64decode(header["nonce"])) == 12
                 and base64.b64decode(header["salt"]))
    except (ValueError, TypeError, AttributeError, KeyError):
        valid = False
    if not valid:
        raise BundleLocked("the bundle's encryption header is damaged")
    return header


def _derive(passphrase: str, salt: bytes, params: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    try:
        return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(
            passphrase.encode("utf-8"))
    except (ValueError, MemoryError):
        raise BundleLocked("the bundle's encryption header is damaged") from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
