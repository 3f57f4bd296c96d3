"""Which discovered article URLs are worth fetching: the incremental policy."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from crawler.archive.state.index import ArticleIndex
from crawler.dates import sane
from crawler.outcomes import NotArticle
from crawler.sites import SITES

log = logging.getLogger("arshif.freshness")


class Decision(StrEnum):
    FETCH = "fetch"
    KNOWN = "known"      # archived and not changed since
    OLD = "old"          # older than the look-back window
    NOT_ARTICLE = "not_article"   # found not to be an article (or a 404) recently


class FreshnessPolicy:
    """``decide(article_id, lastmod)`` → a :class:`Decision`: fetch it, or skip it (known, old, or found not
    to be an article or a 404 less than ``recheck_not_article`` seconds ago, 0 = always fetch again; or found
    not to be the article for now — a challenge page, a garbled text — and not yet due again)."""

    def __init__(self, index: ArticleIndex, lookback_days: float, now: datetime | None = None,
                 recheck_not_article: float = 0):
        self.index = index
        now = self.now = now or datetime.now(timezone.utc)
        self.horizon = now - timedelta(days=lookback_days)
        self.recheck_since = now - timedelta(seconds=recheck_not_article) if recheck_not_article else None
        site = SITES.get(index.site)
        self.published_since = site.published_since if site else None
        self.out_of_range = 0           # sitemap / feed dates read as undated (said once per run)

    def decide(self, article_id: str, lastmod: datetime | None) -> Decision:
        lastmod = self.sane(lastmod)
        known = self.index.get(article_id)
        if known is not None:
            if lastmod is None or lastmod <= known.fetched_at:
                return Decision.KNOWN
            return Decision.FETCH
        if lastmod is not None and lastmod < self.horizon:
            return Decision.OLD
        if self._still_not_article(article_id, lastmod):
            return Decision.NOT_ARTICLE
        return Decision.FETCH

    def sane(self, lastmod: datetime | None) -> datetime | None:
        """``lastmod``, or None when the site cannot have that date (``crawler.dates.sane``): a lastmod of 2099
        would have the article fetched again on every run, one of year 1 would have it skipped as too old."""
        if sane(lastmod, self.published_since, self.now):
            return lastmod
        if not self.out_of_range:
            log.warning("%s: a sitemap or feed date out of range (%s), read as undated (said once per run)",
                        self.index.site, lastmod.isoformat())
        self.out_of_range += 1
        return None

    def _still_not_article(self, article_id: str, lastmod: datetime | None) -> bool:
        """Found no article recently enough to skip: a permanent answer (a 404, a video page) less than
        ``recheck_not_article`` ago, a transient one (a challenge page, a garbled text) before its retry time;
        neither when the page's date moved since (a stub that became an article)."""
        memory = self.index.not_article(article_id)
        if memory is None or (lastmod is not None and lastmod > memory.checked_at):
            return False
        if self.recheck_since is None or memory.checked_at < self.recheck_since:
            return False            # a transient answer never waits longer than a permanent one
        if NotArticle(memory.reason).transient:
            return memory.retry_at is not None and memory.retry_at > self.now
        return True
