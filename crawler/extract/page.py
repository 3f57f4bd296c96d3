"""One pure function from a fetched page to an article record (or the reason it is not one).

``extract`` does no I/O and takes and returns only picklable values: the crawl runs it in a process pool
(Trafilatura is not thread-safe), ``arshif extract`` and re-extraction call the same function. A page is
parsed once; Trafilatura reads a copy with every read-more box flattened to one line (label and headline:
the line rules decide whether the article ends there) and the shared and the site's noise blocks pruned,
metadata comes from the same tree (``crawler/extract/metadata.py``), and the text lines go through the line rules
(``crawler/extract/cleaning.py``). A plain-text dump (no HTML) skips the HTML part and gets the line rules only, read
as a whole page. What the rules did that may be wrong is in the record's ``extractor.notes`` (name → count).
"""
from __future__ import annotations

import hashlib
import re
from copy import deepcopy
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml.etree import XPath
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import extract_metadata
from trafilatura.settings import use_config
from w3lib.encoding import html_to_unicode

from crawler.extract import cleaning
from crawler.dates import parse_date, sane
from crawler.extract.garbled import garbled
from crawler.extract.interstitial import interstitial
from crawler.extract.markup import parse
from crawler.extract.metadata import PageMetadata, needs_fallback, page_metadata, site_lead
from crawler.sites import SiteSpec, get_site
from crawler.outcomes import NotArticle
from crawler.urls import article_id, canonicalize, is_article_url

__all__ = ["NotArticle", "extract", "extract_file", "MIN_WORDS", "RULES_VERSION"]

MIN_WORDS = cleaning.MIN_WORDS
RULES_VERSION = "5"         # the shared rules (cleaning.py, how Trafilatura is called); sites version their own
FALLBACK_ENCODING = "cp1256"     # bytes that are neither declared nor UTF-8: Arabic Windows
_HTML = re.compile(r"<(?:!doctype|html|head|body|article|div|p|meta|title)\b", re.IGNORECASE)
# Trafilatura's rescue of a short extraction (under MIN_EXTRACTED_SIZE characters) takes the text of the
# whole <article> element or page as the article: on a page whose article is a few words, that is the
# page's chrome (ticker, masthead, byline, share bar) archived as an article. A short article stays short
# here and MIN_WORDS rejects it.
TRAFILATURA_CONFIG = use_config()
TRAFILATURA_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
# ``fast=True``: no second opinion from readability and justext. On every replica page, both layouts, and
# every fixture the records are the same with and without it (bench/extraction.py, bench/fixtures.py), and
# justext's stop-word lists of every language cost each worker ~32 MB (102 → 70 MiB over 600 pages).
# htmldate (Trafilatura's date finder): keep the time of day when the page gives one
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}


