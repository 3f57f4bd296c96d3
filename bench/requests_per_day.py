"""Requests per day per site at the real sites' volumes, and the lag the schedule gives, computed from the
settings (``settings.toml`` and the site modules: feeds, sitemaps, listings, ``every``, ``watch_every``,
``revisit_after``, ``id_probes``), then checked kind by kind against a short ``arshif serve`` of the replica on a
clock.

The model, per site and day, for N new articles a day (El Balad ~1,000, RT ~300: the ids' growth,
``/work/shared/reference/sites.md``), R = 86400/every full runs and W = 86400/watch_every − R feed watches:

* robots.txt: R + W (every run is its own process, and Scrapy reads robots.txt once a process);
* feeds: (R + W) × the feeds (a watch reads the feeds alone, most answered 304 — still a request);
* sitemaps: R × (the settings' sitemaps + those robots.txt names + the index children read within the
  look-back), ``SITEMAP_DOCS``;
* listing pages: R × listings × ``listing_pages``;
* new articles: N, each fetched once;
* revisits: N × len(revisit_after), each conditional (a 304 unless edited), plus one confirming re-check per
  takedown (``TAKEDOWN_SHARE`` of N);
* id probes: each full run probes ``AHEAD`` (5) numbers above the top, each new number no source showed once
  (``HIDDEN_SHARE`` of the run's N/R articles: archived then) and each number that is no article
  ``id_rechecks`` times before it is closed (``GAP_SHARE`` per article), at most ``id_probes``; a probe at
  RT's ``/news/<id>`` that finds an article is redirected to it: one request more. The feed watches take the
  newest of those numbers first (a hidden article, a gap's first check; at most ``watch_id_probes`` a watch)
  and the full runs the rest: the same numbers, so the same count a day, counted here as the full runs'.

The politeness budget: the most requests a day the site's pacing allows, 86400 ÷ ``crawl.download_delay``
(Scrapy spaces a site's requests by it; AutoThrottle only lengthens the delay, to latency ÷
``autothrottle_target_concurrency``: at ``LATENCY`` s, 86400 ÷ max(delay, LATENCY ÷ target)).

Lag (publication → archive) at these settings: an article appears in the feed at a uniform moment of the watch
interval and is archived by the next watch, a watch's duration D later: p50 ≈ watch_every/2 + D, p95 ≈
0.95 × watch_every + D. D is measured here on the replica (each watch is a new process). The sites date their
articles to the minute, so the lag read from their dates is up to a minute more than this.

The check: ``arshif serve`` of both replica sites for ``--seconds`` (default 60) with short intervals (watch 3 s,
full run 30 s, revisits 5–60 s) while the replica publishes, edits and takes down; what each site answered, by
kind (from the path: robots.txt, feed, sitemap, listing, article page), against the model's figure for the
runs that actually happened (their reports: full runs and watches, and the article requests they made —
new, revisits, probes — which no path tells apart on El Balad, whose probes ask for the article URL itself).
A listing has as many pages as it holds articles (up to ``listing_pages``), and a first page answering 304 ends
it: the check counts, for every full run, the most pages a listing showed in any of them, so a listing that grew
while the replica published (El Balad's categories: one page at the first run, two later) makes the model a few
listing pages higher than the replica's count; every other kind agrees to the request.
Run: ``python bench/requests_per_day.py [--seconds S]`` (about a minute and a half).
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
from crawler.discover.ids import AHEAD  # noqa: E402

#: new articles a day: El Balad's ids grow by roughly a thousand a day, RT's by a few hundred (sites.md)
VOLUMES = {"elbalad": 1000, "rt_arabic": 300}
#: sitemap documents a full run reads beyond the settings' own. RT: ``/sitemap.xml`` is an index of yearly parts
#: of up to 50,000 URLs each (sites.md); at ~300 articles a day, about 110,000 a year: 2 parts of the current
#: year within the look-back (3 by December). El Balad: its robots.txt is not known publicly (sites.md: "sitemap
#: location unknown (read robots.txt)"): the replica's names 2 sitemaps, counted here (an estimate, not a fact)
SITEMAP_DOCS = {"elbalad": 2, "rt_arabic": 2}
#: assumptions, no public figure: the shares of the replica on a clock (``replica/clock.py``: ``Publish``
#: hides one new article in 5 from every source, and leaves one number that is no article after every 4th)
HIDDEN_SHARE, GAP_SHARE = 0.2, 0.25
#: articles taken down (each costs one confirming re-check beyond its scheduled revisit): an assumption
TAKEDOWN_SHARE = 0.01
#: a page's latency assumed for AutoThrottle's share of the budget (seconds)
LATENCY = 1.0
DAY = 86400
#: the kinds of requests, in print order; the last three are the shares the issue asks for
KINDS = ("robots.txt", "feeds (full runs)", "sitemaps", "listing pages", "new articles", "watch", "revisits",
         "id probes")


def runs_per_day(cfg) -> tuple[float, float]:
    """(full runs, feed watches) a day."""
    full = DAY / cfg.every if cfg.every else 48
    return full, max(0.0, DAY / cfg.watch_every - full) if cfg.watch_every else 0.0


def probes_per_run(cfg, site: str, new_per_run: float) -> float:
    """The id probes of one full run at ``new_per_run`` new articles (see the module), redirects included."""
    if not cfg.id_probes:
        return 0.0
    hidden = new_per_run * HIDDEN_SHARE
    wanted = min(cfg.id_probes, AHEAD + hidden + new_per_run * GAP_SHARE * cfg.id_rechecks)
    return wanted + (hidden if site == "rt_arabic" else 0.0)     # /news/<id> answers a redirect to the article


def per_day(cfg, site: str, new: int) -> dict[str, float]:
    """Requests a day by kind (``KINDS``); "watch": the watches' robots.txt and feeds."""
    full, watches = runs_per_day(cfg)
    feeds = len(cfg.feeds)
    return {"robots.txt": full, "feeds (full runs)": full * feeds,
            "sitemaps": full * (len(cfg.sitemaps) + SITEMAP_DOCS[site]),
            "listing pages": full * len(cfg.listings) * cfg.listing_pages, "new articles": new,
            "watch": watches * (1 + feeds),
            "revisits": new * len(cfg.revisit_after) + new * TAKEDOWN_SHARE,
            "id probes": full * probes_per_run(cfg, site, new / full)}


