"""The whole path, both sites: discover → fetch → extract → clean → validate → archive, against the replica."""
from datetime import datetime, timezone
import json

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.sites import get_site
from crawler.urls import is_article_url
from replica.server import ReplicaServer
from tests.crawl_helpers import (archived, arshif, assert_each_article_archived_once, assert_no_noise, crawl_env,
                                 expected_urls, run_reports)

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITES = ("rt_arabic", "elbalad")


@pytest.fixture(scope="module")
def replica():
    with ReplicaServer(port=0) as server:
        yield server


@pytest.fixture(scope="module")
def first(replica, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    # where Scrapy's RemoteControl extension would leave its job file (platformdirs' user state folder)
    env = crawl_env(replica, tmp, after_run=True, XDG_STATE_HOME=str(tmp / "user-state"))
    result = arshif("crawl", env=env)
    return tmp, env, result


def test_the_crawl_runs_no_remote_code_server(first):
    """Scrapy 2.19 starts, by default, an HTTP server on localhost that runs Python code sent to it (the
    RemoteControl extension), with its token in a job file under the user's state folder; a crawl killed
    before its end left the file behind (220 of them on a development machine). A scheduled service that
    stays up for a year needs neither the open door nor the files: it is off (and aiohttp not imported)."""
    tmp, _, result = first
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp / "user-state").exists(), sorted((tmp / "user-state").rglob("*"))


def test_first_crawl_archives_every_article_exactly_once(replica, first):
    tmp, _, result = first
    assert result.returncode == 0, result.stderr[-3000:]
    assert_each_article_archived_once(archived(tmp / "archive"), replica, SITES)


def test_summary_line_per_site(first):
    _, _, result = first
    lines = result.stdout.strip().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == list(SITES)
    assert all(": ok in " in line for line in lines)


def test_no_noise_survives(first):
    tmp, _, _ = first
    assert_no_noise(archived(tmp / "archive"))


def test_awkward_pages(replica, first):
    tmp, _, _ = first
    by_url = {r["canonical_url"]: r for r in archived(tmp / "archive")}
    for site in SITES:
        base = replica.base_urls[site]
        for article in replica.articles(site):
            url = base + article.url_path
            if article.kind == "not_article":
                assert url not in by_url
            elif article.kind == "no_date":
                assert by_url[url]["published_at"] is None
            elif article.kind == "cp1256":
                assert by_url[url]["text"] == article.gold_text


def test_records_point_at_their_raw_response(first):
    tmp, _, _ = first
    for record in archived(tmp / "archive")[:10]:
        with open(tmp / "archive" / record["warc"]["file"], "rb") as fh:
            fh.seek(record["warc"]["offset"])
            rec = next(iter(ArchiveIterator(fh)))
        assert rec.rec_type == "response"
        assert rec.rec_headers.get_header("WARC-Record-ID") == record["warc"]["record_id"]
        assert rec.rec_headers.get_header("WARC-Target-URI") == record["url"]


def test_run_reports_count_the_run(replica, first):
    tmp, _, _ = first
    for site in SITES:
        (report,) = run_reports(tmp / "archive", site)
        assert report["result"] == "ok"
        assert report["counts"]["new"] == len(expected_urls(replica, site))
        # not-articles that look like articles are fetched and rejected; the others are never fetched; the link
        # that answers 404 (MISSING_PATH) is a dead link, not an article (and not a failed page)
        base, spec = replica.base_urls[site], get_site(site)
        assert report["counts"]["not_article"] == 1 + sum(
            a.kind == "not_article" and is_article_url(base + a.url_path, base, spec) for a in replica.articles(site))
        assert report["errors"]["not an article: HTTP 404"] == 1 and report["counts"]["failed"] == 0
        # every page the site answered (its 404 too) has one outcome: the summary's figures add up
        c = report["counts"]
        assert c["fetched"] == sum(c[o] for o in ("new", "updated", "unchanged", "not_article", "invalid",
                                                  "pending")), c
        written = [k for k in report["keys_written"] if k.startswith("articles/")]
        assert len(written) == report["counts"]["new"]
        assert any(k.startswith("warc/") for k in report["keys_written"])


