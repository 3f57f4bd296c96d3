"""The whole pipeline against bare Trafilatura and the peers a user could run instead, in rounds, in one run.

On a replica of N articles per site.

    .venv/bin/python bench/pipeline.py [--articles 1000] [--rounds 3] [--no-s3] [--crawl-only] [--no-stories]
                                       [--profile FILE]

Each round, back to back: (a) bare ``trafilatura.extract`` on the replica's article pages, one process; (b) the
same on all cores (processes); (c) our extractor (``crawler.extract.page.extract``) alone on all cores, in
processes started as the crawl's extraction workers are (``crawler.extract.preload``); (d) a full
``arshif crawl`` of both sites into an empty local archive (every round does the same work), default settings
but politeness (no download delay, no AutoThrottle, 32 requests at once, 16 a site), story linking on as
``arshif crawl`` runs by default; then the peers over the same article URLs: (g) trafilatura's own command line
(``trafilatura -i urls.txt --parallel 4 -o DIR``: its fetcher and its extractor; with a settings file that lifts
its politeness as the crawl's is, no pause between two requests to a host, and lets it reach loopback), pages =
the files it wrote; (h) ``bench/plain_script.py``, a plain fetch-and-extract script as a user would write it
(8 fetch threads with kept-alive connections, ``trafilatura.extract`` in one process per core); (i)
``bench/scrapy_floor.py``, Scrapy alone fetching the same URLs and keeping nothing: the floor under the crawl
process's CPU a page, set by the project's choice of crawler. Prints each
measure as it runs, the load average at the start and end of each round, then per measure min / median / max
of pages/s and of CPU milliseconds a page where measured: (a) in its process; (d) over the crawl's process tree
(sampled from /proc every 0.2 s; its PSS every 2 s), split into the crawl process and the extraction workers; (g), (h) over their
process trees; (d)'s pages are every page it fetched (feeds, sitemaps, listings, id probes too), its articles
archived a second beside them. (d), (g), (h) are timed from their process's start to its end, start-up
included (the plain script's own figure, from its first fetch, beside it). Unlike pages/s, CPU per page hardly
depends on the machine's load. Then the ratios of the medians, and issue 25's targets, each ``met`` or ``NOT met``: crawl
pages/s ≥ (g), ≥ 0.7 × (h), crawl CPU/page ≤ 2.0 × (a)'s.

Once, after the rounds: (e) the same crawl into a local SeaweedFS (``bench/seaweedfs.py``; ``--no-s3``: not
run); (f) an incremental run into the last round's archive after 1% new articles were published
(``ReplicaServer.publish``): pages fetched, requests made and wall time as a share of (d). The crawls' peak RSS
(sum over the tree) and peak PSS (which counts pages the workers share with their fork server once) are printed
with them. ``--crawl-only`` runs (d)-(f) alone (crawl figures of a big replica in less time; no ratios, no
targets); ``--no-stories`` crawls without story linking (the replica's articles all come from one small prose
bank within three days, so nearly every pair of them is a candidate, which no news site gives;
``bench/stories.py`` measures linking); ``--profile FILE`` runs the first round's (d) under cProfile.

The replica keeps connections open between requests (HTTP/1.1), as the real sites do. It runs in this process
(threads), so during (d)-(h) it competes with the crawl and the peers for the same cores: the figures are a
lower bound of what each does against remote sites. Figures vary with the machine's load: compare runs made
together.
"""
from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import shutil
import statistics
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


def _as_the_workers() -> None:
    """A pool process started as the crawl's and re-extraction's extraction workers are (their fork server's
    preload): the extractor imported, dateparser's locale data loaded. Without it each process pays that once
    (1.2-1.4 G instructions, 0.3-0.5 s of CPU), on its first page dated in words, inside the clock (cachegrind, 100
    replica pages after a warm-up page of each site: 56.0 M instructions a page without it, 44.4 M with it)."""
    importlib.import_module("crawler.extract.preload")


