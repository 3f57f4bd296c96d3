"""The mutable state of one replica site: its corpus, the test controls, request counts."""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Callable

from replica import corpus
from replica.corpus import ReplicaArticle
from replica.faults import FaultSet
from replica.locked import locked_copy
from replica.older import MAX_ARTICLES, OlderArticles, not_article_page, published_now

#: the page markups a site can serve: 1 the one ``crawler/sites`` knows, 2 a redesign with other markup, 3 the
#: other markup public scrapers know (RT: half the article pages in its newer markup, the lead inside the body
#: in the others; El Balad, with no other markup known, as in 1)
LAYOUTS = (1, 2, 3)
#: the discovery shapes a site can serve: "replica" (ours), "real" (the real sites' own, replica/real_discovery.py)
DISCOVERIES = ("replica", "real")


@dataclass(frozen=True)
class SiteView:
    """A consistent snapshot of a site for rendering one response."""

    site: str
    base_url: str
    articles: tuple[ReplicaArticle, ...]   # oldest first (by id)
    serve_articles: bool
    now: datetime
    layout: int = 1                        # page markup: 1 as the sites are known, 2 a redesign, 3 (LAYOUTS)
    older: OlderArticles | tuple = ()      # the articles past the base corpus, newest first (generated lazily)
    discovery: str = "replica"             # the discovery documents' shapes (DISCOVERIES)
    unlisted: frozenset[str] = frozenset()  # ids no feed, sitemap or listing shows (reachable at their URL only)
    # each article's place in the order the site got them (built, then published), kept when an earlier one is
    # taken down; the first ``built`` places are the articles the site was built with
    positions: dict[str, int] = field(default_factory=dict)
    built: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    @cached_property
    def listed(self) -> tuple[ReplicaArticle, ...]:
        """Newest first, as feeds and listings show them (not the unlisted ones); a page without a date counts as
        just published."""
        shown = (a for a in self.articles if a.article_id not in self.unlisted)
        return tuple(sorted(shown, key=lambda a: a.published or self.now, reverse=True))

    @cached_property
    def by_id(self) -> dict[str, ReplicaArticle]:
        return {a.article_id: a for a in self.articles}

    @cached_property
    def redirects(self) -> dict[str, ReplicaArticle]:
        return {path: a for a in self.articles for path in a.redirects}

    def index(self, article: ReplicaArticle) -> int:
        """Position of ``article`` in the corpus: per-page variations are keyed on it, so each shows up (an
        article's page keeps its shape while the site publishes and takes down others)."""
        if article.article_id in self.positions:
            return self.positions[article.article_id]
        if article.article_id in self.by_id:
            return self.articles.index(self.by_id[article.article_id])
        return (len(self.positions) or len(self.articles)) + self.older.position(article.article_id)

    def linkable(self, article: ReplicaArticle) -> list[ReplicaArticle]:
        """The listed articles a page's read-more boxes link to: those the site was built with (not the ones it
        published since, so a page does not change as the site publishes), but ``article`` itself."""
        return [a for a in self.listed if a.layout == "article" and a.article_id != article.article_id
                and (not self.positions or self.positions.get(a.article_id, 0) < self.built)]

    def find(self, article_id: str) -> ReplicaArticle | None:
        """The article with the site's id ``article_id`` (base corpus or older), or None."""
        article = self.by_id.get(article_id)
        return article if article is not None or not self.older else self.older.get(article_id)


def _checked_layout(layout: int) -> int:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(map(str, LAYOUTS))}, got {layout}")
    return layout


