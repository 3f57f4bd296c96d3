"""``arshif reextract [SITE ...] [--since DATE] [--until DATE] [--scheduler tcp://HOST:PORT] [--batch N]``: run the
current extractor and rules over the captures already in the archive (never the sites) and write a new
version of every article whose text or metadata changed (see crawler/reextract/).

Extraction runs on a local process pool (``--workers``, default ``crawl.extract_workers``), or on the
workers of an existing Dask cluster with ``--scheduler``; the archive comes out the same either way. A
progress bar on a terminal; one summary line per site. Resumable: killed, the same command goes on where it
stopped. Exit 0 when every capture was read, 1 when some failed, 2 for bad configuration or usage, 75 when
a site is being crawled (its lock is held).
"""
from __future__ import annotations

import argparse
import logging
import sys
from contextlib import ExitStack
from typing import Callable
from urllib.parse import urlsplit

from crawler.archive.storage import ArchiveConfigError, ArchiveUnavailable, open_archive
from crawler.archive.state.index import ArticleIndex, archive_state_dir
from crawler.archive.state.lease import LeaseHeld
from crawler.config import SettingsError
from crawler.dates import day_argument
from crawler.extract.workers import ExtractWorkers
from crawler.logs import setup_logging
from crawler.outcomes import PageOutcome
from crawler.reextract.dask_cluster import DaskExecutor
from crawler.reextract.site import BATCH, ExtractorMismatch, SiteReextraction
from crawler.run.after_run import recompact_days
from crawler.run.lock import LockBusy, hold_site
from jobs.bars import progress_bar
from jobs.options import check_sites, settings_from


log = logging.getLogger("arshif.reextract")

#: The seam to the Parquet datasets: called after each site with the ``(site, date)`` days whose articles
#: re-extraction wrote (``settings``, ``archive``, ``days``), before the site's checkpoint is removed — so a
#: failure here is retried by the next run.
RECOMPACT_DAYS: Callable[..., None] = recompact_days


def _is_scheduler_address(address: str) -> bool:
    parts = urlsplit(address)
    try:
        return parts.scheme in ("tcp", "tls") and bool(parts.hostname) and parts.port is not None
    except ValueError:          # a port that is no number
        return False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every enabled site)")
    parser.add_argument("--since", type=day_argument, metavar="DATE",
                        help="only captures made on or after DATE (YYYY-MM-DD)")
    parser.add_argument("--until", type=day_argument, metavar="DATE", help="only captures made on or before DATE")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="extract on this Dask cluster's workers instead of a local process pool")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local worker processes (default: crawl.extract_workers; 0 = one per core)")
    parser.add_argument("--batch", type=int, metavar="N",
                        help=f"captures per task sent to a worker (default {BATCH}, {DaskExecutor.batch} on a Dask "
                             "cluster; larger for a cluster whose workers are far from this machine)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def _executor(stack: ExitStack, args, settings):
    if args.scheduler:
        try:
            executor = DaskExecutor(args.scheduler)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ArchiveConfigError(f"dask scheduler {args.scheduler}: cannot connect ({exc})") from None
        stack.callback(executor.close)
        return executor

    workers = settings.crawl.extract_workers if args.workers is None else args.workers
    return stack.enter_context(ExtractWorkers(workers))


def _progress(site: str):
    """A bar counting the article captures re-extracted (a WARC file holds hundreds: a bar of files stood at
    0/1 until the end), the files done beside it; on a terminal only (jobs/bars.py)."""
    bar = progress_bar(site, "page")

    def update(done: int, total: int, pages: int) -> None:
        bar.update(pages - bar.n)
        bar.set_postfix(files=f"{done}/{total}", refresh=False)

    return update, bar.close


def run_reextract(settings, sites: list[str], *, since: str | None = None, until: str | None = None,
                  executor, batch: int | None = None, on_days_touched: Callable[..., None] | None = None,
                  out=sys.stdout):
    """Re-extract ``sites``; returns the exit code and the per-site results (``SiteResult``)."""
    archive = open_archive(settings.archive.url, settings)
    archive.check()
    folder = archive_state_dir(settings.archive.state_dir, archive.url)
    code, results = 0, []
    try:
        for site in sites:
            with ExitStack() as stack:
                try:
                    hold_site(stack, settings, archive, site)
                except (LockBusy, LeaseHeld) as exc:
                    print(f"arshif: {exc}", file=sys.stderr)
                    code = code or exc.exit_code
                    continue
                index = ArticleIndex.at(folder, site)
                stack.callback(index.close)
                if not index.is_built():
                    log.info("site %s: rebuilt the index from the archive: %d articles", site, index.rebuild(archive))
                progress, close = _progress(site)
                stack.callback(close)
                job = SiteReextraction(archive, site, index, executor, folder, base_url=settings.sites[site].base_url,
                                       since=since, until=until, batch=batch, progress=progress)
                try:
                    result = job.run()
                except ArchiveUnavailable as exc:
                    print(f"arshif: {exc}; run the same command again to go on", file=sys.stderr)
                    return 1, results
                except ExtractorMismatch as exc:
                    print(f"arshif: {exc}", file=sys.stderr)
                    return 2, results
                close()
                days = sorted(result.touched_days)
                results.append(result)
                print(result.summary(), file=out, flush=True)
                if days:
                    print(f"{site}: days touched: " + " ".join(d for _, d in days), file=out, flush=True)
                try:
                    if on_days_touched is not None and days:
                        on_days_touched(settings, archive, set(days))
                except Exception as exc:     # the checkpoint stays: the next run hands the days on again
                    job.checkpoint.close()
                    print(f"arshif: {site}: the touched days were not re-compacted: {type(exc).__name__}: {exc}; "
                          "run the same command again", file=sys.stderr)
                    code = code or 1
                    continue
                job.finish(result)
                log.info("reextract finished: %s", result.summary(), extra={"site": site})
                if result.counts[PageOutcome.FAILED] or result.unfinished_files:
                    code = code or 1
    finally:
        archive.close()
    return code, results


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings)
    sites = check_sites(settings, args.sites)
    if args.since and args.until and args.since > args.until:
        raise SettingsError(f"--since {args.since} is after --until {args.until}")
    if args.scheduler and not _is_scheduler_address(args.scheduler):
        raise SettingsError(f"--scheduler {args.scheduler!r}: expected a Dask scheduler address tcp://HOST:PORT "
                            "(or tls://HOST:PORT)")
    if args.workers is not None and not 0 <= args.workers <= 64:
        raise SettingsError(f"--workers {args.workers}: expected 0 (one per core) to 64")
    if args.batch is not None and not 1 <= args.batch <= 10_000:
        raise SettingsError(f"--batch {args.batch}: expected 1 to 10000 captures per task")
    with ExitStack() as stack:
        executor = _executor(stack, args, settings)
        code, _ = run_reextract(settings, sites, since=args.since, until=args.until, executor=executor,
                                batch=args.batch, on_days_touched=RECOMPACT_DAYS)
    return code
