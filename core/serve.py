"""``hearthside serve``: a production server that carries the websockets.

Gunicorn with one ``gthread`` worker (:class:`Worker`, which closes
connections off its event loop), started from inside the CLI. One worker
because the live hub, the scheduler and Socket.IO's rooms live in one process
(a second worker would need a message queue a Pi does not need); many threads
because each connected phone or tablet holds one. The app is built in the
master before forking (``preload_app``), so a bad config or a failing
migration stops the start at once with a clear message; the scheduler starts
in the worker, after the fork, because threads do not survive one. The pool
is the live sockets' budget plus ``server.http_threads``, so pages always
find a thread however many screens are open. The choice and its
measurements are in ``docs/serving.md``.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import signal
import socket
import threading

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import TConn, ThreadWorker

from .live import live_threads

from .tls import Certificates, is_loopback, local_addresses, serving_certificates

log = logging.getLogger(__name__)

KEPT_ALIVE = 1000  # idle kept-alive connections, waiting in gthread's poller (no thread each): gunicorn's default


def lan_urls(host: str, port: int, scheme: str = "http") -> list[str]:
    """The addresses to type on a phone. Reads local interfaces; sends nothing."""
    if host not in ("0.0.0.0", "::", ""):
        return [f"{scheme}://{host}:{port}/"]
    urls = [f"{scheme}://{socket.gethostname()}.local:{port}/"]
    urls += [f"{scheme}://{address}:{port}/" for address in local_addresses() if ":" not in address]
    return urls + [f"{scheme}://127.0.0.1:{port}/"]


def ready_line(failed: list[str]) -> str:
    """"Hearthside is ready." - and, when an installed plugin failed, which ones and where to look."""
    if not failed:
        return "Hearthside is ready."
    count = f"{len(failed)} plugin{'s' if len(failed) > 1 else ''} failed"
    return f"Hearthside is ready, {count}: {', '.join(failed)} — see `hearthside plugins`."


class Worker(ThreadWorker):
    """gunicorn's ``gthread`` worker, except that closing a connection never holds its event loop.

    gunicorn closes a finished connection gracefully (RFC 9112, 9.6) on the
    worker's one event-loop thread: FIN sent, then up to 2 s waiting for the
    client's. A client that never closes - a stranger sending
    ``Connection: close`` requests and then nothing - held that loop 2 s per
    connection: ten of them kept every page and the pause waiting 20 s. Here
    the wait runs on a thread of its own; the loop goes on at once.
    """

    def finish_request(self, conn, fs):
        conn.close = functools.partial(_close_aside, conn)
        super().finish_request(conn, fs)


def _close_aside(conn: TConn, graceful: bool = False) -> None:
    if not graceful:
        TConn.close(conn)
        return
    conn.sock.setblocking(True)
    threading.Thread(target=util.close_graceful, args=(conn.sock,), name="hearthside-close", daemon=True).start()


class HearthsideServer(BaseApplication):
    def __init__(self, app, host: str, port: int, threads: int, shutdown_seconds: int,
                 certificates: Certificates | None = None):
        # gthread accepts at most worker_connections at once (1000 by default):
        # with a thousand sockets held, the next page would wait in the kernel.
        # Beside the threads, room for 1000 kept-alive connections, as gunicorn's default gave.
        self.app = app
        self.hs = app.extensions["hearthside"]
        self.certificates = certificates
        self.options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": 1,
            "worker_class": Worker,
            "threads": threads,
            "worker_connections": threads + KEPT_ALIVE,
            "preload_app": True,
            # A websocket is a long request; the worker is still alive as long
            # as it answers gunicorn's heartbeat, which the gthread worker does.
            "timeout": 120,
            "graceful_timeout": shutdown_seconds,
            "keepalive": 5,
            # gunicorn would believe X-Forwarded-Proto from 127.0.0.1 by itself; server.proxies
            # (ProxyFix, core/proxies.py) is the one place that decides whom to believe.
            "forwarded_allow_ips": "",
            "accesslog": None,
            "errorlog": "-",
            "loglevel": logging.getLevelName(logging.getLogger().level).lower(),
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
            "when_ready": self._when_ready,
        }
        if certificates is not None:
            # gunicorn's TLS: the chain (server certificate, then the CA's) and the server key.
            self.options.update(certfile=str(certificates.certfile), keyfile=str(certificates.keyfile))
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 24 opens a control socket in ~/.gunicorn; one server per
            # Pi needs none, and two on one machine (tests) would fight over it.
            self.cfg.set("control_socket_disable", True)

    def load(self):
        return self.app

    def _when_ready(self, _server) -> None:
        host, port = self.hs.config["host"], self.hs.config["port"]
        log.info("%s Open one of these on a phone or tablet on your home network:", ready_line(self.hs.plugins.failed()))
        urls = lan_urls(host, port, "https" if self.certificates else "http")
        for url in urls:
            log.info("    %s", url)
        if self.certificates:
            log.info("HTTPS is on. Each phone trusts this server once, at %strust - compare the fingerprint "
                     "it shows with this one: %s", urls[0], self.certificates.ca_fingerprint)
        elif not is_loopback(host) and not self.hs.config["server.proxies"]:
            log.warning("Serving plain http: anyone on this Wi-Fi can read what phones send. Set server.https: "
                        "auto (or on) to make this server's own certificate authority (docs/install-pi.md, "
                        "\"HTTPS at home\").")

    def _post_worker_init(self, _worker) -> None:
        if self.hs.config["scheduler.enabled"]:
            # Beside serving, not before it: catching up runs every missed job
            # first, and one that hangs must not keep phones and the wall waiting.
            threading.Thread(target=self.hs.start_scheduler, name="hearthside-scheduler-start", daemon=True).start()
        self._close_sockets_on_sigterm()

    def _close_sockets_on_sigterm(self) -> None:
        """On SIGTERM, close the live sockets first, then let gunicorn stop gracefully.

        An open websocket holds its thread until it closes, so without this a
        stop would wait the whole graceful timeout whenever the wall is on.
        The sockets are closed from a thread: a signal handler must not block.
        """
        previous = signal.getsignal(signal.SIGTERM)
        live = getattr(self.hs, "live", None)

        def on_sigterm(signum, frame):
            if live is not None:
                threading.Thread(target=live.close_all, name="hearthside-live-close", daemon=True).start()
            if callable(previous):
                previous(signum, frame)

        signal.signal(signal.SIGTERM, on_sigterm)

    def _worker_exit(self, _server, _worker) -> None:
        log.info("Shutting down: stopping the scheduler and closing the database")
        self.hs.shutdown()


def cap_malloc_arenas() -> bool:
    """Let glibc keep two malloc arenas, not eight per core, so sign-ins cannot pile up memory.

    Each argon2 password hash allocates 19 MiB. glibc gives each thread its
    own arena (up to 8 per core) and keeps a freed 19 MiB block in the arena
    it came from, so sign-ins spread over the server's threads leave one block
    behind per arena: 16 threads hashing in turn kept ~300 MiB resident here,
    more than half of a 512 MB Pi. With two arenas the blocks are reused and
    at most a few stay (~40-60 MiB), while a hash keeps its speed (~25 ms
    here); a fixed mmap threshold would return every block but makes each
    hash ~40% slower on fresh pages (benchmarks/README.md). Elsewhere than
    glibc there is nothing to set (the call is skipped).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_arena_max = -8  # from glibc's malloc.h
    return bool(libc.mallopt(m_arena_max, 2))


def serve(app) -> None:
    hs = app.extensions["hearthside"]
    config = hs.config
    certificates = hs.certificates = serving_certificates(hs)  # made or renewed before the fork
    if certificates is not None:
        app.config["SESSION_COOKIE_SECURE"] = True  # every request comes over TLS; say so on the cookie too
    cap_malloc_arenas()  # before the fork and before the threads start: the worker inherits it
    threads = live_threads(config) + config["server.http_threads"]
    HearthsideServer(app, config["host"], config["port"], threads, config["server.shutdown_seconds"],
                     certificates).run()
