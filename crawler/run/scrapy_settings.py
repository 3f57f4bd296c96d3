"""Scrapy settings for arshif's crawls: the static part as module constants (like any Scrapy project's
settings.py), and :func:`scrapy_settings` overlaying what comes from arshif's validated settings."""
from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings as _SCRAPY_DEFAULTS

BOT_NAME = "arshif"
SPIDER_MODULES = ["crawler.fetch.spider"]
NEWSPIDER_MODULE = "crawler.fetch.spider"

ITEM_PIPELINES = {
    "crawler.extract.pipeline.ExtractPipeline": 100,
    "crawler.run.archive_pipeline.ArchivePipeline": 300,
}
# a downloader that can be stopped (the run's deadline, SIGTERM): nothing is sent after it
DOWNLOADER = "crawler.fetch.stopping.Downloader"
DOWNLOADER_MIDDLEWARES = {
    # the first to see a request let go by a stopped run: it ends there, left for the next run
    "crawler.fetch.stopping.LetGo": 990,
    # closest to the network, so it records the bytes as they came (before decompression, redirects)
    "crawler.fetch.capture.WarcRecorderMiddleware": 950,
    # sees a 429's Retry-After before Scrapy's RetryMiddleware (550) turns the answer into a retry
    "crawler.fetch.retry_after.RetryAfterMiddleware": 560,
}
# Scrapy's own extensions we do not run, left out of its base list: a ``None`` in EXTENSIONS would still import
# each one (Scrapy loads an override's key to normalise it), and RemoteControl's import is aiohttp, 0.12 s a crawl.
_EXTENSIONS_OFF = {
    # CLOSESPIDER_TIMEOUT counted to the run's deadline (fixed at its start), not from the spider's opening
    "scrapy.extensions.closespider.CloseSpider",
    "scrapy.extensions.telnet.TelnetConsole",
    # Scrapy 2.19's HTTP server on localhost that runs Python code sent to it, its token in a job file under
    # the user's state folder (left there when a crawl is killed)
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.extensions.feedexport.FeedExporter",       # no FEEDS: records go through the pipelines
    "scrapy.extensions.memdebug.MemoryDebugger",
    "scrapy.extensions.spiderstate.SpiderState",        # no JOBDIR: a run's state is its report and the index
}
EXTENSIONS_BASE = {k: v for k, v in _SCRAPY_DEFAULTS.EXTENSIONS_BASE.items() if k not in _EXTENSIONS_OFF}
# The same for downloader middlewares that are off here (COOKIES_ENABLED = False, no HTTP cache), and for the
# download handlers of schemes a site's pages never use (data:, file:, s3:, ftp:): Scrapy loads every handler
# that is not lazy, and imports each middleware only to be told it is not configured.
# Scrapy's redirect middlewares are replaced by ours, at their places, which drop the Referer header without
# looking for the RefererMiddleware left out below (crawler/fetch/redirects.py); its robots.txt middleware by ours
# (crawler/fetch/robots.py: the rules decided once for every request waiting on them, and an unreadable robots.txt
# read as RFC 9309 says).
_REPLACED = {"scrapy.downloadermiddlewares.redirect.RedirectMiddleware": "crawler.fetch.redirects.RedirectMiddleware",
             "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware":
                 "crawler.fetch.redirects.MetaRefreshMiddleware",
             "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": "crawler.fetch.robots.RobotsPolicy"}
DOWNLOADER_MIDDLEWARES_BASE = {_REPLACED.get(k, k): v for k, v in _SCRAPY_DEFAULTS.DOWNLOADER_MIDDLEWARES_BASE.items()
                               if k.rsplit(".", 1)[-1] not in ("CookiesMiddleware", "HttpCacheMiddleware",
                                                               "DownloaderStats")}
