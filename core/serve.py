"""``hearthside serve``: a production server that carries the websockets.

Gunicorn with one ``gthread`` worker, started from inside the CLI. One worker
because the live hub, the scheduler and Socket.IO's rooms live in one process
(a second worker would need a message queue a Pi does not need); many threads
because each connected phone or tablet holds one. The app is built in the
master before forking (``preload_app``), so a bad config or a failing
migration stops the start at once with a clear message; the scheduler starts
in the worker, after the fork, because threads do not survive one. The choice
and its measurements are in ``docs/serving.md``.
"""

from __future__ import annotations

import logging
import socket
import subprocess

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


def lan_urls(host: str, port: int) -> list[str]:
    """The addresses to type on a phone. Reads local interfaces; sends nothing."""
    if host not in ("0.0.0.0", "::", ""):
        return [f"http://{host}:{port}/"]
    urls = [f"http://{socket.gethostname()}.local:{port}/"]
    try:
        addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2).stdout.split()
    except (OSError, subprocess.SubprocessError):
        addresses = []
    urls += [f"http://{address}:{port}/" for address in addresses if ":" not in address]
    return urls + [f"http://127.0.0.1:{port}/"]


class HearthsideServer(BaseApplication):
    def __init__(self, app, host: str, port: int, threads: int, shutdown_seconds: int):
        self.app = app
        self.hs = app.extensions["hearthside"]
        self.options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "preload_app": True,
            # A websocket is a long request; the worker is still alive as long
            # as it answers gunicorn's heartbeat, which the gthread worker does.
            "timeout": 120,
            "graceful_timeout": shutdown_seconds,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": logging.getLevelName(logging.getLogger().level).lower(),
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
            "when_ready": self._when_ready,
        }
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
        log.info("Hearthside is ready. Open one of these on a phone or tablet on your home network:")
        for url in lan_urls(host, port):
            log.info("    %s", url)

    def _post_worker_init(self, _worker) -> None:
        if self.hs.config["scheduler.enabled"]:
            self.hs.start_scheduler()

    def _worker_exit(self, _server, _worker) -> None:
        log.info("Shutting down: stopping the scheduler and closing the database")
        self.hs.shutdown()


def serve(app) -> None:
    config = app.extensions["hearthside"].config
    HearthsideServer(app, config["host"], config["port"], config["server.threads"],
                     config["server.shutdown_seconds"]).run()
