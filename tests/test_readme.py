"""The README's first screen: exactly two set-up commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST_SCREEN_LINES = 30  # what a newcomer sees before scrolling


def first_screen_commands() -> list[str]:
    top = "\n".join((REPO / "README.md").read_text(encoding="utf-8").splitlines()[:FIRST_SCREEN_LINES])
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", top, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_first_screen_holds_exactly_two_commands_run_and_test():
    run, test = first_screen_commands()  # exactly two, in this order
    for command in (run, test):
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install "), command
    assert run.endswith(".venv/bin/hearthside serve")  # the embedded defaults: no config, no flags
    assert "'.[test]'" in test and test.endswith(".venv/bin/python -m pytest")


def test_ci_runs_the_readmes_test_command_verbatim():
    _run, test = first_screen_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines(), ".ci/run must run the README's test command exactly as written"
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci  # any failure fails CI
