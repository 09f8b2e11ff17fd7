"""Load: a home under stress for minutes; does anything answer 5xx or stop being served?

The run issue 16 describes: ``writers`` client threads send every kind of
request (transparency entries, pauses started and ended, matcher answers,
consent switches, the wall's dashboard, the event stream, ``/me``) back to
back for ``seconds``, while ``listeners`` live clients stay connected and a
second client process connects and disconnects a socket without pause. A
probe asks ``GET /api/v1/health`` twice a second the whole time.

Baseline: the same probe on the same server before the load starts. Counted:
every 5xx (and 503 on its own: the answer a lock wait that runs out gives,
with ``Retry-After``), failed calls, "database is locked" and ERROR lines in
the server's log, live clients that were dropped or could not connect.
"""

from __future__ import annotations

import statistics
import threading
import time

import requests

from .clients import ClientGroup
from .database import LOCKED, consent_everything, hammer, mixed_requests
from .live_path import percentile
from .report import Figure
from .servers import Couple, Server


def probe(url: str, seconds: float, interval: float = 0.5) -> list[float]:
    """``GET /api/v1/health`` every ``interval`` seconds for ``seconds``: milliseconds each (30 s = no answer)."""
    session = requests.Session()
    times, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            session.get(url + "/api/v1/health", timeout=30).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
        except requests.RequestException:
            times.append(30_000.0)
        time.sleep(interval)
    return times


def run(seconds: float = 120, writers: int = 50, listeners: int = 100) -> list[Figure]:
    with Server("hearthside") as server:
        couple = Couple(server.url)
        consent_everything(couple)
        idle = probe(server.url, min(10.0, seconds / 4), interval=0.1)
        held = ClientGroup(server.url, listeners, couple.tokens(), processes=2)
        churn = ClientGroup(server.url, 0, couple.tokens(), processes=1, churn=True)
        during: list[float] = []
        prober = threading.Thread(target=lambda: during.extend(probe(server.url, seconds)))
        try:
            prober.start()
            load = hammer(mixed_requests(server.url, couple), writers, seconds)
            prober.join()
        finally:
            churned, heard = churn.collect(), held.collect()
            churn.close()
            held.close()
        log = server.log_text()
    statuses = load["statuses"]
    answered = sum(statuses.values())
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    busy = statuses.get(503, 0)
    failed_calls = statuses.get(0, 0)
    sockets_lost = heard["disconnects"] + heard["failed"] + churned["failed"]
    log_errors = log.count(" ERROR ") + log.count("[ERROR]") + log.count("Traceback")
    label = f"{writers} writers, {listeners} listeners + churn, {seconds:g} s"
    idle_p99 = percentile(idle, 0.99)
    return [
        Figure("load", f"5xx answers ({label})", server_errors, "", max_value=0,
               note=f"{answered} requests at {load['rps']:.0f} req/s; of them 503 busy: {busy}; "
                    f"statuses {dict(sorted(statuses.items()))}"),
        Figure("load", "calls with no answer (connection refused or 30 s timeout)", failed_calls, "", max_value=0),
        Figure("load", "request p50 under load", load["p50"], "ms", statistics.median(idle), "idle health p50"),
        Figure("load", "request p99 under load", load["p99"], "ms", idle_p99, "idle health p99"),
        Figure("load", "health p99 while loaded (HTTP still served)", percentile(during, 0.99), "ms", idle_p99,
               "idle health p99", note=f"{len(during)} probes"),
        Figure("load", "'database is locked' in the server's log", log.count(LOCKED), "", max_value=0),
        Figure("load", "ERROR lines and tracebacks in the server's log", log_errors, "", max_value=0),
        Figure("load", "live clients dropped or refused", sockets_lost, "", max_value=0,
               note=f"{listeners} held, {churned['connects']} churned connects"),
    ]
