"""URL canonicalization and article ids: one article, one id, whatever address it came by.

Library work is done by courlan (tracking parameters, fragments) and w3lib (percent-encoding, query order);
what is ours is the per-site part: the site's own hosts (the one in ``base_url``, the site's default one and
its aliases, with or without ``www.``), article URLs carry no query, a site may rewrite variant paths (AMP)
to the canonical one, and an article's id comes from the site's own article number (``SiteSpec.native_id``),
never from the host, scheme, port, query or slug.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import canonicalize_url, safe_url_string

from crawler.sites import SiteSpec


def _bare_host(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


def _port(parts) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


@lru_cache(maxsize=64)   # asked for every URL a run sees (twice a page), of the run's one or two sites
def _site_hosts(base_url: str, site: SiteSpec | None) -> tuple[frozenset[str], int | None]:
    """The hosts (without ``www.``) of the site served at ``base_url``, and the base URL's port."""
    base = urlsplit(base_url)
    hosts = {_bare_host(base.hostname)}
    if site is not None:
        hosts |= {_bare_host(urlsplit(site.default_base_url).hostname), *map(_bare_host, site.host_aliases)}
    return frozenset(hosts), _port(base)


def same_site(url: str, base_url: str, site: SiteSpec | None = None) -> bool:
    """Is ``url`` on the site served at ``base_url``? Any scheme; ``www.`` or not; the site's default host
    and aliases too; the port must be the base URL's when both name one (the replica serves two sites on
    one host)."""
    parts = urlsplit(url)
    hosts, base_port = _site_hosts(base_url, site)
    if _bare_host(parts.hostname) not in hosts:
        return False
    port = _port(parts)
    return port is None or base_port is None or port == base_port


@lru_cache(maxsize=4096)   # a crawl asks for the same URL's form several times (discovery, request, pipeline)
def canonicalize(url: str, base_url: str, site: SiteSpec | None = None) -> str:
    """Return the canonical form of ``url`` (absolute, or relative to ``base_url``).

    Same-site URLs get the base URL's scheme and host (``elbalad.news`` → ``www.elbalad.news``); tracking
    parameters and fragments go; for article URLs of ``site`` the whole query goes and the site's own path
    rewrite applies.
    """
    absolute = urljoin(base_url.rstrip("/") + "/", url.strip())
    cleaned = canonicalize_url(normalize_url(absolute, strict=True, trailing_slash=True), keep_fragments=False)
    parts = urlsplit(cleaned)
    if same_site(cleaned, base_url, site):
        base = urlsplit(base_url)
        parts = parts._replace(scheme=base.scheme, netloc=base.netloc.lower())
        rel = _relative_path(parts.path, base_url)
        if site is not None and site.is_article_path(rel):
            prefix = parts.path[: len(parts.path) - len(rel)]
            path = site.canonical_path(rel) if site.canonical_path else rel
            parts = parts._replace(path=prefix + path, query="")
    return urlunsplit(parts)


def article_path(url: str, base_url: str) -> str:
    """The path of ``url`` relative to the site's base URL (base URLs may carry a path prefix)."""
    return _relative_path(urlsplit(url).path, base_url)


def _relative_path(path: str, base_url: str) -> str:
    base_path = urlsplit(base_url).path.rstrip("/")
    return path[len(base_path):] if base_path and path.startswith(base_path) else path


def is_article_url(url: str, base_url: str, site: SiteSpec) -> bool:
    return same_site(url, base_url, site) and site.is_article_path(article_path(url, base_url))


def article_id(url: str, base_url: str, site: SiteSpec) -> str:
    """Stable id of the article at ``url`` (an article URL of ``site`` served at ``base_url``): the first 20
    hex digits of SHA-256 of ``"<site key>/<the site's article number>"`` — or of ``"<site key><canonical
    path>"`` for a path without one. Host, scheme, port, query, slug and AMP suffix play no part."""
    path = article_path(canonicalize(url, base_url, site), base_url)
    return hashlib.sha256(site.identity(path).encode("utf-8")).hexdigest()[:20]



def redirect_target(request_url: str, location: bytes | None) -> str | None:
    """Where a redirect answer to ``request_url`` leads, its ``Location`` header read as Scrapy's
    ``RedirectMiddleware`` reads it: made a safe URL by w3lib's ``safe_url_string`` (raw UTF-8 bytes — an
    Arabic slug as a server may send it — percent-encoded, never read as Latin-1), a scheme-relative
    ``//host/…`` given the request's scheme, resolved against the request's URL. None without Location."""
    if not location:
        return None
    target = safe_url_string(location)
    if location.startswith(b"//"):
        target = urlsplit(request_url).scheme + "://" + target.lstrip("/")
    return urljoin(request_url, target)


def redirect_refusal(chain: list[str], status: int, target: str | None, base_url: str, site: SiteSpec | None,
                     max_redirects: int, *, canonical: bool = False) -> str | None:
    """Why a redirect (``status`` to ``target``, ``redirect_target``'s reading, after the URLs of ``chain``) is
    not followed — it has no Location, leaves HTTP (Scrapy's middleware follows no other scheme), leaves the
    site (its host aliases are the site) or loops (``target`` already in ``chain``; with ``canonical``, the
    chain holds canonical URLs and ``target`` is compared in its canonical form) — or None."""
    if target is None:
        return f"HTTP {status} without Location"
    scheme = urlsplit(target).scheme
    if scheme not in ("http", "https"):
        return f"redirect to a {scheme}: URL refused"
    if not same_site(target, base_url, site):
        return f"redirect to another host refused ({urlsplit(target).netloc})"
    if (canonicalize(target, base_url, site) if canonical else target) in chain or len(chain) > max_redirects:
        return f"redirect loop ({len(chain)} URLs)"
    return None
