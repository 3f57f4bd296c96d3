"""Discovery against the real sites' shapes (``ReplicaServer(discovery="real")``, replica/real_discovery.py):
RT's sitemap index of yearly parts with a ~15 MB current part full of older URLs, El Balad's sitemaps named only
in robots.txt. A crawl archives exactly what a crawl of the replica's own shapes archives, asks for no URL
outside the look-back, and is answered by 304s the second time; a source that fails (a listing that answers
404) costs only itself: the run is degraded and names it, the others stay conditional."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from replica import ReplicaServer, real_discovery, render_rt_arabic
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, run_reports

SITES = ("rt_arabic", "elbalad")
NOW = datetime.now(timezone.utc).replace(microsecond=0)
# the listing path our RT module once named (answers 404), and a category El Balad does not have
LOST = {"rt_arabic": render_rt_arabic.OLD_LISTING, "elbalad": "/category/77"}
LISTINGS = {"rt_arabic": [render_rt_arabic.LISTING_PAGE],
            "elbalad": ["/category/2", "/category/5", "/category/6", "/category/9"]}


def ids(root, site: str) -> set[str]:
    return {r["id"] for r in archived(root) if r["site"] == site}


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """The articles a crawl of the replica in its own discovery shapes archives, per site."""
    tmp = tmp_path_factory.mktemp("ours")
    with ReplicaServer(now=NOW, plain=PLAIN) as replica:
        done = arshif("crawl", env=crawl_env(replica, tmp))
        assert done.returncode == 0, done.stderr[-3000:]
    return {site: ids(tmp / "archive", site) for site in SITES}


def discovery_bytes(report: dict) -> int:
    return sum(source["bytes"] for source in report["sources"])


@pytest.mark.slow
@pytest.mark.parametrize("lose_a_listing", [False, True], ids=["all sources", "a 404 listing"])
def test_real_shapes_archive_the_same_articles_and_answer_304_the_second_time(ours, tmp_path, lose_a_listing):
    extra = {}
    if lose_a_listing:
        for site in SITES:
            extra[f"ARSHIF_SITES__{site.upper()}__LISTINGS"] = json.dumps([*LISTINGS[site], LOST[site]])
    with ReplicaServer(now=NOW, plain=PLAIN, discovery="real") as replica:
        env = crawl_env(replica, tmp_path, **extra)
        runs = []
        for _ in range(2):
            done = arshif("crawl", env=env)
            assert done.returncode == (3 if lose_a_listing else 0), done.stderr[-3000:]
            runs.append({site: run_reports(tmp_path / "archive", site)[-1] for site in SITES})
        year = NOW.year
        for site in SITES:
            assert ids(tmp_path / "archive", site) == ours[site], site
            asked = replica.stats(site)
            # no URL outside the look-back: none of the current part's older URLs, no past year's part
            assert not [p for p in asked if real_discovery.SLUG in p], site
            assert not [p for p in asked if p.startswith((f"/sitemap_{year - 1}", f"/sitemap_{year - 2}"))]
            first, second = runs[0][site], runs[1][site]
            # the second run: every source that answered the first time answers 304 (listings too)
            assert discovery_bytes(second) <= 0.1 * discovery_bytes(first), (site, first["sources"], second["sources"])
            outcomes = {s["source"]: s["outcome"] for s in second["sources"]}
            lost = f"listing {LOST[site]}"
            if lose_a_listing:
                assert first["result"] == second["result"] == "degraded"
                assert outcomes.pop(lost) == "failed"
                assert f"{lost}: HTTP 404" in second["reason"] and "discovery lost 1 of" in second["reason"]
            assert set(outcomes.values()) == {"not_modified"}, second["sources"]
            assert second["counts"]["fetched"] == 0
        # El Balad's sitemaps came from its robots.txt alone
        origins = {s["source"]: s["origin"] for s in runs[0]["elbalad"]["sources"]}
        assert origins["robots.txt sitemap /news-sitemap.xml"] == "robots.txt"
        if lose_a_listing:       # the summary line names the lost source
            assert f"listing {LOST['elbalad']}: HTTP 404" in done.stdout + done.stderr
