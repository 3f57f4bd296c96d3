"""The ``arshif`` command. Each sub-command lives in its own module under ``jobs/`` with two functions:
``add_arguments(parser)`` and ``main(args) -> int`` (exit code: 0 good, 1 some site failed / problems
found, 2 bad configuration or usage, 3 a crawl ended degraded, 75 a crawl's site was locked by another)."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Imports at the top stay light: every extraction worker of a crawl runs this module again at its start
# (multiprocessing's preparation of a child), where it only defines these functions.

# sub-command → (module, one-line help)
COMMANDS = {
    "crawl": ("jobs.crawl", "crawl sites once now and archive what is new"),
    "serve": ("jobs.serve", "run the scheduler: crawl every site on its schedule until stopped"),
    "status": ("jobs.status", "health of every site from its run reports (exit 0 healthy, 1 warnings, 2 failing)"),
    "extract": ("jobs.extract", "print the article record extracted from a saved page or text dump"),
    "flush": ("jobs.flush", "upload what the outbox holds (records that could not be archived yet)"),
    "verify": ("jobs.verify", "check every archived article, checksum and manifest (exit 1 on any problem)"),
    "refetch": ("jobs.refetch", "fetch given articles (URL or id) again now: repairs an article verify found garbled"),
    "compact": ("jobs.compact", "write the Parquet dataset (one file per site and publication day) from the articles"),
    "export": ("jobs.export", "write the articles of a date range to one JSON Lines, Parquet or CSV file"),
    "stories": ("jobs.stories", "list the stories (same event on both sites) since a date; --rebuild recomputes them"),
    "reindex": ("jobs.reindex", "rebuild the local incremental index from the archive"),
    "migrate-ids": ("jobs.migrate_ids", "move an archive written by arshif 0.1 to the current article ids"),
    "reextract": ("jobs.reextract", "re-extract archived captures (WARC) with the current rules; new versions where changed"),
    "warc-index": ("jobs.warc_index", "write a CDXJ index beside every WARC file (pywb-style replay)"),
    "probe": ("jobs.probe", "first contact with a site: robots.txt, each discovery source, sample articles (exit 1 on a failure)"),
    "replica": ("jobs.replica_command", "serve the local replica of both sites on 127.0.0.1"),
    "demo": ("jobs.demo", "start the replica, crawl it into an archive, print the summary (offline)"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command``, only that sub-command's module is imported and its
    arguments added (a sub-command's start does not pay for the imports of the fifteen others); with ``""``,
    none (the list of commands and their one-line help)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--settings", metavar="FILE",
                        help="settings file overriding settings.toml's defaults (or ARSHIF_SETTINGS)")
    parser = argparse.ArgumentParser(prog="arshif", description="Archive clean Arabic news articles.")
    from crawler import __version__         # not at the top: keeps this module light (see the top)

    parser.add_argument("--version", action="version", version=f"arshif {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_, parents=[common])
        if command in (None, name):
            mod = importlib.import_module(module)
            mod.add_arguments(p)
            p.set_defaults(_main=mod.main)
    return parser


def chosen_command(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names (its first word that is not an option), if it is one of ours."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    # not at the top: an extraction worker that runs this module again never calls main()
    from crawler.archive.storage.base import ArchiveConfigError
    from crawler.config import SettingsError

    argv = sys.argv[1:] if argv is None else argv
    # no command named (``arshif --help``, a typo): the command list alone, no command module imported
    args = build_parser(chosen_command(argv) or "").parse_args(argv)
    try:
        return int(args._main(args) or 0)
    except (SettingsError, ArchiveConfigError) as exc:
        print(f"arshif: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:          # `arshif extract … | head`: the reader has gone, nothing to report
        # What is left in stdout's buffer would fail again at exit (exit status 120, and a message on stderr):
        # point stdout at /dev/null, as Python's documentation of SIGPIPE advises.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
