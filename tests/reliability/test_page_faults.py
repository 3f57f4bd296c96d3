"""Pages that are not the article asked for, or cost too much, or lie about their dates (issue 20, items 1–5
and 8): each scenario crawls El Balad with the fault on, then again when the fault is meant to pass (a
challenge or denial page is the site's state for now: the next run, after the site recovers, must archive
those articles); the archive must hold every article once, in clean Arabic, under its own id, listed in a run
manifest, and the run report and ``arshif status`` must say what happened."""
from __future__ import annotations

import json
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
# the faulted run stays ok however many pages the fault hits (a degraded run remembers nothing), so that what
# it remembers about the pages it was refused is what the next run acts on
LENIENT = {"ARSHIF_CRAWL__MAX_FAILED_SHARE": "1"}


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: tuple[dict, ...]
    log: tuple[str, ...]                       # regexes: the faulted run's log says what was wrong
    counts: dict = field(default_factory=dict)   # the faulted run's report counts at least these
    status: str = ""                           # regex: ``arshif status`` after the faulted run says so
    recovers: bool = True          # the fault passes: run again without it (else: the faulted run alone must do)
    env: dict = field(default_factory=dict)


def fault(kind: str, path: str = ARTICLES, **params) -> dict:
    return {"kind": kind, "pattern": path, **params}


def stand_in(name: str, kind: str, reason: str, seed: int) -> Scenario:
    """A page standing in for the article on 30% of article pages, until the site recovers."""
    return Scenario(name, (fault(kind, share=0.3, seed=seed),),
                    (rf"not the article \(for now\): \S+ \({reason}\)",), {"rejected": 1},
                    rf"were not the article asked for \({reason} \d+\)", env=LENIENT)


SCENARIOS = [
    stand_in("challenge page (200)", "challenge", "challenge", 21),
    stand_in("page encoded as UTF-8 twice", "utf8_twice", "garbled_text", 22),
    stand_in("access denied in the site's layout", "access_denied", "access_denied", 23),
    stand_in("paywall stub", "paywall", "paywall", 24),
    Scenario("canonical names another article", (fault("canonical_other", share=0.3, seed=25),),
             (r"names another article as its canonical URL \(\S+\): archived as the URL fetched",),
             {"mismatched": 1}, r"named another article as their canonical URL", recovers=False),
    Scenario("260 unclosed divs before the article", (fault("deep_markup", share=0.3, seed=26, depth=260),),
             (), recovers=False),
    Scenario("page of 200,000 links", (fault("link_farm", share=0.1, seed=27, count=200_000),),
             (r"cleaning notes on \S+: link_lists_removed 1",), recovers=False),
    Scenario("dates of year 1 and 999, lastmod 2099",
             (fault("bad_date", share=0.2, seed=28, year=1), fault("bad_date", share=0.25, seed=29, year=999),
              fault("future_lastmod", "/sitemap*"), fault("future_lastmod", "/rss.aspx")),
             (r"cleaning notes on \S+: date_out_of_range 2", r"a sitemap or feed date out of range \(2099-"),
             recovers=False),
]


@pytest.fixture
def replica():
    with ReplicaServer(plain=PLAIN) as server:
        yield server


def last_report(archive) -> dict:
    keys = sorted(archive.list(f"runs/site={SITE}/"))
    return json.loads(archive.get(keys[-1]))


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.name) for s in SCENARIOS])
def test_page_fault(replica, tmp_path, scenario: Scenario):
    for f in scenario.faults:
        replica.inject(**f, site=SITE)
    env = crawl_env(replica, tmp_path)
    faulted = arshif("crawl", SITE, env={**env, **scenario.env})
    injected = replica.injected(SITE)
    archive, expected = open_archive(env["ARSHIF_ARCHIVE__URL"]), expected_articles(replica, [SITE])
    report = last_report(archive)
    status = arshif("status", SITE, env=env)
    if scenario.recovers:       # the site recovered: every article it refused is fetched by the next run
        replica.clear_faults()
    # (else the faults stay: the faulted run alone archived every article, and the next asks for none again)
    again = arshif("crawl", SITE, env=env)
    assert again.returncode == 0, again.stderr[-3000:]

    row = measure(scenario.name, describe(injected, "" if scenario.recovers else "(faults kept on the rerun)"),
                  archive, expected)
    assert injected, "no request met the faults"
    assert faulted.returncode in (0, 1, 3), faulted.stderr[-3000:]     # ok, failed or degraded: never a crash
    assert "Traceback" not in faulted.stderr and "OverflowError" not in faulted.stderr, faulted.stderr[-3000:]
    for said in scenario.log:
        assert re.search(said, faulted.stderr), (said, faulted.stderr[-3000:])
    for name, least in scenario.counts.items():
        assert report["counts"].get(name, 0) >= least, report["counts"]
    if scenario.status:
        assert re.search(scenario.status, status.stdout), status.stdout
    assert (row.lost, row.duplicated, row.garbled, row.unaccounted) == (0, 0, 0, 0), row.details
    assert row.details["problems"] == [] and row.details["unexpected"] == []
    records = archived_records(archive)
    assert len({r["content_sha256"] for r in records}) == len(records), "one text under two ids"
    gold = {a.url(replica.base_urls[SITE]): a for a in replica.articles(SITE) if a.kind != "not_article"}
    wrong = {r["canonical_url"]: r["title"] for r in records if r["title"] != gold[r["canonical_url"]].title}
    assert not wrong, f"archived under another article's address or as a stand-in: {wrong}"
    cut = [r["canonical_url"] for r in records
           if r["word_count"] < len(gold[r["canonical_url"]].gold_text.split()) * 0.8]
    assert not cut, f"archived cut short: {cut}"
    dated = [r["published_at"] for r in records if r["published_at"]]
    assert all("2000" <= d[:4] <= "2100" for d in dated), sorted(dated)[:3]
    if not scenario.recovers:       # nothing left for the next run: it fetched no archived article again
        counts = last_report(archive)["counts"]
        assert counts["new"] == counts["updated"] == counts["unchanged"] == 0, counts
