"""Which discovered article URLs are worth fetching: the incremental policy."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum

from crawler.archive.index import ArticleIndex


class Decision(StrEnum):
    FETCH = "fetch"
    KNOWN = "known"      # archived and not changed since
    OLD = "old"          # older than the look-back window
    NOT_ARTICLE = "not_article"   # found not to be an article (or a 404) recently


class FreshnessPolicy:
    """``decide(article_id, lastmod)`` → a :class:`Decision`: fetch it, or skip it (known, old, or found not
    to be an article or a 404 less than ``recheck_not_article`` seconds ago; 0 = always fetch again)."""

    def __init__(self, index: ArticleIndex, lookback_days: float, now: datetime | None = None,
                 recheck_not_article: float = 0):
        self.index = index
        now = now or datetime.now(timezone.utc)
        self.horizon = now - timedelta(days=lookback_days)
        self.recheck_since = now - timedelta(seconds=recheck_not_article) if recheck_not_article else None

    def decide(self, article_id: str, lastmod: datetime | None) -> Decision:
        known = self.index.get(article_id)
        if known is not None:
            if lastmod is None or lastmod <= known.fetched_at:
                return Decision.KNOWN
            return Decision.FETCH
        if lastmod is not None and lastmod < self.horizon:
            return Decision.OLD
        if self.recheck_since is not None and self.index.not_article(article_id, self.recheck_since):
            return Decision.NOT_ARTICLE
        return Decision.FETCH
