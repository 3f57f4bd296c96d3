"""``arshif probe``: the first contact with a site, against the replica in its own discovery shapes and in the
real sites' (``--discovery real``): one table per site, exit 0 when healthy, 1 naming the source that failed."""
from __future__ import annotations

import json

import pytest

from replica import ReplicaServer, render_rt_arabic
from tests.crawl_helpers import PLAIN, arshif, crawl_env


@pytest.mark.parametrize("discovery", ["replica", "real"])
def test_probe_reads_every_source_and_samples_articles(tmp_path, discovery):
    with ReplicaServer(plain=PLAIN, discovery=discovery) as replica:
        done = arshif("probe", env=crawl_env(replica, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith("rt_arabic:") and "\nelbalad:" in out
    for row in ("robots.txt", "feed /rss/", "sitemap /sitemap.xml", "newest child",
                f"listing {render_rt_arabic.LISTING_PAGE}", "feed /rss.aspx", "listing /category/2"):
        assert f"  {row} " in out, row
    assert out.count("yes (304)") >= 8 and out.count("article; title site") >= 4
    if discovery == "real":      # RT's current yearly part, El Balad's sitemaps found through robots.txt
        assert "/sitemap_" in out and "MiB" in out
        assert "/news-sitemap.xml" in out and "/sitemaps/index.xml" in out
    assert done.stderr.strip().endswith("arshif probe: healthy")


def test_probe_names_the_source_that_failed(tmp_path):
    with ReplicaServer(plain=PLAIN, discovery="real") as replica:
        env = crawl_env(replica, tmp_path, ARSHIF_SITES__RT_ARABIC__LISTINGS=json.dumps(
            [render_rt_arabic.LISTING_PAGE, render_rt_arabic.OLD_LISTING]))
        done = arshif("probe", "rt_arabic", "--articles", "1", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"arshif probe: FAILED rt_arabic: listing {render_rt_arabic.OLD_LISTING}: HTTP 404" in done.stderr
    assert "elbalad:" not in done.stdout


def test_a_host_that_does_not_resolve_is_named_in_the_crawls_words_and_its_robots_row_failed(tmp_path):
    """It said ``[Errno -2] Name or service not known`` (urllib's words) and, on the robots.txt row,
    ``0 Disallow rules`` as a verdict; the crawl says ``DNS lookup failed (offline, or no such host)``."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    env.update(ARSHIF_SITES__ELBALAD__BASE_URL="http://elbalad.invalid", ARSHIF_ARCHIVE__STATE_DIR=str(tmp_path))
    done = arshif("probe", "elbalad", "--articles", "1", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    robots = next(line for line in done.stdout.splitlines() if line.strip().startswith("robots.txt"))
    assert "DNS lookup failed (offline, or no such host)" in robots and robots.rstrip().endswith("failed")
    assert ("arshif probe: FAILED elbalad: robots.txt: DNS lookup failed (offline, or no such host)"
            in done.stderr.splitlines())
