"""The replica's articles beyond its base corpus, for a replica of any size (``ReplicaServer(articles=N)``).

A site of N articles is its base corpus (``corpus.build``: the ~44 pages with every special shape, all of the
last ~48 hours) followed by ``N - len(base)`` regular articles that are older: the k-th (k = 0 the newest) was
published ``(k + 1) × SPAN / count`` before the base corpus's oldest article (``before``) — inside the
crawler's default look-back of three days — and has the id ``first_id - 1 - k``.
Each is a pure function of ``(site, k, count, before)``, written from the same prose bank as the base corpus:
nothing is generated before it is asked for, and only the last few thousand asked for are kept.
"""
from __future__ import annotations

import random
import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crawler.sites import get_site

from replica.corpus import ReplicaArticle, _article, _Writer
from replica.resources import load

__all__ = ["MAX_ARTICLES", "SITEMAP_PAGE", "SPAN", "OlderArticles"]

#: the most articles a replica site serves (base corpus included)
MAX_ARTICLES = 100_000
#: how far before the base corpus the older articles go (the crawler's default look-back is three days)
SPAN = timedelta(hours=23)
#: how many older articles one child sitemap lists (the sitemap protocol allows up to 50,000)
SITEMAP_PAGE = 1000
_CACHE_SIZE = 4096
EDIT_DELAYS = (0, 0, 7, 25, 90)       # minutes from publication to the last modification, as in the base corpus
MAX_EDIT_DELAY = timedelta(minutes=max(EDIT_DELAYS))


class OlderArticles:
    """``count`` older articles of ``site``, newest first; a read-only sequence generated on demand."""

    def __init__(self, site: str, count: int, before: datetime):
        if count < 0:
            raise ValueError(f"count of older articles must be ≥ 0, got {count}")
        self.site = site
        self.count = count
        self.before = before
        self._config = load("text_bank")["sites"][site]
        self._zone = ZoneInfo(get_site(site).timezone)
        self._first_id = int(self._config["first_id"])
        self._step = SPAN / max(count, 1)
        self._cache: OrderedDict[int, ReplicaArticle] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self.count))]
        if k < 0:
            k += self.count
        if not 0 <= k < self.count:
            raise IndexError(k)
        with self._lock:
            article = self._cache.get(k)
            if article is not None:
                self._cache.move_to_end(k)
                return article
        article = self._make(k)
        with self._lock:
            self._cache[k] = article
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return article

    def __iter__(self):
        return (self[k] for k in range(self.count))

    def published_at(self, k: int) -> datetime:
        """When the k-th older article was published, without generating it."""
        return (self.before - self._step * (k + 1)).astimezone(self._zone).replace(second=0, microsecond=0)

    def pages(self) -> int:
        """How many child sitemaps of ``SITEMAP_PAGE`` articles the older articles fill."""
        return -(-self.count // SITEMAP_PAGE)

    def page(self, number: int) -> list[ReplicaArticle]:
        """The articles of child sitemap ``number`` (1-based), newest first."""
        return self[(number - 1) * SITEMAP_PAGE: number * SITEMAP_PAGE]

    def page_lastmod(self, number: int) -> datetime:
        """An upper bound of the modified times on page ``number``, without generating it."""
        return min(self.published_at((number - 1) * SITEMAP_PAGE) + MAX_EDIT_DELAY, self.before)

    def position(self, article_id: str) -> int | None:
        """k of the older article with this id, or None."""
        if not article_id.isdigit():
            return None
        k = self._first_id - 1 - int(article_id)
        return k if 0 <= k < self.count else None

    def get(self, article_id: str) -> ReplicaArticle | None:
        k = self.position(article_id)
        return None if k is None else self[k]

    def _make(self, k: int) -> ReplicaArticle:
        return regular_article(self.site, f"older/{k}", k, str(self._first_id - 1 - k), self.published_at(k),
                               self.before)


def regular_article(site: str, seed: str, number: int, article_id: str, published: datetime,
                    now: datetime) -> ReplicaArticle:
    """A regular article of ``site`` written from the prose bank, a pure function of its arguments; ``number``
    picks its section and story."""
    config = load("text_bank")["sites"][site]
    rng = random.Random(f"arshif-replica/{site}/{seed}")
    writer = _Writer(rng, config)
    theme_count = max(len(themes) for themes in config["sections"].values())
    writer.next_story = {theme: number // theme_count for themes in config["sections"].values() for theme in themes}
    sections = list(config["sections"])
    section = sections[number % len(sections)]
    plan = {"kind": "article", "layout": "article", "section": section, "text": writer.article(section),
            "published": published, "modified": published + timedelta(minutes=rng.choice(EDIT_DELAYS)),
            "authors": (rng.choice(config["authors"]),) if rng.random() < config["author_share"] else ()}
    return _article(site, config, plan, article_id, now)


def not_article_page(site: str, article_id: int, now: datetime) -> ReplicaArticle:
    """A page that is no article, with an article's id of ``site`` (an id gap of the site's sequence): a photo
    gallery on El Balad (at ``/<id>``), a programme page on RT (``/news/<id>`` redirects to it)."""
    config = load("text_bank")["sites"][site]
    layout = "programme" if "programme" in config["paths"] else "gallery"
    section = "prg" if layout == "programme" else list(config["sections"])[0]
    writer = _Writer(random.Random(f"arshif-replica/{site}/gap/{article_id}"), config)
    published = now.astimezone(ZoneInfo(get_site(site).timezone)).replace(second=0, microsecond=0)
    plan = {"kind": "not_article", "layout": layout, "section": section, "text": writer.page(layout),
            "published": published, "modified": published, "authors": ()}
    return _article(site, config, plan, str(article_id), now)


def published_now(site: str, last_id: int, count: int, now: datetime) -> list[ReplicaArticle]:
    """``count`` articles of ``site`` published just now (in the current minute, as the sites show it), with the ids after
    ``last_id``: what ``ReplicaServer.publish`` adds."""
    zone = ZoneInfo(get_site(site).timezone)
    articles = []
    for n in range(count):
        article_id = last_id + 1 + n
        published = (now - timedelta(seconds=count - n)).astimezone(zone).replace(second=0, microsecond=0)
        article = regular_article(site, f"new/{article_id}", article_id, str(article_id), published, now)
        articles.append(replace(article, modified=published))
    return articles
