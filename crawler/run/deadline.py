"""The run's time limit, counted to its deadline: Scrapy's ``CloseSpider`` (``CLOSESPIDER_TIMEOUT``, the close
reason ``closespider_timeout``) with the timeout counted from the run's start, not from the spider's opening.

The deadline is fixed once, when the run starts (``SiteRun.deadline``: its start + the site's ``time_limit``,
or the instant ``arshif serve`` gave the crawl process, at which it also stops the process), so the time the
process spent starting, rebuilding its index or archiving a killed run's WARC files counts too.
"""
from __future__ import annotations

from datetime import datetime, timezone

from scrapy.extensions.closespider import CloseSpider

from crawler.components import run_from
from crawler.fetch.stopping import stop_run

TIMEOUT = "closespider_timeout"


class CloseAtDeadline(CloseSpider):
    """At the deadline the downloader is stopped first (``crawler.fetch.stopping``): no request is sent after
    it, and the requests waiting behind a delay do not hold the close up."""

    def _close_spider(self, reason: str) -> None:
        if reason == TIMEOUT:
            stop_run(self.crawler, reason)
        else:
            super()._close_spider(reason)

    def spider_opened(self, spider) -> None:
        left = (run_from(self.crawler).deadline - datetime.now(timezone.utc)).total_seconds()
        self.close_on["timeout"] = max(left, 0.001)      # past it already: closed at once
        super().spider_opened(spider)
