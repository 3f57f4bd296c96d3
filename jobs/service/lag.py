"""Lag, from the run reports: seconds from an article's publication (and from discovery's first sight of it) to
its archive, p50 and p95 per site over the reports of a time window (``RunReport.lags``; crawls and feed
watches alike)."""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta

from crawler.run.report import RunReport


SINCE = ("published", "first_seen")
#: ``arshif status`` and the metrics give the lag over the runs of this window
LAG_WINDOW = timedelta(days=1)


def quantile(values: list[int], q: float) -> int | None:
    """The ``q`` quantile of ``values`` (nearest rank), or None when there is none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def lag_summary(reports: Iterable[RunReport]) -> dict[str, dict[str, int | None]]:
    """``{"published": {"n", "p50", "p95"}, "first_seen": {...}}`` over the articles of ``reports``."""
    values: dict[str, list[int]] = {since: [] for since in SINCE}
    for report in reports:
        for since in SINCE:
            values[since] += (report.lags or {}).get(since, [])
    return {since: {"n": len(v), "p50": quantile(v, 0.5), "p95": quantile(v, 0.95)} for since, v in values.items()}
