"""Downloader middleware: a 429 (or 503) with ``Retry-After`` slows the whole site down, not only the one
request. The site's download slot waits ``Retry-After`` between requests (at most ``AUTOTHROTTLE_MAX_DELAY``);
Scrapy's RetryMiddleware retries the page behind that delay, and AutoThrottle, which never lowers a delay on
an error answer, eases it back as the site answers 200 again. Each such answer is counted ("throttled")."""
from __future__ import annotations

from datetime import datetime, timezone

from scrapy.http import Request, Response

from crawler.components import RunComponent, run_from
from crawler.dates import parse_http_date
from crawler.outcomes import Count
from crawler.display import human_duration

THROTTLING = (429, 503)


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
    def __init__(self, run, crawler):
        super().__init__(run)
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_from(crawler), crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in THROTTLING:
            return response
        wait = retry_after(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        self.run.report.count(Count.THROTTLED)
        delay = min(wait, self.max_delay)
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay < delay:
            slot.delay = delay
            self.run.log.warning("%s: HTTP %d with Retry-After %s: one request every %s to this site from now",
                                 self.run.site, response.status, human_duration(wait), human_duration(delay),
                                 extra={"url": request.url})
        return response
