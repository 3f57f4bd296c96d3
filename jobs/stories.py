"""``arshif stories``: the stories seen since a date (one line each), or ``--rebuild`` of the linking state.

Also :func:`link_after_run`, the one call ``arshif crawl`` makes when its runs are over.
"""
from __future__ import annotations

import argparse
import logging
import sys
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone

from crawler.dates import day_argument

log = logging.getLogger("arshif.stories")

LOCK = "stories"          # local lock and archive lease name: one update of the stories at a time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="DATE", type=day_argument,
                        help="list the stories first seen on or after DATE (YYYY-MM-DD; default: yesterday)")
    parser.add_argument("--rebuild", action="store_true",
                        help="recompute every story from the archived articles, then list")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def link_after_run(archive, settings, reports):
    """Link the articles the finished runs wrote (and any recent one not linked yet); the
    :class:`crawler.stories.UpdateResult` (its ``changed_days``: the archive dates whose story ids changed),
    or None when it could not be done. Nothing to link: nothing written, not even the lock. Never fails the
    crawl: a busy lock or an archive problem is one warning, and the next run catches up."""
    if not settings.stories.enabled or not reports:
        return None
    from crawler.archive.base import ArchiveError
    from crawler.archive.lease import LeaseHeld
    from crawler.stories import LinkParams, UpdateResult, pending, update
    from jobs.lock import LockBusy, hold_site

    keys = [key for report in reports for key in report.keys_written if key.startswith("articles/")]
    sites = sorted({report.site for report in reports})
    try:
        todo = pending(archive, keys, scan_sites=sites)
        if not todo:
            return UpdateResult(0, 0, [])
        with ExitStack() as stack:
            hold_site(stack, settings, archive, LOCK, outage_ok=False)
            log.info("stories: linking %d articles", len(todo))       # a sign of life: it can take a while
            result = update(archive, LinkParams.from_settings(settings), todo)
    except (LockBusy, LeaseHeld):
        log.warning("stories: another update is running; these articles are linked by the next run")
        return None
    except ArchiveError as exc:
        log.warning("stories: not updated: %s", exc)
        return None
    except (ValueError, KeyError, OSError) as exc:      # a damaged stories/ file: the articles are safe
        log.error("stories: not updated: stories state unreadable (%s: %s); run `arshif stories --rebuild`",
                  type(exc).__name__, exc)
        return None
    log.info("stories: %d articles read, %d links recomputed, %d days with new story ids",
             result.articles, result.links, len(result.changed_days),
             extra={"counts": {"articles": result.articles, "links": result.links,
                               "days": len(result.changed_days)}})
    return result


def main(args: argparse.Namespace) -> int:
    from crawler.archive import open_archive
    from crawler.archive.base import ArchiveConfigError, ArchiveError
    from crawler.archive.lease import LeaseHeld
    from crawler.stories import LinkParams, list_stories, rebuild
    from jobs.bars import follow, progress_bar
    from jobs.cli import settings_from
    from jobs.lock import LockBusy, hold_site
    from jobs.logs import setup_logging

    settings = settings_from(args)
    setup_logging(settings)
    archive = open_archive(settings.archive.url, settings)
    try:
        archive.check(create=False)
        if args.rebuild:
            with ExitStack() as stack:
                hold_site(stack, settings, archive, LOCK, outage_ok=False)
                bar = stack.enter_context(progress_bar("stories", "article"))
                result = rebuild(archive, LinkParams.from_settings(settings), progress=follow(bar))
            print(f"stories rebuilt from {archive.url}: {result.articles} articles, {result.links} links",
                  flush=True)
        since = date.fromisoformat(args.since) if args.since else datetime.now(timezone.utc).date() - timedelta(days=1)
        width = len(",".join(sorted(settings.sites)))      # a story of every site: the widest sites column
        for story in list_stories(archive, since):
            print(f"{story.first_seen:%Y-%m-%d %H:%M}Z  {','.join(story.sites):<{width}}  {story.articles:>3}  "
                  f"{story.title}", flush=True)
    except (LockBusy, LeaseHeld) as exc:
        print(f"arshif: stories: {exc}", file=sys.stderr)
        return exc.exit_code
    except ArchiveConfigError:
        raise
    except ArchiveError as exc:
        print(f"arshif: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:         # `arshif stories | head -1`: the reader has gone (jobs/cli.py ends quietly)
        raise
    except (ValueError, KeyError, OSError) as exc:
        print(f"arshif: stories state unreadable ({type(exc).__name__}: {exc}); run `arshif stories --rebuild`",
              file=sys.stderr)
        return 1
    finally:
        archive.close()
    return 0
