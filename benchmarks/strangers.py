"""Strangers: raw Engine.IO websockets that never sign in, against health.

A stranger on the home Wi-Fi opens N websockets (``/socket.io/?transport=websocket``)
and never sends Socket.IO's CONNECT; every quarter second it replaces each
one the server refused (429) or closed, so N are always open or opening. Meanwhile one
client asks ``GET /api/v1/health`` one request after another. Figures: health
p50 / p99 with the strangers vs the same server with none (same run), health
requests with no answer within 2 s, what the strangers got (101 or 429), and
the server's threads. A second server with the limits set as loose as the
settings allow (``server.handshake_seconds`` 60, ``server.unauthenticated_per_address``
1000) shows what the limits are for. Also: the OS threads one signed-in
websocket costs (gunicorn's thread, simple-websocket's reader, engineio's
writer and ping task).
"""

from __future__ import annotations

import socket
import threading
import time

import requests
import socketio

from .live_path import percentile
from .report import Figure
from .servers import Couple, Server

NO_ANSWER_SECONDS = 2.0
ROUND_SECONDS = 0.25
LOOSE = {"HEARTHSIDE_SERVER__HANDSHAKE_SECONDS": "60", "HEARTHSIDE_SERVER__UNAUTHENTICATED_PER_ADDRESS": "1000"}
UPGRADE = ("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


class Stranger:
    """Keeps ``count`` unsigned websockets open, replacing each one the server refuses or closes, in a thread."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.statuses: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def _open(self) -> socket.socket | None:
        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            raw.sendall(UPGRADE.format(port=self.port).encode())
            raw.setblocking(False)
            return raw
        except OSError:
            self._count("connect failed")
            return None

    def _still_held(self, raw: socket.socket, answered: set) -> bool:
        """Read what arrived; False once the server refused or closed this socket."""
        try:
            data = raw.recv(65536)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if data and raw.fileno() not in answered:
            answered.add(raw.fileno())
            status = data.split(b" ", 2)[1].decode()
            self._count(status)
            if status != "101":
                return False
        if not data:
            self._count("closed by the server")
            return False
        return True

    def _run(self) -> None:
        held: list[socket.socket] = []
        answered: set[int] = set()
        while not self._stop.is_set():
            keep = []
            for raw in held:
                if self._still_held(raw, answered):
                    keep.append(raw)
                else:
                    answered.discard(raw.fileno())
                    raw.close()
            held = keep + [raw for raw in (self._open() for _ in range(self.count - len(keep))) if raw]
            self._stop.wait(ROUND_SECONDS)
        for raw in held:
            raw.close()

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.statuses


def health_latencies(url: str, seconds: float) -> tuple[list[float], int]:
    """Health one request after another for ``seconds``: latencies (ms) and requests with no answer."""
    latencies, unanswered = [], 0
    session = requests.Session()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            session.get(url + "/api/v1/health", timeout=NO_ANSWER_SECONDS).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
        except requests.RequestException:
            unanswered += 1
            session = requests.Session()
    return latencies, unanswered


def threads_per_signed_in_socket(server: Server, couple: Couple, sockets: int = 10) -> float:
    idle = server.threads()
    clients = []
    for _ in range(sockets):
        client = socketio.Client(reconnection=False)
        client.connect(server.url, auth={"token": couple.ann.token}, transports=["websocket"], wait_timeout=10)
        clients.append(client)
    time.sleep(0.5)
    held = server.threads()
    for client in clients:
        client.disconnect()
    return (held - idle) / sockets


def attacked(server: Server, strangers: int, seconds: float) -> tuple[list[float], int, dict, int]:
    stranger = Stranger(server.port, strangers)
    time.sleep(1)  # the first ones are open
    latencies, unanswered = health_latencies(server.url, seconds)
    threads = server.threads()
    return latencies, unanswered, stranger.stop(), threads


def run(strangers: int = 300, seconds: float = 12) -> list[Figure]:
    figures = []
    with Server("hearthside") as server:
        couple = Couple(server.url)
        per_socket = threads_per_signed_in_socket(server, couple)
        calm, _ = health_latencies(server.url, seconds / 2)
        calm_threads = server.threads()
        latencies, unanswered, statuses, threads = attacked(server, strangers, seconds)
    label = f"{strangers} unsigned websockets held open"
    got = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    figures += [
        Figure("strangers", f"health p50, {label}", percentile(latencies, 0.5), "ms", percentile(calm, 0.5),
               "none", note=f"{len(latencies)} requests"),
        Figure("strangers", f"health p99, {label}", percentile(latencies, 0.99), "ms", percentile(calm, 0.99),
               "none"),
        Figure("strangers", f"health requests unanswered within {NO_ANSWER_SECONDS:g} s, {label} "
                            f"(strangers got {got})", unanswered, "", max_value=0),
        Figure("strangers", f"server threads, {label}", threads, "", calm_threads, "none"),
        Figure("strangers", "OS threads per signed-in websocket (10 sockets)", per_socket, ""),
    ]
    with Server("hearthside", settings=LOOSE) as loose:
        latencies, unanswered, statuses, _threads = attacked(loose, strangers, seconds)
    got = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    figures.append(Figure("strangers", f"health requests unanswered within {NO_ANSWER_SECONDS:g} s, limits loosest "
                                       f"(60 s, 1000 per address), {label} (answered {len(latencies)}; "
                                       f"strangers got {got})", unanswered, ""))
    return figures
