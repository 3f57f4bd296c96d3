"""``arshif serve``: the scheduler. Crawls every enabled site on its schedule until SIGTERM or SIGINT.

* One APScheduler job per site (``max_instances=1``: never two runs of a site at once; ``coalesce=True``:
  runs missed while the machine slept or a run overran become one). Each run is a child process
  (:mod:`jobs.service.runner`), stopped and reported as failed past the site's ``time_limit``.
* At start, a site that missed a scheduled run since its last successful one (per the run reports in the
  archive) runs at once: catch-up after a reboot or a deploy. An interval schedule keeps its cadence from
  the last success otherwise.
* SIGTERM / SIGINT: no new runs; running crawls get ``service.grace`` to finish, then are stopped cleanly
  (failed reports say so); exit 0. A second signal cuts the grace short.
* Between the full runs, a feed watch per site every ``watch_every`` (a job of its own, ``watch-<site>``): a run
  of its own process that reads the feeds alone, conditionally, fetches what is new at once and the revisits
  due (``arshif crawl --watch``); skipped while a run of the site is on, and a full run waits for it to end.
* Metrics (:mod:`jobs.service.metrics`) on ``service.metrics_host:metrics_port`` and/or ``service.metrics_textfile``.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.archive.storage import ArchiveError, open_archive
from crawler.display import human_duration
from crawler.logctx import site_logger
from crawler.logs import setup_logging
from jobs.options import settings_from
from jobs.service.history import SiteHistory, started
from jobs.service.metrics import ServiceMetrics
from jobs.service.overruns import Overruns
from jobs.service.runner import CrawlRunner
from jobs.service.schedule import catch_up_due, describe, next_run_after, trigger


log = logging.getLogger("arshif.serve")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def crawl_command(args: argparse.Namespace) -> list[str]:
    """``arshif crawl`` as a child of this interpreter, with this invocation's settings file and archive."""
    command = [sys.executable, "-m", "jobs.cli", "crawl"]
    if args.settings:
        command += ["--settings", args.settings]
    if args.archive:
        command += ["--archive", args.archive]
    return command


class Service:
    def __init__(self, settings, command: list[str]):
        self.settings = settings
        self.sites = settings.enabled_sites()
        self.archive = open_archive(settings.archive.url, settings)
        self.metrics = ServiceMetrics(self.sites, textfile=settings.service.metrics_textfile)
        self.runner = CrawlRunner(settings, command, self.archive, on_report=self.metrics.record)
        self.stopping = threading.Event()
        self.hurry = threading.Event()

    def request_stop(self, _signum, _frame) -> None:
        (self.hurry if self.stopping.is_set() else self.stopping).set()

    def run(self) -> int:
        if not self.sites:
            log.error("no site is enabled: nothing to schedule")
            return 2
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.request_stop)
        svc = self.settings.service
        if svc.metrics_port:
            try:
                self.metrics.start_http(svc.metrics_host, svc.metrics_port)
            except OSError as exc:
                log.error("metrics on %s:%d: cannot listen: %s", svc.metrics_host, svc.metrics_port, exc.strerror)
                return 2
            log.info("metrics on http://%s:%d/metrics", svc.metrics_host, svc.metrics_port)
        self.metrics.write_textfile()
        scheduler = BackgroundScheduler(timezone=timezone.utc,
                                        executors={"default": ThreadPoolExecutor(max_workers=2 * len(self.sites))})
        scheduler.add_listener(Overruns(), Overruns.MASK)
        for site in self.sites:
            self._add_job(scheduler, site)
            self._add_watch(scheduler, site)
        scheduler.start()
        for site in self.sites:
            site_logger(log, site).info("%s: scheduled %s, next run at %s", site, describe(self.settings.sites[site]),
                                        _iso(scheduler.get_job(site).next_run_time))
        while not self.stopping.wait(1):
            pass
        scheduler.shutdown(wait=False)
        self._drain()
        self.metrics.close()
        self.archive.close()
        log.info("stopped")
        return 0

    def _add_job(self, scheduler, site: str) -> None:
        """The site's job; first run at once when one was missed since the last success (catch-up)."""
        cfg = self.settings.sites[site]
        slog = site_logger(log, site)
        now = datetime.now(timezone.utc)
        try:
            history = SiteHistory.load(self.archive, site)
        except ArchiveError as exc:
            slog.warning("%s: run reports unreadable (%s): crawling now", site, exc)
            history = SiteHistory(site)
        self.metrics.seed(site, history.last_run, history.last_success)
        last = started(history.last_success) if history.last_success else None
        due = catch_up_due(cfg, last, now)
        options = {"next_run_time": now} if due else {}
        if due and last:
            slog.info("%s: last success %s, a run was due since: catching up now", site, _iso(last))
        scheduler.add_job(self._crawl, trigger(cfg, start=None if due else next_run_after(cfg, last)),
                          args=[site], id=site, name=f"crawl {site}", max_instances=1, coalesce=True,
                          misfire_grace_time=None, **options)

    def _add_watch(self, scheduler, site: str) -> None:
        """The site's feed watch, every ``watch_every`` from now (none when it is 0)."""

        every = self.settings.sites[site].watch_every
        if every:
            scheduler.add_job(self._crawl, IntervalTrigger(seconds=every, timezone=timezone.utc), args=[site, True],
                              id=f"watch-{site}", name=f"watch {site}", max_instances=1, coalesce=True,
                              misfire_grace_time=None)
            site_logger(log, site).info("%s: feed watch every %s", site, human_duration(every))

    def _crawl(self, site: str, watch: bool = False) -> None:
        try:
            self.runner.run(site, watch)
        except Exception:
            site_logger(log, site).exception("%s: the run could not be completed", site)

    def _drain(self) -> None:
        """No new crawl; running ones get the grace period, then are stopped."""
        self.runner.close()
        grace = self.settings.service.grace
        running = self.runner.running()
        if running:
            log.info("stopping: waiting up to %s for the running crawls of %s", human_duration(grace),
                     ", ".join(running))
        if not self.runner.wait_idle(grace, interrupted=self.hurry):
            why = ("a second stop signal" if self.hurry.is_set()
                   else f"the {human_duration(grace)} grace period")
            self.runner.stop_all(f"stopped by the service's shutdown after {why}")
            self.runner.wait_idle(None)


def _iso(when: datetime | None) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if when else "never"


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings)
    return Service(settings, crawl_command(args)).run()
