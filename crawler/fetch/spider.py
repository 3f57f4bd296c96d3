"""The one spider logic both sites share: discovery from feeds, sitemaps and listing pages, then article
pages. Everything site-specific comes from the site's ``SiteSpec`` and its settings."""
from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawler.components import run_from
from crawler.discover.feeds import Listing, read_feed, read_sitemap
from crawler.discover.freshness import Decision, FreshnessPolicy
from crawler.fetch.failures import GONE, ROBOTS_FORBIDDEN, host_of, reason
from crawler.items import PageItem
from crawler.outcomes import Count, PageOutcome
from crawler.urls import article_id, canonicalize, is_article_url, same_site


REDIRECTS = [301, 302, 303, 307, 308]
# Scrapy runs higher priorities first: every discovery document before any article, then articles newest
# first (priority = minutes since the epoch of their sitemap lastmod / feed date; undated = now). A run stopped
# by its page cap leaves the oldest for the next run, which discovers them again (its backlog).
DISCOVERY_PRIORITY = 2**40
# Article pages wait as compact candidates (priority, URL, date, id), newest first, and become Scrapy requests
# only while the scheduler holds fewer than this many per download slot: a site of 100,000 new pages does not
# hold 100,000 requests (~3.6 kB each in the crawl process, with their queue entries and fingerprints).
WINDOW_PER_SLOT = 2


def _later(date: datetime | None, than: datetime | None) -> bool:
    return date is not None and (than is None or date > than)


