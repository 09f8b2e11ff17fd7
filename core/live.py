"""The live stream: committed events pushed over Socket.IO to the rooms allowed.

Flask-SocketIO in ``threading`` mode, served by gunicorn's gthread worker
(each socket holds one thread; see :mod:`hearthside.serve`).

* **Connect** authenticates with ``auth={"token": ...}`` (a bearer token) or,
  when no ``auth`` is sent, the browser's signed session cookie. Anything else
  is refused, and the refused transport session closed a second later. A
  member joins ``member:<id>`` and ``couple:<couple id>``; a wall device joins
  ``dashboard:<couple id>`` only.
* **Delivery**: the live hub hands every committed event to :meth:`Live.publish`,
  which sends message ``event`` to exactly ``event.rooms()`` - so a private
  event reaches its one member, never the partner or the wall. Members get
  ``event.as_dict()``; the wall gets ``event.as_wall_dict()`` (no actor).
* **Revocation**: before each delivery, the sockets of that couple whose token
  was revoked since they connected (device revoked, token revoked, password
  changed) are disconnected; a sweep every few seconds catches revocations that
  emit no event.
* **Origins**: browsers may connect only from the server's own origin
  (scheme and Host of the request); never ``*``. Clients that send no
  ``Origin`` (scripts, the test client) are judged by their token alone.
* **Strangers**: an open websocket holds a server thread, and the token only
  arrives in Socket.IO's CONNECT, after the Engine.IO handshake. So a transport
  that has not connected signed in within ``server.handshake_seconds`` is
  closed, and one address may hold at most
  ``server.unauthenticated_per_address`` such transports; the next handshake
  is refused with 429 ``too_many_connections``. Phones and the wall sign in
  within milliseconds of opening, so neither limit ever touches them.
* **Threads for pages**: live transports hold threads of their own budget
  (:func:`live_threads`), beside ``server.http_threads`` for pages and the
  API, and at most ``server.live_connections`` are signed in at once; the next
  is refused with a plain ``connect_error`` (docs/serving.md, issue 16, item 3).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

from flask import request, session
from flask_socketio import SocketIO, join_room
from socketio.exceptions import ConnectionRefusedError

from .request_context import get_db
from .auth import principal_for
from .errors import log_exception
from .events import Event
from .live_refusal import TOO_MANY, RefusalStatus

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
REFUSAL_GRACE_SECONDS = 1.0  # a refused client's own goodbye normally takes milliseconds
DOORMAN_TICK_SECONDS = 0.25
REFUSAL_LOG_SECONDS = 60.0  # one warning per address a minute: a stranger's retries must not fill the disk
TOO_MANY_MESSAGE = "Too many live connections from this address are waiting to sign in; try again in a few seconds."
FULL_MESSAGE = ("This server already holds as many live screens as it can ({cap}); pages still work. Close a "
                "screen you no longer use, or raise server.live_connections.")
ANSWER_ROOM = 16  # transports past the cap let in to hear FULL_MESSAGE in Socket.IO's words, then closed


def live_threads(config) -> int:
    """Threads the live transports may hold: one each, up to the cap and the room to refuse politely."""
    return config["server.live_connections"] + ANSWER_ROOM


@dataclass(frozen=True)
class Unsigned:
    """An Engine.IO transport that has not connected signed in yet."""

    address: str
    opened: float  # time.monotonic()


@dataclass(frozen=True)
class Connection:
    """What a socket authenticated as, kept to re-check its token later."""

    token_id: int
    couple_id: int
    member_id: int | None
    device_id: int | None


def same_origin(origin: str, environ: dict) -> bool:
    """Allow a browser Origin only if it is this server as the browser reached it.

    ``X-Forwarded-Proto`` is honoured (a TLS proxy in front) but not
    ``X-Forwarded-Host``: the Host header is what the browser addressed.
    """
    host = environ.get("HTTP_HOST")
    if not host:
        return False
    schemes = {environ.get("wsgi.url_scheme", "http")}
    forwarded = environ.get("HTTP_X_FORWARDED_PROTO")
    if forwarded:
        schemes.add(forwarded.split(",")[0].strip())
    return origin in {f"{scheme}://{host}" for scheme in schemes}


class Live:
    """The Socket.IO server of one app and its bridge from the live hub."""

    def __init__(self, app, hs):
        self.hs = hs
        self.socketio = SocketIO(app, async_mode="threading", cors_allowed_origins=same_origin,
                                 logger=False, engineio_logger=False)
        self._connections: dict[str, Connection] = {}
        self._unsigned: dict[str, Unsigned] = {}  # by Engine.IO session id
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None
        self._stopped = threading.Event()  # set by stop(): the sweep ends with the app
        self._doorman: threading.Thread | None = None
        self._warned: dict[str, float] = {}  # address -> when its last refusal was logged
        self.handshake_seconds = hs.config["server.handshake_seconds"]
        self.unsigned_per_address = hs.config["server.unauthenticated_per_address"]
        self.max_connections = hs.config["server.live_connections"]
        self.max_transports = live_threads(hs.config)
        self.socketio.on_event("connect", self._on_connect)
        self.socketio.on_event("disconnect", self._on_disconnect)
        self._watch_transports()
        app.wsgi_app = RefusalStatus(app.wsgi_app, retry_after=self.handshake_seconds)
        self.unsubscribe = hs.hub.subscribe(self.publish, with_db=True)

    # -- connections --------------------------------------------------------------

    def _on_connect(self, auth=None):
        """Authenticate, then join the rooms this caller may hear; refuse otherwise."""
        principal = principal_for(get_db(), self._secret(auth))
        if principal is None:
            self._end_session_after_refusal(request.sid)
            raise ConnectionRefusedError("unauthorized: connect with auth={'token': <token>} or sign in first")
        eio_sid = self.socketio.server.manager.eio_sid_from_sid(request.sid, "/")
        with self._lock:
            full = len(self._connections) >= self.max_connections
            if full:
                self._warn_refused("signed in", len(self._connections), "server.live_connections")
            else:
                self._connections[request.sid] = Connection(principal.token_id, principal.couple_id,
                                                            principal.member_id, principal.device_id)
                self._unsigned.pop(eio_sid, None)
        if full:
            self._end_session_after_refusal(request.sid)
            raise ConnectionRefusedError(FULL_MESSAGE.format(cap=self.max_connections))
        for room in self._rooms_for(principal):
            join_room(room)
        self._start_sweeper()

    def _end_session_after_refusal(self, sid: str) -> None:
        """Close the refused client's Engine.IO session a moment after its refusal.

        Socket.IO refuses the namespace but keeps the transport open for
        others; Hearthside has only one, so a refused session is dead weight.
        Over long-polling it holds a server thread in a waiting GET until the
        next ping (25 s), and python-engineio's client, closing at that moment,
        can lose its own CLOSE in a race and wait for that same ping. A short
        grace first lets the refusal go out and a well-behaved client close
        by itself (then there is nothing left to do); closing like engineio's
        own ping timeout does (``wait=False``) then answers the waiting GET.
        """
        eio_sid = self.socketio.server.manager.eio_sid_from_sid(sid, "/")
        if eio_sid is not None:
            self.socketio.start_background_task(self._close_refused, eio_sid)

    def _close_refused(self, eio_sid: str) -> None:
        time.sleep(REFUSAL_GRACE_SECONDS)
        self._close_transport(eio_sid)

    def _close_transport(self, eio_sid: str) -> None:
        """Close an Engine.IO session like engineio's own ping timeout does.

        ``wait=False`` answers a waiting long-poll GET at once; on a websocket
        the CLOSE goes out, the socket closes and its thread is free again.
        """
        eio = self.socketio.server.eio
        transport = eio.sockets.get(eio_sid)
        if transport is not None and not (transport.closed or transport.closing):
            transport.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)

    @staticmethod
    def _secret(auth) -> str | None:
        """The token to check: ``auth["token"]`` if sent (a wrong one never falls
        back to the cookie, as with bearer requests), else the session cookie's."""
        if auth is None or (isinstance(auth, dict) and "token" not in auth):
            return session.get("token")
        token = auth.get("token") if isinstance(auth, dict) else None
        return token if isinstance(token, str) else None

    @staticmethod
    def _rooms_for(principal) -> list[str]:
        if principal.is_member:
            return [f"member:{principal.member_id}", f"couple:{principal.couple_id}"]
        return [f"dashboard:{principal.couple_id}"]

    def _on_disconnect(self, *_reason):
        with self._lock:
            self._connections.pop(request.sid, None)

    # -- strangers: transports that never sign in ---------------------------------------

    def _watch_transports(self) -> None:
        """Count each new Engine.IO session as unsigned until its Socket.IO connect succeeds.

        Socket.IO's own handlers for these Engine.IO events still run after ours.
        """
        eio = self.socketio.server.eio
        on_open, on_close = eio.handlers["connect"], eio.handlers["disconnect"]

        def opened(eio_sid, environ):
            refusal = self._admit(eio_sid, environ)
            if refusal is not None:
                status, code, message = refusal
                environ.get(TOO_MANY, []).append(status)
                return {"error": {"code": code, "message": message}}
            return on_open(eio_sid, environ)

        def closed(eio_sid, *reason):
            with self._lock:
                self._unsigned.pop(eio_sid, None)
            return on_close(eio_sid, *reason)

        eio.on("connect", opened)
        eio.on("disconnect", closed)

    def _admit(self, eio_sid: str, environ: dict) -> tuple[str, str, str] | None:
        """Register a new transport as unsigned; or why not: (HTTP status, code, message).

        Refused when the live transports hold every thread of their budget,
        or when this address already holds its share of unsigned ones.
        """
        address = environ.get("REMOTE_ADDR", "")
        with self._lock:
            if len(self._unsigned) + len(self._connections) >= self.max_transports:
                self._warn_refused("every address", self.max_transports,
                                   "server.live_connections and the room to refuse more")
                return "503 SERVICE UNAVAILABLE", "too_many_live_connections", \
                    FULL_MESSAGE.format(cap=self.max_transports)
            held = sum(1 for unsigned in self._unsigned.values() if unsigned.address == address)
            if held >= self.unsigned_per_address:
                self._warn_refused(address, held, "server.unauthenticated_per_address")
                return "429 TOO MANY REQUESTS", "too_many_connections", TOO_MANY_MESSAGE
            self._unsigned[eio_sid] = Unsigned(address, time.monotonic())
            if self._doorman is None:
                self._doorman = threading.Thread(target=self._close_unsigned, name="hearthside-live-doorman",
                                                 daemon=True)
                self._doorman.start()
        return None

    def _warn_refused(self, address: str, held: int, limit: str) -> None:
        """Log a refusal, at most once a minute per address (called under the lock)."""
        now = time.monotonic()
        if now - self._warned.get(address, -REFUSAL_LOG_SECONDS) < REFUSAL_LOG_SECONDS:
            return
        self._warned = {a: t for a, t in self._warned.items() if now - t < REFUSAL_LOG_SECONDS}
        self._warned[address] = now
        if address == "signed in":
            log.warning("Refusing a live screen: %d are signed in, the most %s allows; pages still work",
                        held, limit)
        elif address == "every address":
            log.warning("Refusing live connections: %d are open, as many as the server keeps threads for (%s)",
                        held, limit)
        else:
            log.warning("Refusing live connections from %s: %d are open there without signing in (%s)",
                        address, held, limit)

    def _close_unsigned(self) -> None:
        """Close transports still unsigned after ``handshake_seconds``; stop once none is left.

        As with the sweep, stopping and clearing ``_doorman`` happen under the
        lock, so a transport opening at that moment always finds a doorman.
        """
        while True:
            time.sleep(DOORMAN_TICK_SECONDS)
            deadline = time.monotonic() - self.handshake_seconds
            with self._lock:
                if not self._unsigned:
                    self._doorman = None
                    return
                expired = [sid for sid, unsigned in self._unsigned.items() if unsigned.opened <= deadline]
                for eio_sid in expired:
                    del self._unsigned[eio_sid]
            for eio_sid in expired:
                try:
                    self._close_transport(eio_sid)
                except Exception as exc:
                    log_exception(log, exc, "Could not close a live connection that never signed in")

    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    # -- delivery -------------------------------------------------------------------

    def publish(self, event: Event, db=None) -> None:
        """Send a committed event to exactly the rooms its visibility allows.

        Sockets of the couple whose token has been revoked are dropped first,
        so a revoked wall never hears the next event (checked on ``db``, the
        sender's own connection, when given). Members and devices
        never share a room, so the phones get the event and the wall its own
        form of it (:meth:`Event.as_wall_dict`), each once.
        """
        self.drop_revoked(event.couple_id, db)
        wall_room = event.wall_room()
        self.socketio.emit("event", event.as_dict(), to=[room for room in event.rooms() if room != wall_room])
        if wall_room is not None:
            self.socketio.emit("event", event.as_wall_dict(), to=wall_room)

    def drop_revoked(self, couple_id: int | None = None, db=None) -> None:
        """Disconnect sockets (of one couple, or all) whose token is no longer valid."""
        with self._lock:
            watched = {sid: c for sid, c in self._connections.items() if couple_id in (None, c.couple_id)}
        if not watched:
            return
        token_ids = sorted({c.token_id for c in watched.values()})
        reusable = db is not None and not db.conn.in_transaction
        with contextlib.nullcontext(db) if reusable else self.hs.storage.connection() as reader:
            valid = {row[0] for row in reader.execute(
                f"SELECT id FROM tokens WHERE id IN ({','.join('?' * len(token_ids))}) AND revoked_at IS NULL",
                token_ids)}
        for sid, connection in watched.items():
            if connection.token_id not in valid:
                self._disconnect(sid)

    def _disconnect(self, sid: str) -> None:
        with self._lock:
            self._connections.pop(sid, None)
        try:
            self.socketio.server.disconnect(sid, namespace="/")
        except Exception:  # already gone: nothing left to close
            log.debug("Socket %s was already closed", sid)

    def close_all(self) -> None:
        """Disconnect every socket (the server is stopping; clients reconnect and catch up)."""
        with self._lock:
            sids = list(self._connections)
        for sid in sids:
            self._disconnect(sid)

    def stop(self) -> None:
        """The app is shutting down: close every socket and end the sweep (it would outlive the data folder)."""
        self._stopped.set()
        self.close_all()

    # -- the sweep --------------------------------------------------------------------

    def _start_sweeper(self) -> None:
        """Run the revocation sweep while any socket is connected (started on demand)."""
        with self._lock:
            if self._sweeper is not None:
                return
            self._sweeper = threading.Thread(target=self._sweep, name="hearthside-live-sweep", daemon=True)
            self._sweeper.start()

    def _sweep(self) -> None:
        """Every few seconds, drop revoked sockets; stop once none is connected.

        Deciding to stop and clearing ``_sweeper`` happen under the lock, so a
        socket connecting at that moment always finds a sweeper or starts one.
        """
        while not self._stopped.wait(SWEEP_SECONDS):
            with self._lock:
                if not self._connections:
                    self._sweeper = None
                    return
            try:
                self.drop_revoked()
            except Exception as exc:
                log_exception(log, exc, "The live revocation sweep failed; retrying")
        with self._lock:
            self._sweeper = None


def attach(app, hs) -> Live:
    """Create the app's live stream and keep it on ``hs.live``."""
    hs.live = Live(app, hs)
    return hs.live
