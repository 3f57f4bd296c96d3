"""RT Arabic (arabic.rt.com): URL patterns, discovery and markup knowledge."""
import re
from datetime import date

from crawler.sites.rules import Rules, whole_lines

from crawler.sites import Extraction, SiteSpec, xpath


def _canonical_path(path: str) -> str:
    # AMP variants end in /amp; the canonical article path ends in a slash, the legacy /news/<id> has none.
    path = re.sub(r"/amp/?$", "/", path)
    if re.fullmatch(r"/news/\d+/?", path):
        return path.rstrip("/")
    return path if path.endswith("/") else path + "/"


# --- extraction ----------------------------------------------------------------------------------------
# RT serves two article markups (both read by other people's public scrapers; the search tool's code index):
# - the older one, confirmed 2020–2025 by several scrapers, e.g. moustafa360/ArabicNewsArticles
#   (articles/articles/spiders/rt_sports_esp.py): title `div.article h1.heading`, body
#   `div.text.js-text.js-mediator-article` with the lead `p.intro` as its first paragraph and the source
#   credit as its last (that spider reads `p:not(:first-child):not(:last-child)`), tags
#   `div.news-tags.news-tags_article a`; `.photo img[data-src]` and the meta tags as in
#   /work/shared/reference/sites.md;
# - the newer one: lead `div.main-article__intro-text`, body `div.main-article__editor-content` (also
#   `.editor-content`), read by a Django seeding script of arabic.rt.com's section feeds and, as a fallback
#   after the older body, by a Wayback-based RT scraper (`find_string "main-article__editor-content"`: the
#   index gives these two files without their repository's name). Nothing public shows its title's class: the
#   title is read as the `h1` of the `main-article` block that its `main-article__*` elements name; its photo
#   and tags come from OpenGraph / JSON-LD (the selector hit rate counts them as misses).
TITLE = "div.article h1.heading"
NEW_TITLE = ".main-article h1"
TAGS = "div.news-tags.news-tags_article a"
BODY = "div.text.js-text.js-mediator-article"
NEW_BODY = "div.main-article__editor-content"
LEAD = ("div.main-article__intro-text", "p.intro")
# Blocks inside the article that are not the article: read-more boxes, embeds, tag list, photo caption; in the
# newer body, read-more wrappers are `<section>` / `<article>` elements (the seeding script above removes
# those tags from the body as "read-more wrappers").
PRUNE = (
    ".read-more-big", ".read-more-text-only", ".crosslinks__link", "[class*=read-more__]", ".read-more",
    ".rtcode", ".news-tags", ".photo .caption", ".share", ".social", ".rt-stories", ".stories",
    ".cookie", ".cookies", ".subscribe", f"{NEW_BODY} section", f"{NEW_BODY} article",
)
# The source credit, the body's last paragraph in both markups («المصدر: RT», «المصدر: "وفا"+RT»: sites.md;
# the spider above skips it as the last `<p>`): pruned by structure, the credit's label and a short line. The
# line rules' source footer (crawler/extract/cleaning.py) ends the article at such a line wherever it stands.
# One pass over the page's divs: the body classes of both markups.
_CLASSES = "concat(' ', normalize-space(@class), ' ')"
SOURCE_CREDIT = "".join((
    "//div[", " or ".join(f"contains({_CLASSES}, ' {c} ')" for c in ("js-mediator-article", "editor-content")),
    "]/p[last()]",
    "[starts-with(normalize-space(.), 'المصدر:') or starts-with(normalize-space(.), 'المصدر :')]",
    "[string-length(normalize-space(.)) < 80]",
))
# Page chrome printed as lines: the header above the title (the live link, header labels, the news counter;
# sites.md), the "RT STORIES" widget.
RULES = Rules(
    header=whole_lines(r"مباشر", r"أين يمكنك متابعتنا", r"أقسام مهمة", r"stories", r"\d+\s+خبر"),
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
    # the legacy /news/<id> still resolves, to the article of that number (sites.md; public links to
    # arabic.rt.com/news/816435-<slug>, /news/828610-<slug> in the search tool's code index: find_string
    # "arabic.rt.com/news/", stored files 55110761615, 31724138341): the holes in the numbers are probed there
    id_url="/news/{id}",
    # RT's other domain, in public feed lists as rss.rtarabic.com/news/ and www.rtarabic.com/rss (the search
    # tool's code index, find_string "rtarabic.com": stored files 53235533082, 55595178074): one site, redirects too
    host_aliases=("rtarabic.com",),
    # Rusiya Al-Yaum (RT Arabic) started broadcasting on 4 May 2007 (hubbry.com/RT_Arabic, from Wikipedia; the
    # Moscow Times of that week, oldtmt.vedomosti.ru/news/article/tmt/197259.html): no article is older
    published_since=date(2007, 5, 4),
    # Discovery, each path confirmed by public evidence (the search tool's code index):
    # - /rss/: RT Arabic's feed in ten public feed lists (find_string "arabic.rt.com/rss/", e.g. stored file
    #   53571824208; /work/shared/reference/sites.md);
    # - /sitemap.xml: milanschroeder/Thesis-Code, 00_sitemap_updater.R (an index of yearly parts; more sitemaps
    #   come from robots.txt's Sitemap: lines at run time);
    # - the trend listing: moustafa360/ArabicNewsArticles, articles/articles/spiders/rt_sports_esp.py (this trend
    #   id, paged by the number at the end of the path from 0, article links a.heading; {page} is that number).
    feeds=("/rss/",),
    sitemaps=("/sitemap.xml",),
    listings=("/listing/trend.53b3df9e611e9b8e648b45c9/noprepare/trend/10/{page}",),
    listing_link_css="a.heading::attr(href)",
    extraction=Extraction(
        rules_version="2",
        title=((TITLE, None), ("h1.heading", None), (NEW_TITLE, None)),
        title_suffix=re.compile(r"\s*[-–|]\s*RT\s+Arabic\s*$", re.IGNORECASE),
        authors=(("meta[name=mediator_author]", "content"),),
        published=(("meta[name=publish-date]", "content"), ("meta[name=published_time_telegram]", "content")),
        section=(("meta[name=category]", "content"),),
        tags=((TAGS, None),),
        image=((".photo img[data-src]", "data-src"), (".photo img[src]", "src")),
        body=((BODY, None), (NEW_BODY, None), ("div.editor-content", None)),
        lead=tuple((css, None) for css in LEAD),
        prune_xpath=tuple(xpath(css) for css in PRUNE) + (SOURCE_CREDIT,),
        rules=RULES,
    ),
)
