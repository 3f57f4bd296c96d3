"""URL canonicalization and article ids: one article is one URL, one id.

Library work is done by courlan (tracking parameters, fragments) and w3lib (percent-encoding, query order);
what is ours is the per-site part: the site's own host is the one in ``base_url``, article URLs carry no
query, and a site may rewrite variant paths (AMP) to the canonical one.
"""
from __future__ import annotations

import hashlib
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import canonicalize_url

from .sites import SiteSpec


def _bare_host(netloc: str) -> str:
    host = netloc.lower()
    return host[4:] if host.startswith("www.") else host


def same_site(url: str, base_url: str) -> bool:
    return _bare_host(urlsplit(url).netloc) == _bare_host(urlsplit(base_url).netloc)


def canonicalize(url: str, base_url: str, site: SiteSpec | None = None) -> str:
    """Return the canonical form of ``url`` (absolute, or relative to ``base_url``).

    Same-site URLs get the base URL's scheme and host (``elbalad.news`` → ``www.elbalad.news``); tracking
    parameters and fragments go; for article URLs of ``site`` the whole query goes and the site's own path
    rewrite applies.
    """
    absolute = urljoin(base_url.rstrip("/") + "/", url.strip())
    cleaned = canonicalize_url(normalize_url(absolute, strict=True, trailing_slash=True), keep_fragments=False)
    parts = urlsplit(cleaned)
    if same_site(cleaned, base_url):
        base = urlsplit(base_url)
        parts = parts._replace(scheme=base.scheme, netloc=base.netloc.lower())
        rel = article_path(urlunsplit(parts), base_url)
        if site is not None and site.is_article_path(rel):
            prefix = parts.path[: len(parts.path) - len(rel)]
            path = site.canonical_path(rel) if site.canonical_path else rel
            parts = parts._replace(path=prefix + path, query="")
    return urlunsplit(parts)


def article_path(url: str, base_url: str) -> str:
    """The path of ``url`` relative to the site's base URL (base URLs may carry a path prefix)."""
    base_path = urlsplit(base_url).path.rstrip("/")
    path = urlsplit(url).path
    return path[len(base_path):] if base_path and path.startswith(base_path) else path


def is_article_url(url: str, base_url: str, site: SiteSpec) -> bool:
    return same_site(url, base_url) and site.is_article_path(article_path(url, base_url))


def article_id(canonical_url: str) -> str:
    """Stable id of an article: the first 20 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]
