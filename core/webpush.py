"""Web Push, written on ``cryptography``: the server's VAPID key, RFC 8291 encryption, RFC 8292 signing.

A push message goes from this server to the phone's push service (Google,
Apple, Mozilla), which holds it until the phone is reachable. Two things keep
that service out of the members' business:

* **RFC 8291 (aes128gcm)**: the payload is encrypted for the one browser that
  subscribed, with the P-256 key and the 16-byte auth secret it handed us; the
  push service forwards ciphertext it cannot read. Every payload is padded to
  the same size (:data:`PADDED_SIZE`), so its length says nothing either.
* **RFC 8292 (VAPID)**: each request carries a short-lived token signed with
  this server's own P-256 key, so the push service accepts messages for the
  subscription only from the server the browser subscribed with.

The VAPID key is made on first use, kept in ``<data_dir>/vapid.key`` (mode
0600, like the session key) and carried by backup bundles (the core's
``hearthside_backup_files``): a new key would orphan every subscription.

Why not pywebpush: it pulls in aiohttp and requests (12 packages, about 15 MB)
and takes about 250 ms to import on the Pi-sized machine; what Hearthside needs
of it is the hundred lines below (docs/architecture.md, "Notifications").
"""

from __future__ import annotations

import base64
import json
import os
import struct
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .datafolder import DataFileDamaged

VAPID_KEY_FILE = "vapid.key"
RECORD_SIZE = 4096
# Every plaintext is padded to this many bytes (the payload, the 0x02 delimiter, zeros): a content-free
# message and a detailed one look the same size to the push service. Payloads are kept under it.
PADDED_SIZE = 1024
TOKEN_SECONDS = 12 * 3600  # RFC 8292: at most 24 hours


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Base64url without padding, as browsers give subscription keys; ValueError if it is not."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ValueError("not base64url") from None


def load_or_create_vapid_key(data_dir: Path) -> ec.EllipticCurvePrivateKey:
    """The server's VAPID key, made (0600, exclusively) the first time anyone needs it."""
    path = Path(data_dir) / VAPID_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            return serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError:
            raise DataFileDamaged(f"the push key {path} is damaged (deleting it makes a new one; every phone "
                                  "then subscribes again from its Notifications page)") from None
    key = ec.generate_private_key(ec.SECP256R1())
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
        handle.flush()
        os.fsync(handle.fileno())
    return key


def public_key_bytes(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed point (65 bytes): what ``applicationServerKey`` and the ``k=`` parameter carry."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def check_subscription_keys(p256dh: str, auth: str) -> None:
    """ValueError naming the key unless they are a P-256 point and a 16-byte secret, as browsers send."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(p256dh))
    except ValueError:
        raise ValueError("keys.p256dh") from None
    try:
        secret = unb64url(auth)
    except ValueError:
        raise ValueError("keys.auth") from None
    if len(secret) != 16:
        raise ValueError("keys.auth")


def encrypt(plaintext: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm body of RFC 8291 for one subscription, padded to :data:`PADDED_SIZE`."""
    if len(plaintext) >= PADDED_SIZE:
        raise ValueError(f"a push payload must stay under {PADDED_SIZE} bytes")
    ua_public = unb64url(p256dh)
    receiver = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    as_public = public_key_bytes(ephemeral)
    shared = ephemeral.exchange(ec.ECDH(), receiver)
    ikm = _hkdf(unb64url(auth), shared, b"WebPush: info\x00" + ua_public + as_public, 32)
    salt = os.urandom(16)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    record = plaintext + b"\x02" + b"\x00" * (PADDED_SIZE - len(plaintext) - 1)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + AESGCM(cek).encrypt(nonce, record, None)


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def vapid_header(key: ec.EllipticCurvePrivateKey, endpoint: str, subject: str, now: float) -> str:
    """``Authorization: vapid t=<JWT>, k=<public key>`` for a push to ``endpoint`` (RFC 8292)."""
    parts = urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}", "exp": int(now) + TOKEN_SECONDS, "sub": subject}
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode())
                             for part in ({"typ": "JWT", "alg": "ES256"}, claims))
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # JWS wants r || s, not DER
    return f"vapid t={signing_input}.{b64url(signature)}, k={b64url(public_key_bytes(key))}"
