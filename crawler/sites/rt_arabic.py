"""RT Arabic (arabic.rt.com): URL patterns, discovery and markup knowledge."""
import re

from crawler.sites.rules import Rules, whole_lines

from crawler.sites import Extraction, SiteSpec, xpath


def _canonical_path(path: str) -> str:
    # AMP variants end in /amp; the canonical article path ends in a slash, the legacy /news/<id> has none.
    path = re.sub(r"/amp/?$", "/", path)
    if re.fullmatch(r"/news/\d+/?", path):
        return path.rstrip("/")
    return path if path.endswith("/") else path + "/"


# --- extraction ----------------------------------------------------------------------------------------
TITLE = "div.article h1.heading"
TAGS = "div.news-tags.news-tags_article a"
BODY = "div.text.js-text.js-mediator-article"
# Blocks inside the article that are not the article: read-more boxes, embeds, tag list, photo caption.
PRUNE = (
    ".read-more-big", ".read-more-text-only", ".crosslinks__link", "[class*=read-more__]", ".read-more",
    ".rtcode", ".news-tags", ".photo .caption", ".share", ".social", ".rt-stories", ".stories",
    ".cookie", ".cookies", ".subscribe",
)
# Page chrome printed as lines: the live link, header labels, the news counter, the "RT STORIES" widget.
RULES = Rules(
    drop=whole_lines(r"مباشر", r"أين يمكنك متابعتنا", r"أقسام مهمة", r"stories", r"\d+\s+خبر"),
    widgets=whole_lines(r".*#Question_More.*", r".*RT\s*STORIES.*", r"#اسأل_أكثر.*"),
)

SITE = SiteSpec(
    key="rt_arabic",
    name="RT Arabic",
    default_base_url="https://arabic.rt.com",
    timezone="Europe/Moscow",
    # /<section>/<numeric id>-<url-encoded slug>/ , optional /amp; the legacy /news/<numeric id>
    article_path=re.compile(r"/[a-z_]+/\d{5,}-[^/]+/?(?:amp/?)?|/news/\d{5,}/?(?:amp/?)?"),
    not_article_path=re.compile(r"^/(?:prg|video|live|photolines|gallery|listing|tags?)/"),
    canonical_path=_canonical_path,
    # the number before the slug (or the legacy /news/<id>) names the article, whatever the slug says
    native_id=re.compile(r"/[a-z_]+/(?P<id>\d{5,})(?:-[^/]*)?/?(?:amp/?)?"),
    host_aliases=("rtarabic.com",),
    feeds=("/rss/",),
    sitemaps=("/sitemap.xml",),
    listings=("/listing/trend.5d9e2a3b4c5f6a7b8c9d0e1f/noprepare/trend/10/1",),
    listing_link_css="a.heading::attr(href)",
    listing_next_css="a.pagination__next::attr(href), a[rel=next]::attr(href)",
    extraction=Extraction(
        rules_version="1",
        title=((TITLE, None), ("h1.heading", None)),
        title_suffix=re.compile(r"\s*[-–|]\s*RT\s+Arabic\s*$", re.IGNORECASE),
        authors=(("meta[name=mediator_author]", "content"),),
        published=(("meta[name=publish-date]", "content"), ("meta[name=published_time_telegram]", "content")),
        section=(("meta[name=category]", "content"),),
        tags=((TAGS, None),),
        image=((".photo img[data-src]", "data-src"), (".photo img[src]", "src")),
        body=((BODY, None),),
        prune_xpath=tuple(xpath(css) for css in PRUNE),
        rules=RULES,
    ),
)
