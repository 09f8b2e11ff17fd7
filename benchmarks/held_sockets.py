"""Held sockets: 1,000 signed-in live screens held open while pages and the API keep answering.

One thread on the client side holds every socket: raw websockets
(``/socket.io/?EIO=4&transport=websocket``) that send Socket.IO's CONNECT with
a real token and answer the server's pings, so a thousand of them cost the
benchmark one thread, not a thousand Socket.IO clients. Meanwhile one client
asks ``GET /api/v1/health`` one request after another.

Figures: health p50 / p99 with the sockets held vs the same server with none
(same run), requests with no answer within 2 s, sockets signed in, what the
one past the cap heard (Socket.IO's ``connect_error`` and its message), and
the server's threads and memory (RSS and PSS of master + worker) idle vs held.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import struct
import threading
import time

from .live_path import percentile
from .report import Figure
from .servers import Couple, Server
from .strangers import NO_ANSWER_SECONDS, UPGRADE, health_latencies

CONNECT_SECONDS = 60.0
OPENING_AT_ONCE = 8  # below server.unauthenticated_per_address (10): every socket here comes from one address


def frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455 section 5.2)."""
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    size = bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + struct.pack("!H", length)
    header = bytes([0x81]) + size
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def messages(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take the complete server frames (never masked) off the front of ``buffer``: (opcode, payload)."""
    found = []
    while len(buffer) >= 2:
        opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                break
            length, start = struct.unpack("!H", buffer[2:4])[0], 4
        elif length == 127:
            if len(buffer) < 10:
                break
            length, start = struct.unpack("!Q", buffer[2:10])[0], 10
        if len(buffer) < start + length:
            break
        found.append((opcode, bytes(buffer[start:start + length])))
        del buffer[:start + length]
    return found


class Screen:
    """One raw live socket: handshake, CONNECT with a token, then pong every ping."""

    def __init__(self, port: int, token: str):
        self.raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.raw.sendall(UPGRADE.format(port=port).encode())
        self.token = token
        self.upgraded = False
        self.state = "opening"  # -> "signed in" | "refused: <message>" | "closed" | "http <status>"
        self.buffer = bytearray()

    def on_readable(self) -> None:
        try:
            data = self.raw.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.state = "closed" if self.state in ("opening", "signed in") else self.state
            return
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = self.buffer.split(b" ", 2)[1].decode()
            del self.buffer[:end + 4]
            if status != "101":
                self.state = f"http {status}"
                return
            self.upgraded = True
        for opcode, payload in messages(self.buffer):
            if opcode == 8:
                self.state = "closed" if self.state == "signed in" else self.state
                continue
            text = payload.decode()
            if text.startswith("0"):  # Engine.IO open: sign in
                self.raw.sendall(frame("40" + json.dumps({"token": self.token})))
            elif text.startswith("40"):
                self.state = "signed in"
            elif text.startswith("44"):
                self.state = "refused: " + json.loads(text[2:]).get("message", "")
            elif text == "2":
                self.raw.sendall(frame("3"))


class Screens:
    """Holds ``count`` live sockets from one thread until stopped."""

    def __init__(self, port: int, tokens: list[str], count: int):
        self.selector = selectors.DefaultSelector()
        self.screens: list[Screen] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        for n in range(count):
            while self.states().get("opening", 0) >= OPENING_AT_ONCE:
                time.sleep(0.002)
            self.open(port, tokens[n % len(tokens)])

    def open(self, port: int, token: str) -> Screen:
        screen = Screen(port, token)
        screen.raw.setblocking(False)
        with self._lock:
            self.screens.append(screen)
            self.selector.register(screen.raw, selectors.EVENT_READ, screen)
        return screen

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                ready = self.selector.select(timeout=0) if self.screens else []
            for key, _ in ready:
                key.data.on_readable()
                if key.data.state not in ("opening", "signed in"):
                    with self._lock:
                        self.selector.unregister(key.fileobj)
            if not ready:
                time.sleep(0.005)

    def states(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        with self._lock:
            screens = list(self.screens)
        for screen in screens:
            counted[screen.state] = counted.get(screen.state, 0) + 1
        return counted

    def wait_settled(self, timeout: float = CONNECT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.states().get("opening"):
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for screen in self.screens:
            screen.raw.close()


def run(sockets: int = 1000, seconds: float = 15) -> list[Figure]:
    """``sockets`` screens held against a server whose cap is exactly ``sockets``."""
    settings = {"HEARTHSIDE_SERVER__LIVE_CONNECTIONS": str(sockets)}
    with Server("hearthside", settings=settings) as server:
        couple = Couple(server.url)
        idle_threads, idle_rss, idle_pss = server.threads(), server.rss_kib(), server.pss_kib()
        calm, calm_unanswered = health_latencies(server.url, seconds)
        opening = time.monotonic()
        screens = Screens(server.port, couple.tokens(), sockets)
        try:
            screens.wait_settled()
            held = screens.states().get("signed in", 0)
            opened_seconds = time.monotonic() - opening
            one_more = screens.open(server.port, couple.ann.token)
            screens.wait_settled(10)
            latencies, unanswered = health_latencies(server.url, seconds)
            still_held = screens.states().get("signed in", 0)
            threads, rss, pss = server.threads(), server.rss_kib(), server.pss_kib()
        finally:
            screens.stop()
    label = f"{sockets} live sockets held"
    return [
        Figure("held sockets", f"live sockets signed in (cap {sockets})", held, "",
               note=f"all open in {opened_seconds:.1f} s; {still_held} still after"),
        Figure("held sockets", f"socket {sockets + 1} (past the cap) heard", 0, "", note=one_more.state),
        Figure("held sockets", f"health p50, {label}", percentile(latencies, 0.5), "ms", percentile(calm, 0.5),
               "none", note=f"{len(latencies)} requests"),
        Figure("held sockets", f"health p99, {label}", percentile(latencies, 0.99), "ms", percentile(calm, 0.99),
               "none", max_value=100),
        Figure("held sockets", f"health requests unanswered within {NO_ANSWER_SECONDS:g} s, {label}",
               unanswered, "", calm_unanswered, "none", max_value=0),
        Figure("held sockets", f"server threads, {label}", threads, "", idle_threads, "none"),
        Figure("held sockets", f"RSS MiB, {label}", rss / 1024, "MiB", idle_rss / 1024, "none"),
        Figure("held sockets", f"PSS MiB, {label}", pss / 1024, "MiB", idle_pss / 1024, "none"),
    ]


def bare_gevent(sockets: int = 1000, seconds: float = 15) -> list[Figure]:
    """The other serving model weighed in docs/serving.md: the bare app under gevent, sockets held.

    ``python -m benchmarks.held_sockets --gevent``; gevent is no dependency of
    Hearthside, so this needs ``pip install gevent`` first. Compare with
    :func:`run`'s threads and memory (a greenlet per socket instead of threads).
    """
    with Server("bare-gevent") as server:
        idle_threads, idle_pss = server.threads(), server.pss_kib()
        calm, _ = health_latencies(server.url, seconds)
        screens = Screens(server.port, ["bare"], sockets)
        try:
            screens.wait_settled()
            held = screens.states().get("signed in", 0)
            latencies, unanswered = health_latencies(server.url, seconds)
            threads, pss = server.threads(), server.pss_kib()
        finally:
            screens.stop()
    name = f"bare app under gevent, {held} of {sockets} sockets held"
    return [
        Figure("serving models", f"health p99, {name}", percentile(latencies, 0.99), "ms",
               percentile(calm, 0.99), "none", note=f"{unanswered} unanswered"),
        Figure("serving models", f"threads, {name}", threads, "", idle_threads, "none"),
        Figure("serving models", f"PSS MiB, {name}", pss / 1024, "MiB", idle_pss / 1024, "none"),
    ]


if __name__ == "__main__":
    import sys

    from .report import table

    counts = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    print(table((bare_gevent if "--gevent" in sys.argv else run)(*counts[:1])))
