"""Sada El Balad (www.elbalad.news) as the replica serves it: pages, feeds, sitemaps, listings, robots.txt.

Markup follows /work/shared/reference/sites.md: ``article h1``, ``article .mainImg figure img``, body
``article .paragraph-list p`` with nested ``div``/``h2`` read-also boxes, and the chrome of every page (the
masthead, often twice; sister sites; "english EN"; the breaking-news ticker; share bars; tags). Dates are
shown in Cairo local time without an offset (Arabic month names, Arabic-Indic digits); some pages also carry
JSON-LD or ``article:published_time`` with an offset.
"""
from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass
from datetime import timedelta

from replica import feeds
from replica import render_elbalad_v2 as v2
from replica.arabic_dates import long_date
from replica.corpus import ReplicaArticle
from replica.markup import Html, document, el, json_ld, script, void
from replica.resources import load
from replica.discovery import article_entry, feed_built, older_index_entries, older_sitemap
from replica.response import Response, html, redirect, route, text, xml
from replica.state import SiteView

SITE = "elbalad"
NAME = "صدى البلد"
NOISE = load("noise")[SITE]
PAGE_SIZE = 8
CATEGORY_DEPTH = 10                   # a category lists this many; older articles are in the sitemaps only
RSS_SIZE = 25
OLDER_SITEMAP = "/sitemaps/archive-{page}.xml"   # the older articles of a replica of any size, 1,000 a page
NOT_IN_SITEMAP = {3, 11}              # ranks (newest first) listed only by the RSS feed and the categories
DISALLOWED = "/search/"
SEARCH_LINK = "/search/term?search=%D8%A7%D9%84%D8%B0%D9%87%D8%A8&pageIndex=1"
MISSING_PATH = "/6999999"             # linked from every category's first page, answers 404
SITEMAPS = ("/sitemap.xml", "/sitemaps/news.xml")
_ANALYTICS = "var googletag=googletag||{};googletag.cmd=googletag.cmd||[];"


@dataclass(frozen=True)
class _Look:
    """How one article page varies; keyed on the article's place in the corpus, so every variant occurs."""

    machine_date: str       # "json_ld" | "meta" | "none" (then the visible local date is the only one)
    levantine: bool
    masthead_twice: bool
    ticker: tuple[tuple[str, str], ...]      # (headline, href)
    read_also_after: tuple[int, ...]
    read_also_label: str
    read_also_box: bool     # a div with an h2 and links; else an h2 then a div with one link
    byline: str
    more_details: bool
    tags_heading: str


def _look(view: SiteView, article: ReplicaArticle) -> _Look:
    index = view.index(article)
    rng = random.Random(f"{SITE}/{article.article_id}")
    ticker = [(headline, "/") for headline in rng.sample(NOISE["ticker"], rng.randint(11, 13))]
    if index % 4 == 1:      # the article's own title among the breaking news, above the article
        ticker[rng.randrange(len(ticker))] = (article.title, article.url_path)
    gaps = range(1, len(article.paragraphs))
    return _Look(
        machine_date=("json_ld", "meta", "none")[index % 3],
        levantine=index % 8 == 5,
        masthead_twice=index % 2 == 0,
        ticker=tuple(ticker),
        read_also_after=tuple(sorted(rng.sample(gaps, min(1 + index % 2, len(gaps))))),
        read_also_label=NOISE["read_also"][index % len(NOISE["read_also"])],
        read_also_box=index % 3 != 1,
        byline=article.authors[0] if article.authors else NOISE["agency_bylines"][index % 2],
        more_details=index % 3 == 0,
        tags_heading=NOISE["tags_heading"][index % 2],
    )


# --- chrome ----------------------------------------------------------------------------------------------

def _head(view: SiteView, title: str, canonical: str, *extra: Html, charset: str = "utf-8") -> list[Html]:
    head = [void("meta", charset=charset)]
    if charset != "utf-8":
        head.append(void("meta", http_equiv="Content-Type", content=f"text/html; charset={charset}"))
    return head + [
        el("title", f"{title} - {NAME}"),
        void("link", rel="canonical", href=view.url(canonical)),
        void("meta", name="viewport", content="width=device-width, initial-scale=1"),
        void("meta", property="og:site_name", content=NAME),
        void("meta", property="og:title", content=title),
        void("meta", property="og:url", content=view.url(canonical)),
        *extra,
        script(_ANALYTICS),
    ]


