"""Live path: from the HTTP call that changes state until every client has the event.

* ``bare``       - the bare Flask-SocketIO app under gunicorn gthread (threading
  mode, simple-websocket): ``POST /fire`` broadcasts one message;
* ``hearthside`` - the real ``hearthside serve``: Bob starts a pause
  (``POST /api/v1/pause``, which emits ``pause.started`` to the couple and the wall).

Clients are real python-socketio clients over websockets, spread over several
client processes (for Hearthside: Ann's and Bob's phones and the wall, in
turn). For message *i* the latency is from just before the HTTP call until
the *last* client received it; messages are paced so they never overlap.

    python -m benchmarks.live_path --clients 1,20,200 --messages 40
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import requests

from .clients import ClientGroup
from .report import Figure, table
from .servers import Couple, Server

TARGETS = {20: 1.2, 200: 1.5}  # p50 against bare, from issue 8


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def processes_for(clients: int) -> int:
    """Two cores: enough client processes to not be the bottleneck, no more."""
    return 1 if clients <= 20 else 4


def run_one(kind: str, clients: int, messages: int) -> dict:
    """Start ``kind``, connect the clients, send ``messages`` paced state changes, collect."""
    with Server(kind) as server:
        if kind == "hearthside":
            couple = Couple(server.url)
            tokens, headers = couple.tokens(), couple.bob.headers
        else:
            tokens, headers = ["-"], {}
        group = ClientGroup(server.url, clients, tokens, processes_for(clients))
        try:
            session = requests.Session()
            pace = 0.1 + clients * 0.0015  # well above the delivery time, so messages never overlap
            time.sleep(0.3)
            sent, answered = [], []
            for seq in range(messages):
                sent.append(time.time())
                if kind == "hearthside":
                    answer = session.post(server.url + "/api/v1/pause", json={"minutes": 20}, headers=headers)
                else:
                    answer = session.post(server.url + "/fire", json={"seq": seq})
                answered.append((time.time() - sent[-1]) * 1000)
                answer.raise_for_status()
                time.sleep(pace)
            time.sleep(0.5)
            result = group.collect()
        finally:
            group.close()
    latencies, lost = [], 0
    for seq, t0 in enumerate(sent):
        times = [arrivals[seq] for arrivals in result["received"] if len(arrivals) > seq]
        lost += clients - len(times)
        if times:
            latencies.append((max(times) - t0) * 1000)
    return {"kind": kind, "clients": clients, "p50": statistics.median(latencies),
            "p99": percentile(latencies, 0.99), "lost": lost + result["disconnects"],
            "answer_p50": statistics.median(answered)}


def commit_ms(synchronous: str, commits: int = 50) -> float:
    """Median time of one small write transaction, WAL mode, on the temp folder's disk.

    Hearthside commits with ``synchronous=FULL`` (core/storage.py: a Pi gets
    unplugged), so every state change waits for one fsync before its event
    may go out; ``NORMAL`` is the same commit without it. The difference is
    the part of the live path the bare app cannot have.
    """
    with tempfile.TemporaryDirectory(prefix="hs-bench-commit-") as folder:
        conn = sqlite3.connect(Path(folder) / "commit.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.execute("CREATE TABLE t (x)")
            times = []
            for n in range(commits):
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t VALUES (?)", [n])
                conn.execute("COMMIT")
                times.append((time.perf_counter() - started) * 1000)
        finally:
            conn.close()
    return statistics.median(times)


def run(client_counts=(1, 20, 200), messages: int = 40) -> list[Figure]:
    figures = [Figure("live", "one SQLite commit, synchronous=FULL (the fsync every change waits for)",
                      commit_ms("FULL"), "ms", commit_ms("NORMAL"), "synchronous=NORMAL")]
    for clients in client_counts:
        bare = run_one("bare", clients, messages)
        ours = run_one("hearthside", clients, messages)
        label = f"{clients} client{'s' if clients > 1 else ''}"
        figures.append(Figure("live", f"pause to every client, p50, {label}", ours["p50"], "ms", bare["p50"],
                              "bare", max_ratio=TARGETS.get(clients),
                              note=f"HTTP answer p50 {ours['answer_p50']:.1f} ms, bare {bare['answer_p50']:.1f} ms"))
        figures.append(Figure("live", f"pause to every client, p99, {label}", ours["p99"], "ms", bare["p99"], "bare"))
        figures.append(Figure("live", f"messages lost, {label}", ours["lost"], "", max_value=0,
                              note=f"bare lost {bare['lost']}"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,20,200", help="comma-separated client counts")
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    print(table(run([int(c) for c in args.clients.split(",")], args.messages)))


if __name__ == "__main__":
    main()
