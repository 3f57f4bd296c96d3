"""Discovery documents in their standard formats: RSS 2.0, sitemaps (index, urlset, Google News), robots.txt."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Iterable

from lxml import etree

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    description: str
    published: datetime | None
    category: str


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: datetime | None
    title: str = ""                      # news sitemaps only
    published: datetime | None = None    # news sitemaps only


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, tag)
    child.text = text
    return child


def rss(title: str, link: str, description: str, items: Iterable[FeedItem], built: datetime) -> bytes:
    root = etree.Element("rss", version="2.0")
    channel = _sub(root, "channel")
    for tag, text in (("title", title), ("link", link), ("description", description), ("language", "ar"),
                      ("lastBuildDate", format_datetime(built))):
        _sub(channel, tag, text)
    for item in items:
        node = _sub(channel, "item")
        _sub(node, "title", item.title)
        _sub(node, "link", item.link)
        _sub(node, "description", item.description)
        _sub(node, "category", item.category)
        if item.published is not None:
            _sub(node, "pubDate", format_datetime(item.published))
        _sub(node, "guid", item.link).set("isPermaLink", "true")
    return _xml(root)


def sitemap_index(entries: Iterable[SitemapEntry]) -> bytes:
    root = etree.Element("sitemapindex", nsmap={None: SITEMAP_NS})
    for entry in entries:
        _loc(_sub(root, f"{{{SITEMAP_NS}}}sitemap"), entry)
    return _xml(root)


def urlset(entries: Iterable[SitemapEntry]) -> bytes:
    root = etree.Element("urlset", nsmap={None: SITEMAP_NS})
    for entry in entries:
        _loc(_sub(root, f"{{{SITEMAP_NS}}}url"), entry)
    return _xml(root)


def news_urlset(entries: Iterable[SitemapEntry], publication: str) -> bytes:
    root = etree.Element("urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    for entry in entries:
        url = _sub(root, f"{{{SITEMAP_NS}}}url")
        _loc(url, entry)
        news = _sub(url, f"{{{NEWS_NS}}}news")
        pub = _sub(news, f"{{{NEWS_NS}}}publication")
        _sub(pub, f"{{{NEWS_NS}}}name", publication)
        _sub(pub, f"{{{NEWS_NS}}}language", "ar")
        _sub(news, f"{{{NEWS_NS}}}publication_date", entry.published.isoformat())
        _sub(news, f"{{{NEWS_NS}}}title", entry.title)
    return _xml(root)


def _loc(parent: etree._Element, entry: SitemapEntry) -> None:
    _sub(parent, f"{{{SITEMAP_NS}}}loc", entry.loc)
    if entry.lastmod is not None:
        _sub(parent, f"{{{SITEMAP_NS}}}lastmod", entry.lastmod.isoformat())


def robots(disallow: Iterable[str], sitemaps: Iterable[str]) -> bytes:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow), "", *(f"Sitemap: {s}" for s in sitemaps)]
    return ("\n".join(lines) + "\n").encode("ascii")
