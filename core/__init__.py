"""Hearthside: a self-hosted, private companion for couples rebuilding trust.

The public plugin API is re-exported by :mod:`hearthside.plugin_api`; this
module only carries the versions so ``hearthside --version`` stays instant.

``__version__`` is the release of the server. ``PLUGIN_API_VERSION`` is the
version of what plugins may rely on (the hooks in ``hearthside.hookspecs`` and
the names in ``hearthside.plugin_api``), as ``"MAJOR.MINOR"``: MINOR grows when
something is added or deprecated, MAJOR when something deprecated is removed
or changes incompatibly. Plugins declare the range they support
(``HEARTHSIDE_API = ">=1.0,<2"``); see docs/hooks.md, "Versions".
"""

__version__ = "0.1.0"
PLUGIN_API_VERSION = "1.6"  # 1.1: hearthside_backup_files; 1.2: hearthside_event_types, ScheduledJob(every=, cron=);
# 1.3: utc_now, typed hook answers (NavItem, DashboardCard, FeedLine, CalendarEntry), line_chart, page_data
# and the shared JS kit (hearthside-kit.js, the page_script block); 1.4: hearthside_restored, write_private,
# layout (the layout's standard hooks); 1.5: hearthside_notifications and Notification;
# 1.6: layout.event_types (event types declared in event_types.toml)