def timed_extraction(function, pages, processes: int, initializer=None) -> float:
    """Pages per second of ``function`` over ``pages`` in ``processes`` worker processes (1: this process),
    each started by ``initializer``."""
    if processes == 1:
        function(pages[0])    # imports and warm-up outside the clock
        start, cpu = time.perf_counter(), time.process_time()
        for page in pages:
            function(page)
        timed_extraction.cpu_per_page = (time.process_time() - cpu) / len(pages)
        return len(pages) / (time.perf_counter() - start)
    with Pool(processes, initializer=initializer) as pool:
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


#: PSS is read every 10th sample (2 s): the kernel walks every page of a process to sum it, ~20 ms of CPU for four
#: 300 MB processes, which at every sample (0.2 s) took a tenth of a core from what is measured
PSS_EVERY = 10


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


def run_tree(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``command``: wall s, CPU s of its process tree (sampled from /proc, so that workers that are never
    waited for count too; or the children's rusage when larger), CPU s of its first process, peak RSS of the
    tree (sum of its processes) and PSS, its exit code and output."""
    before = os.times()
    used: dict[int, float] = {}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    peak = peak_pss = 0
    stop = threading.Event()

    def sample():
        nonlocal peak, peak_pss
        for tick in itertools.count():
            if stop.wait(0.2):
                break
            tree = _tree(process.pid)
            peak = max(peak, _rss(tree))
            if tick % PSS_EVERY == 0:
                peak_pss = max(peak_pss, _pss(tree))
            _cpu(tree, used)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = os.times()
    cpu = max((after.children_user - before.children_user) + (after.children_system - before.children_system),
              sum(used.values()))
    return {"wall": wall, "cpu": cpu, "cpu_main": used.get(process.pid, 0.0), "peak": peak, "peak_pss": peak_pss,
            "returncode": process.returncode, "out": out, "err": err}


def crawl(env: dict[str, str], profile: str | None = None) -> dict:
    """One ``arshif crawl`` (``run_tree``); ``profile``: under cProfile, its statistics written there."""
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    result = run_tree([sys.executable, *profiler, "-m", "jobs.cli", "crawl"], env)
    if result["returncode"] != 0:
        sys.exit(f"bench: crawl failed ({result['returncode']}): {result['err'][-2000:]}")
    return result


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
              stories: bool = True) -> dict:
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
        # story linking after the runs, on as `arshif crawl` runs by default (--no-stories: off)
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


# --- the peers: what a user could run instead ------------------------------------------------------------------

#: trafilatura's own settings for (g), politeness off as for the crawl: no pause between two requests to one host
#: (5 s by default) and requests to loopback allowed (its SSRF protection refuses them by default)
TRAFILATURA_CONFIG = "[DEFAULT]\nSLEEP_TIME = 0\nSSRF_PROTECTION = off\n"
#: ``trafilatura --parallel``: its download threads (it takes one URL a host at a time, so with two sites no more
#: than two downloads run at once, whatever the number; it extracts in its main thread)
CLI_PARALLEL = 4


def trafilatura_cli(urls: Path, folder: Path) -> tuple[int, dict]:
    """(g) ``trafilatura -i urls --parallel N -o folder`` (its fetcher and extractor): pages it wrote, run_tree."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = folder.with_suffix(".cfg")
    config.write_text(TRAFILATURA_CONFIG, "utf-8")
    command = [str(Path(sys.executable).with_name("trafilatura")), "-i", str(urls), "--parallel", str(CLI_PARALLEL),
               "-o", str(folder / "out"), "--config-file", str(config)]
    result = run_tree(command)
    if result["returncode"] not in (0, 1):      # 1: some URLs gave no page
        sys.exit(f"bench: trafilatura failed ({result['returncode']}): {result['err'][-2000:]}")
    return sum(1 for path in (folder / "out").rglob("*") if path.is_file()), result


def plain_script(urls: Path) -> tuple[int, float, dict]:
    """(h) ``bench/plain_script.py urls``: pages it fetched and extracted, its own pages/s (from its first fetch
    on, without its start), run_tree."""
    result = run_tree([sys.executable, str(ROOT / "bench" / "plain_script.py"), str(urls)])
    if result["returncode"] != 0:
        sys.exit(f"bench: plain_script.py failed ({result['returncode']}): {result['err'][-2000:]}")
    words = result["out"].split()      # "N pages, M with text, S s, R pages/s"
    return int(words[0]), float(words[-2]), result


def scrapy_floor(urls: Path) -> tuple[int, dict]:
    """(i) ``bench/scrapy_floor.py urls``: pages Scrapy alone fetched (answered 200), run_tree."""
    result = run_tree([sys.executable, str(ROOT / "bench" / "scrapy_floor.py"), str(urls)])
    if result["returncode"] != 0:
        sys.exit(f"bench: scrapy_floor.py failed ({result['returncode']}): {result['err'][-2000:]}")
    return int(result["out"].split()[0]), result      # "N pages, S s"


# --- rounds ----------------------------------------------------------------------------------------------------

def spread(values: list[float], digits: int = 1) -> str:
    """min / median / max"""
    return " / ".join(f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values)))


