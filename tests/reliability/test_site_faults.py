"""Hostile and broken pages (replica faults): each scenario crawls one site with the faults on, then again
without them when the faults kept articles out, and the archive must hold every article once, in clean Arabic, listed in a run manifest —
with one clear log line per bad input in the faulted run."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from crawler.archive.storage import open_archive
from replica import ReplicaServer
from tests.crawl_helpers import PLAIN, arshif, crawl_env
from tests.reliability.harness import archived_records, describe, expected_articles, measure

pytestmark = pytest.mark.slow   # whole crawls in child processes (deselect: -m 'not slow')

SITE = "elbalad"
ARTICLES = r"re:/\d{6,8}/?"          # El Balad's article pages (not feeds, sitemaps, listings)


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: tuple[dict, ...]
    log: str | tuple[str, ...]                 # regexes: the faulted run's log says what was wrong
    env: dict = field(default_factory=dict)     # settings of the faulted run
    site: str = SITE
    marks: tuple = ()


def fault(kind: str, path: str = ARTICLES, **params) -> dict:
    return {"kind": kind, "pattern": path, **params}


SMALL_LIMIT = {"ARSHIF_CRAWL__DOWNLOAD_MAXSIZE": "1000000"}     # bombs of 64 MB: 64× over, and quicker
OTHER_HOST = "__other_host__"    # replaced by the other site's replica under the name "localhost"

SCENARIOS = [
    Scenario("5xx", (fault("status", share=0.3, seed=1, status=503),), r"HTTP 503"),
    Scenario("429 + Retry-After", (fault("throttle", share=0.3, seed=2, retry_after=1),), r"HTTP 429",
             env={"ARSHIF_CRAWL__AUTOTHROTTLE_MAX_DELAY": "0.05s"}),  # one request every 1 s took 100 s, 0.25 s
                                                   # 25 s; the full delay: tests/test_faulty_sites.py
    Scenario("connection reset", (fault("reset", share=0.3, seed=3),), r"(?i)connection"),
    Scenario("stall before answer", (fault("stall", share=0.5, seed=4, seconds=3),), r"(?i)timeout|timed out",
             env={"ARSHIF_CRAWL__DOWNLOAD_TIMEOUT": "1s"}, marks=(pytest.mark.slow,)),
    Scenario("stall mid-body", (fault("stall_body", share=0.5, seed=5, seconds=3),), r"(?i)timeout|timed out",
             env={"ARSHIF_CRAWL__DOWNLOAD_TIMEOUT": "1s"}, marks=(pytest.mark.slow,)),
    Scenario("truncated body", (fault("truncate", share=0.3, seed=6),), r"(?i)truncat|data ?loss|incomplete"),
    Scenario("wrong charset", (fault("wrong_charset", share=0.3, seed=7),), r"(?i)charset|decod"),
    Scenario("missing charset", (fault("no_charset"),), r""),
    Scenario("empty 200", (fault("empty", share=0.3, seed=8),), r"empty response \(HTTP 200 with no body\)"),
    Scenario("oversize body", (fault("oversize", share=0.3, seed=9, size=3_000_000),),
             r"body larger than crawl.download_maxsize",
             env={"ARSHIF_CRAWL__DOWNLOAD_MAXSIZE": "1000000"}),
    Scenario("gzip bomb page", (fault("gzip_bomb", share=0.3, seed=10),),
             r"larger than the download size limit once decompressed", env=SMALL_LIMIT),
    Scenario("gzip bomb sitemap", (fault("gzip_bomb", "/sitemaps/articles.xml"),
                                   fault("gzip_file_bomb", "/sitemaps/news.xml")),
             (r"discovery source failed: \S+/sitemaps/articles.xml: body larger than the download size limit "
              r"once decompressed", r"/sitemaps/news.xml: (sitemap larger than the sitemap size limit \(1,000,000 "
              r"bytes\) once decompressed|not a sitemap \(root element <html>\))"),   # streamed: read no further
             env={**SMALL_LIMIT, "ARSHIF_CRAWL__SITEMAP_MAXSIZE": "1000000"}),   # a sitemap's own size limit
    Scenario("redirect loop", (fault("redirect_loop", share=0.3, seed=11), fault("redirect_loop", "/rss.aspx")),
             (r"article failed: \S+: redirect loop", r"discovery source failed: \S+/rss.aspx: redirect loop")),
    Scenario("offsite redirect", (fault("offsite", share=0.3, seed=12, to=OTHER_HOST),
                                  fault("offsite", "/rss.aspx", to=OTHER_HOST)),
             (r"article failed: \S+: redirect to another host refused \(localhost:\d+\)",
              r"discovery source failed: \S+/rss.aspx: redirect to another host refused \(localhost:\d+\)")),
    Scenario("sitemap of 100,000 URLs", (fault("huge_sitemap", "/sitemaps/articles.xml"),),
             r"sitemap lists more than 50,000 URLs",
             marks=(pytest.mark.slow,)),
    Scenario("malformed XML", (fault("malformed_xml", "/rss.aspx"), fault("malformed_xml", "/sitemap*")),
             (r"bad RSS feed", r"sitemap cut short or damaged")),
    Scenario("entity-expanding XML", (fault("billion_laughs", "/rss.aspx"), fault("billion_laughs", "/sitemap*")),
             (r"RSS feed declares XML entities", r"sitemap declares XML entities")),
    Scenario("RSS that is HTML", (fault("rss_html", "/rss.aspx"),), r"not an RSS feed \(an HTML page\)"),
]


@pytest.fixture
def replica():
    with ReplicaServer(plain=PLAIN) as server:
        yield server


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.name, marks=s.marks) for s in SCENARIOS])
def test_site_fault(replica, tmp_path, scenario: Scenario):
    other = next(s for s in replica.base_urls if s != scenario.site)
    other_host = replica.base_urls[other].replace("127.0.0.1", "localhost")
    for f in scenario.faults:
        params = {k: (other_host if v == OTHER_HOST else v) for k, v in f.items()}
        replica.inject(**params, site=scenario.site)
    env = crawl_env(replica, tmp_path)
    faulted = arshif("crawl", scenario.site, env={**env, **scenario.env})
    injected = replica.injected(scenario.site)
    replica.clear_faults()
    archive, expected = open_archive(env["ARSHIF_ARCHIVE__URL"]), expected_articles(replica, [scenario.site])
    rerun = len(archived_records(archive)) < len(expected)         # the faults kept some out: run again
    if rerun:
        again = arshif("crawl", scenario.site, env=env)
        assert again.returncode == 0, again.stderr[-3000:]

    row = measure(scenario.name, describe(injected, "" if rerun else "(no rerun needed)"), archive, expected)
    assert injected, "no request met the faults"
    assert faulted.returncode in (0, 1, 3), faulted.stderr[-3000:]     # ok, failed or degraded: never a crash
    for said in (scenario.log,) if isinstance(scenario.log, str) else scenario.log:
        assert re.search(said, faulted.stderr), (said, faulted.stderr[-3000:])
    assert replica.stats(other) == {}, "a request left the site for another host"
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
    assert row.details["problems"] == [] and row.details["unexpected"] == []

