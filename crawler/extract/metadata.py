"""Article metadata from a parsed page: the site's selectors first, then JSON-LD, OpenGraph and meta tags,
then generic markup inside the article (visible date, byline, tag links), then what Trafilatura found —
except its date: htmldate takes dates from anywhere on the page (tickers, related lists), so a page without
a date of its own gets none. Values come out as found (dates as strings, image URLs maybe relative);
``crawler/extract/page.py`` parses dates and resolves URLs.

JSON-LD is read by extruct (``JsonLdExtractor``: lenient about HTML or JavaScript comments and trailing
commas in the script), one script at a time so that a broken one hides no other; what is ours is the choice
of the article object (an ``@graph`` opened, the first article type) and the mapping of its schema.org fields.
Measured by ``bench/metadata.py`` before the switch, on the 218 article pages of the replica (both sites, both
layouts) and the 4 HTML fixtures: extruct's reading gave the same title, authors, dates, section, image and
description as our hand-written ``json.loads`` reader on every page (agreement 1.000 on every field), at
about 150 µs per page against 135 µs (its JSON-LD module alone is imported: ``_json_ld_extractor``), and
it reads what strict JSON refuses. Trafilatura's JSON-LD reader (``extract_meta_json``) reads no dates,
image or description (agreement 0.31 on ``published``); its whole metadata extraction agreed with our record
on the title on half the pages and on ``modified`` on 18%, at four times the time.

Not ``extruct.extract(..., syntaxes=["json-ld"], uniform=True)``: ``uniform`` reshapes microdata,
microformats, OpenGraph and Dublin Core, not JSON-LD, so the mapping below stays ours; over a whole page one
broken script hides every other (``test_metadata``); and ``import extruct`` loads every syntax's reader
(rdflib, pyRdfa, mf2py, BeautifulSoup, html5lib, requests: 219 modules, +7 MB, +0.2–0.3 s per process).
Called script by script it gives the same record on the 223 pages of ``bench/metadata.py``."""
from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable

from cssselect import ExpressionError
from lxml.cssselect import CSSSelector
from lxml.etree import XPath

from crawler.extract.cleaning import is_date_line
from crawler.sites import Extraction, Selector, xpath


def _json_ld_extractor() -> type:
    """extruct's ``JsonLdExtractor`` without the rest of extruct. The package's ``__init__`` imports every
    syntax it reads (rdflib, mf2py, BeautifulSoup, requests): 0.3 s and ~10 MB in each extraction process
    (the crawl's fork server and each worker) for one module that needs only jstyleson and lxml. The package
    is registered unexecuted, so its submodules load from its folder as usual; a later ``import extruct``
    in the same process would find that empty package, and nothing here does one."""
    if "extruct" not in sys.modules:
        spec = importlib.util.find_spec("extruct")
        if spec is None:
            raise ImportError("extruct is not installed")
        sys.modules["extruct"] = importlib.util.module_from_spec(spec)
    from extruct.jsonld import JsonLdExtractor

    return JsonLdExtractor


JsonLdExtractor = _json_ld_extractor()

__all__ = ["PageMetadata", "needs_fallback", "page_metadata", "selector_hits", "site_lead"]

ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
                 "OpinionNewsArticle", "BackgroundNewsArticle", "Report"}
_LD_SCRIPTS = XPath('//script[@type="application/ld+json"]')
_JSON_LD = JsonLdExtractor()
_META = XPath("//meta[@content]")
_CANONICAL = XPath('//link[@rel="canonical"]/@href')
_TAG_SPLIT = re.compile(r"\s*[,،;؛]\s*")


