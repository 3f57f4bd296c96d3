"""``arshif crawl [SITE ...]``: one run of the given (or all enabled) sites now, in this process
(``crawler.run.session``).

Prints one summary line per site; exit 0 when every site's run is "ok", 1 when some site failed, 2 for
bad configuration or usage, 3 when no site failed but some run ended "degraded" (more than
``crawl.max_failed_share`` of its article pages failed), 75 (EX_TEMPFAIL) when a site was skipped because
another crawl holds its lock.
"""
from __future__ import annotations

import argparse
from datetime import datetime

from crawler.config import SettingsError
from crawler.logs import setup_logging
from crawler.run.report import run_started
from crawler.run.session import run_crawl
from jobs.options import check_sites, settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="site keys (default: every enabled site)")
    parser.add_argument("--archive", metavar="URL", help="archive URL, overriding archive.url")
    # given by ``arshif serve`` to the crawl process it starts: the run's id (so it reads that very report) and
    # the instant it stops the process at (the run closes itself then)
    parser.add_argument("--run-id", metavar="ID", help="the run's id (one site only; arshif serve names its runs)")
    parser.add_argument("--deadline", metavar="ISO", type=instant,
                        help="end the run at this time (ISO 8601 with offset) instead of start + time_limit")
    parser.add_argument("--watch", action="store_true",
                        help="a feed watch: read the feeds alone (conditionally) and fetch what is new, plus the "
                             "revisits due (arshif serve runs one every watch_every between the full runs)")


def instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text}: no UTC offset")
    return when


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings)
    sites = check_sites(settings, args.sites)
    if args.run_id is not None:
        if len(sites) != 1:
            raise SettingsError("--run-id names the run of one site: give exactly one SITE")
        try:
            run_started(args.run_id, sites[0])
        except ValueError as exc:
            raise SettingsError(f"--run-id: {exc}") from None
    code, _ = run_crawl(settings, sites, run_id=args.run_id, deadline=args.deadline, watch=args.watch)
    return code
