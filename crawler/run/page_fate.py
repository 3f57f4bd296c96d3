"""What becomes of a page whose article the run did not get after its fetch. A page a pipeline dropped to be
fetched again (``FetchAgain``: an extraction error, a page standing in for its article, a record that could not
be checked or archived) and a page a pipeline failed on with an unexpected exception (a bug: counted ``failed``
and logged, never silent) leave their discovery document not dealt with in full: its validators are not kept
(``crawler/discover/sources.py``), so the next run reads it whole and lists the article again, instead of a 304
hiding it for good. Documents read alongside keep theirs."""
from __future__ import annotations

from scrapy import signals

from crawler.components import RunComponent, count
from crawler.items import FetchAgain
from crawler.outcomes import PageOutcome


def _lose(response) -> None:
    doc = response.meta.get("doc") if response is not None else None
    if doc is not None:
        doc.lost = True


class PageFate(RunComponent):
    @classmethod
    def from_crawler(cls, crawler):
        ext = super().from_crawler(crawler)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def item_dropped(self, item, response, exception, spider) -> None:
        if isinstance(exception, FetchAgain):
            _lose(response)

    def item_error(self, item, response, spider, failure) -> None:
        run, exc = self.run, failure.value
        url = getattr(item, "url", None) or (item.get("url") if isinstance(item, dict) else None)
        count(self.stats, PageOutcome.FAILED)
        run.report.error(f"pipeline error: {type(exc).__name__}", url)
        run.log.error("page not archived: %s: %s: %s", url, type(exc).__name__, exc, extra={"url": url})
        _lose(response)
