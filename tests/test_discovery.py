"""Feeds and sitemaps as real sites serve them: good, gzipped, bad, cut short."""
import gzip
from datetime import datetime, timedelta, timezone

from scrapy.http import TextResponse, XmlResponse

from crawler.discover.feeds import read_feed, read_sitemap

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>https://www.elbalad.news/5634973</link><pubDate>Mon, 23 Nov 2026 11:15:00 +0200</pubDate></item>
<item><title>b</title><link> /5634974 </link></item>
</channel></rss>"""
URLSET = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://arabic.rt.com/world/1234567-x/</loc><lastmod>2026-11-23T10:00:00+03:00</lastmod></url>
<url><loc>https://arabic.rt.com/world/1234568-y/</loc></url></urlset>"""
INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://arabic.rt.com/sitemap/news.xml</loc><lastmod>2026-11-23</lastmod></sitemap></sitemapindex>"""


# a date read to its last instant (crawler/dates.parse_feed_date's ``latest``): written to the second here
LAST_OF_SECOND = timedelta(microseconds=999999)


def xml(body: bytes, url="https://x/sitemap.xml"):
    return XmlResponse(url, body=body)


def test_feed_items_with_dates():
    listing = read_feed(xml(RSS, "https://www.elbalad.news/rss.aspx"))
    assert listing.problem is None
    assert listing.entries == [("https://www.elbalad.news/5634973", LAST_OF_SECOND + datetime(2026, 11, 23, 9, 15, tzinfo=timezone.utc)),
                               ("/5634974", None)]


def test_truncated_feed_keeps_what_was_read_and_says_so():
    listing = read_feed(xml(RSS[:RSS.index(b"<item><title>b")] + b"<item><link>htt"))
    assert [url for url, _ in listing.entries] == ["https://www.elbalad.news/5634973"]
    assert listing.problem.startswith("bad RSS feed")


