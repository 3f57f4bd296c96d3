"""The local replica of RT Arabic and Sada El Balad (replica/): corpus, pages, discovery, controls."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from lxml import etree

from crawler.sites import get_site
from crawler.urls import canonicalize, is_article_url
from replica import KINDS, ReplicaServer, build
from replica import render_elbalad, render_rt_arabic
from replica.arabic_dates import long_date
from tests.waiting import wait_until

SITES = ("rt_arabic", "elbalad")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "news": "http://www.google.com/schemas/sitemap-news/0.9"}
RENDER = {"rt_arabic": render_rt_arabic, "elbalad": render_elbalad}
BODY_XPATH = {"rt_arabic": "//div[contains(@class, 'js-mediator-article')]",
              "elbalad": "//article//div[contains(@class, 'paragraph-list')]"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, timeout: float = 5):
    """(status, headers, body) without following redirects."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page_text(url: str) -> tuple[int, str]:
    status, headers, body = fetch(url)
    return status, body.decode(headers.get_content_charset() or "utf-8")


def control(base_url: str, name: str, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, _, body = fetch(f"{base_url}/__replica__/{name}?{query}")
    assert status == 200, body
    return json.loads(body)


@pytest.fixture(scope="module")
def replica():
    with ReplicaServer(now=NOW) as server:
        yield server


@pytest.fixture
def fresh():
    """A replica of its own, for tests that change it."""
    with ReplicaServer() as server:
        yield server


def rss_links(base_url: str, path: str) -> list[etree._Element]:
    status, _, body = fetch(base_url + path)
    assert status == 200
    return etree.fromstring(body).findall("channel/item")


def sitemap_urls(base_url: str, url: str) -> list[etree._Element]:
    """Every <url> of a sitemap, following an index."""
    status, _, body = fetch(url)
    assert status == 200, url
    root = etree.fromstring(body)
    if root.tag == f"{{{NS['sm']}}}sitemapindex":
        return [u for loc in root.findall("sm:sitemap/sm:loc", NS) for u in sitemap_urls(base_url, loc.text)]
    return root.findall("sm:url", NS)


def robots_sitemaps(base_url: str) -> list[str]:
    _, text = page_text(base_url + "/robots.txt")
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Sitemap:")]


def listing_links(base_url: str, site: str) -> list[str]:
    """Every link of the site's listings (as settings.toml names them), following pagination."""
    starts = {"rt_arabic": [render_rt_arabic.LISTING_PAGE.format(page=0)],
              "elbalad": [f"/category/{c}" for c in ("2", "5", "6", "9")]}[site]
    link_xpath = {"rt_arabic": "//a[contains(@class, 'heading')]/@href",
                  "elbalad": "//*[contains(@class, 'news-list')]/*[contains(@class, 'item-li')]//a/@href"}[site]
    links = []
    for start in starts:
        url = base_url + start
        page = 0
        while url:
            status, text = page_text(url)
            if site == "rt_arabic" and page and status == 404:     # RT's pages: numbered from 0, to the last
                break
            assert status == 200, url
            doc = lxml.html.fromstring(text)
            hrefs = doc.xpath(link_xpath)
            assert hrefs and all(not h.startswith("http") for h in hrefs), url   # relative links
            links += [urljoin(url, h) for h in hrefs]
            page += 1
            if site == "rt_arabic":
                url = base_url + render_rt_arabic.LISTING_PAGE.format(page=page)
                continue
            following = doc.xpath("//a[@rel='next']/@href")
            url = urljoin(url, following[0]) if following else None
    return links


def discovered(replica: ReplicaServer, site: str) -> dict[str, set[str]]:
    """Canonical URLs each discovery source lists."""
    base = replica.base_urls[site]
    spec = get_site(site)
    feed = {"rt_arabic": "/rss/", "elbalad": "/rss.aspx"}[site]
    sources = {
        "rss": [i.findtext("link") for i in rss_links(base, feed)],
        "sitemaps": [u.findtext("sm:loc", namespaces=NS) for s in robots_sitemaps(base) for u in sitemap_urls(base, s)],
        "listings": listing_links(base, site),
    }
    return {name: {canonicalize(u, base, spec) for u in urls} for name, urls in sources.items()}


# --- corpus ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("site", SITES)
def test_corpus_is_large_varied_and_deterministic(site):
    articles = build(site, NOW)
    assert articles == build(site, NOW)
    news = [a for a in articles if a.kind != "not_article"]
    assert len(news) >= 40
    assert len({a.section for a in news}) >= 4
    assert {a.kind for a in articles} == set(KINDS)
    assert len({a.title for a in articles}) == len(articles)
    assert len({a.gold_text for a in news}) == len(news)
    assert len({a.article_id for a in articles}) == len(articles)
    for article in news:
        assert 3 <= len(article.paragraphs) <= 10
        lead = [article.lead] if article.lead and article.shape != "lead_restated" else []   # kept once: the longer
        assert article.gold_text == "\n".join(lead + list(article.paragraphs))
        assert article.title not in article.gold_text
        assert not set("<>&") & set(article.gold_text)
        if article.kind != "no_date":
            assert NOW - timedelta(hours=48) <= article.published <= article.modified <= NOW
            assert article.published.utcoffset() is not None
    assert not any(a.gold_text for a in articles if a.kind == "not_article")
    assert any(a.authors for a in news) and any(not a.authors for a in news)
    # cleaners that drop every line mentioning these words would lose article text
    lines = [line for a in news for line in a.gold_text.split("\n")]
    assert any("المصدر" in line and not line.startswith("المصدر:") for line in lines)
    for mark in "«،؛؟\"":
        assert any(mark in line for line in lines), mark
    assert any(any("\u064b" <= ch <= "\u0652" for ch in line) for line in lines)   # diacritics
    if site == "elbalad":
        assert any("صدى البلد" in line for line in lines)
    assert any("اقرأ" in line for site_ in SITES for a in build(site_, NOW) for line in a.paragraphs)


def test_corpus_follows_now():
    later = NOW + timedelta(days=3)
    for before, after in zip(build("elbalad", NOW), build("elbalad", later)):
        assert after.gold_text == before.gold_text
        if before.published:
            assert after.published - before.published == timedelta(days=3)
    with pytest.raises(ValueError):
        build("rt_arabic", datetime(2026, 11, 23))


# --- server and pages ------------------------------------------------------------------------------------------

def test_keep_alive_serves_many_requests_on_one_connection_until_stopped():
    server = ReplicaServer(now=NOW).start()          # keep-alive by default, as the real sites
    try:
        host, port = urlsplit(server.base_urls["rt_arabic"]).netloc.split(":")
        article = server.articles("rt_arabic")[0]
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        for path in ("/robots.txt", article.url_path, article.url_path):
            connection.request("GET", path)
            response = connection.getresponse()
            assert response.status == 200 and response.version == 11 and response.read()
            assert response.getheader("Connection") != "close"
        first_socket = connection.sock
        connection.request("GET", "/robots.txt")
        connection.getresponse().read()
        assert connection.sock is first_socket          # the same TCP connection all along
    finally:
        server.stop()
    connection.request("GET", "/robots.txt")          # a stopped site hangs up its kept-alive connections too
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    assert server.connections("rt_arabic") == 1
    # keep_alive=False: every answer closes its connection
    with ReplicaServer(now=NOW, keep_alive=False) as plain:
        host, port = urlsplit(plain.base_urls["rt_arabic"]).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        connection.request("GET", "/robots.txt")
        response = connection.getresponse()
        assert response.version == 10 and response.read()
        assert response.will_close


def test_starts_on_ephemeral_ports():
    with ReplicaServer() as server:
        ports = {urlsplit(url).port for url in server.base_urls.values()}
        assert len(ports) == 2 and all(url.startswith("http://127.0.0.1:") for url in server.base_urls.values())
        assert fetch(server.base_urls["rt_arabic"] + "/robots.txt")[0] == 200


@pytest.mark.parametrize("site", SITES)
def test_article_urls_match_the_crawlers_patterns(replica, site):
    base = replica.base_urls[site]
    spec = get_site(site)
    for article in replica.articles(site):
        url = article.url(base)
        assert is_article_url(url, base, spec) == (article.layout != "programme"), url
        assert canonicalize(url, base, spec) == url
        for variant in article.variants:
            assert canonicalize(base + variant, base, spec) == url


@pytest.mark.parametrize("site", SITES)
def test_article_pages_carry_their_gold_text(replica, site):
    base = replica.base_urls[site]
    for article in replica.articles(site):
        status, text = page_text(article.url(base))
        assert status == 200, article.url_path
        doc = lxml.html.fromstring(text)
        assert doc.get("lang") == "ar" and doc.get("dir") == "rtl"
        assert doc.xpath("//link[@rel='canonical']/@href") == [article.url(base)]
        assert article.title in doc.xpath("string(//title)")
        for line in article.gold_text.split("\n") if article.gold_text else ():
            assert line in text, (article.url_path, line)
        has_body = bool(doc.xpath(BODY_XPATH[site]))
        assert has_body == (article.kind != "not_article" or article.layout == "brief"), article.url_path


def test_rt_article_page_noise(replica):
    base = replica.base_urls["rt_arabic"]
    pages = [page_text(a.url(base))[1] for a in replica.articles("rt_arabic") if a.layout == "article"]
    everything = "\n".join(pages)
    for noise in ("مباشر", "أين يمكنك متابعتنا", "أقسام مهمة", "#اسأل_أكثر #Question_MoreRT STORIES", " خبر<",
                  "هذا الموقع يستخدم ملفات تعريف الارتباط", "تابعوا RT على", "read-more-big", "read-more-text-only",
                  "crosslinks__link", "rtcode", "twitter-tweet", "news-tags news-tags_article", 'name="mediator_author"',
                  'name="category"', 'name="publish-date"', 'name="published_time_telegram"', "application/ld+json",
                  "article__summary-title", "تشرين الثاني", "data-src="):
        assert noise in everything, noise
    for text in pages:
        body = lxml.html.fromstring(text).xpath(BODY_XPATH["rt_arabic"])[0]
        assert body.xpath("./p")[-1].text_content().startswith("المصدر:")
    assert any(s in everything for s in ("المصدر: نوفوستي", 'المصدر: "وفا"+RT', "المصدر: وكالات"))


def test_rt_repeats_the_lead_in_the_body_on_some_pages(replica):
    base = replica.base_urls["rt_arabic"]
    repeated = 0
    for article in replica.articles("rt_arabic"):
        if article.layout == "article" and article.lead:
            body = lxml.html.fromstring(page_text(article.url(base))[1]).xpath(BODY_XPATH["rt_arabic"])[0]
            repeated += body.xpath("string(./p[1])") == article.lead
    assert repeated >= 2


def test_elbalad_article_page_noise(replica):
    base = replica.base_urls["elbalad"]
    articles = [a for a in replica.articles("elbalad") if a.layout == "article"]
    pages = {a.article_id: page_text(a.url(base))[1] for a in articles}
    everything = "\n".join(pages.values())
    for noise in ("الإشراف العام", "إلهام أبو الفتح", "رئيس التحرير", "أحمــد صبـري", "طه جبريل", "عاجل",
                  "قناة صدى البلد", "Sada Elbalad english", "english", "شارك الخبر", "تابعنا", "كلمات دلالية",
                  "الكلمات المفتاحية", "لمزيد من التفاصيل", "أ ش أ", "اقرأ أيضا<", "اقرأ أيضاً", "اقرأ ايضا",
                  "إقرأ أيضا", "application/ld+json", 'property="article:published_time"', "تشرين الثاني"):
        assert noise in everything, noise
    own_title_in_ticker = 0
    for article in articles:
        if article.shape:
            continue                      # tests/test_replica_shapes.py
        doc = lxml.html.fromstring(pages[article.article_id])
        ticker = doc.xpath("//*[contains(@class, 'breaking-news')]//li")
        assert 11 <= len(ticker) <= 13
        own_title_in_ticker += any(li.text_content() == article.title for li in ticker)
        assert len(doc.xpath(f"//*[normalize-space()='{article.caption}']")) >= 2      # caption printed twice
        assert len(doc.xpath("//*[contains(@class, 'masthead')]//p[@class='role']")) in (2, 4)
        assert doc.xpath("//article//div[contains(@class, 'paragraph-list')]//h2")   # read-also inside the body
    assert own_title_in_ticker >= 2


def test_elbalad_dates(replica):
    """Local Cairo time in Arabic words on the page; some pages also say it with an offset, some do not."""
    base = replica.base_urls["elbalad"]
    styles = set()
    for article in replica.articles("elbalad"):
        if article.layout != "article" or article.kind == "no_date":
            continue
        text = page_text(article.url(base))[1]
        shown = lxml.html.fromstring(text).xpath("string(//article)")
        assert any(long_date(article.published, months=m) in shown for m in ("egyptian", "levantine"))
        styles.add("json_ld" if "datePublished" in text else "meta" if "article:published_time" in text else "none")
    assert styles == {"json_ld", "meta", "none"}


@pytest.mark.parametrize("site", SITES)
def test_cp1256_page_is_windows_1256(replica, site):
    base = replica.base_urls[site]
    article = next(a for a in replica.articles(site) if a.kind == "cp1256")
    status, headers, body = fetch(article.url(base))
    assert status == 200 and headers.get_content_charset() == "windows-1256"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1256")
    assert 'charset="windows-1256"' in text
    for paragraph in article.paragraphs:
        assert paragraph in text


@pytest.mark.parametrize("site", SITES)
def test_no_date_page_has_no_date(replica, site):
    base = replica.base_urls[site]
    article = next(a for a in replica.articles(site) if a.kind == "no_date")
    assert article.published is None and article.modified is None
    doc = lxml.html.fromstring(page_text(article.url(base))[1])
    block = {"rt_arabic": "//div[@class='article']", "elbalad": "//article"}[site]
    text = lxml.html.tostring(doc.head, encoding="unicode") + lxml.html.tostring(doc.xpath(block)[0], encoding="unicode")
    for marker in ("publish-date", "published_time", "datePublished", "<time", "article__date", 'class="time"',
                   "نوفمبر", "تشرين"):
        assert marker not in text
    feed = {"rt_arabic": "/rss/", "elbalad": "/rss.aspx"}[site]
    item = next(i for i in rss_links(base, feed) if i.findtext("link") == article.url(base))
    assert item.find("pubDate") is None


# --- discovery ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("site", SITES)
def test_feeds_and_sitemaps_are_well_formed(replica, site):
    base = replica.base_urls[site]
    spec = get_site(site)
    feed = {"rt_arabic": "/rss/", "elbalad": "/rss.aspx"}[site]
    not_articles = {a.url(base) for a in replica.articles(site) if a.kind == "not_article"}
    items = rss_links(base, feed)
    assert len(items) >= 20
    for item in items:
        assert item.findtext("title") and item.findtext("description") is not None
        url = canonicalize(item.findtext("link"), base, spec)
        assert is_article_url(url, base, spec) or url in not_articles
        if item.find("pubDate") is not None:
            assert parsedate_to_datetime(item.findtext("pubDate")).utcoffset() is not None
    sitemaps = robots_sitemaps(base)
    assert sitemaps and all(s.startswith(base) for s in sitemaps)
    urls = [u for s in sitemaps for u in sitemap_urls(base, s)]
    news = [u for u in urls if u.find("news:news", NS) is not None]
    assert news
    for url in urls:
        assert is_article_url(url.findtext("sm:loc", namespaces=NS), base, spec)
        if url.findtext("sm:lastmod", namespaces=NS):
            assert datetime.fromisoformat(url.findtext("sm:lastmod", namespaces=NS)).utcoffset() is not None
    for url in news:
        published = url.findtext("news:news/news:publication_date", namespaces=NS)
        assert datetime.fromisoformat(published).utcoffset() is not None


@pytest.mark.parametrize("site", SITES)
def test_every_article_is_reachable_but_not_from_every_source(replica, site):
    base = replica.base_urls[site]
    sources = discovered(replica, site)
    everything = set().union(*sources.values())
    for article in replica.articles(site):
        assert article.url(base) in everything, article.url_path
    news = {a.url(base) for a in replica.articles(site) if a.kind != "not_article"}
    for name, urls in sources.items():
        assert news - urls, f"{name} lists every article"


@pytest.mark.parametrize("site", SITES)
def test_awkward_links(replica, site):
    base = replica.base_urls[site]
    spec = get_site(site)
    listed = listing_links(base, site)
    articles = replica.articles(site)
    redirecting = [a for a in articles if a.redirects]
    assert redirecting and any(a.variants for a in articles)
    for article in redirecting:
        for path in article.redirects:
            status, headers, _ = fetch(base + path)
            assert status == 301 and headers["Location"] == article.url(base)
            assert base + path in listed
    missing = base + RENDER[site].MISSING_PATH
    assert missing in listed and is_article_url(missing, base, spec)
    assert fetch(missing)[0] == 404
    for article in articles:
        for variant in article.variants:
            status, text = page_text(base + variant.split("#")[0])
            assert status == 200
            assert lxml.html.fromstring(text).xpath("//link[@rel='canonical']/@href") == [article.url(base)]
            assert article.paragraphs[-1] in text


@pytest.mark.parametrize("site", SITES)
def test_robots_disallows_a_path_that_pages_link_to(replica, site):
    base = replica.base_urls[site]
    _, robots = page_text(base + "/robots.txt")
    disallowed = [line.split(":", 1)[1].strip() for line in robots.splitlines() if line.startswith("Disallow:")]
    assert disallowed == ["/search/"]
    _, home = page_text(base + "/")
    hrefs = lxml.html.fromstring(home).xpath("//a/@href")
    assert any(h.startswith("/search/") for h in hrefs)


# --- controls ----------------------------------------------------------------------------------------------------

def test_stall_blocks_until_released(fresh):
    rt, elbalad = fresh.base_urls["rt_arabic"], fresh.base_urls["elbalad"]
    control(rt, "stall", on=1)
    with pytest.raises(OSError):                       # a timeout: the site hangs
        fetch(rt + "/rss/", timeout=0.5)
    assert fetch(elbalad + "/rss.aspx")[0] == 200       # the other site is unaffected
    done = []
    waiter = threading.Thread(target=lambda: done.append(fetch(rt + "/robots.txt", timeout=60)[0]))
    waiter.start()
    wait_until(lambda: "/robots.txt" in {path for _, path in fresh.arrivals("rt_arabic")}, "the request")
    assert not done                                     # arrived, and held
    fresh.stall(False)
    waiter.join(60)
    assert done == [200]


def test_stall_after_answers_that_many_article_pages_then_holds_every_request(fresh):
    base = fresh.base_urls["elbalad"]
    articles = [a.url_path for a in fresh.articles("elbalad") if a.kind == "article"]
    fresh.stall_after(2, "elbalad")
    assert fetch(base + "/robots.txt")[0] == 200                  # not an article page: not counted
    assert [fetch(base + path)[0] for path in articles[:2]] == [200, 200]
    assert fetch(base + "/robots.txt")[0] == 200                  # not held before the next article page
    done = []
    waiter = threading.Thread(target=lambda: done.append(fetch(base + articles[2], timeout=60)[0]))
    waiter.start()
    wait_until(lambda: articles[2] in {path for _, path in fresh.arrivals("elbalad")}, "the third article page")
    with pytest.raises(OSError):                                  # held, and so is the site: a timeout
        fetch(base + "/robots.txt", timeout=0.5)
    assert not done
    fresh.stall(False, "elbalad")
    waiter.join(60)
    assert done == [200] and fetch(base + articles[3])[0] == 200  # released; held once only
    fresh.stall_after(0, "elbalad")
    fresh.stall(False, "elbalad")                                 # drops a hold not reached yet
    assert fetch(base + articles[4])[0] == 200


def test_stop_releases_stalled_requests():
    server = ReplicaServer().start()
    server.stall(True)
    outcome = []

    def request():
        try:
            outcome.append(fetch(server.base_urls["elbalad"] + "/", timeout=60)[0])
        except Exception as exc:               # the server hangs up: any connection error
            outcome.append(type(exc).__name__)

    waiter = threading.Thread(target=request)
    waiter.start()
    wait_until(lambda: server.arrivals("elbalad"), "the request")
    server.stop()
    waiter.join(120)
    assert outcome and outcome != ["TimeoutError"], outcome    # hung up on by the stop, not given up on


@pytest.mark.parametrize("site", SITES)
def test_serve_articles_off_keeps_feeds_but_drops_article_text(fresh, site):
    base = fresh.base_urls[site]
    article = next(a for a in fresh.articles(site) if a.kind == "article")
    control(base, "serve_articles", on=0)
    status, text = page_text(article.url(base))
    assert status == 200 and "<html" in text
    assert not any(p in text for p in article.paragraphs)
    assert not lxml.html.fromstring(text).xpath(BODY_XPATH[site])
    assert article.url(base) in discovered(fresh, site)["sitemaps"]
    fresh.serve_articles(True, site)
    assert article.paragraphs[0] in page_text(article.url(base))[1]


@pytest.mark.parametrize("site", SITES)
def test_edit_changes_text_gold_and_dates(fresh, site):
    base = fresh.base_urls[site]
    before = next(a for a in fresh.articles(site) if a.kind == "article" and a.modified < fresh.now - timedelta(hours=1))
    edited = fresh.edit(before.article_id)
    assert edited.gold_text.startswith(before.gold_text) and edited.gold_text != before.gold_text
    assert edited.modified >= fresh.now
    assert edited.paragraphs[-1] in page_text(edited.url(base))[1]
    lastmods = {u.findtext("sm:loc", namespaces=NS): u.findtext("sm:lastmod", namespaces=NS)
                for s in robots_sitemaps(base) for u in sitemap_urls(base, s)}
    assert datetime.fromisoformat(lastmods[edited.url(base)]) == edited.modified
    feed = {"rt_arabic": "/rss/", "elbalad": "/rss.aspx"}[site]
    dates = {i.findtext("link"): i.findtext("pubDate") for i in rss_links(base, feed)}
    if edited.url(base) in dates:
        assert parsedate_to_datetime(dates[edited.url(base)]) == edited.modified
    # over HTTP, a second edit
    again = control(base, "edit", id=before.article_id)
    assert again["edits"] == 2 and again["gold_text"].startswith(edited.gold_text)
    assert next(a for a in fresh.articles(site) if a.article_id == before.article_id).edits == 2
    with pytest.raises(ValueError):
        fresh.edit(next(a for a in fresh.articles(site) if a.kind == "not_article").article_id)


def test_an_edit_after_a_time_is_dated_in_a_later_second(fresh):
    """A crawl that ends at ``after`` fetched every page before it: the edit's lastmod is later than any of them,
    in the whole seconds a sitemap gives, although the replica's clock may run behind the wall clock."""
    article = next(a for a in fresh.articles("elbalad") if a.kind == "article")
    after = datetime.now(timezone.utc)
    edited = fresh.edit(article.article_id, "elbalad", after=after)
    assert edited.modified > after.replace(microsecond=0)
    assert edited.modified.microsecond == 0
    with pytest.raises(ValueError, match="too far behind"):
        fresh.edit(article.article_id, "elbalad", after=datetime.now(timezone.utc) + timedelta(minutes=1))


def test_fail_and_reset(fresh):
    rt = fresh.base_urls["rt_arabic"]
    article = fresh.articles("rt_arabic")[0]
    fresh.edit(article.article_id)
    control(rt, "fail", status=503)
    assert fetch(rt + "/rss/")[0] == 503
    assert fetch(rt + article.url_path)[0] == 503
    assert fetch(fresh.base_urls["elbalad"] + "/rss.aspx")[0] == 200
    control(rt, "fail", status=0)
    assert fetch(rt + "/rss/")[0] == 200
    fresh.fail(500)
    fresh.serve_articles(False)
    control(rt, "reset")
    assert fresh.stats("rt_arabic") == {}
    assert fresh.articles("rt_arabic")[0] == article
    assert fetch(rt + article.url_path)[0] == 200


@pytest.mark.parametrize("site", SITES)
def test_layout_2_is_a_redesign_of_every_page(fresh, site):
    """Same URLs, gold text, feeds and sitemaps; none of the site's selectors in crawler/sites match any more;
    JSON-LD and OpenGraph stay; the read-more box is a bare <p> label then a paragraph holding a link."""
    base = fresh.base_urls[site]
    feed = {"rt_arabic": "/rss/", "elbalad": "/rss.aspx"}[site]
    before = {path: fetch(base + path)[2] for path in (feed, "/robots.txt")}
    sources = discovered(fresh, site)
    control(base, "layout", n=2)
    assert {path: fetch(base + path)[2] for path in before} == before
    assert discovered(fresh, site) == sources
    spec = get_site(site).extraction
    label = {"rt_arabic": "اقرأ المزيد", "elbalad": "قرأ "}[site]
    for article in fresh.articles(site):
        status, text = page_text(article.url(base))
        assert status == 200
        doc = lxml.html.fromstring(text)
        assert doc.xpath("//link[@rel='canonical']/@href") == [article.url(base)]
        for line in article.gold_text.split("\n") if article.gold_text else ():
            assert line in text, (article.url_path, line)
        assert not any(doc.xpath(rule) for rule in spec.prune_xpath), article.url_path    # the chrome
        if article.layout == "article":
            for css, _ in spec.title + spec.body + spec.image + spec.section:
                assert not doc.cssselect(css), (article.url_path, css)
            assert "application/ld+json" in text and 'property="og:title"' in text
            labels = [p for p in doc.xpath("//p") if label in p.text_content() and len(p.text_content()) < 20]
            assert labels and all(p.getnext().tag == "p" and p.getnext().xpath("./a") for p in labels)
    with pytest.raises(AssertionError):
        control(base, "layout", n=4)
    control(base, "reset")
    article = next(a for a in fresh.articles(site) if a.layout == "article")
    doc = lxml.html.fromstring(page_text(article.url(base))[1])
    assert doc.xpath(BODY_XPATH[site])                      # reset: the known layout again


def test_replica_server_starts_in_a_layout():
    with ReplicaServer(layout=2) as server:
        article = next(a for a in server.articles("rt_arabic") if a.kind == "article")
        doc = lxml.html.fromstring(page_text(article.url(server.base_urls["rt_arabic"]))[1])
        assert not doc.xpath(BODY_XPATH["rt_arabic"]) and doc.xpath("//article")
        server.reset()
        doc = lxml.html.fromstring(page_text(article.url(server.base_urls["rt_arabic"]))[1])
        assert not doc.xpath(BODY_XPATH["rt_arabic"])          # reset keeps the layout it was started in
        server.set_layout(1)
        doc = lxml.html.fromstring(page_text(article.url(server.base_urls["rt_arabic"]))[1])
        assert doc.xpath(BODY_XPATH["rt_arabic"])
    with pytest.raises(ValueError):
        ReplicaServer(layout=4)


def test_stats_count_requests_per_path(fresh):
    base = fresh.base_urls["elbalad"]
    article = next(a for a in fresh.articles("elbalad") if a.kind == "article")
    for _ in range(2):
        fetch(base + article.url_path + "?utm_source=x")
    fetch(base + "/robots.txt")
    stats = control(base, "stats")
    assert stats == {article.url_path: 2, "/robots.txt": 1} == fresh.stats("elbalad")
    listed = control(base, "articles")
    assert [a["article_id"] for a in listed] == [a.article_id for a in fresh.articles("elbalad")]
    assert listed[0]["gold_text"] == fresh.articles("elbalad")[0].gold_text


def test_run_serves_until_sigterm():
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen([sys.executable, "-m", "replica", "0"], cwd=root,
                               stdout=subprocess.PIPE, text=True)
    try:
        lines = dict(process.stdout.readline().split() for _ in SITES)
        assert set(lines) == set(SITES)
        assert fetch(lines["elbalad"] + "/robots.txt")[0] == 200
        process.terminate()
        assert process.wait(10) == 0
    finally:
        process.kill()


def test_arshif_replica_serves_the_layout_it_is_asked_for():
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen([sys.executable, "-m", "jobs.cli", "replica", "--port", "0", "--layout", "2"], cwd=root,
                               stdout=subprocess.PIPE, text=True)
    try:
        lines = dict(process.stdout.readline().split() for _ in SITES)
        article = next(a for a in control(lines["elbalad"], "articles") if a["kind"] == "article")
        doc = lxml.html.fromstring(page_text(lines["elbalad"] + article["url_path"])[1])
        assert not doc.xpath(BODY_XPATH["elbalad"]) and doc.xpath("//*[@class='story-content']")
        process.terminate()
        assert process.wait(10) == 0
    finally:
        process.kill()


@pytest.mark.parametrize("site", SITES)
def test_fewer_plain_articles_keep_every_kind_of_page_unchanged(site):
    """``ReplicaServer(plain=N)`` (the mechanics tests' replica) serves the full corpus's pages minus all but
    the newest N plain articles: every special page, shape, event, URL variant and redirect, as they are."""
    from replica.corpus import plain

    full = ReplicaServer(now=NOW).articles(site)
    small = ReplicaServer(now=NOW, plain=4).articles(site)
    plain_full = sorted((a for a in full if plain(a)), key=lambda a: a.published, reverse=True)
    assert [a for a in small if plain(a)] == sorted(plain_full[:4], key=full.index)
    assert [a for a in small if not plain(a)] == [a for a in full if not plain(a)]
    assert {a.kind for a in small} == set(KINDS)
    assert any(a.variants for a in small) and any(a.redirects for a in small) and any(a.story for a in small)
    assert len(small) < len(full) / 2


def test_replica_help_gives_the_default_port_and_the_corpus_it_serves():
    """``arshif replica --help`` says the port it listens on by default and how many articles (and pages that
    are none) each site's base corpus has: the figures of the replica itself."""
    from tests.crawl_helpers import arshif

    shown = " ".join(arshif("replica", "--help", env={}).stdout.split())
    assert "(default: 8800; 0: any free ports)" in shown
    with ReplicaServer(port=0) as replica:
        for site in replica.base_urls:
            pages = replica.articles(site)
            others = sum(a.kind == "not_article" for a in pages)
            assert f"the base corpus, {len(pages) - others} articles and {others} pages that are none per site" \
                in shown
