"""``arshif probe [SITE ...] [--articles N]``: the first contact with a site, before its first scheduled run.

For each site, one table: its robots.txt (answer, Disallow rules, Crawl-delay, Sitemap lines), each discovery
source the crawl would read — the site's feeds, sitemaps and listings and the sitemaps robots.txt names — (HTTP
status, size, URLs listed, newest date listed, whether it answers a conditional request with 304; a sitemap
index's newest child read too), then a sample of article pages found there, newest first (HTTP status, the
extraction's verdict and word count, and for each field whether the site's own selector matched or the generic
fallback was needed). It reads with the crawl's own parsers and extractor, at the crawl's pace, obeying robots.txt,
and writes nothing. Exit 0 when every source and sample page is healthy, 1 when something failed (each failure
on its own line with its reason), 2 for usage errors.
"""
from __future__ import annotations

import argparse
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from protego import Protego
from scrapy.http import HtmlResponse, XmlResponse

from crawler.discover.feeds import read_feed, read_sitemap
from crawler.discover.stage import PAGE, children_to_read
from crawler.fetch.failures import DNS_FAILED
from crawler.extract.selector_hits import extract_page
from crawler.outcomes import NotArticle
from crawler.sites import SITES, get_site
from crawler.urls import article_id, canonicalize, is_article_url
from jobs.options import settings_from

SAMPLE = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", metavar="SITE", help="sites to probe (default: every enabled site)")
    parser.add_argument("--articles", type=int, default=SAMPLE, metavar="N",
                        help=f"article pages to sample per site (default {SAMPLE})")


@dataclass
class Answer:
    status: int | None
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class Row:
    what: str
    url: str
    status: str
    size: str = ""
    urls: str = ""
    newest: str = ""
    conditional: str = ""
    verdict: str = ""               # empty: healthy ("ok" in the table)
    failed: str | None = None       # why this row is a failure


class Prober:
    """Fetches at the crawl's pace with its user agent, obeying robots.txt once read."""
    def __init__(self, settings):
        crawl = settings.crawl
        self.user_agent = crawl.user_agent
        self.timeout = crawl.download_timeout
        self.delay = crawl.download_delay
        self.obey = crawl.obey_robots
        self.robots = None
        self._last = 0.0

    def get(self, url: str, limit: int, headers: dict | None = None) -> Answer:
        if self.robots is not None and self.obey and not self.robots.can_fetch(url, self.user_agent):
            return Answer(None, error="forbidden by robots.txt")
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(limit + 1)
                answer = Answer(response.status, body, dict(response.headers))
        except urllib.error.HTTPError as exc:
            answer = Answer(exc.code, b"", dict(exc.headers or {}),
                            None if exc.code == 304 else f"HTTP {exc.code}")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)       # the crawl's words for an unknown host ("[Errno -2] …")
            answer = Answer(None, error=DNS_FAILED if isinstance(reason, socket.gaierror) else str(reason)[:120])
        self._last = time.monotonic()
        if answer.status == 200 and len(answer.body) > limit:
            answer.error = f"larger than {limit:,} bytes"
        return answer

    def conditional(self, url: str, answer: Answer) -> str:
        """Whether the document answers a conditional request with 304."""
        etag, modified = answer.headers.get("ETag"), answer.headers.get("Last-Modified")
        if not (etag or modified):
            return "no validators"
        again = self.get(url, 1 << 20, {"If-None-Match": etag} if etag else {"If-Modified-Since": modified})
        return "yes (304)" if again.status == 304 else f"no (HTTP {again.status})"


def _response(url: str, answer: Answer):
    kind = XmlResponse if b"<html" not in answer.body[:2048].lower() else HtmlResponse
    return kind(url, body=answer.body, headers={"Content-Type": answer.headers.get("Content-Type", "")})


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.0f} kB" if n >= 1024 else f"{n} B"


def _newest(when: datetime | None) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if when else ""


