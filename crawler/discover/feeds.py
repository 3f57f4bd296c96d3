"""Reading discovery documents — RSS and Atom feeds (feedparser) and sitemaps (lxml, streamed) — tolerating
what real sites serve: a bad or truncated document gives what could be read plus one line saying what was
wrong, never an exception.

Hostile documents: a DOCTYPE is removed before parsing (feeds and sitemaps need none, and its entity
declarations — "billion laughs", external entities — would make libxml2 refuse the whole document), which
the problem line says. Feeds are then parsed by feedparser from the response's bytes (no URL, no network):
expat with external entities off, feedparser's own removal of any entity declaration left. Sitemaps are
parsed by lxml with entities never resolved and no network access (``resolve_entities=False``, libxml2's
``huge_tree`` off), gzip is decompressed up to the download size limit, and a sitemap gives at most the
sitemap protocol's 50,000 URLs. Both come within Scrapy's download size limit (``DOWNLOAD_MAXSIZE``).
"""
from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax import SAXParseException

import feedparser
from lxml import etree
from scrapy.http import Response

from crawler.dates import parse_feed_date


# The sitemap protocol's limits: 50,000 URLs per sitemap (https://www.sitemaps.org/protocol.html).
MAX_SITEMAP_URLS = 50_000
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.S | re.I)
_ROOT_END = re.compile(rb"</(?:[\w-]+:)?(?:urlset|sitemapindex)>\s*$")
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.S | re.I)


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
    count: int = 0                       # entries the document listed (kept or not)
    newest: datetime | None = None       # the newest date it gave


def _feed_kind(version: str) -> str:
    """How a problem line names the feed: by what it declared (feedparser's ``version``), RSS by default."""
    return "Atom feed" if version.startswith("atom") else "RSS feed"


def _newest_date(entry) -> datetime | None:
    """The newest date a feed entry gives: an RSS ``pubDate``, an Atom ``updated`` or ``published``. The raw
    texts are read (``dict.get``: feedparser's own ``get`` of ``updated`` falls back to ``published`` with a
    deprecation warning) and parsed by ``parse_feed_date`` as a sitemap's ``lastmod`` is."""
    dates = [parse_feed_date(dict.get(entry, name), latest=True) for name in ("updated", "published")]
    return max((d for d in dates if d is not None), default=None)


def read_feed(response: Response) -> Listing:
    """The entries of an RSS (0.9x, 1.0, 2.0) or Atom feed, read by feedparser: each entry's link (Atom: its
    ``alternate`` link) and newest date. feedparser reads what an XML parser refuses as far as it can
    (its lenient parser after the strict one): a broken or cut-short feed gives the entries it could read
    whole and one line saying what was wrong (feedparser's ``bozo_exception``)."""
    listing = Listing("feed")
    if _HTML.match(response.body[:4096]):
        listing.problem = "not an RSS feed (an HTML page)"
        return listing
    body, declared = _without_doctype(response.body)
    # bytes, never a str: feedparser fetches a str that looks like a URL or opens one that names a file
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    what = _feed_kind(parsed.get("version") or "")
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        if link:
            listing.entries.append((link, _newest_date(entry)))
    if parsed.bozo:
        exc = parsed.bozo_exception
        message = exc.getMessage() if isinstance(exc, SAXParseException) else str(exc)
        listing.problem = f"bad {what} ({type(exc).__name__}: {message[:120]})"
    if not listing.entries and listing.problem is None:
        listing.problem = f"{what} lists no item"
    if declared:
        listing.problem = f"{what} {declared}" + (f"; {listing.problem}" if listing.problem else "")
    return listing


