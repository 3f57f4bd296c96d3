"""A site with more new articles than one run may fetch (its page cap): the next runs continue where it
stopped, newest first, every article archived once, and the run report and `arshif status` show the backlog."""
from __future__ import annotations

from statistics import mean

import pytest

from replica import ReplicaServer
from tests.crawl_helpers import archived, arshif, crawl_env, expected_urls, run_reports

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITE = "elbalad"


def test_backlog_carried_over_runs_newest_first(tmp_path):
    with ReplicaServer(articles=90) as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__MAX_PAGES="40")
        expected = expected_urls(replica, SITE)
        rank = {replica.base_urls[SITE] + a.url_path: n for n, a in enumerate(
            sorted(replica.articles(SITE), key=lambda a: a.modified or a.published or replica.now, reverse=True))}
        runs = []
        for _ in range(5):
            done = arshif("crawl", env=env)
            assert done.returncode == 0, done.stderr[-2000:]
            report = run_reports(tmp_path / "archive", SITE)[-1]
            runs.append(report)
            if not report["counts"]["backlog"]:
                break
        status = arshif("status", SITE, env=env).stdout

    assert len(runs) >= 3, [r["counts"] for r in runs]        # two runs at least left a backlog
    assert runs[0]["counts"]["backlog"] > runs[1]["counts"]["backlog"] > 0
    assert runs[-1]["counts"]["backlog"] == 0
    assert "left for the next run" not in status                 # the last run left none

    records = [r for r in archived(tmp_path / "archive") if r["site"] == SITE]
    urls = [r["canonical_url"] for r in records]
    assert len(urls) == len(set(urls)), "an article was archived twice"
    assert set(urls) == expected, "an article was skipped"

    by_run: dict[str, list[int]] = {}
    for record in records:
        by_run.setdefault(record["run_id"], []).append(rank[record["canonical_url"]])
    ranks = [mean(by_run[r["run_id"]]) for r in runs if r["run_id"] in by_run]
    assert ranks == sorted(ranks), "runs did not go from the newest articles to the oldest"


def test_status_shows_the_backlog(tmp_path):
    with ReplicaServer(articles=90) as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__MAX_PAGES="30")
        assert arshif("crawl", env=env).returncode == 0
        status = arshif("status", SITE, env=env).stdout
    backlog = run_reports(tmp_path / "archive", SITE)[-1]["counts"]["backlog"]
    assert backlog > 0
    assert f"backlog       {backlog} article pages left for the next run" in status


def test_discovered_articles_wait_as_urls_not_as_requests(tmp_path):
    """A backlog far bigger than a run's page cap is held as URLs and dates (heap entries), and turned into
    Scrapy requests only as the scheduler has room: a request with its queue entry and fingerprint cost the
    crawl process ~3.6 kB, so 100,000 new pages held ~360 MB before. The run still goes newest first and counts
    the rest as its backlog."""
    with ReplicaServer(articles=600) as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__MAX_PAGES="20", ARSHIF_CRAWL__CONCURRENT_REQUESTS="8")
        done = arshif("crawl", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = run_reports(tmp_path / "archive", SITE)[-1]["counts"]
    assert counts["discovered"] >= 550
    # made: the pages fetched, those in flight at the cap (8 slots) and the scheduler's window (2 per slot)
    assert counts["fetched"] <= counts["requested"] <= counts["fetched"] + 8 + 2 * 8 + 4, counts
    assert counts["backlog"] >= counts["discovered"] - counts["requested"]
