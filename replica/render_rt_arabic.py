"""RT Arabic (arabic.rt.com) as the replica serves it: pages, feeds, sitemaps, listings, robots.txt.

Markup follows /work/shared/reference/sites.md: ``div.article h1.heading``, ``p.intro``, body
``div.text.js-text.js-mediator-article > p`` with read-more boxes, embeds and the source line inside it, the
desktop chrome around it (live link, "أين يمكنك متابعتنا", "أقسام مهمة", trend labels, RT STORIES, cookie
notice) and AMP variants under ``<article path>amp``. Layout 2 is a redesign (``render_rt_arabic_v2``); layout
3 serves both markups public scrapers know at once: half the article pages in the newer ``main-article__*``
markup (``render_rt_arabic_v3``), the other half in this one with ``p.intro`` inside the body block, where
public scrapers find it (moustafa360/ArabicNewsArticles, ``articles/articles/spiders/rt_sports_esp.py``: the
body's first paragraph is skipped as the lead, its last as the source credit).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from replica import feeds, real_discovery
from replica import render_rt_arabic_v2 as v2
from replica import render_rt_arabic_v3 as v3
from replica.arabic_dates import long_date
from replica.corpus import ReplicaArticle
from replica.markup import Html, document, el, json_ld, script, void
from replica.resources import load
from replica.discovery import article_entry, feed_built, older_index_entries, older_sitemap
from replica.response import Response, html, redirect, route, text, xml
from replica.state import SiteView

SITE = "rt_arabic"
NAME = "RT Arabic"
NOISE = load("noise")[SITE]
# RT's listing fragments, as a public scraper pages them (moustafa360/ArabicNewsArticles,
# articles/articles/spiders/rt_sports_esp.py): a real trend id, pages numbered in the path from 0, links
# ``a.heading``, no "next" link
TREND_ID = "53b3df9e611e9b8e648b45c9"
LISTING_PAGE = f"/listing/trend.{TREND_ID}/noprepare/trend/10/{{page}}"
# the listing path our site module once named, whose trend id nothing public confirms: it answers 404
OLD_LISTING = "/listing/trend.5d9e2a3b4c5f6a7b8c9d0e1f/noprepare/trend/10/1"
PAGE_SIZE = 10
LISTING_DEPTH = 40                    # the listing stops here; older articles are in the sitemaps only
RSS_SIZE = 30
SITEMAP_PARTS = 2
OLDER_SITEMAP = "/sitemap/archive/{page}.xml"   # the older articles of a replica of any size, 1,000 a page
NOT_IN_SITEMAP = {4, 13}              # ranks (newest first) listed only by the RSS feed and the listing
DISALLOWED = "/search/"
SEARCH_LINK = "/search/?q=" + quote("روسيا")
MISSING_PATH = quote("/world/2499999-خبر-حذف-من-الموقع/")   # linked from the listing, answers 404
AMP = "amp"
_ANALYTICS = "window.dataLayer=window.dataLayer||[];dataLayer.push({'event':'pageview','site':'rt_arabic'});"


@dataclass(frozen=True)
class _Look:
    """How one article page varies; keyed on the article's place in the corpus, so every variant occurs."""

    date_meta: str        # "publish-date" | "published_time_telegram"
    json_ld: bool
    levantine: bool       # visible date in Levantine month names
    title_again: bool     # the desktop layout prints the title again after the lead
    lead_again: bool      # the lead repeated as the body's first paragraph
    read_more_after: tuple[int, ...]
    read_more_style: str
    embed: str            # "rtcode" | "tweet" | ""
    source: str
    credit: str


