"""RT Arabic's other known markup (replica layout 3, the article block of half the article pages; the other
half is the older markup with its lead inside the body, ``render_rt_arabic``): the same articles, URLs,
feeds, sitemaps, head and page chrome as layout 1.

What other people's public scrapers of arabic.rt.com read and ``render_rt_arabic`` did not serve (found with
the search tool's code index; the index names no repository for the two files of the newer markup, so they
are cited by what they are and the query that finds them):

- the lead in ``div.main-article__intro-text`` and the body in ``div.main-article__editor-content`` (class
  ``editor-content`` too): a Django seeding script that reads ``arabic.rt.com/rss/<section>/`` and then each
  page (``find_string "main-article__intro-text"``), and a Wayback-based RT scraper that tries
  ``div.text.js-text.js-mediator-article`` first and ``div.main-article__editor-content editor-content`` next
  (``find_string "main-article__editor-content"``);
- read-more wrappers inside that body as ``<section>`` / ``<article>`` elements (the seeding script removes
  those tags from the body as "read-more wrappers", then any short block holding «إقرأ المزيد»);
- the source credit as the body's last paragraph (moustafa360/ArabicNewsArticles,
  ``articles/articles/spiders/rt_sports_esp.py``, reads ``div.text.js-text.js-mediator-article
  p:not(:first-child):not(:last-child)``: the first paragraph is the lead, ``p.intro``, the last the credit).

Nothing public shows this markup's title, photo, date or tag classes: the title is a bare ``<h1>`` of the
``main-article`` block (the block the ``main-article__*`` elements name), and the photo, date and tags carry
class names no selector of ``crawler/sites/rt_arabic.py`` knows — the generic sources (OpenGraph, JSON-LD,
meta tags) give them, and the run's selector hit rate says so.
"""
from __future__ import annotations

from typing import Sequence

from replica.corpus import ReplicaArticle
from replica.markup import Html, el, void
from replica.resources import load

NOISE = load("noise")["rt_arabic"]


def newer(index: int) -> bool:
    """Whether the article at ``index`` of the corpus is served in this markup in layout 3 (every other one:
    the site serves both layouts at once)."""
    return index % 2 == 0


def _read_more(other: ReplicaArticle, nth: int) -> Html:
    """A read-more wrapper inside the body: a ``<section>`` (or ``<article>``) with the label and a link."""
    return el("section" if nth % 2 == 0 else "article",
              el("span", NOISE["read_more"]), " ", el("a", other.title, href=other.url_path),
              class_="main-article__read-more")


def _body(article: ReplicaArticle, look, others: Sequence[ReplicaArticle], embed: Html | None) -> Html:
    parts: list[Html | None] = [el("p", article.lead)] if look.lead_again else []
    for number, paragraph in enumerate(article.paragraphs):
        if number in look.read_more_after:
            nth = look.read_more_after.index(number)
            parts.append(_read_more(others[nth], nth))
        if number == 2:
            parts.append(embed)
        parts.append(el("p", paragraph))
    parts.append(el("p", look.source))
    return el("div", parts, class_="main-article__editor-content editor-content")


def article_block(article: ReplicaArticle, look, others: Sequence[ReplicaArticle], related: Sequence[ReplicaArticle],
                  *, embed: Html | None, date: Html | None, tag_links: Sequence[Html]) -> Html:
    """The article in the newer markup: title, lead, (title again), photo, body, tags, share bar, related."""
    return el(
        "div",
        date,
        el("h1", article.title),
        el("div", article.lead, class_="main-article__intro-text") if article.lead else None,
        el("div", article.title, class_="main-article__subtitle") if look.title_again else None,
        el("figure", void("img", src=article.image, alt=article.caption),
           el("figcaption", look.credit, class_="main-article__media-credit"), class_="main-article__media"),
        _body(article, look, others, embed),
        el("div", tag_links, class_="main-article__topics"),
        el("div", el("span", NOISE["follow_rt"]), class_="main-article__share"),
        el("section", el("h3", NOISE["related_heading"]),
           el("ul", [el("li", el("a", a.title, href=a.url_path)) for a in related]), class_="main-article__more"),
        class_="main-article",
    )