def _editor(view: SiteView, article: ReplicaArticle | None) -> str:
    age = view.now - article.published if article and article.published else timedelta(0)
    return next(e["name"] for e in NOISE["editors"] if age >= timedelta(hours=e["older_than_hours"]))


def _masthead(editor: str) -> Html:
    rows = [el("div", el("p", role, class_="role"), el("p", name.format(editor=editor), class_="name"),
               class_="masthead__item") for role, name in NOISE["masthead"]]
    return el("div", rows, class_="masthead")


def _ticker(look: _Look | None) -> tuple[tuple[str, str], ...]:
    return look.ticker if look else tuple((h, "/") for h in NOISE["ticker"][:12])


def _header(view: SiteView, article: ReplicaArticle | None = None, look: _Look | None = None) -> list[Html]:
    editor = _editor(view, article)
    ticker = _ticker(look)
    if article is not None and article.shape == "ticker_top":     # no masthead; the rest opens the article
        return [el("header", _language_switch(), _menu(), class_="site-header")]
    top = [
        el("div", _masthead(editor), class_="top-bar"),
        el("div", _masthead(editor), class_="mobile-header") if look and look.masthead_twice else None,
        el("div", [Html(el("a", s, href="#") + " ") for s in NOISE["sister_sites"]], class_="sister-sites"),
        _language_switch(),
        _menu(),
        el("a", "بحث", class_="search-link", href=SEARCH_LINK),
        el("div", el("span", NOISE["breaking"], class_="breaking__label"),
           el("ul", [el("li", el("a", h, href=href)) for h, href in ticker]), class_="breaking-news"),
    ]
    return [el("header", top, class_="site-header")]


def _language_switch() -> Html:
    return el("div", el("a", NOISE["language_switch"][0], href="https://en.elbalad.news"), " ",
              el("span", NOISE["language_switch"][1]), class_="lang-switch")


def _menu() -> Html:
    return el("nav", el("ul", [el("li", el("a", name, href=f"/category/{key}"))
                               for key, name in NOISE["section_names"].items()]), class_="main-nav")


def _top_of_article(look: _Look) -> list[Html]:
    """Shape "ticker_top": the sister-sites line and the breaking-news ticker inside the article element, in
    markup no prune rule knows, and no masthead on the page."""
    return [el("div", " ".join(NOISE["sister_sites"]), class_="sites-strip"),
            el("div", el("span", NOISE["breaking"]),
               el("ul", [el("li", el("a", h, href=href)) for h, href in look.ticker]), class_="news-strip")]


def _footer() -> list[Html]:
    return [
        el("div", el("span", NOISE["follow"]), _socials(), class_="follow-us"),
        el("footer", el("p", NOISE["footer"]), class_="site-footer"),
        script("(adsbygoogle=window.adsbygoogle||[]).push({});"),
    ]


def _socials() -> Html:
    return el("ul", [el("li", el("a", s, href="#")) for s in NOISE["socials"]], class_="socials")


def _page(view: SiteView, head: list[Html], *main: Html, article: ReplicaArticle | None = None,
          look: _Look | None = None, status: int = 200, charset: str = "utf-8") -> Response:
    if view.layout == 2:
        return v2.page(view, head, *main, editor=_editor(view, article), ticker=_ticker(look),
                       board_twice=bool(look and look.masthead_twice), status=status, charset=charset)
    body = [*_header(view, article, look), el("main", *main, el("div", "إعلان", class_="ads"), class_="content"),
            *_footer()]
    return html(document(head, body), status=status, charset=charset)


# --- article pages ----------------------------------------------------------------------------------------

def _dates_head(view: SiteView, article: ReplicaArticle, look: _Look) -> list[Html]:
    if article.published is None or look.machine_date == "none":
        return []
    if look.machine_date == "meta":
        return [void("meta", property="article:published_time", content=article.published.isoformat()),
                void("meta", property="article:modified_time", content=article.modified.isoformat())]
    return [json_ld({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
        "datePublished": article.published.isoformat(), "dateModified": article.modified.isoformat(),
        "image": article.image, "mainEntityOfPage": article.url(view.base_url),
        "author": {"@type": "Person", "name": look.byline},
        "publisher": {"@type": "Organization", "name": NAME},
    })]


