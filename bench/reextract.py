"""Re-extraction throughput: ``arshif reextract``'s work (read the WARC files, extract every article capture,
compare with the archive) over a crawl of the replica, on the local process pool and on a Dask
``LocalCluster`` of 2 worker processes. Prints captures/s (article captures extracted per wall second).

The replica is crawled once into a temporary archive; each executor then re-extracts the whole archive
``--rounds`` times after one warm-up round (worker start-up and imports not counted); the best round is
printed with the median. Run: ``python bench/reextract.py [--rounds N] [--workers N]``. Figures vary on
shared machines: compare runs made together.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from crawler.archive.storage.local import LocalArchive  # noqa: E402
from crawler.reextract.dask_cluster import DaskExecutor  # noqa: E402
from crawler.reextract.site import SiteReextraction  # noqa: E402
from crawler.archive.state.index import ArticleIndex  # noqa: E402
from crawler.extract.workers import ExtractWorkers  # noqa: E402
from replica.server import ReplicaServer  # noqa: E402

SITES = ("rt_arabic", "elbalad")


def crawl(tmp: Path) -> LocalArchive:
    with ReplicaServer(port=0) as replica:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
        env.update({f"ARSHIF_SITES__{s.upper()}__BASE_URL": u for s, u in replica.base_urls.items()})
        env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": f"{tmp}/crawl-state",
                    "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
                    "ARSHIF_ARCHIVE__WARC_MAX_BYTES": "60000", "ARSHIF_LOGGING__LEVEL": "WARNING"})
        done = subprocess.run([sys.executable, "-m", "jobs.cli", "crawl"], env=env, capture_output=True, text=True,
                              cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"bench: crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return LocalArchive(f"file://{tmp}/archive")


def one_round(archive: LocalArchive, executor, state: Path) -> tuple[int, int, float]:
    """Re-extract every site once: (article captures, changed, seconds)."""
    pages = changed = 0
    start = time.perf_counter()
    for site in SITES:
        index = ArticleIndex.at(state, site)
        if not index.is_built():
            index.rebuild(archive)
        job = SiteReextraction(archive, site, index, executor, state, base_url="http://127.0.0.1")
        result = job.run()
        job.finish(result)
        index.close()
        pages += result.counts["pages"]
        changed += result.changed
    return pages, changed, time.perf_counter() - start


def measure(label: str, archive: LocalArchive, executor, state: Path, rounds: int) -> None:
    one_round(archive, executor, state)                       # warm-up: workers started, modules imported
    runs = [one_round(archive, executor, state) for _ in range(rounds)]
    pages = runs[0][0]
    rates = [p / s for p, _, s in runs]
    print(f"{label:<32}{pages:>9}{max(rates):>12.1f}{statistics.median(rates):>14.1f}"
          f"{sum(c for _, c, _ in runs):>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per executor")
    parser.add_argument("--workers", type=int, default=2, help="local pool processes and Dask workers")
    args = parser.parse_args()
    print(f"arshif reextract of a replica crawl (both sites), {os.cpu_count()} cores, {args.workers} workers")
    print(f"{'executor':<32}{'captures':>9}{'best cap/s':>12}{'median cap/s':>14}{'changed':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        archive = crawl(Path(tmp))
        with ExtractWorkers(args.workers) as pool:
            measure(f"local process pool ({args.workers})", archive, pool, Path(tmp) / "state-local", args.rounds)
        from distributed import LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster:
            executor = DaskExecutor(cluster.scheduler_address)
            try:
                measure(f"dask LocalCluster ({args.workers} procs)", archive, executor, Path(tmp) / "state-dask",
                        args.rounds)
            finally:
                executor.close()
    print("captures: article pages (HTTP 200 responses of article URLs) extracted per round; changed must be 0")


if __name__ == "__main__":
    main()
