"""Compaction speed: articles/s turned into the Parquet dataset, on a local archive and on a local S3
server (SeaweedFS, as in the tests), for a first compaction (every day written) and a second one (nothing
changed: every article read again, nothing written).

    .venv/bin/python bench/dataset.py [--articles 2000] [--days 10] [--workers 8]

Each article is a schema-valid record of about 6 KB of Arabic text (bench/archive.py's), stored as the
crawl stores it.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.archive import record  # noqa: E402
from crawler.archive.storage.base import Archive  # noqa: E402
from crawler.archive.storage.local import LocalArchive  # noqa: E402
from crawler.archive.storage.s3 import S3Archive  # noqa: E402
from crawler.archive.storage.store import plan_article, store_article  # noqa: E402
from crawler.config import S3Settings  # noqa: E402
from crawler.dataset.compact import compact_site  # noqa: E402
from bench.seaweedfs import ISOLATING_ENV, WeedServer  # noqa: E402


def fill(archive: Archive, articles: int, days: int, workers: int) -> None:
    def put(n: int) -> None:
        rec = record(n)
        store_article(archive, plan_article(rec, None, f"2026-11-{1 + n % days:02d}"))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, range(articles)))


def measure(name: str, archive: Archive, articles: int, days: int, workers: int) -> None:
    fill(archive, articles, days, workers)
    for label in ("first (every day written)", "again (nothing changed)"):
        start = time.perf_counter()
        result = compact_site(archive, "elbalad", workers=workers)
        elapsed = time.perf_counter() - start
        assert not result.failed and sum(d.rows for d in result.days) == articles
        print(f"{name:6} {label:26} {articles / elapsed:8.0f} articles/s  ({elapsed:.2f}s, "
              f"{result.written} of {len(result.days)} days written)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    for name in ISOLATING_ENV:
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="arshif-bench-") as tmp:
        root = Path(tmp) / "archive"
        measure("local", LocalArchive(f"file://{root}"), args.articles, args.days, args.workers)
        server = WeedServer(Path(tmp) / "weed")
        server.start()
        try:
            os.environ.update(server.env)
            bucket = server.create_bucket()
            settings = S3Settings(endpoint_url=server.endpoint, addressing_style="path",
                                  upload_workers=args.workers)
            archive = S3Archive(f"s3://{bucket}/arshif", settings)
            measure("s3", archive, args.articles, args.days, args.workers)
            archive.close()
        finally:
            server.stop(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