def _item(article: ReplicaArticle, href: str | None = None) -> Html:
    when = article.published
    return el("div",
              el("a", void("img", src=article.image, alt=article.caption), el("h3", article.title),
                 href=href or article.url_path),
              el("p", _teaser(article)),
              el("time", long_date(when), datetime=when.isoformat()) if when else None,
              class_="item-li")


def _teaser(article: ReplicaArticle) -> str:
    words = (article.paragraphs[0] if article.paragraphs else article.caption).split()
    return " ".join(words[:14]) + (" ..." if len(words) > 14 else "")


def _others(view: SiteView, article: ReplicaArticle, count: int, salt: int) -> list[ReplicaArticle]:
    pool = view.linkable(article)
    start = (view.index(article) * 5 + salt) % len(pool)
    return (pool[start:] + pool[:start])[:count]


def _read_also(view: SiteView, article: ReplicaArticle, look: _Look, nth: int) -> Html:
    others = _others(view, article, 2, nth)
    if look.read_also_box:
        return el("div", el("h2", look.read_also_label),
                  [el("div", el("a", a.title, href=a.url_path)) for a in others], class_="read-also")
    return Html(el("h2", look.read_also_label) + el("div", el("a", others[0].title, href=others[0].url_path)))


def _read_also_targets(view: SiteView, article: ReplicaArticle, look: _Look) -> list[ReplicaArticle]:
    return [_others(view, article, 2, nth)[0] for nth in look.read_also_after]


def _body(view: SiteView, article: ReplicaArticle, look: _Look) -> Html:
    parts = []
    for number, paragraph in enumerate(article.paragraphs):
        if number in look.read_also_after:
            parts.append(_read_also(view, article, look, number))
        parts.append(el("p", paragraph))
    if look.more_details:
        parts.append(el("p", el("a", NOISE["more_details"], href=_others(view, article, 1, 9)[0].url_path)))
    return el("div", parts, class_="paragraph-list")


def _visible_date(article: ReplicaArticle, look: _Look) -> Html | None:
    if article.published is None:
        return None
    return el("div", el("span", long_date(article.published, months="levantine" if look.levantine else "egyptian")),
              class_="time")


def section_path(article: ReplicaArticle) -> str:
    """The category page of the article's section (where a taken-down article may be redirected)."""
    return f"/category/{article.section}"


def _section_label(article: ReplicaArticle) -> Html:
    name = NOISE["section_names"][article.section]
    return el("div", el("a", name, href=section_path(article)), class_="section-label")


def _main_image(article: ReplicaArticle) -> Html:
    return el("div", el("figure", void("img", src=article.image, alt=article.caption),
                        el("figcaption", article.caption)),
              el("p", article.caption, class_="img-caption"), class_="mainImg")


def _article_page(view: SiteView, article: ReplicaArticle) -> Response:
    look = _look(view, article)
    charset = "windows-1256" if article.kind == "cp1256" else "utf-8"
    dates = v2.article_extra_head(view, article, look.byline) if view.layout == 2 else _dates_head(view, article, look)
    head = _head(view, article.title, article.url_path,
                 void("meta", property="og:type", content="article"),
                 void("meta", property="og:description", content=_teaser(article)),
                 void("meta", property="og:image", content=article.image),
                 *dates, charset=charset)
    related = [a for a in view.listed if a.section == article.section and a.article_id != article.article_id][:4]
    if view.layout == 2:
        block = v2.article_block(article, look, _read_also_targets(view, article, look),
                                 _others(view, article, 1, 9)[0].url_path, related)
        return _page(view, head, block, article=article, look=look, charset=charset)
    block = el(
        "article",
        *(_top_of_article(look) if article.shape == "ticker_top" else ()),
        _section_label(article),
        el("h1", article.title),
        _visible_date(article, look),
        _main_image(article),
        el("div", look.byline, class_="writer"),
        _body(view, article, look),
        el("div", el("span", NOISE["share"]), _socials(), class_="share-bar"),
        el("div", el("span", look.tags_heading), [el("a", t, href=_tag_path(t)) for t in article.tags], class_="tags"),
    )
    aside = el("section", el("h3", NOISE["related_heading"]), el("div", [_item(a) for a in related], class_="news-list"),
               class_="related")
    return _page(view, head, block, aside, article=article, look=look, charset=charset)


