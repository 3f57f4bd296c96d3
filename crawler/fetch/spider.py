"""The one spider every site shares: it fetches. What to fetch comes from discovery (``crawler/discover/stage.py``:
feeds, sitemaps, listings → candidate article URLs, newest first); the spider asks for the discovery documents
discovery gives it, hands their answers back, then asks for the candidates as the scheduler has room, and turns
article pages into items. Everything site-specific comes from the site's ``SiteSpec`` and its settings."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawler.components import config_from, counter, run_from
from crawler.discover import revisits
from crawler.discover.candidates import Candidates, article_priority
from crawler.discover import ids
from crawler.discover.sources import Document
from crawler.discover.stage import REDIRECTS, Discovery
from crawler.fetch.failures import GONE, ROBOTS_FORBIDDEN, reason
from crawler.fetch.robots import ROBOTS_REFUSAL
from crawler.items import PageItem
from crawler.outcomes import Count, PageOutcome, RunKind
from crawler.urls import article_id, canonicalize, is_article_url, redirect_refusal, redirect_target

GONE_STATUSES = [404, 410]


# Candidates become Scrapy requests only while the scheduler holds fewer than this many per download slot.
WINDOW_PER_SLOT = 2
# Article pages' ETags are kept in the index this many at a time, and when the spider closes (one write of the
# index for each page was ~0.15 ms of the crawl process's CPU a page): a run killed before loses the ETags of
# its last pages, whose revisits then ask without If-None-Match and compare the page with the archived record.
ETAGS_PER_WRITE = 256


class NewsSpider(scrapy.Spider):
    """The spider of every site: its name is the key of the site its run crawls."""

    name = "news"

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        run, config = run_from(crawler), config_from(crawler)
        spider = super().from_crawler(crawler, *args, name=config.key, **kwargs)
        spider.run = run
        spider.config = config
        spider.count = counter(crawler)       # the run's counters: Scrapy's stats collector (made after the spider)
        # the run's discovery: its article numbers, its candidates (and the run's memory of its article requests),
        # its sources; the pipelines reach them here (``crawler.spider``), the run's end reads them
        spider.ids = ids.IdLedger(run.index, config, watch=run.report.kind == RunKind.WATCH)
        spider.candidates = Candidates(run.index, config, spider.count, spider.ids)
        spider.discovery = Discovery(run, config, spider.candidates, spider.discovery_response,
                                     spider.discovery_failed, spider.count)
        spider.discovery.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")
        spider.etags = {}                    # canonical URL → (ETag, None), not yet in the index
        spider.room = asyncio.Event()        # set when a candidate, an answer or a free download slot came
        crawler.signals.connect(spider.room.set, signal=signals.request_left_downloader)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        # Scrapy's OffsiteMiddleware refuses requests (redirects included) to any other host than the site's
        # own (its host aliases are the site)
        spider.allowed_domains = sorted({urlsplit(config.base_url).hostname,
                                         *(urlsplit(config.spec.default_base_url).hostname, *config.spec.host_aliases)})
        return spider

    # -- discovery: its requests, its answers handed back ------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        refetch = getattr(self, "refetch", None)    # ``arshif refetch``: these article URLs, fetched again
        if refetch:
            self.discovery.skipped = True
            for url in refetch:
                wanted = self.candidates.wanted(url, None, force=True)
                if wanted:
                    yield self._article(*wanted, None, None)
            return
        # the articles due for a revisit are claimed before any discovery answer can claim them (Scrapy reads
        # start() lazily: under load a feed's answer was parsed first, and an edited article due for its revisit
        # was recorded as found by the feed); their requests still follow discovery's
        revisits = list(self._revisits())
        for request in self.discovery.start():
            yield request
        for request in revisits:
            yield request
        async for request in self._articles_as_room_allows():
            yield request

    def robots_parsed(self, robotparser, request) -> None:
        """The site's robots.txt read (by Scrapy's RobotsTxtMiddleware, before any other request to it): its
        ``Sitemap:`` lines are discovery sources too."""
        if urlsplit(request.url).netloc != urlsplit(self.config.base_url).netloc or getattr(self, "refetch", None):
            return
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", ()) or ())
        for sitemap in self.discovery.robots_sitemaps(sitemaps):
            self.crawler.engine.crawl(sitemap)

    async def _articles_as_room_allows(self) -> AsyncIterator[scrapy.Request]:
        """The candidates as requests, newest first, while the scheduler has room (Scrapy reads ``start()``
        lazily); then, once every article has answered, the id probes (``crawler/discover/ids.py``); done when
        discovery is over and no candidate is left."""
        engine = self.crawler.engine
        window = WINDOW_PER_SLOT * self.settings.getint("CONCURRENT_REQUESTS")
        probed = not self.ids.probing       # a site whose numbers are not probed ends with discovery
        while True:
            if self.candidates and len(engine.scheduler) < window:
                yield self._article(*self.candidates.pop())
            elif not self.candidates and (not self.discovery.pending or self._engine_idle(engine)) and (
                    probed or self._engine_idle(engine)):
                if probed:
                    return
                # every other source read and every article it led to answered (archived, a gap): the holes in
                # the site's numbers are probed
                probed = True
                self.discovery.probe(self.ids.plan())
            else:
                self.room.clear()
                try:      # the timeout: to look again at whether the engine is idle (``_engine_idle``)
                    await asyncio.wait_for(self.room.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass

    @staticmethod
    def _engine_idle(engine) -> bool:
        """Nothing scheduled, downloading or being handled: no discovery answer can still come (a safety net
        for a discovery request that ended with neither callback nor errback)."""
        return not len(engine.scheduler) and not engine.downloader.active and engine.scraper.slot.is_idle()

    def discovery_response(self, response: Response) -> Iterable[scrapy.Request]:
        try:
            yield from self.discovery.response(response)
        finally:
            self.room.set()

    def discovery_failed(self, failure: Failure) -> None:
        why = reason(failure)
        if why == ROBOTS_FORBIDDEN:
            self.count(Count.ROBOTS_FORBIDDEN)
            why = self.crawler.stats.get_value(ROBOTS_REFUSAL) or why
        status = getattr(getattr(failure.value, "response", None), "status", None)
        self.discovery.failed(failure.request, why, status)
        self.room.set()

    # -- revisits (crawler/discover/revisits.py) and takedowns ------------------------------------------

    def _revisits(self) -> Iterable[scrapy.Request]:
        """The archived articles due for a revisit: asked for conditionally (their last ETag), after every
        new article (priority 0); at most half the run's page cap."""
        run = self.run
        site = self.config.site
        for aid, url in revisits.due(run.index, site.revisit_after, datetime.now(timezone.utc),
                                     max(1, site.max_pages // 2)):
            if aid in self.candidates.seen:
                continue
            self.candidates.seen.add(aid)
            self.candidates.queued.add(aid)
            self.count(Count.REVISITED)
            etag, modified = run.index.validators(url)
            headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", modified)) if v}
            request = self._article(url, aid, None, None, priority=0, revisit=True)
            request.meta["handle_httpstatus_list"] = [*REDIRECTS, 304, *GONE_STATUSES]
            yield request.replace(headers=headers)

    def _revisit_answer(self, response: Response) -> bool:
        """A revisit's 304 (unchanged) or gone answer (404/410) dealt with here: True; else False."""
        aid = response.meta["requested_id"]
        if response.status == 304:
            self.count(Count.REVISIT_NOT_MODIFIED)
            self.count(PageOutcome.UNCHANGED)
            self.run.index.checked(aid, datetime.now(timezone.utc).isoformat(timespec="seconds"))
            return True
        if response.status in GONE_STATUSES:
            self._gone(aid, f"HTTP {response.status}", response.url)
            return True
        return False

    def _gone(self, aid: str, how: str, url: str) -> None:
        """An archived article answered gone: suspected the first time; at the second check (a later run),
        recorded as removed in the archived record (``removed_at``, ``removed_how``), text and versions kept."""
        run = self.run
        self.count(Count.GONE)
        now = datetime.now(timezone.utc)
        first_how = run.index.gone(aid, how, now)
        known = run.index.get(aid)
        if first_how is None or known is None:
            run.log.info("archived article answered %s, to be confirmed next run: %s", how, url, extra={"url": url})
            return
        removed_at = now.isoformat(timespec="seconds")

        def done(fut) -> None:
            exc = fut.exception()
            if exc is not None or not fut.result():
                run.log.warning("removal of %s not recorded (%s): confirmed again next run", url,
                                exc or "no archived record", extra={"url": url})
                return
            run.index.mark_removed(aid, now)
            run.wrote(known.key, Count.REMOVED)
            run.log.info("removed by the site (%s): %s", first_how, url, extra={"url": url})

        future = run.uploader.submit_removal(known.key, removed_at, first_how)
        future.add_done_callback(done)
        run.track(future)

    # -- articles --------------------------------------------------------------------------------------

    def _article(self, url: str, aid: str, lastmod: datetime | None, doc: Document | None,
                 priority: int | None = None, **meta: Any) -> scrapy.Request:
        self.count(Count.REQUESTED)
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed,
                              priority=article_priority(lastmod) if priority is None else priority,
                              meta={"lastmod": lastmod, "requested_id": aid, "doc": doc, "dont_redirect": True,
                                    "handle_httpstatus_list": REDIRECTS, **meta})

    def parse_article(self, response: Response) -> Iterable[PageItem | scrapy.Request]:
        self.candidates.queued.discard(response.meta.get("requested_id"))
        if response.status in REDIRECTS:
            yield from self.follow_redirect(response)
            return
        if response.meta.get("revisit") and self._revisit_answer(response):
            return
        if not response.body:
            self._article_error(response.url, f"empty response (HTTP {response.status} with no body)",
                                response.meta.get("doc"))
            return
        self.candidates.answered(response.meta.get("doc"))
        self.count(Count.FETCHED)
        etag = response.headers.get(b"ETag")
        if etag:                                # a revisit asks with it (a 304 costs nearly nothing)
            self.etags[canonicalize(response.url, self.config.base_url, self.config.spec)] = (
                etag.decode("latin-1"), None)
            if len(self.etags) >= ETAGS_PER_WRITE:
                self._keep_etags()
        encoding = http_content_type_encoding(response.headers.get(b"Content-Type", b"").decode("latin-1"))
        yield PageItem(
            url=response.url,
            requested_url=response.request.url if response.request else response.url,
            body=response.body,
            encoding=encoding,
            fetched_at=datetime.now(timezone.utc),
            warc=response.meta.get("warc"),
            # how this version was found: a revisit of an archived article, or the discovery source that led to it
            discovered_by="revisit" if response.meta.get("revisit")
            else doc.kind if (doc := response.meta.get("doc")) is not None else None,
        )

    def _keep_etags(self) -> None:
        self.run.index.remember_validators(self.etags)
        self.etags = {}

    def closed(self, reason: str) -> None:
        if self.etags:
            self._keep_etags()

    def follow_redirect(self, response: Response) -> Iterable[scrapy.Request]:
        """An article URL that moved (legacy form, old id): remember where it leads, so that next time it is
        known without a fetch, and go there unless the target is archived and unchanged. A redirect that leaves
        the site (its host aliases are the site), loops or has no Location is refused with one line."""
        run, base_url, spec = self.run, self.config.base_url, self.config.spec
        chain = [*response.meta.get("redirect_chain", ()), response.request.url]
        target = redirect_target(response.request.url, response.headers.get(b"Location"))
        why = redirect_refusal(chain, response.status, target, base_url, spec,
                               self.settings.getint("REDIRECT_MAX_TIMES"), canonical=True)
        if why:
            self._article_error(chain[0], why, response.meta.get("doc"))
            return
        target = canonicalize(target, base_url, spec)
        if response.meta.get("revisit") and not is_article_url(target, base_url, spec):
            # an archived article now sent to a section or the home page: taken down
            self._gone(response.meta["requested_id"], f"HTTP {response.status} to {urlsplit(target).path or '/'}",
                       chain[0])
            return
        if is_article_url(target, base_url, spec):
            run.index.add_alias(response.meta["requested_id"], article_id(target, base_url, spec))
        if self.ids.number(target) != self.ids.number(chain[0]):    # the number asked for is no article of its
            self.ids.gap(chain[0], ids.NOT_ARTICLE)                   # own (a programme, a gallery, an old number)
        lastmod, doc = response.meta.get("lastmod"), response.meta.get("doc")
        probe = doc is not None and doc.kind == "id_probe"
        wanted = self.candidates.wanted(target, lastmod, redirect_of=response.meta["requested_id"], force=probe)
        if wanted:
            yield self._article(*wanted, lastmod, doc, redirect_chain=chain)
        else:
            self.candidates.answered(doc)

    def _article_error(self, url: str, why: str, doc: Document | None) -> None:
        self.candidates.answered(doc, lost=True)
        self.count(PageOutcome.FAILED)
        self.run.report.error(why, url)
        self.run.log.warning("article failed: %s: %s", url, why, extra={"url": url})

    def article_failed(self, failure: Failure) -> None:
        url = failure.request.url
        meta = failure.request.meta
        self.candidates.queued.discard(meta.get("requested_id"))
        # another address of the article, found later in this run, may still answer
        self.candidates.seen.discard(meta.get("requested_id"))
        self.candidates.failed.add(url)
        why = reason(failure)
        if why == ROBOTS_FORBIDDEN:
            self.candidates.answered(meta.get("doc"))
            self.count(Count.ROBOTS_FORBIDDEN)
            return
        if why in GONE:     # a dead link is no article (and no fault of the run); remembered like one
            self.candidates.answered(meta.get("doc"))
            probe = meta.get("doc") is not None and meta["doc"].kind == "id_probe"
            if not probe:   # a probed number that is not given yet may be an article by the next run: its
                self.candidates.not_articles[meta["requested_id"]] = why      # memory is the id range's (ids)
            self.count(Count.FETCHED)           # answered: fetched = the sum of the pages' outcomes
            self.ids.gap(url, ids.GONE)
            self.count(PageOutcome.NOT_ARTICLE)
            self.run.report.error(f"not an article: {why}")
            (self.run.log.debug if probe else self.run.log.info)("not an article: %s (%s)", url, why,
                                                                 extra={"url": url})
            return
        self._article_error(url, why, meta.get("doc"))
