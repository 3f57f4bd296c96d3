"""``arshif flush [--archive URL]``: upload what the outbox holds (writes that earlier runs could not make
because the archive was unreachable). A crawl does the same first thing; this is for doing it now.

Prints one line; exit 0 when the outbox is empty afterwards, 1 when writes are still waiting (the archive is
still unavailable), 2 for bad configuration (missing bucket, refused credentials).
"""
from __future__ import annotations

import argparse

from crawler.archive.storage import ArchiveUnavailable, open_archive
from crawler.logs import setup_logging
from crawler.run.after_run import compact_after_run
from crawler.run.uploads import open_uploader
from jobs.options import settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings)
    archive = open_archive(settings.archive.url, settings)
    try:
        try:
            archive.check()
        except ArchiveUnavailable as exc:
            uploader = open_uploader(archive, settings)
            waiting = len(uploader.outbox)
            uploader.close()
            print(f"flush: {waiting} writes still waiting in the outbox: {exc}")
            return 1 if waiting else 0
        uploader = open_uploader(archive, settings)
        try:
            result = uploader.flush_outbox()
        finally:
            uploader.close()
        compact_after_run(archive, settings, [], result.keys)
    finally:
        archive.close()
    line = f"flush: {result.replayed} writes uploaded to {archive.url}, {result.remaining} still waiting"
    if result.remaining and result.error:
        line += f": {result.error}"
    print(line)
    return 1 if result.remaining else 0
