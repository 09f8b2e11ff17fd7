"""Soak: a real server under steady use for minutes; does anything leak or fail?

``clients`` live clients (phones and the wall) stay connected while Ann and Bob
write transparency entries and start pauses at ``writes_per_second``. Every
``sample_seconds`` the server's RSS (VmRSS, master + worker), open file
descriptors and threads are sampled. The first ``warm_up`` fraction of the run
is warm-up (caches, thread pool, SQLite page cache filling); growth is the
last sample against the first one after warm-up.

Errors counted: non-2xx answers and failed calls, clients that were
disconnected or could not connect, events a client never received, and
ERROR / Traceback lines in the server's log.
"""

from __future__ import annotations

import time

import requests

from .clients import ClientGroup
from .report import Figure
from .servers import Couple, Server


def write_loop(server: Server, couple: Couple, seconds: float, writes_per_second: float,
               samples: list, sample_seconds: float) -> dict:
    """Steady writes for ``seconds`` while sampling the server; returns counts."""
    session = requests.Session()
    interval = 1 / writes_per_second
    started = time.monotonic()
    next_sample, n, failed, pauses = started, 0, 0, 0
    while (now := time.monotonic()) - started < seconds:
        if now >= next_sample:
            samples.append((now - started, server.rss_kib(), server.open_fds(), server.threads()))
            next_sample += sample_seconds
        member = couple.ann if n % 2 else couple.bob
        if n % 5 == 0:
            call = ("POST", "/api/v1/pause", {"minutes": 20})
            pauses += 1
        else:
            call = ("POST", "/api/v1/transparency/entries", {"kind": "whereabouts", "text": f"At the gym, write {n}."})
        try:
            answer = session.request(call[0], server.url + call[1], json=call[2], headers=member.headers, timeout=30)
            failed += answer.status_code >= 300
        except requests.RequestException:
            failed += 1
        n += 1
        time.sleep(max(0.0, started + n * interval - time.monotonic()))
    samples.append((time.monotonic() - started, server.rss_kib(), server.open_fds(), server.threads()))
    return {"writes": n, "failed": failed, "pauses": pauses}


def run(minutes: float = 10, clients: int = 100, writes_per_second: float = 5,
        warm_up: float = 0.2) -> tuple[list[Figure], dict]:
    seconds = minutes * 60
    sample_seconds = max(2.0, seconds / 30)
    samples: list = []
    with Server("hearthside") as server:
        couple = Couple(server.url)
        group = ClientGroup(server.url, clients, couple.tokens(), processes=2)
        try:
            writes = write_loop(server, couple, seconds, writes_per_second, samples, sample_seconds)
            time.sleep(1.0)
            heard = group.collect()
        finally:
            group.close()
        log = server.log_text()
    lost = sum(max(0, writes["pauses"] - len(arrivals)) for arrivals in heard["received"])
    log_errors = log.count(" ERROR ") + log.count("[ERROR]") + log.count("Traceback")
    errors = writes["failed"] + heard["disconnects"] + heard["failed"] + lost + log_errors
    after_warm_up = [s for s in samples if s[0] >= seconds * warm_up] or samples
    first, last = after_warm_up[0], samples[-1]
    growth = (last[1] - first[1]) / first[1] * 100
    label = f"{minutes:g} min, {clients} clients, {writes_per_second:g} writes/s"
    figures = [
        Figure("soak", f"errors ({label})", errors, "", max_value=0,
               note=f"{writes['writes']} writes, {writes['failed']} failed, {heard['disconnects']} disconnects, "
                    f"{lost} events lost, {log_errors} log errors"),
        Figure("soak", "RSS growth after warm-up", growth, "%", max_value=10,
               note=f"{first[1] / 1024:.1f} -> {last[1] / 1024:.1f} MiB"),
        Figure("soak", "open file descriptors, end vs after warm-up", last[2], "", first[2], "after warm-up"),
    ]
    return figures, {"samples": samples}


def describe(details: dict) -> str:
    lines = ["Soak samples (seconds, RSS MiB, open fds, threads):"]
    lines += [f"  {t:7.0f} {rss / 1024:8.1f} {fds:6d} {threads:6d}" for t, rss, fds, threads in details["samples"]]
    return "\n".join(lines)
