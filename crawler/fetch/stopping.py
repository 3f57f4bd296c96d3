"""A run that stops issues no request after it: its deadline, SIGTERM, or a site asking (Retry-After) for a
pause that ends past the deadline all stop the downloader first, then close the spider.

Scrapy closes a spider only once every request the engine holds is done — including those queued in a
download slot behind a delay (a ``Crawl-delay``, a ``Retry-After`` of 30 s): with four of them waiting, a
close took minutes, and each was still sent to the site after the run's deadline. :class:`Downloader`
(Scrapy's, set as ``DOWNLOADER``) can be stopped: the requests waiting in its slots are let go at once, and a
request reaching it later is refused; only transfers already under way finish (each bounded by
``crawl.download_timeout``). :class:`LetGo` (a downloader middleware) turns a request let go into nothing at
all — not a failed page: its article stays in the run's backlog for the next run.
"""
from __future__ import annotations

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure


class RunStopped(IgnoreRequest):
    """A request let go because its run stopped (``str()``: why)."""


class Downloader(ScrapyDownloader):
    stopped: str | None = None

    def stop(self, reason: str) -> None:
        """Issue no request from now on: the requests waiting in the slots are let go (``RunStopped``)."""
        if self.stopped is not None:
            return
        self.stopped = reason
        for slot in self.slots.values():
            if slot.latercall:
                slot.latercall.cancel()
                slot.latercall = None
            self._let_go(slot)

    def _let_go(self, slot) -> None:
        while slot.queue:
            request, waiting = slot.queue.popleft()
            waiting.errback(Failure(RunStopped(f"run stopped ({self.stopped}) before this request was sent")))

    def _process_queue(self, slot) -> None:
        if self.stopped is not None:
            self._let_go(slot)
            return
        super()._process_queue(slot)


def stop_run(crawler, reason: str) -> None:
    """Stop ``crawler``'s downloader and close its spider with ``reason`` (once; later calls do nothing)."""
    downloader = crawler.engine.downloader
    if getattr(downloader, "stopped", None) is not None:
        return
    if isinstance(downloader, Downloader):
        downloader.stop(reason)
    deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


class LetGo:
    """Downloader middleware: a request its run let go (``RunStopped``) ends here, silently — the engine is
    closing, so the request given back to it is never scheduled again; its article is counted in the backlog."""

    def process_exception(self, request, exception):
        # a request of a middleware's own (robots.txt: no callback) is awaited by it: it gets the exception
        if isinstance(exception, RunStopped) and request.callback is not NO_CALLBACK:
            return request.replace(dont_filter=True, meta={**request.meta, "let_go": True})
        return None


#: the close reason of a run stopped by SIGTERM or SIGINT (Scrapy's)
SHUTDOWN = "shutdown"


class RunProcess(CrawlerProcess):
    """Scrapy's process, whose shutdown (SIGTERM, SIGINT) stops every crawler's downloader before it closes
    the spiders: requests waiting behind a delay are not sent, so the crawl ends within one transfer's
    ``download_timeout`` plus the time its last pages and writes take."""

    def stop(self):
        for crawler in self.crawlers:
            engine = getattr(crawler, "engine", None)
            if engine is not None and isinstance(engine.downloader, Downloader):
                engine.downloader.stop(SHUTDOWN)
        return super().stop()
