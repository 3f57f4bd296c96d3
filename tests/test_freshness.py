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


@pytest.mark.parametrize("lastmod, decision", [
    ("2026-11-23T07:00+00:00", "fetch"),        # stamped with the minute of our fetch (07:00:00): maybe after it
    ("2026-11-23T07:00:00+00:00", "fetch"),     # the same second
    ("2026-11-23T06:59:59+00:00", "known"),     # the second before
    ("2026-11-23T06:59+00:00", "known"),        # the minute before
    ("2026-11-23T07:00:00.000+00:00", "known"), # to the millisecond: not later
    ("Mon, 23 Nov 2026 07:00 GMT", "fetch"),    # a feed's date without seconds
    ("Mon, 23 Nov 2026 06:59:59 GMT", "known"),
    ("2026-11-23", "known"),                    # a day alone: taken as written (its start), not its end
])
def test_a_lastmod_is_read_to_its_last_instant(policy, lastmod, decision):
    """An edit in the same minute (or second) as our fetch is stamped with that minute: the lastmod a feed or
    sitemap writes to the minute covers the whole minute, so it is not 'before the fetch'."""
    from crawler.dates import parse_feed_date

    assert policy.decide("a" * 20, parse_feed_date(lastmod, latest=True)) == decision
