"""``arshif extract --site SITE FILE [--url URL]``: the operator's "why did this page come out wrong".

Runs exactly the crawl's extraction and cleaning (``crawler.extract.page.extract``) on a saved HTML page or a
plain-text dump and prints the record as JSON; the cleaning notes (rules that fired in a way that may be
wrong, ``extractor.notes``) go to stderr. Exit 0 for an article, 1 when the page is not an article (the
reason is printed), 2 for usage errors (unknown site, missing file).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from crawler.extract.page import NotArticle, extract
from crawler.extract.record import ArticleRecord
from crawler.sites import SITES
from jobs.options import settings_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", required=True, help="site key: rt_arabic or elbalad")
    parser.add_argument("file", metavar="FILE", help="saved HTML page or plain-text dump")
    parser.add_argument("--url", help="URL the page was fetched from (default: the file's own file: URL)")


def main(args: argparse.Namespace) -> int:
    if args.site not in SITES:
        print(f"arshif extract: unknown site {args.site!r} (known: {', '.join(sorted(SITES))})", file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        print(f"arshif extract: {path}: no such file", file=sys.stderr)
        return 2
    except (IsADirectoryError, PermissionError) as exc:
        print(f"arshif extract: {path}: {exc.strerror}", file=sys.stderr)
        return 2
    settings = settings_from(args)
    now = datetime.now(timezone.utc)
    url = args.url or path.resolve().as_uri()
    base_url = settings.sites[args.site].base_url
    result = extract(body, url, args.site, base_url=base_url, fetched_at=now)
    if isinstance(result, NotArticle):
        why = result.reason
        if why == "not_article_url":      # say which address it is not one of (a replica's page under the real URL)
            why += f": --url {url} is no article address of {args.site} at {base_url} (sites.{args.site}.base_url)"
        print(f"arshif extract: {path}: not an article ({why})", file=sys.stderr)
        return 1
    record = ArticleRecord.complete(result, fetched_at=now, run_id="extract", warc=None)
    json.dump(record.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    for note, count in (record.extractor.notes or {}).items():
        print(f"arshif extract: cleaning note: {note} ×{count}", file=sys.stderr)
    for problem in record.problems():
        print(f"arshif extract: note: the crawl would not archive this record as is: {problem}", file=sys.stderr)
    return 0