class Figures:
    """Each measure's figures over the rounds: pages/s, and CPU ms/page where measured."""

    def __init__(self):
        self.rates: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.labels: dict[str, str] = {}

    def add(self, key: str, label: str, rate: float | None, cpu_ms: float | None = None) -> None:
        self.labels[key] = label
        if rate is not None:
            self.rates.setdefault(key, []).append(rate)
        if cpu_ms is not None:
            self.cpu.setdefault(key, []).append(cpu_ms)

    def median(self, key: str, cpu: bool = False) -> float:
        return statistics.median((self.cpu if cpu else self.rates)[key])

    def print(self) -> None:
        rounds = max(len(v) for v in self.rates.values())
        print(f"over {rounds} round{'s' * (rounds > 1)}, min / median / max:")
        for key, label in self.labels.items():
            rate = f"{spread(self.rates[key]):>22} pages/s" if key in self.rates else " " * 30
            cpu = f"   CPU/page {spread(self.cpu[key])} ms" if key in self.cpu else ""
            print(f"  {label:<44} {rate}{cpu}", flush=True)


def crawl_round(replica: ReplicaServer, folder: Path, n: int, stories: bool, profile: str | None) -> tuple[dict, int]:
    """(d): one ``arshif crawl`` into an empty archive and state at ``folder``: (run_tree, pages fetched)."""
    shutil.rmtree(folder, ignore_errors=True)
    env = crawl_env(replica, folder, f"file://{folder}/archive", n, stories=stories)
    result = crawl(env, profile)
    run_reports = reports(folder / "archive", set())
    fetched = counts(run_reports, "fetched")
    result.update(env=env, fetched=fetched, new=counts(run_reports, "new"))
    return result, fetched


def extraction_round(figures: Figures, pages: list[tuple[str, str, str]]) -> None:
    """(a)-(c): the extraction alone over the pages saved from the replica."""
    rate = timed_extraction(_bare, pages, 1)
    cpu_ms = timed_extraction.cpu_per_page * 1000
    line("(a) bare Trafilatura, 1 process", len(pages), len(pages) / rate, f"CPU/page {cpu_ms:.1f} ms")
    figures.add("a", "(a) bare Trafilatura, 1 process", rate, cpu_ms)
    rate = timed_extraction(_bare, pages, CORES)
    line(f"(b) bare Trafilatura, {CORES} processes", len(pages), len(pages) / rate)
    figures.add("b", f"(b) bare Trafilatura, {CORES} processes", rate)
    rate = timed_extraction(_ours, pages, CORES, _as_the_workers)
    line(f"(c) our extractor, {CORES} processes", len(pages), len(pages) / rate)
    figures.add("c", f"(c) our extractor, {CORES} processes", rate)