def test_the_sites_own_selectors_match_the_known_layout(replica, first):
    """Layout 1 is the markup crawler/sites knows: its selectors find every article page's parts, no warning
    in the log or in `arshif status` (tests/test_redesign.py has the other side)."""
    tmp, env, result = first
    for site in SITES:
        (report,) = run_reports(tmp / "archive", site)
        selectors = report["selectors"]
        assert selectors["pages"] == report["counts"]["new"]
        assert selectors["rate"] >= 0.95
        assert selectors["fields"]["title"]["hits"] == selectors["fields"]["body"]["hits"] == selectors["pages"]
    assert "site selectors matched" not in result.stderr
    done = arshif("status", "--json", env=env)
    warnings = [w for s in json.loads(done.stdout)["sites"] for w in s["warnings"]]
    assert not [w for w in warnings if "selectors" in w], warnings


def test_second_crawl_fetches_no_article_again_and_writes_nothing(replica, first):
    tmp, env, _ = first
    before = {site: replica.stats(site) for site in SITES}
    files_before = sorted(p.stat().st_mtime_ns for p in (tmp / "archive" / "articles").rglob("*.json"))
    result = arshif("crawl", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = {site: {a.url_path for a in replica.articles(site) if a.kind != "not_article"} for site in SITES}
    for site in SITES:
        after = replica.stats(site)
        refetched = [p for p in expected[site] if after.get(p, 0) != before[site].get(p, 0)]
        assert refetched == [], f"{site}: article pages fetched again"
        latest = run_reports(tmp / "archive", site)[-1]
        assert latest["counts"]["new"] == 0 and latest["counts"]["updated"] == 0
        assert latest["counts"]["fetched"] <= sum(a.kind == "not_article" for a in replica.articles(site)) + 2
        # known articles are skipped, or not even listed again: their feeds and sitemaps answered 304
        assert latest["counts"]["skipped"] >= len(expected[site]) or latest["counts"].get("not_modified", 0) >= 2
        assert not [k for k in latest["keys_written"] if k.startswith("articles/")]
    assert sorted(p.stat().st_mtime_ns for p in (tmp / "archive" / "articles").rglob("*.json")) == files_before


def test_an_edited_article_becomes_a_new_version(replica, first):
    tmp, env, _ = first
    article = next(a for a in replica.articles("elbalad") if a.kind == "article")
    edited = replica.edit(article.article_id, "elbalad", after=datetime.now(timezone.utc))
    result = arshif("crawl", "elbalad", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    url = replica.base_urls["elbalad"] + article.url_path
    (latest,) = [r for r in archived(tmp / "archive") if r["canonical_url"] == url]
    assert latest["version"] == 2 and latest["text"] == edited.gold_text
    (previous,) = [r for r in archived(tmp / "archive", "versions") if r["canonical_url"] == url]
    assert previous["version"] == 1 and previous["text"] == article.gold_text
    assert run_reports(tmp / "archive", "elbalad")[-1]["counts"]["updated"] == 1


def test_index_lost_is_rebuilt_from_the_archive(replica, first):
    tmp, env, _ = first
    for index in (tmp / "state").rglob("index-*.sqlite*"):
        index.unlink()
    before = replica.stats("rt_arabic")
    result = arshif("crawl", "rt_arabic", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = run_reports(tmp / "archive", "rt_arabic")[-1]
    assert report["counts"]["new"] == 0
    after = replica.stats("rt_arabic")
    article_paths = {a.url_path for a in replica.articles("rt_arabic") if a.kind == "article"}
    assert all(after.get(p, 0) == before.get(p, 0) for p in article_paths)


def test_json_logs_are_one_object_per_line_with_site_and_run_id(replica, first):
    tmp, env, _ = first
    result = arshif("crawl", "elbalad", env={**env, "ARSHIF_LOGGING__FORMAT": "json"})
    docs = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    summary = [d for d in docs if d["message"].startswith("run finished")]
    assert len(summary) == 1 and summary[0]["site"] == "elbalad" and summary[0]["run_id"]
    assert "new" in summary[0] and "duration_s" in summary[0]


def test_data_team_reads_the_archive_with_duckdb(replica, first):
    """README's query: the archive is a table, one row per article, partitions as columns."""
    import duckdb

    tmp, _, _ = first
    rows = duckdb.sql(
        f"SELECT site, count(*) AS n, count(DISTINCT id) AS ids, min(date) AS first_date "
        f"FROM read_json_auto('{tmp}/archive/articles/*/*/*.json', hive_partitioning = true) "
        f"GROUP BY ALL ORDER BY site").fetchall()
    expected = {site: len(expected_urls(replica, site)) for site in SITES}
    assert {site: (n, ids) for site, n, ids, _ in rows} == {site: (n, n) for site, n in expected.items()}
