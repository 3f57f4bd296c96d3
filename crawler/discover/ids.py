"""Completeness by id continuity: the site's own article numbers, the gaps between them probed, and coverage.

Both sites number their articles in sequence (``SiteSpec.native_id``), so an article that no feed, sitemap or
listing showed still leaves a hole in the sequence. The index keeps every number seen (``ArticleIndex.numbers``):
archived, or a known gap — a page that is no article (``not_article``), or nothing (``gone``: 404/410). The
*range* is the ``id_window`` numbers up to the highest archived one (from the lowest archived one, when fewer):
a dead link to a number far above the others does not move it.

Each run, once discovery is over and every article it led to has answered, the holes of the range — numbers
neither archived, nor seen by this run, nor a gap closed by ``id_rechecks`` probes — and ``AHEAD`` numbers above
it are probed at the site's own id URL (``SiteSpec.id_url``), newest first, at most ``id_probes`` requests (the site's request budget and pacing apply: they are ordinary requests). What a
probe finds is an article like any other (its record's ``discovered_by`` is ``id_probe``), or a gap. A gap is
probed again on later runs until it has been found so ``id_rechecks`` times, then it is closed.

A feed watch between full runs (``RunKind.WATCH``) probes too, lightly: at most ``watch_id_probes`` numbers, the
newest holes above the top of the range at the end of the last full run (``FULL_RUN_TOP``, kept in the index)
and up to the newest number archived (what the watch's feeds showed), never a number any run has seen (archived
or a known gap: its rechecks are the full runs'), and none above the top (a number not given yet); its budget
follows the density of those numbers, since the last full run. So an article that only its own URL shows is
archived by the next watch after a newer listed one, not by the next full run; a gap a watch finds counts as one
check, and the full runs recheck it as any other.

*Density* is the share of articles among the numbers resolved in the range (archived ÷ archived + known gaps;
none before a gap is known).
Where a site's numbers are sparse (below ``id_sparse_below``: numbers shared with other editions, say), most
probes find nothing, so the budget follows the density: ``ceil(id_probes × density ÷ id_sparse_below)``.

*Coverage* = archived ÷ (numbers in the range − known gaps), per day (a number's day is its archived article's,
else that of the nearest archived number below it) and in all; ``unprobed`` counts the numbers left open. Each
unprobed number counts as an article the archive misses — except where the ids are sparse: there most of them
are no article, and they count for the share of articles this run's probes found among the holes they asked
for (``open_rate``; the density when no probe of the range answered). A healthy run over sparse numbers whose
probes found nothing discovery had not shown is at 100%; one whose probes did find such articles estimates
those left among the unprobed numbers, and is not ``ok`` (``crawler/run/report_extension.py``).
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from functools import partial
from urllib.parse import urlsplit

from crawler.archive.state.index import ARCHIVED, GONE, NOT_ARTICLE
from crawler.urls import article_path, canonicalize

__all__ = ["GONE", "NOT_ARTICLE", "IdLedger", "coverage"]

#: the open numbers (neither archived nor known gaps) a report names, newest first
OPEN_SHOWN = 20
#: the index's record of the range's top at the end of the last full run: the feed watches probe above it
FULL_RUN_TOP = "ids_full_run_top"
#: numbers probed above the highest archived one, each full run: articles published since that only their own URL
#: shows (a 404 there is no gap: the number is not given yet)
AHEAD = 5


def number_in(canonical_url: str, spec) -> int | None:
    """The article number of an archived record's ``canonical_url`` of the site ``spec`` (None: it has none)."""
    match = spec.native_id.fullmatch(urlsplit(canonical_url).path) if spec.native_id is not None else None
    return int(match["id"]) if match else None


def rebuild_index(index, archive, spec, lookback_days: float) -> int:
    """``ArticleIndex.rebuild`` with the article numbers of the records of the look-back read back."""
    since = (datetime.now(timezone.utc) - timedelta(days=lookback_days)).strftime("%Y-%m-%d")
    return index.rebuild(archive, partial(number_in, spec=spec), since)


