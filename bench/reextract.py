"""Re-extraction throughput against bare extraction, over the same captures.

    .venv/bin/python bench/reextract.py [--articles 1000] [--rounds 3] [--workers 2] [--no-s3] [--no-dask]

The replica (``--articles`` per site) is crawled once into a temporary local archive. Then, over the article
captures of its WARC files (HTTP 200 responses of article URLs, both sites):

1. bare ``trafilatura.extract`` on all cores: a process pool (one process a core) over the captures' HTML,
   already in memory (the reference: extraction and nothing else);
2. ``arshif reextract``'s work (``SiteReextraction``: read the WARC files, extract every article capture in
   the workers, decide against the archive, write) on the local process pool (``--workers``);
3. the same against the archive copied into a local SeaweedFS (``bench/seaweedfs.py``), the same pool;
   (1), (2) and (3) take their rounds in turn, so that their ratios are not the machine's drift between them;
4. the same on a Dask ``LocalCluster`` (processes, one thread each) of 1, 2 and 4 workers.

Each figure: one warm-up round (worker start-up, imports), then ``--rounds`` rounds, min / median / max
captures per second, the 1-minute load average at the end, and the CPU milliseconds a capture
this process (the client: reading, deciding, writing) spent. Nothing changes between rounds (the rules are
the archive's own: every round reads, extracts and compares everything and writes nothing; ``changed``
must stay 0). The ratios issue 25 asks for are printed with ``met`` / ``NOT met``. Figures vary on shared
machines: compare runs made together.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from crawler.archive.state.index import ArticleIndex  # noqa: E402
from crawler.archive.storage.local import LocalArchive  # noqa: E402
from crawler.extract.workers import ExtractWorkers  # noqa: E402
from crawler.reextract.dask_cluster import DaskExecutor  # noqa: E402
from crawler.reextract.site import SiteReextraction  # noqa: E402
from crawler.reextract.warc_read import read_captures, warc_files  # noqa: E402
from crawler.sites import get_site  # noqa: E402
from replica.arguments import articles_count  # noqa: E402
from replica.server import ReplicaServer  # noqa: E402

SITES = ("rt_arabic", "elbalad")
CORES = os.cpu_count() or 1
WARC_BYTES = 4_000_000       # WARC files rolled at 4 MB: a few files a site, as a long history has


def crawl(tmp: Path, articles: int) -> tuple[LocalArchive, dict[str, str]]:
    with ReplicaServer(port=0, articles=articles, keep_alive=True) as replica:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
        env.update({f"ARSHIF_SITES__{s.upper()}__BASE_URL": u for s, u in replica.base_urls.items()})
        env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": f"{tmp}/crawl-state",
                    "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
                    "ARSHIF_ARCHIVE__WARC_MAX_BYTES": str(WARC_BYTES), "ARSHIF_LOGGING__LEVEL": "WARNING",
                    "ARSHIF_STORIES__ENABLED": "false", "ARSHIF_DATASET__COMPACT_AFTER_RUN": "false"})
        done = subprocess.run([sys.executable, "-m", "jobs.cli", "crawl"], env=env, capture_output=True, text=True,
                              cwd=ROOT)
        base_urls = dict(replica.base_urls)
    if done.returncode != 0:
        sys.exit(f"bench: crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return LocalArchive(f"file://{tmp}/archive"), base_urls


# --- (1) bare extraction over the captures' HTML, in memory --------------------------------------------------

_PAGES: list[str] = []       # the captures' HTML, inherited by the forked pool's processes
CLIENT_CPU: Counter = Counter()    # CPU seconds of this process in re-extraction rounds, and their captures


def _bare(i: int) -> int:
    import trafilatura

    return len(trafilatura.extract(_PAGES[i]) or "")


def captures_html(archive: LocalArchive, base_urls: dict[str, str]) -> list[str]:
    pages = []
    for site in SITES:
        for key in warc_files(archive, site):
            for capture in read_captures(archive, key, base_urls[site], get_site(site), Counter()):
                pages.append(capture.body.decode(capture.encoding or "utf-8", "replace"))
    return pages


def bare_round(pool) -> tuple[int, float]:
    start = time.perf_counter()
    pool.map(_bare, range(len(_PAGES)), chunksize=8)
    return len(_PAGES), time.perf_counter() - start


# --- (2)-(4) re-extraction --------------------------------------------------------------------------------

def reextract_round(archive, executor, state: Path, base_urls: dict[str, str]) -> tuple[int, float]:
    """Re-extract both sites once: (article captures, seconds); exits when anything changed. The CPU this
    process (the client) spent is added up in ``CLIENT_CPU``."""
    pages = changed = 0
    start, cpu = time.perf_counter(), time.process_time()
    for site in SITES:
        index = ArticleIndex.at(state, site)
        if not index.is_built():
            index.rebuild(archive)
        job = SiteReextraction(archive, site, index, executor, state, base_url=base_urls[site])
        result = job.run()
        job.finish(result)
        index.close()
        pages += result.counts["pages"]
        changed += result.changed
    seconds = time.perf_counter() - start
    CLIENT_CPU.update(seconds=time.process_time() - cpu, captures=pages)
    if changed:
        sys.exit(f"bench: a round changed {changed} articles: the archive's own rules must change nothing")
    return pages, seconds


def crawl_index(tmp: Path, state: Path) -> Path:
    """``state``, a state folder holding a copy of the crawl's article indexes (SQLite's backup: whole, with what
    its write-ahead log holds), as on the machine that crawled: the index keeps the digest of every record the
    crawl wrote, so even the first re-extraction reads no archived record of an unchanged article."""
    state.mkdir(parents=True)
    for path in (tmp / "crawl-state").glob("*/index-*.sqlite"):
        with sqlite3.connect(path) as src, sqlite3.connect(state / path.name) as dst:
            src.backup(dst)
    return state


def measure(label: str, one_round, rounds: int) -> float:
    """Warm-up, then ``rounds`` timed rounds: prints min / median / max captures/s and the load; returns the
    median."""
    return measure_alternating([(label, one_round)], rounds)[0]


def measure_alternating(figures: list[tuple[str, Callable]], rounds: int) -> list[float]:
    """``measure`` of each ``(label, one_round)``, their rounds taken in turn (a warm-up of each, then a round of
    each, ``rounds`` times): a drift of the machine's speed meanwhile falls on all of them alike, not on the
    one measured last. Prints one line each; returns their medians."""
    for _, one_round in figures:
        one_round()
    runs: dict[str, list] = {label: [] for label, _ in figures}
    client: dict[str, Counter] = {label: Counter() for label, _ in figures}
    for _ in range(rounds):
        for label, one_round in figures:
            CLIENT_CPU.clear()
            runs[label].append(one_round())
            client[label].update(CLIENT_CPU)
    medians = []
    for label, _ in figures:
        rates = sorted(n / s for n, s in runs[label])
        medians.append(statistics.median(rates))
        used = client[label]
        per = f"{1000 * used['seconds'] / used['captures']:>11.2f}" if used["captures"] else f"{'-':>11}"
        print(f"  {label:<44}{runs[label][0][0]:>9}{rates[0]:>9.1f}{medians[-1]:>9.1f}{rates[-1]:>9.1f}"
              f"{os.getloadavg()[0]:>7.1f}{per}", flush=True)
    return medians


def to_s3(archive: LocalArchive, tmp: Path):
    """The local archive copied into a fresh local SeaweedFS: (server, the S3 archive)."""
    from bench.seaweedfs import ISOLATING_ENV, WeedServer
    from crawler.archive.storage.s3 import S3Archive
    from crawler.config import S3Settings

    server = WeedServer(tmp / "weed")
    server.start()
    try:
        for name in ISOLATING_ENV:
            os.environ.pop(name, None)
        os.environ.update(server.env)        # boto3 finds the credentials where it always does: the environment
        bucket = server.create_bucket("arshif-reextract")
        s3 = S3Archive(f"s3://{bucket}/bench", S3Settings(endpoint_url=server.endpoint, addressing_style="path"))
        root = Path(archive.url.removeprefix("file://"))
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                s3.put(str(path.relative_to(root)), path.read_bytes(),
                       content_type="application/json" if path.suffix == ".json" else "application/octet-stream")
    except BaseException:
        server.stop(kill=True)
        raise
    return server, s3


def ratio(label: str, value: float, target: float) -> None:
    print(f"  {label:<44}{value:>6.2f}  target >= {target:.2f}: {'met' if value >= target else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=articles_count, default=1000, help="articles per site (default 1,000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per figure (default 3)")
    parser.add_argument("--workers", type=int, default=CORES, help=f"local pool processes (default {CORES})")
    parser.add_argument("--no-s3", action="store_true", help="skip (3), the archive on a local SeaweedFS")
    parser.add_argument("--no-dask", action="store_true", help="skip (4), the Dask LocalCluster")
    args = parser.parse_args()
    print(f"bench/reextract.py: {args.articles:,} articles per site, {CORES} cores, {args.workers} local workers, "
          f"{args.rounds} rounds, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="arshif-reextract-") as tmp_name:
        tmp = Path(tmp_name)
        archive, base_urls = crawl(tmp, args.articles)
        _PAGES[:] = captures_html(archive, base_urls)
        files = sum(len(warc_files(archive, site)) for site in SITES)
        print(f"  {len(_PAGES):,} article captures in {files} WARC files", flush=True)
        print(f"  {'':<44}{'captures':>9}{'min/s':>9}{'median/s':>9}{'max/s':>9}{'load':>7}{'client ms':>11}")
        local_state = crawl_index(tmp, tmp / "state-local")
        s3_rate = None
        # (1), (2) and (3) in turn, round by round, so that their ratios are not the machine's drift between them
        with multiprocessing.get_context("fork").Pool(CORES) as pool, ExtractWorkers(args.workers) as workers:
            figures = [(f"(1) bare trafilatura.extract, {CORES} processes", lambda: bare_round(pool)),
                       (f"(2) reextract, local pool of {args.workers}",
                        lambda: reextract_round(archive, workers, local_state, base_urls))]
            if args.no_s3:
                bare, local = measure_alternating(figures, args.rounds)
            else:
                server, s3 = to_s3(archive, tmp)
                s3_state = crawl_index(tmp, tmp / "state-s3")
                try:
                    bare, local, s3_rate = measure_alternating(
                        [*figures, (f"(3) reextract, local pool of {args.workers}, SeaweedFS",
                                    lambda: reextract_round(s3, workers, s3_state, base_urls))], args.rounds)
                finally:
                    s3.close()
                    server.stop(timeout=5)
        _PAGES.clear()

        dask: dict[int, float] = {}
        if not args.no_dask:
            from distributed import LocalCluster

            for n in (1, 2, 4):
                with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster:   # not the workers' heartbeat errors at shutdown
                    executor = DaskExecutor(cluster.scheduler_address)
                    dask_state = crawl_index(tmp, tmp / f"state-dask{n}")
                    try:
                        dask[n] = measure(f"(4) reextract, Dask LocalCluster of {n}",
                                          lambda: reextract_round(archive, executor, dask_state, base_urls),
                                          args.rounds)
                    finally:
                        executor.close()

    print("  ratios of the medians (issue 25):")
    ratio("local pool / bare", local / bare, 0.85)
    if s3_rate is not None:
        ratio("SeaweedFS / local", s3_rate / local, 0.9)
    if dask:
        ratio("Dask 2 workers / Dask 1", dask[2] / dask[1], 1.8)
        print(f"  {'Dask 4 workers / Dask 2':<44}{dask[4] / dask[2]:>6.2f}  (no target: this machine has {CORES} "
              f"cores, so 4 workers cannot beat {CORES}; they share the cores with this client)")
    print(f"  load average {os.getloadavg()[0]:.1f} at the end; the client (reading, deciding, writing) shares the "
          f"{CORES} cores with the workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