def _video_page(view: SiteView, article: ReplicaArticle) -> Response:
    block = el("article", _section_label(article), el("h1", article.title),
               el("div", el("iframe", src="https://www.youtube.com/embed/elbalad-video", allowfullscreen=True),
                  class_="video"),
               el("p", article.caption, class_="video-caption"))
    return _page(view, _head(view, article.title, article.url_path), block, article=article)


def _gallery_page(view: SiteView, article: ReplicaArticle) -> Response:
    figures = [el("figure", void("img", src=article.image.replace(".jpg", f"-{n}.jpg"), alt=caption),
                  el("figcaption", caption)) for n, caption in enumerate(load("text_bank")["pages"]["gallery_captions"])]
    block = el("article", _section_label(article), el("h1", article.title), el("div", figures, class_="gallery"))
    return _page(view, _head(view, article.title, article.url_path), block, article=article)


_LAYOUTS = {"article": _article_page, "brief": _article_page, "video": _video_page, "gallery": _gallery_page}


def _article_route(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    article = view.find(match["id"])
    if article is None:
        legacy = view.redirects.get(f"/{match['id']}")
        return redirect(view.url(legacy.url_path)) if legacy else _not_found(view)
    if match[0] != article.url_path:
        return redirect(view.url(article.url_path))
    if not view.serve_articles:   # the layout changed: the chrome, no article
        return _page(view, _head(view, NAME, "/"), el("div", class_="article-v2"))
    return _LAYOUTS[article.layout](view, article)


# --- discovery ----------------------------------------------------------------------------------------------

def _tag_id(tag: str) -> int:
    return zlib.crc32(tag.encode()) % 900_000 + 100_000


def _tag_path(tag: str) -> str:
    return f"/tag/{_tag_id(tag)}"


def _listing(view: SiteView, title: str, canonical: str, articles: list[ReplicaArticle], page: int,
             extra: list[Html] | tuple = ()) -> Response:
    pages = max(1, -(-len(articles) // PAGE_SIZE))
    if not 1 <= page <= pages:
        return _not_found(view)
    chunk = articles[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    items = [_item(a, a.variants[0] if a.variants else None) for a in chunk]
    nav = el("a", "التالي", class_="next", rel="next", href=f"{canonical}?page={page + 1}") if page < pages else None
    block = el("div", el("h1", title), el("div", items, *(extra if page == 1 else ()), class_="news-list"),
               el("div", nav, class_="pagination"), class_="category")
    return _page(view, _head(view, title, canonical), block)


def _page_number(query: dict[str, str]) -> int:
    return int(query["page"]) if query.get("page", "").isdigit() else 1


def _category(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    section = match["id"]
    if section not in NOISE["section_names"]:
        return _not_found(view)
    articles = [a for a in view.listed if a.section == section]
    # links that lead elsewhere: the legacy URLs (301) and a deleted article (404)
    extra = [el("div", el("a", el("h3", a.title), href=path), class_="item-li")
             for a in articles for path in a.redirects]
    extra.append(el("div", el("a", el("h3", "خبر محذوف"), href=MISSING_PATH), class_="item-li"))
    return _listing(view, NOISE["section_names"][section], match[0], articles[:CATEGORY_DEPTH],
                    _page_number(query), extra)


def _tag(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    articles = [a for a in view.listed if any(_tag_id(t) == int(match["id"]) for t in a.tags)]
    if not articles:
        return _not_found(view)
    tag = next(t for t in articles[0].tags if _tag_id(t) == int(match["id"]))
    return _listing(view, tag, match[0], articles, _page_number(query))


def _home(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    latest = el("div", [_item(a) for a in view.listed[:PAGE_SIZE]], class_="news-list")
    return _page(view, _head(view, "الرئيسية", "/"), latest)


def _search(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    return _page(view, _head(view, "نتائج البحث", "/search/term"), el("h1", query.get("search", "")))


def _rss(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    items = [feeds.FeedItem(
        title=a.title, link=view.url(a.url_path), description=_teaser(a),
        published=a.modified if a.edits else a.published, category=NOISE["section_names"][a.section],
    ) for a in view.listed[:RSS_SIZE]]
    built = feed_built(items, view)
    return xml(feeds.rss(NAME, view.url("/"), "أخبار مصر والعالم لحظة بلحظة", items, built), "application/rss+xml", built)


def _sitemap_articles(view: SiteView) -> list[ReplicaArticle]:
    return [a for rank, a in enumerate(view.listed) if rank not in NOT_IN_SITEMAP]


def _sitemap_index(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    articles = _sitemap_articles(view)
    lastmod = max(a.modified for a in articles if a.modified)
    entries = [feeds.SitemapEntry(view.url("/sitemaps/news.xml"), lastmod),
               feeds.SitemapEntry(view.url("/sitemaps/articles.xml"), lastmod)]
    entries += older_index_entries(view, OLDER_SITEMAP)
    return xml(feeds.sitemap_index(entries), modified=max((e.lastmod for e in entries if e.lastmod), default=None))


def _sitemap_news(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    return xml(feeds.news_urlset([article_entry(view, a) for a in _sitemap_articles(view) if a.published], "Sada El Balad"))


def _sitemap_articles_xml(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    return xml(feeds.urlset(article_entry(view, a) for a in _sitemap_articles(view)))


def _robots(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    return text(feeds.robots([DISALLOWED], [view.url(path) for path in SITEMAPS]))


def _not_found(view: SiteView) -> Response:
    return _page(view, _head(view, "الصفحة غير موجودة", "/"), el("h1", "الصفحة غير موجودة"), status=404)


ROUTES = [
    (re.compile(r"/"), _home),
    (re.compile(r"/robots\.txt"), _robots),
    (re.compile(r"/rss\.aspx"), _rss),
    (re.compile(r"/sitemap\.xml"), _sitemap_index),
    (re.compile(r"/sitemaps/news\.xml"), _sitemap_news),
    (re.compile(r"/sitemaps/articles\.xml"), _sitemap_articles_xml),
    (re.compile(re.escape(OLDER_SITEMAP).replace(r"\{page\}", r"(?P<page>\d+)")), older_sitemap(_not_found)),
    (re.compile(r"/category/(?P<id>\d+)"), _category),
    (re.compile(r"/tag/(?P<id>\d+)"), _tag),
    (re.compile(r"/search/.*"), _search),
    (re.compile(r"/(?P<id>\d{6,8})/?"), _article_route),
]


# --- the real site's discovery shapes (replica/real_discovery.py): sitemaps named only by robots.txt -----------

REAL_SITEMAPS = ("/news-sitemap.xml", "/sitemaps/index.xml")


def _real_robots(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    return text(feeds.robots([DISALLOWED], [view.url(path) for path in REAL_SITEMAPS]))


def _real_sitemap_index(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    articles = _sitemap_articles(view)
    lastmod = max(a.modified for a in articles if a.modified)
    entries = [feeds.SitemapEntry(view.url("/sitemaps/articles.xml"), lastmod)]
    entries += older_index_entries(view, OLDER_SITEMAP)
    return xml(feeds.sitemap_index(entries), modified=max((e.lastmod for e in entries if e.lastmod), default=None))


REAL_ROUTES = [
    (re.compile(r"/robots\.txt"), _real_robots),
    (re.compile(r"/sitemap\.xml|/sitemaps/news\.xml"), lambda view, match, query: _not_found(view)),
    (re.compile(r"/news-sitemap\.xml"), _sitemap_news),
    (re.compile(r"/sitemaps/index\.xml"), _real_sitemap_index),
]


def respond(view: SiteView, path: str, query: dict[str, str]) -> Response:
    """The response to ``GET path`` (percent-encoded, without the query) on the Sada El Balad replica."""
    return route(REAL_ROUTES + ROUTES if view.discovery == "real" else ROUTES, _not_found, view, path, query)
