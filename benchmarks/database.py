"""Database: API throughput, event paging over a million rows, and "database is locked".

* **Throughput**: ``concurrency`` client threads for ``seconds`` each on the
  read path (``GET /api/v1/dashboard`` as the paired wall, every dashboard
  card consented) and the write path (``POST /api/v1/transparency/entries``,
  Ann and Bob in turn), against the bare app's ``GET /api/v1/health`` with the
  same clients in the same run.
* **Paging**: one million events are inserted straight into the table with
  sqlite3 in one transaction while the server is stopped (two couples, a mix
  of couple, dashboard and private events, and a final stretch that is all
  the partner's private events - the case an index has to carry), then
  ``GET /api/v1/events?after=`` is timed from random positions as a member
  and as the wall. Baseline: ``/api/v1/health`` on the same server.
* **Locks**: requests of every kind, the scheduler's jobs run in a loop by a
  second process on the same database, live clients that connect and
  disconnect without pause, and live clients that hear every event, all at
  once. Every "database is locked" in any log, and every 5xx, is counted.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import subprocess
import threading
import time
from itertools import cycle

import requests

from hearthside.testing import HttpClient, join_new_couple

from .clients import ClientGroup
from .live_path import percentile
from .report import Figure
from .servers import PYTHON, ROOT, Couple, Server, clean_env, only_built_in_plugins

EVENTS = 1_000_000
PRIVATE_TAIL = 100_000  # the last events: all the partner's private journal, unseen by Ann and the wall
LOCKED = "database is locked"


# -- load generation -------------------------------------------------------------------------


def hammer(requests_to_send, concurrency: int, seconds: float) -> dict:
    """Send requests from ``concurrency`` threads for ``seconds``; rate and latency of the answers.

    ``requests_to_send`` is a list of (method, url, headers, json) used in turn.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset: int) -> None:
        session = requests.Session()
        mine, mine_statuses = [], {}
        for method, url, headers, body in cycle(requests_to_send[offset:] + requests_to_send[:offset]):
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            try:
                status = session.request(method, url, headers=headers, json=body, timeout=30).status_code
            except requests.RequestException:
                status = 0
            mine.append((time.perf_counter() - started) * 1000)
            mine_statuses[status] = mine_statuses.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, count in mine_statuses.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker, args=(i % len(requests_to_send),)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = sum(count for status, count in statuses.items() if status == 0 or status >= 500)
    return {"rps": len(latencies) / seconds, "p50": statistics.median(latencies),
            "p99": percentile(latencies, 0.99), "errors": errors, "statuses": statuses}


def consent_everything(couple: Couple) -> None:
    """Every dashboard card on, so the read path computes all of them."""
    for scope in ("dashboard.rituals", "dashboard.transparency", "dashboard.touch"):
        for member in (couple.ann, couple.bob):
            member.grant(scope)


def entry(member, n: int) -> tuple:
    return ("POST", member.client.base_url + "/api/v1/transparency/entries", member.headers,
            {"kind": "plan", "text": f"Benchmark plan number {n}: dinner with my sister, home by ten."})


def throughput(concurrency: int, seconds: float) -> list[Figure]:
    with Server("bare") as bare:
        base = hammer([("GET", bare.url + "/api/v1/health", {}, None)], concurrency, seconds)
    with Server("hearthside") as server:
        couple = Couple(server.url)
        consent_everything(couple)
        health = hammer([("GET", server.url + "/api/v1/health", {}, None)], concurrency, seconds)
        read = hammer([("GET", server.url + "/api/v1/dashboard", couple.wall.headers, None)], concurrency, seconds)
        write = hammer([entry(couple.ann, n) if n % 2 else entry(couple.bob, n) for n in range(50)],
                       concurrency, seconds)
    label = f"{concurrency} clients"
    return [
        Figure("database", f"GET /api/v1/health, {label}", health["rps"], "req/s", base["rps"], "bare health",
               note=f"p99 {health['p99']:.0f} ms"),
        Figure("database", f"read GET /api/v1/dashboard (wall), {label}", read["rps"], "req/s", base["rps"],
               "bare health", note=f"p50 {read['p50']:.0f} ms, p99 {read['p99']:.0f} ms"),
        Figure("database", f"write POST transparency entry, {label}", write["rps"], "req/s", base["rps"],
               "bare health", note=f"p50 {write['p50']:.0f} ms, p99 {write['p99']:.0f} ms"),
        Figure("database", "5xx during throughput runs", read["errors"] + write["errors"] + health["errors"], "",
               max_value=0),
    ]


