"""What a stalling site costs a run: ``arshif crawl elbalad`` of the replica with some of its article pages
stalled every time they are asked for (``replica/faults.py``: the answer comes after longer than the
download timeout; pages whose id ends in one of ``--digits``), timed, with the requests each failed page got.
``--code DIR`` runs the crawl from another checkout of arshif (e.g. an older commit) against this tree's
replica, to compare.

Run: ``python bench/stalls.py [--digits 012] [--timeout 3] [--retries 2] [--code DIR]``. Figures vary on shared
machines: compare runs made together.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from replica.server import ReplicaServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", default="012", help="article pages whose id ends in one of these stall")
    parser.add_argument("--timeout", type=float, default=3.0, help="crawl.download_timeout, seconds")
    parser.add_argument("--retries", type=int, default=2, help="crawl.retry_times")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout of arshif whose crawl is timed")
    args = parser.parse_args()
    code = args.code.resolve()
    with ReplicaServer(port=0) as replica, tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
        env.update({f"ARSHIF_SITES__{s.upper()}__BASE_URL": u for s, u in replica.base_urls.items()})
        env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": f"{tmp}/state",
                    "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0", "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
                    "ARSHIF_CRAWL__DOWNLOAD_TIMEOUT": f"{args.timeout}s",
                    "ARSHIF_CRAWL__RETRY_TIMES": str(args.retries), "ARSHIF_LOGGING__LEVEL": "WARNING",
                    "PYTHONPATH": str(code)})
        replica.inject("stall", rf"re:^/\d{{5,7}}[{args.digits}]/?$", site="elbalad",
                       seconds=args.timeout * (args.retries + 2))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "jobs.cli", "crawl", "elbalad"], env=env, capture_output=True,
                              text=True, cwd=code)
        elapsed = time.perf_counter() - start
        [report] = [json.loads(p.read_text("utf-8")) for p in Path(tmp, "archive").glob("runs/*/*/*.json")]
        stats = replica.stats("elbalad")
        failed = {"/" + f["url"].split("/", 3)[3] for f in report["failures"]}
        asked = sorted(stats.get(path, 0) for path in failed)
        print(f"{code.name}: exit {done.returncode}, {report['result']}, {elapsed:.1f}s wall, "
              f"{report['counts']['new']} new, {report['counts']['failed']} failed "
              f"(timeout {args.timeout:g}s, {args.retries} retries, "
              f"{replica.injected('elbalad').get('stall', 0)} stalled answers); "
              f"requests per failed page: {asked}")


if __name__ == "__main__":
    main()
