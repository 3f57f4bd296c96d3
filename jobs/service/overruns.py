"""The ticks a site's job skips because its last run is still on: one line when that begins, one when it ends.

APScheduler (``max_instances=1``) skips a job's tick while the job's run is still running and logs a WARNING
for every skipped tick: a feed watch every 5 minutes beside a 3-hour run wrote 36 of them. An overrun is one
event for an operator: said once when the first tick is skipped (the schedule is tighter than the runs), and
once when the run ends, with the number of ticks it skipped. APScheduler's own line is dropped
(:class:`crawler.logs.SchedulerTimesFilter`).
"""
from __future__ import annotations

import logging
import threading

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, JobEvent

from crawler.logctx import site_logger

log = logging.getLogger("arshif.serve")


class Overruns:
    """Listens to a scheduler whose jobs are named ``<site>`` (a run) and ``watch-<site>`` (a feed watch)."""

    MASK = EVENT_JOB_MAX_INSTANCES | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR

    def __init__(self) -> None:
        self._skipped: dict[str, int] = {}       # job id → ticks skipped since its running run began to overrun
        self._lock = threading.Lock()              # events come from the scheduler's thread and the executor's

    def __call__(self, event: JobEvent) -> None:
        watch = event.job_id.startswith("watch-")
        site = event.job_id.removeprefix("watch-")
        what = "feed watch" if watch else "run"
        with self._lock:
            if event.code == EVENT_JOB_MAX_INSTANCES:
                skipped = self._skipped[event.job_id] = self._skipped.get(event.job_id, 0) + 1
            else:
                skipped = -self._skipped.pop(event.job_id, 0)
        if skipped == 1:
            site_logger(log, site).warning("%s: the %s is still on at its next scheduled time: its ticks are "
                                           "skipped until it ends", site, what)
        elif skipped < 0:
            site_logger(log, site).info("%s: the %s that overran its schedule ended; %d tick%s skipped", site, what,
                                        -skipped, "" if skipped == -1 else "s")
