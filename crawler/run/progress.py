"""A crawl's sign of life: every ``crawl.progress_interval`` one log line with the run's figures so far (pages
fetched and their rate, articles archived, failures, articles still to fetch), and the same figures in the
state folder (``progress-<site>.json``), where ``arshif status`` shows them under the running run (which
imports this module for :func:`read_progress`: Scrapy and Twisted are imported by the extension only)."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from crawler.components import config_from, counts_in, run_from
from crawler.outcomes import Count, PageOutcome


def progress_path(state_dir: Path, site: str) -> Path:
    """Where a running crawl of ``site`` leaves its figures (``state_dir``: the archive's state folder)."""
    return state_dir / f"progress-{site}.json"


def read_progress(state_dir: Path, site: str, run_id: str) -> dict | None:
    """The figures the run ``run_id`` left, or None (none yet, another run's, unreadable)."""
    try:
        doc = json.loads(progress_path(state_dir, site).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("run_id") == run_id else None


class CrawlProgress:
    def __init__(self, crawler, run, interval: float):
        self.crawler = crawler
        self.run = run
        self.interval = interval
        self.path = progress_path(run.state_dir, run.site)
        self.loop = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        run = run_from(crawler)
        interval = config_from(crawler).crawl.progress_interval
        if not interval:
            raise NotConfigured("crawl.progress_interval is 0")
        ext = cls(crawler, run, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        from twisted.internet import task

        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.path.unlink(missing_ok=True)

    def tick(self) -> None:
        counts = counts_in(self.crawler.stats)
        fetched = counts.get(Count.FETCHED, 0)
        rate = fetched / max(time.monotonic() - self.started, 1e-9)
        queued = len(self.crawler.spider.candidates.queued)
        self.run.log.info(
            "progress: %d pages fetched (%.1f/s), %d new, %d updated, %d unchanged, %d not article, %d failed; "
            "%d articles to fetch", fetched, rate, counts.get(PageOutcome.NEW, 0), counts.get(PageOutcome.UPDATED, 0),
            counts.get(PageOutcome.UNCHANGED, 0), counts.get(PageOutcome.NOT_ARTICLE, 0),
            counts.get(PageOutcome.FAILED, 0), queued, extra={"counts": counts, "queued": queued})
        doc = {"run_id": self.run.report.run_id, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "pages_per_s": round(rate, 2), "queued": queued, "counts": counts}
        # not fsync'd: a figure lost in a power cut is made again 30 s later; a reader sees it whole (rename)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(json.dumps(doc), "utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            self.run.log.debug("progress not written to %s: %s", self.path, exc.strerror)