def _site(site: str | SiteSpec) -> SiteSpec:
    return get_site(site) if isinstance(site, str) else site


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _sniff(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return FALLBACK_ENCODING


def decode(body: bytes | str, encoding: str | None = None) -> str:
    """Text of ``body``: BOM, then the transport's ``encoding``, then a meta charset, then UTF-8 or cp1256 —
    w3lib's order (``html_to_unicode``); ``encoding`` is the Content-Type charset as w3lib read it
    (``http_content_type_encoding``, in the spider and in re-extraction), or any charset label."""
    if isinstance(body, str):
        return body
    header = f"text/html; charset={encoding}" if encoding else None
    return html_to_unicode(header, body, auto_detect_fun=_sniff)[1]


def decode_checked(body: bytes | str, encoding: str | None, language: str) -> str | NotArticle:
    """``decode``, then the page's text checked with ``garbled``; when the transport's charset gave garbage,
    the bytes are read again: by their BOM or meta charset alone, then as strict UTF-8, then as cp1256. The
    first reading that is text wins; none is ``NotArticle("garbled_text")``."""
    text = decode(body, encoding)
    if garbled(text, language) is None:
        return text
    if isinstance(body, str):
        return NotArticle("garbled_text")
    for again in (lambda: decode(body), lambda: body.decode("utf-8"), lambda: body.decode(FALLBACK_ENCODING)):
        try:
            text = again()
        except UnicodeDecodeError:
            continue
        if garbled(text, language) is None:
            return text
    return NotArticle("garbled_text")


def _identity(url: str, base_url: str, spec: SiteSpec, candidates: list[str],
              findings: dict[str, str] | None) -> str:
    """The canonical URL of the article fetched from ``url``: the page's own canonical link when it names that
    same article (another slug, the non-AMP form), else ``url`` canonicalized. The identity is what was
    fetched: a canonical link naming another article of the site is the page disagreeing with itself, put in
    ``findings["canonical_elsewhere"]`` (never a reason to write over that other article)."""
    if not _is_web(url):
        return url
    fetched = canonicalize(url, base_url, spec)
    wanted = article_id(fetched, base_url, spec)
    same = None
    for candidate in candidates:
        absolute = urljoin(url, candidate)
        if not is_article_url(absolute, base_url, spec):
            continue
        if article_id(absolute, base_url, spec) == wanted:
            same = same or canonicalize(absolute, base_url, spec)
        elif findings is not None:
            findings.setdefault("canonical_elsewhere", canonicalize(absolute, base_url, spec))
    return same or fetched


def _sane_date(text: str | None, spec: SiteSpec, fetched_at: datetime | None, notes: dict[str, int]) -> str | None:
    """``parse_date``, and None (noted ``date_out_of_range``) for a date the site cannot have: before it
    started publishing, or after the fetch (``crawler.dates.sane``)."""
    iso = parse_date(text, spec.timezone, fetched_at)
    if iso is None:
        return None
    try:
        when = datetime.fromisoformat(iso).astimezone(timezone.utc)
    except (OverflowError, ValueError):      # year 1 in a zone east of UTC: before datetime's first instant
        when = None
    if when is None or not sane(when, spec.published_since, fetched_at or datetime.now(timezone.utc)):
        notes["date_out_of_range"] = notes.get("date_out_of_range", 0) + 1
        return None
    return iso


def _html_lines(html: str, url: str, spec: SiteSpec, hits: dict[str, bool] | None,
                notes: dict[str, int]) -> tuple[cleaning.Cleaned, PageMetadata] | NotArticle:
    tree = parse(html, notes)
    if isinstance(tree, NotArticle):
        return tree
    stand_in = interstitial(tree, MIN_WORDS)         # a challenge, denial or paywall page in place of the article
    if stand_in:
        return NotArticle(stand_in)
    web_url = url if _is_web(url) else None
    # Everything read from the page as served comes first; then the boxes are flattened and the noise blocks
    # pruned in the page itself, which Trafilatura copies before it reads it (``bare_extraction``): one copy of
    # the tree, not two.
    found: dict[str, bool] = {}
    meta = page_metadata(tree, spec.extraction, hits=found, timezone=spec.timezone)
    content = tree
    if needs_fallback(meta):         # Trafilatura's metadata heuristics cost as much as its text extraction
        content = deepcopy(tree)     # what they might change in the page is not what its text is read from
        meta = page_metadata(tree, spec.extraction, extract_metadata(tree, web_url, _DATE_PARAMS, extensive=False),
                             timezone=spec.timezone)
    lead = site_lead(tree, spec.extraction)
    cleaning.flatten_boxes(content)
    prune_unwanted_nodes(content, _prune_xpaths(cleaning.PRUNE_XPATH + spec.extraction.prune_xpath))
    document = trafilatura.bare_extraction(
        content,
        url=web_url,
        fast=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        config=TRAFILATURA_CONFIG,
    )
    if document is None or not document.text:
        return NotArticle("no_article_body")
    if hits is not None:
        hits.update(found)
    if not meta.title:
        return NotArticle("no_title")
    rules = _rules(spec.extraction.rules)
    meta.authors = [a for a in meta.authors if not cleaning.is_noise(a, rules)]   # agency bylines are no authors
    cleaned = cleaning.clean(_with_lead(document.text.splitlines(), lead), rules, title=meta.title,
                             authors=meta.authors)
    return cleaned, meta


@lru_cache(maxsize=16)
def _prune_xpaths(expressions: tuple[str, ...]) -> list[XPath]:
    """The noise blocks' XPaths, compiled once (Trafilatura's ``prune_xpath`` compiles them on every page),
    applied as it applies them (``prune_unwanted_nodes``: in order, each element's tail kept)."""
    return [XPath(expression) for expression in expressions]


def _with_lead(lines: list[str], lead: str | None) -> list[str]:
    """``lines`` opened by the site's ``lead`` when Trafilatura left it out (a lead in a block of its own, apart
    from the body); a lead the body restates at greater length is then kept once by the line rules."""
    if not lead or cleaning.normalize_line(lead) in map(cleaning.normalize_line, lines):
        return lines
    return [lead, *lines]


@lru_cache(maxsize=16)
def _rules(site_rules: cleaning.Rules) -> cleaning.Rules:
    """The shared line rules and the site's, built once a site (each group's patterns joined in one)."""
    return cleaning.RULES.extend(site_rules)


def extract(
    body: bytes | str,
    url: str,
    site: str | SiteSpec,
    *,
    base_url: str | None = None,
    encoding: str | None = None,
    fetched_at: datetime | None = None,
    hits: dict[str, bool] | None = None,
    findings: dict[str, str] | None = None,
) -> dict | NotArticle:
    """The article record of a page of ``site`` fetched from ``url``, or ``NotArticle(reason)``.

    ``body`` is the page (bytes are decoded with ``encoding`` — the transport's charset — or the page's
    meta charset) or a plain-text dump of it. ``base_url`` is where the site is served (default: the
    site's own); a URL that is not a ``file:`` URL must be an article URL of it. ``fetched_at`` resolves
    relative dates ("منذ ساعتين"); without it they are None. ``hits``, when given, receives which of the
    site's own selectors matched the page (``crawler.extract.metadata.selector_hits``), from the same parsed tree.
    ``findings``, when given, receives what the page says against itself (``canonical_elsewhere``: its
    canonical link names another article; the record keeps the identity of the URL fetched).
    """
    spec = _site(site)
    base_url = base_url or spec.default_base_url
    if _is_web(url) and not is_article_url(url, base_url, spec):
        return NotArticle("not_article_url")
    text = decode_checked(body, encoding, spec.language)
    if isinstance(text, NotArticle):
        return text
    notes: dict[str, int] = {}
    if _HTML.search(text, 0, 20000):
        result = _html_lines(text, url, spec, hits, notes)
        if isinstance(result, NotArticle):
            return result
        cleaned, meta = result
    else:
        cleaned = cleaning.clean(text.splitlines(), _rules(spec.extraction.rules), page_dump=True)
        meta = PageMetadata()
    article = "\n".join(cleaned.lines)
    word_count = len(article.split())
    if word_count < MIN_WORDS:
        if word_count:
            return NotArticle("text_too_short")
        return NotArticle("widget_only" if cleaned.widget_lines else "no_article_body")
    if garbled(f"{meta.title or ''}\n{article}", spec.language):     # what would be archived, checked again
        return NotArticle("garbled_text")
    canonical = _identity(url, base_url, spec, meta.canonical, findings)
    published = _sane_date(meta.published, spec, fetched_at, notes)
    modified = _sane_date(meta.modified, spec, fetched_at, notes)
    return {
        "id": article_id(canonical, base_url, spec),
        "url": url,
        "canonical_url": canonical,
        "site": spec.key,
        "title": meta.title,
        "description": meta.description,
        "authors": meta.authors,
        "published_at": published,
        "modified_at": modified,
        "section": meta.section,
        "tags": meta.tags,
        "image": urljoin(url if _is_web(url) else base_url, meta.image) if meta.image else None,
        "language": spec.language,
        "text": article,
        "word_count": word_count,
        "content_sha256": hashlib.sha256(article.encode("utf-8")).hexdigest(),
        "extractor": {
            "name": "trafilatura",
            "version": trafilatura.__version__,
            "rules": f"{spec.key}@{spec.extraction.rules_version}.{RULES_VERSION}",
            "notes": {**cleaned.notes, **notes},
        },
    }


def extract_file(path: str | Path, site: str | SiteSpec, url: str | None = None,
                 base_url: str | None = None) -> dict | NotArticle:
    """``extract`` on a saved page or text dump; without ``url`` the file's own ``file:`` URL is used."""
    path = Path(path)
    return extract(path.read_bytes(), url or path.resolve().as_uri(), site, base_url=base_url)
