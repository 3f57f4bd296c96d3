"""Revisits: each archived article is fetched again, conditionally (its ETag), at set delays after its
publication (``revisit_after``, default 1 h, 6 h, 24 h, 3 d, 7 d), so an edit becomes a version whether or not
a sitemap says so, and a takedown is seen (``crawler/fetch/spider.py``: 404/410 or a redirect to a page that
is no article, recorded as removed after a confirming second check).

An article is due when one of its revisit times has come since it was last fetched: once past 7 days it is
not revisited any more. The articles that answered gone once are due at every run until confirmed."""
from __future__ import annotations

from datetime import datetime, timedelta

from crawler.archive.state.index import ArticleIndex


def next_revisit(published: datetime, checked: datetime, delays: list[float]) -> datetime | None:
    """The first revisit time of an article published at ``published`` later than its last fetch ``checked``."""
    for delay in delays:
        when = published + timedelta(seconds=delay)
        if when > checked:
            return when
    return None


def due(index: ArticleIndex, delays: list[float], now: datetime, limit: int) -> list[tuple[str, str]]:
    """``(id, url)`` of the articles to fetch again now, at most ``limit``: the suspected takedowns first,
    then those due, the most recently published first."""
    out = list(index.suspects())
    if not delays:
        return out[:limit]
    seen = {aid for aid, _ in out}
    rows = index.revisit_rows(now - timedelta(seconds=delays[-1]))
    ready = [(published, aid, url) for aid, url, published, checked in rows
             if aid not in seen and (when := next_revisit(published, checked, delays)) is not None and when <= now]
    out += [(aid, url) for _, aid, url in sorted(ready, reverse=True)]
    return out[:limit]
