"""The real sites' discovery shapes, for ``ReplicaServer(discovery="real")`` / ``arshif replica --discovery real``.

Designed from what public evidence shows of the real sites (issue 19; /work/shared/reference/sites.md, "Public
evidence gathered later"), not from what our crawler reads:

* RT Arabic's ``/sitemap.xml`` is an index of **yearly parts** (``sitemap_2023.xml``, ``sitemap_2023_2.xml``,
  ``sitemap_2024.xml``, …: an R scraper of RT's sitemaps kept their list), each up to the protocol's 50,000 URLs.
  Real article URLs are ~250 characters (percent-encoded Arabic slugs), so the current year's part is ~15 MB,
  almost all of it articles older than any look-back: here, URLs the replica does not have (they answer 404,
  so a crawl that asks for one is seen). Older parts carry a ``<lastmod>``, the oldest only the year in their name.
* RT's trend listing at the path our site module once named (a trend id nothing public confirms) answers 404.
* Sada El Balad has no ``/sitemap.xml`` (no public source names one): its sitemaps are those its robots.txt
  names, under names nothing else gives.

What the crawler must find either way is the same set of articles as in the replica's own shapes.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import quote

from replica import feeds
from replica.older import MAX_ARTICLES
from replica.response import Response, xml
from replica.state import SiteView

#: older URLs in the current year's part: with the articles, about 47,000 entries of ~320 bytes, ~15 MB
FILLER = 47_000
#: the filler's slug: ~200 characters once percent-encoded, as real RT slugs are (bench/sitemap_memory.py
#: makes it longer, FILLER too: a part of 50,000 URLs and 50 MB)
SLUG = quote("-".join(["أرشيف", "خبر", "قديم", "من", "العام"] * 2))
#: how far before the corpus's oldest article the filler starts, and the step between two filler dates
_FILLER_GAP = timedelta(days=8)
_FILLER_STEP = timedelta(seconds=30)


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


@lru_cache(maxsize=2)
def _filler(base_url: str, section: str, first_id: int, newest: datetime, count: int, slug: str = "") -> bytes:
    """``count`` sitemap entries of older article URLs (ids under ``first_id``, dated from ``newest`` back), as
    bytes: built once per replica, spliced into the part."""
    lines = []
    for k in range(count):
        when = newest - k * _FILLER_STEP
        lines.append(f"  <url><loc>{base_url}/{section}/{first_id - MAX_ARTICLES - 10_000 - k}-{slug}-{k}/</loc>"
                     f"<lastmod>{_iso(when)}</lastmod></url>\n")
    return "".join(lines).encode("ascii")


def year_part(view: SiteView, entries: list[feeds.SitemapEntry], section: str, first_id: int,
              oldest: datetime) -> Response:
    """The current year's part: ``entries`` (the articles) and ``FILLER`` older URLs, up to 50,000 in all."""
    body = feeds.urlset(entries)
    count = max(0, min(FILLER, 50_000 - len(entries)))
    head, tail = body.rsplit(b"</urlset>", 1)
    body = head + _filler(view.base_url, section, first_id, oldest - _FILLER_GAP, count, SLUG) + b"</urlset>" + tail
    return xml(body, modified=max((e.lastmod for e in entries if e.lastmod), default=None))


def past_part(view: SiteView, year: int, section: str, first_id: int) -> Response:
    """A past year's part (a few entries of that year: it is never to be asked for within a look-back)."""
    end = datetime(year, 12, 31, 12, tzinfo=timezone.utc)
    entries = [feeds.SitemapEntry(view.url(f"/{section}/{first_id - 900_000 - year * 10 - k}-{SLUG}/"),
                                  end - timedelta(days=30 * k)) for k in range(3)]
    return xml(feeds.urlset(entries), modified=end)


def yearly_index(view: SiteView, current: datetime | None, older: list[feeds.SitemapEntry],
                 path: str = "/sitemap_{year}{part}.xml") -> Response:
    """The index of yearly parts: this year's (``lastmod`` ``current``), last year's two with a ``lastmod``, the
    year before's two with none (only the year in their name), then ``older`` (a big replica's paged parts)."""
    year = view.now.year
    entries = [feeds.SitemapEntry(view.url(path.format(year=year, part="")), current)]
    entries += [feeds.SitemapEntry(view.url(path.format(year=year - 1, part=part)),
                                   datetime(year - 1, 6 if not part else 12, 30, tzinfo=timezone.utc))
                for part in ("", "_2")]
    entries += [feeds.SitemapEntry(view.url(path.format(year=year - 2, part=part)), None) for part in ("", "_2")]
    entries += older
    return xml(feeds.sitemap_index(entries), modified=current)
