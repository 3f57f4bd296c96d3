"""Requests per day per site at the real sites' volumes, and the lag the schedule gives, computed from the
settings (``settings.toml`` and the site modules: feeds, sitemaps, listings, ``every``, ``watch_every``,
``revisit_after``), then checked against a short ``arshif serve`` of the replica on a clock.

The model, per site and day, for N new articles a day (El Balad ~1,000, RT ~300: the ids' growth,
``/work/shared/reference/sites.md``):

* full runs: 86400/every, each robots.txt + every feed + every sitemap + each listing's ``listing_pages`` pages
  (a sitemap index's children are not counted: none is confirmed on either site);
* feed watches: 86400/watch_every (less the full runs' slots), each robots.txt (every run is its own process,
  and Scrapy reads robots.txt once a process) + every feed, most answered 304;
* new articles: N, each fetched once;
* revisits: N × len(revisit_after), each conditional (a 304 unless edited), plus the takedown checks (a second
  request for each article found gone: a few a day);
* id probes (another part of the crawl, ``id_probes`` a run where the settings have it): at most that many a
  full run.

Lag (publication → archive) at these settings: an article appears in the feed at a uniform moment of the watch
interval and is archived by the next watch, a watch's duration D later: p50 ≈ watch_every/2 + D, p95 ≈
0.95 × watch_every + D. D is measured here on the replica (each watch is a new process). The sites date their
articles to the minute, so the lag read from their dates is up to a minute more than this.

The check: ``arshif serve`` of both replica sites for ``--seconds`` (default 60) with short intervals (watch 3 s,
full run 30 s, revisits 5–60 s) while the replica publishes; the requests each site answered, by kind, against
the model's figure for the runs that actually happened (the number of full runs and watches from their reports,
the articles archived). Run: ``python bench/requests_per_day.py [--seconds S]`` (about a minute and a half).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from crawler.config import load_settings  # noqa: E402

#: new articles a day: El Balad's ids grow by roughly a thousand a day, RT's by a few hundred (sites.md)
VOLUMES = {"elbalad": 1000, "rt_arabic": 300}
DAY = 86400


def per_run(cfg) -> dict[str, int]:
    """Discovery requests of one full run and of one feed watch."""
    return {"full": 1 + len(cfg.feeds) + len(cfg.sitemaps) + len(cfg.listings) * cfg.listing_pages,
            "watch": 1 + len(cfg.feeds)}


def per_day(cfg, new: int) -> dict[str, float]:
    runs = per_run(cfg)
    full = DAY / cfg.every if cfg.every else 48
    watches = max(0.0, DAY / cfg.watch_every - full) if cfg.watch_every else 0.0
    probes = getattr(cfg, "id_probes", 0) * full
    return {"full runs": full * runs["full"], "watch": watches * runs["watch"], "new articles": new,
            "revisits": new * len(cfg.revisit_after), "id probes (at most)": probes}


def lag(watch_every: float, duration: float) -> tuple[float, float]:
    return watch_every / 2 + duration, 0.95 * watch_every + duration


def kind_of(path: str, site: str) -> str:
    from crawler.sites import get_site

    if path == "/robots.txt":
        return "robots"
    return "article" if get_site(site).is_article_path(path) else "discovery"


def check(seconds: float) -> tuple[dict, dict]:
    """A short serve of the replica on a clock: what each site answered, by kind, and its run reports."""
    from replica import ReplicaServer
    from replica.changes import Edit, TakeDown
    from replica.clock import Clock, Publish

    clock = Clock(every=2, ticks=None, steps=[Publish(per_tick=1, hide_every=0, gap_every=0),
                                              Edit(every=4, min_ticks=5), TakeDown(every=6, min_ticks=5)])
    tmp = Path(tempfile.mkdtemp(prefix="arshif-bench-rpd-"))
    with ReplicaServer(plain=6, clock=clock, keep_alive=True) as replica:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
        env.update({"ARSHIF_ARCHIVE__URL": f"file://{tmp}/archive", "ARSHIF_ARCHIVE__STATE_DIR": str(tmp / "state"),
                    "ARSHIF_CRAWL__EXTRACT_WORKERS": "1", "ARSHIF_STORIES__ENABLED": "false",
                    "ARSHIF_DATASET__COMPACT_AFTER_RUN": "false"})
        for site, url in replica.base_urls.items():
            prefix = f"ARSHIF_SITES__{site.upper()}__"
            env.update({prefix + "BASE_URL": url, prefix + "EVERY": "30s", prefix + "WATCH_EVERY": "3s",
                        prefix + "REVISIT_AFTER": '["5s", "15s", "30s", "60s"]'})
        proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "serve"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds)        # the bench's measuring window (a bench, not a test: time is what it measures)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
        answered = {}
        for site in replica.base_urls:
            counts: dict[str, int] = {}
            for _, path in replica.arrivals(site):
                counts[kind_of(path, site)] = counts.get(kind_of(path, site), 0) + 1
            answered[site] = counts
    reports = {}
    for path in sorted((tmp / "archive" / "runs").rglob("*.json")):
        report = json.loads(path.read_text("utf-8"))
        reports.setdefault(report["site"], []).append(report)
    return answered, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the replica serve (default 60)")
    args = parser.parse_args()
    answered, reports = check(args.seconds)
    durations = [r["duration_s"] for rs in reports.values() for r in rs if r["kind"] == "watch" and r["duration_s"]]
    watch_s = statistics.median(durations) if durations else 0.0

    settings = load_settings()
    print("requests per day per site at default settings (computed from the schedule and settings):")
    for site, new in VOLUMES.items():
        cfg = settings.sites[site]
        day = per_day(cfg, new)
        total = sum(day.values())
        shares = ", ".join(f"{name} {n:,.0f} ({n / total:.0%})" for name, n in day.items())
        print(f"  {site}: {total:,.0f} a day, {total / DAY * 60:.1f} a minute — {shares}")
        p50, p95 = lag(cfg.watch_every, watch_s)
        print(f"  {site}: lag publication → archive at watch_every {cfg.watch_every:.0f}s and a watch of "
              f"{watch_s:.1f}s (median measured): p50 ≈ {p50 / 60:.1f} min, p95 ≈ {p95 / 60:.1f} min")

    print(f"\ncheck: a {args.seconds:.0f}s arshif serve of the replica (watch 3s, full run 30s, revisits 5s–60s):")
    for site, counts in answered.items():
        runs = [r for r in reports.get(site, []) if r["result"] != "running"]
        full = [r for r in runs if r["kind"] == "crawl"]
        watches = [r for r in runs if r["kind"] == "watch"]
        cfg = settings.sites[site]
        model = per_run(cfg)
        discovery = len(full) * model["full"] + len(watches) * model["watch"]
        measured_discovery = sum(n for k, n in counts.items() if k != "article")
        articles = sum(r["counts"].get("requested", 0) for r in runs)
        revisited = sum(r["counts"].get("revisited", 0) for r in runs)
        print(f"  {site}: {len(full)} full runs, {len(watches)} watches; discovery requests model "
              f"{discovery}, answered {measured_discovery} ({counts}); article requests {articles} "
              f"(of which revisits {revisited}, 304 {sum(r['counts'].get('revisit_not_modified', 0) for r in runs)})")
        lags = [x for r in runs for x in r.get("lags", {}).get("first_seen", [])]
        if lags:
            print(f"  {site}: first seen → archived p50 {statistics.median(lags):.0f}s over {len(lags)} articles")


if __name__ == "__main__":
    main()