def probe_site(settings, site: str, sample: int) -> list[Row]:
    spec, cfg = get_site(site), settings.sites[site]
    prober = Prober(settings)
    rows: list[Row] = []
    horizon = datetime.now(timezone.utc) - timedelta(days=cfg.lookback_days)
    found: dict[str, tuple[str, datetime | None]] = {}     # id → (URL, date), the sample's candidates

    def note(url: str, when: datetime | None) -> None:
        canonical = canonicalize(url, cfg.base_url, spec)
        if is_article_url(canonical, cfg.base_url, spec):
            aid = article_id(canonical, cfg.base_url, spec)
            if aid not in found or (when and (found[aid][1] is None or when > found[aid][1])):
                found[aid] = (canonical, when)

    # robots.txt
    robots_url = cfg.url("/robots.txt")
    answer = prober.get(robots_url, 1 << 20)
    text = answer.body.decode("utf-8", "replace") if answer.status == 200 else ""
    prober.robots = Protego.parse(text)
    sitemaps = list(prober.robots.sitemaps)
    delay = prober.robots.crawl_delay(prober.user_agent)
    disallow = len(re.findall(r"(?im)^\s*disallow\s*:\s*\S", text))
    failed = None if answer.status in (200, 404) else f"robots.txt: {answer.error or answer.status}"
    rows.append(Row("robots.txt", robots_url, str(answer.status or answer.error), _size(len(answer.body)),
                    f"{len(sitemaps)} Sitemap", "", "",
                    "failed" if failed else f"{disallow} Disallow rules" + (f", Crawl-delay {delay}" if delay else ""),
                    failed))

    sources = [("feed", path, cfg.url(path)) for path in cfg.feeds]
    sources += [("sitemap", path, cfg.url(path)) for path in cfg.sitemaps]
    sources += [("listing", path, cfg.url(path.replace(PAGE, "0"))) for path in cfg.listings]
    named = {url for _, _, url in sources}
    sources += [("robots.txt sitemap", url, url) for url in sitemaps if url not in named]
    for kind, path, url in sources:
        is_sitemap = "sitemap" in kind
        answer = prober.get(url, settings.crawl.sitemap_maxsize if is_sitemap else settings.crawl.download_maxsize)
        row = Row(f"{kind} {path}" if kind != "robots.txt sitemap" else kind, url,
                  str(answer.status or answer.error), _size(len(answer.body)))
        rows.append(row)
        if answer.error or answer.status != 200:
            row.verdict, row.failed = "failed", f"{kind} {path}: {answer.error or answer.status}"
            continue
        row.conditional = prober.conditional(url, answer)
        response = _response(url, answer)
        if kind == "feed":
            listing = read_feed(response)
        elif kind == "listing":
            links = response.css(spec.listing_link_css).getall()
            for href in links:
                note(response.urljoin(href), None)
            row.urls = str(len(links))
            if not links:
                row.verdict, row.failed = "failed", f"{kind} {path}: no article link (has the listing moved?)"
            continue
        else:
            listing = read_sitemap(response, settings.crawl.sitemap_maxsize, since=horizon)
        row.urls, row.newest = str(getattr(listing, "count", 0) or len(listing.entries)), _newest(
            getattr(listing, "newest", None) or max((w for _, w in listing.entries if w), default=None))
        if listing.problem:
            row.verdict, row.failed = "problem", f"{kind} {path}: {listing.problem}"
        if listing.kind == "sitemapindex":
            children = children_to_read([(response.urljoin(loc), when) for loc, when in listing.entries], horizon)
            row.verdict = (f"{row.verdict or 'ok'}; index: {len(children)} of {len(listing.entries)} children within "
                           f"the look-back")
            for child in children[:1]:       # the newest: what a run reads first
                got = prober.get(child, settings.crawl.sitemap_maxsize)
                child_row = Row("  newest child", child, str(got.status or got.error), _size(len(got.body)))
                rows.append(child_row)
                if got.error or got.status != 200:
                    child_row.verdict, child_row.failed = "failed", f"{child}: {got.error or got.status}"
                    continue
                part = read_sitemap(_response(child, got), settings.crawl.sitemap_maxsize, since=horizon)
                child_row.urls, child_row.newest = str(part.count), _newest(part.newest)
                child_row.conditional = prober.conditional(child, got)
                child_row.verdict = f"{len(part.entries)} within the look-back"
                if part.problem:
                    child_row.failed = f"{child}: {part.problem}"
                for loc, when in part.entries:
                    note(response.urljoin(loc), when)
        else:
            for loc, when in listing.entries:
                note(response.urljoin(loc), when)

    rows += _sample(prober, settings, site, found, sample)
    return rows