def test_html_instead_of_a_feed():
    listing = read_feed(TextResponse("https://x/rss", body=b"<html><body>maintenance</body></html>", encoding="utf-8"))
    assert listing.entries == [] and listing.problem


ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>a</title><link rel="enclosure" href="https://arabic.rt.com/img/1.jpg"/>
<link rel="alternate" href="https://arabic.rt.com/world/1234567-x/"/><published>2026-11-23T09:00:00+03:00</published>
<updated>2026-11-23T10:00:00+03:00</updated></entry>
<entry><title>b</title><link href="/world/1234568-y/"/><updated>2026-11-23T10:30Z</updated></entry>
<entry><title>no link</title><updated>2026-11-23T10:30Z</updated></entry>
</feed>"""


def test_atom_feed_entries_with_their_newest_date():
    """An Atom feed is read as an RSS feed is: each entry's alternate link (not an enclosure), as written,
    with the newest of its dates (``updated`` after ``published``); an entry without a link gives nothing."""
    listing = read_feed(xml(ATOM, "https://arabic.rt.com/rss/"))
    assert listing.problem is None
    assert listing.entries == [
        ("https://arabic.rt.com/world/1234567-x/", LAST_OF_SECOND + datetime(2026, 11, 23, 7, tzinfo=timezone.utc)),
        ("/world/1234568-y/", timedelta(seconds=59, microseconds=999999)
         + datetime(2026, 11, 23, 10, 30, tzinfo=timezone.utc))]


def test_a_broken_atom_feed_keeps_its_whole_entries_and_names_what_is_wrong():
    cut = ATOM[:ATOM.index(b"<entry><title>b")] + b"<entry><title>b</title><link href=\"/wor"
    listing = read_feed(xml(cut))
    assert [url for url, _ in listing.entries] == ["https://arabic.rt.com/world/1234567-x/"]
    assert listing.problem.startswith("bad Atom feed (SAXParseException: ") and "\n" not in listing.problem
    empty = read_feed(xml(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'))
    assert empty.entries == [] and empty.problem == "Atom feed lists no item"


def test_garbage_instead_of_a_feed_gives_one_line():
    for body in (b"", b"\x00\x01garbage", b"<notafeed><x/></notafeed>", b"<rss><channel><item><link>a</link></item>"):
        listing = read_feed(xml(body, "https://x/rss"))
        assert listing.problem and "\n" not in listing.problem, body
    assert read_feed(xml(b"<rss><channel><item><link>a</link></item>")).entries == [("a", None)]


def test_urlset_and_index():
    urls = read_sitemap(xml(URLSET), 10**7)
    assert urls.kind == "urlset" and urls.problem is None
    assert urls.entries[0] == ("https://arabic.rt.com/world/1234567-x/",
                               LAST_OF_SECOND + datetime(2026, 11, 23, 7, tzinfo=timezone.utc))
    assert urls.entries[1][1] is None
    index = read_sitemap(xml(INDEX), 10**7)
    assert index.kind == "sitemapindex" and index.entries[0][0].endswith("/sitemap/news.xml")


def test_gzipped_sitemap():
    assert len(read_sitemap(xml(gzip.compress(URLSET), "https://x/sitemap.xml.gz"), 10**7).entries) == 2


def test_bad_sitemaps_give_one_line_not_an_exception():
    for body in (b"", b"\x00\x01garbage", b"<html><body>oops</body></html>", gzip.compress(URLSET)[:30]):
        listing = read_sitemap(xml(body, "https://x/sitemap.xml.gz"), 10**7)
        assert listing.problem and "\n" not in listing.problem
        assert listing.entries == []


def test_entities_are_never_expanded_and_said():
    laughs = b'<!DOCTYPE urlset [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    body = URLSET.replace(b"?>", b"?>" + laughs, 1).replace(b"</urlset>", b"<url><loc>&b;</loc></url></urlset>")
    listing = read_sitemap(xml(body), 10**7)
    assert [url for url, _ in listing.entries] == ["https://arabic.rt.com/world/1234567-x/",
                                                   "https://arabic.rt.com/world/1234568-y/"]
    assert listing.problem == "sitemap declares XML entities (DOCTYPE removed, nothing expanded)"
    feed = read_feed(xml(RSS.replace(b"?>", b'?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)))
    assert len(feed.entries) == 2 and feed.problem.startswith("RSS feed declares XML entities")


def test_a_damaged_sitemap_says_so_and_keeps_what_it_read():
    cut = URLSET[:URLSET.index(b"<url><loc>https://arabic.rt.com/world/1234568")] + b"<url><loc>https://ara"
    listing = read_sitemap(xml(cut), 10**7)
    assert listing.entries[0][0] == "https://arabic.rt.com/world/1234567-x/"    # (then the cut "https://ara")
    assert listing.problem.startswith("sitemap cut short or damaged (no closing </urlset>)")


def test_a_sitemap_gives_at_most_the_protocols_50000_urls():
    many = b"".join(b"<url><loc>https://arabic.rt.com/world/%d-x/</loc></url>" % i for i in range(50_010))
    listing = read_sitemap(xml(URLSET.replace(b"</urlset>", many + b"</urlset>")), 10**8)
    assert len(listing.entries) == 50_000 and "more than 50,000 URLs" in listing.problem


def test_an_html_page_is_not_a_feed():
    listing = read_feed(TextResponse("https://x/rss", body=b"<!DOCTYPE html><html><body>hi</body></html>",
                                     encoding="utf-8"))
    assert listing.problem == "not an RSS feed (an HTML page)"


def test_a_gzip_bomb_sitemap_is_refused_with_one_line():
    listing = read_sitemap(xml(gzip.compress(b" " * 3_000_000), "https://x/sitemap.xml.gz"), 1_000_000)
    assert listing.entries == [] and "larger than the sitemap size limit" in listing.problem


NEWS = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://www.elbalad.news/6900001</loc><news:news><news:publication><news:name>x</news:name>
<news:language>ar</news:language></news:publication><news:publication_date>2026-11-23T10:00:00+02:00</news:publication_date>
<news:title>t</news:title></news:news></url></urlset>"""


def test_a_google_news_sitemap_dates_its_urls_by_publication_date():
    listing = read_sitemap(xml(NEWS), 10**7)
    assert listing.problem is None
    assert listing.entries == [("https://www.elbalad.news/6900001",
                                LAST_OF_SECOND + datetime(2026, 11, 23, 8, tzinfo=timezone.utc))]