def coverage(numbers: dict[int, tuple[str, str | None, int]], low: int, high: int, open_rate: float = 1.0) -> dict:
    """Coverage of the range ``low``–``high`` from the numbers seen in it (number → (state, day, checks)), each
    unprobed number counted as ``open_rate`` of an article (1: every one; sparse ids: see the module)."""
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"ids": 0, "archived": 0, "gaps": 0, "unprobed": 0})
    open_numbers: list[int] = []
    first_day = next((numbers[n][1] for n in range(low, high + 1) if n in numbers and numbers[n][1]), None)
    day = first_day
    for num in range(low, high + 1):
        state, archived_day, _ = numbers.get(num, (None, None, 0))
        if state == ARCHIVED and archived_day:
            day = archived_day
        tally = days[day or "unknown"]
        tally["ids"] += 1
        kind = "archived" if state == ARCHIVED else "gaps" if state in (NOT_ARTICLE, GONE) else "unprobed"
        tally[kind] += 1
        if kind == "unprobed":
            open_numbers.append(num)
    total = {name: sum(t[name] for t in days.values()) for name in ("ids", "archived", "gaps", "unprobed")}

    def ratio(t: dict[str, int]) -> float | None:
        articles = t["archived"] + t["unprobed"] * open_rate      # = ids − gaps, at open_rate 1
        return round(t["archived"] / articles, 4) if articles else None

    return {"low": low, "high": high, **total, "coverage": ratio(total), "open_rate": open_rate,
            "open": open_numbers[-OPEN_SHOWN:][::-1],
            "days": {d: {**t, "coverage": ratio(t)} for d, t in sorted(days.items())}}


