"""Make the shared fixtures of tests/conftest.py available to each plugin's
own tests under plugins/<name>/tests/ too."""

from tests.conftest import *  # noqa: F401,F403