class _Stream(io.RawIOBase):
    """A sitemap's bytes as a file lxml reads piece by piece: gunzipped on the fly when gzip (never more than
    ``max_size`` once decompressed: a gzip bomb stops at the limit), with the DOCTYPE of its first 4 kB
    removed. Nothing but the response's own bytes and one piece at a time is held."""

    PIECE = 1 << 16

    def __init__(self, body: bytes, max_size: int):
        self._body = memoryview(body)
        self._at = 0
        self._unzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if body[:2] == b"\x1f\x8b" else None
        self._max_size = max_size
        self.size = 0                    # bytes read so far (decompressed)
        self.too_large = False
        self.declared: str | None = None
        self._head = True
        self._pending = b""
        self._tail = b""
        self.last = b""                  # the last bytes read: does the document end with its root's end tag?

    def readable(self) -> bool:
        return True

    def _piece(self) -> bytes:
        """The next piece of the document (at most ``PIECE`` × 4 bytes once decompressed), b"" at its end."""
        while True:
            if self._tail:
                raw, self._tail = self._tail, b""
            elif self._at < len(self._body):
                raw = bytes(self._body[self._at:self._at + self.PIECE])
                self._at += len(raw)
            else:
                return self._unzip.flush() if self._unzip is not None else b""
            if self._unzip is None:
                return raw
            data = self._unzip.decompress(raw, 4 * self.PIECE)
            self._tail = self._unzip.unconsumed_tail
            if data:
                return data

    def readinto(self, buffer) -> int:
        if not self._pending:
            data = self._piece()
            if self._head and data:
                while len(data) < 4096:
                    more = self._piece()
                    if not more:
                        break
                    data += more
                data, self.declared = _without_doctype(data)
                self._head = False
            self.size += len(data)
            if self.size > self._max_size:
                self.too_large = True
                raise _TooLarge()
            self._pending = data
            self.last = (self.last + data)[-256:]
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class _TooLarge(Exception):
    pass


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_sitemap(response: Response, max_size: int, since: datetime | None = None) -> Listing:
    """The entries of a sitemap (urlset, sitemap index or Google News sitemap), parsed as it is read (lxml
    ``iterparse``: each ``<url>`` is dropped once read, no tree of the document is built), at most the
    protocol's 50,000 URLs and ``max_size`` bytes once decompressed. With ``since``, URL entries whose
    ``lastmod`` (or news ``publication_date``) is older are counted, not kept."""
    stream = _Stream(response.body, max_size)
    listing = Listing("unknown")
    problems: list[str] = []
    closed = False
    try:
        for event, element in etree.iterparse(stream, events=("start", "end"), resolve_entities=False,
                                              no_network=True, huge_tree=False, remove_comments=True,
                                              load_dtd=False, recover=True):
            name = _local(element.tag)
            if event == "start":
                if listing.kind == "unknown":
                    if name not in ("urlset", "sitemapindex"):
                        return Listing(name or "unknown", problem=f"not a sitemap (root element <{name}>)")
                    listing.kind = name
                continue
            if name in ("url", "sitemap"):
                _entry(listing, element, since, problems)
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
                if problems:
                    break
    except (_TooLarge, zlib.error, etree.XMLSyntaxError) as exc:
        # past the size limit: said below (lxml may report the stopped read as a syntax error)
        if not stream.too_large:
            what = f"bad gzip: {exc}" if isinstance(exc, zlib.error) else f"XMLSyntaxError: {str(exc)[:120]}"
            if listing.kind == "unknown":
                return Listing("unknown", problem=f"bad {'gzip ' if isinstance(exc, zlib.error) else ''}sitemap"
                                                  f"{'' if isinstance(exc, zlib.error) else ' XML'} ({what})")
            problems.append(f"sitemap cut short ({what})")
            closed = not isinstance(exc, zlib.error)
    if stream.too_large:
        gzipped = " once decompressed (gzip bomb?)" if stream._unzip is not None else ""
        problems.append(f"sitemap larger than the sitemap size limit ({max_size:,} bytes){gzipped}: "
                        f"{listing.count} entries read")
        closed = True
    if listing.kind == "unknown":
        return Listing("unknown", problem=problems[-1] if problems else "bad sitemap XML (empty document)")
    if stream.declared:
        problems.insert(0, f"sitemap {stream.declared}")
    closed = closed or bool(_ROOT_END.search(stream.last))
    if not closed and not any("protocol's limit" in p for p in problems):
        problems.append(f"sitemap cut short or damaged (no closing </{listing.kind}>): {listing.count} entries read")
    listing.problem = "; ".join(problems) or None
    return listing


def _entry(listing: Listing, element, since: datetime | None, problems: list[str]) -> None:
    """One ``<url>`` / ``<sitemap>`` element read into ``listing``."""
    if listing.count == MAX_SITEMAP_URLS:
        problems.append(f"sitemap lists more than {MAX_SITEMAP_URLS:,} URLs, the protocol's limit: "
                        f"the rest is ignored")
        return
    loc = lastmod = published = None
    for child in element.iter():
        name = _local(child.tag)
        if name == "loc" and loc is None:
            loc = (child.text or "").strip()
        elif name == "lastmod":
            lastmod = child.text
        elif name == "publication_date":          # Google News sitemaps
            published = child.text
    if not loc:
        return
    listing.count += 1
    when = parse_feed_date(lastmod or published, latest=True)
    if when is not None and (listing.newest is None or when > listing.newest):
        listing.newest = when
    if since is not None and when is not None and when < since and listing.kind == "urlset":
        return                               # older than the look-back: never asked for
    listing.entries.append((loc, when))
