"""Registry of the sites arshif knows.

Each site is one module in this package (``rt_arabic.py``, ``elbalad.py``) that defines ``SITE``, a
:class:`SiteSpec`: everything arshif knows about that site's URLs, discovery and markup lives there, so a
layout change on a site is a change in one file. The key (``rt_arabic``, ``elbalad``) is the spider name,
the replica's renderer (``replica/render_<key>.py``) and the archive partition (``site=<key>``).

The registry is every module of this package that defines ``SITE``: adding a site is adding its module
(README, "Adding a site"). Sites are listed by their ``name`` (the order of ``SITES``: summaries, replica ports).
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from cssselect import GenericTranslator

from crawler.sites.rules import Rules

__all__ = ["Extraction", "Selector", "SiteSpec", "SITES", "get_site", "xpath"]

# A CSS selector and the attribute to read (None: the element's text).
Selector = tuple[str, str | None]


def xpath(css: str) -> str:
    """The XPath of a CSS selector (site modules write prune rules in CSS; Trafilatura takes XPath). A class
    test comes as a step predicate of its own, ``[@class][contains(...)]`` for cssselect's ``[@class and
    contains(...)]``: the same elements (unless the predicate tests a ``position()``, which the split would
    count among the elements with a class: left as it is), and libxml2 skips the string tests on every
    element without a class (a third of the CPU of a site's noise rules, evaluated on every page)."""
    found = GenericTranslator().css_to_xpath(css)
    return found if "position()" in found else found.replace("[@class and ", "[@class][")


@dataclass(frozen=True)
class Extraction:
    """A site's markup knowledge, as data read by ``crawler/extract/page.py`` and ``crawler/extract/metadata.py``.

    Field selectors are tried in order before the generic sources (JSON-LD, OpenGraph, meta tags,
    Trafilatura). ``body`` is the article body's container: Trafilatura finds the body on its own, the
    selector says whether the page still has the markup the site is known by (the run's selector hit
    rate, ``crawler.extract.metadata.selector_hits``). ``lead``: where the site prints the article's lead
    apart from the body, in a block Trafilatura may leave out; the first that has text opens the article's
    lines unless they hold it already (``crawler/extract/page.py``; the line rules keep a lead that the body
    restates once). ``prune_xpath`` removes the site's noise blocks before
    Trafilatura reads the page; ``rules`` add the site's line rules to the shared ones of
    ``crawler/extract/cleaning.py``. A change of any of these is a new ``rules_version`` (it is stored in every
    record's ``extractor.rules``).
    """

    rules_version: str = "0"
    title: tuple[Selector, ...] = ()
    title_suffix: re.Pattern[str] | None = None        # removed from titles (og:title "… - RT Arabic")
    description: tuple[Selector, ...] = ()
    authors: tuple[Selector, ...] = ()
    published: tuple[Selector, ...] = ()
    modified: tuple[Selector, ...] = ()
    section: tuple[Selector, ...] = ()
    tags: tuple[Selector, ...] = ()
    image: tuple[Selector, ...] = ()
    body: tuple[Selector, ...] = ()
    lead: tuple[Selector, ...] = ()
    prune_xpath: tuple[str, ...] = ()
    rules: Rules = Rules()


@dataclass(frozen=True)
class SiteSpec:
    key: str
    name: str
    default_base_url: str              # where the site is served; settings' `base_url` overrides it
    timezone: str                      # IANA zone of the site's local times (dates without an offset)
    article_path: re.Pattern[str]      # matches the path of an article URL (query and fragment removed)
    not_article_path: re.Pattern[str] | None = None   # paths that look like articles but are not (video, live…)
    # Optional rewrite of a matched article path to its canonical form (e.g. drop an AMP suffix).
    canonical_path: Callable[[str], str] | None = None
    # The site's own article number in an article path (named group ``id``): the article's identity, whatever
    # the slug, AMP suffix or legacy form. None, or no match: the canonical path is the identity.
    native_id: re.Pattern[str] | None = None
    # The site's own URL of an article number (``{id}``), answering (or redirecting to) the article of that
    # number: the holes in the numbers are probed there (crawler/discover/ids.py). None: not probed.
    id_url: str | None = None
    # Other host names the site answers on (``www.`` and bare forms of each, and of the base URL's host, are
    # the same site too).
    host_aliases: tuple[str, ...] = ()
    # Discovery defaults, paths relative to the base URL; settings' `feeds`/`sitemaps`/`listings` override them.
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    # CSS selectors on listing pages
    listing_link_css: str = "a::attr(href)"
    listing_next_css: str = "a[rel=next]::attr(href)"
    # Extraction knowledge (selectors, prune XPaths, line noise rules) — see crawler/extract/page.py
    extraction: Extraction = field(default_factory=Extraction)
    language: str = "ar"
    # The day the site started publishing (with its public source): a page, sitemap or feed date before it is
    # no date (``crawler/dates.py``'s ``sane``). None: the project's floor, ``dates.EARLIEST``.
    published_since: date | None = None

    def __post_init__(self) -> None:
        if self.id_url is not None and (self.native_id is None or "{id}" not in self.id_url
                                        or not self.native_id.fullmatch(self.id_url.replace("{id}", "1234567"))):
            raise ValueError(f"site {self.key}: id_url {self.id_url!r} must hold {{id}} and be an article path "
                             "its native_id reads")

    def __hash__(self) -> int:
        # equal specs have equal keys; the hash dataclass would make reads every field, the Extraction's too
        # (3.5 µs, on each call of a function cached by site: crawler/urls.py's canonicalize, several a page)
        return hash(self.key)

    def is_article_path(self, path: str) -> bool:
        if self.not_article_path is not None and self.not_article_path.search(path):
            return False
        return bool(self.article_path.fullmatch(path))

    def identity(self, path: str) -> str:
        """What names an article whose path (relative to the base URL, canonical) is ``path``:
        ``"<key>/<native id>"``, or ``"<key><path>"`` when the path carries no article number."""
        match = self.native_id.fullmatch(path) if self.native_id is not None else None
        # a number written with leading zeros (/world/02412345-x/) is the same number
        return f"{self.key}/{match['id'].lstrip('0') or '0'}" if match else f"{self.key}{path}"


def _load() -> dict[str, SiteSpec]:
    """Every ``SITE`` defined by a module of this package, keyed by site key, ordered by site name."""
    specs: dict[str, SiteSpec] = {}
    for info in pkgutil.iter_modules(__path__):
        spec = getattr(importlib.import_module(f"{__name__}.{info.name}"), "SITE", None)
        if spec is None:
            continue
        if not isinstance(spec, SiteSpec):
            raise TypeError(f"crawler/sites/{info.name}.py: SITE must be a SiteSpec, got {type(spec).__name__}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.key):
            raise ValueError(f"site key {spec.key!r} must be a lowercase identifier")
        if spec.key in specs:
            raise ValueError(f"site key {spec.key!r} defined twice")
        specs[spec.key] = spec
    return {spec.key: spec for spec in sorted(specs.values(), key=lambda s: s.name)}


SITES: dict[str, SiteSpec] = _load()


def get_site(key: str) -> SiteSpec:
    try:
        return SITES[key]
    except KeyError:
        raise KeyError(f"unknown site {key!r} (known: {', '.join(sorted(SITES))})") from None
