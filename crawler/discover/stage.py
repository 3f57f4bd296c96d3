"""Discovery, the crawl's first stage: sources in, candidate article URLs out.

The sources are the site's feeds, sitemaps and listings (``crawler/sites/<site>.py``, ``[sites.<site>]``),
every ``Sitemap:`` line of its robots.txt, and — once those are read — the probes of the holes in the site's
article numbers (``ids``: ``id_probe``). ``Discovery`` makes the requests for their documents (asked
conditionally with the validators of the last run that dealt with them in full, see ``sources``), reads the
answers — feeds and sitemaps (``feeds``: streamed, Google News sitemaps too), a sitemap index's children
chosen by ``<lastmod>`` (or the year in their name) against the look-back, newest first; listing pages,
paged by the number in their path (``{page}`` in the path, from 0) or by their "next" link — and hands every
article URL found to ``Candidates``. It follows a document's redirects within the site (its host aliases are
the site) and refuses the others with one line. The spider fetches what it is given; each source ends with
its own outcome (``ok``, ``not_modified``, ``failed: <reason>``), in the run report's ``sources``.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Callable, Iterable
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawler.discover.candidates import Candidates
from crawler.discover.feeds import read_feed, read_sitemap
from crawler.discover.sources import DocState, Document, Source, SourceOutcome, failure_line, validator_changes
from crawler.outcomes import Count, RunKind
from crawler.urls import redirect_refusal, redirect_target, same_site

REDIRECTS = [301, 302, 303, 307, 308]
# Scrapy runs higher priorities first: every discovery document before any article (whose priority is minutes
# since the epoch of its date); a sitemap index's newer children before its older ones.
DISCOVERY_PRIORITY = 2**40
PAGE = "{page}"                          # in a listing path: the page number (from 0)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def year_in_name(url: str) -> datetime | None:
    """The last instant of the year a sitemap's name carries (``sitemap_2024_2.xml`` → end of 2024), or None."""
    years = _YEAR.findall(urlsplit(url).path)
    return datetime(int(years[-1]), 12, 31, 23, 59, 59, tzinfo=timezone.utc) if years else None


def children_to_read(entries: list[tuple[str, datetime | None]], horizon: datetime) -> list[str]:
    """A sitemap index's children worth reading: those within the look-back (from ``horizon`` on) by their
    ``lastmod``, else by the year in their name (undated and unnamed: read), newest first."""
    chosen = []
    for url, lastmod in entries:
        when = lastmod or year_in_name(url)
        if when is None or when >= horizon:
            chosen.append((when or datetime.max.replace(tzinfo=timezone.utc), url))
    return [url for _, url in sorted(chosen, key=lambda c: c[0], reverse=True)]