def budget(settings) -> tuple[float, float]:
    """Requests a day a site's pacing allows: at ``download_delay``, and under AutoThrottle at ``LATENCY``."""
    crawl = settings.crawl
    floor = DAY / crawl.download_delay if crawl.download_delay else float("inf")
    throttled = DAY / max(crawl.download_delay, LATENCY / crawl.autothrottle_target_concurrency) \
        if crawl.autothrottle else floor
    return floor, throttled


def lag(watch_every: float, duration: float) -> tuple[float, float]:
    return watch_every / 2 + duration, 0.95 * watch_every + duration


def kind_of(path: str, site: str, cfg) -> str:
    """What a request to ``path`` of the replica was, from the path alone."""
    from crawler.sites import get_site

    spec = get_site(site)
    if path == "/robots.txt":
        return "robots.txt"
    if path in cfg.feeds:
        return "feed"
    if "sitemap" in path:
        return "sitemap"
    if any(path.startswith(listing.split("{page}")[0]) for listing in cfg.listings):
        return "listing"
    if spec.is_article_path(path) or (spec.native_id is not None and spec.native_id.fullmatch(path)):
        return "article page"
    return "other"


def check(seconds: float) -> tuple[dict, dict]:
    """A short serve of the replica on a clock: what each site answered, by kind, and its run reports."""
    from replica import ReplicaServer
    from replica.changes import Edit, TakeDown
    from replica.clock import Clock, Publish

    clock = Clock(every=2, ticks=None, steps=[Publish(per_tick=1),     # a fifth hidden, a gap after every 4th
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
                        prefix + "REVISIT_AFTER": '["5s", "15s", "30s", "60s"]',
                        # probes over the numbers published during the check (the base corpus's are 7–400 apart)
                        prefix + "ID_WINDOW": "60", prefix + "ID_SPARSE_BELOW": "0.01"})
        proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "serve"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds)        # the bench's measuring window (a bench, not a test: time is what it measures)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
        answered = {}
        settings = load_settings()
        for site in replica.base_urls:
            counts: dict[str, int] = {}
            for _, path in replica.arrivals(site):
                kind = kind_of(path.split("?")[0], site, settings.sites[site])
                counts[kind] = counts.get(kind, 0) + 1
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
    floor, throttled = budget(settings)
    print("requests per day per site at default settings (computed from the schedule and settings):")
    for site, new in VOLUMES.items():
        cfg = settings.sites[site]
        day = per_day(cfg, site, new)
        total = sum(day.values())
        kinds = ", ".join(f"{name} {day[name]:,.0f}" for name in KINDS)
        shares = ", ".join(f"{name} {day[name] / total:.0%}" for name in ("watch", "revisits", "id probes"))
        print(f"  {site} ({new:,} new articles a day): {total:,.0f} requests a day, {total / DAY * 60:.1f} a minute"
              f" — {kinds}")
        print(f"    shares: {shares}; politeness budget {floor:,.0f} a day at download_delay "
              f"{settings.crawl.download_delay:g}s ({total / floor:.1%} used), {throttled:,.0f} under AutoThrottle "
              f"at {LATENCY:g}s latency ({total / throttled:.1%} used)")
        p50, p95 = lag(cfg.watch_every, watch_s)
        print(f"    lag publication → archive at watch_every {cfg.watch_every:.0f}s and a watch of "
              f"{watch_s:.1f}s (median measured): p50 ≈ {p50 / 60:.1f} min, p95 ≈ {p95 / 60:.1f} min")

    print(f"\ncheck: a {args.seconds:.0f}s arshif serve of the replica (watch 3s, full run 30s, revisits 5s–60s), "
          "requests by kind: the model for the runs that happened / what the replica answered")
    for site, counts in answered.items():
        runs = [r for r in reports.get(site, [])]
        full = [r for r in runs if r["kind"] == "crawl"]
        watches = [r for r in runs if r["kind"] == "watch"]
        cfg = settings.sites[site]
        # the sitemap documents a full run reads, as the replica has them (settings' + robots.txt's + children)
        sitemap_docs = max((sum(s["documents"] for s in r["sources"] if s["kind"] == "sitemap") for r in full),
                           default=0)
        # a listing's pages as the replica has them (its most read); a first page answering 304 ends it there
        pages = {}
        for r in full:
            for src in r["sources"]:
                if src["kind"] == "listing":
                    pages[src["source"]] = max(pages.get(src["source"], 0), src["documents"])
        listing_docs = max(pages.values(), default=0) * len(pages)
        listings_read = sum(1 if src["not_modified"] else pages[src["source"]]
                            for r in full for src in r["sources"] if src["kind"] == "listing")
        requested = sum(r["counts"].get("requested", 0) for r in runs)
        revisited = sum(r["counts"].get("revisited", 0) for r in runs)
        probed = sum((r.get("ids") or {}).get("probed", 0) for r in runs)
        found = sum(((r.get("ids") or {}).get("probes") or {}).get("articles", 0) for r in runs)
        # (a probe's redirect to the article, RT's /news/<id>, is a request made: among ``requested``)
        model = {"robots.txt": len(runs), "feed": len(runs) * len(cfg.feeds),
                 "sitemap": len(full) * sitemap_docs, "listing": listings_read,
                 "article page": requested, "other": 0}
        print(f"  {site}: {len(full)} full runs, {len(watches)} watches ({len(runs)} processes); a full run reads "
              f"{sitemap_docs} sitemap documents (settings {len(cfg.sitemaps)}, the rest robots.txt's and index "
              f"children) and up to {listing_docs} listing pages (settings: {len(cfg.listings)} × {cfg.listing_pages}; "
              "a first page answering 304 ends its listing)")
        for kind, figure in model.items():
            got = counts.get(kind, 0)
            if figure or got:
                print(f"    {kind:13} {figure:5} / {got:5}" + ("" if figure == got else f"  ({got - figure:+})"))
        print(f"    article requests made (reports): {requested} — revisits {revisited} (304: "
              f"{sum(r['counts'].get('revisit_not_modified', 0) for r in runs)}), id probes {probed} "
              f"({found} found an article), new and other {requested - revisited - probed}")
        lags = [x for r in runs for x in r.get("lags", {}).get("first_seen", [])]
        if lags:
            print(f"    first seen → archived p50 {statistics.median(lags):.0f}s over {len(lags)} articles")


if __name__ == "__main__":
    main()
