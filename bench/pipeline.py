"""The whole pipeline against bare Trafilatura, in one run, on a replica of N articles per site.

    .venv/bin/python bench/pipeline.py [--articles 5000] [--no-s3] [--crawl-only] [--stories] [--profile FILE]

(a) bare ``trafilatura.extract`` on the replica's article pages, one core; (b) the same on all cores
(processes); (c) our extractor (``crawler.extract.page.extract``) alone on all cores; (d) a full ``arshif crawl``
of both sites, politeness off, on loopback into a local archive; (e) the same into a local SeaweedFS
(``bench/seaweedfs.py``); then (f) an incremental run after 1% new articles were published
(``ReplicaServer.publish``): pages fetched, requests made and wall time as a share of (d). Prints pages/s, the
ratios d/a, d/b, e/b, the CPU utilisation of the crawl's process tree (CPU seconds / wall seconds / cores), its
CPU milliseconds per page fetched (in all, in the crawl process, in the extraction workers: unlike pages/s,
these hardly depend on the machine's load; compare them with (a)'s CPU/page) and its peak RSS (sum over the
tree, sampled every 0.2 s; and the peak sum of PSS, which counts pages the workers share with their fork
server once). ``--profile FILE`` runs (d) under cProfile.

Story linking (run by ``arshif crawl`` after its runs) is off unless ``--stories``: the replica's articles all
come from one small prose bank within three days, so nearly every pair of them is a candidate (2,000
articles: 393,000 pairs, 18 s), which no news site gives; ``bench/stories.py`` measures linking.

The replica keeps connections open between requests (HTTP/1.1, ``keep_alive=True``), as the real sites do: a
new TCP connection for every page cost the crawl process and the replica ~1 ms of CPU a page that no real
crawl pays. It runs in this process (threads), so during (d)-(f) it competes with the crawl for the same cores:
the crawl figures are a lower bound of what the crawler does against remote sites. Figures vary with the
machine's load: compare runs made together.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from replica.server import ReplicaServer  # noqa: E402
from replica.arguments import articles_count  # noqa: E402

SITES = ("rt_arabic", "elbalad")
CORES = os.cpu_count() or 1
_PAGE = os.sysconf("SC_PAGE_SIZE")


# --- the pages -----------------------------------------------------------------------------------------------

def fetch_pages(replica: ReplicaServer, folder: Path) -> list[tuple[str, str, str]]:
    """Every article page of the replica saved under ``folder``: [(path, url, site)]."""
    jobs = [(site, replica.base_urls[site] + a.url_path, a.kind) for site in SITES for a in replica.articles(site)]

    def get(job):
        site, url, kind = job
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
        path = folder / f"{site}-{abs(hash(url))}.html"
        path.write_bytes(body)
        return str(path), url, site

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(get, jobs))


def _bare(job) -> int:
    import trafilatura

    path, _, _ = job
    text = trafilatura.extract(Path(path).read_bytes().decode("utf-8", "replace"))
    return len(text or "")


def _ours(job) -> int:
    from crawler.extract.page import extract

    path, url, site = job
    base = url.split("/", 3)[:3]
    result = extract(Path(path).read_bytes(), url, site, base_url="/".join(base),
                     fetched_at=datetime.now(timezone.utc))
    return len(result["text"]) if isinstance(result, dict) else 0


def timed_extraction(function, pages, processes: int) -> float:
    """Pages per second of ``function`` over ``pages`` in ``processes`` worker processes (1: this process)."""
    if processes == 1:
        function(pages[0])    # imports and warm-up outside the clock
        start, cpu = time.perf_counter(), time.process_time()
        for page in pages:
            function(page)
        timed_extraction.cpu_per_page = (time.process_time() - cpu) / len(pages)
        return len(pages) / (time.perf_counter() - start)
    with Pool(processes) as pool:
        pool.map(function, pages[:processes * 2])
        start = time.perf_counter()
        pool.map(function, pages, chunksize=8)
        return len(pages) / (time.perf_counter() - start)


# --- the crawls ----------------------------------------------------------------------------------------------

def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pids: list[int], seen: dict[int, float]) -> None:
    """CPU seconds (user + system) each of ``pids`` used so far, into ``seen``."""
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            seen[pid] = max(seen.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / _TICK)
        except (OSError, IndexError, ValueError):
            pass


def _rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def _pss(pids: list[int]) -> int:
    """Proportional set size of ``pids``: each page shared by n of them (the extraction workers and the fork
    server they come from) counted 1/n in each, so the sum is the tree's own memory, which the sum of RSS
    overstates."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += next(int(row.split()[1]) for row in handle if row.startswith("Pss:")) * 1024
        except (OSError, StopIteration, ValueError):
            pass
    return total


