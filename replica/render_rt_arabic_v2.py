"""RT Arabic redesigned (replica layout 2): the same articles, URLs, feeds and sitemaps as
``render_rt_arabic``, in markup that none of the site's selectors in ``crawler/sites/rt_arabic.py`` know.

What a redesign of the real site looks like: other class names for the title, lead, body, photo, tags and
every block of chrome; the read-more box as a plain ``<p>`` label then a paragraph holding the link, in the
middle of the body; the byline and date below the body instead of above the title; the site's own meta tags
(``publish-date``, ``mediator_author``, ``category``) gone. OpenGraph and JSON-LD stay, as they do on real
redesigns. The noise text is the same catalogue (``data/noise.toml``), so a crawl of this layout is scored
against the same gold text.
"""
from __future__ import annotations

import random
from typing import Sequence

from replica.arabic_dates import long_date
from replica.corpus import ReplicaArticle
from replica.markup import Html, document, el, json_ld, script, void
from replica.resources import load
from replica.response import Response, html
from replica.state import SiteView

NAME = "RT Arabic"
NOISE = load("noise")["rt_arabic"]
SEARCH_LINK = "/search/?q=%D8%B1%D9%88%D8%B3%D9%8A%D8%A7"


def head(view: SiteView, title: str, canonical: str, *extra: Html, charset: str = "utf-8") -> list[Html]:
    out = [void("meta", charset=charset)]
    if charset != "utf-8":
        out.append(void("meta", http_equiv="Content-Type", content=f"text/html; charset={charset}"))
    return out + [
        el("title", f"{title} | {NAME}"),
        void("link", rel="canonical", href=view.url(canonical)),
        void("meta", property="og:site_name", content=NAME),
        void("meta", property="og:title", content=f"{title} - {NAME}"),
        void("meta", property="og:url", content=view.url(canonical)),
        *extra,
        script("window.__RT_APP__={v:2};"),
    ]


def _icons() -> Html:
    return el("div", [el("a", s, href="#", class_="icon-link") for s in NOISE["socials"]], class_="icon-row")


def _topbar(seed: str) -> Html:
    rng = random.Random(seed)
    labels = [label for label in NOISE["trend_labels"] for _ in range(rng.choice((2, 3)))]
    return el(
        "div",
        el("a", NOISE["live"], class_="topbar-v2__onair", href="/live/"),
        el("div", [el("a", name, href=f"/{key}/") for key, name in NOISE["section_names"].items()],
           class_="menu-v2"),
        el("div", el("b", NOISE["follow_us"]), _icons(), class_="topbar-v2__channels"),
        el("div", el("b", NOISE["important_sections"]),
           el("div", [el("a", s, href=SEARCH_LINK) for s in NOISE["important"]]), class_="topbar-v2__picks"),
        el("div", el("b", f"{rng.randint(20, 99)} خبر"), el("div", [el("a", lb, href="#") for lb in labels]),
           class_="topbar-v2__hot"),
        class_="topbar-v2",
    )


def stories() -> Html:
    cards = [el("div", el("a", headline, href="#"), el("em", NOISE["stories_hashtags"]), class_="swipe-card")
             for headline in NOISE["stories"]]
    return el("div", el("b", NOISE["stories_heading"]), cards, class_="swipe-strip")


def page(view: SiteView, head_: list[Html], *main: Html, seed: str = "", status: int = 200,
         charset: str = "utf-8") -> Response:
    """Any page of the redesigned site: its own top bar, the stories strip, footer and consent banner."""
    body = [
        _topbar(seed),
        el("div", *main, class_="page-v2"),
        stories(),
        el("div", el("p", NOISE["comments_help"]), class_="talk-v2"),
        el("div", el("p", NOISE["footer"]), el("a", NOISE["copy_link"], href="#"), class_="bottom-v2"),
        el("div", el("p", NOISE["cookie_notice"]), el("a", "موافق", href="#"), class_="consent-v2"),
    ]
    return html(document(head_, body), status=status, charset=charset)


def _iso(when) -> str:
    return when.isoformat()