class Discovery:
    """The discovery of one run (``run``: its index, report and log; ``config``: the site's ``SiteConfig``).
    ``callback`` and ``errback`` are the spider's, which hands their answers back here (``response``,
    ``failed``); ``count(name, n=1)`` is the run's counter (``crawler.components.counter``)."""

    def __init__(self, run, config, candidates: Candidates, callback: Callable, errback: Callable,
                 count: Callable[..., None]):
        self.run = run
        self.config = config
        self.candidates = candidates
        self.callback = callback
        self.errback = errback
        self.count = count
        crawl = config.crawl
        self.conditional = crawl.conditional_discovery
        self.sitemap_maxsize = crawl.sitemap_maxsize
        self.max_redirects = 5
        self.sources: list[Source] = []
        self.pending = 0                  # discovery requests not answered yet
        self.skipped = False              # no discovery in this run (``arshif refetch``)
        self.watch = run.report.kind == RunKind.WATCH     # feeds only (robots.txt's sitemaps are not read)
        self.closed = False
        self.unanswered: set[tuple[str, str]] = set()      # (host, why) of requests no answer came to, said

    # -- the sources -------------------------------------------------------------------------------------

    def start(self) -> list[scrapy.Request]:
        """The requests of the sources the site's settings name."""
        cfg = self.config.site
        kinds = (("feed", cfg.feeds), ("sitemap", cfg.sitemaps), ("listing", cfg.listings))
        if self.watch:                     # the feed watch between full runs: the feeds alone
            kinds = kinds[:1]
        for kind, paths in kinds:
            for path in paths:
                numbered = kind == "listing" and PAGE in path
                self.sources.append(Source(kind, path, cfg.url(path.replace(PAGE, "0")), numbered=numbered))
        if not self.config.crawl.obey_robots and not self.watch:     # else Scrapy reads it first (the spider's robots_parsed)
            self.sources.append(Source("robots", "/robots.txt", cfg.url("/robots.txt")))
        return [self._request(source.root) for source in self.sources]

    def robots_sitemaps(self, urls: Iterable[str]) -> list[scrapy.Request]:
        """The requests of the sitemaps the site's robots.txt names (``Sitemap:`` lines) that no other source
        names; a sitemap on another site is left out with one line."""
        run = self.run
        if self.watch:
            return []
        known = {source.root.url for source in self.sources}
        requests = []
        for url in urls:
            url = urljoin(self.config.base_url + "/", url.strip())
            if not same_site(url, self.config.base_url, self.config.spec):
                run.log.info("robots.txt names a sitemap on another site, not read: %s", url)
                continue
            url = self._on_base_host(url)
            if url in known:
                continue
            known.add(url)
            parts = urlsplit(url)
            source = Source("sitemap", parts.path + (f"?{parts.query}" if parts.query else ""), url, origin="robots.txt")
            self.sources.append(source)
            requests.append(self._request(source.root))
        if requests:
            run.log.info("robots.txt names %d more sitemaps: %s", len(requests),
                         ", ".join(r.url for r in requests))
        return requests

    def probe(self, urls: list[str]) -> None:
        """The id probes of this run (``crawler/discover/ids.py``), once the other sources are read: one source,
        ``id_probe <the site's id URL>``, whose URLs go to the candidates as they are (no document to read)."""
        if not urls:
            return
        source = Source("id_probe", self.config.spec.id_url, urls[0])
        source.root.state = DocState.READ
        source.root.urls = len(urls)
        self.sources.append(source)
        for url in urls:
            self.candidates.add(url, None, source.root, probe=True)

    def _on_base_host(self, url: str) -> str:
        """``url`` (of the site) on the base URL's scheme and host, as the sources the settings name are."""
        base, parts = urlsplit(self.config.base_url), urlsplit(url)
        return parts._replace(scheme=base.scheme, netloc=base.netloc).geturl()

    # -- requests --------------------------------------------------------------------------------------

    def _request(self, doc: Document, chain: list[str] | None = None, rank: int = 0) -> scrapy.Request:
        self.pending += 1
        headers = {}
        if self.conditional:
            etag, modified = self.run.index.validators(doc.url)
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        meta = {"discovery": doc, "dont_redirect": True, "handle_httpstatus_list": [*REDIRECTS, 304],
                "redirect_chain": chain or []}
        if doc.kind == "sitemap":          # a sitemap's own size limit (the protocol's 50 MB), not an article's
            meta["download_maxsize"] = self.sitemap_maxsize
            meta["download_warnsize"] = self.sitemap_maxsize
        # dont_filter: a document asked for again is asked for on purpose
        return scrapy.Request(doc.url, callback=self.callback, errback=self.errback, dont_filter=True,
                              headers=headers, priority=DISCOVERY_PRIORITY + rank, meta=meta)

    # -- answers ---------------------------------------------------------------------------------------

    def response(self, response: Response) -> Iterable[scrapy.Request]:
        """Read one discovery answer: its article URLs to the candidates, the requests it leads to."""
        doc: Document = response.meta["discovery"]
        try:
            if response.status in REDIRECTS:
                yield from self._redirect(doc, response)
                return
            if response.status == 304:
                doc.state = DocState.NOT_MODIFIED
                self.count(Count.NOT_MODIFIED)
                return
            doc.state = DocState.READ
            doc.bytes = len(response.body)
            etag, modified = response.headers.get(b"ETag"), response.headers.get(b"Last-Modified")
            if etag or modified:
                doc.validators = (etag and etag.decode("latin-1"), modified and modified.decode("latin-1"))
            read = {"feed": self._feed, "sitemap": self._sitemap, "listing": self._listing,
                    "robots": self._robots}[doc.kind]
            yield from read(doc, response)
        finally:
            self.pending -= 1

    def _redirect(self, doc: Document, response: Response) -> Iterable[scrapy.Request]:
        chain = [*response.meta.get("redirect_chain", ()), response.request.url]
        target = redirect_target(response.request.url, response.headers.get(b"Location"))
        why = redirect_refusal(chain, response.status, target, self.config.base_url, self.config.spec, self.max_redirects)
        if why:
            self._fail(doc, chain[0], why)
            return
        doc.url = target                  # the document lives there now (its validators are that URL's)
        yield self._request(doc, chain)

    def failed(self, request: scrapy.Request, why: str, status: int | None = None) -> None:
        """A discovery request that got no answer (or an error status): ``why`` in one line — once per host for
        no answer at all (offline, refused: every source of the host fails alike; the report lists each URL)."""
        self.pending -= 1
        doc: Document = request.meta["discovery"]
        if status in (404, 410) and (doc.kind == "robots" or doc.kind == "listing" and doc is not doc.source.root):
            doc.state = DocState.READ            # past a listing's last page; a site without robots.txt
            return
        unanswered = (urlsplit(request.url).netloc, why) if status is None else None
        self._fail(doc, request.url, why, quiet=unanswered in self.unanswered)
        if unanswered:
            self.unanswered.add(unanswered)

    def _fail(self, doc: Document, url: str, why: str, quiet: bool = False) -> None:
        doc.fail(why)
        self.run.report.error(f"discovery: {why}", url)
        self.run.log.log(logging.DEBUG if quiet else logging.WARNING, "discovery source failed: %s: %s", url, why,
                         extra={"url": url})

    def _problem(self, doc: Document, problem: str | None) -> None:
        """A document read with a problem (cut short, damaged, no entries…): what it gave is used, the source
        is not ``ok``."""
        if problem:
            doc.reason = problem
            self.run.report.error(f"discovery: {problem.split(' (')[0]}", doc.url)
            self.run.log.warning("%s: %s", doc.url, problem, extra={"url": doc.url})

    def _feed(self, doc: Document, response: Response) -> Iterable[scrapy.Request]:
        listing = read_feed(response)
        self._problem(doc, listing.problem)
        doc.urls = len(listing.entries)
        doc.newest = max((when for _, when in listing.entries if when), default=None)
        for link, when in listing.entries:
            self.candidates.add(response.urljoin(link), when, doc)
        return ()

    def _sitemap(self, doc: Document, response: Response) -> Iterable[scrapy.Request]:
        horizon = self.candidates.horizon
        listing = read_sitemap(response, self.sitemap_maxsize, since=horizon)
        self._problem(doc, listing.problem)
        doc.urls, doc.newest = listing.count, listing.newest
        # urljoin on the document's URL, never ``response.urljoin``: on an XML response that decodes the whole
        # body into a string first (to look for an HTML <base>), a second copy of a 50 MB sitemap
        if listing.kind != "sitemapindex":
            for loc, lastmod in listing.entries:
                self.candidates.add(urljoin(response.url, loc), lastmod, doc)
            return
        chosen = children_to_read([(urljoin(response.url, loc), lastmod) for loc, lastmod in listing.entries],
                                  horizon)
        roots = {source.root.url for source in self.sources}
        chosen = [url for url in chosen if url not in roots]     # read as a source of its own (robots.txt)
        for rank, url in enumerate(chosen):
            yield self._request(doc.child(url), rank=len(chosen) - rank)

    def _robots(self, doc: Document, response: Response) -> Iterable[scrapy.Request]:
        from protego import Protego

        sitemaps = list(Protego.parse(response.text).sitemaps)
        doc.urls = len(sitemaps)
        return self.robots_sitemaps(sitemaps)

    def _listing(self, doc: Document, response: Response) -> Iterable[scrapy.Request]:
        spec, cfg, source = self.config.spec, self.config.site, doc.source
        links = response.css(spec.listing_link_css).getall()
        doc.urls = len(links)
        if not links and doc is source.root:
            self._problem(doc, "listing shows no article link (has the listing moved or changed its markup?)")
        for href in links:
            self.candidates.add(response.urljoin(href), None, doc)
        pages_read = doc.page + 1 if source.numbered else doc.page
        if pages_read >= cfg.listing_pages:
            return
        if source.numbered:
            if links:
                page = doc.page + 1
                yield self._request(doc.child(cfg.url(source.path.replace(PAGE, str(page))), page=page))
            return
        next_href = response.css(spec.listing_next_css).get()
        if next_href:
            yield self._request(doc.child(response.urljoin(next_href), page=doc.page + 1))

    # -- the end -----------------------------------------------------------------------------------------

    def read_any(self) -> bool:
        """Did any discovery document answer (or was discovery not needed)?"""
        return self.skipped or any(doc.state in (DocState.READ, DocState.NOT_MODIFIED)
                                   for source in self.sources for doc in source.documents())

    def unreachable(self) -> list[str]:
        """``host: why`` of every document that got no answer."""
        return [f"{urlsplit(doc.url).netloc}: {doc.reason}" for source in self.sources
                for doc in source.documents() if doc.state == DocState.FAILED]

    def lost(self) -> str | None:
        """One line naming every source that failed, or None."""
        return None if self.skipped else failure_line(self.sources)

    def close(self) -> None:
        """At the run's end: each source's outcome into the run report."""
        if self.closed:
            return
        self.closed = True
        self.run.report.sources = [source.to_json() for source in self.sources]
        failed = [(source.name, why) for source in self.sources
                  for outcome, why in [source.outcome()] if outcome == SourceOutcome.FAILED]
        if len(failed) > 1 and not self.read_any() and len({why for _, why in failed}) == 1:
            # the site did not answer at all (offline, refused): one line, not one per source alike
            self.run.log.warning("discovery: all %d sources failed: %s", len(failed), failed[0][1])
            return
        for name, why in failed:
            self.run.log.warning("discovery source %s failed: %s", name, why)

    def validator_changes(self):
        return validator_changes(self.sources)

    def listings(self) -> set[tuple[str, str]]:
        """``(article id, URL)``: each article this run was shown, with the document that listed it and those
        that led to that one (a sitemap index, a listing's first page), at their final URLs — forgetting their
        validators has the article listed again (``ArticleIndex.forget_gone``)."""
        chains: dict[int, list[str]] = {}

        def walk(doc, above: list[str]) -> None:
            chains[id(doc)] = [*above, doc.url]
            for child in doc.children:
                walk(child, chains[id(doc)])

        for source in self.sources:
            walk(source.root, [])
        return {(aid, url) for aid, doc in self.candidates.listed for url in chains.get(id(doc), [doc.url])}
