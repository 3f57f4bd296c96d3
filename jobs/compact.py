"""``arshif compact [SITE ...] [--since DATE]``: write the Parquet dataset (``datasets/articles/``) from the
archived articles, one file per site and publication day (see crawler/dataset/compact.py). Days that did
not change are not written. Also :func:`compact_after_run`, which a crawl calls when it finishes.

Prints one line per site; exit 0 when every day was compacted, 1 when some day failed (the archive did not
answer), 2 for bad configuration or usage.
"""
from __future__ import annotations

import argparse
import logging
import math
import sys
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

from crawler.dates import day_argument

log = logging.getLogger("arshif.dataset")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every enabled site)")
    parser.add_argument("--since", type=day_argument, metavar="DATE",
                        help="only publication days from DATE (YYYY-MM-DD) on (default: every day)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def main(args: argparse.Namespace) -> int:
    from crawler.archive import ArchiveConfigError, ArchiveError, open_archive
    from crawler.dataset.compact import compact_site
    from jobs.bars import follow, progress_bar
    from jobs.cli import settings_from
    from jobs.crawl import check_sites
    from jobs.logs import setup_logging

    settings = settings_from(args)
    setup_logging(settings)
    sites = check_sites(settings, args.sites)
    archive = open_archive(settings.archive.url, settings)
    code = 0
    try:
        archive.check()
        for site in sites:
            bar = progress_bar(site, "day")
            try:
                result = compact_site(archive, site, since=args.since, story_ids=story_ids(archive, settings),
                                      workers=settings.dataset.read_workers,
                                      keep_replaced=settings.dataset.keep_replaced,
                                      progress=follow(bar))
            finally:
                bar.close()
            print(result.summary(), flush=True)
            code = code or (1 if result.failed else 0)
    except ArchiveConfigError:
        raise
    except ArchiveError as exc:                  # not answering (listing a site's articles)
        print(f"arshif: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        archive.close()
    return code


def story_ids(archive, settings, days=None) -> dict[str, str] | None:
    """Article id → story_id (``crawler/stories``) for the dataset's ``story_id`` column, for the archive
    ``days`` given (all when None); None when story linking is off."""
    from crawler.stories import load_story_ids

    return load_story_ids(archive, days) if settings.stories.enabled else None


def recompact_days(settings, archive, days: Iterable[tuple[str, str]]) -> None:
    """Rewrite the dataset of the ``(site, date)`` days given (``arshif reextract`` hands on the days it
    wrote); raises when a day could not be compacted, so the caller keeps them for its next run."""
    from crawler.dataset.compact import compact_site

    by_site: dict[str, set[str]] = {}
    for site, date in days:
        by_site.setdefault(site, set()).add(date)
    for site, dates in sorted(by_site.items()):
        result = compact_site(archive, site, dates=dates, story_ids=story_ids(archive, settings, dates),
                              workers=settings.dataset.read_workers, keep_replaced=settings.dataset.keep_replaced)
        log.info("dataset: %s", result.summary(), extra={"site": site})
        if result.failed:
            day, why = next(iter(result.failed.items()))
            raise RuntimeError(f"{len(result.failed)} days of {site} not compacted (first {day}: {why})")


def recent_days(settings, site: str, now: datetime | None = None) -> list[str]:
    """The publication days a run of ``site`` mostly writes: today and its lookback window (UTC)."""
    now = now or datetime.now(timezone.utc)
    back = math.ceil(settings.sites[site].lookback_days) + 1
    return [(now - timedelta(days=n)).date().isoformat() for n in range(back + 1)]


def compact_after_run(archive, settings, reports: Iterable, flushed: Mapping[str, Iterable[str]] = {},
                      story_days: Iterable[str] = ()) -> None:
    """After a crawl: rewrite the days its runs (``reports``) and the outbox replay before it (``flushed``:
    site → keys) changed, the days whose story ids the linking after the run changed (``story_days``), the
    days a failed compaction left pending, and the recent days whose dataset lags
    their articles (a crawl killed before its compaction). Never raises for the archive: a day that fails
    stays pending in the state folder for the next run, with one warning line."""
    if not settings.dataset.compact_after_run:
        return
    from crawler.archive import ArchiveError
    from crawler.dataset.compact import compact_site, days_written, lagging_days
    from crawler.dataset.pending import CurrentDays, PendingDays
    from crawler.logctx import site_logger
    from crawler.archive.index import archive_state_dir

    written: dict[str, set[str]] = {site: days_written(keys) for site, keys in flushed.items()}
    run_ids: dict[str, str] = {}
    for report in reports:
        written.setdefault(report.site, set()).update(days_written(report.keys_written))
        run_ids[report.site] = report.run_id
    for site in written:
        written[site] |= set(story_days)
    folder = archive_state_dir(settings.archive.state_dir, archive.url)
    for site, dates in written.items():
        slog = site_logger(log, site, run_ids.get(site))
        pending, current_days = PendingDays(folder, site), CurrentDays(folder, site)
        dates |= pending.load()
        recent = set(recent_days(settings, site)) if site in settings.sites else set()
        current = {date: at for date, at in current_days.load().items() if date in recent}
        try:
            if recent:
                dates |= lagging_days(archive, site, recent - dates, current=current)
            result = compact_site(archive, site, dates=dates, story_ids=story_ids(archive, settings, dates),
                                  workers=settings.dataset.read_workers,
                                  keep_replaced=settings.dataset.keep_replaced) if dates else None
        except ArchiveError as exc:
            result, failed = None, {d: str(exc) for d in dates}
        else:
            failed = result.failed if result else {}
        pending.save(set(failed))
        for day in result.days if result else ():
            if day.date in recent and day.newest_article is not None:
                current[day.date] = day.newest_article
        current_days.save({date: at for date, at in current.items() if date not in failed})
        if failed:
            slog.warning("%s: dataset: %d days not compacted, left for the next run (or `arshif compact %s "
                         "--since %s`): %s", site, len(failed), site, min(failed), next(iter(failed.values())))
        if result is not None:
            slog.info("dataset: %s", result.summary())