def test_urls_older_than_the_lookback_are_counted_and_never_kept():
    listing = read_sitemap(xml(URLSET), 10**7, since=datetime(2026, 11, 24, tzinfo=timezone.utc))
    # the dated URL is older than the look-back; the undated one may be new
    assert listing.entries == [("https://arabic.rt.com/world/1234568-y/", None)]
    assert listing.count == 2 and listing.newest.date().isoformat() == "2026-11-23"
    # an index's children are chosen by the discovery stage, not here
    assert len(read_sitemap(xml(INDEX), 10**7, since=datetime(2027, 1, 1, tzinfo=timezone.utc)).entries) == 1


def test_a_gzip_sitemap_stops_at_its_own_size_limit_with_what_it_read():
    body = URLSET.replace(b"</urlset>", b"<!--" + b" " * 3_000_000 + b"--></urlset>")
    listing = read_sitemap(xml(gzip.compress(body), "https://x/sitemap.xml.gz"), 1_000_000)
    assert [url for url, _ in listing.entries] == ["https://arabic.rt.com/world/1234567-x/",
                                                   "https://arabic.rt.com/world/1234568-y/"]
    assert listing.problem == ("sitemap larger than the sitemap size limit (1,000,000 bytes) once decompressed "
                               "(gzip bomb?): 2 entries read")


def test_a_sitemaps_year_is_read_from_its_name():
    from crawler.discover.stage import year_in_name

    assert year_in_name("https://arabic.rt.com/sitemap_2023_2.xml") == datetime(2023, 12, 31, 23, 59, 59,
                                                                                 tzinfo=timezone.utc)
    assert year_in_name("http://127.0.0.1:2024/sitemap/archive/3.xml") is None     # a port is no year


def test_a_redirect_to_a_host_alias_stays_on_the_site():
    from crawler.sites import get_site
    from crawler.urls import redirect_refusal

    rt = get_site("rt_arabic")
    chain = ["https://arabic.rt.com/rss/"]
    assert redirect_refusal(chain, 301, "https://rtarabic.com/rss/", "https://arabic.rt.com", rt, 5) is None
    assert redirect_refusal(["https://rtarabic.com/rss/"], 301, "https://www.arabic.rt.com/rss/",
                            "https://arabic.rt.com", rt, 5) is None
    assert redirect_refusal(chain, 301, "https://example.org/", "https://arabic.rt.com", rt, 5) == \
        "redirect to another host refused (example.org)"


def test_a_redirect_is_read_as_scrapys_redirect_middleware_reads_it():
    """Location as Scrapy's RedirectMiddleware reads it (w3lib's safe_url_string): a raw UTF-8 Arabic slug is
    percent-encoded, not read as Latin-1 (which made another URL of it); ``//host`` takes the request's scheme;
    a scheme Scrapy would not follow, a missing Location and a loop are refused with one line."""
    from crawler.sites import get_site
    from crawler.urls import redirect_refusal, redirect_target

    rt, base = get_site("rt_arabic"), "https://arabic.rt.com"
    asked = base + "/news/1234567"
    slug = "/world/1234567-عنوان/"
    assert redirect_target(asked, slug.encode("utf-8")) == \
        base + "/world/1234567-%D8%B9%D9%86%D9%88%D8%A7%D9%86/"
    assert redirect_target(asked, b"//rtarabic.com/world/1/") == "https://rtarabic.com/world/1/"
    assert redirect_target(asked, None) is None and redirect_target(asked, b"") is None
    assert redirect_refusal([asked], 302, None, base, rt, 5) == "HTTP 302 without Location"
    assert redirect_refusal([asked], 302, redirect_target(asked, b"ftp://arabic.rt.com/x"), base, rt, 5) == \
        "redirect to a ftp: URL refused"
    assert redirect_refusal([asked], 301, asked + "?utm_source=x", base, rt, 5, canonical=True) == \
        "redirect loop (1 URLs)"
    assert redirect_refusal([asked], 301, asked + "?utm_source=x", base, rt, 5) is None
