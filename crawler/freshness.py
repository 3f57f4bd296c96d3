"""Which discovered article URLs are worth fetching: the incremental policy."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .state import ArticleIndex


class FreshnessPolicy:
    """``decide(article_id, lastmod)`` → ``"fetch"``, ``"known"`` (archived and not changed since) or
    ``"old"`` (older than the look-back window)."""

    def __init__(self, index: ArticleIndex, lookback_days: float, now: datetime | None = None):
        self.index = index
        self.horizon = (now or datetime.now(timezone.utc)) - timedelta(days=lookback_days)

    def decide(self, article_id: str, lastmod: datetime | None) -> str:
        known = self.index.get(article_id)
        if known is not None:
            if lastmod is None or lastmod <= known.fetched_at:
                return "known"
            return "fetch"
        if lastmod is not None and lastmod < self.horizon:
            return "old"
        return "fetch"
