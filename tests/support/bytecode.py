"""Compiled bytecode, the assertion-rewritten code of pytest included, is kept between runs.

Loaded with ``-p`` from ``addopts`` (pyproject.toml), so before pytest imports
the plugins of installed packages: schemathesis, hypothesis and anyio bring
about 250 modules that pytest rewrites for its asserts, then the test kit
imports Hearthside. Where ``PYTHONDONTWRITEBYTECODE`` is set (as here and on
the CI machine) none of that was cached, and every run, in each xdist worker,
rewrote and compiled it all again, the 390 test modules too: 4-5 s of CPU per
worker. The cache is one folder in ``.pytest_cache`` (ignored by git), never
beside the sources; the processes the tests start use it too (tests/conftest.py).
"""

import sys
from pathlib import Path

BYTECODE_CACHE = Path(__file__).resolve().parents[2] / ".pytest_cache" / "pycache"

sys.pycache_prefix = str(BYTECODE_CACHE)
sys.dont_write_bytecode = False
