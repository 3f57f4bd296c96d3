"""A redesign of both sites (the replica's layout 2): other markup for every page, the same articles, URLs,
feeds and sitemaps. The crawl still archives every article through the generic fallbacks (JSON-LD,
OpenGraph, Trafilatura, the shared cleaning rules), and the run report, the run's log and ``arshif status``
say that the site's own selectors stopped matching, the day it happens."""
import json
from datetime import datetime, timezone

import pytest

from bench.extraction import Score
from replica.server import ReplicaServer
from tests.crawl_helpers import (archived, arshif, assert_each_article_archived_once, assert_no_noise, crawl_env,
                                 expected_urls, layout_crawl_fixtures, run_reports)

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITES = ("rt_arabic", "elbalad")
F1_FLOOR = 0.95
REDESIGN_WARNING = "did the site change its layout?"


replica, crawled = layout_crawl_fixtures(2)


def _by_url(tmp) -> dict[str, dict]:
    return {r["canonical_url"]: r for r in archived(tmp / "archive")}


def test_every_article_is_archived_once(replica, crawled):
    tmp, _, result = crawled
    assert result.returncode == 0, result.stderr[-3000:]
    assert_each_article_archived_once(archived(tmp / "archive"), replica, SITES)


def test_no_noise_from_the_catalogue_survives(crawled):
    tmp, _, _ = crawled
    assert_no_noise(archived(tmp / "archive"))


def test_metadata_comes_from_the_generic_fallbacks(replica, crawled):
    tmp, _, _ = crawled
    by_url = _by_url(tmp)
    for site in SITES:
        for article in replica.articles(site):
            if article.kind == "not_article":
                continue
            record = by_url[article.url(replica.base_urls[site])]
            assert record["title"] == article.title
            assert record["image"] == article.image
            assert (record["published_at"] is None) == (article.published is None)
            if article.published:
                assert record["published_at"] == article.published.isoformat()


@pytest.mark.parametrize("site", SITES)
def test_text_scores_against_the_gold(replica, crawled, site):
    tmp, _, _ = crawled
    by_url = _by_url(tmp)
    score = Score()
    for article in replica.articles(site):
        if article.kind != "not_article":
            score.add(by_url[article.url(replica.base_urls[site])]["text"], article.gold_text)
    assert score.f1 >= F1_FLOOR, f"{site}: P {score.precision:.4f} R {score.recall:.4f} F1 {score.f1:.4f}"


def test_report_and_log_say_the_sites_selectors_stopped_matching(replica, crawled):
    tmp, _, result = crawled
    for site in SITES:
        (report,) = run_reports(tmp / "archive", site)
        selectors = report["selectors"]
        assert selectors["pages"] == report["counts"]["new"] == len(expected_urls(replica, site))
        assert selectors["rate"] < 0.5
        for name in ("title", "body"):
            assert selectors["fields"][name] == {"hits": 0, "checks": selectors["pages"]}
        warnings = [line for line in result.stderr.splitlines()
                    if "WARNING" in line and f"site={site}" in line and "site selectors matched" in line]
        assert len(warnings) == 1, result.stderr[-3000:]
        assert "has the site changed its layout?" in warnings[0] and "title 0/" in warnings[0]


def test_status_warns_of_the_redesign(crawled):
    _, env, _ = crawled
    done = arshif("status", "--json", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["state"] == "warning"
    for status in doc["sites"]:
        [warning] = [w for w in status["warnings"] if REDESIGN_WARNING in w]
        assert warning.startswith("the site's own selectors matched 0% of the checks")
        assert status["state"] == "warning"
    text = arshif("status", "elbalad", env=env)
    assert text.returncode == 1
    assert "elbalad: WARNING" in text.stdout and REDESIGN_WARNING in text.stdout


def test_a_threshold_of_zero_silences_the_warning(crawled):
    _, env, _ = crawled
    done = arshif("status", "--json", env={**env, "ARSHIF_STATUS__MIN_SELECTOR_HIT_RATE": "0"})
    doc = json.loads(done.stdout)
    assert not [w for s in doc["sites"] for w in s["warnings"] if REDESIGN_WARNING in w]


def test_redesign_on_a_live_site_is_reported_by_the_next_run_that_reads_an_article(tmp_path):
    """Crawled in the known layout; the site switches to the redesign; one article is edited: the next run
    archives the edit as a new version and the status warns at once."""
    with ReplicaServer(port=0) as live:
        env = crawl_env(live, tmp_path)
        assert arshif("crawl", "elbalad", env=env).returncode == 0
        assert run_reports(tmp_path / "archive", "elbalad")[-1]["selectors"]["rate"] == 1.0
        live.set_layout(2, "elbalad")
        # edited later than the crawl's last second: a lastmod not after the fetch rightly means "nothing new"
        article = max((a for a in live.articles("elbalad") if a.kind == "article"), key=lambda a: a.published)
        edited = live.edit(article.article_id, "elbalad", after=datetime.now(timezone.utc))
        assert arshif("crawl", "elbalad", env=env).returncode == 0
    report = run_reports(tmp_path / "archive", "elbalad")[-1]
    assert report["counts"]["updated"] == 1 and report["selectors"]["pages"] == 1
    assert report["selectors"]["rate"] == 0.0
    record = _by_url(tmp_path)[article.url(live.base_urls["elbalad"])]
    assert record["version"] == 2 and edited.paragraphs[-1] in record["text"].splitlines()
    done = arshif("status", "elbalad", "--json", env=env)
    assert done.returncode == 1
    [status] = json.loads(done.stdout)["sites"]
    assert any(REDESIGN_WARNING in w for w in status["warnings"])
