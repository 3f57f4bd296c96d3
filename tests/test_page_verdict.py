"""What one page may be and cost (issue 20): a page standing in for the article (challenge, access denied,
paywall stub), a page naming another article as itself, markup nested past libxml2's default depth, a page of
200,000 links, dates a site cannot have. The extractor's own function on replica pages with the replica's
faults (replica/faults.py); whole crawls of the same faults: tests/reliability/test_page_faults.py."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import urllib.request
from datetime import datetime, timezone

import pytest

from crawler.archive.state.index import ArticleIndex
from crawler.archive.storage.keys import utc_date
from crawler.extract.page import extract
from crawler.extract.verdict import PageVerdict
from crawler.outcomes import NotArticle
from replica import ReplicaServer

SITE = "elbalad"


@pytest.fixture(scope="module")
def replica():
    with ReplicaServer() as server:
        yield server


def page(replica, kind: str | None = None, **params) -> tuple[bytes, str, object]:
    """The body of an El Balad article page (with the fault ``kind`` on it), its URL and its replica article."""
    base = replica.base_urls[SITE]
    article = next(a for a in replica.articles(SITE) if a.kind == "article")
    replica.clear_faults()
    if kind:
        replica.inject(kind, article.url_path, site=SITE, **params)
    try:
        with urllib.request.urlopen(article.url(base)) as response:
            return response.read(), article.url(base), article
    finally:
        replica.clear_faults()


def run_extract(replica, body: bytes, url: str, findings=None):
    return extract(body, url, SITE, base_url=replica.base_urls[SITE], findings=findings,
                   fetched_at=datetime(2026, 12, 7, 12, tzinfo=timezone.utc))


@pytest.mark.parametrize("kind, reason", [("challenge", "challenge"), ("access_denied", "access_denied"),
                                          ("paywall", "paywall"), ("utf8_twice", "garbled_text")])
def test_a_page_standing_in_for_the_article_is_no_article_for_now(replica, kind, reason):
    body, url, _ = page(replica, kind)
    result = run_extract(replica, body, url)
    assert result == NotArticle(reason)
    assert result.transient and result.rejected


def test_a_headline_with_denial_words_is_an_article(replica):
    body, url, article = page(replica)
    headline = "تم رفض الوصول إلى المساعدات في غزة"
    body = body.decode("utf-8").replace(article.title, headline).encode("utf-8")
    assert run_extract(replica, body, url)["title"] == headline


def test_a_part_marked_non_paywall_is_no_paywall_marker(replica):
    """Google's example marks the free part ``non-paywall``: a stub with such a lead is still a stub."""
    body, url, _ = page(replica, "paywall")
    html = body.decode("utf-8").replace('<div class="paragraph-list">', '<div class="paragraph-list non-paywall">', 1)
    assert run_extract(replica, html.encode("utf-8"), url) == NotArticle("paywall")


def test_a_paywalled_text_served_whole_is_the_article(replica):
    """Google's structured data for paywalled content wraps the text a site serves crawlers in the marked
    element: the text is there, the page is the article."""
    body, url, article = page(replica)
    html = body.decode("utf-8").replace('<div class="paragraph-list">', '<div class="paragraph-list paywall">', 1)
    result = run_extract(replica, html.encode("utf-8"), url)
    assert isinstance(result, dict) and result["title"] == article.title


def test_the_identity_is_the_url_fetched_not_a_canonical_naming_another_article(replica):
    body, url, _ = page(replica, "canonical_other")
    findings: dict[str, str] = {}
    record = run_extract(replica, body, url, findings)
    plain = run_extract(replica, page(replica)[0], url)
    assert record["id"] == plain["id"] and record["canonical_url"] == url
    assert findings["canonical_elsewhere"] != url


def test_a_text_shared_across_ids_in_a_run_is_rejected_for_the_second():
    verdict = PageVerdict()
    first = {"id": "a" * 20, "content_sha256": "0" * 64}
    assert verdict.judge(first, "a" * 20) is None
    assert verdict.judge(first, "a" * 20) is None                                   # the same article again
    assert verdict.judge({"id": "b" * 20, "content_sha256": "0" * 64}, "b" * 20) == NotArticle("shared_text")
    assert verdict.judge({"id": "c" * 20, "content_sha256": "1" * 64}, "d" * 20) == NotArticle("not_requested")


