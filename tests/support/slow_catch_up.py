"""A third-party plugin whose daily job hangs for a minute when it runs (a catch-up at start included)."""

import time

from hearthside.hookspecs import hookimpl
from hearthside.plugin_api import ScheduledJob

HEARTHSIDE_API = ">=1.2,<2"
JOB_ID = "slow_catch_up.daily"


def hang(hs):
    time.sleep(60)


@hookimpl
def hearthside_scheduled_jobs(hs):
    return [ScheduledJob(JOB_ID, hang, cron="0 3 * * *")]
