"""Reading discovery documents — RSS feeds and sitemaps — with Scrapy's own parsers, tolerating what real
sites serve: a bad or truncated document gives what could be read plus one line saying what was wrong,
never an exception."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from lxml.etree import XMLSyntaxError
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.iterators import xmliter_lxml
from scrapy.utils.sitemap import Sitemap


def parse_when(text: str | None) -> datetime | None:
    """A sitemap ``lastmod`` (W3C datetime) or a feed date (RFC 822) as an aware datetime, or None."""
    if not text:
        return None
    text = text.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass
class Listing:
    """What a discovery document lists: ``(url, date)`` entries; ``kind`` "feed", "urlset" (article URLs)
    or "sitemapindex" (child sitemaps); ``problem`` is one line when the document was bad or cut short."""
    kind: str
    entries: list[tuple[str, datetime | None]] = field(default_factory=list)
    problem: str | None = None


def read_feed(response: Response) -> Listing:
    listing = Listing("feed")
    try:
        for item in xmliter_lxml(response, "item"):
            link = (item.xpath("link/text()").get() or "").strip()
            if link:
                listing.entries.append((link, parse_when(item.xpath("pubDate/text()").get())))
    except (XMLSyntaxError, StopIteration, ValueError) as exc:
        listing.problem = f"bad RSS feed ({type(exc).__name__}: {str(exc)[:120]})"
    if not listing.entries and listing.problem is None:
        listing.problem = "RSS feed lists no item"
    return listing


def read_sitemap(response: Response, max_size: int) -> Listing:
    body = response.body
    if gzip_magic_number(response):
        try:
            body = gunzip(body, max_size=max_size)
        except Exception as exc:  # bad gzip, or larger than allowed
            return Listing("unknown", problem=f"bad gzip sitemap ({type(exc).__name__})")
    try:
        sitemap = Sitemap(body)
    except (XMLSyntaxError, StopIteration, ValueError) as exc:
        return Listing("unknown", problem=f"bad sitemap XML ({type(exc).__name__}: {str(exc)[:120]})")
    if sitemap.type not in ("sitemapindex", "urlset"):
        return Listing(str(sitemap.type), problem=f"not a sitemap (root element <{sitemap.type}>)")
    listing = Listing(sitemap.type)
    try:
        for entry in sitemap:
            if entry.get("loc"):
                listing.entries.append((entry["loc"], parse_when(entry.get("lastmod"))))
    except (XMLSyntaxError, ValueError) as exc:
        listing.problem = f"sitemap cut short ({type(exc).__name__}: {str(exc)[:120]})"
    return listing
