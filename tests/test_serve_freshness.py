"""Freshness end to end: `arshif serve` against a replica on a clock that publishes, edits and takes down
articles — the feed watch archives new articles within its interval, revisits turn edits into versions and find
takedowns, which are recorded as removed after a confirming check; `arshif status` shows lag and removals."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_serve import serve, stop, wait_for

SITES = ("elbalad", "rt_arabic")


def _records(archive: Path) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((archive / "articles").rglob("*.json"))]


def _by_number(records: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(site, the site's own article number) → the archived records of it."""
    from crawler.sites import get_site

    out: dict[tuple[str, str], list[dict]] = {}
    for rec in records:
        identity = get_site(rec["site"]).identity(urlsplit(rec["canonical_url"]).path)
        out.setdefault((rec["site"], identity.split("/", 1)[1]), []).append(rec)
    return out


@pytest.mark.slow
def test_serve_watches_the_feeds_revisits_and_records_takedowns(tmp_path):
    from replica import ReplicaServer
    from replica.changes import Edit, TakeDown
    from replica.clock import Clock, Publish
    from tests.crawl_helpers import PLAIN, arshif, crawl_env, run_reports

    edit, takedown = Edit(every=3, min_ticks=6), TakeDown(every=3, min_ticks=6)
    clock = Clock(every=3, ticks=16, steps=[Publish(per_tick=1, hide_every=0, gap_every=0), edit, takedown])
    archive = tmp_path / "archive"
    with ReplicaServer(plain=PLAIN, clock=clock) as replica:
        revisits = '["5s", "10s", "15s", "20s", "25s", "30s", "40s", "50s", "60s"]'
        env = crawl_env(replica, tmp_path, ARSHIF_CRAWL__EXTRACT_WORKERS="1", ARSHIF_SERVICE__GRACE="60s",
                        **{f"ARSHIF_SITES__{site.upper()}__{key}": value for site in SITES for key, value in
                           (("EVERY", "45s"), ("WATCH_EVERY", "2s"), ("REVISIT_AFTER", revisits))})
        proc = serve(env)

        def caught_up() -> bool:
            if not clock.done.is_set():
                return False
            numbers = _by_number(_records(archive))
            return all(
                all(any(r["version"] >= 2 for r in numbers.get((site, aid), ())) for aid in edit.changed.get(site, ()))
                and all(any(r.get("removed_at") for r in numbers.get((site, aid), ()))
                        for aid in takedown.changed.get(site, ()))
                for site in SITES)

        try:
            wait_for(caught_up, 600, "every edit archived as a version and every takedown recorded")
        finally:
            code, err = stop(proc, timeout=120)
        assert code == 0, err[-3000:]
        published = {site: [a for a in replica.articles(site) if a.kind == "article"] for site in SITES}
        taken = {site: replica.taken_down(site) for site in SITES}

    records = _records(archive)
    numbers = _by_number(records)
    assert all(len(found) == 1 for found in numbers.values()), "an article archived twice"
    for site in SITES:
        assert len(edit.changed[site]) >= 3 and len(takedown.changed[site]) >= 3
        for aid in edit.changed[site]:
            (rec,) = numbers[(site, aid)]
            assert rec["version"] >= 2 and not rec.get("removed_at")
            versions = list((archive / "versions" / f"site={site}").rglob(f"{rec['id']}/*.json"))
            assert len(versions) == rec["version"] - 1
        for aid in takedown.changed[site]:
            (rec,) = numbers[(site, aid)]
            status, location = taken[site][aid]
            how = f"HTTP {status}" + (f" to {location}" if location else "")
            assert (rec["removed_how"], rec["version"]) == (how, 1) and rec["text"]     # its text kept
            assert rec["first_seen_at"] <= rec["fetched_at"] < rec["removed_at"]
        # every article the replica still serves (the clock's new ones among them) is archived
        assert {a.article_id for a in published[site]} <= {n for s, n in numbers if s == site}
        reports = run_reports(archive, site)
        watches = [r for r in reports if r["kind"] == "watch"]
        assert watches and all(r["result"] == "ok" for r in reports if r["result"] != "running")
        assert sum(r["counts"].get("revisited", 0) for r in reports) > 0
        assert sum(r["counts"].get("removed", 0) for r in reports) == len(takedown.changed[site])

    done = arshif("status", "--json", env=env)
    doc = json.loads(done.stdout)
    text = arshif("status", env=env).stdout
    for site in doc["sites"]:
        lag = site["lag"]
        print(f"{site['site']}: lag published→archived p50 {lag['published']['p50']}s p95 "
              f"{lag['published']['p95']}s, first seen→archived p50 {lag['first_seen']['p50']}s p95 "
              f"{lag['first_seen']['p95']}s over {lag['published']['n']} articles; removed {site['removed']}")
        assert lag["published"]["n"] >= 10 and lag["first_seen"]["n"] >= 10
        assert site["removed"] == len(takedown.changed[site["site"]])
        assert f"removals      {site['removed']} recorded in the last 24h" in text
    assert "lag (24h)     published → archived p50" in text
