"""Registry of the sites arshif knows.

Each site is one module in this package (``rt_arabic.py``, ``elbalad.py``) that defines ``SITE``, a
:class:`SiteSpec`: everything arshif knows about that site's URLs, discovery and markup lives there, so a
layout change on a site is a change in one file. The key (``rt_arabic``, ``elbalad``) is the spider name,
the replica folder and the archive partition (``site=<key>``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["SiteSpec", "SITES", "get_site"]


@dataclass(frozen=True)
class SiteSpec:
    key: str
    name: str
    default_base_url: str
    timezone: str                      # IANA zone of the site's local times (dates without an offset)
    article_path: re.Pattern[str]      # matches the path of an article URL (query and fragment removed)
    not_article_path: re.Pattern[str] | None = None   # paths that look like articles but are not (video, live…)
    # Optional rewrite of a matched article path to its canonical form (e.g. drop an AMP suffix).
    canonical_path: Callable[[str], str] | None = None
    # CSS selectors on listing pages
    listing_link_css: str = "a::attr(href)"
    listing_next_css: str = "a[rel=next]::attr(href)"
    # Extraction knowledge (selectors, prune XPaths, line noise rules) — see crawler/extract.py
    extraction: dict = field(default_factory=dict)
    language: str = "ar"

    def is_article_path(self, path: str) -> bool:
        if self.not_article_path is not None and self.not_article_path.search(path):
            return False
        return bool(self.article_path.fullmatch(path))


def _load() -> dict[str, SiteSpec]:
    from . import elbalad, rt_arabic

    sites = {}
    for module in (rt_arabic, elbalad):
        spec = module.SITE
        if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.key):
            raise ValueError(f"site key {spec.key!r} must be a lowercase identifier")
        if spec.key in sites:
            raise ValueError(f"site key {spec.key!r} defined twice")
        sites[spec.key] = spec
    return sites


SITES: dict[str, SiteSpec] = _load()


def get_site(key: str) -> SiteSpec:
    try:
        return SITES[key]
    except KeyError:
        raise KeyError(f"unknown site {key!r} (known: {', '.join(sorted(SITES))})") from None
