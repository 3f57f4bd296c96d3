"""Reading discovery documents — RSS feeds and sitemaps — with Scrapy's own parsers, tolerating what real
sites serve: a bad or truncated document gives what could be read plus one line saying what was wrong,
never an exception.

Hostile documents: XML is parsed by lxml with entities never resolved and no network access (Scrapy's
``Sitemap`` and ``xmliter_lxml`` parsers: ``resolve_entities=False``, libxml2's ``huge_tree`` off); a DOCTYPE
is removed before parsing (feeds and sitemaps need none, and its entity declarations — "billion laughs",
external entities — would make libxml2 refuse the whole document), gzip is decompressed up to the download
size limit, and a sitemap gives at most the sitemap protocol's 50,000 URLs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml.etree import XMLSyntaxError
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.iterators import xmliter_lxml
from scrapy.utils.sitemap import Sitemap

from crawler.dates import parse_feed_date


# The sitemap protocol's limits: 50,000 URLs per sitemap (https://www.sitemaps.org/protocol.html).
MAX_SITEMAP_URLS = 50_000
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.S | re.I)
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.S | re.I)
_ROOT_END = re.compile(rb"</(?:[\w-]+:)?(?:urlset|sitemapindex)>\s*$")


def _without_doctype(body: bytes) -> tuple[bytes, str | None]:
    """``body`` without its DOCTYPE (in the prolog), and a problem line when it declared entities."""
    match = _DOCTYPE.search(body, 0, 4096)
    if match is None:
        return body, None
    problem = "declares XML entities (DOCTYPE removed, nothing expanded)" if b"<!ENTITY" in match[0] else None
    return body[:match.start()] + body[match.end():], problem


@dataclass
class Listing:
    """What a discovery document lists: ``(url, date)`` entries; ``kind`` "feed", "urlset" (article URLs)
    or "sitemapindex" (child sitemaps); ``problem`` is one line when the document was bad or cut short."""
    kind: str
    entries: list[tuple[str, datetime | None]] = field(default_factory=list)
    problem: str | None = None


def read_feed(response: Response) -> Listing:
    listing = Listing("feed")
    if _HTML.match(response.body[:4096]):
        listing.problem = "not an RSS feed (an HTML page)"
        return listing
    body, declared = _without_doctype(response.body)
    if declared:
        response = response.replace(body=body)
    try:
        for item in xmliter_lxml(response, "item"):
            link = (item.xpath("link/text()").get() or "").strip()
            if link:
                listing.entries.append((link, parse_feed_date(item.xpath("pubDate/text()").get(), latest=True)))
    except (XMLSyntaxError, StopIteration, ValueError) as exc:
        listing.problem = f"bad RSS feed ({type(exc).__name__}: {str(exc)[:120]})"
    if not listing.entries and listing.problem is None:
        listing.problem = "RSS feed lists no item"
    if declared:
        listing.problem = f"RSS feed {declared}" + (f"; {listing.problem}" if listing.problem else "")
    return listing


def read_sitemap(response: Response, max_size: int) -> Listing:
    body = response.body
    if gzip_magic_number(response):
        try:
            body = gunzip(body, max_size=max_size)
        except Exception as exc:  # bad gzip, or larger than allowed
            if "MaxSize" in type(exc).__name__:      # scrapy.utils._compression._DecompressionMaxSizeExceeded
                return Listing("unknown", problem="gzip sitemap larger than the download size limit once "
                                                  "decompressed (gzip bomb?)")
            return Listing("unknown", problem=f"bad gzip sitemap ({type(exc).__name__})")
    body, declared = _without_doctype(body)
    try:
        sitemap = Sitemap(body)
    except (XMLSyntaxError, StopIteration, ValueError) as exc:
        return Listing("unknown", problem=f"bad sitemap XML ({type(exc).__name__}: {str(exc)[:120]})")
    if sitemap.type not in ("sitemapindex", "urlset"):
        return Listing(str(sitemap.type), problem=f"not a sitemap (root element <{sitemap.type}>)")
    listing = Listing(sitemap.type)
    problems = [f"sitemap {declared}"] if declared else []
    try:
        for entry in sitemap:
            if len(listing.entries) == MAX_SITEMAP_URLS:
                problems.append(f"sitemap lists more than {MAX_SITEMAP_URLS:,} URLs, the protocol's limit: "
                                f"the rest is ignored")
                break
            if entry.get("loc"):
                listing.entries.append((entry["loc"], parse_feed_date(entry.get("lastmod"), latest=True)))
    except (XMLSyntaxError, ValueError) as exc:
        problems.append(f"sitemap cut short ({type(exc).__name__}: {str(exc)[:120]})")
    if not _ROOT_END.search(body[-256:]):   # the parser recovers from damage silently: say so
        problems.append(f"sitemap cut short or damaged (no closing </{sitemap.type}>): "
                        f"{len(listing.entries)} entries read")
    listing.problem = "; ".join(problems) or None
    return listing
