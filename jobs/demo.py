"""``arshif demo [--archive URL]``: the whole path offline in under a minute — start the replica of both
sites on 127.0.0.1 (``--articles N`` per site), crawl it into an archive (default ``file://./demo-archive``), print the summary."""
from __future__ import annotations

import argparse

from crawler.logs import setup_logging
from crawler.run.session import run_crawl
from jobs.options import settings_from
from replica.arguments import add_size_argument
from replica.server import ReplicaServer

DEMO_ARCHIVE = "file://./demo-archive"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", metavar="URL", help=f"archive URL (default {DEMO_ARCHIVE})")
    add_size_argument(parser)


def main(args: argparse.Namespace) -> int:
    with ReplicaServer(port=0, articles=args.articles) as replica:
        overrides = {f"sites.{site}.base_url": url for site, url in replica.base_urls.items()}
        overrides.update({"crawl.download_delay": 0, "crawl.autothrottle": False})
        if not args.archive:
            overrides["archive.url"] = DEMO_ARCHIVE
        settings = settings_from(args, **overrides)
        setup_logging(settings)
        for site, url in replica.base_urls.items():
            print(f"replica of {site} at {url}", flush=True)
        code, reports = run_crawl(settings, list(replica.base_urls))
    print(f"archive: {settings.archive.url}")
    return code
