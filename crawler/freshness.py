"""Which discovered article URLs are worth fetching: the incremental policy."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum

from .state import ArticleIndex


class Decision(StrEnum):
    FETCH = "fetch"
    KNOWN = "known"      # archived and not changed since
    OLD = "old"          # older than the look-back window


class FreshnessPolicy:
    """``decide(article_id, lastmod)`` → a :class:`Decision`: fetch it, or skip it (known, or old)."""

    def __init__(self, index: ArticleIndex, lookback_days: float, now: datetime | None = None):
        self.index = index
        self.horizon = (now or datetime.now(timezone.utc)) - timedelta(days=lookback_days)

    def decide(self, article_id: str, lastmod: datetime | None) -> Decision:
        known = self.index.get(article_id)
        if known is not None:
            if lastmod is None or lastmod <= known.fetched_at:
                return Decision.KNOWN
            return Decision.FETCH
        if lastmod is not None and lastmod < self.horizon:
            return Decision.OLD
        return Decision.FETCH