def article_priority(lastmod: datetime | None) -> int:
    return int((lastmod or datetime.now(timezone.utc)).timestamp() // 60)


class NewsSpider(scrapy.Spider):
    """The spider of every site: its name is the key of the site its run crawls."""

    name = "news"

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        run = run_from(crawler)
        spider = super().from_crawler(crawler, *args, name=run.site, **kwargs)
        spider.run = run
        spider.freshness = FreshnessPolicy(run.index, run.cfg.lookback_days,
                                           recheck_not_article=run.settings.crawl.recheck_not_article)
        spider.seen: set[str] = set()
        spider.known_skipped: dict[str, datetime | None] = {}   # id → the date it was skipped as archived for
        spider.failed: set[str] = set()      # article URLs that failed this run: not asked for again until next run
        # articles to fetch, not yet requests: (-priority, order, URL, id, lastmod), a heap (newest first)
        spider.candidates: list[tuple[int, int, str, str, datetime | None]] = []
        spider._order = itertools.count()
        spider.discovering = 0               # discovery requests not answered yet
        spider.room = asyncio.Event()        # set when a candidate, an answer or a free download slot came
        crawler.signals.connect(spider.room.set, signal=signals.request_left_downloader)
        # Scrapy's OffsiteMiddleware refuses requests (redirects included) to any other host
        spider.allowed_domains = [urlsplit(run.base_url).hostname]
        return spider

    # -- discovery -------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        refetch = getattr(self, "refetch", None)    # ``arshif refetch``: these article URLs, fetched again
        if refetch:
            self._discovered_ok()
            for url in refetch:
                wanted = self.wanted(url, None, force=True)
                if wanted:
                    yield self._article(*wanted, None)
            return
        cfg = self.run.cfg
        for path in cfg.feeds:
            yield self._discovery(cfg.url(path), self.parse_feed)
        for path in cfg.sitemaps:
            yield self._discovery(cfg.url(path), self.parse_sitemap)
        for path in cfg.listings:
            yield self._discovery(cfg.url(path), self.parse_listing, page=1)
        async for request in self._articles_as_room_allows():
            yield request

    async def _articles_as_room_allows(self) -> AsyncIterator[scrapy.Request]:
        """The candidates as requests, newest first, while the scheduler has room (Scrapy reads ``start()``
        lazily); done when discovery is over and no candidate is left."""
        engine = self.crawler.engine
        window = WINDOW_PER_SLOT * self.settings.getint("CONCURRENT_REQUESTS")
        while True:
            if self.candidates and len(engine.scheduler) < window:
                _, _, url, aid, lastmod = heapq.heappop(self.candidates)
                yield self._article(url, aid, lastmod)
            elif not self.candidates and (not self.discovering or self._engine_idle(engine)):
                return
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

    def _discovery(self, url: str, callback, **meta) -> scrapy.Request:
        self.discovering += 1
        # Redirects are followed here (``discovery_response``), like an article's, so that a loop or another
        # host is refused with one line; dont_filter: a document asked for again is asked for on purpose.
        # Feeds and sitemaps are asked conditionally (the validators of the last clean run): a 304 is not parsed.
        headers = {}
        if self.run.settings.crawl.conditional_discovery and callback != self.parse_listing:
            etag, modified = self.run.index.validators(url)
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        return scrapy.Request(url, callback=self.discovery_response, errback=self.discovery_failed, dont_filter=True,
                              headers=headers, priority=DISCOVERY_PRIORITY,
                              meta={"discovery": True, "parse": callback.__name__, "dont_redirect": True,
                                    "handle_httpstatus_list": [*REDIRECTS, 304], **meta})

    def discovery_response(self, response: Response) -> Iterable[scrapy.Request]:
        try:
            parse = getattr(self, response.meta["parse"])
            if response.status not in REDIRECTS:
                yield from parse(response)
                return
            target, chain = self._redirect_target(response, response.urljoin(self._location(response)))
            if target:
                meta = {k: response.meta[k] for k in ("page",) if k in response.meta}
                yield self._discovery(target, parse, redirect_chain=chain, **meta)
        finally:
            self.discovering -= 1
            self.room.set()

    def _discovery_error(self, url: str, why: str) -> None:
        self.run.discovery_incomplete = True
        self.run.discovery_failures.append(f"{host_of(url)}: {why}")
        self.run.report.error(f"discovery: {why}", url)
        self.run.log.warning("discovery source failed: %s: %s", url, why)

    def _not_modified(self, response: Response) -> bool:
        """True for a 304 (the feed or sitemap is as it was last run: nothing to parse); otherwise keeps its
        validators for the next run."""
        if response.status == 304:
            self._discovered_ok()
            self.run.report.count(Count.NOT_MODIFIED)
            return True
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        if etag or modified:
            self.run.validators[response.request.url] = (etag and etag.decode("latin-1"),
                                                         modified and modified.decode("latin-1"))
        return False

    def discovery_failed(self, failure: Failure) -> None:
        self.discovering -= 1
        self.room.set()
        url = failure.request.url
        why = reason(failure)
        if why == ROBOTS_FORBIDDEN:
            self.run.report.count(Count.ROBOTS_FORBIDDEN)
        self._discovery_error(url, why)

    @staticmethod
    def _location(response: Response) -> str:
        return response.headers.get(b"Location", b"").decode("latin-1")

    def _redirect_target(self, response: Response, target: str) -> tuple[str | None, list[str]]:
        """Where a redirect leads, or None (said in one line) when it has no Location, leaves the site or
        loops; and the chain of URLs that led here."""
        chain = [*response.meta.get("redirect_chain", ()), response.request.url]
        refuse = self._discovery_error if response.meta.get("discovery") else self._article_error
        if not self._location(response):
            why = f"HTTP {response.status} without Location"
        elif not same_site(target, self.run.base_url):
            why = f"redirect to another host refused ({urlsplit(target).netloc})"
        elif target in chain or len(chain) > self.settings.getint("REDIRECT_MAX_TIMES"):
            why = f"redirect loop ({len(chain)} URLs)"
        else:
            return target, chain
        refuse(chain[0], why)
        return None, chain

    def _discovered_ok(self) -> None:
        self.run.discovery_ok += 1

    def _listing_problem(self, response: Response, listing: Listing) -> None:
        if listing.problem:
            self.run.discovery_incomplete = True
            self.run.report.error(f"discovery: {listing.problem.split(' (')[0]}", response.url)
            self.run.log.warning("%s: %s", response.url, listing.problem, extra={"url": response.url})

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        if self._not_modified(response):
            return ()
        listing = read_feed(response)
        self._listing_problem(response, listing)
        if listing.entries:
            self._discovered_ok()
        for link, when in listing.entries:
            self.candidate(response.urljoin(link), when)
        return ()

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        if self._not_modified(response):
            return
        listing = read_sitemap(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
        self._listing_problem(response, listing)
        if listing.kind in ("sitemapindex", "urlset"):
            self._discovered_ok()
        for loc, lastmod in listing.entries:
            if listing.kind == "sitemapindex":
                if lastmod is None or lastmod >= self.freshness.horizon:
                    yield self._discovery(response.urljoin(loc), self.parse_sitemap)
            else:
                self.candidate(response.urljoin(loc), lastmod)

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        self._discovered_ok()
        spec = self.run.spec
        for href in response.css(spec.listing_link_css).getall():
            self.candidate(response.urljoin(href), None)
        page = response.meta.get("page", 1)
        next_href = response.css(spec.listing_next_css).get()
        if next_href and page < self.run.cfg.listing_pages:
            yield self._discovery(response.urljoin(next_href), self.parse_listing, page=page + 1)

    # -- articles --------------------------------------------------------------------------------------

    def candidate(self, url: str, lastmod: datetime | None) -> None:
        """A discovered article: kept to be asked for, newest first, as the scheduler has room."""
        wanted = self.wanted(url, lastmod)
        if wanted:
            heapq.heappush(self.candidates, (-article_priority(lastmod), next(self._order), *wanted, lastmod))
            self.room.set()

    def wanted(self, url: str, lastmod: datetime | None, *, redirect_of: str | None = None,
               force: bool = False) -> tuple[str, str] | None:
        """The article at ``url`` as (canonical URL, id) if it is to be asked for: not when its id was seen in
        this run (one article under several addresses is one request) or (unless ``force``) the index says it
        is archived and unchanged. ``redirect_of``: the id of the article URL that redirected here (the same
        article may answer under its canonical address)."""
        run = self.run
        canonical = canonicalize(url, run.base_url, run.spec)
        if not is_article_url(canonical, run.base_url, run.spec) or canonical in self.failed:
            return None
        aid = article_id(canonical, run.base_url, run.spec)
        if aid in self.seen:
            if aid != redirect_of and not _later(lastmod, self.known_skipped.get(aid, lastmod)):
                return None
            # or listed again with a later date than the one it was skipped for (a feed's publication date,
            # then the sitemap's lastmod of an edit): decided again, whichever source answered first
        else:
            self.seen.add(aid)
            run.report.count(Count.DISCOVERED)
        decision = Decision.FETCH if force else self.freshness.decide(aid, lastmod)
        if decision != Decision.FETCH:
            if aid not in self.known_skipped:
                run.report.count(PageOutcome.SKIPPED)
                if decision == Decision.NOT_ARTICLE:
                    run.report.count(Count.SKIPPED_NOT_ARTICLE)
            if decision == Decision.KNOWN:
                self.known_skipped[aid] = lastmod
            return None
        if aid in self.known_skipped:                     # skipped on an earlier date, fetched after all
            del self.known_skipped[aid]
            run.report.count(PageOutcome.SKIPPED, -1)
        run.queued.add(aid)
        return canonical, aid

    def _article(self, url: str, aid: str, lastmod: datetime | None, **meta: Any) -> scrapy.Request:
        self.run.report.count(Count.REQUESTED)
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed,
                              priority=article_priority(lastmod),
                              meta={"lastmod": lastmod, "requested_id": aid, "dont_redirect": True,
                                    "handle_httpstatus_list": REDIRECTS, **meta})

    def parse_article(self, response: Response) -> Iterable[PageItem | scrapy.Request]:
        self.run.queued.discard(response.meta.get("requested_id"))
        if response.status in REDIRECTS:
            yield from self.follow_redirect(response)
            return
        if not response.body:
            self._article_error(response.url, f"empty response (HTTP {response.status} with no body)")
            return
        self.run.report.count(Count.FETCHED)
        encoding = http_content_type_encoding(response.headers.get(b"Content-Type", b"").decode("latin-1"))
        yield PageItem(
            url=response.url,
            requested_url=response.request.url if response.request else response.url,
            body=response.body,
            encoding=encoding,
            fetched_at=datetime.now(timezone.utc),
            warc=response.meta.get("warc"),
        )

    def follow_redirect(self, response: Response) -> Iterable[scrapy.Request]:
        """An article URL that moved (legacy form, old id): remember where it leads, so that next time it is
        known without a fetch, and go there unless the target is archived and unchanged."""
        run = self.run
        target, chain = self._redirect_target(
            response, canonicalize(response.urljoin(self._location(response)), run.base_url, run.spec))
        if target is None:
            return
        if is_article_url(target, run.base_url, run.spec):
            run.index.add_alias(response.meta["requested_id"], article_id(target, run.base_url, run.spec))
        lastmod = response.meta.get("lastmod")
        wanted = self.wanted(target, lastmod, redirect_of=response.meta["requested_id"])
        if wanted:
            yield self._article(*wanted, lastmod, redirect_chain=chain)

    def _article_error(self, url: str, why: str) -> None:
        self.run.report.count(PageOutcome.FAILED)
        self.run.report.error(why, url)
        self.run.log.warning("article failed: %s: %s", url, why, extra={"url": url})

    def article_failed(self, failure: Failure) -> None:
        url = failure.request.url
        self.run.queued.discard(failure.request.meta.get("requested_id"))
        # another address of the article, found later in this run, may still answer
        self.seen.discard(failure.request.meta.get("requested_id"))
        self.failed.add(url)
        why = reason(failure)
        if why == ROBOTS_FORBIDDEN:
            self.run.report.count(Count.ROBOTS_FORBIDDEN)
            return
        if why in GONE:     # a dead link is no article (and no fault of the run); remembered like one
            self.run.not_articles[failure.request.meta["requested_id"]] = why
            self.run.report.count(PageOutcome.NOT_ARTICLE)
            self.run.report.error(f"not an article: {why}")
            self.run.log.info("not an article: %s (%s)", url, why, extra={"url": url})
            return
        self._article_error(url, why)
