"""Sada El Balad redesigned (replica layout 2): the same articles, URLs, feeds and sitemaps as
``render_elbalad``, in markup that none of the site's selectors in ``crawler/sites/elbalad.py`` know.

What a redesign of the real site looks like: no ``<article>`` element any more, other class names for the
title, body, main image, section label and every block of chrome (masthead, sister sites, breaking-news
ticker, share bar, tags); the read-also box as a plain ``<p>`` label then a paragraph holding the link, in the
middle of the body; the byline under the body and the date above the title. JSON-LD and OpenGraph stay, as
they do on real redesigns. The noise text is the same catalogue (``data/noise.toml``).
"""
from __future__ import annotations

from typing import Sequence

from replica.arabic_dates import long_date
from replica.corpus import ReplicaArticle
from replica.markup import Html, document, el, json_ld, void
from replica.resources import load
from replica.response import Response, html
from replica.state import SiteView

NAME = "صدى البلد"
NOISE = load("noise")["elbalad"]


def _icons() -> Html:
    return el("div", [el("a", s, href="#", class_="sm-icon") for s in NOISE["socials"]], class_="sm-row")


def _board(editor: str) -> Html:
    return el("div", [el("div", el("span", role), el("strong", name.format(editor=editor)), class_="board__row")
                      for role, name in NOISE["masthead"]], class_="board")


def _top(editor: str, ticker: Sequence[tuple[str, str]], board_twice: bool) -> list[Html]:
    return [
        el("div", _board(editor), el("div", [el("a", s, href="#") for s in NOISE["sister_sites"]],
                                     class_="network-bar"), class_="top-strip"),
        _board(editor) if board_twice else None,
        el("div", el("a", NOISE["language_switch"][0], href="https://en.elbalad.news"), " ",
           el("b", NOISE["language_switch"][1]), class_="lang-v2"),
        el("div", [el("a", name, href=f"/category/{key}") for key, name in NOISE["section_names"].items()],
           class_="menu-bar"),
        el("div", el("b", NOISE["breaking"]), el("div", [el("a", h, href=href) for h, href in ticker]),
           class_="urgent-bar"),
    ]


def page(view: SiteView, head: list[Html], *main: Html, editor: str, ticker: Sequence[tuple[str, str]],
         board_twice: bool = False, status: int = 200, charset: str = "utf-8") -> Response:
    """Any page of the redesigned site: its own top strip, menu, ticker and footer."""
    body = [*_top(editor, ticker, board_twice),
            el("div", *main, el("div", "إعلان", class_="ad-slot"), class_="wrap"),
            el("div", el("b", NOISE["follow"]), _icons(), class_="follow-v2"),
            el("div", el("p", NOISE["footer"]), class_="bottom-v2")]
    return html(document(head, body), status=status, charset=charset)


def _json_ld(view: SiteView, article: ReplicaArticle, byline: str) -> Html:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
            "image": {"@type": "ImageObject", "url": article.image}, "mainEntityOfPage": view.url(article.url_path),
            "articleSection": NOISE["section_names"][article.section], "keywords": ", ".join(article.tags),
            "author": {"@type": "Person", "name": byline}, "publisher": {"@type": "Organization", "name": NAME}}
    if article.published is not None:
        data.update(datePublished=article.published.isoformat(), dateModified=article.modified.isoformat())
    return json_ld(data)


def article_extra_head(view: SiteView, article: ReplicaArticle, byline: str) -> list[Html]:
    extra = [_json_ld(view, article, byline)]
    if article.published is not None:
        extra.append(void("meta", property="article:published_time", content=article.published.isoformat()))
    return extra


def _read_also(label: str, other: ReplicaArticle) -> Html:
    """The redesigned box: a bare label paragraph, then a paragraph with the other story's link."""
    return Html(el("p", el("strong", label), class_="more-label") + el("p", el("a", other.title, href=other.url_path)))


def article_block(article: ReplicaArticle, look, others: Sequence[ReplicaArticle], more_details_href: str,
                  related: Sequence[ReplicaArticle]) -> Html:
    parts: list[Html] = []
    for number, paragraph in enumerate(article.paragraphs):
        if number in look.read_also_after:
            parts.append(_read_also(look.read_also_label, others[look.read_also_after.index(number)]))
        parts.append(el("p", paragraph))
    if look.more_details:
        parts.append(el("p", el("a", NOISE["more_details"], href=more_details_href)))
    when = None
    if article.published is not None:
        months = "levantine" if look.levantine else "egyptian"
        when = el("div", el("span", long_date(article.published, months=months)), class_="story-page__when")
    return el(
        "section",
        when,
        el("div", el("a", NOISE["section_names"][article.section], href=f"/category/{article.section}"),
           class_="story-page__kicker"),
        el("h1", article.title, class_="story-page__title"),
        el("div", void("img", src=article.image, alt=article.caption), el("span", article.caption),
           class_="story-page__photo"),
        el("div", parts, class_="story-content"),
        el("div", el("span", look.byline), class_="story-page__by"),
        el("div", el("b", NOISE["share"]), _icons(), class_="story-page__share"),
        el("div", el("b", look.tags_heading), [el("a", t, href="#") for t in article.tags], class_="story-page__kw"),
        el("div", el("b", NOISE["related_heading"]),
           [el("div", el("a", el("h3", a.title), href=a.url_path), class_="also-card") for a in related],
           class_="also-list"),
        class_="story-page",
    )
