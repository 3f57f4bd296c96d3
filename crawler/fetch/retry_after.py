"""Downloader middleware: a 429 (or 503) with ``Retry-After`` slows the whole site down, not only the one
request. The site's download slot waits ``Retry-After`` between requests (at most ``AUTOTHROTTLE_MAX_DELAY``);
Scrapy's RetryMiddleware retries the page behind that delay, and AutoThrottle, which never lowers a delay on
an error answer, eases it back as the site answers 200 again. Each such answer is counted ("throttled").

A pause that would end at or past the run's deadline cannot be honoured within the run: the run stops at once
(``crawler.fetch.stopping``, close reason ``retry_after``; one warning line), its articles left for the next run,
instead of waiting for its deadline with requests queued behind the delay."""
from __future__ import annotations

from datetime import datetime, timezone

from scrapy.http import Request, Response

from crawler.components import RunComponent, config_from, count, run_from
from crawler.dates import parse_http_date
from crawler.outcomes import Count
from crawler.display import human_duration
from crawler.fetch.stopping import stop_run

THROTTLING = (429, 503)
#: the close reason of a run stopped because the site asked for a pause past its deadline
PAUSE_PAST_DEADLINE = "retry_after"
#: why it stopped (one line), in the crawl's stats collector: the run's reason (``crawler/run/report_extension.py``)
STOP_WHY = "arshif_stop/why"


def retry_after(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date), None when unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    when = parse_http_date(text)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RunComponent):
    def __init__(self, run, config, crawler):
        super().__init__(run, config, crawler.stats)
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_from(crawler), config_from(crawler), crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in THROTTLING:
            return response
        wait = retry_after(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        count(self.stats, Count.THROTTLED)
        deadline = self.run.deadline
        left = (deadline - datetime.now(timezone.utc)).total_seconds() if deadline else float("inf")
        if wait >= left:
            if self.stats.get_value(STOP_WHY) is None:
                stop_why = (f"the site asked for a pause of {human_duration(wait)} (HTTP {response.status} "
                            f"Retry-After), past the run's deadline in {human_duration(max(left, 0))}: "
                            "stopped at once, its articles left for the next run")
                self.stats.set_value(STOP_WHY, stop_why)
                self.run.log.warning("%s: %s", self.run.site, stop_why, extra={"url": request.url})
            stop_run(self.crawler, PAUSE_PAST_DEADLINE)
            return response
        delay = min(wait, self.max_delay)
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay < delay:
            slot.delay = delay
            self.run.log.warning("%s: HTTP %d with Retry-After %s: one request every %s to this site from now",
                                 self.run.site, response.status, human_duration(wait), human_duration(delay),
                                 extra={"url": request.url})
        return response
