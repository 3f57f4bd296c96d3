"""``arshif verify [--archive URL] [--repair]``: check every archived article, past version, checksum and run
manifest (see crawler/verify.py). Prints the counts, then each problem on its own line; exit 0 when
there is none, 1 when there are problems (or the archive does not answer), 2 for bad configuration.

``--repair`` lists the keys that are in no run manifest in a recovery manifest per site, then verifies again
(the exit code is that of the second pass)."""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict

from crawler.archive.storage import ArchiveUnavailable, open_archive
from crawler.archive.storage.base import Archive
from crawler.verify import Verification, verify_archive
from crawler.outcomes import RunKind, RunResult
from crawler.run.report import RunReport, new_run_id
from jobs.options import settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", metavar="URL", help="archive URL (file://PATH or s3://BUCKET/PREFIX), "
                        "overriding archive.url")
    parser.add_argument("--repair", action="store_true",
                        help="list articles and versions that are in no run manifest in a recovery manifest")


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    archive = open_archive(settings.archive.url, settings)
    try:
        archive.check(create=False)
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


def repair_manifests(archive: Archive, v: Verification) -> list[str]:
    """Store one recovery manifest per site listing its keys in ``v.unlisted`` (``kind: "recovery"``, read by
    data teams like any manifest, skipped by history and status); the keys of the manifests written."""
    by_site: dict[str, list[str]] = defaultdict(list)
    for key in v.unlisted:
        by_site[key.split("/", 2)[1].removeprefix("site=")].append(key)
    written = []
    for site, keys in sorted(by_site.items()):
        report = RunReport(new_run_id(site) + "-recovery", site, archive.url, kind=RunKind.RECOVERY,
                           reason="keys written by runs that left no manifest, found by arshif verify --repair")
        report.keys_written = keys
        report.finish(RunResult.OK, report.reason)
        archive.put(report.key, report.to_json(), content_type="application/json; charset=utf-8",
                    metadata={"site": site, "run-id": report.run_id})
        written.append(report.key)
    return written
