"""Archive upload speed: articles/s written to a local S3 server (SeaweedFS, as in the tests) through the
uploader's bounded pool versus one at a time.

    .venv/bin/python bench/archive.py [--articles 400] [--workers 8]

Each article is a schema-valid record of about 6 KB of Arabic text, written as the crawl writes it (a
conditional PUT with Content-MD5 and a SHA-256 checksum). Serial and pool write to their own prefix; the
last pass replays the pool's articles as a run without its index would (a refused conditional PUT and a GET
each; with the index, unchanged articles cost no request at all).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.archive.storage.s3 import S3Archive  # noqa: E402
from crawler.archive.storage.store import plan_article  # noqa: E402
from crawler.archive.delivery.uploader import Uploader  # noqa: E402
from crawler.config import S3Settings  # noqa: E402
from crawler.extract.record import complete  # noqa: E402
from crawler.sites import SITES  # noqa: E402
from crawler.urls import article_id  # noqa: E402

ELBALAD = SITES["elbalad"]
from bench.seaweedfs import ISOLATING_ENV, WeedServer  # noqa: E402

PARAGRAPH = ("أعلنت الحكومة اليوم عن خطة جديدة لتطوير البنية التحتية في المحافظات، تشمل إنشاء طرق ومدارس "
             "ومستشفيات، وتوقع الخبراء أن تسهم الخطة في خلق فرص عمل جديدة للشباب خلال السنوات المقبلة. ")


def record(n: int) -> dict:
    text = "\n".join(f"{n} {PARAGRAPH * 2}" for _ in range(12))
    url = f"https://www.elbalad.news/{6000000 + n}"
    return complete({
        "id": article_id(url, ELBALAD.default_base_url, ELBALAD), "url": url, "canonical_url": url, "site": "elbalad", "title": f"خبر رقم {n}",
        "description": None, "authors": [], "published_at": "2026-11-20T10:00:00+02:00", "modified_at": None,
        "section": None, "tags": [], "image": None, "language": "ar", "text": text,
        "word_count": len(text.split()), "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "extractor": {"name": "trafilatura", "version": "2", "rules": "elbalad@1"},
    }, fetched_at=datetime(2026, 11, 20, 9, tzinfo=timezone.utc), run_id="bench", warc=None)


def run(archive: S3Archive, records: list[dict], workers: int) -> tuple[float, dict[str, int]]:
    uploader = Uploader(archive, workers=workers)
    start = time.perf_counter()
    futures = [uploader.submit_article(plan_article(rec, None, "2026-11-20")) for rec in records]
    outcomes: dict[str, int] = {}
    for fut in futures:
        outcome, _, _ = fut.result()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    elapsed = time.perf_counter() - start
    uploader.close()
    return len(records) / elapsed, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    for name in ISOLATING_ENV:
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="arshif-bench-") as tmp:
        server = WeedServer(Path(tmp))
        server.start()
        try:
            os.environ.update(server.env)
            bucket = server.create_bucket("arshif-bench")
            settings = S3Settings(endpoint_url=server.endpoint, addressing_style="path",
                                  upload_workers=args.workers)
            records = [record(n) for n in range(args.articles)]
            size = sum(len(str(r)) for r in records) / len(records) / 1024
            print(f"{args.articles} articles of ~{size:.0f} KB to SeaweedFS at {server.endpoint} ({os.cpu_count()} cores)")
            for label, prefix, workers in (("one at a time", "serial", 1),
                                           (f"pool of {args.workers}", "pool", args.workers),
                                           (f"pool of {args.workers}, same again, no index (412+GET)", "pool", args.workers)):
                archive = S3Archive(f"s3://{bucket}/{prefix}", settings)
                rate, outcomes = run(archive, records, workers)
                archive.close()
                print(f"  {label:<40} {rate:7.1f} articles/s   {outcomes}")
        finally:
            server.stop(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
