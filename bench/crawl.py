"""A whole crawl, timed: ``arshif crawl`` of both sites of the replica into a fresh local archive, then the
same crawl again (incremental: nothing to fetch). Prints wall time, pages and articles per second, and the
peak memory of the crawl process and of its extraction workers.

Run: ``python bench/crawl.py [--runs N] [--articles N]`` (``--articles``: articles per site, default the base
corpus of about 44; the per-run page cap is raised to fit). The replica keeps connections alive, as the real sites
do. Figures vary on shared machines: compare runs made together.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from replica.server import ReplicaServer  # noqa: E402
from replica.arguments import add_size_argument  # noqa: E402


def crawl(env: dict[str, str]) -> tuple[float, int, dict]:
    """One ``arshif crawl``: wall seconds, peak RSS (KiB) of the crawl and its workers, the run reports."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "jobs.cli", "crawl"], env=env, capture_output=True, text=True,
                          cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    reports = {}
    for path in sorted(Path(env["ARSHIF_ARCHIVE__URL"][7:]).glob("runs/*/*/*.json")):
        report = json.loads(path.read_text("utf-8"))
        reports[report["run_id"]] = report
    return elapsed, peak, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="full + incremental pairs to run")
    add_size_argument(parser)
    args = parser.parse_args()
    print(f"arshif crawl of the replica (both sites), {os.cpu_count()} cores")
    print(f"{'run':<14}{'wall s':>8}{'pages':>7}{'new':>6}{'pages/s':>9}{'articles/s':>12}{'peak RSS MiB':>14}")
    with ReplicaServer(port=0, articles=args.articles, keep_alive=True) as replica:
        for n in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
                env.update({f"ARSHIF_SITES__{s.upper()}__BASE_URL": u for s, u in replica.base_urls.items()})
                env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": f"{tmp}/state",
                            "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
                            "ARSHIF_LOGGING__LEVEL": "WARNING"})
                if args.articles:
                    env.update({f"ARSHIF_SITES__{s.upper()}__MAX_PAGES": str(args.articles * 2) for s in replica.base_urls})
                seen: set[str] = set()
                for label in ("full", "incremental"):
                    elapsed, peak, reports = crawl(env)
                    fresh = [r for run_id, r in reports.items() if run_id not in seen]
                    seen.update(reports)
                    pages = sum(r["counts"]["fetched"] for r in fresh)
                    new = sum(r["counts"]["new"] for r in fresh)
                    print(f"{label + f' #{n + 1}':<14}{elapsed:>8.1f}{pages:>7}{new:>6}{pages / elapsed:>9.1f}"
                          f"{new / elapsed:>12.1f}{peak / 1024:>14.0f}")
    print("wall time includes starting Python, Scrapy and the extraction workers (about 2 s)")


if __name__ == "__main__":
    main()
