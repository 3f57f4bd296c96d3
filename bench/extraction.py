"""Extraction quality on the replica's pages: token precision / recall / F1 against the gold text.

For each site, every page the replica serves for its corpus (article pages and their AMP variants) goes
through ``crawler.extract.page.extract`` ("ours") and through plain ``trafilatura.extract(html)`` with default
options ("plain"), scored by ``bench/quality.py`` (bag of tokens common to the output and the gold text).
Figures are micro-averaged over the pages that have an article; pages that are not articles are counted
separately (ours must reject them). Each site is scored in the replica's layouts side by side: 1 the markup
``crawler/sites`` knows, 2 a redesign that only the generic fallbacks can read, 3 the other markup public
scrapers know (RT's newer ``main-article__*`` pages beside older ones with the lead inside the body), with the
share of the site's own selector checks that matched (``sel``, as the run report's ``selectors.rate``); the
page shapes of issue 7 (``replica.corpus.SHAPES``) get a line of their own. Run:
``python bench/extraction.py [--site SITE] [--layout N]``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run as a script from anywhere

import trafilatura  # noqa: E402
from w3lib.encoding import http_content_type_encoding  # noqa: E402

from crawler.extract.page import NotArticle, extract  # noqa: E402
from bench.quality import Score  # noqa: E402
from crawler.sites import SITES  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)     # the replica's corpus is a function of it
BASE_URL = "http://127.0.0.1:8800"


@dataclass(frozen=True)
class Page:
    site: str
    url: str
    body: bytes
    encoding: str | None      # the charset of the Content-Type header
    gold: str                 # empty: not an article
    shape: str = ""           # the article's replica.corpus.SHAPES entry, if any


@dataclass
class SiteResult:
    site: str
    layout: int = 1
    ours: Score = field(default_factory=Score)
    plain: Score = field(default_factory=Score)
    pages: int = 0                      # pages with an article, scored
    not_articles: int = 0
    rejected: int = 0                   # not-article pages ours reported as NotArticle
    worst: list[tuple[float, str]] = field(default_factory=list)   # (page F1, url) of ours
    seconds: float = 0.0                # time spent in ours
    bytes: int = 0                      # size of all pages
    shapes: dict[str, str] = field(default_factory=dict)   # shape → ours' page F1, or rejected / ARCHIVED
    selector_hits: int = 0              # the site's own selector checks that matched, over the article pages
    selector_checks: int = 0

    @property
    def selector_rate(self) -> float:
        return self.selector_hits / self.selector_checks if self.selector_checks else 0.0


def replica_pages(site: str, now: datetime = NOW, base_url: str = BASE_URL, layout: int = 1) -> Iterator[Page]:
    """Every article URL of the replica's corpus for ``site`` (with its AMP variant), rendered in-process in
    the replica's ``layout`` (1 the known markup, 2 the redesign, 3 the other known markup)."""
    from replica import corpus
    from replica.state import SiteView

    render = importlib.import_module(f"replica.render_{site}")
    view = SiteView(site, base_url, tuple(corpus.build(site, now)), True, now, layout)
    for article in view.articles:
        for path in (article.url_path, *(v for v in article.variants if v.endswith("amp"))):
            response = render.respond(view, path, {})
            if response.status != 200:
                raise RuntimeError(f"replica answered {response.status} for {path}")
            yield Page(site, view.url(path), response.body, http_content_type_encoding(response.content_type),
                       article.gold_text, article.shape if path == article.url_path else "")


def evaluate(pages: list[Page], base_url: str = BASE_URL, layout: int = 1, warm_up: bool = True) -> SiteResult:
    """Scores of ``pages``; ``warm_up`` first extracts them all once, untimed, so that pages/s is a long-lived
    worker's (the tests, which read only the scores, skip it)."""
    result = SiteResult(pages[0].site if pages else "", layout)
    for page in pages if warm_up else ():     # dateparser's locale data, caches
        extract(page.body, page.url, page.site, base_url=base_url, encoding=page.encoding, fetched_at=NOW)
    for page in pages:
        result.bytes += len(page.body)
        hits: dict[str, bool] = {}
        started = time.perf_counter()
        record = extract(page.body, page.url, page.site, base_url=base_url, encoding=page.encoding, fetched_at=NOW,
                         hits=hits)
        result.seconds += time.perf_counter() - started
        if not isinstance(record, NotArticle):      # as the crawl counts them (crawler/extract/selector_hits.py)
            result.selector_hits += sum(hits.values())
            result.selector_checks += len(hits)
        ours = "" if isinstance(record, NotArticle) else record["text"]
        if not page.gold:
            result.not_articles += 1
            result.rejected += isinstance(record, NotArticle)
            if page.shape:
                result.shapes[page.shape] = "rejected" if isinstance(record, NotArticle) else "ARCHIVED"
            continue
        html = page.body.decode(page.encoding or "utf-8")
        plain = trafilatura.extract(html) or ""
        result.pages += 1
        result.ours.add(ours, page.gold)
        result.plain.add(plain, page.gold)
        result.worst.append((Score().add(ours, page.gold).f1, page.url))
        if page.shape:
            result.shapes[page.shape] = f"{result.worst[-1][0]:.3f}"
    result.worst.sort()
    return result


LAYOUTS = (1, 2, 3)


def run(sites: list[str], layouts: tuple[int, ...] = LAYOUTS) -> list[SiteResult]:
    return [evaluate(list(replica_pages(site, layout=layout)), layout=layout) for site in sites for layout in layouts]


def report(results: list[SiteResult]) -> str:
    lines = [f"{'site':<10} {'layout':>6} {'pages':>5}  {'ours P':>7} {'R':>6} {'F1':>6}   {'plain P':>7} {'R':>6}"
             f" {'F1':>6}   {'not-article rejected':>20}  {'sel':>5}  {'pages/s':>7} {'avg KB':>6}"]
    for r in results:
        total = r.pages + r.not_articles
        lines.append(
            f"{r.site:<10} {r.layout:>6} {r.pages:>5}  {r.ours.precision:>7.4f} {r.ours.recall:>6.4f} {r.ours.f1:>6.4f}"
            f"   {r.plain.precision:>7.4f} {r.plain.recall:>6.4f} {r.plain.f1:>6.4f}"
            f"   {f'{r.rejected}/{r.not_articles}':>20}  {r.selector_rate:>5.2f}"
            f"  {total / r.seconds if r.seconds else 0:>7.1f}"
            f" {r.bytes / 1024 / total if total else 0:>6.1f}")
    for r in results:
        shapes = ", ".join(f"{shape} {outcome}" for shape, outcome in sorted(r.shapes.items()))
        lines.append(f"{r.site} layout {r.layout} page shapes (ours): {shapes or 'none'}")
    for r in results:
        worst = [f"{f1:.3f} {url}" for f1, url in r.worst[:3] if f1 < 1.0]
        lines.append(f"{r.site} layout {r.layout} pages below F1 1.0 (worst first): {', '.join(worst) or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", choices=sorted(SITES), action="append", help="only this site (repeatable)")
    parser.add_argument("--layout", type=int, choices=LAYOUTS, action="append",
                        help="only this replica layout (repeatable; default all)")
    args = parser.parse_args(argv)
    print(report(run(args.site or sorted(SITES), tuple(args.layout or LAYOUTS))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
