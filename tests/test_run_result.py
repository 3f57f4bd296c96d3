"""How a run ends: ok, degraded (too many of its article pages failed), failed — and the exit code it gives."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from crawler.discover.sources import Source, failure_line
from crawler.run import report_extension
from crawler.run.report import RunReport


def decide(run, close_reason: str):
    """The result the run's end decides for ``run`` (what it reads of the run, as ``run_with`` makes it)."""
    return report_extension.decide(run.report, close_reason, discovery=run.discovery, config=run.config,
                                   write_failures=run.write_failures)


def discovery_of(*sources: Source):
    """What ``decide`` reads of a run's discovery stage, over these sources (every one read by default)."""
    return SimpleNamespace(read_any=lambda: True, unreachable=lambda: [], lost=lambda: failure_line(list(sources)))


def read(kind: str, path: str, why: str | None = None) -> Source:
    source = Source(kind, path, "https://www.elbalad.news" + path)
    source.root.state = "read"
    if why:
        source.root.fail(why)
    return source


def run_with(max_failed_share=0.1, discovery=None, **counts):
    report = RunReport("20261123T114002Z-elbalad-abcd", "elbalad", "file:///tmp/a")
    report.counts.update(counts)
    return SimpleNamespace(report=report, discovery=discovery or discovery_of(read("feed", "/rss.aspx")),
                           write_failures=[],
                           config=SimpleNamespace(site=SimpleNamespace(time_limit=1500.0),
                                                  crawl=SimpleNamespace(max_failed_share=max_failed_share)))


def test_a_run_that_failed_a_third_of_its_pages_is_degraded():
    # 20 pages answered, 10 more timed out or were cut short: a third of the article pages failed
    result, reason = decide(run_with(fetched=20, new=20, failed=10), "finished")
    assert result == "degraded"
    assert reason == "10 of 30 article pages failed (33%, more than crawl.max_failed_share 10%)"


@pytest.mark.parametrize("share, failed, expected", [
    (0.1, 2, "ok"),         # 2 of 30 pages: 6.7%
    (0.1, 3, "ok"),         # 10% is not more than 10%
    (0.1, 4, "degraded"),
    (0.05, 2, "degraded"),  # crawl.max_failed_share = 0.05
    (1.0, 29, "ok"),        # 1.0: never degraded
])
def test_the_share_is_a_setting(share, failed, expected):
    assert decide(run_with(share, fetched=30 - failed, failed=failed), "finished")[0] == expected


def test_failures_that_stop_the_run_still_make_it_failed():
    run = run_with(fetched=20, failed=10)
    run.write_failures.append("disk full")
    assert decide(run, "finished")[0] == "failed"
    assert decide(run_with(fetched=20, failed=10), "closespider_timeout")[0] == "failed"


def test_a_run_whose_discovery_lost_a_source_is_degraded_and_names_it():
    lost = discovery_of(read("feed", "/rss.aspx"), read("listing", "/category/2", "HTTP 404"))
    result, reason = decide(run_with(discovery=lost, fetched=20, new=20), "finished")
    assert result == "degraded"
    assert reason == "discovery lost 1 of 2 sources: listing /category/2: HTTP 404"
    both = decide(run_with(discovery=lost, fetched=20, new=20, failed=10), "finished")[1]
    assert both.startswith("10 of 30 article pages failed") and both.endswith("listing /category/2: HTTP 404")


def test_a_crawls_counts_are_kept_in_scrapys_stats_collector():
    """In a crawl the report's counters are Scrapy's stats (``arshif/<count>``), not a second tally beside them;
    the report reads them, writes them in its order, and keeps its final counts when the run finishes."""
    import json

    from scrapy.utils.test import get_crawler

    from crawler.outcomes import Count, PageOutcome, RunResult
    from crawler.run.report import new_run_id

    stats = get_crawler().stats
    report = RunReport(new_run_id("elbalad"), "elbalad", "file:///archive")
    report.count(Count.GONE_FROM_ARCHIVE, 2)                 # counted before the crawl: moved into the stats
    report.count_in(stats)
    report.count(Count.FETCHED)
    report.count(PageOutcome.NEW, 3)
    assert {k: v for k, v in stats.get_stats().items() if k.startswith("arshif/") and v} == {
        f"arshif/{Count.GONE_FROM_ARCHIVE}": 2, f"arshif/{Count.FETCHED}": 1, f"arshif/{PageOutcome.NEW}": 3}
    counts = json.loads(report.to_json())["counts"]
    assert list(counts)[:2] == [Count.DISCOVERED, Count.FETCHED] and counts[PageOutcome.NEW] == 3
    assert "fetched 1, new 3" in report.summary()
    report.finish(RunResult.OK)
    stats.clear_stats()
    assert type(report.counts) is dict and report.counts[PageOutcome.NEW] == 3