def article_head(view: SiteView, article: ReplicaArticle, charset: str, amp_path: str) -> list[Html]:
    extra = [void("link", rel="amphtml", href=view.url(amp_path)),
             void("meta", property="og:type", content="article"),
             void("meta", property="og:description", content=article.lead or article.paragraphs[0]),
             void("meta", property="og:image", content=article.image)]
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
            "image": {"@type": "ImageObject", "url": article.image},
            "articleSection": NOISE["section_names"].get(article.section, ""), "keywords": ", ".join(article.tags),
            "author": [{"@type": "Person", "name": a} for a in article.authors]
            or {"@type": "Organization", "name": NAME},
            "publisher": {"@type": "Organization", "name": NAME}, "mainEntityOfPage": view.url(article.url_path)}
    if article.published is not None:
        data.update(datePublished=_iso(article.published), dateModified=_iso(article.modified))
        extra += [void("meta", property="article:published_time", content=_iso(article.published)),
                  void("meta", property="article:modified_time", content=_iso(article.modified))]
    extra.append(json_ld(data))
    return head(view, article.title, article.url_path, *extra, charset=charset)


def _read_more(other: ReplicaArticle) -> Html:
    """The redesigned box: a bare label paragraph, then a paragraph with the other story's link."""
    return Html(el("p", NOISE["read_more"], class_="inline-label")
                + el("p", el("a", other.title, href=other.url_path), class_="inline-link"))


def _body(article: ReplicaArticle, look, others: Sequence[ReplicaArticle]) -> Html:
    parts: list[Html] = [el("p", article.lead)] if look.lead_again else []
    for number, paragraph in enumerate(article.paragraphs):
        if number in look.read_more_after:
            parts.append(_read_more(others[look.read_more_after.index(number)]))
        parts.append(el("p", paragraph))
    parts.append(el("p", look.source))
    return el("div", parts, class_="news-item__text")


def _when(article: ReplicaArticle, look) -> Html | None:
    if article.published is None:
        return None
    shown = (long_date(article.published, months="levantine") if look.levantine
             else article.published.strftime("%d.%m.%Y | %H:%M"))
    return el("time", shown, datetime=_iso(article.published), class_="news-item__when")


def article_block(view: SiteView, article: ReplicaArticle, look, others: Sequence[ReplicaArticle],
                  related: Sequence[ReplicaArticle]) -> Html:
    return el(
        "article",
        el("h1", article.title, class_="news-item__headline"),
        el("p", article.lead, class_="news-item__summary") if article.lead else None,
        el("div", article.title, class_="news-item__kicker") if look.title_again else None,
        el("figure", void("img", src=article.image, alt=article.caption),
           el("figcaption", look.credit, class_="news-item__copyright"), class_="news-item__media"),
        _body(article, look, others),
        el("div", el("span", ", ".join(article.authors), class_="news-item__author") if article.authors else None,
           _when(article, look), class_="news-item__meta"),
        el("div", [el("a", tag, href=f"/tags/{tag}/") for tag in article.tags], class_="news-item__topics"),
        el("div", el("b", NOISE["follow_rt"]), _icons(), class_="news-item__share"),
        el("div", el("b", NOISE["related_heading"]),
           [el("a", a.title, href=a.url_path, class_="more-news__link") for a in related], class_="more-news"),
        class_="news-item",
    )


def amp_page(view: SiteView, article: ReplicaArticle, look) -> Response:
    head_ = [void("meta", charset="utf-8"), el("title", f"{article.title} | {NAME}"),
             void("link", rel="canonical", href=article.url(view.base_url)),
             void("meta", property="og:title", content=f"{article.title} - {NAME}"),
             el("script", src="https://cdn.ampproject.org/v0.js", async_=True)]
    if article.published is not None:
        head_.append(void("meta", property="article:published_time", content=_iso(article.published)))
    body = [
        el("div", el("a", NOISE["live"], href="/live/"), class_="amp-top-v2"),
        el("article",
           el("h1", article.title, class_="news-item__headline"),
           el("p", article.lead, class_="news-item__summary") if article.lead else None,
           el("div", [el("p", p) for p in article.paragraphs], el("p", look.source), class_="news-item__text"),
           _when(article, look),
           class_="news-item"),
        el("div", el("b", NOISE["follow_rt"]), _icons(), class_="amp-share-v2"),
        el("div", NOISE["cookie_notice"], class_="amp-consent-v2"),
    ]
    return html(document(head_, body, html_attrs={"amp": True}))
