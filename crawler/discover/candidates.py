"""The articles discovery found, waiting to be fetched: one entry per article (whatever address it was listed
under), newest first, and the decision to fetch each at all (``freshness``).

Articles wait as compact entries (priority, URL, id, date, the document that listed it) in a heap, not as
Scrapy requests: a site of 100,000 new pages does not hold 100,000 requests (~3.6 kB each in the crawl
process, with their queue entries and fingerprints). The spider takes them as its scheduler has room."""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime, timezone

from crawler.discover.freshness import Decision, FreshnessPolicy
from crawler.discover.sources import Document
from crawler.outcomes import Count, PageOutcome
from crawler.urls import article_id, canonicalize, is_article_url


def article_priority(lastmod: datetime | None) -> int:
    """Minutes since the epoch of an article's sitemap lastmod / feed date (undated: now): newest first."""
    return int((lastmod or datetime.now(timezone.utc)).timestamp() // 60)


def _later(date: datetime | None, than: datetime | None) -> bool:
    return date is not None and (than is None or date > than)


class Candidates:
    """The articles to fetch of one run, newest first: ``index``, the run's archive index; ``config``, the
    site's ``SiteConfig``; ``count(name, n=1)``, the run's counter (``crawler.components.counter``); ``ids``, the
    run's ``IdLedger`` (None: the site's numbers are not followed).

    It keeps the run's memory of its article requests, which the spider and the pipelines write and the run's end
    reads (``crawler/run/report_extension.py``): ``queued``, the ids of article requests not answered yet (the
    backlog); ``not_articles``, article id → why its page gave no article (remembered for the next runs)."""

    def __init__(self, index, config, count: Callable[..., None], ids=None):
        self.index = index
        self.config = config
        self.count = count
        self.ids = ids
        self.freshness = FreshnessPolicy(index, config.site.lookback_days,
                                         recheck_not_article=config.crawl.recheck_not_article)
        self.queued: set[str] = set()
        self.not_articles: dict[str, str] = {}
        self.seen: set[str] = set()
        self.known_skipped: dict[str, datetime | None] = {}   # id → the date it was skipped as archived for
        self.failed: set[str] = set()      # article URLs that failed this run: not asked for again until next run
        self.listed: list[tuple[str, Document]] = []   # (id, the document that listed it), ids.probe's aside
        # (-priority, order, URL, id, lastmod, document), a heap (newest first)
        self._heap: list[tuple[int, int, str, str, datetime | None, Document | None]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    @property
    def horizon(self) -> datetime:
        """The look-back's start: older articles are not fetched."""
        return self.freshness.horizon

    def add(self, url: str, lastmod: datetime | None, doc: Document | None, *, probe: bool = False) -> bool:
        """A discovered article: kept to be asked for, newest first (True), unless it is not to be fetched.
        ``probe``: an id probe (``crawler/discover/ids.py``), asked for whatever the index says (its plan left
        out what is archived), in the order probes are added, after the articles discovery listed."""
        wanted = self.wanted(url, lastmod, force=probe, doc=None if probe else doc)
        if not wanted:
            return False
        priority = -next(self._order) if probe else article_priority(lastmod)
        heapq.heappush(self._heap, (-priority, next(self._order), *wanted, lastmod, doc))
        if doc is not None:
            doc.outstanding += 1
        return True

    def pop(self) -> tuple[str, str, datetime | None, Document | None]:
        """The newest waiting article: (URL, id, lastmod, document)."""
        return heapq.heappop(self._heap)[2:]

    def wanted(self, url: str, lastmod: datetime | None, *, redirect_of: str | None = None,
               force: bool = False, doc: Document | None = None) -> tuple[str, str] | None:
        """The article at ``url`` as (canonical URL, id) if it is to be asked for: not when its id was seen in
        this run (one article under several addresses is one request) or (unless ``force``) the index says it
        is archived and unchanged. ``redirect_of``: the id of the article URL that redirected here (the same
        article may answer under its canonical address). ``doc``: the discovery document that listed it (kept
        in ``listed``, whether it is asked for or not)."""
        base_url, spec = self.config.base_url, self.config.spec
        canonical = canonicalize(url, base_url, spec)
        if not is_article_url(canonical, base_url, spec) or canonical in self.failed:
            return None
        aid = article_id(canonical, base_url, spec)
        if doc is not None:
            self.listed.append((aid, doc))
        if aid in self.seen:
            if aid != redirect_of and not _later(lastmod, self.known_skipped.get(aid, lastmod)):
                return None
            # or listed again with a later date than the one it was skipped for (a feed's publication date,
            # then the sitemap's lastmod of an edit): decided again, whichever source answered first
        else:
            self.seen.add(aid)
            self.count(Count.DISCOVERED)
            if self.ids is not None:
                self.ids.saw(canonical)
        decision = Decision.FETCH if force else self.freshness.decide(aid, lastmod)
        if decision != Decision.FETCH:
            if aid not in self.known_skipped:
                self.count(PageOutcome.SKIPPED)
                if decision == Decision.NOT_ARTICLE:
                    self.count(Count.SKIPPED_NOT_ARTICLE)
            if decision == Decision.KNOWN:
                self.known_skipped[aid] = lastmod
            return None
        if not force:   # discovery showed it, kept only the first time (the record's first_seen_at); an id probe
            self.index.saw(aid, datetime.now(timezone.utc))  # asks for a number whether or not it is given yet
        if aid in self.known_skipped:                     # skipped on an earlier date, fetched after all
            del self.known_skipped[aid]
            self.count(PageOutcome.SKIPPED, -1)
        self.queued.add(aid)
        return canonical, aid

    @staticmethod
    def answered(doc: Document | None, *, lost: bool = False) -> None:
        """An article request of ``doc`` got its final answer (``lost``: it failed)."""
        if doc is not None:
            doc.outstanding -= 1
            doc.lost = doc.lost or lost
