"""The parts of a replica site's discovery documents that every site builds the same way: an article's sitemap
entry, a feed's build time, and a big replica's paged sitemaps of its older articles (their index entries and
their route). What differs per site (paths, which articles a document lists) stays in its renderer."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from replica import feeds
from replica.corpus import ReplicaArticle
from replica.response import Handler, Response, xml
from replica.state import SiteView


def article_entry(view: SiteView, article: ReplicaArticle) -> feeds.SitemapEntry:
    return feeds.SitemapEntry(view.url(article.url_path), article.modified, article.title, article.published)


def feed_built(items: list[feeds.FeedItem], view: SiteView) -> datetime:
    """A feed's build time: its newest item's (so that an unchanged feed is the same document)."""
    return max((item.published for item in items if item.published), default=view.now)


def older_index_entries(view: SiteView, path: str) -> list[feeds.SitemapEntry]:
    """The sitemap index's entries of the older articles' pages (none below the base corpus's size): ``path``
    has a ``{page}`` field."""
    if not view.older:
        return []
    return [feeds.SitemapEntry(view.url(path.format(page=n)), view.older.page_lastmod(n))
            for n in range(1, view.older.pages() + 1)]


def older_sitemap(not_found: Callable[[SiteView], Response]) -> Handler:
    """The handler of the older articles' paged sitemap (the route's ``page`` group)."""
    def respond(view: SiteView, match: re.Match, query: dict[str, str]) -> Response:
        page = int(match["page"])
        if not view.older or not 1 <= page <= view.older.pages():
            return not_found(view)
        return xml(feeds.urlset(article_entry(view, a) for a in view.older.page(page)))
    return respond