def test_a_text_another_archived_article_has_is_rejected_but_not_the_article_itself(tmp_path):
    index = ArticleIndex(tmp_path / "i.sqlite", SITE)
    index.record({"id": "a" * 20, "canonical_url": "u", "content_sha256": "0" * 64, "version": 1,
                  "fetched_at": "2026-12-07T12:00:00+00:00"}, "k")
    verdict = PageVerdict(index.other_holder)
    assert verdict.judge({"id": "b" * 20, "content_sha256": "0" * 64}, "b" * 20) == NotArticle("shared_text")
    assert verdict.judge({"id": "a" * 20, "content_sha256": "0" * 64}, "a" * 20) is None       # seen again
    assert verdict.judge({"id": "c" * 20, "content_sha256": "1" * 64}, "c" * 20) is None


@pytest.mark.parametrize("depth", [240, 260, 1000])
def test_markup_nested_past_libxml2s_default_depth_still_gives_the_article(replica, depth):
    body, url, article = page(replica, "deep_markup", depth=depth)
    result = run_extract(replica, body, url)
    assert isinstance(result, dict) and result["title"] == article.title, result


def test_markup_past_the_huge_depth_is_said_not_cut(replica):
    body, url, _ = page(replica, "deep_markup", depth=3000)
    assert run_extract(replica, body, url) == NotArticle("markup_too_deep")


def test_link_lists_are_removed_and_counted_but_the_articles_links_stay(replica):
    body, url, _ = page(replica, "link_farm", count=20_000)
    result = run_extract(replica, body, url)
    plain = run_extract(replica, page(replica)[0], url)
    assert result["extractor"]["notes"] == {**plain["extractor"]["notes"], "link_lists_removed": 1}
    assert result["text"] == plain["text"]


def test_a_page_of_200000_links_costs_a_worker_little_memory(replica, tmp_path):
    """The page of issue 20 (200,000 links, ~9 MB) cost ~1.2 GB of peak memory to extract (57 s); measured in
    a process of its own (its peak RSS, not a time)."""
    body, url, article = page(replica, "link_farm", count=200_000)
    (tmp_path / "page.html").write_bytes(body)
    script = textwrap.dedent(f"""
        import resource, sys
        from crawler.extract.page import extract
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        record = extract(open(sys.argv[1], "rb").read(), {url!r}, "elbalad", base_url={replica.base_urls[SITE]!r})
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(record["title"] if isinstance(record, dict) else record)
        print((after - before) // 1024)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "page.html")], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    title, grown = done.stdout.splitlines()
    assert len(body) > 7_000_000 and title == article.title
    assert int(grown) < 400, f"extraction grew the process by {grown} MB"


@pytest.mark.parametrize("year", [1, 999, 1985])
def test_a_date_the_site_cannot_have_is_no_date_and_noted(replica, year):
    body, url, _ = page(replica, "bad_date", year=year)
    record = run_extract(replica, body, url)
    assert record["published_at"] is None and record["extractor"]["notes"]["date_out_of_range"] >= 1


def test_a_date_after_the_fetch_is_no_date(replica):
    body, url, _ = page(replica, "bad_date", year=2099)
    assert run_extract(replica, body, url)["published_at"] is None


@pytest.mark.parametrize("published, key", [("0001-12-05T17:20:00+02:00", "2026-12-07"),    # before datetime.min
                                            ("0999-05-05T00:00:00+03:00", "2026-12-07"),    # no four digits
                                            ("2026-12-05T23:20:00-02:00", "2026-12-06"), (None, "2026-12-07")])
def test_the_key_date_never_raises_nor_leaves_four_digits(published, key):
    assert utc_date(published, datetime(2026, 12, 7, 12, tzinfo=timezone.utc)) == key