class IdLedger:
    """The article numbers of one run (``index``: the run's archive index; ``config``: the site's
    ``SiteConfig``): its probes and what they found, the run's coverage. ``watch``: the run is a feed watch."""

    def __init__(self, index, config, *, watch: bool = False):
        self.index = index
        self.config = config
        cfg = config.site
        self.window = cfg.id_window
        self.rechecks = cfg.id_rechecks
        # the feed watch between full runs (``RunKind.WATCH``) probes only the newest holes, within its own budget
        self.watch = watch
        self.probes = cfg.watch_id_probes if self.watch else cfg.id_probes
        self.probing = config.spec.id_url is not None and self.probes > 0
        self.seen: set[int] = set()             # numbers discovery (or a probe) led this run to
        self.gaps: dict[int, str] = {}          # numbers found to be no article in this run
        self.planned: set[int] = set()          # the numbers this run probes
        self.top: int | None = None             # the highest archived number when they were planned
        self.probed = 0
        self.budget = 0
        self.density: float | None = None

    def number(self, url: str) -> int | None:
        """The site's article number in ``url``, or None."""
        config = self.config
        if config.spec.native_id is None:
            return None
        match = config.spec.native_id.fullmatch(article_path(canonicalize(url, config.base_url, config.spec),
                                                             config.base_url))
        return int(match["id"]) if match else None

    def saw(self, url: str) -> None:
        num = self.number(url)
        if num is not None:
            self.seen.add(num)

    def gap(self, url: str, state: str) -> None:
        """The article URL ``url`` answered no article (``NOT_ARTICLE``) or nothing (``GONE``)."""
        num = self.number(url)
        if num is not None:
            self.gaps[num] = state

    def _range(self, numbers: dict) -> tuple[int, int] | None:
        """The id range: the ``window`` numbers up to the highest archived one, none below the lowest archived
        one; None before any article is archived."""
        archived = [n for n, (state, _, _) in numbers.items() if state == ARCHIVED]
        if not archived:
            return None
        high = max(archived)
        return max(high - self.window + 1, self.index.lowest_archived_number()), high

    def plan(self) -> list[str]:
        """The URLs to probe (made once every article this run led to has answered), newest first, within the
        budget: the holes of the range, and ``AHEAD`` numbers above it (what was published since, and is only at
        its own URL); a watch's: the holes above the last full run's top never seen; empty when the site's ids
        are not probed."""
        if not self.probing:
            return []
        numbers = self.index.numbers(self.window)
        span = self._range(numbers)
        if span is None:
            return []
        low, high = span
        self.top = high
        if self.watch:      # a watch: the numbers since the last full run's end (none before the first one)
            floor = self.index.meta(FULL_RUN_TOP)
            if floor is None:
                return []
            low = max(low, int(floor) + 1)
        resolved = [state for n, (state, _, _) in numbers.items() if low <= n <= high]
        archived = resolved.count(ARCHIVED)
        self.density = round(archived / len(resolved), 4) if len(resolved) > archived else None
        cfg = self.config.site
        self.budget = self.probes
        if self.density is not None and self.density < cfg.id_sparse_below:
            self.budget = max(1, math.ceil(self.probes * self.density / cfg.id_sparse_below))
        wanted = [*range(high, low - 1, -1)] if self.watch else [*range(high + AHEAD, high, -1),
                                                                 *range(high, low - 1, -1)]
        urls = []
        for num in wanted:
            if len(urls) >= self.budget:
                break
            state, _, checks = numbers.get(num, (None, None, 0))
            if state == ARCHIVED or num in self.seen or (state is not None and (self.watch or checks >= self.rechecks)):
                continue
            urls.append(self.config.site.url(self.config.spec.id_url.format(id=num)))
            self.planned.add(num)
        self.probed = len(urls)
        return urls

    def remember(self, not_articles_too: bool) -> None:
        """At the end of a run that was not failed: the gaps found in the range (above its top, a number is
        not published yet: not a gap), those that answered a page that is no article only when
        ``not_articles_too`` (a run whose every page was "no article" may be a redesign); the numbers more than
        two ranges below its top are forgotten."""
        span = self._range(self.index.numbers(self.window))
        if span is None:
            return
        gaps = {n: s for n, s in self.gaps.items() if n <= span[1] and (s == GONE or not_articles_too)}
        if gaps:
            self.index.remember_gaps(gaps, datetime.now().astimezone())
        if not self.watch:
            self.index.set_meta(FULL_RUN_TOP, str(span[1]))
        self.index.forget_numbers_below(span[1] - 2 * self.window)     # one range back is kept

    def report(self) -> dict | None:
        """The run report's ``ids``: the range's coverage (after this run), the probes, the density."""
        if self.config.spec.native_id is None:
            return None
        numbers = self.index.numbers(self.window)
        for num, state in self.gaps.items():        # this run's findings count (remembered at its end)
            if numbers.get(num, (None,))[0] != ARCHIVED:
                old = numbers.get(num, (None, None, 0))
                numbers[num] = (state, None, old[2] + 1)
        span = self._range(numbers)
        if span is None:
            return None
        cfg = self.config.site
        # the density again with this run's findings: a first run knows it only once its probes have answered
        resolved = [state for n, (state, _, _) in numbers.items() if span[0] <= n <= span[1] and state is not None]
        archived = resolved.count(ARCHIVED)
        if len(resolved) > archived:
            self.density = round(archived / len(resolved), 4)
        sparse = self.density is not None and self.density < cfg.id_sparse_below
        found = self.probe_findings(numbers, span[1])
        open_rate = 1.0
        if sparse:      # the unprobed numbers of sparse ids: articles at the rate this run's probes found some
            answered = found["missed"] + found["gaps"]
            open_rate = round(found["missed"] / answered, 4) if answered else self.density
        return {**coverage(numbers, *span, open_rate=open_rate), "probes": found, "probing": self.probing,
                "probed": self.probed,
                "budget": self.budget, "density": self.density, "sparse": sparse,
                "id_url": self.config.spec.id_url, "window": self.window}

    def probe_findings(self, numbers: dict, high: int) -> dict[str, int]:
        """What this run's probes found: ``articles`` (archived now; ``missed``: those below the highest number
        archived when the probes were planned, which discovery had not shown — above it, an article may be one
        published since), ``gaps`` (no article, or nothing, in the range) and ``not_given_yet`` (nothing above
        the range's top: not published yet); the rest failed."""
        found = {"articles": 0, "gaps": 0, "not_given_yet": 0, "missed": 0}
        for num in self.planned:
            if numbers.get(num, (None,))[0] == ARCHIVED:
                found["articles"] += 1
                found["missed"] += self.top is not None and num < self.top
            elif num in self.gaps:
                found["gaps" if num <= high else "not_given_yet"] += 1
        return found
