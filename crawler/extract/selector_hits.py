"""The site's own selectors against the generic fallbacks, page by page: a redesign of a site shows as its
selectors no longer matching while the generic sources (JSON-LD, OpenGraph, Trafilatura) still find the
article. The crawl's workers call :func:`extract_page` (through :func:`extract_for_crawl`); the run report sums
the hits (``selectors``) and ``arshif status`` warns when the rate falls below ``status.min_selector_hit_rate``."""
from __future__ import annotations

from datetime import datetime

from crawler.outcomes import NotArticle

__all__ = ["extract_for_crawl", "extract_page"]


def extract_page(body: bytes, url: str, site: str, *, base_url: str | None = None, encoding: str | None = None,
                 fetched_at: datetime | None = None) -> tuple[dict | NotArticle, dict[str, bool], dict[str, str]]:
    """``crawler.extract.page.extract``; for an article, which of the site's selectors matched it (``crawler.
    extract.metadata.selector_hits`` of the tree the extraction parsed); and what the page says against
    itself (``extract``'s ``findings``)."""
    from crawler.extract.page import extract   # in the worker (its fork server preloaded it); the crawl's
                                               # process sends this function by name, never imports Trafilatura
    hits: dict[str, bool] = {}
    findings: dict[str, str] = {}
    result = extract(body, url, site, base_url=base_url, encoding=encoding, fetched_at=fetched_at, hits=hits,
                     findings=findings)
    return result, ({} if isinstance(result, NotArticle) else hits), findings


def extract_for_crawl(body: bytes, url: str, site: str, *, story_terms: bool = False, **how
                      ) -> tuple[dict | NotArticle, dict[str, bool], dict[str, str], list[tuple[str, int]] | None]:
    """:func:`extract_page` (``how``: its keyword arguments), and with ``story_terms`` an article's terms for
    story linking (``crawler.stories.features.article_terms`` of its title and text, else None): computed
    here in the worker, so that the crawl's process never reads the article back to link it."""
    result, hits, findings = extract_page(body, url, site, **how)
    terms = None
    if story_terms and not isinstance(result, NotArticle):
        from crawler.stories.features import article_terms    # preloaded by the workers' fork server

        terms = article_terms(result.get("title") or "", result.get("text") or "")
    return result, hits, findings, terms
