"""``arshif warc-index [SITE ...]``: write a CDXJ index beside every WARC file of the archive that has none
(crawler/dataset/warc_index.py), for pywb-style replay. One line per site; exit 0, 1 when the archive does not
answer, 2 for bad configuration."""
from __future__ import annotations

import argparse
import sys

from crawler.archive.storage import ArchiveUnavailable, open_archive
from crawler.dataset.warc_index import index_site
from jobs.options import check_sites, settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every enabled site)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    sites = check_sites(settings, args.sites)
    archive = open_archive(settings.archive.url, settings)
    try:
        archive.check()
        for site in sites:
            written, before = index_site(archive, site)
            print(f"{site}: {written} WARC files indexed, {before} indexed before, in {archive.url}")
    except ArchiveUnavailable as exc:
        print(f"arshif: {exc}", file=sys.stderr)
        return 1
    finally:
        archive.close()
    return 0
