"""A plain fetch-and-extract script, as a user would write it instead of running arshif: (h) in bench/pipeline.py.

    .venv/bin/python bench/plain_script.py URLS_FILE [--threads 8] [--processes N]

Reads one URL a line, fetches them with 8 threads (``http.client``, one kept-alive connection per thread and
host), extracts each page with ``trafilatura.extract`` in one process per core as it arrives, and prints one
line: pages fetched, pages with text, seconds, pages/s. It archives, validates and links nothing.
"""
import argparse
import http.client
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from urllib.parse import urlsplit

import trafilatura

_local = threading.local()


def fetch(url: str) -> bytes | None:
    parts = urlsplit(url)
    connections = _local.__dict__.setdefault("connections", {})
    for _ in range(2):     # once more on a new connection when the kept one was closed
        connection = connections.get(parts.netloc) or connections.setdefault(
            parts.netloc, http.client.HTTPConnection(parts.netloc, timeout=30))
        try:
            connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            response = connection.getresponse()
            body = response.read()
            return body if response.status == 200 else None
        except (http.client.HTTPException, OSError):
            connections.pop(parts.netloc).close()
    return None


def extract(page: bytes) -> int:
    return len(trafilatura.extract(page.decode("utf-8", "replace")) or "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", help="a file of URLs, one a line")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with open(args.urls, encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    start = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as fetchers, ProcessPoolExecutor(args.processes) as extractors:
        extracted = [extractors.submit(extract, page) for page in fetchers.map(fetch, urls) if page]
        with_text = sum(1 for future in extracted if future.result())
    seconds = time.perf_counter() - start
    print(f"{len(extracted)} pages, {with_text} with text, {seconds:.2f} s, {len(extracted) / seconds:.1f} pages/s")


if __name__ == "__main__":
    main()
