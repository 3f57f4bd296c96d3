"""The incremental policy: what a discovered URL costs depends on what the archive already holds."""
from datetime import datetime, timedelta, timezone

import pytest

from crawler.archive.index import ArticleIndex
from crawler.discover.freshness import FreshnessPolicy

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
FETCHED = NOW - timedelta(hours=5)


@pytest.fixture
def policy(tmp_path):
    index = ArticleIndex(tmp_path / "i.sqlite", "elbalad")
    index.record({"id": "a" * 20, "canonical_url": "u", "content_sha256": "0" * 64, "version": 1,
                  "fetched_at": FETCHED.isoformat()}, "k")
    return FreshnessPolicy(index, lookback_days=3, now=NOW)


@pytest.mark.parametrize("article, lastmod, decision", [
    ("a" * 20, None, "known"),                                  # archived, no sign of change
    ("a" * 20, FETCHED - timedelta(hours=1), "known"),          # changed before we fetched it
    ("a" * 20, FETCHED + timedelta(minutes=1), "fetch"),        # edited since: a new version may be there
    ("b" * 20, None, "fetch"),                                  # new, undated
    ("b" * 20, NOW - timedelta(days=1), "fetch"),               # new, inside the look-back window
    ("b" * 20, NOW - timedelta(days=4), "old"),                 # new but older than the window
])
def test_decisions(policy, article, lastmod, decision):
    assert policy.decide(article, lastmod) == decision
