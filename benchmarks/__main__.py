"""``python -m benchmarks``: every benchmark, one table (see benchmarks/run.py)."""

import sys

from .run import main

sys.exit(main())
