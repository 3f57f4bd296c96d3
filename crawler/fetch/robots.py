"""robots.txt, decided once per site before any of its requests, and read as RFC 9309 says.

Scrapy 2.19's ``RobotsTxtMiddleware`` lets the requests that arrive while robots.txt is loading wait on one
Deferred; the first waiter's callback returns None, so every later waiter gets None — "no rules" — and goes
out whatever robots.txt says (with ``Disallow: /``, the category listings of a run were fetched). Here each
waiter gets the decided rules from a Deferred of its own.

What cannot be read is decided as RFC 9309 section 2.3.1 says, once for the run:

* 2xx: the rules of the file;
* 4xx ("unavailable"): no rules, everything allowed (one info line);
* 5xx or 429 after Scrapy's retries, a timeout, a refused connection, no answer ("unreachable"): complete
  disallow for the whole run — every request of the site is refused, one error line says why, and the run is
  not ``ok`` (its report's reason). 429 counts as unreachable as Google's crawler treats it: the server asks
  us to come back later, not to crawl freely.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.components import run_from
from crawler.fetch.failures import reason
from crawler.fetch.stopping import RunStopped

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
# robots.txt unreadable, said in the crawl's stats collector (the crawl's facts, read through the crawler): why
# (the run's reason, ``crawler/run/report_extension.py``), and what a request refused for it failed of, in brief
# (the spider's discovery failures)
ROBOTS_UNREADABLE = "arshif_robots/unreadable"
ROBOTS_REFUSAL = "arshif_robots/refusal"


class RobotsPolicy(RobotsTxtMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.run = run_from(crawler)

    async def robot_parser(self, request: Request):
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            deciding = self._parsers[netloc] = Deferred()
            rules = await self._decide(request)
            self._parsers[netloc] = rules
            deciding.callback(rules)
        rules = self._parsers[netloc]
        if isinstance(rules, Deferred):
            return await maybe_deferred_to_future(_own_copy(rules))
        return rules

    async def _decide(self, request: Request):
        url = urlparse_cached(request)
        robots_url = f"{url.scheme}://{url.netloc}/robots.txt"
        fetch = Request(robots_url, priority=self.DOWNLOAD_PRIORITY, meta={"dont_obey_robotstxt": True},
                        callback=NO_CALLBACK)
        try:
            response = await self.crawler.engine.download_async(fetch)
        except RunStopped:
            return self._rules(DISALLOW_ALL)              # the run is over: nothing more goes out
        except Exception as exc:
            return self._unreachable(robots_url, reason(Failure(exc)), network=True)
        if response.status == 429 or response.status >= 500:
            return self._unreachable(robots_url, f"HTTP {response.status}")
        if 400 <= response.status < 500:
            self.run.log.info("%s: HTTP %d: no robots.txt rules, everything allowed (RFC 9309: unavailable)",
                              robots_url, response.status)
            return self._rules(b"")
        rules = self._rules(response.body)
        await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=rules,
                                                        request=request)
        return rules

    def process_request_2(self, rp, request: Request) -> None:
        # a request that waited for robots.txt while its run stopped is let go as any other (``LetGo``: counted
        # in the backlog), not refused by the disallow-all that stands in for rules never read: "forbidden by
        # robots.txt" would name the site unreachable in place of the reason the run stopped for
        stopped = getattr(self.crawler.engine.downloader, "stopped", None)
        if stopped is not None:
            raise RunStopped(f"run stopped ({stopped}) before this request was sent")
        super().process_request_2(rp, request)

    def _unreachable(self, robots_url: str, why: str, network: bool = False):
        said = (f"robots.txt could not be read ({robots_url}: {why}): nothing of the site fetched this run "
                "(RFC 9309: an unreachable robots.txt means complete disallow)")
        self.run.log.error("%s", said)
        # the run's reason: a site that does not answer at all is "unreachable", as any other request says it
        stats = self.crawler.stats
        stats.set_value(ROBOTS_UNREADABLE,
                        f"site unreachable: {urlsplit(robots_url).netloc}: {why} ({said})" if network else said)
        # each request it refuses failed of this, not of a rule: a site that does not answer at all is named
        # so by its discovery sources too, whichever came first, robots.txt or they
        stats.set_value(ROBOTS_REFUSAL, why if network else f"robots.txt unreadable ({why})")
        return self._rules(DISALLOW_ALL)

    def _rules(self, body: bytes):
        return build_from_crawler(self._parserimpl, self.crawler, body)


def _own_copy(deciding: Deferred) -> Deferred:
    """A Deferred that fires with what ``deciding`` fires with, leaving ``deciding``'s result as it was for the
    next waiter (awaiting ``deciding`` itself hands its result to the first waiter only)."""
    mine: Deferred = Deferred()

    def hand(result):
        mine.callback(result)
        return result

    deciding.addCallback(hand)
    return mine
