"""RT Arabic (arabic.rt.com): URL patterns, discovery and markup knowledge."""
import re

from . import SiteSpec


def _canonical_path(path: str) -> str:
    # AMP variants end in /amp; the canonical article path ends in a slash.
    path = re.sub(r"/amp/?$", "/", path)
    return path if path.endswith("/") else path + "/"


SITE = SiteSpec(
    key="rt_arabic",
    name="RT Arabic",
    default_base_url="https://arabic.rt.com",
    timezone="Europe/Moscow",
    # /<section>/<numeric id>-<url-encoded slug>/ , optional /amp
    article_path=re.compile(r"/[a-z_]+/\d{5,}-[^/]+/?(?:amp/?)?"),
    not_article_path=re.compile(r"^/(?:prg|video|live|photolines|gallery|listing|tags?)/"),
    canonical_path=_canonical_path,
    listing_link_css="a.heading::attr(href)",
    listing_next_css="a.pagination__next::attr(href), a[rel=next]::attr(href)",
)
