"""Hearthside: a self-hosted, private companion for couples rebuilding trust.

The public plugin API is re-exported by :mod:`hearthside.plugin_api`; this
module only carries the version so ``hearthside --version`` stays instant.
"""

__version__ = "0.1.0"
