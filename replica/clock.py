"""The replica on a clock: every ``every`` seconds, for ``ticks`` ticks, each *step* runs once on each site.

A step is a plain callable ``step(state, tick)`` (``state``: a ``replica.state.SiteState``; ``tick``: 0, 1, …)
that changes the site through its own methods. Each kind of change over time is a step of its own, in its
own function, so that the clock itself stays one mechanism:

- ``Publish`` (new articles over time, a share of them never shown by any feed, sitemap or listing — reachable
  only at their own URL — and id gaps that are not articles: deleted ids answering 404, non-article pages).

Tests wait on the clock's events, never on wall-clock margins: ``done`` is set after the last tick; ``count``
says how many ran.

    with ReplicaServer(clock=Clock(every=2, ticks=30, steps=[Publish(per_tick=2)])) as replica: ...
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Iterable, Protocol

__all__ = ["Clock", "Publish", "Step"]


class Step(Protocol):
    def __call__(self, state, tick: int) -> None: ...


class Clock:
    """Runs ``steps`` on every site's state each ``every`` seconds, ``ticks`` times (None: until stopped)."""

    def __init__(self, every: float, steps: Iterable[Step], ticks: int | None = None):
        if not every > 0:
            raise ValueError(f"clock every must be > 0 seconds, got {every}")
        if ticks is not None and ticks < 1:
            raise ValueError(f"clock ticks must be >= 1 (or None: until stopped), got {ticks}")
        self.every = every
        self.ticks = ticks
        self.steps = list(steps)
        self.done = threading.Event()          # set once the last tick ran (or the clock was stopped)
        self._count = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def start(self, states: list) -> None:
        self._thread = threading.Thread(target=self._run, args=(states,), name="replica-clock", daemon=True)
        self._thread.start()

    def _run(self, states: list) -> None:
        try:
            tick = 0
            while (self.ticks is None or tick < self.ticks) and not self._stop.wait(self.every):
                self.tick(states, tick)
                tick += 1
        finally:
            self.done.set()

    def tick(self, states: list, tick: int) -> None:
        """One tick: every step on every site, in order."""
        for state in states:
            for step in self.steps:
                step(state, tick)
        with self._lock:
            self._count += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class Publish:
    """Publishing over time: ``per_tick`` new articles per site each tick; every ``hide_every``-th of them
    (default 5: a fifth) is never shown by a feed, sitemap or listing (``SiteState.hide``), only at its own URL;
    after every ``gap_every``-th (0: never) the site's ids skip one id that is no article — a deleted id
    answering 404, or (every other gap) a page that is no article (a gallery on El Balad, a programme on RT)."""

    def __init__(self, per_tick: int = 1, hide_every: int = 5, gap_every: int = 4):
        if per_tick < 1:
            raise ValueError(f"publish per_tick must be >= 1, got {per_tick}")
        if hide_every < 0 or gap_every < 0:
            raise ValueError(f"hide_every and gap_every must be >= 0, got {hide_every}, {gap_every}")
        self.per_tick = per_tick
        self.hide_every = hide_every
        self.gap_every = gap_every
        self._published: dict[str, int] = {}
        #: site → id → the replica's instant the article became reachable (its pages date it to the minute only)
        self.published_at: dict[str, dict[str, datetime]] = {}

    def __call__(self, state, tick: int) -> None:
        for _ in range(self.per_tick):
            n = self._published.get(state.site, 0) + 1
            self._published[state.site] = n
            if self.gap_every and n % self.gap_every == 0:
                state.leave_gap(page=(n // self.gap_every) % 2 == 0)
            now = state.view().now          # just before: nothing can have shown the article earlier
            (article,) = state.publish(1, hidden=bool(self.hide_every) and n % self.hide_every == 0)
            self.published_at.setdefault(state.site, {})[article.article_id] = now

