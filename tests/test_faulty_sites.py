"""Crawls of a replica that misbehaves (``replica/faults.py``): each defect the fault-injecting proxy
found, reproduced — wrong charsets, pages that fail, stalls, 429 with Retry-After."""
from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.extract.garbled import garbled
from crawler.extract.record import encode
from crawler.archive.state.index import ArticleIndex, archive_state_dir
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, expected_urls, run_reports

ELBALAD_ARTICLES = r"re:^/\d{6,8}/?$"


@pytest.fixture
def replica():
    with ReplicaServer(port=0, plain=PLAIN) as server:
        yield server


def _garbled_urls(records) -> list[str]:
    return [r["canonical_url"] for r in records if garbled(f"{r['title']}\n{r['text']}", "ar")]


@pytest.mark.slow
def test_windows_1256_pages_under_a_utf8_header_are_archived_as_text(replica, tmp_path):
    """The defect: bytes in windows-1256, header saying UTF-8 → title and text of U+FFFD, archived for good."""
    replica.inject("wrong_charset", ELBALAD_ARTICLES, site="elbalad")
    env = crawl_env(replica, tmp_path)
    done = arshif("crawl", "elbalad", env=env)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    records = archived(tmp_path / "archive")
    assert replica.injected("elbalad")["wrong_charset"] >= len(records) > 15
    assert sorted(r["canonical_url"] for r in records) == sorted(expected_urls(replica, "elbalad"))
    assert _garbled_urls(records) == []
    gold = {replica.base_urls["elbalad"] + a.url_path: a for a in replica.articles("elbalad")}
    assert all(r["title"] == gold[r["canonical_url"]].title for r in records)


def _garble(root: Path, state: Path, record: dict) -> dict:
    """Make an archived article what the defect left behind: its title and text U+FFFD, in the archive and
    in the index (so that later runs skip it as known)."""
    [path] = (root / "articles").rglob(f"{record['id']}.json")
    bad = "".join("\ufffd" if "\u0600" <= ch <= "\u06ff" else ch for ch in record["text"])
    rec = {**record, "title": "\ufffd" * len(record["title"]), "text": bad,
           "content_sha256": hashlib.sha256(bad.encode()).hexdigest()}
    path.write_bytes(encode(rec))
    index = ArticleIndex.at(archive_state_dir(str(state), f"file://{root}"), "elbalad")
    index.record(rec, str(path.relative_to(root)))
    index.close()
    return rec


@pytest.mark.slow
def test_a_garbled_article_is_found_by_verify_and_repaired_by_refetch(replica, tmp_path):
    env = crawl_env(replica, tmp_path)
    assert arshif("crawl", "elbalad", env=env).returncode == 0
    root, url = tmp_path / "archive", env["ARSHIF_ARCHIVE__URL"]
    victim = next(r for r in archived(root) if r["word_count"] > 100)
    _garble(root, tmp_path / "state", victim)

    found = arshif("verify", "--archive", url, env=env)
    assert found.returncode == 1
    assert f"garbled text (replacement characters): fetch it again with `arshif refetch {victim['id']}`" in found.stdout

    again = arshif("crawl", "elbalad", env=env)            # the index says archived: a crawl does not repair it
    assert again.returncode == 0 and "new 0, updated 0" in again.stdout

    fixed = arshif("refetch", victim["id"], env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr[-2000:]
    assert "updated 1" in fixed.stdout
    [record] = [r for r in archived(root) if r["id"] == victim["id"]]
    assert (record["title"], record["text"], record["version"]) == (victim["title"], victim["text"], 2)
    assert len(list((root / "versions").rglob("*.json"))) == 1      # the garbled text kept as a past version
    [report] = [r for r in run_reports(root, "elbalad") if r["kind"] == "refetch"]
    assert report["result"] == "ok" and record["id"] in "".join(report["keys_written"])
    clean = arshif("verify", "--archive", url, env=env)
    assert clean.returncode == 0, clean.stdout
    # by URL as well: the same text again writes nothing
    same = arshif("refetch", victim["canonical_url"], env=env)
    assert same.returncode == 0 and "unchanged 1" in same.stdout


@pytest.mark.slow
def test_a_stalled_page_costs_one_timeout_per_run_and_is_fetched_again_next_run(replica, tmp_path):
    """The defect: a stalled page was asked for timeout × (retries + 1), holding the site's slots (~14× run
    time). Now a timeout is not retried within the run: the page fails once, counts, and the next run gets it."""
    replica.inject("stall", ELBALAD_ARTICLES, share=0.3, seed=7, site="elbalad", seconds=12)
    env = crawl_env(replica, tmp_path, ARSHIF_CRAWL__DOWNLOAD_TIMEOUT="3s", ARSHIF_CRAWL__RETRY_TIMES="2")
    first = arshif("crawl", "elbalad", env=env)
    [report] = run_reports(tmp_path / "archive", "elbalad")
    assert report["errors"]["timed out"] == report["counts"]["failed"] >= 5
    # each page that timed out was asked for once: no retry of a timeout within the run
    stats = replica.stats("elbalad")
    timed_out = {"/" + f["url"].split("/", 3)[3] for f in report["failures"]}
    assert len(timed_out) == report["counts"]["failed"]
    # (at most once: on a loaded machine a page can time out before its request reaches the replica)
    assert {stats.get(path, 0) for path in timed_out} <= {0, 1}, {path: stats.get(path) for path in timed_out}
    assert 1 in {stats.get(path, 0) for path in timed_out}
    assert first.returncode == 3, first.stdout + first.stderr[-2000:]     # more than 10% failed: degraded
    assert report["result"] == "degraded" and "article pages failed" in report["reason"]

    replica.clear_faults()      # and the default timeout again: a 3 s one can fire on any page of a loaded machine
    second = arshif("crawl", "elbalad", env={**env, "ARSHIF_CRAWL__DOWNLOAD_TIMEOUT": "30s"})
    assert second.returncode == 0, second.stdout
    urls = [r["canonical_url"] for r in archived(tmp_path / "archive")]
    assert sorted(urls) == sorted(expected_urls(replica, "elbalad"))         # all of them, each once


@pytest.mark.slow
def test_429_with_retry_after_slows_the_site_down_and_loses_nothing(replica, tmp_path):
    """The defect: a 429's Retry-After was ignored (retried at full speed, AutoThrottle does not read it). Now
    the site's download slot waits that long between requests, and the retries get the pages."""
    replica.inject("throttle", ELBALAD_ARTICLES, share=0.08, seed=3, site="elbalad", retry_after=1)
    env = crawl_env(replica, tmp_path, ARSHIF_CRAWL__AUTOTHROTTLE="true", ARSHIF_CRAWL__RETRY_TIMES="4")
    done = arshif("crawl", "elbalad", env=env)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    throttled = replica.injected("elbalad")["throttle"]
    [report] = run_reports(tmp_path / "archive", "elbalad")
    assert report["counts"]["throttled"] == throttled >= 3
    assert "elbalad: HTTP 429 with Retry-After 1s: one request every 1s to this site from now" in done.stderr
    urls = [r["canonical_url"] for r in archived(tmp_path / "archive")]
    assert sorted(urls) == sorted(expected_urls(replica, "elbalad"))


def test_retry_after_is_read_as_seconds_or_an_http_date():
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    from crawler.fetch.retry_after import retry_after

    now = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    assert retry_after(b"120", now) == 120
    assert retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True).encode(), now) == 90
    assert retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True).encode(), now) == 0
    assert retry_after(b"soon", now) is None and retry_after(None, now) is None and retry_after(b"-5", now) is None


