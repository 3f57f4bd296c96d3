"""``arshif stories``: the stories seen since a date (one line each), or ``--rebuild`` of the linking state.

A crawl links what its runs archived itself (``crawler.run.after_run.link_stories``).
"""
from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone

from crawler.archive.storage import open_archive
from crawler.archive.storage.base import ArchiveConfigError, ArchiveError
from crawler.archive.state.lease import LeaseHeld
from crawler.dates import day_argument
from crawler.logs import setup_logging
from crawler.run.after_run import STORIES_LOCK
from crawler.run.lock import LockBusy, hold_site
from crawler.stories import LinkParams, list_stories, rebuild
from jobs.bars import follow, progress_bar
from jobs.options import settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="DATE", type=day_argument,
                        help="list the stories first seen on or after DATE (YYYY-MM-DD; default: yesterday)")
    parser.add_argument("--rebuild", action="store_true",
                        help="recompute every story from the archived articles, then list")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings)
    archive = open_archive(settings.archive.url, settings)
    try:
        archive.check(create=False)
        if args.rebuild:
            with ExitStack() as stack:
                hold_site(stack, settings, archive, STORIES_LOCK, outage_ok=False)
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