# -- a million events ----------------------------------------------------------------------------


def insert_events(path, couples: list[dict], count: int, private_tail: int) -> tuple[int, int]:
    """``count`` events straight into the table, one transaction: 60% couple, 5% dashboard,
    35% private, alternating couples; the last ``private_tail`` all private to the first couple's
    second member. Returns the first and last id given (consecutive, above every earlier one)."""
    def rows():
        first = couples[0]
        for i in range(count):
            if i >= count - private_tail:
                couple, visibility, audience = first, "private", first["members"][1]
            else:
                couple = couples[i % len(couples)]
                slot = (i // len(couples)) % 20
                visibility = "couple" if slot < 12 else "dashboard" if slot == 12 else "private"
                audience = couple["members"][slot % 2] if visibility == "private" else None
            yield (couple["id"], "bench.note", couple["members"][0], visibility, audience,
                   '{"n":%d}' % i, "2026-01-01T00:00:00.000+00:00")

    conn = sqlite3.connect(path)
    try:
        with conn:
            first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()[0]
            conn.executemany("INSERT INTO events (id, couple_id, type, actor_id, visibility, audience_id, payload, "
                             "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             ((first + i, *row) for i, row in enumerate(rows())))
    finally:
        conn.close()
    return first, first + count - 1


def time_pages(session: requests.Session, url: str, headers: dict, afters: list[int]) -> list[float]:
    times = []
    for after in afters:
        started = time.perf_counter()
        answer = session.get(f"{url}/api/v1/events?after={after}", headers=headers, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return times


def paging(pages: int, count: int = EVENTS) -> list[Figure]:
    first = Server("hearthside")
    try:
        couple = Couple(first.url)
        cat, _dan = join_new_couple(HttpClient(first.url), couple.ann)
        me = [m.get("/api/v1/me").json for m in (couple.ann, cat)]
        couples = [{"id": x["couple"]["id"], "members": [m["id"] for m in x["couple"]["members"]]} for x in me]
        if couples[0]["members"][0] != couple.ann.id:
            couples[0]["members"].reverse()
    finally:
        first.stop(keep_data=True)
    try:
        started = time.perf_counter()
        tail_size = min(PRIVATE_TAIL, count // 10)
        low, high = insert_events(first.data_dir / "hearthside.db", couples, count, tail_size)
        insert_seconds = time.perf_counter() - started
        figures = []
        with Server("hearthside", data_dir=first.data_dir) as server:
            session = requests.Session()
            rng = random.Random(8)
            base = percentile([_timed(session, server.url + "/api/v1/health") for _ in range(pages)], 0.99)
            spread = [rng.randrange(low - 1, high) for _ in range(pages)]
            tail = [rng.randrange(high - tail_size, high) for _ in range(pages)]
            for who, headers in (("member", couple.ann.headers), ("wall", couple.wall.headers)):
                for where, afters in (("anywhere", spread), ("in the partner's private stretch", tail)):
                    times = time_pages(session, server.url, headers, afters)
                    figures.append(Figure("database", f"events page p99, {who}, {where}", percentile(times, 0.99),
                                          "ms", base, "health p99", max_value=20,
                                          note=f"p50 {statistics.median(times):.1f} ms"))
    finally:
        first.stop()  # the data folder with the million events goes too
    figures[0].note += f"; {count:,} events inserted in {insert_seconds:.1f} s"
    return figures


def _timed(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    session.get(url, timeout=30).raise_for_status()
    return (time.perf_counter() - started) * 1000


# -- locks under a mixed load -----------------------------------------------------------------------


JOBS_SCRIPT = r"""
import json, logging, sys, time
from hearthside.app import create_app
from hearthside.scheduler import Scheduler

class Count(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.locked = 0
        self.errors = 0
    def emit(self, record):
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        self.errors += record.levelno >= logging.ERROR
        self.locked += "database is locked" in text

count = Count()
logging.getLogger().addHandler(count)
app = create_app(flags={"data_dir": sys.argv[1]})
hs = app.extensions["hearthside"]
jobs = [job for jobs in hs.plugins.call("hearthside_scheduled_jobs", hs=hs) for job in jobs]
scheduler = Scheduler(hs, jobs)
hs.scheduler = scheduler
deadline, runs = time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < deadline:
    for job in jobs:
        scheduler.run_job(job.id)
        runs += 1
print(json.dumps({"runs": runs, "locked": count.locked, "errors": count.errors}), flush=True)
"""


def mixed_requests(url: str, couple: Couple) -> list[tuple]:
    ann, bob, wall = couple.ann, couple.bob, couple.wall
    items = requests.get(url + "/api/v1/matcher/items", headers=ann.headers, timeout=10).json()["items"][:20]
    answers = {str(item["id"]): "maybe" for item in items}
    return [
        entry(ann, 1), entry(bob, 2),
        ("POST", url + "/api/v1/pause", bob.headers, {"minutes": 20}),
        ("DELETE", url + "/api/v1/pause", ann.headers, None),
        ("GET", url + "/api/v1/dashboard", wall.headers, None),
        ("GET", url + "/api/v1/events?after=0", ann.headers, None),
        ("PUT", url + "/api/v1/matcher/answers", ann.headers, {"answers": answers}),
        ("PUT", url + "/api/v1/consents/dashboard.touch", bob.headers, {"granted": True}),
        ("PUT", url + "/api/v1/consents/dashboard.touch", bob.headers, {"granted": False}),
        ("GET", url + "/api/v1/transparency/status", bob.headers, None),
        ("GET", url + "/api/v1/me", ann.headers, None),
    ]


def locks(seconds: float, concurrency: int = 6, listeners: int = 20) -> list[Figure]:
    settings = {"HEARTHSIDE_SCHEDULER__HEARTBEAT_SECONDS": "5"}
    with Server("hearthside", settings=settings) as server:
        couple = Couple(server.url)
        consent_everything(couple)
        held = ClientGroup(server.url, listeners, couple.tokens(), processes=1)
        churn = ClientGroup(server.url, 0, couple.tokens(), processes=1, churn=True)
        jobs = subprocess.Popen([PYTHON, "-c", JOBS_SCRIPT, str(server.data_dir), str(seconds)], cwd=ROOT,
                                env=clean_env(only_built_in_plugins()), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            load = hammer(mixed_requests(server.url, couple), concurrency, seconds)
            out, err = jobs.communicate(timeout=seconds + 60)
            job_result = json.loads(out.strip().splitlines()[-1])
        finally:
            churned, heard = churn.collect(), held.collect()
            churn.close()
            held.close()
            if jobs.poll() is None:
                jobs.kill()
        locked = server.count_in_log(LOCKED) + job_result["locked"] + err.count(LOCKED)
        requests_sent = sum(load["statuses"].values())
        failures = load["errors"] + churned["failed"] + heard["failed"] + heard["disconnects"] + job_result["errors"]
    return [
        Figure("database", "'database is locked' under mixed load", locked, "", max_value=0,
               note=f"{requests_sent} requests, {job_result['runs']} job runs, {churned['connects']} socket "
                    f"connects, {listeners} listeners, {seconds:g} s"),
        Figure("database", "5xx / failed connects / job errors under mixed load",
               failures, "", max_value=0,
               note=f"mixed load {load['rps']:.0f} req/s"),
    ]


def run(concurrency: int = 8, seconds: float = 5, pages: int = 200, lock_seconds: float = 10,
        events: int = EVENTS) -> list[Figure]:
    return throughput(concurrency, seconds) + paging(pages, events) + locks(lock_seconds)
