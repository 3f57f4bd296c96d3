"""``arshif verify [--archive URL] [--repair]``: check every archived article, past version, checksum and run
manifest (see crawler/archive/verify.py). Prints the counts, then each problem on its own line; exit 0 when
there is none, 1 when there are problems (or the archive does not answer), 2 for bad configuration.

``--repair`` lists the keys that are in no run manifest in a recovery manifest per site, then verifies again
(the exit code is that of the second pass)."""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", metavar="URL", help="archive URL (file://PATH or s3://BUCKET/PREFIX), "
                        "overriding archive.url")
    parser.add_argument("--repair", action="store_true",
                        help="list articles and versions that are in no run manifest in a recovery manifest")


def main(args: argparse.Namespace) -> int:
    from crawler.archive import ArchiveUnavailable, open_archive
    from crawler.archive.verify import repair_manifests, verify_archive
    from jobs.cli import settings_from

    settings = settings_from(args)
    archive = open_archive(settings.archive.url, settings)
    try:
        archive.check()
        result = verify_archive(archive)
        if args.repair and result.unlisted:
            for key in repair_manifests(archive, result):
                print(f"repaired: recovery manifest {key}")
            result = verify_archive(archive)
    except ArchiveUnavailable as exc:
        print(f"arshif: {exc}", file=sys.stderr)
        return 1
    finally:
        archive.close()
    print(result.summary())
    for line in result.problems:
        print(f"problem: {line}")
    return 0 if result.ok else 1
