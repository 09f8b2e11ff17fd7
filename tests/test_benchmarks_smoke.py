"""The benchmark harness still runs: its quickest mode prints a table.

No timing is asserted here (machines are noisy; benchmarks/README.md holds the
figures). This only catches a harness that no longer starts the servers,
signs the couple up through the API, connects live clients or prints.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks import clients
from tests.conftest import REPO_ROOT


def test_a_client_process_reads_tokens_that_begin_with_a_dash():
    """Tokens are random: one in 64 begins with "-", which argparse took for an option (a red CI run)."""
    tokens = ["-Xy_token", "plain-token"]
    args = clients.parser().parse_args(clients.arguments("http://127.0.0.1:1", 3, tokens, "pause.started", True))
    assert (args.url, args.count, args.tokens.split(","), args.churn) == ("http://127.0.0.1:1", 3, tokens, True)


@pytest.mark.slow
def test_the_quickest_benchmark_run_prints_a_table_of_figures_and_targets():
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--sections", "live", "--clients", "1", "--messages", "2"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode in (0, 1), run.stderr[-3000:]  # 1 = a target missed: a figure, not a failure
    lines = run.stdout.splitlines()
    assert "| section | figure | value | baseline | ratio | target | holds |" in lines
    rows = [line for line in lines if line.startswith("| live |")]
    assert any("pause to every client, p50, 1 client" in row and "(bare)" in row for row in rows), run.stdout
    assert any("messages lost, 1 client" in row for row in rows), run.stdout


def quick_rows(section: str, *arguments: str) -> tuple[list[str], str]:
    """The table rows of one section of ``python -m benchmarks --quick --sections <section> ...``, and the output."""
    run = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--sections", section, *arguments],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return [line for line in run.stdout.splitlines() if line.startswith("| ")], run.stdout


@pytest.mark.slow
def test_the_strangers_benchmark_runs_and_health_answers_with_the_limits_on():
    rows, output = quick_rows("strangers", "--strangers", "20")
    assert any("health p50, 20 unsigned websockets held open" in row and "(none)" in row for row in rows), output
    assert any("429:" in row for row in rows), output  # the stranger was refused beyond its share


@pytest.mark.slow
def test_the_held_sockets_benchmark_signs_every_socket_in_and_the_next_one_hears_why_not():
    rows, output = quick_rows("held", "--held", "20")
    assert any("live sockets signed in (cap 20)" in row and "| 20 |" in row for row in rows), output
    assert any("socket 21 (past the cap) heard (refused: This server already holds" in row for row in rows)
    assert any("health p99, 20 live sockets held" in row and "(none)" in row for row in rows), output


@pytest.mark.slow
def test_the_database_benchmark_runs_and_reports_no_server_error():
    """It crashed on a renamed attribute of the test kit's HTTP client and nobody saw (issue 16, item 8)."""
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--sections", "database"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    rows = [line for line in run.stdout.splitlines() if line.startswith("| database |")]
    assert any("write POST transparency entry" in row for row in rows), run.stdout
    assert any(row.startswith("| database | 5xx during throughput runs | 0 |") for row in rows), run.stdout


@pytest.mark.slow
def test_the_load_benchmark_runs_and_counts_server_errors():
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--sections", "load", "--load-seconds", "4"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180,
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    rows = [line for line in run.stdout.splitlines() if line.startswith("| load |")]
    assert any(row.startswith("| load | 5xx answers (10 writers, 10 listeners + churn, 4 s) (") and "503 busy:" in row
               for row in rows), run.stdout
    assert any("health p99 while loaded" in row and "idle health p99" in row for row in rows), run.stdout