def peers_round(figures: Figures, urls: Path, count: int, tmp: Path) -> None:
    """(g) trafilatura's command line and (h) the plain script over the URL list, each a process tree of its own."""
    written, result = trafilatura_cli(urls, tmp / "trafilatura")
    cpu_ms = result["cpu"] * 1000 / max(written, 1)
    rate = line(f"(g) trafilatura -i urls.txt --parallel {CLI_PARALLEL}", written, result["wall"],
                f"wrote {written} of {count} URLs, CPU/page {cpu_ms:.1f} ms")
    figures.add("g", "(g) trafilatura's command line", rate, cpu_ms)
    extracted, own_rate, result = plain_script(urls)
    cpu_ms = result["cpu"] * 1000 / max(extracted, 1)
    rate = line(f"(h) bench/plain_script.py ({CORES} processes)", extracted, result["wall"],
                f"its own pages/s {own_rate:.1f} (without its start), CPU/page {cpu_ms:.1f} ms")
    figures.add("h", "(h) a plain script", rate, cpu_ms)
    figures.add("h_own", "    (h) its own pages/s, without its start", own_rate)
    fetched, result = scrapy_floor(urls)
    cpu_ms = result["cpu"] * 1000 / max(fetched, 1)
    rate = line("(i) bench/scrapy_floor.py (Scrapy alone)", fetched, result["wall"], f"CPU/page {cpu_ms:.1f} ms")
    figures.add("i", "(i) Scrapy alone, keeping nothing", rate, cpu_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=articles_count, default=1000, help="articles per site (default 1,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a)-(d), (g), (h), back to back (default 3)")
    parser.add_argument("--no-s3", action="store_true", help="skip (e), the crawl into a local SeaweedFS")
    parser.add_argument("--crawl-only", action="store_true", help="skip (a)-(c), (g), (h): crawl figures (CPU per "
                        "page, peak RSS) of a big replica in less time; no ratios, no targets")
    parser.add_argument("--no-stories", action="store_true", help="no story linking after (d)-(f) (`arshif crawl` "
                        "links stories by default; on the replica's dense prose it costs more than on a news site)")
    parser.add_argument("--profile", metavar="FILE", help="run the first round's (d) under cProfile, its statistics "
                        "written to FILE (read them with `python -m pstats FILE`); the crawl is slower")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    n, stories, peers = args.articles, not args.no_stories, not args.crawl_only
    print(f"bench/pipeline.py: {n:,} articles per site, {CORES} cores, {args.rounds} round(s), story linking "
          f"{'on' if stories else 'off'}, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="arshif-pipeline-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "pages").mkdir()
        with ReplicaServer(articles=n, keep_alive=True) as replica:
            if peers:
                started = time.perf_counter()
                pages = fetch_pages(replica, tmp / "pages")
                urls = tmp / "urls.txt"
                urls.write_text("".join(url + "\n" for _, url, _ in pages), "utf-8")
                print(f"  {len(pages):,} pages fetched from the replica in {time.perf_counter() - started:.0f} s; "
                      f"the same article URLs for (g) and (h)", flush=True)
            for number in range(1, args.rounds + 1):
                print(f"round {number}/{args.rounds}: load average {os.getloadavg()[0]:.1f} at the start", flush=True)
                print(f"  {'':<52}{'pages':>7}{'wall s':>9}{'pages/s':>9}")
                if peers:
                    extraction_round(figures, pages)
                folder = tmp / f"crawl-{number}"
                full, fetched = crawl_round(replica, folder, n, stories, args.profile if number == 1 else None)
                per = 1000 / max(fetched, 1)
                rate = line("(d) arshif crawl → local folder, empty at start", fetched, full["wall"],
                            f"new {full['new']}, {cpu_note(full, fetched)}, "
                            f"peak RSS {full['peak'] / 2**20:.0f} MiB (PSS {full['peak_pss'] / 2**20:.0f})")
                figures.add("d", f"(d) arshif crawl, linking {'on' if stories else 'off'}", rate, full["cpu"] * per)
                figures.add("d_new", "    (d) articles archived a second", full["new"] / full["wall"])
                figures.add("d_main", "    (d) in the crawl process", None, full["cpu_main"] * per)
                figures.add("d_workers", "    (d) in the extraction workers", None,
                            (full["cpu"] - full["cpu_main"]) * per)
                if number > 1:
                    shutil.rmtree(tmp / f"crawl-{number - 1}")      # the last round's archive stays for (f)
                if peers:
                    peers_round(figures, urls, len(pages), tmp)
                print(f"round {number}/{args.rounds}: load average {os.getloadavg()[0]:.1f} at the end", flush=True)

            e = None
            if not args.no_s3:
                e = crawl_s3(replica, tmp, n, stories)

            # (f): 1% new articles per site, published now (the newest of each site), into the last round's archive
            new = max(n // 100, 1)
            replica.publish(new)
            before = {site: sum(replica.stats(site).values()) for site in SITES}
            seen = {r["run_id"] for r in reports(folder / "archive", set())}
            inc = crawl(full["env"])
            inc_reports = reports(folder / "archive", seen)
            requests = sum(sum(replica.stats(site).values()) - before[site] for site in SITES)
        line(f"(f) incremental, {new} new per site", counts(inc_reports, "fetched"), inc["wall"],
             f"new {counts(inc_reports, 'new')}, requests {requests} (not modified "
             f"{counts(inc_reports, 'not_modified')}), wall {inc['wall'] / full['wall']:.1%} of (d)'s last round, "
             f"CPU {inc['cpu']:.1f} s, "
             f"peak RSS {inc['peak'] / 2**20:.0f} MiB (PSS {inc['peak_pss'] / 2**20:.0f})")

    figures.print()
    d = figures.median("d")
    if e:
        print(f"  (e) one round: {e:.1f} pages/s")
    if peers:
        a, b, c = figures.median("a"), figures.median("b"), figures.median("c")
        print(f"  ratios (medians): d/a {d / a:.2f}   d/b {d / b:.2f}" + (f"   e/b {e / b:.2f}" if e else "")
              + f"   c/b {c / b:.2f}   d/g {d / figures.median('g'):.2f}   d/h {d / figures.median('h'):.2f}")
        # On a loaded machine pages/s measure the share of the cores a run got; CPU per page does not. With
        # every core busy, (b) does CORES / bare CPU-per-page pages/s and (d) CORES / its own CPU-per-page.
        bound = figures.median("a", cpu=True) / figures.median("d", cpu=True)
        print(f"  CPU-bound estimate (from CPU per page, load-independent): d/a {CORES * bound:.2f}   d/b {bound:.2f}")
        targets(figures, stories)
        floor, own = figures.median("i", cpu=True), figures.median("d_main", cpu=True)
        print(f"  the crawl process's CPU a page: {own:.1f} ms, of which Scrapy alone (i) {floor:.1f} and arshif's own "
              f"work {own - floor:.1f} (records, WARC, index, archive writes, discovery, linking, compaction)")
    print(f"  load average {os.getloadavg()[0]:.1f} at the end; the replica shares the cores with (d)-(h)")
    return 0


def targets(figures: Figures, stories: bool) -> None:
    """Issue 25's three targets for the crawl, on the medians of the rounds."""
    d, g, h = figures.median("d"), figures.median("g"), figures.median("h")
    d_cpu, a_cpu = figures.median("d", cpu=True), figures.median("a", cpu=True)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print("targets (issue 25; medians" + ("" if stories else "; story linking off, the targets are with it on")
          + "):")
    print(f"  crawl pages/s ≥ (g) trafilatura's command line: {d:.1f} vs {g:.1f}: {verdict(d >= g)}")
    print(f"  crawl pages/s ≥ 0.7 × (h) the plain script: {d:.1f} vs 0.7 × {h:.1f} = {0.7 * h:.1f}: "
          f"{verdict(d >= 0.7 * h)}")
    print(f"  crawl CPU/page ≤ 2.0 × (a) bare Trafilatura's: {d_cpu:.1f} ms vs 2.0 × {a_cpu:.1f} = {2 * a_cpu:.1f} ms: "
          f"{verdict(d_cpu <= 2 * a_cpu)}")


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
        return line("(e) arshif crawl → local SeaweedFS (one round)", counts(run_reports, "fetched"), result["wall"],
                    f"new {counts(run_reports, 'new')}, {cpu_note(result, counts(run_reports, 'fetched'))}, "
                    f"peak RSS {result['peak'] / 2**20:.0f} MiB (PSS {result['peak_pss'] / 2**20:.0f}; SeaweedFS not included)")
    finally:
        server.stop(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
