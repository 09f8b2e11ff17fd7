"""A push service and an ntfy server of the test's own, on 127.0.0.1: what a notification really carried.

:class:`PushEndpoint` plays both sides a browser and Google/Apple/Mozilla
play: :meth:`PushEndpoint.subscribe` makes a subscription the way a browser
does (a P-256 key pair and a 16-byte auth secret, kept here), and the HTTP
server takes the server's POSTs for it, checks the VAPID token against the
server's public key (``aud`` the endpoint's origin, ``exp`` in the future,
ES256 signature) and decrypts the aes128gcm body with the subscription's own
keys - written here from RFC 8291 with ``hmac``, not with the server's code,
so a mistake there cannot hide itself. Each POST is kept as a :class:`Pushed`
with the decrypted JSON; a token or body that does not check out is answered
400 and kept in :attr:`PushEndpoint.problems`.

:class:`NtfyStandIn` takes ntfy's JSON publishing (``POST /`` with
``{"topic", "title", "message", ...}``) and keeps each message with its headers.

The app must accept ``http://127.0.0.1`` endpoints: build it with
``flags={"notifications.loopback_http": True}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


@dataclass
class BrowserSubscription:
    """One browser's subscription: its keys never leave the test, the server gets :meth:`as_json`."""

    name: str
    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def public(self) -> bytes:
        return self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)

    def as_json(self) -> dict:
        """What ``PushSubscription.toJSON()`` gives a page to send to its server."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": _b64(self.public()), "auth": _b64(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 decryption of an aes128gcm body (one record), padding removed."""
        salt, keyid_length = body[:16], body[20]
        sender = body[21:21 + keyid_length]
        shared = self.key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender))
        ikm = _hmac(_hmac(self.auth, shared), b"WebPush: info\x00" + self.public() + sender + b"\x01")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
        nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
        record = AESGCM(cek).decrypt(nonce, body[21 + keyid_length:], None).rstrip(b"\x00")
        if not record.endswith(b"\x02"):
            raise ValueError("the last record does not end with the 0x02 delimiter")
        return record[:-1]


@dataclass
class Pushed:
    """One push the endpoint took: for which subscription, its size, headers, token claims and message."""

    name: str
    size: int
    headers: dict
    claims: dict
    message: dict


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True


class _LocalServer:
    """A threaded HTTP server on 127.0.0.1 with a free port, stopped on exit."""

    def __init__(self, handler):
        self.server = _Recorder(("127.0.0.1", 0), handler)
        self.server.owner = self
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        # serve_forever looks for shutdown() every poll_interval (0.5 s by default): each test's stop waited that.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PushEndpoint(_LocalServer):
    """The local push service: ``with PushEndpoint(server_key) as push: sub = push.subscribe("ann-phone")``.

    ``server_key`` is the server's VAPID public key as base64url (``push_key``
    of ``GET /api/v1/me/notifications``). :meth:`answer` sets the status the
    endpoint gives a subscription's POSTs (201 until told otherwise, e.g. 410).
    """

    def __init__(self, server_key: str):
        self.server_key = server_key
        self.subscriptions: dict[str, BrowserSubscription] = {}
        self.pushed: list[Pushed] = []
        self.problems: list[str] = []
        self.statuses: dict[str, int] = {}
        super().__init__(_PushHandler)

    def subscribe(self, name: str) -> BrowserSubscription:
        made = BrowserSubscription(name, f"{self.base}/push/{name}")
        self.subscriptions[name] = made
        return made

    def answer(self, name: str, status: int) -> None:
        self.statuses[name] = status

    def received(self, name: str) -> list[dict]:
        """The decrypted messages ``name``'s subscription got, oldest first."""
        return [push.message for push in self.pushed if push.name == name]

    def check(self, name: str, headers: dict, body: bytes) -> Pushed:
        """The push, verified and decrypted; ValueError saying what does not check out."""
        subscription = self.subscriptions.get(name)
        if subscription is None:
            raise ValueError(f"no subscription {name!r}")
        claims = self._claims(headers.get("Authorization", ""))
        if headers.get("Content-Encoding") != "aes128gcm" or not headers.get("TTL", "").isdigit():
            raise ValueError("missing Content-Encoding: aes128gcm or TTL")
        return Pushed(name, len(body), headers, claims, json.loads(subscription.decrypt(body)))

    def _claims(self, authorization: str) -> dict:
        scheme, _, params = authorization.partition(" ")
        values = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        if scheme != "vapid" or values.get("k") != self.server_key:
            raise ValueError("not a vapid token for the server's key")
        header, claims, signature = values["t"].split(".")
        raw = _unb64(signature)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(self.server_key))
        try:
            public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                          f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ValueError("the vapid token's signature is wrong") from None
        if json.loads(_unb64(header)) != {"typ": "JWT", "alg": "ES256"}:
            raise ValueError("the vapid token is not ES256")
        decoded = json.loads(_unb64(claims))
        if decoded.get("aud") != self.base or not time.time() < decoded.get("exp", 0) <= time.time() + 86400:
            raise ValueError("the vapid token's aud or exp is wrong")
        if not str(decoded.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError("the vapid token has no sub")
        return decoded


class _PushHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        owner: PushEndpoint = self.server.owner
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        name = self.path.removeprefix("/push/")
        try:
            pushed = owner.check(name, dict(self.headers), body)
        except (ValueError, KeyError) as exc:
            owner.problems.append(f"{name}: {exc}")
            self.send_response(400)
        else:
            owner.pushed.append(pushed)
            self.send_response(owner.statuses.get(name, 201))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args):
        pass


class NtfyStandIn(_LocalServer):
    """The local ntfy server: ``base`` is its address; :attr:`published` the JSON messages, with their headers."""

    def __init__(self):
        self.published: list[dict] = []
        super().__init__(_NtfyHandler)


class _NtfyHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        owner: NtfyStandIn = self.server.owner
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        owner.published.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args):
        pass
