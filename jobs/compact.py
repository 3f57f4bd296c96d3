"""``arshif compact [SITE ...] [--since DATE]``: write the Parquet dataset (``datasets/articles/``) from the
archived articles, one file per site and publication day (see crawler/dataset/compact.py). Days that did
not change are not written. A crawl does the same for the days it changed (``crawler.run.after_run``).

Prints one line per site; exit 0 when every day was compacted, 1 when some day failed (the archive did not
answer), 2 for bad configuration or usage.
"""
from __future__ import annotations

import argparse
import sys

from crawler.archive.storage import ArchiveConfigError, ArchiveError, open_archive
from crawler.dataset.compact import compact_site
from crawler.dates import day_argument
from crawler.logs import setup_logging
from crawler.run.after_run import story_ids
from jobs.bars import follow, progress_bar
from jobs.options import check_sites, settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every enabled site)")
    parser.add_argument("--since", type=day_argument, metavar="DATE",
                        help="only publication days from DATE (YYYY-MM-DD) on (default: every day)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def main(args: argparse.Namespace) -> int:
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
