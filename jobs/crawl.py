"""``arshif crawl [SITE ...]``: one run of the given (or all enabled) sites now, in this process.

Prints one summary line per site; exit 0 when every site's run is "ok", 1 when some site failed, 2 for
bad configuration or usage, 3 when no site failed but some run ended "degraded" (more than
``crawl.max_failed_share`` of its article pages failed), 75 (EX_TEMPFAIL) when a site was skipped because
another crawl holds its lock.
"""
from __future__ import annotations

import argparse
import logging
import sys
from contextlib import ExitStack
from datetime import timedelta

log = logging.getLogger("arshif.crawl")

EXIT_FAILED = 1
#: a run that went to its end but failed more than crawl.max_failed_share of its article pages
EXIT_DEGRADED = 3


def exit_code(results, lock_busy: int = 0) -> int:
    """One exit status for the runs' results (``RunResult``): a failure first, then a site skipped because
    its lock was busy (``lock_busy``, 75), then a degraded run, else 0."""
    from crawler.outcomes import RunResult

    if any(not RunResult(r).completed for r in results):
        return EXIT_FAILED
    if lock_busy:
        return lock_busy
    return EXIT_DEGRADED if RunResult.DEGRADED in results else 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every enabled site)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")
    # given by ``arshif serve`` to the crawl process it starts: the run's id (so it reads that very report) and
    # the instant it stops the process at (the run closes itself then)
    parser.add_argument("--run-id", metavar="ID", help="the run's id (one site only; arshif serve names its runs)")
    parser.add_argument("--deadline", metavar="ISO", type=instant,
                        help="end the run at this time (ISO 8601 with offset) instead of start + time_limit")
    parser.add_argument("--watch", action="store_true",
                        help="a feed watch: read the feeds alone (conditionally) and fetch what is new, plus the "
                             "revisits due (arshif serve runs one every watch_every between the full runs)")


def instant(text: str):
    from datetime import datetime

    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text}: no UTC offset")
    return when


def check_sites(settings, names: list[str]) -> list[str]:
    from crawler.config import SettingsError

    if not names:
        names = settings.enabled_sites()
        if not names:
            raise SettingsError("settings: sites: no site is enabled")
    for name in names:
        if name not in settings.sites:
            raise SettingsError(f"unknown site {name!r} (known: {', '.join(sorted(settings.sites))})")
    return list(dict.fromkeys(names))


# A temporary file of a write this old belongs to no write still running (a write takes well under a second).
PARTIAL_WRITE_AGE = timedelta(hours=1)


def run_crawl(settings, sites: list[str], refetch: dict[str, list[str]] | None = None, *, run_id: str | None = None,
              deadline=None, watch: bool = False) -> tuple[int, list]:
    """Crawl ``sites`` once. Returns the exit code and the finished run reports. With ``refetch`` (site →
    article URLs) each site's run fetches those URLs again, without discovery (``arshif refetch``). Every
    run starts now (its deadline: now + its site's ``time_limit``), or as ``run_id`` says (one site) and ends
    by ``deadline``. ``watch``: a feed watch (``RunKind.WATCH``: the feeds alone, and the revisits due)."""
    from datetime import datetime, timezone

    from scrapy.crawler import Crawler

    from crawler.archive import ArchiveUnavailable, open_archive
    from crawler.archive.lease import LeaseHeld
    from crawler.components import attach
    from crawler.extract.workers import ExtractWorkers, stop_fork_server
    from crawler.fetch.spider import NewsSpider
    from crawler.fetch.stopping import RunProcess
    from crawler.outcomes import RunKind
    from crawler.run.dead_runs import settle_dead_runs
    from crawler.run.scrapy_settings import scrapy_settings
    from crawler.run.site_run import open_run
    from crawler.run.uploads import open_uploader
    from jobs.compact import compact_after_run
    from jobs.lock import LockBusy, hold_site
    from jobs.logs import setup_logging
    from jobs.stories import link_after_run

    started = datetime.now(timezone.utc)     # the runs' start: their deadlines count from it
    archive = open_archive(settings.archive.url, settings)
    try:
        archive.check()
    except ArchiveUnavailable as exc:
        log.warning("%s; writes will wait in the outbox", exc)
    busy = 0
    runs = []
    with ExitStack() as stack:
        locked = []
        for site in sites:
            try:
                hold_site(stack, settings, archive, site)            # one crawl per site, here and across machines
                locked.append(site)
            except (LockBusy, LeaseHeld) as exc:
                print(f"arshif: {exc}", file=sys.stderr)
                busy = exc.exit_code
        if not locked:
            return busy, runs
        swept = archive.sweep_partial_writes(PARTIAL_WRITE_AGE)
        if swept:
            log.warning("removed %d partial file(s) that writes killed midway left in the archive", swept)
        uploader = open_uploader(archive, settings)
        stack.callback(uploader.close)
        flushed = uploader.flush_outbox()
        pool = stack.enter_context(ExtractWorkers(settings.crawl.extract_workers,
                                                  max_rss=settings.crawl.extract_worker_max_rss_mb << 20))
        process = RunProcess({"LOG_INSTALL_ROOT_HANDLER": False})   # SIGTERM: nothing sent after it
        setup_logging(settings)  # again: Scrapy's logging set-up resets its loggers' levels
        for n, site in enumerate(locked):
            kind = RunKind.REFETCH if refetch else RunKind.WATCH if watch else RunKind.CRAWL
            run = open_run(settings, site, archive, uploader, pool, kind=kind,
                           started=started, run_id=run_id, deadline=deadline)
            stack.callback(run.index.close)
            settle_dead_runs(archive, site, found_by=run.report.run_id)   # we hold its lock: they are dead
            run.store_start_report()
            runs.append(run)
            # each site has its own settings and its run (attached to its crawler); the first installs the reactor
            process.crawl(attach(Crawler(NewsSpider, scrapy_settings(settings, site), init_reactor=n == 0), run),
                          **({"refetch": refetch[site]} if refetch else {}))
        process.start()
    stop_fork_server()                                        # the workers are gone: free what it holds
    reports = [run.report for run in runs]
    linked = link_after_run(archive, settings, reports)       # story linking of what these runs archived
    compact_after_run(archive, settings, reports, flushed.keys,      # every write is done: the uploader closed
                      story_days=linked.changed_days if linked else ())
    archive.close()
    for report in reports:
        print(report.summary(), flush=True)
    return exit_code([report.result for report in reports], busy), reports


def main(args: argparse.Namespace) -> int:
    from jobs.cli import settings_from
    from jobs.logs import setup_logging

    settings = settings_from(args)
    setup_logging(settings)
    sites = check_sites(settings, args.sites)
    if args.run_id is not None:
        from crawler.config import SettingsError
        from crawler.run.report import run_started

        if len(sites) != 1:
            raise SettingsError("--run-id names the run of one site: give exactly one SITE")
        try:
            run_started(args.run_id, sites[0])
        except ValueError as exc:
            raise SettingsError(f"--run-id: {exc}") from None
    code, _ = run_crawl(settings, sites, run_id=args.run_id, deadline=args.deadline, watch=args.watch)
    return code
