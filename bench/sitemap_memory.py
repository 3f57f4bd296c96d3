"""Memory of a crawl whose sitemap part is the protocol's largest: 50,000 URLs, 50 MB.

    .venv/bin/python bench/sitemap_memory.py

Crawls RT Arabic on the replica in the real sites' discovery shapes (``--discovery real``: an index of yearly
parts) twice, each in a fresh archive: (a) with a current part of the articles alone, (b) with the part filled
to 50,000 URLs of ~1,000 bytes each (~50 MB, all older than the look-back: none is asked for). Prints the crawl
process's peak RSS (``ru_maxrss`` of the crawl, through a wrapper process that waits for it) for each, and the
difference, which must stay under 50 MB: the part is parsed as it is read (``crawler/discover/feeds.py``),
each entry dropped once read, and only the URLs within the look-back kept.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from replica import real_discovery  # noqa: E402
from replica.server import ReplicaServer  # noqa: E402

LIMIT = 50 * 2**20
_WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.stderr.write(done.stdout + done.stderr[-3000:])")


def crawl(filler: int, slug: str) -> tuple[int, int, str]:
    """One crawl of RT Arabic: (peak RSS in bytes, size of the current part, its summary line)."""
    real_discovery.FILLER, real_discovery.SLUG = filler, slug
    real_discovery._filler.cache_clear()
    with ReplicaServer(discovery="real", keep_alive=True) as replica, tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
        env.update({"ARSHIF_SITES__RT_ARABIC__BASE_URL": replica.base_urls["rt_arabic"],
                    "ARSHIF_SITES__ELBALAD__ENABLED": "false",
                    "ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": f"{tmp}/state",
                    "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
                    "ARSHIF_CRAWL__EXTRACT_WORKERS": "1", "ARSHIF_STORIES__ENABLED": "false",
                    "ARSHIF_DATASET__COMPACT_AFTER_RUN": "false", "ARSHIF_LOGGING__LEVEL": "WARNING"})
        done = subprocess.run([sys.executable, "-c", _WRAPPER, sys.executable, "-m", "jobs.cli", "crawl"],
                              env=env, cwd=ROOT, capture_output=True, text=True)
        code, peak_kib = map(int, done.stdout.split())
        if code != 0:
            sys.exit(f"bench: crawl failed ({code}): {done.stderr[-2000:]}")
        summary = next((line for line in done.stderr.splitlines() if line.startswith("rt_arabic:")), "")
        part = [p for p in replica.stats("rt_arabic") if p.startswith("/sitemap_")]
        size = sum(len(urlopen_size(replica.base_urls["rt_arabic"] + p)) for p in part)
    return peak_kib * 1024, size, summary


def urlopen_size(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url) as response:
        return response.read()


def main() -> int:
    long_slug = quote("أرشيف-" * 29)          # ~900 bytes: 50,000 entries of ~1 kB
    small_peak, small_size, small = crawl(0, long_slug)
    big_peak, big_size, big = crawl(50_000, long_slug)
    print(f"(a) current part {small_size / 2**20:.1f} MiB: crawl peak RSS {small_peak / 2**20:.0f} MiB  — {small}")
    print(f"(b) current part {big_size / 2**20:.1f} MiB (50,000 URLs): crawl peak RSS {big_peak / 2**20:.0f} MiB"
          f"  — {big}")
    grew = big_peak - small_peak
    print(f"difference {grew / 2**20:.0f} MiB (limit {LIMIT / 2**20:.0f} MiB): {'met' if grew <= LIMIT else 'NOT MET'}")
    return 0 if grew <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
