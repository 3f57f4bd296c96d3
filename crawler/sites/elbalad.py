"""Sada El Balad (www.elbalad.news): URL patterns, discovery and markup knowledge."""
import re

from crawler.sites.rules import Rules, whole_lines

from crawler.sites import Extraction, SiteSpec, xpath


def _canonical_path(path: str) -> str:
    return path.rstrip("/")


# --- extraction ----------------------------------------------------------------------------------------
NAME = "صدى البلد"
TITLE = "article h1"
BODY = "article .paragraph-list"
IMAGE = "article .mainImg figure img"
SECTION = "article .section-label a"          # the one-word section label above the title
# Read-also boxes nested in the body are div / h2 blocks linking to other articles.
PRUNE_XPATH = (
    xpath(f"{BODY} div") + "[.//a]",
    xpath(f"{BODY} h2") + "[.//a]",
    xpath(".share, .social, .tags, .related, .breaking, .ticker, .sister-sites, .masthead"),
)
RULES = Rules(
    drop=whole_lines(NAME),                                          # the agency byline
    # the sister-sites line opens the page, the breaking-news ticker follows it (sites.md)
    ticker=whole_lines(rf"(?:قناة\s+)?{NAME}(?:\s+\S+){{1,12}}\s+Sada\s*Elbalad(?:\s+english)?"),
)

SITE = SiteSpec(
    key="elbalad",
    name="Sada El Balad",
    default_base_url="https://www.elbalad.news",
    timezone="Africa/Cairo",
    # /<6–8 digit id>, no slug
    article_path=re.compile(r"/\d{6,8}/?"),
    canonical_path=_canonical_path,
    native_id=re.compile(r"/(?P<id>\d{6,8})/?"),
    # every article at /<id>, no slug (sites.md; public links to www.elbalad.news/6917359, /3329554, /2332558 in
    # the search tool's code index: find_string "www.elbalad.news/", stored files 56965809243, 23143768610,
    # 71074416019): the holes in the numbers are probed there
    id_url="/{id}",
    host_aliases=("elbalad.news",),
    # Discovery, each path confirmed by public evidence (the search tool's code index):
    # - /rss.aspx: in ten public feed lists (find_string "elbalad.news/rss.aspx", e.g. stored file 57364960760);
    # - no sitemap: no public source names one (/work/shared/reference/sites.md); the site's sitemaps are those
    #   its robots.txt names (Sitemap: lines), read at run time;
    # - /category/<n>: public scrapers read 2 (politics), 5 (sport) and 6 (economy) (find_string
    #   "elbalad.news/category/": stored file 48347575130), 9 (world) in sites.md's list of categories seen.
    feeds=("/rss.aspx",),
    sitemaps=(),
    listings=("/category/2", "/category/5", "/category/6", "/category/9"),
    # listing items .news-list > .item-li a[href] (sites.md, from public scrapers); how a category pages is not
    # public (tags page by ?page=N): the generic "next" link is followed when there is one, else page 1 alone is read
    listing_link_css=".news-list .item-li a::attr(href)",
    listing_next_css="a[rel=next]::attr(href), .pagination a.next::attr(href)",
    extraction=Extraction(
        rules_version="3",
        title=((TITLE, None),),
        section=((SECTION, None),),
        image=((f"{IMAGE}[data-src]", "data-src"), (f"{IMAGE}[src]", "src")),
        body=((BODY, None),),
        prune_xpath=PRUNE_XPATH,
        rules=RULES,
    ),
)
