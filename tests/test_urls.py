"""Canonical URLs and article ids: one article, one id, whatever address it came by."""
import hashlib

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
    a = article_id("https://www.elbalad.news/5634973", EB_BASE, EB)
    assert a == article_id("https://www.elbalad.news/5634973", EB_BASE, EB) and len(a) == 20
    assert a != article_id("https://www.elbalad.news/5634974", EB_BASE, EB)


def test_article_id_is_the_hash_of_site_key_and_native_number():
    expected = hashlib.sha256(b"rt_arabic/1234567").hexdigest()[:20]
    assert article_id("https://arabic.rt.com/world/1234567-x/", RT_BASE, RT) == expected
    assert article_id("https://www.elbalad.news/5634973", EB_BASE, EB) == hashlib.sha256(
        b"elbalad/5634973").hexdigest()[:20]


SLUG, OTHER_SLUG = "%D8%B3%D9%84%D8%A7%D9%85", "%D8%AD%D8%B1%D8%A8"
RT_ADDRESSES = [
    f"https://arabic.rt.com/world/1234567-{SLUG}/",
    f"https://arabic.rt.com/world/1234567-{OTHER_SLUG}/",           # headline edited, slug changed
    f"https://arabic.rt.com/middle_east/1234567-{SLUG}/",           # moved to another section
    "https://arabic.rt.com/news/1234567",                           # legacy form
    "https://arabic.rt.com/news/1234567/",
    f"https://arabic.rt.com/news/1234567-{SLUG}/",
    f"https://arabic.rt.com/world/1234567-{SLUG}/amp",              # AMP
    f"https://arabic.rt.com/world/1234567-{SLUG}/amp/",
    f"https://rtarabic.com/world/1234567-{SLUG}/",                  # host alias
    f"https://www.rtarabic.com/world/1234567-{OTHER_SLUG}/amp",
    f"http://www.arabic.rt.com:8443/world/1234567-{SLUG}/?utm_source=x&page=2",   # scheme, www, port, query
]


@pytest.mark.parametrize("url", RT_ADDRESSES)
def test_every_address_of_an_rt_article_gives_one_id(url):
    assert article_id(url, RT_BASE, RT) == article_id(RT_ADDRESSES[0], RT_BASE, RT)


def test_the_id_ignores_where_the_site_is_served():
    """The replica on any port, under either host name, gives the ids of the real site."""
    path = f"/world/1234567-{SLUG}/"
    expected = article_id(RT_BASE + path, RT_BASE, RT)
    for base in ("http://127.0.0.1:8800", "http://127.0.0.1:9911", "http://localhost:8800"):
        assert article_id(base + path, base, RT) == expected
        assert is_article_url(canonicalize(base + path, base, RT), base, RT)
    assert article_id("http://localhost:1/5634973", "http://localhost:1", EB) == article_id(
        "https://elbalad.news/5634973/", EB_BASE, EB)


def test_host_aliases_are_the_same_site():
    assert canonicalize(f"https://rtarabic.com/world/1234567-{SLUG}/amp", RT_BASE, RT) == RT_ADDRESSES[0]
    assert is_article_url("https://www.rtarabic.com/world/1234567-x/", RT_BASE, RT)
    # the site's own host is the same site when the base URL points elsewhere (a mirror, the replica)
    assert is_article_url("https://arabic.rt.com/world/1234567-x/", "http://127.0.0.1:8800", RT)
    assert not is_article_url("https://rt.com/world/1234567-x/", RT_BASE, RT)


def test_another_port_on_the_base_host_is_another_site():
    """The replica serves both sites on one host: a port named on both sides must match."""
    assert not is_article_url("http://127.0.0.1:8801/5634973", "http://127.0.0.1:8800", EB)
    assert is_article_url("http://127.0.0.1/5634973", "http://127.0.0.1:8800", EB)


def test_different_articles_get_different_ids():
    ids = {article_id(u, RT_BASE, RT) for u in ("/world/1234567-x/", "/world/1234568-x/", "/news/7654321")}
    ids |= {article_id("/1234567", EB_BASE, EB)}              # the same number on another site
    assert len(ids) == 4


def test_a_path_without_an_article_number_falls_back_to_the_path_not_the_host():
    from dataclasses import replace

    toy = replace(EB, key="toy", native_id=None, id_url=None,    # no article numbers: nothing to probe either
                  article_path=__import__("re").compile(r"/story/[a-z-]+/?"))
    a = article_id("https://www.elbalad.news/story/hello-world", EB_BASE, toy)
    assert a == hashlib.sha256(b"toy/story/hello-world").hexdigest()[:20]
    assert a == article_id("http://127.0.0.1:9/story/hello-world?x=1#y", "http://127.0.0.1:9", toy)
    assert a != article_id("https://www.elbalad.news/story/other", EB_BASE, toy)


@pytest.mark.parametrize("variant", ["/news/1234567", "/news/1234567/", "/news/1234567/amp", "/news/1234567?x=1"])
def test_rt_legacy_form_stays_slashless(variant):
    """RT answers /news/<id> (and redirects it); /news/<id>/ is not a form it knows."""
    assert canonicalize(variant, RT_BASE, RT) == "https://arabic.rt.com/news/1234567"


def test_a_number_written_with_leading_zeros_is_the_same_article():
    assert (article_id("https://arabic.rt.com/world/02412345-x/", RT_BASE, RT)
            == article_id("https://arabic.rt.com/world/2412345-x/", RT_BASE, RT))
    assert article_id("https://www.elbalad.news/0563497", EB_BASE, EB) == article_id(
        "https://www.elbalad.news/563497", EB_BASE, EB)
    assert article_id("https://arabic.rt.com/world/2412345-x/", RT_BASE, RT) != article_id(
        "https://arabic.rt.com/world/24123450-x/", RT_BASE, RT)


def test_a_site_cannot_declare_an_id_url_its_article_numbers_do_not_read():
    from dataclasses import replace

    with pytest.raises(ValueError, match="site toy: id_url '/story/{id}' must hold {id} and be an article path"):
        replace(EB, key="toy", id_url="/story/{id}")
    with pytest.raises(ValueError, match="id_url '/news/' must hold {id}"):
        replace(EB, key="toy", id_url="/news/")