def _sample(prober: Prober, settings, site: str, found: dict, sample: int) -> list[Row]:
    """The newest article pages found, each extracted by the crawl's extractor."""
    rows = []
    # the newest dated first (what a run fetches first), then undated listing links
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    newest = sorted(found.values(), key=lambda f: (f[1] is not None, f[1] or oldest), reverse=True)
    if not newest:
        return [Row("articles", "", "", verdict="failed", failed="no article URL found by any source")]
    for url, _ in newest[:sample]:
        answer = prober.get(url, settings.crawl.download_maxsize)
        row = Row("article", url, str(answer.status or answer.error), _size(len(answer.body)))
        rows.append(row)
        if answer.status in (404, 410):       # a dead link: no article, and no fault of the site's discovery
            row.verdict = f"not an article: HTTP {answer.status}"
            continue
        if answer.error or answer.status != 200:
            row.verdict, row.failed = "failed", f"article {url}: {answer.error or answer.status}"
            continue
        result, hits, findings = extract_page(answer.body, url, site, base_url=settings.sites[site].base_url,
                                              fetched_at=datetime.now(timezone.utc))
        if isinstance(result, NotArticle):
            row.verdict = f"not an article: {result.reason}"
            continue
        row.urls = f"{result['word_count']} words"
        row.verdict = "article; " + ", ".join(f"{name} {'site' if hit else 'fallback'}" for name, hit in hits.items())
        if findings.get("canonical_elsewhere"):
            row.verdict += f"; its canonical URL names another article ({findings['canonical_elsewhere']})"
    if all(r.verdict.startswith(("failed", "not an article")) for r in rows):
        rows.append(Row("articles", "", "", verdict="failed", failed="no sampled page gave an article"))
    return rows


COLUMNS = (("what", "what"), ("status", "status"), ("size", "size"), ("urls", "URLs / words"),
           ("newest", "newest"), ("conditional", "conditional"), ("verdict", "verdict"))


def render(site: str, rows: list[Row]) -> str:
    table = [[label for _, label in COLUMNS]] + [[getattr(r, name) or ("ok" if name == "verdict" else "")
                                                   for name, _ in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) - 1)]
    lines = [f"{site}:"]
    for i, line in enumerate(table):
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1])
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 7)
        elif rows[i - 1].url:
            lines.append("      " + rows[i - 1].url)
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    unknown = [s for s in args.sites if s not in SITES]
    if unknown or args.articles < 0:
        print(f"arshif probe: unknown site {unknown[0]!r} (known: {', '.join(sorted(SITES))})" if unknown
              else "arshif probe: --articles must be 0 or more", file=sys.stderr)
        return 2
    settings = settings_from(args)
    sites = args.sites or [s for s in SITES if settings.sites[s].enabled]
    failures = []
    for site in sites:
        rows = probe_site(settings, site, args.articles)
        print(render(site, rows))
        failures += [f"{site}: {r.failed}" for r in rows if r.failed]
    for line in failures:
        print(f"arshif probe: FAILED {line}", file=sys.stderr)
    print("arshif probe: " + (f"{len(failures)} problems" if failures else "healthy"), file=sys.stderr)
    return 1 if failures else 0