@pytest.mark.slow
def test_a_run_that_failed_a_third_of_its_pages_is_degraded_not_ok(replica, tmp_path):
    """The defect: bodies cut short on a third of the article pages, and the run said ok (exit 0)."""
    replica.inject("truncate", r"re:^/\d{5,7}[0-2]/?$", site="elbalad")        # ids ending in 0, 1, 2
    env = crawl_env(replica, tmp_path)
    done = arshif("crawl", "elbalad", env=env)
    [report] = run_reports(tmp_path / "archive", "elbalad")
    lost = report["counts"]["failed"]
    assert report["errors"]["response cut short"] == lost >= 5        # every failure: a body cut short
    assert lost / (lost + report["counts"]["fetched"]) > 0.1
    assert done.returncode == 3, done.stdout + done.stderr[-2000:]
    assert report["result"] == "degraded" and "elbalad: degraded in" in done.stdout
    status = arshif("status", "elbalad", env=env)
    assert status.returncode == 1 and f"WARNING  last run degraded: {report['reason']}" in status.stdout


@pytest.mark.slow
def test_refetch_of_an_id_archived_from_another_host_fetches_it_from_the_current_base_url(replica, tmp_path):
    """The defect: an article archived from another address than the site's current ``base_url`` (the demo's
    replica, an old base URL) was asked for at that address, dropped as offsite, and the run said ``ok —
    fetched 0``. The id names the site's article, so the page is fetched from the site as configured now."""
    env = crawl_env(replica, tmp_path)
    assert arshif("crawl", "elbalad", env=env).returncode == 0
    victim = next(r for r in archived(tmp_path / "archive") if r["word_count"] > 100)
    with ReplicaServer(port=0, plain=PLAIN) as moved:       # the same site, now at another address
        env = {**env, "ARSHIF_SITES__ELBALAD__BASE_URL": moved.base_urls["elbalad"]}
        done = arshif("refetch", victim["id"], env=env)
        assert done.returncode == 0, done.stdout + done.stderr[-2000:]
        assert "fetched 1," in done.stdout, done.stdout
        assert f"fetching {moved.base_urls['elbalad']}/" in done.stderr
        assert urlsplit(victim["canonical_url"]).path in {path for _, path in moved.arrivals("elbalad")}
    [report] = [r for r in run_reports(tmp_path / "archive", "elbalad") if r["kind"] == "refetch"]
    assert (report["result"], report["counts"]["fetched"]) == ("ok", 1)


@pytest.mark.slow
def test_a_redirect_with_a_raw_utf8_location_leads_to_the_article_itself(replica, tmp_path):
    """RT answers /news/<id> with a redirect to the article's own address. Sent as raw UTF-8 bytes (its Arabic
    slug not percent-encoded), the Location is read as Scrapy's RedirectMiddleware reads it: the article is
    fetched and archived at its own address, not at a Latin-1 reading of it (which the replica, like RT,
    would answer too, under another address)."""
    article = next(a for a in replica.articles("rt_arabic") if a.redirects)
    replica.inject("raw_location", article.redirects[0], site="rt_arabic", to=article.url_path)
    base = replica.base_urls["rt_arabic"]
    done = arshif("refetch", base + article.redirects[0], env=crawl_env(replica, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert replica.injected("rt_arabic")["raw_location"] >= 1
    fetched = replica.stats("rt_arabic")
    misread = [path for path in fetched if f"/{article.article_id}-%C3" in path]
    assert misread == [] and fetched.get(article.url_path)
    [record] = [r for r in archived(tmp_path / "archive") if r["canonical_url"] == base + article.url_path]
    assert record["url"] == base + article.url_path