class SiteState:
    """Thread-safe: the server's handler threads and the controlling test share it."""

    def __init__(self, site: str, build: Callable[[], list[ReplicaArticle]], clock: Callable[[], datetime],
                 layout: int = 1, articles: int | None = None, plain: int | None = None,
                 discovery: str = "replica"):
        """``articles``: how many articles the site serves in all (None: the base corpus alone, ~44); past the
        base corpus they are older ones, generated on demand (``older.OlderArticles``). ``plain``: keep only
        that many of the base corpus's plain articles (``corpus.fewer_plain``)."""
        self.site = site
        self._size = articles
        self._plain = plain
        self._initial_layout = _checked_layout(layout)
        if discovery not in DISCOVERIES:
            raise ValueError(f"discovery must be one of {', '.join(DISCOVERIES)}, got {discovery!r}")
        self.discovery = discovery
        self.base_url = ""             # set once the site's server is bound
        self._build = build
        self._clock = clock
        self._lock = threading.Lock()
        self._running = threading.Event()   # cleared while stalled
        self._closed = False
        self._closing = threading.Event()
        self.faults = FaultSet()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            built = self._build()
            if self._plain is not None:
                built = corpus.fewer_plain(built, self._plain)
            self._articles = {a.article_id: a for a in built}
            self._positions = {a.article_id: n for n, a in enumerate(built)}    # SiteView.positions
            self._built = len(built)
            self._older = self._make_older()
            self._serve_articles = True
            self._layout = self._initial_layout
            self._fail_status: int | None = None
            self._stats: Counter[str] = Counter()
            self._connections = 0                 # TCP connections accepted
            self._arrivals: list[tuple[float, str]] = []     # (time.monotonic(), path) of each request
            self._hold: tuple[frozenset[str], int] | None = None  # stall_after: (paths, how many more to answer)
            self._unlisted: set[str] = set()      # ids shown by no discovery document (``publish(hidden=True)``)
            self._gaps: dict[str, str] = {}       # id → "deleted" | "page": ids left that are no article
            self._taken_down: dict[str, tuple[str, int, str | None]] = {}   # url_path → (id, status, Location)
        self.faults.clear()
        self._running.set()

    def _make_older(self) -> OlderArticles | tuple:
        if self._size is None:
            return ()
        base = len(self._articles)
        if not base <= self._size <= MAX_ARTICLES:
            raise ValueError(f"articles per site must be {base}–{MAX_ARTICLES} for {self.site}, got {self._size}")
        oldest = min(a.published for a in self._articles.values() if a.published)
        return OlderArticles(self.site, self._size - base, oldest)

    def view(self) -> SiteView:
        with self._lock:
            return SiteView(self.site, self.base_url, tuple(self._articles.values()), self._serve_articles,
                            self._clock(), self._layout, self._older, self.discovery, frozenset(self._unlisted),
                            dict(self._positions), self._built)

    def articles(self) -> list[ReplicaArticle]:
        """Every article, the base corpus (oldest first) then the older ones (newest first): generates them all."""
        with self._lock:
            return list(self._articles.values()) + list(self._older)

    def size(self) -> int:
        """How many articles the site serves (without generating any)."""
        with self._lock:
            return len(self._articles) + len(self._older)

    def has(self, article_id: str) -> bool:
        with self._lock:
            return article_id in self._articles

    # --- controls -------------------------------------------------------------------------------------
    def stall(self, on: bool) -> None:
        with self._lock:
            self._hold = None       # a stall_after not yet reached is dropped
        if on:
            self._running.clear()
        else:
            self._running.set()

    def stall_after(self, paths: set[str], pages: int) -> None:
        """Answer ``pages`` more requests for ``paths``, then stall (as ``stall(True)``) at the next one."""
        with self._lock:
            self._hold = (frozenset(paths), pages)

    def serve_articles(self, on: bool) -> None:
        with self._lock:
            self._serve_articles = on

    def set_layout(self, layout: int) -> None:
        with self._lock:
            self._layout = _checked_layout(layout)

    def fail(self, status: int | None) -> None:
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"fail status must be 400–599 (or None to stop failing), got {status}")
        with self._lock:
            self._fail_status = status

    def publish(self, count: int, hidden: bool = False) -> list[ReplicaArticle]:
        """``count`` new regular articles, published now (the newest of the site); ``hidden``: shown by no feed,
        sitemap or listing, only at their own URL."""
        if not 1 <= count <= MAX_ARTICLES:
            raise ValueError(f"publish count must be 1–{MAX_ARTICLES}, got {count}")
        with self._lock:
            new = published_now(self.site, self._last_id(), count, self._clock())
            self._articles.update((a.article_id, a) for a in new)
            self._positions.update((a.article_id, len(self._positions) + n) for n, a in enumerate(new))
            if hidden:
                self._unlisted.update(a.article_id for a in new)
            return new

    def leave_gap(self, page: bool = False) -> str:
        """Skip the next id: a deleted id (404), or with ``page`` a page that is no article (a gallery on El
        Balad, a programme on RT), shown by no discovery document. Returns the id."""
        with self._lock:
            article_id = str(self._last_id() + 1)
            if page:
                gap = not_article_page(self.site, int(article_id), self._clock())
                self._articles[article_id] = gap
                self._positions[article_id] = len(self._positions)
                self._unlisted.add(article_id)
            self._gaps[article_id] = "page" if page else "deleted"
            return article_id

    def _last_id(self) -> int:
        return max(max(int(a) for a in self._articles), max(map(int, self._gaps), default=0))

    unlisted = locked_copy("_unlisted", set, "The ids shown by no discovery document (hidden articles, gap pages).")
    gaps = locked_copy("_gaps", dict, 'The ids left that are no article: id → "deleted" (404) | "page" (a page '
                                      'that is no article).')

    def take_down(self, article_id: str, status: int, location: str | None = None) -> ReplicaArticle:
        """The site removes the article: from then on no discovery document shows it and its address answers
        ``status`` (404, 410, or with 301 a redirect to ``location``, a section or the home page)."""
        if status not in (301, 404, 410) or (status == 301) != (location is not None):
            raise ValueError(f"take down as 404, 410 or 301 with a location, got {status} {location!r}")
        with self._lock:
            if article_id not in self._articles:
                raise KeyError(f"{self.site} has no article {article_id!r}")
            article = self._articles.pop(article_id)
            self._taken_down[article.url_path] = (article_id, status, location)
            return article

    def taken_down(self) -> dict[str, tuple[int, str | None]]:
        """The articles taken down: id → (status, Location)."""
        with self._lock:
            return {aid: (status, location) for aid, status, location in self._taken_down.values()}

    def gone_answer(self, path: str) -> tuple[int, str | None] | None:
        """How ``path`` answers when it is the address of an article taken down: (status, Location), else None."""
        with self._lock:
            found = self._taken_down.get(path)
        return None if found is None else found[1:]

    def edit(self, article_id: str) -> ReplicaArticle:
        with self._lock:
            if article_id not in self._articles:
                raise KeyError(f"{self.site} has no article {article_id!r}")
            article = corpus.edited(self._articles[article_id], self._clock())
            self._articles[article_id] = article
            return article

    # --- request side ---------------------------------------------------------------------------------
    def count(self, path: str) -> None:
        with self._lock:
            self._stats[path] += 1
            self._arrivals.append((time.monotonic(), path))
            if self._hold and path in self._hold[0]:
                paths, left = self._hold
                self._hold = (paths, left - 1) if left else None
                if not left:
                    self._running.clear()

    stats = locked_copy("_stats", dict, "Requests per path.")

    def count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def connections(self) -> int:
        with self._lock:
            return self._connections

    arrivals = locked_copy("_arrivals", list, "``(time.monotonic(), path)`` of each request.")

    def fail_status(self) -> int | None:
        with self._lock:
            return self._fail_status

    def wait_while_stalled(self) -> bool:
        """Block while the site is stalled; False when released because the server is stopping."""
        self._running.wait()
        return not self._closed

    def sleep(self, seconds: float) -> bool:
        """Sleep (a stall fault); False when cut short because the server is stopping."""
        return not self._closing.wait(seconds)

    def close(self) -> None:
        self._closed = True
        self._closing.set()
        self._running.set()
