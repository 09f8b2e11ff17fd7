"""Everything a plugin needs, in one import.

Built-in plugins use only what is here (and the hooks in ``hookspecs``); if a
plugin needs more, the API is missing a hook - add it here, documented.

    from hearthside.plugin_api import hookimpl, emit, api_error, get_db
"""

from .app import Hearthside, current_hs, get_db
from .config import Setting
from .errors import APIError, api_error
from .events import Event, emit
from .hookspecs import hookimpl
from .scheduler import ScheduledJob

__all__ = [
    "APIError", "Event", "Hearthside", "ScheduledJob", "Setting",
    "api_error", "current_hs", "emit", "get_db", "hookimpl",
]
