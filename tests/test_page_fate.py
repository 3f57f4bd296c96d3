"""A page whose article a run did not get after its fetch keeps its discovery document from being trusted:
that document's validators are not kept (the next run reads it whole and lists the article again), the
documents beside it keep theirs; a pipeline's unexpected exception is counted as a failed page, never silent."""
from __future__ import annotations

import logging
from types import SimpleNamespace

from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.discover.sources import DocState, Source, validator_changes
from crawler.items import FetchAgain
from crawler.outcomes import PageOutcome
from crawler.run.page_fate import PageFate
from crawler.run.report import RunReport

BASE = "https://www.elbalad.news"


def _feeds():
    feeds = [Source("feed", f"/rss/{n}/", f"{BASE}/rss/{n}/") for n in range(3)]
    for source in feeds:
        source.root.state, source.root.validators = DocState.READ, ('W/"1"', None)
    return feeds


def _answer(doc, n):
    return HtmlResponse(f"{BASE}/{n}", body=b"<html></html>", request=Request(f"{BASE}/{n}", meta={"doc": doc}))


def _fate():
    run = SimpleNamespace(report=RunReport("r1", "elbalad", "file:///tmp/a"), log=logging.getLogger("test"))
    stats = get_crawler().stats
    run.report.count_in(stats)              # the report's counts are the crawl's stats, where PageFate counts
    return PageFate(run, None, stats), run


def test_a_page_dropped_to_be_fetched_again_forgets_its_documents_validators_only():
    fate, _ = _fate()
    again, dropped, kept = _feeds()
    fate.item_dropped({"url": f"{BASE}/1"}, _answer(again.root, 1), FetchAgain("not the article"), None)
    fate.item_dropped({"url": f"{BASE}/2"}, _answer(dropped.root, 2), DropItem("not an article"), None)
    keep, forget = validator_changes([again, dropped, kept])
    assert forget == [again.root.url]
    assert set(keep) == {dropped.root.url, kept.root.url}


def test_a_pipeline_exception_is_a_failed_page_and_its_document_is_read_whole_next_run():
    fate, run = _fate()
    broken, kept, _ = _feeds()
    try:
        raise OverflowError("date value out of range")
    except OverflowError:
        failure = Failure()
    fate.item_error({"url": f"{BASE}/7"}, _answer(broken.root, 7), None, failure)
    assert run.report.counts[PageOutcome.FAILED] == 1
    assert run.report.errors == {"pipeline error: OverflowError": 1}
    assert run.report.failures == [{"url": f"{BASE}/7", "reason": "pipeline error: OverflowError"}]
    keep, forget = validator_changes([broken, kept])
    assert forget == [broken.root.url] and kept.root.url in keep