@dataclass
class PageMetadata:
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    canonical: list[str] = field(default_factory=list)     # candidates, best first: rel=canonical, og:url


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _unique(values: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for v in values:
        v = _clean(v)
        if v and v not in out:
            out.append(v)
    return out


@lru_cache(maxsize=256)
def _css(selector: str) -> XPath:
    """``selector`` compiled as ``crawler.sites.xpath`` writes it (a class test as a step predicate of its own:
    libxml2 skips its string tests on every element without a class); what only lxml's own translator reads
    (``:contains()``) as lxml's ``CSSSelector``."""
    try:
        return XPath(xpath(selector))
    except ExpressionError:
        return CSSSelector(selector)


def _select(tree, selectors: tuple[Selector, ...], accept=bool) -> list[str]:
    """Values of the first selector that yields any (that ``accept`` takes)."""
    for css, attr in selectors:
        found = _unique(el.get(attr) if attr else el.text_content() for el in _css(css)(tree))
        values = [v for v in found if accept(v)]
        if values:
            return values
    return []


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


# --- JSON-LD -------------------------------------------------------------------------------------------

def _ld_objects(tree) -> Iterable[dict]:
    """Every JSON-LD object of the page, those of an ``@graph`` included; a script that is no JSON is skipped."""
    for script in _LD_SCRIPTS(tree):
        try:
            stack: list[Any] = list(_JSON_LD.extract_items(script))
        except ValueError:
            continue
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.append(item["@graph"])


def _is_article(obj: dict) -> bool:
    types = obj.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(t in ARTICLE_TYPES for t in types if isinstance(t, str))


def _names(value: Any) -> list[str]:
    """Person names from a string, an object with a name, or a list of them (organizations are publishers)."""
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    if isinstance(value, dict):
        value = None if value.get("@type") == "Organization" else value.get("name")
    return [value] if isinstance(value, str) else []


def _urls(value: Any) -> list[str]:
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return [value] if isinstance(value, str) else []


def _keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        return [k for v in value for k in _keywords(v)]
    return _TAG_SPLIT.split(value) if isinstance(value, str) else []


def _from_json_ld(tree) -> PageMetadata:
    meta = PageMetadata()
    for obj in _ld_objects(tree):
        if not _is_article(obj):
            continue
        section = obj.get("articleSection")
        meta = PageMetadata(
            title=_clean(obj.get("headline")) or _clean(obj.get("name")),
            description=_clean(obj.get("description")),
            authors=_unique(_names(obj.get("author"))),
            published=_clean(obj.get("datePublished")),
            modified=_clean(obj.get("dateModified")),
            section=_first(_unique(section if isinstance(section, list) else [section])),
            tags=_unique(_keywords(obj.get("keywords"))),
            image=_first(_unique(_urls(obj.get("image")))),
            canonical=_unique(_urls(obj.get("mainEntityOfPage")) + [obj.get("url")]),
        )
        break
    return meta


# --- OpenGraph and meta tags ---------------------------------------------------------------------------

def _meta_tags(tree) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for el in _META(tree):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = _clean(el.get("content"))
        if key and value:
            tags.setdefault(key, []).append(value)
    return tags


def _from_meta(tree) -> PageMetadata:
    tags = _meta_tags(tree)

    def first(*keys: str) -> str | None:
        return next((tags[k][0] for k in keys if k in tags), None)

    return PageMetadata(
        title=first("og:title", "twitter:title", "title"),
        description=first("og:description", "description", "twitter:description"),
        authors=_unique(tags.get("article:author", []) + tags.get("author", [])),
        published=first("article:published_time", "datepublished", "publish-date", "pubdate", "date"),
        modified=first("article:modified_time", "datemodified", "og:updated_time", "last-modified"),
        section=first("article:section", "category", "section"),
        tags=_unique(tags.get("article:tag", []) or _keywords(first("news_keywords", "keywords"))),
        image=first("og:image", "og:image:url", "twitter:image", "image"),
        canonical=_unique(list(_CANONICAL(tree)) + tags.get("og:url", [])),
    )


# --- merging -------------------------------------------------------------------------------------------

FIELDS = tuple(PageMetadata.__dataclass_fields__)


def _merge(sources: Iterable[Callable[[set[str]], PageMetadata]]) -> PageMetadata:
    """Field by field, the first source that has a value; a source is asked only for the fields still empty.
    ``canonical`` gathers every source's candidates (best first): a page naming itself one way and another
    article another way is a page that disagrees with itself, which the extractor must see."""
    merged = PageMetadata()
    for source in sources:
        wanted = {name for name in FIELDS if not getattr(merged, name)} | {"canonical"}
        found = source(wanted)
        for name in wanted - {"canonical"}:
            setattr(merged, name, getattr(found, name))
        merged.canonical = _unique(merged.canonical + found.canonical)
    return merged


# Markup many news sites use inside the article; tried after the machine-readable metadata.
GENERIC = Extraction(
    authors=(("article [rel=author]", None), ("article [class*=author]", None), ("article [class*=writer]", None),
             ("article [class*=byline]", None)),
    published=(("article time[datetime]", "datetime"), ("article time", None), ("article [class*=date]", None),
               ("article [class*=time]", None)),
    tags=(("article [class*=tags] a", None), ("article [class*=keywords] a", None)),
)


_SINGLE = {"title", "description", "published", "modified", "section", "image"}
_DATES = {"published", "modified"}


def _from_site(tree, extraction: Extraction, wanted: set[str], timezone: str) -> PageMetadata:
    meta = PageMetadata()
    for name in wanted - {"canonical"}:
        accept = (lambda value: is_date_line(value, timezone)) if name in _DATES else bool
        values = _select(tree, getattr(extraction, name), accept)
        setattr(meta, name, _first(values) if name in _SINGLE else values)
    return meta


def _from_trafilatura(document) -> PageMetadata:
    if document is None:
        return PageMetadata()
    return PageMetadata(
        title=_clean(document.title),
        description=_clean(document.description),
        authors=_unique(_TAG_SPLIT.split(document.author or "")),
        section=_first(_unique(document.categories or [])),
        tags=_unique(document.tags or []),
        image=_clean(document.image),
    )


def page_metadata(tree, extraction: Extraction, document=None, hits: dict[str, bool] | None = None,
                  timezone: str = "UTC") -> PageMetadata:
    """Metadata of a parsed page; ``document`` is Trafilatura's metadata for it (last fallback). ``hits``, when
    given, receives ``selector_hits`` of the page, from the same reading of its selectors. ``timezone``: the
    site's (``SiteSpec.timezone``), in which a date written in words is read to tell it is one, so that the
    extractor's ``parse_date`` of the date chosen reuses that reading."""
    site = _from_site(tree, extraction, set(FIELDS), timezone)
    merged = _merge((
        lambda wanted: site,
        lambda wanted: _from_json_ld(tree),
        lambda wanted: _from_meta(tree),
        lambda wanted: _from_site(tree, GENERIC, wanted, timezone),
    ))
    if hits is not None:
        hits.update(selector_hits(tree, extraction, site, merged))
    if document is not None:
        page = merged
        merged = _merge((lambda wanted: page, lambda wanted: _from_trafilatura(document)))
    if merged.title and extraction.title_suffix is not None:
        merged.title = extraction.title_suffix.sub("", merged.title).strip() or merged.title
    return merged


def site_lead(tree, extraction: Extraction) -> str | None:
    """The article's lead where the site prints it apart from the body (``Extraction.lead``), or None."""
    return _first(_select(tree, extraction.lead))


def needs_fallback(meta: PageMetadata) -> bool:
    """Whether the page's own metadata lacks a title, which Trafilatura's heuristics may find."""
    return not meta.title


@lru_cache(maxsize=256)
def _xpath(expression: str) -> XPath:
    return XPath(expression)


def selector_hits(tree, extraction: Extraction, site: PageMetadata, page: PageMetadata) -> dict[str, bool]:
    """Whether the site's own selectors still find this page's parts: a redesign shows as misses.

    ``site`` is what the site's selectors gave, ``page`` what the page gave from any of its own sources (the
    site's selectors, JSON-LD, OpenGraph and meta tags, generic markup; not Trafilatura's heuristics). For
    each metadata field the site has selectors for and the page has a value for, True when the site's
    selectors gave it, False when only the generic sources did; a field the page has no value for is no
    evidence either way and is left out. ``body``: the site's body selector finds text. ``prune``: one of the
    site's noise-block rules matches.
    """
    fields = [name for name in FIELDS if name != "canonical" and getattr(extraction, name)]
    hits = {name: bool(getattr(site, name)) for name in fields if getattr(page, name)}
    if extraction.body:
        hits["body"] = bool(_select(tree, extraction.body))
    if extraction.prune_xpath:
        hits["prune"] = any(_xpath(rule)(tree) for rule in extraction.prune_xpath)
    return hits
