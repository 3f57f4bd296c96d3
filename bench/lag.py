"""Lag at default settings: ``arshif serve`` as shipped (settings.toml; only the replica's addresses and the
archive's paths set) against the replica on a clock that publishes one article per site every ``--every``
seconds for ``--minutes``, every ``--hide-every``-th shown by no feed, sitemap or listing (reachable only at its
own URL, so found by the id probes: a watch's, else a full run's), with id gaps that are no article. Once the
publishing is over it waits until every published article is archived, then stops serve.

Per site it prints, from the archived records, seconds from publication to archive and from discovery's first
sight to archive, p50 and p95 (nearest rank, as ``arshif status``), over all the published articles and over the
listed and the hidden ones apart, against the targets (p50 ≤ 5 min, p95 ≤ 15 min): met / not met.
*Published* is the replica's own instant the article became reachable (``replica.clock.Publish.published_at``),
not the page's date, which both sites give to the minute; *archived* is the record's first ``fetched_at``. It
prints ``arshif status``'s own figures too (from the run reports, read from the page's minute-rounded date).

Defaults (settings.toml): a full run every 30 min (``every``, the first at once on a new archive) and a feed
watch every 3 min (``watch_every``). ``--minutes`` defaults to one full-run interval less a minute (29): the
articles published over a whole interval, a dozen watches pass, and the second full run, at its end, probes
what the watches left. Lag is set by those intervals, not by the machine: a listed article waits for the next
watch (≤ 3 min plus the watch's own seconds), a hidden one for the first watch after a newer listed one (its
probes of the newest holes, ``watch_id_probes``), else for the next full run (≤ 30 min plus the run's).

Run: ``python bench/lag.py [--minutes M] [--every 30] [--hide-every 5]`` (the minutes, then the full run).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run as a script from anywhere

from crawler.config import load_settings  # noqa: E402
from crawler.discover.ids import number_in  # noqa: E402
from crawler.sites import get_site  # noqa: E402
from jobs.service.lag import quantile  # noqa: E402
from replica.clock import Clock, Publish  # noqa: E402
from replica.server import ReplicaServer  # noqa: E402

#: the issue's targets, seconds from publication to archive
TARGETS = {"p50": 5 * 60, "p95": 15 * 60}


def first_archived(archive: Path) -> dict[tuple[str, str], dict]:
    """(site, article number) → its first archived version (the earliest ``fetched_at`` among the record and
    its kept versions)."""
    out: dict[tuple[str, str], dict] = {}
    for path in [*(archive / "articles").rglob("*.json"), *(archive / "versions").rglob("*.json")]:
        record = json.loads(path.read_text("utf-8"))
        number = number_in(record["canonical_url"], get_site(record["site"]))
        key = (record["site"], str(number))
        if number is not None and (key not in out or record["fetched_at"] < out[key]["fetched_at"]):
            out[key] = record
    return out


def figures(values: list[float]) -> str:
    if not values:
        return "none"
    p50, p95 = quantile(values, 0.5), quantile(values, 0.95)
    return f"p50 {p50 / 60:5.1f} min, p95 {p95 / 60:5.1f} min (n={len(values)})"


def met(values: list[float]) -> str:
    if not values:
        return "no figure"
    over = [q for q, target in TARGETS.items() if quantile(values, float(q[1:]) / 100) > target]
    return f"NOT met ({' and '.join(over)} over)" if over else "met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, help="minutes of publishing (default: the longest full-run "
                        "interval less a minute, 29 as shipped)")
    parser.add_argument("--every", type=float, default=30, help="seconds between new articles per site (default 30)")
    parser.add_argument("--hide-every", type=int, default=5,
                        help="every Nth new article is shown by no discovery document (default 5: a fifth; 0: none)")
    args = parser.parse_args()

    settings = load_settings()
    intervals = {site: (cfg.every, cfg.watch_every) for site, cfg in settings.sites.items() if cfg.enabled}
    for site, (every, watch) in intervals.items():
        print(f"{site}: full run every {every / 60:g} min, feed watch every {watch / 60:g} min (settings.toml)")
    if args.minutes is None:
        args.minutes = max(every for every, _ in intervals.values()) / 60 - 1
    publish = Publish(per_tick=1, hide_every=args.hide_every, gap_every=4)
    clock = Clock(every=args.every, ticks=max(1, round(args.minutes * 60 / args.every)), steps=[publish])
    tmp = Path(tempfile.mkdtemp(prefix="arshif-bench-lag-"))
    archive = tmp / "archive"
    with ReplicaServer(plain=6, clock=clock, keep_alive=True) as replica:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
        env.update({"ARSHIF_ARCHIVE__URL": f"file://{archive}", "ARSHIF_ARCHIVE__STATE_DIR": str(tmp / "state")})
        env.update({f"ARSHIF_SITES__{site.upper()}__BASE_URL": url for site, url in replica.base_urls.items()})
        print(f"serving from {tmp} (log: {tmp / 'serve.log'}); publishing for {args.minutes:g} min", flush=True)
        with (tmp / "serve.log").open("w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "serve"], env=env, cwd=ROOT,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
            try:
                clock.done.wait()
                # every published article archived, or two full runs' time after the publishing: then give up
                deadline = time.monotonic() + 2 * max(every for every, _ in intervals.values()) + 600
                while True:
                    have = first_archived(archive)
                    left = {site: [n for n in numbers if (site, n) not in have]
                            for site, numbers in publish.published_at.items()}
                    print(f"{datetime.now():%H:%M:%S} waiting for "
                          f"{', '.join(f'{s}: {len(n)}' for s, n in left.items())} articles", flush=True)
                    if not any(left.values()) or time.monotonic() > deadline:
                        break
                    time.sleep(30)     # a bench's poll of the archive; serve's own intervals are minutes
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait()
        hidden = {site: replica.unlisted(site) for site in publish.published_at}

    have = first_archived(archive)
    hides = f"every {args.hide_every}th hidden" if args.hide_every else "none hidden"
    print(f"\nlag at default settings, {args.minutes:g} min of publishing, an article per site every "
          f"{args.every:g}s, {hides}; targets p50 ≤ 5 min, p95 ≤ 15 min")
    print("published = the replica's instant the article became reachable; archived = its first fetched_at")
    for site, instants in publish.published_at.items():
        lags: dict[str, list[float]] = {"all": [], "listed": [], "hidden": []}
        seen: list[float] = []
        missing = 0
        for number, instant in instants.items():
            record = have.get((site, number))
            if record is None:
                missing += 1
                continue
            fetched = datetime.fromisoformat(record["fetched_at"])
            lag = max(0.0, (fetched - instant).total_seconds())
            lags["all"].append(lag)
            lags["hidden" if number in hidden[site] else "listed"].append(lag)
            if record.get("first_seen_at"):
                seen.append(max(0.0, (fetched - datetime.fromisoformat(record["first_seen_at"])).total_seconds()))
        print(f"{site}: {len(instants)} published, {missing} not archived")
        print(f"  published → archived  {figures(lags['all'])}: {met(lags['all'])}")
        print(f"    listed               {figures(lags['listed'])}: {met(lags['listed'])}")
        print(f"    hidden               {figures(lags['hidden'])}: {met(lags['hidden'])}")
        print(f"  first seen → archived {figures(seen)}: {met(seen)}")

    done = subprocess.run([sys.executable, "-m", "jobs.cli", "status", "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    try:
        for doc in json.loads(done.stdout)["sites"]:
            lag = doc["lag"]
            print(f"arshif status {doc['site']}: published → archived p50 {lag['published']['p50']}s p95 "
                  f"{lag['published']['p95']}s, first seen → archived p50 {lag['first_seen']['p50']}s p95 "
                  f"{lag['first_seen']['p95']}s (n={lag['published']['n']}; published read from the page, "
                  f"to the minute)")
    except (ValueError, KeyError):
        print(f"arshif status --json gave no lag: {done.stdout[-500:]}{done.stderr[-500:]}")


if __name__ == "__main__":
    main()
