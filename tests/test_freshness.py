"""The incremental policy: what a discovered URL costs depends on what the archive already holds."""
from datetime import datetime, timedelta, timezone

import pytest

from crawler.archive.state.index import ArticleIndex
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


# -- pages that answered no article: what cannot change is remembered long, what can is retried on a backoff --

def _policy(index, now, recheck=7 * 86400):
    return FreshnessPolicy(index, lookback_days=3, now=now, recheck_not_article=recheck)


def _backoff(answer, attempts: int) -> timedelta:     # as SiteConfig.transient_backoff with recheck_transient = 1h
    return timedelta(hours=2 ** (attempts - 1) - (1 if answer.rejected else 0))


def test_a_permanent_answer_is_remembered_for_recheck_not_article(tmp_path):
    index = ArticleIndex(tmp_path / "i.sqlite", "elbalad")
    index.remember_not_articles({"v" * 20: "widget_only", "g" * 20: "HTTP 404"}, NOW, _backoff)
    assert _policy(index, NOW + timedelta(days=6)).decide("v" * 20, None) == "not_article"
    assert _policy(index, NOW + timedelta(days=6)).decide("g" * 20, None) == "not_article"
    assert _policy(index, NOW + timedelta(days=8)).decide("v" * 20, None) == "fetch"
    # a sitemap date after the check: the page changed (a stub that became an article)
    assert _policy(index, NOW + timedelta(days=1)).decide("v" * 20, NOW + timedelta(hours=1)) == "fetch"


@pytest.mark.parametrize("reason", ["challenge", "access_denied", "paywall", "garbled_text", "shared_text"])
def test_a_stand_in_is_fetched_again_by_the_next_run_then_on_a_backoff(tmp_path, reason):
    index = ArticleIndex(tmp_path / "i.sqlite", "elbalad")
    aid = "c" * 20
    index.remember_not_articles({aid: reason}, NOW, _backoff)
    assert _policy(index, NOW + timedelta(minutes=30)).decide(aid, None) == "fetch"    # the next run: at once
    index.remember_not_articles({aid: reason}, NOW + timedelta(hours=1), _backoff)      # again: wait 1 h
    assert _policy(index, NOW + timedelta(hours=1, minutes=30)).decide(aid, None) == "not_article"
    assert _policy(index, NOW + timedelta(hours=2, minutes=1)).decide(aid, None) == "fetch"
    index.remember_not_articles({aid: reason}, NOW + timedelta(hours=3), _backoff)      # a third time: 3 h
    assert index.not_article(aid).attempts == 3
    assert _policy(index, NOW + timedelta(hours=5)).decide(aid, None) == "not_article"
    assert _policy(index, NOW + timedelta(hours=6, minutes=1)).decide(aid, None) == "fetch"
    index.remember_not_articles({aid: "widget_only"}, NOW + timedelta(hours=7), _backoff)   # now a video page
    assert index.not_article(aid).attempts == 1


@pytest.mark.parametrize("reason", ["no_article_body", "no_title", "markup_too_deep"])
def test_a_page_without_its_body_is_fetched_again_after_the_backoff(tmp_path, reason):
    index = ArticleIndex(tmp_path / "i.sqlite", "elbalad")
    aid = "c" * 20
    index.remember_not_articles({aid: reason}, NOW, _backoff)
    assert _policy(index, NOW + timedelta(minutes=30)).decide(aid, None) == "not_article"      # a video page?
    assert _policy(index, NOW + timedelta(minutes=61)).decide(aid, None) == "fetch"
    index.remember_not_articles({aid: reason}, NOW + timedelta(hours=2), _backoff)
    assert _policy(index, NOW + timedelta(hours=3, minutes=59)).decide(aid, None) == "not_article"
    assert _policy(index, NOW + timedelta(hours=4, minutes=1)).decide(aid, None) == "fetch"
    # never longer than a permanent answer waits (recheck_not_article), nor at all with 0
    assert _policy(index, NOW + timedelta(hours=3), recheck=1800).decide(aid, None) == "fetch"
    assert _policy(index, NOW + timedelta(hours=3), recheck=0).decide(aid, None) == "fetch"


def test_an_index_of_before_the_backoff_retries_its_transient_answers(tmp_path):
    import sqlite3

    path = tmp_path / "i.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE not_articles (id TEXT PRIMARY KEY, reason TEXT NOT NULL, checked_at TEXT NOT NULL)")
    db.executemany("INSERT INTO not_articles VALUES (?,?,?)",
                   [("c" * 20, "garbled_text", NOW.isoformat()), ("v" * 20, "widget_only", NOW.isoformat())])
    db.commit()
    db.close()
    index = ArticleIndex(path, "elbalad")
    assert _policy(index, NOW + timedelta(hours=1)).decide("c" * 20, None) == "fetch"
    assert _policy(index, NOW + timedelta(hours=1)).decide("v" * 20, None) == "not_article"


@pytest.mark.parametrize("lastmod", [datetime(2099, 1, 1, tzinfo=timezone.utc), NOW + timedelta(days=2),
                                     datetime(1, 1, 1, tzinfo=timezone.utc), datetime(1985, 1, 1, tzinfo=timezone.utc)])
def test_a_date_the_site_cannot_have_is_no_date(policy, lastmod):
    assert policy.decide("a" * 20, lastmod) == "known"      # not fetched again on every run
    assert policy.decide("b" * 20, lastmod) == "fetch"      # nor skipped as older than the look-back


def test_rt_arabic_dates_start_with_the_site(tmp_path):
    policy = FreshnessPolicy(ArticleIndex(tmp_path / "i.sqlite", "rt_arabic"), lookback_days=10_000, now=NOW)
    assert policy.sane(datetime(2007, 5, 3, tzinfo=timezone.utc)) is None
    assert policy.sane(datetime(2007, 5, 5, tzinfo=timezone.utc)) is not None
