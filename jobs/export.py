"""``arshif export --since DATE [--until DATE] [--site SITE] --format jsonl|parquet|csv OUT``: the latest
version of every article published (UTC date) from ``--since`` to ``--until`` (default: no end), one row
per article, into one local file, for people without S3 tooling. Reads the Parquet dataset; a day not
compacted yet is read from its articles. ``OUT`` ``-`` writes JSON Lines or CSV to standard output.

The file appears whole or not at all (written beside OUT, then renamed). Prints one line; exit 0, 1 when
the archive does not answer, 2 for bad configuration or usage.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crawler.archive.storage import ArchiveConfigError, ArchiveError, open_archive
from crawler.archive.storage.durable import write_atomic
from crawler.config import SettingsError
from crawler.dataset.export import FORMATS, write_export
from crawler.dataset.read import iter_days
from crawler.dates import day_argument
from crawler.run.after_run import story_ids
from jobs.options import settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="output file, or - for standard output (jsonl, csv)")
    parser.add_argument("--since", type=day_argument, required=True, metavar="DATE",
                        help="first publication day (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", type=day_argument, metavar="DATE", help="last publication day (default: no end)")
    parser.add_argument("--site", action="append", metavar="SITE", help="only this site (repeatable; default: all)")
    parser.add_argument("--format", choices=FORMATS, required=True, help="output format")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    sites = args.site or sorted(settings.sites)
    for site in sites:
        if site not in settings.sites:
            raise SettingsError(f"unknown site {site!r} (known: {', '.join(sorted(settings.sites))})")
    if args.until and args.until < args.since:
        print(f"arshif: export: --until {args.until} is before --since {args.since}", file=sys.stderr)
        return 2
    if args.out == "-" and args.format == "parquet":
        print("arshif: export: Parquet needs a file, not standard output", file=sys.stderr)
        return 2
    archive = open_archive(settings.archive.url, settings)
    rows = 0

    def tables():
        ids = story_ids(archive, settings)
        for site in sites:
            yield from iter_days(archive, site, since=args.since, until=args.until, story_ids=ids,
                                 workers=settings.dataset.read_workers)

    def write(fh):
        nonlocal rows
        rows = write_export(tables(), args.format, fh)

    try:
        archive.check(create=False)
        if args.out == "-":
            write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            try:
                write_atomic(Path(args.out), write, settings.archive.file_mode)
            except OSError as exc:
                print(f"arshif: export: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
                return 1
    except ArchiveConfigError:
        raise
    except ArchiveError as exc:                  # not answering, or an object it cannot read
        print(f"arshif: {exc}", file=sys.stderr)
        return 1
    finally:
        archive.close()
    until = args.until or "now"
    print(f"export: {rows} articles of {', '.join(sites)} published {args.since} to {until} → {args.out} "
          f"({args.format})", file=sys.stderr if args.out == "-" else sys.stdout)
    return 0
