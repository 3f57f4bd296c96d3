"""Sada El Balad (www.elbalad.news): URL patterns, discovery and markup knowledge."""
import re

from . import SiteSpec

SITE = SiteSpec(
    key="elbalad",
    name="Sada El Balad",
    default_base_url="https://www.elbalad.news",
    timezone="Africa/Cairo",
    # /<6–8 digit id>, no slug
    article_path=re.compile(r"/\d{6,8}/?"),
    canonical_path=lambda path: path.rstrip("/"),
    listing_link_css=".news-list .item-li a::attr(href)",
    listing_next_css="a[rel=next]::attr(href), .pagination a.next::attr(href)",
)
