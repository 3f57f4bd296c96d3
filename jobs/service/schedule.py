"""A site's schedule from settings: ``cron`` (5-field crontab) or ``every`` (an interval), in the site's time zone.

``arshif serve`` builds its APScheduler triggers here; ``arshif status`` uses the same rules to say when the
next run is due and whether a run is overdue.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.display import human_duration


def describe(site) -> str:
    """'every 30m (UTC)' or "cron '*/30 * * * *' (Africa/Cairo)"."""
    when = f"cron '{site.cron}'" if site.cron else f"every {human_duration(site.every)}"
    return f"{when} ({site.schedule_timezone})"


def trigger(site, start: datetime | None = None) -> BaseTrigger:
    """The APScheduler trigger for ``site``. ``start``: the first run of an interval schedule (default: one
    interval from now); a crontab ignores it."""
    tz = ZoneInfo(site.schedule_timezone)
    if site.cron:
        return CronTrigger.from_crontab(site.cron, timezone=tz)
    return IntervalTrigger(seconds=site.every, start_date=start, timezone=tz)


def next_run_after(site, when: datetime) -> datetime:
    """The first scheduled run after a run that started at ``when`` (an aware datetime).

    With ``every``, the interval is counted from ``when``, as the service does; with a crontab, it is the
    crontab's next time later than ``when`` (runs start a moment after their scheduled time, hence the second).
    """
    if site.every:
        return when + timedelta(seconds=site.every)
    return trigger(site).get_next_fire_time(None, when + timedelta(seconds=1))


def upcoming_run(site, last_start: datetime | None, now: datetime) -> datetime | None:
    """The next scheduled run at or after ``now``: the crontab's next time, or for ``every`` the next multiple
    of the interval counted from the last run's start (None before any run: the service runs it at start)."""
    if site.cron:
        return trigger(site).get_next_fire_time(None, now)
    if last_start is None:
        return None
    behind = max(0.0, (now - last_start).total_seconds())
    return last_start + timedelta(seconds=site.every * max(1, math.ceil(behind / site.every)))


def catch_up_due(site, last_success_start: datetime | None, now: datetime) -> bool:
    """True when a scheduled run has been missed since the last successful run (or there never was one)."""
    return last_success_start is None or next_run_after(site, last_success_start) <= now
