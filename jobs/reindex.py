"""``arshif reindex [SITE ...]``: rebuild the local incremental index of each site from the archive itself
(after moving machines, or to check it), with the article numbers of the look-back's records (read back: the
id range of ``crawler/discover/ids.py``; its known gaps are probed again). Prints the article count per site."""
from __future__ import annotations

import argparse

from crawler.archive.storage import open_archive
from crawler.archive.state.index import ArticleIndex, archive_state_dir
from crawler.discover.ids import rebuild_index
from crawler.sites import get_site
from jobs.options import check_sites, settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every enabled site)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    archive = open_archive(settings.archive.url, settings)
    archive.check()
    folder = archive_state_dir(settings.archive.state_dir, archive.url)
    for site in check_sites(settings, args.sites):
        index = ArticleIndex.at(folder, site)
        count = rebuild_index(index, archive, get_site(site), settings.sites[site].lookback_days)
        print(f"{site}: {count} articles indexed from {archive.url}")
        index.close()
    archive.close()
    return 0
