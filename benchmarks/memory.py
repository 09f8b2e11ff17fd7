"""Memory and start: idle RSS, RSS with 200 clients, cold start, and what costs them.

* Idle RSS: ``VmRSS`` summed over gunicorn's master and worker, a few seconds
  after the first health answer, against the bare Flask-SocketIO app.
* Connected RSS: the same after ``clients`` live clients connected.
* Cold start: from process start to the first 200 from ``/api/v1/health``, on
  a fresh data folder (so every migration runs), median of ``starts`` runs,
  against the bare app started the same way.

What costs it is reported from the same kind of process: ``python -X
importtime`` of a real ``hearthside serve`` grouped by top-level package, the
server's own "Applied migration ... in N ms" lines, and the RSS each import
step adds in a fresh interpreter.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from collections import defaultdict

from .clients import ClientGroup
from .report import Figure
from .servers import PYTHON, ROOT, Couple, Server, clean_env

SETTLE_SECONDS = 2.0

# Import steps for the memory breakdown, in the order the server imports them.
IMPORT_STEPS = [
    ("python", "pass"),
    ("flask", "import flask"),
    ("flask_socketio + simple_websocket", "import flask_socketio, simple_websocket"),
    ("sqlite_utils", "import sqlite_utils"),
    ("apscheduler", "import apscheduler.schedulers.background"),
    ("gunicorn", "import gunicorn.app.base, gunicorn.workers.gthread"),
    ("argon2", "import argon2"),
    ("cryptography (first matcher use)", "from cryptography.hazmat.primitives.ciphers.aead import AESGCM"),
    ("segno (first QR code)", "import segno"),
    ("dateutil", "import dateutil.rrule"),
    ("hearthside core", "import hearthside.app, hearthside.live, hearthside.cli, hearthside.serve"),
    ("hearthside.web", "import hearthside.web.pages, hearthside.web.api"),
    ("built-in plugins", "import hearthside.plugins.rituals, hearthside.plugins.transparency, "
                         "hearthside.plugins.matcher, hearthside.plugins.touch"),
]


def import_costs() -> list[tuple[str, int]]:
    """RSS (KiB) each import step adds, in one fresh interpreter."""
    script = "import pathlib\n" \
             "def rss():\n" \
             "    for line in pathlib.Path('/proc/self/status').read_text().splitlines():\n" \
             "        if line.startswith('VmRSS:'): return int(line.split()[1])\n"
    for label, statement in IMPORT_STEPS:
        script += f"{statement}\nprint({label!r}, rss(), sep='\\t')\n"
    out = subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                         check=True).stdout
    steps, previous = [], 0
    for line in out.splitlines():
        label, rss = line.split("\t")
        steps.append((label, int(rss) - previous if previous else int(rss)))
        previous = int(rss)
    return steps


def import_times(log: str) -> list[tuple[str, float]]:
    """Self time (ms) of every import in a ``-X importtime`` log, summed per top-level package."""
    totals: dict[str, float] = defaultdict(float)
    for match in re.finditer(r"import time:\s+(\d+) \|\s+\d+ \| (\s*)([\w.]+)", log):
        name = match.group(3)
        top = ".".join(name.split(".")[:2]) if name.startswith("hearthside") else name.split(".")[0]
        totals[top] += int(match.group(1)) / 1000
    return sorted(totals.items(), key=lambda item: -item[1])


def migration_times(log: str) -> list[tuple[str, float]]:
    return [(m.group(1), float(m.group(2))) for m in re.finditer(r"Applied migration (\S+) in (\d+) ms", log)]


def start_phases(log: str) -> dict[str, float]:
    """Seconds between the milestones the server logs (data folder, migrations done, gunicorn listening)."""
    stamps = {}
    for key, pattern in (("config", r"Data folder:"), ("migrated", r"Applied \d+ migration"),
                         ("listening", r"Listening at:")):
        match = re.search(r"(\d\d:\d\d:\d\d)[,.](\d{3})?.*" + pattern, log)
        if match:
            h, m, s = (int(x) for x in match.group(1).split(":"))
            stamps[key] = h * 3600 + m * 60 + s + int(match.group(2) or 0) / 1000
    return stamps


def cold_start(kind: str, starts: int) -> float:
    """Median seconds to the first health 200 on a fresh data folder.

    One start first, not timed, so the bytecode cache exists, as it does
    for an installed server.
    """
    Server(kind).stop()
    times = []
    for _ in range(starts):
        with Server(kind) as server:
            times.append(server.start_seconds)
    return statistics.median(times)


def rss_after(kind: str, clients: int) -> tuple[int, int, int]:
    """(idle RSS, idle PSS, RSS with ``clients`` connected), KiB.

    Idle is a started server no one has used yet; the couple then signs up
    and pairs the wall through the API and the clients connect.
    """
    with Server(kind) as server:
        time.sleep(SETTLE_SECONDS)
        idle, idle_pss = server.rss_kib(), server.pss_kib()
        tokens = Couple(server.url).tokens() if kind == "hearthside" else ["-"]
        group = ClientGroup(server.url, clients, tokens, processes=4 if clients > 20 else 1)
        try:
            time.sleep(SETTLE_SECONDS)
            connected = server.rss_kib()
        finally:
            group.collect()
            group.close()
    return idle, idle_pss, connected


def profile_start() -> dict:
    """One ``-X importtime`` start of the real server: where the start time goes."""
    server = Server("hearthside", python_flags=("-X", "importtime"))
    try:
        log = server.log_text()
    finally:
        server.stop()
    return {"imports": import_times(log)[:12], "migrations": migration_times(log), "phases": start_phases(log)}


def run(clients: int = 200, starts: int = 3) -> tuple[list[Figure], dict]:
    bare_start = cold_start("bare", starts)
    ours_start = cold_start("hearthside", starts)
    bare_idle, bare_pss, bare_connected = rss_after("bare", clients)
    idle, pss, connected = rss_after("hearthside", clients)
    figures = [
        Figure("memory", "idle RSS (master + worker)", idle / 1024, "MiB", bare_idle / 1024, "bare", max_ratio=1.3),
        Figure("memory", "idle PSS (master + worker)", pss / 1024, "MiB", bare_pss / 1024, "bare"),
        Figure("memory", f"RSS with {clients} clients", connected / 1024, "MiB", bare_connected / 1024, "bare",
               note="after sign-up and pairing"),
        Figure("start", "cold start to health 200 (fresh data folder)", ours_start, "s", bare_start, "bare",
               max_value=1.5, note=f"median of {starts}"),
    ]
    details = profile_start()
    details["import_rss"] = import_costs()
    return figures, details


def describe(details: dict) -> str:
    """The "what costs it" notes printed under the table."""
    lines = ["Start-up time by top-level import (self time, ms, `-X importtime`; inflates totals):"]
    lines += [f"  {name:<40} {ms:7.1f}" for name, ms in details["imports"]]
    total = sum(ms for _, ms in details["migrations"])
    slowest = sorted(details["migrations"], key=lambda m: -m[1])[:3]
    lines.append(f"Migrations on a fresh data folder: {len(details['migrations'])} in {total:.0f} ms "
                 f"(slowest: {', '.join(f'{name} {ms:.0f} ms' for name, ms in slowest)})")
    phases = details["phases"]
    if {"config", "migrated", "listening"} <= phases.keys():
        lines.append(f"Logged phases: config read -> migrations done {phases['migrated'] - phases['config']:.2f} s, "
                     f"-> gunicorn listening {phases['listening'] - phases['migrated']:.2f} s")
    lines.append("RSS added by each import step (KiB, fresh interpreter):")
    lines += [f"  {label:<40} {kib:7d}" for label, kib in details["import_rss"]]
    return "\n".join(lines)
