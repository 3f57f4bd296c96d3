"""Changes over time to articles already published, as steps of the replica's clock (``replica.clock``): edits
and takedowns, so that revisits and removals are tested end to end with ``arshif serve``.

Both act on the articles the clock's ``Publish`` step put out that some feed shows (ids above the site's
highest when the step first ran, not unlisted), once they are ``min_ticks`` ticks old (time for a crawl to have
archived them) and, with ``ready``, once ``ready(site, id)`` says so (a test: once the archive holds it, an
event rather than a length of time), the oldest first, each article changed once, at most ``limit`` a site:

- ``Edit(every)``: every ``every`` ticks, one such article per site gets a new text (``SiteState.edit``).
- ``TakeDown(every)``: every ``every`` ticks, one such article per site (never one that was edited) is taken
  down, in turn answering 404, 410 and a 301 to its section's page (``SiteState.take_down``).

    Clock(every=3, ticks=20, steps=[Publish(), Edit(every=4, min_ticks=3), TakeDown(every=5, min_ticks=3)])
"""
from __future__ import annotations

from typing import Callable

from replica.renderers import RENDERERS

__all__ = ["Edit", "TakeDown"]

#: how a takedown answers, in turn: (status, whether it redirects to the section's page)
TAKEDOWNS = ((404, False), (410, False), (301, True))


class _Change:
    def __init__(self, every: int = 1, min_ticks: int = 2, ready: Callable[[str, str], bool] | None = None,
                 limit: int | None = None):
        if every < 1 or min_ticks < 0 or (limit is not None and limit < 1):
            raise ValueError(f"every must be >= 1, min_ticks >= 0 and limit >= 1 (or None), got {every}, "
                             f"{min_ticks}, {limit}")
        self.every = every
        self.min_ticks = min_ticks
        self.ready = ready
        self.limit = limit
        self._first: dict[str, int] = {}                # site → its highest id when the step first ran
        self._born: dict[str, dict[str, int]] = {}      # site → id → the tick it was first seen at
        self.changed: dict[str, list[str]] = {}         # site → the ids this step changed, in order

    def _eligible(self, state, tick: int) -> list:
        """The clock's listed articles at least ``min_ticks`` old, oldest first."""
        view = state.view()
        first = self._first.setdefault(state.site, max(int(a.article_id) for a in view.articles))
        born = self._born.setdefault(state.site, {})
        fresh = [a for a in view.articles if int(a.article_id) > first and a.kind == "article"
                 and a.article_id not in view.unlisted]
        for article in fresh:
            born.setdefault(article.article_id, tick)
        return sorted((a for a in fresh if tick - born[a.article_id] >= self.min_ticks and not a.edits),
                      key=lambda a: int(a.article_id))

    def __call__(self, state, tick: int) -> None:
        eligible = self._eligible(state, tick)
        if tick % self.every or (self.limit is not None and len(self.changed.get(state.site, ())) >= self.limit):
            return
        article = next((a for a in eligible if self.ready is None or self.ready(state.site, a.article_id)), None)
        if article is not None:
            self.change(state, article)
            self.changed.setdefault(state.site, []).append(article.article_id)

    def change(self, state, article) -> None:
        raise NotImplementedError


class Edit(_Change):
    """Every ``every`` ticks, one article per site edited (a new text, a later modification time)."""

    def change(self, state, article) -> None:
        state.edit(article.article_id)


class TakeDown(_Change):
    """Every ``every`` ticks, one article per site taken down: 404, 410, then a 301 to its section, in turn."""

    def __init__(self, every: int = 1, min_ticks: int = 2, ready: Callable[[str, str], bool] | None = None,
                 limit: int | None = None):
        super().__init__(every, min_ticks, ready, limit)
        self._done: dict[str, int] = {}

    def change(self, state, article) -> None:
        n = self._done.get(state.site, 0)
        self._done[state.site] = n + 1
        status, to_section = TAKEDOWNS[n % len(TAKEDOWNS)]
        state.take_down(article.article_id, status,
                        RENDERERS[state.site].section_path(article) if to_section else None)