def _look(view: SiteView, article: ReplicaArticle) -> _Look:
    index = view.index(article)
    rng = random.Random(f"{SITE}/{article.article_id}")
    gaps = range(1, len(article.paragraphs))
    return _Look(
        date_meta="published_time_telegram" if index % 5 == 2 else "publish-date",
        json_ld=index % 2 == 0,
        levantine=index % 6 == 1,
        title_again=index % 2 == 1 or article.shape == "title_credit",
        lead_again=bool(article.lead) and index % 4 == 3 and article.shape != "lead_restated",
        read_more_after=tuple(sorted(rng.sample(gaps, min(2, len(gaps))))),
        read_more_style=("read-more-big", "read-more-text-only", "crosslinks")[index % 3],
        embed=("rtcode", "tweet", "")[index // 3 % 3],
        source=(NOISE["sport_source_line"] if article.section == "sport" and index % 2
                else NOISE["source_lines"][index % len(NOISE["source_lines"])]),
        credit=rng.choice([c for c in NOISE["photo_credits"] if article.shape != "title_credit" or " / " in c]),
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
        void("meta", property="og:title", content=f"{title} - {NAME}"),
        void("meta", property="og:url", content=view.url(canonical)),
        *extra,
        script(_ANALYTICS),
    ]


def _header(seed: str) -> Html:
    rng = random.Random(seed)
    labels = [label for label in NOISE["trend_labels"] for _ in range(rng.choice((2, 3)))]
    return el(
        "header",
        el("a", NOISE["live"], class_="header__live", href="/live/"),
        el("nav", el("ul", [el("li", el("a", name, href=f"/{key}/")) for key, name in NOISE["section_names"].items()]),
           class_="nav-menu"),
        el("div", el("span", NOISE["follow_us"]), _socials(), class_="follow-us"),
        el("div", el("span", NOISE["important_sections"]),
           el("ul", [el("li", el("a", s, href=SEARCH_LINK)) for s in NOISE["important"]]), class_="important-sections"),
        el("a", "بحث", class_="header__search", href=SEARCH_LINK),
        el("div", el("span", f"{rng.randint(20, 99)} خبر", class_="trends__count"),
           el("ul", [el("li", label) for label in labels]), class_="trends"),
        class_="header",
    )


def _socials() -> Html:
    return el("ul", [el("li", el("a", s, href="#")) for s in NOISE["socials"]], class_="socials")


def _stories() -> Html:
    items = [el("div", el("a", headline, href="#"), el("span", NOISE["stories_hashtags"]), class_="stories__item")
             for headline in NOISE["stories"]]
    return el("section", el("h2", NOISE["stories_heading"]), items, class_="rt-stories")


def _footer() -> list[Html]:
    return [
        el("div", el("p", NOISE["comments_help"]), class_="comments"),
        el("footer", el("p", NOISE["footer"]), el("a", NOISE["copy_link"], href="#"), class_="footer"),
        el("div", el("p", NOISE["cookie_notice"]), el("button", "موافق"), class_="cookies-notice"),
        script("(function(){var s=document.createElement('script');s.src='/static/app.js';})();"),
    ]


def _page(view: SiteView, head: list[Html], *main: Html, seed: str = "", status: int = 200,
          charset: str = "utf-8") -> Response:
    if view.layout == 2:
        return v2.page(view, head, *main, seed=seed, status=status, charset=charset)
    body = [_header(seed), el("main", *main, class_="layout"), _stories(), *_footer()]
    return html(document(head, body), status=status, charset=charset)


def _heading_link(article: ReplicaArticle, href: str | None = None) -> Html:
    return el("a", article.title, class_="heading", href=href or article.url_path)


# --- article pages ----------------------------------------------------------------------------------------

def _iso(article: ReplicaArticle, field: str) -> str:
    return getattr(article, field).isoformat()


def _dates_head(article: ReplicaArticle, look: _Look) -> list[Html]:
    if article.published is None:
        return []
    head = [void("meta", name=look.date_meta, content=_iso(article, "published"))]
    if article.modified != article.published:
        head.append(void("meta", property="article:modified_time", content=_iso(article, "modified")))
    if look.json_ld:
        head.append(json_ld({
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
            "datePublished": _iso(article, "published"), "dateModified": _iso(article, "modified"),
            "image": [article.image], "articleSection": NOISE["section_names"].get(article.section, ""),
            "author": [{"@type": "Person", "name": a} for a in article.authors] or {"@type": "Organization",
                                                                                    "name": NAME},
            "publisher": {"@type": "Organization", "name": NAME},
        }))
    return head


def _visible_date(article: ReplicaArticle, look: _Look) -> Html | None:
    if article.published is None:
        return None
    shown = (long_date(article.published, months="levantine") if look.levantine
             else article.published.strftime("%d.%m.%Y | %H:%M"))
    return el("div", el("span", shown, class_="date"), class_="article__date-time")


def _read_more_target(view: SiteView, article: ReplicaArticle, nth: int) -> ReplicaArticle:
    others = view.linkable(article)
    return others[(view.index(article) * 7 + nth * 3) % len(others)]


def _read_more(view: SiteView, article: ReplicaArticle, style: str, nth: int) -> Html:
    other = _read_more_target(view, article, nth)
    label = NOISE["read_more"]
    if style == "read-more-big":
        return el("div", el("a", el("span", label, class_="read-more-big__label"),
                            el("span", other.title, class_="read-more-big__title"), href=other.url_path),
                  class_="read-more-big")
    if style == "read-more-text-only":
        return el("div", el("span", label, class_="read-more__label"), " ",
                  el("a", other.title, class_="read-more__link", href=other.url_path), class_="read-more-text-only")
    return el("div", el("a", el("span", label), " ", other.title, class_="crosslinks__link", href=other.url_path),
              class_="crosslinks")


def _embed(kind: str, article: ReplicaArticle) -> Html | None:
    number = int(article.article_id)
    if kind == "rtcode":
        src = NOISE["videos"][number % len(NOISE["videos"])]
        return el("div", el("iframe", src=src, width="560", height="315", allowfullscreen=True), class_="rtcode")
    if kind == "tweet":
        tweet = NOISE["tweets"][number % len(NOISE["tweets"])]
        return Html(el("blockquote", el("p", tweet["text"], lang="ar", dir="rtl"),
                       f"— {tweet['author']} (@{tweet['handle']}) ",
                       el("a", "November 2026", href=f"https://twitter.com/{tweet['handle']}/status/{number}"),
                       class_="twitter-tweet")
                    + el("script", src="https://platform.twitter.com/widgets.js", async_=True))
    return None


def _body(view: SiteView, article: ReplicaArticle, look: _Look) -> Html:
    """The body block; in layout 3 it opens with the lead (``p.intro``), as public scrapers find it."""
    parts: list[Html | None] = []
    if view.layout == 3 and article.lead:
        parts.append(el("p", article.lead, class_="intro"))
    if look.lead_again:
        parts.append(el("p", article.lead))
    for number, paragraph in enumerate(article.paragraphs):
        if number in look.read_more_after:
            parts.append(_read_more(view, article, look.read_more_style, number))
        if number == 2:
            parts.append(_embed(look.embed, article))
        parts.append(el("p", paragraph))
    parts.append(el("p", look.source))
    return el("div", parts, class_="text js-text js-mediator-article")


def _photo(article: ReplicaArticle, look: _Look) -> Html:
    image = void("img", src="data:image/gif;base64,R0lGODlhAQABAAAAACw=", data_src=article.image, alt=article.caption)
    if article.shape == "title_credit":     # the credit as a line of its own, in markup no prune rule knows
        return Html(el("div", image, class_="photo") + el("p", look.credit, class_="media-credit"))
    return el("div", image, el("div", look.credit, class_="caption"), class_="photo")


def _article_block(view: SiteView, article: ReplicaArticle, look: _Look) -> Html:
    related = _related(view, article)
    return el(
        "div",
        _visible_date(article, look),
        el("h1", article.title, class_="heading"),
        el("p", article.lead, class_="intro") if article.lead and view.layout != 3 else None,
        el("div", article.title, class_="article__summary-title") if look.title_again else None,
        _photo(article, look),
        _body(view, article, look),
        el("div", [el("a", tag, href=_tag_path(tag)) for tag in article.tags], class_="news-tags news-tags_article"),
        el("div", el("span", NOISE["follow_rt"]), _socials(), class_="article__share"),
        el("section", el("h3", NOISE["related_heading"]),
           el("ul", [el("li", _heading_link(a)) for a in related]), class_="related"),
        class_="article",
    )


def _article_head(view: SiteView, article: ReplicaArticle, look: _Look, charset: str) -> list[Html]:
    return _head(
        view, article.title, article.url_path,
        void("link", rel="amphtml", href=view.url(article.url_path + AMP)),
        void("meta", property="og:type", content="article"),
        void("meta", property="og:description", content=article.lead or article.paragraphs[0]),
        void("meta", property="og:image", content=article.image),
        void("meta", name="mediator_author", content=", ".join(article.authors)),
        void("meta", name="category", content=NOISE["section_names"].get(article.section, "")),
        *_dates_head(article, look),
        charset=charset,
    )


def _related(view: SiteView, article: ReplicaArticle) -> list[ReplicaArticle]:
    return [a for a in view.listed if a.section == article.section and a.article_id != article.article_id][:4]


def _article_page(view: SiteView, article: ReplicaArticle) -> Response:
    look = _look(view, article)
    charset = "windows-1256" if article.kind == "cp1256" else "utf-8"
    if view.layout == 3 and v3.newer(view.index(article)):
        others = [_read_more_target(view, article, nth) for nth in look.read_more_after]
        block = v3.article_block(article, look, others, _related(view, article), embed=_embed(look.embed, article),
                                 date=_visible_date(article, look),
                                 tag_links=[el("a", tag, href=_tag_path(tag)) for tag in article.tags])
        return _page(view, _article_head(view, article, look, charset), block, seed=article.article_id,
                     charset=charset)
    if view.layout == 2:
        others = [_read_more_target(view, article, nth) for nth in look.read_more_after]
        return v2.page(view, v2.article_head(view, article, charset, article.url_path + AMP),
                       v2.article_block(view, article, look, others, _related(view, article)),
                       seed=article.article_id, charset=charset)
    return _page(view, _article_head(view, article, look, charset), _article_block(view, article, look),
                 seed=article.article_id, charset=charset)


def _amp_page(view: SiteView, article: ReplicaArticle) -> Response:
    look = _look(view, article)
    if view.layout == 2:
        return v2.amp_page(view, article, look)
    head = [void("meta", charset="utf-8"), el("title", f"{article.title} - {NAME}"),
            void("link", rel="canonical", href=article.url(view.base_url)),
            void("meta", property="og:title", content=f"{article.title} - {NAME}"), *_dates_head(article, look),
            el("script", src="https://cdn.ampproject.org/v0.js", async_=True)]
    body = [
        el("header", el("a", NOISE["live"], href="/live/"), class_="amp-header"),
        el("article",
           el("h1", article.title, class_="heading"),
           _visible_date(article, look),
           el("p", article.lead, class_="intro") if article.lead else None,
           el("div", [el("p", p) for p in article.paragraphs], el("p", look.source), class_="article__text"),
           class_="amp-article"),
        el("div", el("span", NOISE["follow_rt"]), _socials(), class_="amp-social"),
        el("div", NOISE["cookie_notice"], class_="amp-cookies"),
    ]
    return html(document(head, body, html_attrs={"amp": True}))


def _video_page(view: SiteView, article: ReplicaArticle) -> Response:
    head = _head(view, article.title, article.url_path, void("meta", property="og:type", content="video.other"),
                 void("meta", property="og:image", content=article.image),
                 void("meta", name="publish-date", content=_iso(article, "published")))
    block = el("div", el("h1", article.title, class_="heading"),
               el("div", el("iframe", src=NOISE["videos"][0], allowfullscreen=True), class_="video-player"),
               el("div", article.caption, class_="video__caption"), class_="article article_video")
    return _page(view, head, block, seed=article.article_id)


def _stories_feed() -> Html:
    """The "RT STORIES" widget as a page of its own shows it: groups under a topic label, every headline
    followed by the hashtag line, in markup no prune rule knows (only the text rules can tell)."""
    groups = []
    for number, topic in enumerate(NOISE["trend_labels"][:2]):
        headlines = NOISE["stories"][number * 2: number * 2 + 2]
        items = [Html(el("p", el("a", h, href="#")) + el("p", NOISE["stories_hashtags"])) for h in headlines]
        groups.append(el("div", el("p", "Stories"), el("p", "-"), el("p", topic), el("p", NOISE["stories_heading"]),
                         items, class_="feed-group"))
    return el("div", groups, class_="stories-feed")


def _stories_page(view: SiteView, article: ReplicaArticle) -> Response:
    widget = v2.stories() if view.layout == 2 else _stories_feed()
    return _page(view, _head(view, article.title, article.url_path), widget, seed=article.article_id)


def _programme_page(view: SiteView, article: ReplicaArticle) -> Response:
    block = el("div", el("h1", article.title, class_="heading"),
               el("audio", el("source", src="/static/episode.mp3", type="audio/mpeg"), NOISE["audio_fallback"],
                  controls=True), class_="programme")
    return _page(view, _head(view, article.title, article.url_path), block, seed=article.article_id)


_LAYOUTS = {"article": _article_page, "video": _video_page, "stories": _stories_page,
            "programme": _programme_page}


def _no_article_page(view: SiteView) -> Response:
    """What an article URL shows once the layout changed: the chrome, no article."""
    return _page(view, _head(view, NAME, "/"), el("div", class_="layout-v2__content"))


def _article_route(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    article = view.find(match["id"])
    if article is None or not article.path.startswith(f"/{unquote(match['section'])}/"):
        return _not_found(view)
    if match["amp"]:
        return _amp_page(view, article) if view.serve_articles else _no_article_page(view)
    if match[0] != article.url_path:
        return redirect(view.url(article.url_path))
    if not view.serve_articles:
        return _no_article_page(view)
    return _LAYOUTS[article.layout](view, article)


def _legacy_route(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    """``/news/<id>`` (with or without a slug) still resolves, for every article."""
    article = view.find(match["id"])
    return redirect(view.url(article.url_path)) if article else _not_found(view)


# --- discovery ----------------------------------------------------------------------------------------------

def _tag_path(tag: str) -> str:
    return f"/tags/{quote(tag)}/"


def _listing_block(articles: list[ReplicaArticle], extra: list[Html] | tuple = ()) -> Html:
    items = [el("div", _heading_link(a, a.variants[0] if a.variants else None),
                el("p", a.lead or a.caption, class_="card__summary"), class_="card") for a in articles]
    return el("div", items, *extra, class_="listing")


def _listing(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    page = int(match["page"])                     # from 0
    listed = view.listed[:LISTING_DEPTH]
    pages = max(1, -(-len(listed) // PAGE_SIZE))
    if not 0 <= page < pages:
        return _not_found(view)
    chunk = list(listed[page * PAGE_SIZE: (page + 1) * PAGE_SIZE])
    extra = []
    if page == 0:   # links that lead elsewhere: the legacy URLs (301) and a deleted article (404)
        extra = [el("a", "رابط قديم", class_="heading", href=path) for a in view.articles for path in a.redirects]
        extra.append(el("a", "خبر محذوف", class_="heading", href=MISSING_PATH))
    return html(document([void("meta", charset="utf-8")], [_listing_block(chunk, extra)]))


def section_path(article: ReplicaArticle) -> str:
    """The article's section page (``_section_page``; where a taken-down article may be redirected)."""
    return f"/{article.section}/"


def _section_page(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    section = match["section"]
    if section not in NOISE["section_names"]:
        return _not_found(view)
    articles = [a for a in view.listed if a.section == section]
    return _page(view, _head(view, NOISE["section_names"][section], f"/{section}/"), _listing_block(articles))


def _tag_page(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    tag = unquote(match["tag"])
    articles = [a for a in view.listed if tag in a.tags]
    if not articles:
        return _not_found(view)
    return _page(view, _head(view, tag, _tag_path(tag)), _listing_block(articles))


def _home(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    latest = _listing_block(list(view.listed[:PAGE_SIZE]),
                            [el("a", "المزيد", class_="more", href=LISTING_PAGE.format(page=0))])
    return _page(view, _head(view, "آخر الأخبار", "/"), latest)


def _plain_page(title: str):
    def handler(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
        return _page(view, _head(view, title, match[0]), el("h1", title))
    return handler


def _rss(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    items = [feeds.FeedItem(
        title=a.title,
        link=view.url(next((v for v in a.variants if "utm_" in v), a.url_path)),
        description=a.lead or (a.paragraphs[0] if a.paragraphs else a.caption),
        published=a.modified if a.edits else a.published,
        category=NOISE["section_names"].get(a.section, a.section),
    ) for a in view.listed[:RSS_SIZE]]
    built = feed_built(items, view)
    return xml(feeds.rss(NAME, view.url("/"), "آخر الأخبار من RT Arabic", items, built), "application/rss+xml", built)


def _sitemap_articles(view: SiteView) -> list[ReplicaArticle]:
    return [a for rank, a in enumerate(view.listed) if rank not in NOT_IN_SITEMAP and a.layout != "programme"]


def _sitemap_index(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    articles = _sitemap_articles(view)
    children = [("/sitemap/news.xml", [a for a in articles if a.published])]
    children += [(f"/sitemap/articles/{n}.xml", articles[n - 1::SITEMAP_PARTS]) for n in range(1, SITEMAP_PARTS + 1)]
    entries = [feeds.SitemapEntry(view.url(path), max((a.modified for a in part if a.modified), default=None))
               for path, part in children]
    entries += older_index_entries(view, OLDER_SITEMAP)
    return xml(feeds.sitemap_index(entries), modified=max((e.lastmod for e in entries if e.lastmod), default=None))


def _sitemap_news(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    entries = [article_entry(view, a) for a in _sitemap_articles(view) if a.published]
    return xml(feeds.news_urlset(entries, NAME))


def _sitemap_part(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    part = int(match["part"])
    if not 1 <= part <= SITEMAP_PARTS:
        return _not_found(view)
    return xml(feeds.urlset(article_entry(view, a) for a in _sitemap_articles(view)[part - 1::SITEMAP_PARTS]))


def _robots(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    return text(feeds.robots([DISALLOWED], [view.url("/sitemap.xml")]))


def _not_found(view: SiteView) -> Response:
    return _page(view, _head(view, "الصفحة غير موجودة", "/"), el("h1", "الصفحة غير موجودة"), status=404)


ROUTES = [
    (re.compile(r"/"), _home),
    (re.compile(r"/robots\.txt"), _robots),
    (re.compile(r"/rss/?"), _rss),
    (re.compile(r"/sitemap\.xml"), _sitemap_index),
    (re.compile(r"/sitemap/news\.xml"), _sitemap_news),
    (re.compile(r"/sitemap/articles/(?P<part>\d+)\.xml"), _sitemap_part),
    (re.compile(re.escape(OLDER_SITEMAP).replace(r"\{page\}", r"(?P<page>\d+)")), older_sitemap(_not_found)),
    (re.compile(re.escape(LISTING_PAGE).replace(r"\{page\}", r"(?P<page>\d+)")), _listing),
    (re.compile(r"/news/(?P<id>\d+)(?:-[^/]*/?)?"), _legacy_route),
    (re.compile(r"/search/.*"), _plain_page("نتائج البحث")),
    (re.compile(r"/live/"), _plain_page(NOISE["live"])),
    (re.compile(r"/tags/(?P<tag>[^/]+)/"), _tag_page),
    (re.compile(r"/(?P<section>[a-z_]+(?:/telecast)?)/(?P<id>\d{5,})-[^/]+/?(?P<amp>amp/?)?"), _article_route),
    (re.compile(r"/(?P<section>[a-z_]+)/"), _section_page),
]


# --- the real site's discovery shapes (replica/real_discovery.py) ---------------------------------------------

def _first_id() -> int:
    return int(load("text_bank")["sites"][SITE]["first_id"])


def _real_sitemap_index(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    current = max((a.modified for a in _sitemap_articles(view) if a.modified), default=None)
    return real_discovery.yearly_index(view, current, older_index_entries(view, OLDER_SITEMAP))


def _real_sitemap_part(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
    year, part = int(match["year"]), match["part"]
    if year == view.now.year and not part:
        articles = _sitemap_articles(view)
        oldest = min(a.published for a in view.articles if a.published)
        return real_discovery.year_part(view, [article_entry(view, a) for a in articles], "world", _first_id(),
                                        oldest)
    if view.now.year - 2 <= year < view.now.year:
        return real_discovery.past_part(view, year, "world", _first_id())
    return _not_found(view)


REAL_ROUTES = [
    (re.compile(r"/sitemap\.xml"), _real_sitemap_index),
    (re.compile(r"/sitemap_(?P<year>\d{4})(?P<part>_2)?\.xml"), _real_sitemap_part),
]


def respond(view: SiteView, path: str, query: dict[str, str]) -> Response:
    """The response to ``GET path`` (percent-encoded, without the query) on the RT Arabic replica."""
    return route(REAL_ROUTES + ROUTES if view.discovery == "real" else ROUTES, _not_found, view, path, query)
