"""Canonical URLs: one article is one URL, one id."""
import pytest

from crawler.sites import SITES
from crawler.urls import article_id, canonicalize, is_article_url

RT, EB = SITES["rt_arabic"], SITES["elbalad"]
RT_BASE, EB_BASE = "https://arabic.rt.com", "https://www.elbalad.news"


@pytest.mark.parametrize("variant", [
    "https://arabic.rt.com/world/1234567-سلام/",
    "https://arabic.rt.com/world/1234567-%D8%B3%D9%84%D8%A7%D9%85/?utm_source=facebook&utm_medium=social",
    "http://arabic.rt.com/world/1234567-%d8%b3%d9%84%d8%a7%d9%85/#comments",
    "/world/1234567-%D8%B3%D9%84%D8%A7%D9%85/amp",
    "https://www.arabic.rt.com/world/1234567-%D8%B3%D9%84%D8%A7%D9%85",
])
def test_rt_variants_share_one_canonical_url(variant):
    assert canonicalize(variant, RT_BASE, RT) == "https://arabic.rt.com/world/1234567-%D8%B3%D9%84%D8%A7%D9%85/"


@pytest.mark.parametrize("variant", ["/5634973", "/5634973/", "https://elbalad.news/5634973?utm_campaign=x",
                                     "http://www.elbalad.news/5634973#top"])
def test_elbalad_variants_share_one_canonical_url(variant):
    assert canonicalize(variant, EB_BASE, EB) == "https://www.elbalad.news/5634973"


def test_base_url_moves_the_site():
    assert canonicalize("/5634973", "http://127.0.0.1:8801", EB) == "http://127.0.0.1:8801/5634973"
    assert is_article_url("http://127.0.0.1:8801/5634973", "http://127.0.0.1:8801", EB)


@pytest.mark.parametrize("url, site, base, expected", [
    ("https://arabic.rt.com/prg/telecast/123456-x/", RT, RT_BASE, False),
    ("https://arabic.rt.com/listing/trend.abc/noprepare/trend/10/1", RT, RT_BASE, False),
    ("https://arabic.rt.com/sport/123456-x/", RT, RT_BASE, True),
    ("https://example.com/sport/123456-x/", RT, RT_BASE, False),
    ("https://www.elbalad.news/category/2", EB, EB_BASE, False),
    ("https://www.elbalad.news/12345", EB, EB_BASE, False),
])
def test_only_article_urls_pass(url, site, base, expected):
    assert is_article_url(url, base, site) is expected


def test_query_of_non_article_pages_is_kept_but_tracking_goes():
    assert canonicalize("/category/2?page=3&utm_source=x", EB_BASE, EB) == "https://www.elbalad.news/category/2?page=3"


def test_article_id_is_stable_and_short():
    a = article_id("https://www.elbalad.news/5634973")
    assert a == article_id("https://www.elbalad.news/5634973") and len(a) == 20
    assert a != article_id("https://www.elbalad.news/5634974")
