"""The steps after a crawl's runs are over (:mod:`crawler.run.session`): link the stories of what they archived,
then rewrite the dataset days they changed. Neither fails the crawl: a busy lock, an archive that does not
answer or a damaged state file is one warning line, and the next run catches up. ``arshif compact``,
``arshif export``, ``arshif reextract`` and ``arshif stories`` use the same helpers (``story_ids``,
``recompact_days``, ``STORIES_LOCK``).

The dataset (pyarrow) and story linking (scipy) modules are imported inside the functions that use them: a
crawl's process starts without them, and pays for them only once its runs are over.
"""
from __future__ import annotations

import logging
import math
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

from crawler.archive.storage.base import ArchiveError
from crawler.archive.state.index import archive_state_dir
from crawler.archive.storage.keys import ARTICLES
from crawler.archive.state.lease import LeaseHeld
from crawler.dataset.pending import CurrentDays, PendingDays
from crawler.logctx import site_logger
from crawler.run.lock import LockBusy, hold_site

log = logging.getLogger("arshif.dataset")
stories_log = logging.getLogger("arshif.stories")

STORIES_LOCK = "stories"          # local lock and archive lease name: one update of the stories at a time


def link_stories(archive, settings, reports, handoff=None):
    """Link the articles the finished runs wrote (and any recent one not linked yet), taking the features of
    those the extraction workers computed from ``handoff`` (``crawler.stories.handoff.Handoff``: never read back
    from the archive); the
    :class:`crawler.stories.UpdateResult` (its ``changed_days``: the archive dates whose story ids changed),
    or None when it could not be done. Nothing to link: nothing written, not even the lock. Never fails the
    crawl: a busy lock or an archive problem is one warning, and the next run catches up."""
    if not settings.stories.enabled or not reports:
        return None
    from crawler.stories import LinkParams, UpdateResult, pending, update   # scipy: only once the runs are over

    keys = [key for report in reports for key in report.keys_written if key.startswith(ARTICLES)]
    sites = sorted({report.site for report in reports})
    try:
        todo = pending(archive, keys, scan_sites=sites)
        if not todo:
            return UpdateResult(0, 0, [])
        with ExitStack() as stack:
            hold_site(stack, settings, archive, STORIES_LOCK, outage_ok=False)
            stories_log.info("stories: linking %d articles", len(todo))       # a sign of life: it can take a while
            result = update(archive, LinkParams.from_settings(settings), todo,
                            handed=handoff.features if handoff is not None else None)
    except (LockBusy, LeaseHeld):
        stories_log.warning("stories: another update is running; these articles are linked by the next run")
        return None
    except ArchiveError as exc:
        stories_log.warning("stories: not updated: %s", exc)
        return None
    except (ValueError, KeyError, OSError) as exc:      # a damaged stories/ file: the articles are safe
        stories_log.error("stories: not updated: stories state unreadable (%s: %s); run `arshif stories --rebuild`",
                          type(exc).__name__, exc)
        return None
    stories_log.info("stories: %d articles linked, %d links recomputed, %d days with new story ids; %d articles "
                     "read from the archive (the features of the others came from the extraction workers)",
                     result.articles, result.links, len(result.changed_days), result.read,
                     extra={"counts": {"articles": result.articles, "read": result.read, "links": result.links,
                                       "days": len(result.changed_days)}})
    return result


def story_ids(archive, settings, days=None) -> dict[str, str] | None:
    """Article id → story_id (``crawler/stories``) for the dataset's ``story_id`` column, for the archive
    ``days`` given (all when None); None when story linking is off."""
    from crawler.stories import load_story_ids          # scipy: only where the dataset is written

    return load_story_ids(archive, days) if settings.stories.enabled else None


def recompact_days(settings, archive, days: Iterable[tuple[str, str]]) -> None:
    """Rewrite the dataset of the ``(site, date)`` days given (``arshif reextract`` hands on the days it
    wrote); raises when a day could not be compacted, so the caller keeps them for its next run."""
    from crawler.dataset.compact import compact_site    # pyarrow: only where the dataset is written

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
    from crawler.dataset.compact import compact_site, days_written, lagging_days   # pyarrow: see the docstring

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
