"""One article, one id, whatever address it came by — shown by real crawls: ``make demo`` twice into one
archive (each demo serves the replica on a new port), locally and on S3; the replica's host name changed
between two crawls; one RT article reached under all its addresses is one file and one index entry."""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.sites import get_site
from crawler.archive.state.index import ArticleIndex, archive_state_dir
from crawler.urls import article_id
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, expected_urls, run_reports
from tests.s3_server import ISOLATING_ENV

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITES = ("rt_arabic", "elbalad")
SUMMARY = re.compile(r"^(\w+): ok in .* new (\d+), updated (\d+)", re.M)


def summaries(stdout: str) -> dict[str, tuple[int, int]]:
    """Per site, (new, updated) of its summary line."""
    return {site: (int(new), int(updated)) for site, new, updated in SUMMARY.findall(stdout)}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    env.update({"ARSHIF_CRAWL__EXTRACT_WORKERS": "2", **extra})
    return env


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*.json")}


def test_demo_twice_into_one_archive_archives_nothing_new(tmp_path):
    env = clean_env()
    first = arshif("demo", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    counts = summaries(first.stdout)
    assert set(counts) == set(SITES) and all(new > 40 for new, _ in counts.values())
    archive = tmp_path / "demo-archive"
    before = {prefix: mtimes(archive / prefix) for prefix in ("articles", "versions")}
    second = arshif("demo", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert summaries(second.stdout) == {site: (0, 0) for site in SITES}
    assert {prefix: mtimes(archive / prefix) for prefix in ("articles", "versions")} == before   # nothing rewritten
    checked = arshif("verify", "--archive", f"file://{archive}", env=env)
    assert checked.returncode == 0, checked.stdout


def test_demo_twice_into_one_bucket_archives_nothing_new(s3_server, s3_url, tmp_path):
    env = {k: v for k, v in clean_env().items()
           if k not in ISOLATING_ENV and not k.startswith("AWS_")}
    env.update(s3_server.env)
    env.update({"ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint,
                "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path", "ARSHIF_ARCHIVE__S3__MAX_ATTEMPTS": "2"})
    client = s3_server.client()
    bucket, prefix = s3_url[len("s3://"):].split("/", 1)

    def stored() -> dict[str, str]:
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
            for obj in page.get("Contents", ()):
                key = obj["Key"][len(prefix) + 1:]
                if key.startswith(("articles/", "versions/")):
                    found[key] = f"{obj['ETag']} {obj['LastModified']}"
        return found

    first = arshif("demo", "--archive", s3_url, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    before = stored()
    with ReplicaServer(port=0) as replica:          # the demo's replica serves this corpus: every article, once
        expected = {site: len(expected_urls(replica, site)) for site in SITES}
    assert summaries(first.stdout) == {site: (expected[site], 0) for site in SITES}
    assert len([k for k in before if k.startswith("articles/")]) == sum(expected.values())
    checked = arshif("verify", "--archive", s3_url, env=env, cwd=tmp_path)
    assert checked.returncode == 0 and checked.stdout.rstrip().endswith(" 0 problems"), checked.stdout
    second = arshif("demo", "--archive", s3_url, env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert summaries(second.stdout) == {site: (0, 0) for site in SITES}
    assert stored() == before


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory):
    """A crawl of the replica on 127.0.0.1, then one of the same replica served as ``localhost`` on other
    ports, into the same archive and state."""
    tmp = tmp_path_factory.mktemp("hosts")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with ReplicaServer(port=0, now=now, plain=PLAIN) as first:
        result = arshif("crawl", env=crawl_env(first, tmp))
        assert result.returncode == 0, result.stderr[-3000:]
        expected = {site: len(expected_urls(first, site)) for site in SITES}
    files = mtimes(tmp / "archive" / "articles")
    with ReplicaServer(port=0, host="localhost", now=now, plain=PLAIN) as second:
        result = arshif("crawl", env=crawl_env(second, tmp))
        assert result.returncode == 0, result.stderr[-3000:]
        yield tmp, second, expected, files


def test_another_host_name_and_port_archive_nothing_and_fetch_no_article(two_hosts):
    tmp, replica, expected, files = two_hosts
    for site in SITES:
        report = run_reports(tmp / "archive", site)[-1]
        assert report["counts"]["new"] == 0 and report["counts"]["updated"] == 0
        assert report["counts"]["skipped"] >= expected[site]
        fetched = replica.stats(site)
        again = [a.url_path for a in replica.articles(site) if a.kind != "not_article" and fetched.get(a.url_path)]
        assert again == [], f"{site}: article pages fetched again under the new host name"
        for article in replica.articles(site):       # legacy and variant addresses are known by id too
            assert not [p for p in article.redirects if fetched.get(p)]
    assert mtimes(tmp / "archive" / "articles") == files
    assert len(archived(tmp / "archive")) == sum(expected.values())


def test_one_rt_article_under_every_address_is_one_file_and_one_index_entry(two_hosts):
    tmp, replica, _, _ = two_hosts
    spec, base = get_site("rt_arabic"), replica.base_urls["rt_arabic"]
    article = next(a for a in replica.articles("rt_arabic") if a.redirects)     # the one linked as /news/<id>
    section = article.path.split("/")[1]
    addresses = [
        base + article.url_path,
        f"{base}/{section}/{article.article_id}-%D8%B9%D9%86%D9%88%D8%A7%D9%86-%D8%A2%D8%AE%D8%B1/",   # other slug
        f"{base}/news/{article.article_id}",
        base + article.url_path + "amp",
        "https://rtarabic.com" + article.url_path,
        "https://www.arabic.rt.com" + article.url_path,
        *(base + path for path in article.redirects),
    ]
    ids = {article_id(url, base, spec) for url in addresses}
    assert len(ids) == 1
    (aid,) = ids
    files = [r for r in archived(tmp / "archive") if r["id"] == aid]
    assert len(files) == 1 and files[0]["text"] == article.gold_text
    assert len(list((tmp / "archive" / "articles").rglob(f"{aid}.json"))) == 1
    index = ArticleIndex.at(archive_state_dir(tmp / "state", f"file://{tmp}/archive"), "rt_arabic")
    try:
        known = index.get(aid)
        assert known is not None and known.key.endswith(f"/{aid}.json")
    finally:
        index.close()