def crawl(env: dict[str, str], profile: str | None = None) -> dict:
    """One ``arshif crawl``: wall s, CPU s of its process tree (sampled from /proc, so that workers that are
    never waited for count too), peak RSS of the tree (sum of its processes), its summary lines."""
    before = os.times()
    used: dict[int, float] = {}
    start = time.perf_counter()
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    process = subprocess.Popen([sys.executable, *profiler, "-m", "jobs.cli", "crawl"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = peak_pss = 0
    stop = threading.Event()

    def sample():
        nonlocal peak, peak_pss
        while not stop.wait(0.2):
            tree = _tree(process.pid)
            peak = max(peak, _rss(tree))
            peak_pss = max(peak_pss, _pss(tree))
            _cpu(tree, used)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = os.times()
    if process.returncode != 0:
        sys.exit(f"bench: crawl failed ({process.returncode}): {err[-2000:]}")
    cpu = max((after.children_user - before.children_user) + (after.children_system - before.children_system),
              sum(used.values()))
    return {"wall": wall, "cpu": cpu, "cpu_main": used.get(process.pid, 0.0), "peak": peak, "peak_pss": peak_pss,
            "summary": out.strip()}


def cpu_note(result: dict, pages: int) -> str:
    """CPU utilisation of the crawl's process tree, and its CPU time per page fetched: in all, in the crawl
    process itself and in its children (the extraction workers). Per page, CPU time hardly depends on the
    machine's load, unlike pages/s."""
    per = 1000 / max(pages, 1)
    return (f"CPU {result['cpu'] / result['wall'] / CORES:.0%}, CPU/page {result['cpu'] * per:.1f} ms "
            f"(crawl process {result['cpu_main'] * per:.1f}, workers {(result['cpu'] - result['cpu_main']) * per:.1f})")


def reports(archive: Path, seen: set[str]) -> list[dict]:
    """Run reports of the local archive at ``archive`` not in ``seen``."""
    found = []
    for path in sorted(archive.glob("runs/*/*/*.json")):
        report = json.loads(path.read_text("utf-8"))
        if report["run_id"] not in seen:
            seen.add(report["run_id"])
            found.append(report)
    return found


def crawl_env(replica: ReplicaServer, tmp: Path, archive_url: str, articles: int, extra: dict | None = None,
              stories: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    for site, url in replica.base_urls.items():
        env[f"ARSHIF_SITES__{site.upper()}__BASE_URL"] = url
        env[f"ARSHIF_SITES__{site.upper()}__MAX_PAGES"] = str(articles * 2 + 1000)
        env[f"ARSHIF_SITES__{site.upper()}__TIME_LIMIT"] = "6h"
    env.update({
        "ARSHIF_ARCHIVE__URL": archive_url,
        "ARSHIF_ARCHIVE__STATE_DIR": str(tmp / "state"),
        # politeness off: no delay, no AutoThrottle, as many requests per site as Scrapy's overall cap
        "ARSHIF_CRAWL__DOWNLOAD_DELAY": "0",
        "ARSHIF_CRAWL__AUTOTHROTTLE": "false",
        "ARSHIF_CRAWL__CONCURRENT_REQUESTS": "32",
        "ARSHIF_CRAWL__CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "ARSHIF_LOGGING__LEVEL": "WARNING",
        # story linking after the runs is measured by bench/stories.py: the replica writes every article from
        # one small prose bank within three days, so nearly all pairs are candidates (2,000 articles: 393,000
        # pairs), a density no news site has, and it would swamp the crawl's figures
        "ARSHIF_STORIES__ENABLED": "true" if stories else "false",
        **(extra or {}),
    })
    return env


def counts(run_reports: list[dict], name: str) -> int:
    return sum(r["counts"].get(name, 0) for r in run_reports)


def line(label: str, pages: int, seconds: float, extra: str = "") -> float:
    rate = pages / seconds if seconds else 0.0
    print(f"  {label:<52}{pages:>7}{seconds:>9.1f}{rate:>9.1f}  {extra}", flush=True)
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=articles_count, default=5000, help="articles per site (default 5,000)")
    parser.add_argument("--no-s3", action="store_true", help="skip (e), the crawl into a local SeaweedFS")
    parser.add_argument("--crawl-only", action="store_true", help="skip (a)-(c), the extraction alone: crawl "
                        "figures (CPU per page, peak RSS) of a big replica in less time; no ratios")
    parser.add_argument("--stories", action="store_true", help="link stories after (d)-(f), as `arshif crawl` does "
                        "by default (off: on the replica's dense prose it costs more than the crawl)")
    parser.add_argument("--profile", metavar="FILE", help="run (d) under cProfile, its statistics written to FILE "
                        "(read them with `python -m pstats FILE`); the crawl is slower")
    args = parser.parse_args()
    n = args.articles
    load = os.getloadavg()[0]
    print(f"bench/pipeline.py: {n:,} articles per site, {CORES} cores, load average {load:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="arshif-pipeline-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "pages").mkdir()
        with ReplicaServer(articles=n, keep_alive=True) as replica:
            a = b = c = None
            if not args.crawl_only:
                started = time.perf_counter()
                pages = fetch_pages(replica, tmp / "pages")
                print(f"  {len(pages):,} pages fetched from the replica in {time.perf_counter() - started:.0f} s",
                      flush=True)
            print(f"  {'':<52}{'pages':>7}{'wall s':>9}{'pages/s':>9}")
            if not args.crawl_only:
                a = timed_extraction(_bare, pages, 1)
                line("(a) bare Trafilatura, 1 core", len(pages), len(pages) / a,
                     f"CPU/page {timed_extraction.cpu_per_page * 1000:.1f} ms")
                b = timed_extraction(_bare, pages, CORES)
                line(f"(b) bare Trafilatura, {CORES} processes", len(pages), len(pages) / b)
                c = timed_extraction(_ours, pages, CORES)
                line(f"(c) our extractor, {CORES} processes", len(pages), len(pages) / c)

            env = crawl_env(replica, tmp / "local", f"file://{tmp}/local/archive", n, stories=args.stories)
            seen: set[str] = set()
            full = crawl(env, args.profile)
            full_reports = reports(tmp / "local" / "archive", seen)
            fetched = counts(full_reports, "fetched")
            d = line("(d) arshif crawl → local folder", fetched, full["wall"],
                     f"new {counts(full_reports, 'new')}, {cpu_note(full, fetched)}, "
                     f"peak RSS {full['peak'] / 2**20:.0f} MiB (PSS {full['peak_pss'] / 2**20:.0f})")

            e = None
            if not args.no_s3:
                e = crawl_s3(replica, tmp, n, args.stories)

            # (f): 1% new articles per site, published now (the newest of each site)
            new = max(n // 100, 1)
            replica.publish(new)
            before = {site: sum(replica.stats(site).values()) for site in SITES}
            inc = crawl(env)
            inc_reports = reports(tmp / "local" / "archive", seen)
            requests = sum(sum(replica.stats(site).values()) - before[site] for site in SITES)
        line(f"(f) incremental, {new} new per site", counts(inc_reports, "fetched"), inc["wall"],
             f"new {counts(inc_reports, 'new')}, requests {requests} (not modified "
             f"{counts(inc_reports, 'not_modified')}), wall {inc['wall'] / full['wall']:.1%} of (d), "
             f"CPU {inc['cpu']:.1f} s, "
             f"peak RSS {inc['peak'] / 2**20:.0f} MiB (PSS {inc['peak_pss'] / 2**20:.0f})")

    if a:
        print(f"  ratios: d/a {d / a:.2f}   d/b {d / b:.2f}" + (f"   e/b {e / b:.2f}" if e else "")
              + f"   c/b {c / b:.2f}")
        # On a loaded machine pages/s measure the share of the cores a run got; CPU per page does not. With
        # every core busy, (b) does CORES / bare CPU-per-page pages/s and (d) CORES / its own CPU-per-page.
        bound = timed_extraction.cpu_per_page / (full["cpu"] / max(fetched, 1))
        print(f"  CPU-bound estimate (from CPU per page, load-independent): d/a {CORES * bound:.2f}   d/b {bound:.2f}")
    print(f"  load average {os.getloadavg()[0]:.1f} at the end; the replica shares the cores with (d)-(f)")
    return 0


def crawl_s3(replica: ReplicaServer, tmp: Path, n: int, stories: bool) -> float:
    from crawler.archive.storage.s3 import S3Archive
    from crawler.config import S3Settings
    from bench.seaweedfs import ISOLATING_ENV, WeedServer

    server = WeedServer(tmp / "weed")
    server.start()
    try:
        bucket = server.create_bucket("arshif-pipeline")
        extra = {**server.env, "ARSHIF_ARCHIVE__S3__ENDPOINT_URL": server.endpoint,
                 "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path"}
        env = crawl_env(replica, tmp / "s3", f"s3://{bucket}/bench", n, extra, stories)
        for name in ISOLATING_ENV:
            env.pop(name, None)
        result = crawl(env)
        for key, value in server.env.items():
            os.environ.setdefault(key, value)
        archive = S3Archive(f"s3://{bucket}/bench", S3Settings(endpoint_url=server.endpoint, addressing_style="path"))
        run_reports = [json.loads(archive.get(key)) for key, _ in archive.list_info("runs/")]
        archive.close()
        return line("(e) arshif crawl → local SeaweedFS", counts(run_reports, "fetched"), result["wall"],
                    f"new {counts(run_reports, 'new')}, {cpu_note(result, counts(run_reports, 'fetched'))}, "
                    f"peak RSS {result['peak'] / 2**20:.0f} MiB (PSS {result['peak_pss'] / 2**20:.0f}; SeaweedFS not included)")
    finally:
        server.stop(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
