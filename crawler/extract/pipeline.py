"""Extraction and cleaning of a fetched page, in the run's worker processes (Trafilatura is not thread-safe,
and the reactor must never wait on it), then the run's verdict (``crawler/extract/verdict.py``: is it the
article asked for?). Pages that are not articles are counted and dropped — those that may still become the
article are fetched again on a backoff, and those known to stand in for it (a challenge page, a garbled
text...) are counted ``rejected``; for
articles, which of the site's own selectors matched is counted in the run report (the selector hit rate), a
page whose canonical link names another article is counted ``mismatched`` (it is archived under the URL
fetched), and the cleaning notes (``extractor.notes``) are logged and counted in the run report's errors. With
story linking on (the run's ``stories``: a ``crawler.stories.handoff.Handoff``), the workers also compute each
article's story terms, given to the run's hand-off for the archive pipeline to pass on once it is written."""
from __future__ import annotations

from datetime import datetime
from functools import partial

from scrapy.exceptions import DropItem

from crawler.items import FetchAgain, PageItem
from crawler.outcomes import Count, NotArticle, PageOutcome
from crawler.extract.record import ArticleRecord
from crawler.components import RunComponent, config_from, count, run_from
from crawler.extract.selector_hits import extract_for_crawl
from crawler.extract.verdict import PageVerdict
from crawler.urls import article_id


class ExtractPipeline(RunComponent):
    """``ids``: the run's ``IdLedger`` (None: numbers not followed); ``not_articles``: the run's memory of the
    pages that gave no article (the spider's, ``Candidates.not_articles``)."""

    def __init__(self, run, config, stats, ids=None, not_articles: dict[str, str] | None = None):
        super().__init__(run, config, stats)
        self.ids = ids
        self.not_articles = {} if not_articles is None else not_articles
        self.verdict = PageVerdict(run.index.other_holder)

    @classmethod
    def from_crawler(cls, crawler):
        spider = crawler.spider          # made before the pipelines: the run's discovery state is its
        return cls(run_from(crawler), config_from(crawler), crawler.stats, spider.ids, spider.candidates.not_articles)

    async def process_item(self, item: PageItem) -> ArticleRecord:
        run = self.run
        job = partial(extract_for_crawl, item.body, item.url, run.site, base_url=self.config.base_url,
                      encoding=item.encoding, fetched_at=item.fetched_at, story_terms=run.stories is not None)
        try:
            result, hits, findings, terms = await run.extract_pool.run(job)
        except Exception as exc:  # an error or a dead worker is this page's failure, not the run's
            count(self.stats, PageOutcome.FAILED)
            run.report.error(f"extraction error: {type(exc).__name__}", item.url)
            run.log.error("extraction failed: %s: %s: %s", item.url, type(exc).__name__, exc, extra={"url": item.url})
            raise FetchAgain(f"extraction error on {item.url}") from None
        requested = article_id(item.requested_url, self.config.base_url, self.config.spec)
        if not isinstance(result, NotArticle):
            result = self.verdict.judge(result, requested) or result
        if isinstance(result, NotArticle):
            self.not_articles[requested] = result.reason
            if self.ids is not None and not result.rejected:   # the number's page is no article (a stand-in for
                self.ids.gap(item.requested_url, PageOutcome.NOT_ARTICLE)   # the article is not: tried again)
            count(self.stats, PageOutcome.NOT_ARTICLE)
            run.report.error(f"not an article: {result.reason}")
            if result.rejected:      # a stand-in for the article: ours to look at, fetched again on a backoff
                count(self.stats, Count.REJECTED)
                run.log.warning("not the article (for now): %s (%s), fetched again later", item.url, result.reason,
                                extra={"url": item.url})
            else:
                run.log.info("not an article: %s (%s)", item.url, result.reason, extra={"url": item.url})
            raise (FetchAgain if result.rejected else DropItem)(f"not an article: {item.url}")
        elsewhere = findings.get("canonical_elsewhere")
        if elsewhere:
            count(self.stats, Count.MISMATCHED)
            run.report.error("page names another article as its canonical URL", item.url)
            run.log.warning("%s names another article as its canonical URL (%s): archived as the URL fetched",
                            item.url, elsewhere, extra={"url": item.url})
        run.report.count_selectors(hits)
        notes = result["extractor"]["notes"]
        if notes:           # a cleaning rule fired in a way that may be wrong: visible per page and in the report
            for note in notes:
                run.report.error(f"cleaning: {note}")
            run.log.warning("cleaning notes on %s: %s", item.url, ", ".join(f"{k} {v}" for k, v in notes.items()),
                            extra={"url": item.url})
        if terms is not None:
            run.stories.extracted(result["id"], result["title"], result["content_sha256"], terms)
        seen = run.index.first_seen(result["id"]) or run.index.first_seen(requested)
        return ArticleRecord.complete(result, fetched_at=item.fetched_at, run_id=run.report.run_id, warc=item.warc,
                                      first_seen_at=datetime.fromisoformat(seen) if seen else None,
                                      discovered_by=item.discovered_by)