# Components that only add work to every request and response here (~4 % of the crawl process's CPU): Scrapy's
# byte counts (DownloaderStats builds each response's whole HTTP form to measure it; the run report counts
# pages), Referer headers (no site needs one), depth tracking (no depth limit) and the development-time check
# that no request copies Scrapy's internal meta keys.
SPIDER_MIDDLEWARES_BASE = {k: v for k, v in _SCRAPY_DEFAULTS.SPIDER_MIDDLEWARES_BASE.items()
                           if k.rsplit(".", 1)[-1] not in ("RefererMiddleware", "DepthMiddleware",
                                                           "MetaCopyDetectionMiddleware")}
DOWNLOAD_HANDLERS_BASE = {k: v for k, v in _SCRAPY_DEFAULTS.DOWNLOAD_HANDLERS_BASE.items() if k in ("http", "https")}
EXTENSIONS = {
    "crawler.run.report_extension.RunReportExtension": 100,
    "crawler.fetch.crawl_delay.CrawlDelay": 200,
    "crawler.run.deadline.CloseAtDeadline": 0,
    "crawler.run.progress.CrawlProgress": 300,
    "crawler.run.page_fate.PageFate": 400,
}
# Items handled at once per response. Scrapy (2.13+) starts this many asyncio tasks for every response's
# output whatever it holds; an article page gives one item, a sitemap a list of requests handled in order:
# Scrapy's 100 made 60 % of the crawl process's asyncio tasks and ~10 % of its CPU.
CONCURRENT_ITEMS = 4
COOKIES_ENABLED = False
# Scrapy's check that a callback is no generator returning a value reads the callback's source with inspect and
# ast, and caches the verdict on the callback object, weakly: a bound method is a new object on every request,
# so it was read again for every response (0.6 ms of the crawl process's CPU a page). Our callbacks return none.
WARN_ON_GENERATOR_RETURN_VALUE = False
DNS_TIMEOUT = 20
REDIRECT_MAX_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's default list without DownloadTimeoutError: a stalled page costs one timeout per run (retrying it
# held the site's slots for timeout × (retries + 1)); it fails, is counted, and is fetched again next run.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.CannotResolveHostError",
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
HTTPERROR_ALLOWED_CODES: list[int] = []
LOG_ENABLED = True
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"   # the pipelines log one line of their own per dropped page
STATS_DUMP = False
LOGSTATS_INTERVAL = 0


def per_site_concurrency(crawl) -> int:
    """``crawl.concurrent_requests_per_domain``, the cap that keeps a crawl polite to a site; with politeness
    off (``download_delay`` 0 and AutoThrottle off: a replica, a mirror of one's own) there is no site to spare,
    and a site may have all of ``crawl.concurrent_requests``: 4 requests in flight a site left the extraction
    workers waiting on pages (half the cores used, issue 25). The real sites' settings (0.25 s, AutoThrottle on)
    keep the cap; with a delay it only bounds how many requests wait on it (README, "For operators")."""
    if crawl.download_delay or crawl.autothrottle:
        return crawl.concurrent_requests_per_domain
    return max(crawl.concurrent_requests_per_domain, crawl.concurrent_requests)


def scrapy_settings(settings, site_key: str) -> dict[str, Any]:
    """Scrapy settings for one site's crawler (its run reaches the components through the crawler:
    ``crawler.components.attach``)."""
    crawl = settings.crawl
    site = settings.sites[site_key]
    static = {k: v for k, v in globals().items() if k.isupper() and not k.startswith("_")}
    return {
        **static,
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_site_concurrency(crawl),
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.download_maxsize,
        "DOWNLOAD_WARNSIZE": max(crawl.download_maxsize // 2, 1),
        "RETRY_TIMES": crawl.retry_times,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl.autothrottle_target_concurrency,
        "AUTOTHROTTLE_MAX_DELAY": crawl.autothrottle_max_delay,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
        "CLOSESPIDER_PAGECOUNT": site.max_pages,
        "CLOSESPIDER_TIMEOUT": site.time_limit,      # on; the time left is the run's (CloseAtDeadline)
        "LOG_LEVEL": settings.logging.scrapy_level,
    }
