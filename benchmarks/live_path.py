"""Live path: time from the HTTP call that changes state until every client has it.

Targets, all on 127.0.0.1 and measured in the same run:

* ``bare-threading`` - the bare Flask-SocketIO app under gunicorn's gthread worker;
* ``bare-gevent``    - the same app on gevent's WSGI server, monkey-patched;
* ``hearthside``     - the real ``hearthside serve``; a partner starts a pause.

Clients are real python-socketio clients spread over several processes so the
client side is not the bottleneck. For message *i*, latency is the time from
just before the HTTP call until the *last* client received it.

    python -m benchmarks.live_path --clients 20 --messages 30 --targets bare-threading,hearthside
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_health(url: str, process: subprocess.Popen, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"target exited with {process.returncode}")
        try:
            if requests.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return time.monotonic() - started
        except requests.ConnectionError:
            time.sleep(0.02)
    raise RuntimeError("target did not start")


class Target:
    """A server process to measure, and how to make it broadcast once."""

    def __init__(self, kind: str, threads: int):
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="hs-bench-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
        env["PYTHONPATH"] = str(ROOT)
        if kind == "bare-threading":
            command = [PYTHON, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", str(threads),
                       "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "benchmarks.bare_app:app"]
        elif kind == "bare-gevent":
            command = [PYTHON, "-m", "benchmarks.bare_app", "--gevent", str(self.port)]
        elif kind == "hearthside":
            env["HEARTHSIDE_SERVER__THREADS"] = str(threads)
            env["HEARTHSIDE_LOG_LEVEL"] = "warning"
            command = [PYTHON, "-m", "hearthside", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                       "--data-dir", str(self.data_dir)]
        else:
            raise SystemExit(f"unknown target {kind}")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.start_seconds = wait_health(self.url, self.process)
        self.token = self._sign_up() if kind == "hearthside" else None

    def _sign_up(self) -> str:
        answer = requests.post(self.url + "/api/v1/onboarding", json={
            "couple": {"name": "Bench"},
            "member": {"username": "bench", "password": "benchmark-password", "display_name": "Bench"}})
        answer.raise_for_status()
        return answer.json()["token"]

    def fire(self, seq: int) -> None:
        if self.kind == "hearthside":
            headers = {"Authorization": f"Bearer {self.token}"}
            if seq % 2 == 0:
                requests.post(self.url + "/api/v1/pause", json={"minutes": 20}, headers=headers).raise_for_status()
            else:
                requests.delete(self.url + "/api/v1/pause", headers=headers).raise_for_status()
        else:
            requests.post(self.url + "/fire", json={"seq": seq}).raise_for_status()

    def rss_kib(self) -> int:
        """Memory of the process tree (gunicorn master + worker), as PSS so pages
        the forked worker shares with the master are not counted twice."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


CLIENT_SCRIPT = r"""
import json, sys, time, threading, socketio
url, count, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
received = [[] for _ in range(count)]
clients = []
for i in range(count):
    client = socketio.Client(reconnection=False)
    def handler(data, i=i):
        received[i].append(time.time())
    client.on("event", handler)
    client.connect(url, transports=["websocket"], auth={"token": token} if token != "-" else None,
                   wait_timeout=20)
    clients.append(client)
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps(received), flush=True)
import os
os._exit(0)  # closing hundreds of sockets politely only slows the run down
"""


def run_clients(target: Target, clients: int, processes: int) -> list[subprocess.Popen]:
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = []
    for count in per_process:
        if count:
            workers.append(subprocess.Popen(
                [PYTHON, "-c", CLIENT_SCRIPT, target.url, str(count), target.token or "-"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
    for worker in workers:
        line = worker.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError("a client process failed to connect")
    return workers


def measure(kind: str, clients: int, messages: int, processes: int, threads: int) -> dict:
    target = Target(kind, threads)
    try:
        idle_rss = target.rss_kib()
        workers = run_clients(target, clients, processes)
        time.sleep(0.5)
        connected_rss = target.rss_kib()
        sent = []
        for seq in range(messages):
            sent.append(time.time())
            target.fire(seq)
            time.sleep(0.15)
        time.sleep(1.0)
        received = []
        for worker in workers:
            worker.stdin.write("done\n")
            worker.stdin.flush()
            received += json.loads(worker.stdout.readline())
            worker.wait(timeout=30)
    finally:
        target.stop()
    latencies, lost = [], 0
    for seq, t0 in enumerate(sent):
        times = [client[seq] for client in received if len(client) > seq]
        lost += len(received) - len(times)
        if times:
            latencies.append((max(times) - t0) * 1000)
    latencies.sort()
    return {
        "target": kind, "clients": clients, "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "lost": lost, "start_s": target.start_seconds, "idle_rss_mib": idle_rss / 1024,
        "connected_rss_mib": connected_rss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,20", help="comma-separated client counts")
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=256)
    parser.add_argument("--targets", default="bare-threading,bare-gevent,hearthside")
    args = parser.parse_args()
    rows = []
    for count in [int(c) for c in args.clients.split(",")]:
        for kind in args.targets.split(","):
            rows.append(measure(kind, count, args.messages, args.processes, args.threads))
            print(json.dumps(rows[-1]), file=sys.stderr)
    baseline = {r["clients"]: r for r in rows if r["target"] == "bare-threading"}
    print("| target | clients | p50 ms | p99 ms | p50 vs bare-threading | lost | start s | idle RSS MiB | RSS connected MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        base = baseline.get(r["clients"])
        ratio = f"{r['p50_ms'] / base['p50_ms']:.2f}x" if base else "-"
        print(f"| {r['target']} | {r['clients']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {ratio} | {r['lost']} "
              f"| {r['start_s']:.2f} | {r['idle_rss_mib']:.1f} | {r['connected_rss_mib']:.1f} |")


if __name__ == "__main__":
    main()
