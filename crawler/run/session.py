"""One crawl session: the runs of the given sites in this process, step by step (:func:`run_crawl`).

lock the sites → ready the archive (sweep, outbox) → open the runs → settle the dead runs → crawl → link the
stories → compact → report. ``arshif crawl``, ``arshif refetch`` and ``arshif demo`` call it; ``arshif serve``
runs it in a child process (``arshif crawl SITE --run-id ID --deadline ISO``).
"""
from __future__ import annotations

import logging
import sys
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

from scrapy.crawler import Crawler

from crawler.archive.storage import ArchiveUnavailable, open_archive
from crawler.archive.state.lease import LeaseHeld
from crawler.components import attach
from crawler.config import SiteConfig
from crawler.extract.workers import ExtractWorkers, stop_fork_server
from crawler.fetch.spider import NewsSpider
from crawler.fetch.stopping import RunProcess
from crawler.logs import setup_logging
from crawler.outcomes import RunKind, RunResult
from crawler.run.after_run import compact_after_run, link_stories
from crawler.run.dead_runs import settle_dead_runs
from crawler.run.lock import LockBusy, hold_site
from crawler.run.scrapy_settings import scrapy_settings
from crawler.run.site_run import open_run
from crawler.run.uploads import open_uploader
from crawler.stories.handoff import Handoff

log = logging.getLogger("arshif.crawl")

EXIT_FAILED = 1
#: a run that went to its end but failed more than crawl.max_failed_share of its article pages
EXIT_DEGRADED = 3

# A temporary file of a write this old belongs to no write still running (a write takes well under a second).
PARTIAL_WRITE_AGE = timedelta(hours=1)


def run_crawl(settings, sites: list[str], refetch: dict[str, list[str]] | None = None, *, run_id: str | None = None,
              deadline=None, watch: bool = False) -> tuple[int, list]:
    """Crawl ``sites`` once. Returns the exit code and the finished run reports. With ``refetch`` (site →
    article URLs) each site's run fetches those URLs again, without discovery (``arshif refetch``). Every
    run starts now (its deadline: now + its site's ``time_limit``), or as ``run_id`` says (one site) and ends
    by ``deadline``. ``watch``: a feed watch (``RunKind.WATCH``: the feeds alone, and the revisits due)."""
    started = datetime.now(timezone.utc)     # the runs' start: their deadlines count from it
    kind = RunKind.REFETCH if refetch else RunKind.WATCH if watch else RunKind.CRAWL
    archive = open_checked_archive(settings)
    with ExitStack() as stack:
        locked, busy = lock_sites(stack, settings, archive, sites)
        if not locked:
            return busy, []
        uploader, flushed = ready_archive(stack, settings, archive)
        pool, process = start_crawl_process(stack, settings)
        handoff = Handoff() if settings.stories.enabled else None     # the story features the workers computed
        runs = [open_site_run(stack, settings, archive, uploader, pool, site, kind, started, run_id, deadline,
                              handoff) for site in locked]
        for run in runs:
            settle_dead(archive, run)
        crawl(process, settings, runs, refetch)
    stop_fork_server()                                        # the workers are gone: free what it holds
    reports = [run.report for run in runs]
    linked = link_stories(archive, settings, reports, handoff)  # story linking of what these runs archived
    compact_after_run(archive, settings, reports, flushed.keys,      # every write is done: the uploader closed
                      story_days=linked.changed_days if linked else ())
    archive.close()
    for report in reports:
        print(report.summary(), flush=True)
    return exit_code([report.result for report in reports], busy), reports


def open_checked_archive(settings):
    """The archive of ``settings``; one that does not answer now is an outage the outbox absorbs."""
    archive = open_archive(settings.archive.url, settings)
    try:
        archive.check()
    except ArchiveUnavailable as exc:
        log.warning("%s; writes will wait in the outbox", exc)
    return archive


def lock_sites(stack: ExitStack, settings, archive, sites: list[str]) -> tuple[list[str], int]:
    """Hold each site's lock and lease until ``stack`` closes (one crawl per site, here and across machines).
    The sites locked, and the exit status of a site turned away (75) or 0."""
    locked, busy = [], 0
    for site in sites:
        try:
            hold_site(stack, settings, archive, site)
            locked.append(site)
        except (LockBusy, LeaseHeld) as exc:
            print(f"arshif: {exc}", file=sys.stderr)
            busy = exc.exit_code
    return locked, busy


def ready_archive(stack: ExitStack, settings, archive):
    """Sweep the partial files killed writes left, open the uploader (closed with ``stack``) and replay the
    outbox; the uploader and what the replay flushed."""
    swept = archive.sweep_partial_writes(PARTIAL_WRITE_AGE)
    if swept:
        log.warning("removed %d partial file(s) that writes killed midway left in the archive", swept)
    uploader = open_uploader(archive, settings)
    stack.callback(uploader.close)
    return uploader, uploader.flush_outbox()


def start_crawl_process(stack: ExitStack, settings) -> tuple[ExtractWorkers, RunProcess]:
    """The extraction workers (stopped with ``stack``) and Scrapy's process (SIGTERM: nothing sent after it)."""
    pool = stack.enter_context(ExtractWorkers(settings.crawl.extract_workers,
                                              max_rss=settings.crawl.extract_worker_max_rss_mb << 20))
    process = RunProcess({"LOG_INSTALL_ROOT_HANDLER": False})
    setup_logging(settings)  # again: Scrapy's logging set-up resets its loggers' levels
    return pool, process


def open_site_run(stack: ExitStack, settings, archive, uploader, pool, site: str, kind: RunKind, started,
                  run_id: str | None, deadline, stories: Handoff | None = None):
    """The run of ``site`` (its index closed with ``stack``), handing its story features to ``stories``."""
    run = open_run(settings, site, archive, uploader, pool, kind=kind, started=started, run_id=run_id,
                   deadline=deadline, stories=stories)
    stack.callback(run.index.close)
    return run


def settle_dead(archive, run) -> None:
    """Complete the reports of the site's runs that died (we hold its lock: they are dead), then store this
    run's start report."""
    settle_dead_runs(archive, run.site, found_by=run.report.run_id)
    run.store_start_report()


def crawl(process: RunProcess, settings, runs: list, refetch: dict[str, list[str]] | None) -> None:
    """Crawl every run's site in one Scrapy process, until each run ends."""
    for n, run in enumerate(runs):
        # each site has its own settings and its run (attached to its crawler); the first installs the reactor
        crawler = Crawler(NewsSpider, scrapy_settings(settings, run.site), init_reactor=n == 0)
        process.crawl(attach(crawler, run, SiteConfig.of(settings, run.site)), **({"refetch": refetch[run.site]} if refetch else {}))
    process.start()


def exit_code(results, lock_busy: int = 0) -> int:
    """One exit status for the runs' results (``RunResult``): a failure first, then a site skipped because
    its lock was busy (``lock_busy``, 75), then a degraded run, else 0."""
    if any(not RunResult(r).completed for r in results):
        return EXIT_FAILED
    if lock_busy:
        return lock_busy
    return EXIT_DEGRADED if RunResult.DEGRADED in results else 0
