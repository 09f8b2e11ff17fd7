"""Live clients in their own process: ``python -m benchmarks.clients URL COUNT TOKEN[,TOKEN...]``.

Opens COUNT real python-socketio clients over websockets (tokens used in
turn; ``-`` for none, as the bare app needs), prints ``ready`` and then, for
every live message that marks a measurement, records when each client got
it. On a line ``dump`` on stdin it prints one JSON object and exits:

* ``received``: per client, the arrival times (``time.time()``) of marked messages;
* ``disconnects``: how many clients lost their connection meanwhile;
* ``failed``: connections that could not be made.

With ``--churn`` it instead connects and disconnects one client after another
until told to dump (``connects`` counts them): websocket connect handlers,
which read and may write the tokens table, under load.

Marked messages are the bare app's ``{"seq": n}`` and the Hearthside event
types named with ``--types`` (default ``pause.started``).
Clients run in several such processes so the client side is not the bottleneck.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time

import socketio

PYTHON = sys.executable


class Recorder:
    """The marked arrivals of one client."""

    def __init__(self, types: set[str]):
        self.types = types
        self.arrivals: list[float] = []

    def on_event(self, data) -> None:
        now = time.time()
        if isinstance(data, dict) and ("seq" in data or data.get("type") in self.types):
            self.arrivals.append(now)


def connect(url: str, token: str, recorder: Recorder | None, lost: list) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    if recorder is not None:
        client.on("event", recorder.on_event)
    client.on("disconnect", lambda *reason: lost.append(1))
    client.connect(url, transports=["websocket"], auth=None if token == "-" else {"token": token},
                   wait_timeout=30)
    return client


def hold(url: str, count: int, tokens: list[str], types: set[str]) -> dict:
    recorders, lost, failed, clients = [], [], 0, []
    for i in range(count):
        recorder = Recorder(types)
        try:
            clients.append(connect(url, tokens[i % len(tokens)], recorder, lost))
            recorders.append(recorder)
        except Exception as exc:  # reported, not fatal: a failed connect is a measured error
            print(f"connect failed: {exc}", file=sys.stderr)
            failed += 1
    print("ready", flush=True)
    sys.stdin.readline()
    return {"received": [r.arrivals for r in recorders], "disconnects": len(lost), "failed": failed}


def churn(url: str, tokens: list[str]) -> dict:
    """Connect and disconnect in a loop until stdin says stop."""
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    print("ready", flush=True)
    done, failed, i = 0, 0, 0
    while not stop.is_set():
        lost: list = []
        try:
            client = connect(url, tokens[i % len(tokens)], None, lost)
            client.disconnect()
            done += 1
        except Exception as exc:
            print(f"connect failed: {exc}", file=sys.stderr)
            failed += 1
        i += 1
    return {"received": [], "disconnects": 0, "failed": failed, "connects": done}


class ClientGroup:
    """The harness side: ``count`` clients spread over ``processes`` client processes."""

    def __init__(self, url: str, count: int, tokens: list[str], processes: int = 2,
                 types: str = "pause.started", churn: bool = False):
        from .servers import ROOT, clean_env

        per_process = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
        self.workers = []
        for share in per_process:
            if share or churn:
                command = [PYTHON, "-m", "benchmarks.clients", *arguments(url, share, tokens, types, churn)]
                self.workers.append(subprocess.Popen(command, cwd=ROOT,
                                                     env=clean_env(), stdin=subprocess.PIPE,
                                                     stdout=subprocess.PIPE, text=True))
        for worker in self.workers:
            if worker.stdout.readline().strip() != "ready":
                self.close()
                raise RuntimeError("a client process did not start")

    def collect(self) -> dict:
        """Stop every process; their results merged."""
        merged = {"received": [], "disconnects": 0, "failed": 0, "connects": 0}
        for worker in self.workers:
            worker.stdin.write("dump\n")
            worker.stdin.flush()
            result = json.loads(worker.stdout.readline())
            worker.wait(timeout=60)
            merged["received"] += result["received"]
            for key in ("disconnects", "failed", "connects"):
                merged[key] += result.get(key, 0)
        return merged

    def close(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def arguments(url: str, count: int, tokens: list[str], types: str, churn: bool) -> list[str]:
    """The command line of one client process; "--" first, because a token may begin with "-"."""
    return ["--types", types, *(["--churn"] if churn else []), "--", url, str(count), ",".join(tokens)]


def parser() -> argparse.ArgumentParser:
    parsing = argparse.ArgumentParser()
    parsing.add_argument("url")
    parsing.add_argument("count", type=int)
    parsing.add_argument("tokens")
    parsing.add_argument("--types", default="pause.started")
    parsing.add_argument("--churn", action="store_true")
    return parsing


def main() -> None:
    args = parser().parse_args()
    tokens = args.tokens.split(",")
    if args.churn:
        result = churn(args.url, tokens)
    else:
        result = hold(args.url, args.count, tokens, set(args.types.split(",")))
    print(json.dumps(result), flush=True)
    os._exit(0)  # closing hundreds of sockets politely only slows the run down


if __name__ == "__main__":
    main()
