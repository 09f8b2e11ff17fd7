"""A job that hangs while catching up never holds the server's start (issue 16, item 4).

Missed jobs used to run in the worker's start-up hook, before it accepted a
single connection: one hanging job and the whole server - phones, the wall,
health - waited for it. The catch-up now runs beside serving.
"""

from __future__ import annotations

import sqlite3
import time

import requests

from tests.conftest import ServerProcess
from tests.support.slow_catch_up import JOB_ID

PLUGIN = "tests.support.slow_catch_up"


def test_a_hanging_catch_up_job_does_not_keep_the_server_from_answering(tmp_path):
    data_dir = tmp_path / "data"
    first = ServerProcess(data_dir, plugins=[PLUGIN])
    wait_for_line(first, "Scheduler started")  # started beside serving: by then the job's first run is recorded
    first.stop()
    with sqlite3.connect(data_dir / "hearthside.db") as db:  # the server was off for days: 03:00 was missed
        changed = db.execute("UPDATE scheduler_runs SET last_run_at = '2020-01-01T00:00:00+00:00' "
                             "WHERE job_id = ?", [JOB_ID]).rowcount
    assert changed == 1
    # Waits for health, 20 s at most: the job hangs 60. A stop waits for running jobs only as long as
    # server.shutdown_seconds allows; 2 s keeps this test short.
    second = ServerProcess(data_dir, plugins=[PLUGIN], env={"HEARTHSIDE_SERVER__SHUTDOWN_SECONDS": "2"})
    try:
        assert requests.get(second.url + "/welcome", timeout=5).status_code == 200
        wait_for_line(second, f"Job {JOB_ID} missed a run")  # it did run, beside serving
    finally:
        stopped = time.monotonic()
        second.stop()
    assert time.monotonic() - stopped < 40  # and a stop does not wait the minute out either


def wait_for_line(server: ServerProcess, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in server.output()
