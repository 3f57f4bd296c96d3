"""Completeness by id continuity (crawler/discover/ids.py): `arshif serve` against a replica that publishes over
time and shows a fifth of its new articles in no feed, sitemap or listing archives every one of them through
its own id URL, once; the run reports, `arshif status` and the metrics give coverage 100%. Then the coverage
arithmetic itself, and a run that leaves holes unprobed is degraded."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crawler.discover.ids import coverage, number_in
from crawler.sites import get_site
from replica.clock import Clock, Publish
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, run_reports
from tests.test_serve import stop, wait_for

SITES = ("elbalad", "rt_arabic")
#: probes on, over a range that holds every number published during the test and a few of the base corpus's
#: (numbered 7–400 apart: corpus.build), sparse ranges not shrinking the budget
PROBES = {f"ARSHIF_SITES__{site.upper()}__{key}": value for site in SITES
          for key, value in (("ID_PROBES", "150"), ("ID_WINDOW", "80"), ("ID_RECHECKS", "2"),
                             ("ID_SPARSE_BELOW", "0.01"), ("EVERY", "4s"))}


def _number(record: dict) -> str:
    return str(number_in(record["canonical_url"], get_site(record["site"])))


def _final(reports: list[dict], after: str) -> dict | None:
    """The first report of a run started after ``after`` whose id range has no hole left."""
    return next((r for r in reports if r["started_at"] > after and r["result"] in ("ok", "degraded")
                 and r["ids"] and r["ids"]["unprobed"] == 0), None)


@pytest.mark.slow
def test_serve_archives_every_published_article_through_its_id_coverage_100(tmp_path):
    clock = Clock(every=1.5, ticks=40, steps=[Publish(per_tick=1)])     # a minute of publishing
    textfile = tmp_path / "arshif.prom"
    with ReplicaServer(plain=PLAIN, clock=clock) as replica:
        env = crawl_env(replica, tmp_path, **PROBES, ARSHIF_SERVICE__GRACE="40s",
                        ARSHIF_SERVICE__METRICS_TEXTFILE=str(textfile))
        archive = tmp_path / "archive"
        log = (tmp_path / "serve.log").open("w")        # read at the end: a pipe left unread would block it
        proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "serve"], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            assert clock.done.wait(600)
            published_by = datetime.now(timezone.utc).isoformat(timespec="seconds")
            wait_for(lambda: all(_final(run_reports(archive, s), published_by) for s in SITES), 300,
                     "a run after the publishing with no hole left in either site's numbers")
        finally:
            code, _ = stop(proc, timeout=90)
            log.close()
        assert code == 0, (tmp_path / "serve.log").read_text()[-3000:]

        records = archived(archive)
        assert not list((archive / "versions").rglob("*.json"))           # nothing archived twice
        for site in SITES:
            mine = [r for r in records if r["site"] == site]
            numbers = [_number(r) for r in mine]
            assert len(numbers) == len(set(numbers)), site                  # one record per article
            by_number = dict(zip(numbers, mine))
            gaps = replica.gaps(site)
            hidden = replica.unlisted(site) - set(gaps)
            assert len(hidden) == 8                                           # a fifth of the 40 new articles
            for number in hidden:                                             # each found through its own URL
                assert by_number[number]["discovered_by"] == "id_probe", (site, number)
            assert not set(gaps) & set(numbers)                               # the gaps are no article
            expected = {a.article_id for a in replica.articles(site) if a.kind != "not_article"}
            assert expected <= set(numbers), (site, expected - set(numbers))
            listed = [r for r in mine if r["discovered_by"] in ("feed", "sitemap", "listing")]
            assert listed and all(_number(r) not in hidden for r in listed)
            final = _final(run_reports(archive, site), published_by)
            assert final["ids"]["coverage"] == 1.0 and final["ids"]["gaps"] >= len(gaps), final["ids"]
            assert all(day["coverage"] == 1.0 for day in final["ids"]["days"].values())

    shown = arshif("status", env={**env, "ARSHIF_STATUS__NO_NEW_RUNS": "1000"})
    assert shown.returncode in (0, 1), shown.stdout + shown.stderr
    doc = json.loads(arshif("status", "--json", env={**env, "ARSHIF_STATUS__NO_NEW_RUNS": "1000"}).stdout)
    for site in doc["sites"]:
        latest = run_reports(archive, site["site"])[-1]
        assert site["coverage"] == latest["ids"]
        assert f"coverage      {site['coverage']['coverage']:.1%}" in shown.stdout
    metrics = {(s.name, s.labels.get("site"), s.labels.get("day")): s.value
               for family in text_string_to_metric_families(textfile.read_text()) for s in family.samples}
    for site in SITES:
        latest = run_reports(archive, site)[-1]
        assert metrics["arshif_coverage_ratio", site, "all"] == latest["ids"]["coverage"]


def test_coverage_counts_archived_over_numbers_that_are_articles_per_day():
    numbers = {10: ("archived", "2026-12-01", 0), 11: ("gone", None, 1), 13: ("archived", "2026-12-02", 0),
               14: ("not_article", None, 3)}
    cov = coverage(numbers, 10, 15)
    assert (cov["ids"], cov["archived"], cov["gaps"], cov["unprobed"]) == (6, 2, 2, 2)
    assert cov["coverage"] == 0.5                                     # 2 of the 4 numbers that may be articles
    assert cov["open"] == [15, 12]
    assert cov["days"]["2026-12-01"] == {"ids": 3, "archived": 1, "gaps": 1, "unprobed": 1, "coverage": 0.5}
    assert cov["days"]["2026-12-02"]["coverage"] == 0.5               # 13 archived, 14 a gap, 15 unprobed


def test_a_run_that_leaves_holes_unprobed_is_degraded_and_says_so(tmp_path):
    clock = Clock(every=0.05, ticks=6, steps=[Publish(per_tick=2)])
    with ReplicaServer(plain=PLAIN, clock=clock) as replica:
        assert clock.done.wait(60)
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__ID_PROBES="3", ARSHIF_SITES__ELBALAD__ID_WINDOW="40")
        done = arshif("crawl", "elbalad", env=env)
    [report] = run_reports(tmp_path / "archive", "elbalad")
    ids = report["ids"]
    assert (ids["probed"], ids["budget"]) == (3, 3) and ids["unprobed"] > 0, ids
    assert ids["open"] and len(ids["open"]) == min(ids["unprobed"], 20) and ids["open"] == sorted(ids["open"])[::-1]
    assert report["result"] == "degraded" and done.returncode == 3
    assert f"{ids['unprobed']} article numbers of {ids['low']}–{ids['high']} neither archived nor known gaps" \
        in report["reason"]
    [probes] = [s for s in report["sources"] if s["kind"] == "id_probe"]
    assert (probes["source"], probes["urls"]) == ("id_probe /{id}", 3)


def test_sparse_numbers_shrink_the_probe_budget_and_status_says_so(tmp_path):
    """A range where one number in ten is an article (numbers shared with other editions, say): the budget
    follows the density (10 archived of the 91 numbers 1000–1090: 200 × 0.1099 ÷ 0.5 → 44 probes), the report
    says sparse, status warns."""
    from types import SimpleNamespace

    from crawler.archive.index import GONE, ArticleIndex
    from crawler.config import load_settings
    from crawler.discover.ids import IdLedger
    from jobs.status import _coverage_warning

    settings = load_settings(environ={})
    index = ArticleIndex.at(tmp_path, "elbalad")
    for number in range(1000, 1100, 10):
        index.archived_number(number, "2026-12-01")
    index.remember_gaps({n: GONE for n in range(1000, 1100) if n % 10}, datetime.now(timezone.utc))
    cfg = settings.sites["elbalad"]
    run = SimpleNamespace(cfg=cfg, spec=get_site("elbalad"), index=index, base_url=cfg.base_url)
    ledger = IdLedger(run)
    urls = ledger.plan()
    assert (ledger.density, ledger.budget, len(urls)) == (0.1099, 44, 44)
    # newest first: the 5 numbers above the range, then its open gaps (rechecked), never an archived number
    assert urls[:6] == [f"{cfg.base_url}/{n}" for n in (1095, 1094, 1093, 1092, 1091, 1089)]
    assert urls[-1] == f"{cfg.base_url}/1047" and f"{cfg.base_url}/1080" not in urls
    report = ledger.report()
    assert report["sparse"] and report["coverage"] == 1.0
    assert "article numbers are sparse (density 11%" in _coverage_warning(report, cfg)
    assert "44 of id_probes 200 a run" in _coverage_warning(report, cfg)


def test_a_number_probed_before_it_was_given_is_fetched_when_a_feed_lists_it(tmp_path):
    """Probes ask for a few numbers above the range, not given yet (404): that is no memory of "no article" for
    the article published there next, which the next run fetches from the feed that lists it."""
    with ReplicaServer(plain=PLAIN) as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__ENABLED="false",
                        ARSHIF_SITES__ELBALAD__ID_PROBES="10", ARSHIF_SITES__ELBALAD__ID_WINDOW="10")
        assert arshif("crawl", "elbalad", env=env).returncode in (0, 3)
        probed = set(replica.stats("elbalad"))
        [new] = replica.publish(1, site="elbalad")
        assert f"/{new.article_id}" in probed                  # asked for before it was published: 404
        assert arshif("crawl", "elbalad", env=env).returncode in (0, 3)
    [record] = [r for r in archived(tmp_path / "archive") if _number(r) == new.article_id]
    assert record["discovered_by"] in ("feed", "sitemap", "listing")


def test_numbers_long_past_the_range_are_forgotten(tmp_path):
    from types import SimpleNamespace

    from crawler.archive.index import ArticleIndex
    from crawler.config import load_settings
    from crawler.discover.ids import IdLedger

    index = ArticleIndex.at(tmp_path, "elbalad")
    for number in (100, 500, 979, 1000):
        index.archived_number(number, "2026-12-01")
    cfg = load_settings(environ={"ARSHIF_SITES__ELBALAD__ID_WINDOW": "10"}).sites["elbalad"]
    IdLedger(SimpleNamespace(cfg=cfg, spec=get_site("elbalad"), index=index, base_url=cfg.base_url)).remember(True)
    assert sorted(index.numbers(1000)) == [1000]           # 979 and below: more than two ranges below the top
    assert index.lowest_archived_number() == 1000
