"""Extension: robots.txt's ``Crawl-delay`` honoured. Scrapy reads robots.txt for Allow/Disallow only; when the
site's robots.txt (read by Scrapy's RobotsTxtMiddleware, signal ``robots_parsed``) asks our user agent for a
delay, the site's download slot waits at least that long between requests (not randomized), and AutoThrottle
never goes below it (at most ``AUTOTHROTTLE_MAX_DELAY``: a larger value is capped, and said)."""
from __future__ import annotations

from scrapy import signals
from scrapy.extensions.throttle import AutoThrottle

from crawler.components import RunComponent, config_from, run_from
from crawler.display import human_duration


class CrawlDelay(RunComponent):
    def __init__(self, run, config, crawler):
        super().__init__(run, config, crawler.stats)
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY")
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(run_from(crawler), config_from(crawler), crawler)

    def robots_parsed(self, robotparser, request) -> None:
        asked = robotparser.crawl_delay(self.crawler.settings.get("USER_AGENT"))
        if not asked:
            return
        delay = min(float(asked), self.max_delay)
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0      # Scrapy's ±50% randomization would go under the delay asked
        for extension in self.crawler.extensions.middlewares:
            if isinstance(extension, AutoThrottle):
                extension.mindelay = max(extension.mindelay, delay)
        capped = f" (asked {human_duration(float(asked))}, capped at crawl.autothrottle_max_delay)" if delay < asked else ""
        self.run.log.info("%s: robots.txt Crawl-delay: one request every %s to this site%s",
                          self.run.site, human_duration(delay), capped)
