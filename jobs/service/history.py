"""A site's past runs, read from the run reports in the archive (``runs/site=<site>/date=<D>/<run_id>.json``).

The reports are the service's only record: catch-up after a reboot, ``arshif status`` and the metrics seeded
at start all read them, so any machine that can read the archive sees the same history.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator

from crawler.archive.storage.base import Archive
from crawler.archive.storage.keys import key_date, runs_prefix
from crawler.outcomes import RunKind, RunResult
from crawler.run.report import RunReport


log = logging.getLogger("arshif.history")

#: how far back ``SiteHistory.load`` reads (the number of report bodies fetched is bounded by this)
MAX_REPORTS = 200


def started(report: RunReport) -> datetime:
    return datetime.fromisoformat(report.started_at)


def reports_newest_first(archive: Archive, site: str, kinds: tuple[RunKind, ...] = (RunKind.CRAWL,),
                         since: datetime | None = None) -> Iterator[RunReport]:
    """Every readable crawl report of ``site``, newest first (keys sort by date, then by run id, i.e. by
    time); the manifests of outbox flushes are not runs of the site and are left out."""
    keys = [key for key in archive.list(runs_prefix(site)) if key.endswith(".json")]
    if since is not None:       # a day's folder before the window's start holds none of its runs
        first = since.astimezone(timezone.utc).date().isoformat()
        keys = [key for key in keys if (key_date(key) or "") >= first]
    for key in reversed(keys):
        data = archive.get(key)
        if data is None:
            continue
        try:
            report = RunReport.from_json(data)
        except (ValueError, TypeError) as exc:
            log.warning("unreadable run report %s skipped: %s", key, exc)
            continue
        if since is not None and started(report) < since:
            return
        if report.kind in kinds:
            yield report


@dataclass
class SiteHistory:
    """What the latest reports say about a site: the newest first, down to the last success (and at least
    ``window`` runs), never more than ``MAX_REPORTS``."""
    site: str
    runs: list[RunReport] = field(default_factory=list)     # finished runs
    running: RunReport | None = None    # the newest report when it is still "running" (on, or its process died)

    @classmethod
    def load(cls, archive: Archive, site: str, window: int = 1) -> "SiteHistory":
        runs, running = [], None
        for report in reports_newest_first(archive, site):
            if report.result == RunResult.RUNNING:
                if not runs and running is None:
                    running = report
                continue
            runs.append(report)
            if len(runs) >= MAX_REPORTS or (report.result.completed and len(runs) >= window):
                break
        return cls(site, runs, running)

    @property
    def last_run(self) -> RunReport | None:
        return self.runs[0] if self.runs else None

    @property
    def last_success(self) -> RunReport | None:
        """The newest run that went to its end (ok or degraded)."""
        return next((r for r in self.runs if r.result.completed), None)

    @property
    def consecutive_failures(self) -> int:
        """Failed (or killed) runs since the last success (at most ``MAX_REPORTS``)."""
        return next((i for i, r in enumerate(self.runs) if r.result.completed), len(self.runs))

    def recent(self, n: int) -> list[RunReport]:
        return self.runs[:n]
